"""The check a target gets: :class:`Check` (the model's value of each criterion with its band, and what a report
plots), the registry of checks by target id (:func:`register`, :data:`CHECKS`) and :func:`run_check`.

The checks themselves are in the ``checks_*`` modules, grouped by what they test; :mod:`crosstalk.validation.checks`
imports them all (so that every one is registered) and lists the targets no simulation reproduces.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import NamedTuple, Protocol

import numpy as np
import numpy.typing as npt
import pandas as pd

from crosstalk.errors import CrosstalkError, InputError
from crosstalk.sim.simulator import Simulator, simulator_for
from crosstalk.validation.targets import band, bands_for, target

FloatArray = npt.NDArray[np.float64]


class Curve(NamedTuple):
    """A model curve on a check's plot."""

    label: str
    x: FloatArray
    y: FloatArray


@dataclass(frozen=True)
class Mark:
    """A published value and its acceptance band at ``x`` on a check's plot."""

    label: str
    x: float
    value: float
    low: float
    high: float


@dataclass(frozen=True)
class Check:
    """Outcome of one target's check, with what a report needs to plot it.

    Attributes
    ----------
    target_id, source : str
        The target and its citation.
    model : str
        The model the check ran on.
    criteria : dict of str to (value, low, high)
        The model's value of each criterion and its band (inclusive).
    curves, marks
        Model curves and published points for the plot.
    x_label, y_label : str
        Axis labels of the plot.
    note : str
        What the check does not (yet) cover, shown in the report.
    """

    target_id: str
    source: str
    model: str
    criteria: dict[str, tuple[float, float, float]] = field(default_factory=dict)
    curves: tuple[Curve, ...] = ()
    marks: tuple[Mark, ...] = ()
    x_label: str = ""
    y_label: str = ""
    note: str = ""

    @property
    def known_deviations(self) -> dict[str, str]:
        """Criteria the model is known not to reproduce (bands.toml ``known_deviation``), with the reason."""
        bands = bands_for(self.target_id)
        return {k: str(bands[k].known_deviation) for k in self.criteria
                if k in bands and bands[k].known_deviation is not None}

    @property
    def passed(self) -> bool:
        """All criteria within their bands, except known deviations."""
        known = self.known_deviations
        return all(lo <= v <= hi or k in known for k, (v, lo, hi) in self.criteria.items())

    def value(self, criterion: str) -> float:
        """The model's value of one criterion."""
        return self.criteria[criterion][0]

    def describe(self) -> str:
        """One line per criterion, for test failure messages and reports."""
        known = self.known_deviations

        def verdict(k: str, v: float, lo: float, hi: float) -> str:
            if lo <= v <= hi:
                return "ok"
            return f"KNOWN DEVIATION ({known[k]})" if k in known else "FAIL"

        return "\n".join(f"{self.target_id}.{k}: model {v:.4g}, allowed [{lo:.4g}, {hi:.4g}] {verdict(k, v, lo, hi)}"
                         for k, (v, lo, hi) in self.criteria.items())


class CheckFunction(Protocol):
    """What a registered check is: simulate on ``sim`` (with parameter overrides) and judge."""

    def __call__(self, sim: Simulator, *, parameters: Mapping[str, float] | None = None) -> Check: ...


@dataclass(frozen=True)
class RegisteredCheck:
    """A check in the registry: its target, the model it runs on by default, the function."""

    target_id: str
    model: str
    run: CheckFunction


_REGISTRY: dict[str, RegisteredCheck] = {}

#: Every registered check by target id, in registration order (read-only).
CHECKS: Mapping[str, RegisteredCheck] = MappingProxyType(_REGISTRY)


def register(target_id: str, *, model: str) -> Callable[[CheckFunction], CheckFunction]:
    """Register the decorated function as the check of ``target_id``, run on ``model`` by default."""
    def decorate(fn: CheckFunction) -> CheckFunction:
        if target_id in _REGISTRY:
            raise CrosstalkError(f"a check for {target_id} is already registered")
        target(target_id)  # the target must exist
        _REGISTRY[target_id] = RegisteredCheck(target_id, model, fn)
        return fn
    return decorate


def run_check(target_id: str, sim: Simulator | None = None, *,
              parameters: Mapping[str, float] | None = None) -> Check:
    """Run the check of ``target_id`` on ``sim`` (default: the process's simulator of the check's model)."""
    if target_id not in _REGISTRY:
        raise InputError("target_id", target_id, f"one of {sorted(_REGISTRY)}")
    entry = _REGISTRY[target_id]
    return entry.run(sim or simulator_for(entry.model), parameters=parameters)


def _judge(target_id: str, measured: Mapping[str, float],
           known: Mapping[str, float] | None = None) -> dict[str, tuple[float, float, float]]:
    """Criteria ``name -> (value, low, high)`` from measured values and the target's bands.

    ``known`` gives the run-time known answer of each band that is a tolerance around one.
    """
    bands = bands_for(target_id)
    if set(bands) != set(measured):  # a check and bands.toml out of step: a bug, not a failed validation
        raise CrosstalkError(f"{target_id}: criteria {sorted(measured)} but bands.toml has {sorted(bands)}")
    known = known or {}
    return {name: (float(v), *bands[name].limits(known.get(name))) for name, v in measured.items()}


def _mark(label: str, x: float, target_id: str, criterion: str) -> Mark:
    """A plot mark at ``x`` for a criterion with fixed limits: its central value and band from bands.toml."""
    b = band(target_id, criterion)
    low, high = b.limits()
    if b.value is None:
        raise CrosstalkError(f"bands.toml [{target_id}] {criterion}: a plotted criterion needs a value")
    return Mark(label, x, b.value, low, high)


def _at(ts: pd.DataFrame, col: str, t_h: float) -> float:
    """Column ``col`` of a result's time series at ``t_h`` hours (linear interpolation)."""
    return float(np.interp(t_h, ts["time_h"].to_numpy(), ts[col].to_numpy()))


