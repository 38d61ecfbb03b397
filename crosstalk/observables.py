"""Observable and endpoint definitions: name, unit, meaning (contract names: extend, never rename).

Observables are SBML assignment-rule parameters of the same id, so an exported model carries them.
Endpoints are computed here from a simulated trajectory.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

__all__ = ["Observable", "OBSERVABLES", "ENDPOINTS", "observables_for", "compute_endpoints"]


@dataclass(frozen=True)
class Observable:
    """A model output: ``name`` is its SBML id and its column in ``timeseries.csv``."""

    name: str
    unit: str
    description: str
    module: str
    log_scale: bool = False


OBSERVABLES: tuple[Observable, ...] = (
    Observable("epinephrine_pg_per_ml", "pg/mL", "plasma epinephrine", "exercise"),
    Observable("il6_pg_per_ml", "pg/mL", "plasma IL-6", "exercise"),
    Observable("il15_pg_per_ml", "pg/mL", "plasma IL-15", "exercise"),
    Observable("irisin_ng_per_ml", "ng/mL", "plasma irisin", "exercise"),
    Observable("sparc_ng_per_ml", "ng/mL", "plasma SPARC", "exercise"),
    Observable("plasma_ev_per_ml", "particles/mL", "plasma small EVs (background + ExEVs)", "exercise"),
    Observable("exev_per_ml", "particles/mL", "exercise-released small EVs (ExEVs)", "exercise"),
    Observable("muscle_ev_fraction", "1", "share of plasma EVs from skeletal muscle", "exercise"),
    Observable("nk_blood_per_ul", "cells/uL", "circulating NK cells", "exercise"),
)

#: Endpoint name -> (unit, meaning). Folds are relative to the value just before the first session.
ENDPOINTS: dict[str, tuple[str, str]] = {
    "il6_peak_fold": ("1", "peak plasma IL-6 after the first session start / pre-exercise value"),
    "plasma_ev_peak_fold": ("1", "peak plasma EV concentration / pre-exercise value"),
    "nk_blood_peak_fold": ("1", "peak circulating NK count / pre-exercise value"),
    "nk_blood_nadir_fold": ("1", "lowest circulating NK count after the first session ends / pre-exercise value"),
    "epinephrine_peak_fold": ("1", "peak plasma epinephrine / pre-exercise value"),
    "exercise_minutes_total": ("min", "total minutes of exercise performed"),
    "exercise_sessions_total": ("1", "number of sessions performed"),
}


def observables_for(module: str) -> tuple[Observable, ...]:
    """Observables a model provides (the composed model will provide all)."""
    return tuple(o for o in OBSERVABLES if o.module == module)


def compute_endpoints(traj: pd.DataFrame, *, first_start_h: float | None, first_end_h: float | None,
                      minutes_total: float, sessions_total: int) -> dict[str, float]:
    """Endpoints of one trajectory.

    Parameters
    ----------
    traj : DataFrame
        Column ``time_h`` plus observables, sampled at the output grid *and* every schedule breakpoint, so that
        peaks at the end of a bout are not missed by a coarse output grid.
    first_start_h, first_end_h : float or None
        Start and end of the first session (None when there is no exercise: folds are then 1).
    """
    t = traj["time_h"].to_numpy()
    out: dict[str, float] = {
        "exercise_minutes_total": float(minutes_total),
        "exercise_sessions_total": float(sessions_total),
    }

    def fold(col: str, how: str) -> float:
        y = traj[col].to_numpy()
        if first_start_h is None:
            return 1.0
        pre_idx = np.searchsorted(t, first_start_h, side="right") - 1
        pre = y[max(pre_idx, 0)]
        after = y[t >= (first_start_h if how == "max" else first_end_h)]
        if after.size == 0 or pre <= 0:
            return float("nan")
        return float((after.max() if how == "max" else after.min()) / pre)

    out["il6_peak_fold"] = fold("il6_pg_per_ml", "max")
    out["plasma_ev_peak_fold"] = fold("plasma_ev_per_ml", "max")
    out["nk_blood_peak_fold"] = fold("nk_blood_per_ul", "max")
    out["nk_blood_nadir_fold"] = fold("nk_blood_per_ul", "min")
    out["epinephrine_peak_fold"] = fold("epinephrine_pg_per_ml", "max")
    return out
