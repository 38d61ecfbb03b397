"""Paired differences of continuous endpoints between cohorts of the same virtual patients.

When two scenarios run on the same patients (a cohort comparison with one seed), each patient is their own
control: the difference of an endpoint is taken patient by patient, its mean gets a percentile bootstrap interval
over patients, and the fraction of patients better off under the scenario than under the reference says how
widely a mean benefit is shared. Binary outcomes are :mod:`crosstalk.studies.risk`'s.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from crosstalk.inputs import check_integer
from crosstalk.model.observables import ENDPOINTS

__all__ = ["BETTER", "PAIRED_COLUMNS", "paired_differences"]

#: Which direction is better for a patient, per continuous endpoint (others get no fraction better).
BETTER: Mapping[str, str] = {
    "tumour_volume_change_percent": "lower",
    "tumour_volume_final_mm3": "lower",
    "time_to_tumour_doubling_days": "higher",
    "nk_tumour_cells_mean": "higher",
    "lvef_drop_points": "lower",
    "lvef_nadir_percent": "higher",
    "cardiomyocyte_loss_percent": "lower",
    "chf_risk_final": "lower",
}
PAIRED_COLUMNS = ("endpoint", "unit", "scenario", "reference", "n", "mean_a", "mean_b", "mean_difference", "lower95",
                  "upper95", "fraction_better", "better")


def paired_differences(reference: pd.DataFrame, arms: Mapping[str, pd.DataFrame], *, reference_name: str,
                       n_boot: int = 2000, seed: int = 1) -> pd.DataFrame:
    """Mean paired difference (arm minus reference) of every continuous endpoint, with a 95 % bootstrap interval.

    Parameters
    ----------
    reference : DataFrame
        The reference cohort's patients (``CohortResult.patients``: ``patient``, ``failed`` and endpoint columns).
    arms : mapping
        Scenario name -> its cohort's patients (the same patient indices).
    reference_name : str
        Shown in the ``reference`` column.
    n_boot : int
        Bootstrap resamples of patients (100-100000).
    seed : int
        Seed of the resampling.

    Returns
    -------
    DataFrame
        One row per scenario and endpoint: :data:`PAIRED_COLUMNS`. ``mean_a`` is the reference's mean and
        ``mean_b`` the scenario's, over the patients that ran in both; ``fraction_better`` is the share of them
        strictly better off in the direction of :data:`BETTER` (NaN where no direction is defined).

    Examples
    --------
    >>> ref = pd.DataFrame({"patient": [0, 1, 2], "failed": False, "lvef_drop_points": [8.0, 6.0, 10.0]})
    >>> arm = ref.assign(lvef_drop_points=[5.0, 6.5, 7.0])
    >>> row = paired_differences(ref, {"exercise": arm}, reference_name="sedentary", n_boot=100).iloc[0]
    >>> float(row.mean_difference), float(row.fraction_better)
    (-1.8333333333333333, 0.6666666666666666)
    """
    check_integer("n_boot", n_boot, low=100, high=100_000)
    rng = np.random.default_rng(seed)
    rows = []
    for name, arm in arms.items():
        both = reference.merge(arm, on="patient", suffixes=("_a", "_b"))
        ok = ~(both["failed_a"].astype(bool) | both["failed_b"].astype(bool))
        both = both.loc[ok]
        draws = rng.integers(0, len(both), size=(n_boot, len(both))) if len(both) else None
        for endpoint, (unit, _) in ENDPOINTS.items():
            if unit in ("class", "true/false") or f"{endpoint}_a" not in both or f"{endpoint}_b" not in both:
                continue
            a = both[f"{endpoint}_a"].to_numpy(dtype=float)
            b = both[f"{endpoint}_b"].to_numpy(dtype=float)
            keep = np.isfinite(a) & np.isfinite(b)
            diff = b - a
            if draws is None or not keep.any():
                low = high = mean = float("nan")
            else:
                # resample patients, not differences: a patient whose value is NaN in either arm drops out of a draw
                masked = np.where(keep, diff, np.nan)[draws]
                boot = _nanmean_rows(masked)
                mean = float(diff[keep].mean())
                low, high = (float(q) for q in np.nanquantile(boot, [0.025, 0.975]))
            direction = BETTER.get(endpoint, "")
            better = (diff[keep] < 0) if direction == "lower" else (diff[keep] > 0)
            rows.append({
                "endpoint": endpoint, "unit": unit, "scenario": name, "reference": reference_name,
                "n": int(keep.sum()), "mean_a": float(a[keep].mean()) if keep.any() else float("nan"),
                "mean_b": float(b[keep].mean()) if keep.any() else float("nan"), "mean_difference": mean,
                "lower95": low, "upper95": high,
                "fraction_better": float(better.mean()) if direction and keep.any() else float("nan"),
                "better": direction,
            })
    return pd.DataFrame(rows, columns=list(PAIRED_COLUMNS))


def _nanmean_rows(values: np.ndarray) -> np.ndarray:
    """Row means ignoring NaN, NaN for a row without values (no warning)."""
    counts = np.isfinite(values).sum(axis=1)
    sums = np.nansum(values, axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        out: np.ndarray = np.where(counts > 0, sums / np.maximum(counts, 1), np.nan)
    return out
