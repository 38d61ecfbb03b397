"""Checked input fields: the validation every spec shares, with errors that name the field, the value and what is
allowed (:class:`crosstalk.errors.InputError`)."""

from __future__ import annotations

import difflib
import math
import tomllib
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from crosstalk.errors import InputError

__all__ = ["FrozenMapping", "check_choice", "check_keys", "check_number", "check_text", "did_you_mean",
           "read_toml_spec"]


class FrozenMapping(dict[str, float]):
    """An immutable, picklable dict (parameter overrides of a frozen scenario)."""

    def _immutable(self, *args: Any, **kwargs: Any) -> None:
        raise TypeError("scenario parameters are immutable; use dataclasses.replace or apply_values")

    __setitem__ = __delitem__ = clear = pop = popitem = setdefault = update = _immutable  # type: ignore[assignment]

    # pickle rebuilds from a plain dict instead of item assignment
    def __reduce__(self) -> tuple[type[FrozenMapping], tuple[dict[str, float]]]:
        return (FrozenMapping, (dict(self),))

    def __hash__(self) -> int:  # type: ignore[override]
        return hash(tuple(sorted(self.items())))


def check_number(field_name: str, value: Any, *, low: float, high: float, low_open: bool = False,
            high_open: bool = False, integer: bool = False, source: str | None = None) -> float:
    """``value`` as a float if it is a finite number in [low, high] (ends open as asked; an integer if asked),
    else an :class:`InputError` naming ``field_name`` and the range.

    Examples
    --------
    >>> check_number("exercise.intensity", 0.65, low=0.0, high=1.0)
    0.65
    >>> check_number("exercise.intensity", 1.7, low=0.0, high=1.0)
    Traceback (most recent call last):
    ...
    crosstalk.errors.InputError: exercise.intensity: got 1.7; allowed: a number in [0, 1]
    """
    lo = "(" if low_open else "["
    hi = ")" if high_open else "]"
    kind = "an integer" if integer else "a number"
    allowed = f"{kind} in {lo}{low:g}, {high:g}{hi}"
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise InputError(field_name, value, allowed, source=source)
    if not math.isfinite(value):
        raise InputError(field_name, value, allowed, source=source)
    if integer and float(value) != int(value):
        raise InputError(field_name, value, allowed, source=source)
    below = value <= low if low_open else value < low
    above = value >= high if high_open else value > high
    if below or above:
        raise InputError(field_name, value, allowed, source=source)
    return float(value)


def check_integer(field_name: str, value: Any, *, low: int | None = None, high: int | None = None,
                  allowed: str | None = None, source: str | None = None) -> int:
    """``value`` if it is an integer (not a bool, not a float such as 3.0) in ``[low, high]``.

    ``allowed`` replaces the generated description of what is allowed in the error message.

    >>> check_integer("n", 64, low=2)
    64
    >>> check_integer("n", 2.0, low=2)
    Traceback (most recent call last):
    crosstalk.errors.InputError: n: got 2.0; allowed: an integer >= 2
    """
    in_range = (low is None or value >= low) and (high is None or value <= high) if isinstance(value, int) else False
    if isinstance(value, bool) or not isinstance(value, int) or not in_range:
        if allowed is None:
            allowed = ("an integer" if low is None and high is None else f"an integer >= {low}" if high is None
                       else f"an integer <= {high}" if low is None else f"an integer in [{low}, {high}]")
        raise InputError(field_name, value, allowed, source=source)
    return value


def did_you_mean(value: object, options: Iterable[str]) -> str:
    """``"did you mean 'x'? "`` for the closest of ``options`` to a mistyped string (difflib's ratio >= 0.8: a
    letter or two off, or the same text in another case), else ``""``; put before the list of what is allowed.

    Examples
    --------
    >>> did_you_mean("sesions_per_week", ["sessions_per_week", "minutes"])
    "did you mean 'sessions_per_week'? "
    >>> did_you_mean("zzz", ["sessions_per_week"])
    ''
    """
    if not isinstance(value, str):
        return ""
    options = list(options)
    folded = {o.lower(): o for o in options}
    near = [folded[value.lower()]] if value.lower() in folded else difflib.get_close_matches(value, options, n=1,
                                                                                                   cutoff=0.8)
    return f"did you mean {near[0]!r}? " if near else ""


def check_choice(field_name: str, value: Any, allowed: tuple[str, ...], *, source: str | None = None) -> str:
    """``value`` if it is one of ``allowed``, else an :class:`InputError` listing them (with "did you mean ...?"
    for a near miss)."""
    if not isinstance(value, str) or value not in allowed:
        raise InputError(field_name, value, did_you_mean(value, allowed) + "one of "
                         + ", ".join(repr(a) for a in allowed), source=source)
    return value


def check_text(field_name: str, value: Any, *, source: str | None = None, empty: bool = False) -> str:
    """``value`` if it is a string (non-empty unless ``empty``), else an :class:`InputError`."""
    if not isinstance(value, str) or (not empty and not value.strip()):
        raise InputError(field_name, value, "a non-empty string" if not empty else "a string", source=source)
    return value


def check_keys(where: str, data: Mapping[str, Any], allowed: set[str], *, source: str | None) -> None:
    """An :class:`InputError` for the first key of ``data`` not in ``allowed`` (named ``where`` + key, with "did
    you mean ...?"), so a misspelt key is never silently ignored."""
    for key in data:
        if key not in allowed:
            raise InputError(f"{where}{key}", data[key], did_you_mean(key, allowed) + "a known key: "
                             + ", ".join(sorted(allowed)), source=source)


def read_toml_spec(path: Path, *, what: str, allowed: set[str],
                   required: tuple[str, ...]) -> tuple[str, dict[str, Any]]:
    """A study spec's text and TOML data, its keys checked: an unreadable file, invalid TOML, an unknown key or a
    missing required one is an InputError naming it and the file."""
    try:
        text = path.read_text(encoding="utf-8")
        data = tomllib.loads(text)
    except OSError as err:
        raise InputError("file", str(path), f"a readable {what} file ({err.strerror})") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as err:
        raise InputError("file", str(path), f"valid TOML ({err})") from None
    check_keys("", data, allowed, source=str(path))
    for key in required:
        if key not in data:
            raise InputError(key, None, "a value (required)", source=str(path))
    return text, data
