"""One way to write a number for a reader, used by every table the package writes for people (HTML and Markdown).

Data files (CSV, JSON) keep full precision; these helpers only format what is read: three significant figures
without float noise (``1440.0000000000582`` is ``1440``), true/false endpoints as ``yes``/``no``, units as people
write them (``mm³``, ``mg/m²``), a difference with its sign.
"""

from __future__ import annotations

import math
from collections.abc import Mapping

from crosstalk.model.observables import ENDPOINTS

__all__ = ["denoise", "endpoint_rows", "format_difference", "format_nnt", "format_number", "format_value",
           "pretty_unit"]

_UNIT_TEXT = {"mm3": "mm³", "mg/m2": "mg/m²", "cells/uL": "cells/µL", "ug/mL": "µg/mL", "1": "relative",
              "m2": "m²", "true/false": "", "class": ""}


def pretty_unit(unit: str) -> str:
    """A unit as people write it: ``mm3`` -> ``mm³``, ``mg/m2`` -> ``mg/m²``, ``1`` -> ``relative``.

    Examples
    --------
    >>> pretty_unit("mg/m2")
    'mg/m²'
    """
    return _UNIT_TEXT.get(unit, unit.replace("uL", "µL").replace("ug", "µg").replace("m2", "m²"))


def format_number(value: float, *, digits: int = 3) -> str:
    """``value`` to ``digits`` significant figures, without float noise or an exponent for everyday sizes.

    Examples
    --------
    >>> format_number(1440.0000000000582)
    '1440'
    >>> format_number(0.000213)
    '0.000213'
    >>> format_number(123456.0)
    '123000'
    >>> format_number(3.2e13)
    '3.2e+13'
    >>> format_number(float("nan"))
    'n/a'
    """
    if not math.isfinite(value):
        return "n/a" if math.isnan(value) else ("∞" if value > 0 else "-∞")
    if value == 0:
        return "0"
    magnitude = math.floor(math.log10(abs(value)))
    if magnitude >= 6 or magnitude < -4:
        return f"{value:.{digits - 1}e}".replace(".00e", "e").replace("0e", "e") if digits > 1 else f"{value:.0e}"
    decimals = max(digits - 1 - magnitude, 0)
    text = f"{round(value, digits - 1 - magnitude):.{decimals}f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def denoise(value: float, scale: float, *, rtol: float = 1e-9) -> float:
    """0 where ``value`` (a difference or a spread) is below ``rtol`` of ``scale`` (the size of what it is the
    difference of): the solver's noise between patients or arms that got the same, not a finding.

    Examples
    --------
    >>> denoise(3.99e-10, 240.0), denoise(0.5, 240.0)
    (0.0, 0.5)
    """
    return 0.0 if math.isfinite(value) and abs(value) <= rtol * abs(scale) else value


def format_value(value: object, unit: str = "", *, digits: int = 3) -> str:
    """An endpoint value for reading: booleans as ``yes``/``no``, numbers by :func:`format_number`, None or NaN as
    ``n/a``; the unit is not appended (tables give it its own column).

    Examples
    --------
    >>> format_value(True, "true/false"), format_value(62.000000001, "%"), format_value("PR", "class")
    ('yes', '62', 'PR')
    """
    if value is None:
        return "n/a"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, (int, float)):
        return format_number(float(value), digits=digits)
    text = str(value)
    return "n/a" if text in ("nan", "None", "") else text


def format_difference(value: object, unit: str = "", *, digits: int = 3) -> str:
    """A difference between two endpoint values with its sign (``+1.2``, ``-0.5``, ``0``); true/false and class
    endpoints have no difference of one run (a cohort's risks do): ``—``.

    Examples
    --------
    >>> format_difference(-0.6123, "1"), format_difference(0.0, "%"), format_difference(False, "true/false")
    ('-0.612', '0', '—')
    """
    if unit in ("true/false", "class") or isinstance(value, (bool, str)) or value is None:
        return "—"
    text = format_number(float(value), digits=digits)  # type: ignore[arg-type]
    return text if text in ("0", "n/a") or text.startswith("-") else "+" + text


def format_nnt(nnt: float, kind: str) -> str:
    """A number needed to treat with its direction; a zero risk difference has none (not "inf").

    Examples
    --------
    >>> format_nnt(12.4, "benefit"), format_nnt(40.0, "harm"), format_nnt(float("inf"), "none")
    ('12.4 to prevent one', '40 to cause one', 'no difference')
    """
    if kind == "none" or not math.isfinite(nnt):
        return "no difference"
    return f"{format_number(nnt)} to {'prevent' if kind == 'benefit' else 'cause'} one"


def endpoint_rows(endpoints: Mapping[str, object]) -> list[tuple[str, str, str, str]]:
    """(endpoint, value, unit, meaning) for each endpoint, in :data:`~crosstalk.model.observables.ENDPOINTS`
    order; endpoints that table does not know come last with an empty meaning."""
    known = [k for k in ENDPOINTS if k in endpoints] + [k for k in endpoints if k not in ENDPOINTS]
    rows = []
    for k in known:
        unit, meaning = ENDPOINTS.get(k, ("", ""))
        rows.append((k, format_value(endpoints[k], unit), pretty_unit(unit), meaning))
    return rows
