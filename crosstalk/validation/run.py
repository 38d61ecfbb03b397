"""Run every registered check and account for every target of the reference file."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import pandas as pd

from crosstalk.sim.result import versions
from crosstalk.sim.simulator import Simulator, simulator_for
from crosstalk.validation.checks import CHECKS, NOT_SIMULATED, NOT_YET_MODELLED, Check
from crosstalk.validation.targets import all_targets, band

log = logging.getLogger(__name__)

__all__ = ["Validation", "run_validation"]

#: Columns of :meth:`Validation.table`, one row per criterion.
TABLE_COLUMNS = ("target", "criterion", "model_value", "low", "high", "passed", "unit", "source", "model",
                 "known_deviation")


@dataclass(frozen=True)
class Validation:
    """Every check's outcome, the targets not checked (with why) and provenance.

    Attributes
    ----------
    checks : tuple of Check
        One per registered check, in registration order.
    not_simulated : mapping of str to str
        Targets the model uses without reproducing them by a simulation, and how.
    not_yet_modelled : mapping of str to str
        Targets no model covers yet, with what they wait for.
    uncovered : tuple of str
        Targets in none of the above (should be empty).
    provenance : dict
        Package versions, wall time, the SBML hash of each model run.
    """

    checks: tuple[Check, ...]
    not_simulated: Mapping[str, str]
    not_yet_modelled: Mapping[str, str]
    uncovered: tuple[str, ...]
    provenance: dict[str, Any]

    def table(self) -> pd.DataFrame:
        """One row per criterion: target, criterion, model value, low, high, passed (within the band), unit, source,
        model, and the reason if the criterion is a known deviation (bands.toml ``known_deviation``)."""
        rows = [
            {"target": c.target_id, "criterion": name, "model_value": value, "low": lo, "high": hi,
             "passed": bool(lo <= value <= hi), "unit": band(c.target_id, name).unit, "source": c.source,
             "model": c.model, "known_deviation": c.known_deviations.get(name, "")}
            for c in self.checks for name, (value, lo, hi) in c.criteria.items()
        ]
        return pd.DataFrame(rows, columns=list(TABLE_COLUMNS))

    @property
    def passed(self) -> bool:
        """Every criterion of every check within its band (targets not checked are listed, not judged)."""
        return all(c.passed for c in self.checks)


def run_validation(*, models: tuple[str, ...] | None = None,
                   progress: Callable[[str, str], None] | None = None) -> Validation:
    """Run every registered check, each on its own model.

    Parameters
    ----------
    models : tuple of str, optional
        With ``"crosstalk"`` among them, checks whose model is not listed run on the composed model instead.
    progress : callable, optional
        Called with ``(target_id, model)`` before each check.
    """
    t0 = time.perf_counter()
    sims: dict[str, Simulator] = {}
    checks = []
    for target_id, entry in CHECKS.items():
        model = entry.model
        if models and model not in models and "crosstalk" in models:
            model = "crosstalk"
        sim = sims[model] = simulator_for(model)  # the process's compiled simulator, shared by every check
        log.info("validating %s on %s", target_id, model)
        if progress is not None:
            progress(target_id, model)
        checks.append(entry.run(sim))
    known = set(CHECKS) | set(NOT_SIMULATED) | set(NOT_YET_MODELLED)
    uncovered = tuple(t for t in all_targets() if t not in known)
    provenance = {"versions": versions(), "wall_time_s": round(time.perf_counter() - t0, 2),
                  "models": {m: s.provenance_hash for m, s in sims.items()}}
    return Validation(tuple(checks), NOT_SIMULATED, NOT_YET_MODELLED, uncovered, provenance)
