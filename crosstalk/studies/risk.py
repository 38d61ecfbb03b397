"""What a clinician asks of two cohorts: absolute risk differences, numbers needed to treat, bootstrap intervals.

Outcomes are per-patient events of a cohort's ``endpoints.csv``: ``ctrcd``, ``ctrcd_cardinale``, ``heart_failure``
(harms: fewer is better), and ``tumour_response`` (CR or PR) and ``complete_response`` (benefits). When the two
cohorts are the same virtual patients (same population, ranges and seed: the same sampled values), the bootstrap
resamples patients jointly over those that ran in both arms (a paired comparison: common random numbers, so the
interval is that of the treatment effect, not of sampling two populations); otherwise each cohort is resampled on
its own.

The intervals are **Monte Carlo intervals over the virtual patients**: they shrink as the cohort grows and hold the
model's parameters fixed, so they say how well the cohort estimates the model's own risk difference, not how
uncertain that difference is (parameter and structural uncertainty are for sensitivity studies). Percentile
intervals of a difference of rare events are coarse (with no event in an arm, only the other arm varies).

References
----------
Altman DG (1998) Confidence intervals for the number needed to treat. BMJ 317:1309. doi:10.1136/bmj.317.7168.1309
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import numpy.typing as npt
import pandas as pd

from crosstalk.errors import InputError
from crosstalk.inputs import check_integer
from crosstalk.model.observables import ENDPOINTS
from crosstalk.studies.cohort import RESPONDERS

__all__ = ["BENEFITS", "HARMS", "outcome_flags", "risk_differences"]

#: Events where fewer is better.
HARMS: tuple[str, ...] = ("ctrcd", "ctrcd_cardinale", "ctrcd_measured", "ctrcd_cardinale_measured", "heart_failure")
#: Events where more is better.
BENEFITS: tuple[str, ...] = ("tumour_response", "complete_response")

_COLUMNS = ["outcome", "scenario", "reference", "n", "n_reference", "paired", "risk", "reference_risk",
            "risk_difference", "ci_low", "ci_high", "nnt", "nnt_kind", "nnt_ci"]


def outcome_flags(patients: pd.DataFrame) -> dict[str, npt.NDArray[np.bool_]]:
    """Each outcome this cohort has, as one boolean per patient that ran (failed patients are left out)."""
    ok = ~patients["failed"].astype(bool) if "failed" in patients else pd.Series(True, index=patients.index)
    rows = patients[ok]
    out: dict[str, npt.NDArray[np.bool_]] = {}
    for event in HARMS:
        if event in rows:
            out[event] = rows[event].astype(bool).to_numpy()
    if "tumour_response" in rows:
        out["tumour_response"] = rows["tumour_response"].isin(RESPONDERS).to_numpy()
        out["complete_response"] = (rows["tumour_response"] == "CR").to_numpy()
    return out


def _same_patients(a: pd.DataFrame, b: pd.DataFrame) -> bool:
    """The same virtual patients in the same order: equal sampled values (failed simulations included)."""
    cols = _sampled(a)
    if len(a) != len(b) or not cols or cols != _sampled(b):
        return False
    return all(np.array_equal(a[c].to_numpy(), b[c].to_numpy()) for c in cols)


def _ran(patients: pd.DataFrame) -> npt.NDArray[np.bool_]:
    if "failed" not in patients:
        return np.ones(len(patients), dtype=bool)
    return np.asarray(~patients["failed"].astype(bool).to_numpy(), dtype=bool)


def _sampled(patients: pd.DataFrame) -> list[str]:
    """The sampled columns: those after ``patient`` and before the first endpoint (as run_patients writes them)."""
    out = []
    for c in list(patients.columns)[1:]:
        if c in ENDPOINTS or c == "failed":
            break
        out.append(c)
    return out


def risk_differences(reference: pd.DataFrame, others: Mapping[str, pd.DataFrame], *, reference_name: str,
                     n_boot: int = 2000, seed: int = 0, level: float = 0.95) -> pd.DataFrame:
    """Absolute risk difference (scenario - reference) of every shared outcome, with a percentile bootstrap
    interval over virtual patients and the number needed to treat (or harm).

    Parameters
    ----------
    reference : DataFrame
        The reference cohort's patients (``CohortResult.patients``).
    others : mapping of str to DataFrame
        Scenario name -> its cohort's patients.
    reference_name : str
        The reference's name (a column of the table).
    n_boot : int
        Bootstrap resamples (100-100000).
    seed : int
        Seed of the resampling.
    level : float
        Confidence level of the intervals (0.5-0.999).

    Returns
    -------
    DataFrame
        ``outcome, scenario, reference, n, n_reference, paired, risk, reference_risk, risk_difference, ci_low,
        ci_high, nnt, nnt_kind, nnt_ci`` (``n``: patients used; paired: those that ran in both arms). ``ci_low``,
        ``ci_high``: the Monte Carlo interval (see the module docstring). ``nnt`` = 1 / |risk difference|
        (patients treated per event prevented or caused; inf when the difference is 0); ``nnt_kind`` says
        ``benefit`` or ``harm``; ``nnt_ci`` is the interval of the NNT from that of the difference,
        ``"NNT(benefit) a to inf to NNT(harm) b"`` when the
        difference's interval includes 0 (Altman 1998).
    """
    check_integer("n_boot", n_boot, low=100, high=100_000)
    if not 0.5 <= level <= 0.999:
        raise InputError("level", level, "a confidence level in [0.5, 0.999]")
    rng = np.random.default_rng(seed)
    alpha = (1.0 - level) / 2.0
    rows: list[dict[str, object]] = []
    for name, patients in others.items():
        paired = _same_patients(reference, patients)
        if paired:  # the patients that ran in both arms
            both = _ran(reference) & _ran(patients)
            ref_flags = outcome_flags(reference.assign(failed=~both))
            flags = outcome_flags(patients.assign(failed=~both))
        else:
            ref_flags, flags = outcome_flags(reference), outcome_flags(patients)
        for outcome in (*HARMS, *BENEFITS):
            if outcome not in flags or outcome not in ref_flags:
                continue
            a, b = flags[outcome].astype(float), ref_flags[outcome].astype(float)
            if not len(a) or not len(b):
                continue
            if paired:
                idx = rng.integers(0, len(a), size=(n_boot, len(a)))
                boot = a[idx].mean(axis=1) - b[idx].mean(axis=1)
            else:
                boot = (a[rng.integers(0, len(a), size=(n_boot, len(a)))].mean(axis=1)
                        - b[rng.integers(0, len(b), size=(n_boot, len(b)))].mean(axis=1))
            diff = float(a.mean() - b.mean())
            lo, hi = (float(q) for q in np.quantile(boot, [alpha, 1.0 - alpha]))
            good = -1.0 if outcome in HARMS else 1.0  # sign of a beneficial difference
            rows.append({
                "outcome": outcome, "scenario": name, "reference": reference_name, "n": len(a), "n_reference": len(b),
                "paired": paired, "risk": float(a.mean()), "reference_risk": float(b.mean()),
                "risk_difference": diff, "ci_low": lo, "ci_high": hi,
                "nnt": float(1.0 / abs(diff)) if diff != 0 else float("inf"),
                "nnt_kind": "none" if diff == 0 else ("benefit" if diff * good > 0 else "harm"),
                "nnt_ci": _nnt_interval(lo, hi, good),
            })
    return pd.DataFrame(rows, columns=_COLUMNS)


def _nnt_interval(lo: float, hi: float, good: float) -> str:
    """Altman's NNT interval from the risk difference's interval (``good``: the sign of a benefit)."""
    def kind(x: float) -> str:
        return "benefit" if x * good > 0 else "harm"

    def nnt(x: float) -> str:
        return f"NNT({kind(x)}) {1 / abs(x):.3g}"

    if lo == 0 and hi == 0:
        return "inf"
    if lo > 0 or hi < 0:  # excludes 0: one kind throughout, from the nearer bound to the farther
        near, far = (lo, hi) if abs(lo) > abs(hi) else (hi, lo)
        return f"{nnt(near)} to {1 / abs(far):.3g}"
    if lo == 0 or hi == 0:  # touches 0: from the other bound to no effect
        return f"{nnt(hi if lo == 0 else lo)} to inf"
    return f"{nnt(lo)} to inf to {nnt(hi)}"
