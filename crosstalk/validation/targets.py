"""Calibration targets and acceptance bands, read once from the package's data files.

``targets.toml`` is a verbatim copy of the project's shared reference file (published values with their sources;
its SHA-256 is pinned in ``tests/test_validate.py``). ``assumed_targets.toml`` holds the few targets the project
assumed itself, in the same schema. ``bands.toml`` says, for every criterion of every check, how close the model
must come: the numbers of a check live there, not in its code.
"""

from __future__ import annotations

import math
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from importlib import resources
from types import MappingProxyType
from typing import Any

from crosstalk.errors import CrosstalkError, InputError

__all__ = ["Band", "Target", "all_targets", "band", "bands_for", "target"]

#: A value of a target: a number, or a phrase where the source gives no single number.
Value = float | int | str | bool

_BAND_KEYS = frozenset({"low", "high", "reference", "rel_tol", "abs_tol", "value", "fit_tol", "unit", "why",
                        "known_deviation"})


@dataclass(frozen=True)
class Target:
    """One calibration target: a published (or assumed) fact the model should reproduce.

    Attributes
    ----------
    id : str
        Target id, e.g. ``"il6_prolonged_run"``.
    module : str
        The model the target belongs to.
    what : str
        What is measured.
    values : mapping of str to number or str
        The published values, by name.
    source : str
        Citation (``assumed: ...`` for the project's own assumptions).
    context, tolerance : str
        Conditions of the measurement; the tolerance the reference file suggests, in words.
    secondary : bool
        The value was read in a review that cites the primary source.
    assumed : bool
        The target comes from ``assumed_targets.toml``, not from the shared reference file.
    """

    id: str
    module: str
    what: str
    values: Mapping[str, Value]
    source: str
    context: str = ""
    tolerance: str = ""
    secondary: bool = False
    assumed: bool = False

    def number(self, name: str) -> float:
        """The value ``name`` as a float (raises if the target states it in words)."""
        value = self.values[name]
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise CrosstalkError(f"target {self.id}: value {name} is {value!r}, not a number")
        return float(value)

    def integer(self, name: str) -> int:
        """The value ``name`` as an int (raises unless it is a whole number)."""
        value = self.number(name)
        if not value.is_integer():
            raise CrosstalkError(f"target {self.id}: value {name} is {value!r}, not a whole number")
        return int(value)


@dataclass(frozen=True)
class Band:
    """The acceptance band of one criterion of a check.

    Either fixed limits (``low``, ``high``), or a relative (``rel_tol``) or absolute (``abs_tol``) tolerance
    around a known answer the check computes at run time (then ``low`` and ``high`` are ``None``).

    Attributes
    ----------
    target_id, criterion : str
        Where the band belongs.
    unit, why : str
        The criterion's unit; where the band comes from.
    low, high : float or None
        Fixed limits, inclusive (may be infinite).
    rel_tol, abs_tol : float or None
        Tolerance around a known answer computed by the check.
    value : float or None
        The published or assumed central value (plotted; aimed at by the fit scripts).
    fit_tol : float or None
        How closely the fitted model reproduces ``value``.
    known_deviation : str or None
        Why the model does not reproduce this criterion (a limitation stated, not hidden): the criterion is reported
        as a known deviation and does not fail its check; a test asserts that it still deviates.
    """

    target_id: str
    criterion: str
    unit: str
    why: str
    low: float | None = None
    high: float | None = None
    rel_tol: float | None = None
    abs_tol: float | None = None
    value: float | None = None
    fit_tol: float | None = None
    known_deviation: str | None = None

    @property
    def needs_known_answer(self) -> bool:
        """The band is a tolerance around an answer the check computes at run time."""
        return self.low is None

    def limits(self, known: float | None = None) -> tuple[float, float]:
        """``(low, high)``; for a band around a known answer, pass the answer as ``known``."""
        if self.low is not None and self.high is not None:
            if known is not None:
                raise CrosstalkError(f"band {self.target_id}.{self.criterion} has fixed limits; got a known answer")
            return self.low, self.high
        if known is None:
            raise CrosstalkError(f"band {self.target_id}.{self.criterion} is around a known answer; none given")
        return _around(known, rel_tol=self.rel_tol, abs_tol=self.abs_tol)


def _around(reference: float, *, rel_tol: float | None, abs_tol: float | None) -> tuple[float, float]:
    # reference * (1 - rel) rather than a pre-multiplied factor: 1 - 0.01 == 0.99 exactly in binary floating point,
    # so these limits equal the ones the checks used when the factors were written in code.
    if rel_tol is not None:
        return reference * (1.0 - rel_tol), reference * (1.0 + rel_tol)
    assert abs_tol is not None  # guaranteed by _parse_band
    return reference - abs_tol, reference + abs_tol


def _read(name: str) -> dict[str, Any]:
    return tomllib.loads((resources.files("crosstalk.validation") / name).read_text(encoding="utf-8"))


def _target(entry: Mapping[str, Any], *, assumed: bool) -> Target:
    return Target(
        id=str(entry["id"]), module=str(entry["module"]), what=str(entry["what"]),
        values=MappingProxyType(dict(entry.get("values", {}))), source=str(entry["source"]),
        context=str(entry.get("context", "")), tolerance=str(entry.get("tolerance", "")),
        secondary=bool(entry.get("secondary", False)), assumed=assumed,
    )


@cache
def _targets() -> Mapping[str, Target]:
    out: dict[str, Target] = {}
    for name, assumed in (("targets.toml", False), ("project_targets.toml", False), ("assumed_targets.toml", True)):
        for entry in _read(name)["target"]:
            t = _target(entry, assumed=assumed)
            if t.id in out:
                raise CrosstalkError(f"target {t.id} is defined twice ({name})")
            out[t.id] = t
    return MappingProxyType(out)


def all_targets() -> Mapping[str, Target]:
    """Every target by id: the shared reference file's, in its order, then the project's sourced ones
    (``project_targets.toml``), then the assumed ones."""
    return _targets()


def target(target_id: str) -> Target:
    """The target with this id."""
    try:
        return _targets()[target_id]
    except KeyError:
        raise InputError("target_id", target_id, f"one of {sorted(_targets())}") from None


def _number_or_value(t: Target, where: str, spec: object) -> float:
    """A band field: a number, or the name of a value of the target."""
    if isinstance(spec, str):
        if spec not in t.values:
            raise CrosstalkError(f"bands.toml {where}: target {t.id} has no value {spec!r}")
        return t.number(spec)
    if isinstance(spec, bool) or not isinstance(spec, (int, float)):
        raise CrosstalkError(f"bands.toml {where}: {spec!r} is neither a number nor a value name")
    return float(spec)


def _parse_band(t: Target, criterion: str, spec: Mapping[str, Any]) -> Band:
    where = f"[{t.id}] {criterion}"
    unknown = set(spec) - _BAND_KEYS
    if unknown:
        raise CrosstalkError(f"bands.toml {where}: unknown keys {sorted(unknown)}")
    if not spec.get("unit") or not spec.get("why"):
        raise CrosstalkError(f"bands.toml {where}: unit and why are required")
    tolerances = [k for k in ("rel_tol", "abs_tol") if k in spec]
    fixed = "low" in spec or "high" in spec
    if (fixed and ("reference" in spec or tolerances)) or (not fixed and len(tolerances) != 1):
        raise CrosstalkError(f"bands.toml {where}: give low and high, or reference with one tolerance, "
                             "or one tolerance alone (around a known answer)")
    rel = _number_or_value(t, where, spec["rel_tol"]) if "rel_tol" in spec else None
    abs_ = _number_or_value(t, where, spec["abs_tol"]) if "abs_tol" in spec else None
    value = _number_or_value(t, where, spec["value"]) if "value" in spec else None
    fit_tol = _number_or_value(t, where, spec["fit_tol"]) if "fit_tol" in spec else None
    low: float | None
    high: float | None
    if "reference" in spec:
        reference = _number_or_value(t, where, spec["reference"])
        low, high = _around(reference, rel_tol=rel, abs_tol=abs_)
        value = reference if value is None else value
        rel = abs_ = None  # resolved into the limits
    elif fixed:
        if "low" not in spec or "high" not in spec:
            raise CrosstalkError(f"bands.toml {where}: give both low and high")
        low, high = _number_or_value(t, where, spec["low"]), _number_or_value(t, where, spec["high"])
    else:
        low = high = None
    if low is not None and high is not None and (math.isnan(low) or math.isnan(high) or low > high):
        raise CrosstalkError(f"bands.toml {where}: low {low} must not exceed high {high}")
    return Band(t.id, criterion, unit=str(spec["unit"]), why=str(spec["why"]), low=low, high=high, rel_tol=rel,
                abs_tol=abs_, value=value, fit_tol=fit_tol,
                known_deviation=str(spec["known_deviation"]) if "known_deviation" in spec else None)


@cache
def _bands() -> Mapping[str, Mapping[str, Band]]:
    out: dict[str, Mapping[str, Band]] = {}
    for target_id, criteria in _read("bands.toml").items():
        if target_id not in _targets():
            raise CrosstalkError(f"bands.toml: [{target_id}] is not a target of targets.toml or assumed_targets.toml")
        t = _targets()[target_id]
        out[target_id] = MappingProxyType({name: _parse_band(t, name, spec) for name, spec in criteria.items()})
    return MappingProxyType(out)


def bands_for(target_id: str) -> Mapping[str, Band]:
    """The bands of a target's criteria, by criterion (empty if the target has no check)."""
    return _bands().get(target_id, MappingProxyType({}))


def band(target_id: str, criterion: str) -> Band:
    """The band of one criterion."""
    try:
        return _bands()[target_id][criterion]
    except KeyError:
        raise InputError("criterion", f"{target_id}.{criterion}", "a criterion listed in bands.toml") from None
