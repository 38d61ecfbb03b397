"""Validation: run every calibration target the model covers and report model against literature.

``crosstalk validate --out DIR`` writes ``DIR/validation.csv`` (one row per criterion) and a self-contained
``DIR/validation.html`` (a table and a plot per target). Targets of ``targets.toml`` that are not reproduced by a
simulation are listed with the reason, never hidden.
"""

from __future__ import annotations

import logging
import time
import tomllib
from dataclasses import dataclass
from importlib import resources

import pandas as pd

from crosstalk.calibration import CHECK_MODEL, CHECKS, NOT_SIMULATED, Check
from crosstalk.simulate import Simulator, versions

log = logging.getLogger(__name__)

__all__ = ["Validation", "run_validation"]


@dataclass(frozen=True)
class Validation:
    """All checks, the uncovered targets and provenance."""

    checks: tuple[Check, ...]
    not_simulated: dict[str, str]
    uncovered: tuple[str, ...]
    provenance: dict

    def table(self) -> pd.DataFrame:
        """One row per criterion: target, source, criterion, model value, low, high, passed."""
        rows = []
        for c in self.checks:
            for name, (value, lo, hi) in c.criteria.items():
                rows.append({"target": c.target_id, "criterion": name, "model_value": value, "low": lo, "high": hi,
                             "passed": bool(lo <= value <= hi), "source": c.source, "model": CHECK_MODEL[c.target_id]})
        return pd.DataFrame(rows)

    @property
    def passed(self) -> bool:
        """Every criterion of every covered target within its band."""
        return all(c.passed for c in self.checks)


def run_validation(*, models: tuple[str, ...] | None = None, progress: bool = True) -> Validation:
    """Run every check (on its module, or on ``models`` if given, e.g. ``("crosstalk",)``)."""
    t0 = time.perf_counter()
    sims: dict[str, Simulator] = {}
    checks = []
    for target_id, fn in CHECKS.items():
        model = CHECK_MODEL[target_id]
        if models and model not in models and "crosstalk" in models:
            model = "crosstalk"
        sim = sims.setdefault(model, Simulator(model))
        if progress:
            log.warning("validating %s on %s", target_id, model)
        checks.append(fn(sim))
    targets = tomllib.loads((resources.files("crosstalk.data") / "targets.toml").read_text(encoding="utf-8"))["target"]
    known = set(CHECKS) | set(NOT_SIMULATED)
    uncovered = tuple(t["id"] for t in targets if t["id"] not in known)
    provenance = {"versions": versions(), "wall_time_s": round(time.perf_counter() - t0, 2),
                  "models": {m: s.provenance_hash for m, s in sims.items()}}
    return Validation(tuple(checks), dict(NOT_SIMULATED), uncovered, provenance)
