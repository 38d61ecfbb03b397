"""Known-answer functions for the study engine and the other studies (module-level so worker processes can import
them). The sensitivity ones take ``{"x1": ..., "x2": ..., "x3": ...}`` and return ``{"y": ...}``; the scenario
adapter's tests use them under model names (``ishigami``, ``linear``, ...)."""

from __future__ import annotations

import math
import time

import numpy as np

#: The known-answer functions' own inputs (what the engine's tests call them).
X = ("x1", "x2", "x3")
N_TIMES = 5  # time points of weighted_sum's series (and of the scenario test spec's grid: 1 day at 6 h)


def ishigami_homma(x: dict) -> dict:
    """Ishigami-Homma (a = 7, b = 0.1) on x_i in [-pi, pi]: y."""
    x1, x2, x3 = (x[n] for n in X)
    return {"y": math.sin(x1) + 7.0 * math.sin(x2) ** 2 + 0.1 * x3**4 * math.sin(x1)}


def weighted_sum(x: dict) -> dict:
    """y = 1 x1 + 2 x2 + 3 x3 (x uniform on [0, 1]); a series s@k = w_k x1 + (1 - w_k) x2, w_k = k / 4."""
    x1, x2, x3 = (x[n] for n in X)
    out = {"y": x1 + 2.0 * x2 + 3.0 * x3}
    for k in range(N_TIMES):
        w = k / (N_TIMES - 1)
        out[f"s@{k}"] = w * x1 + (1.0 - w) * x2
    return out


def weighted_sum_failing(x: dict) -> dict:
    """weighted_sum's y, but 'fails' (as a solver would) where x1 > 0.97."""
    if x["x1"] > 0.97:
        raise RuntimeError("CVODE Error: CV_CONV_FAILURE (simulated)")
    return {"y": weighted_sum(x)["y"]}


def constant_and_sum(x: dict) -> dict:
    """An output that does not vary next to one that does."""
    return {"flat": 1.0, "y": weighted_sum(x)["y"]}


# ---- the same functions under a scenario's names, for the scenario adapter (run_sensitivity's evaluate hook), whose
# spec checks range names against the scenario and outputs against the model's endpoints
#: Model parameters standing in for x1..x3.
NAMES = ("k_il6_clearance", "k_il15_clearance", "k_irisin_clearance")


def _own(v: dict) -> dict:
    return dict(zip(X, (v[n] for n in NAMES)))


def ishigami(v: dict) -> dict:
    """ishigami_homma with the model's names: y as ``il6_peak_fold``."""
    return {"il6_peak_fold": ishigami_homma(_own(v))["y"]}


def linear(v: dict) -> dict:
    """weighted_sum with the model's names: y as ``il6_peak_fold``, the series as ``il6_pg_per_ml@k``."""
    out = weighted_sum(_own(v))
    return {"il6_peak_fold": out["y"], **{f"il6_pg_per_ml@{k}": out[f"s@{k}"] for k in range(N_TIMES)}}


def failing(v: dict) -> dict:
    """Linear, but 'fails' (as a CVODE error would) where x1 > threshold."""
    if v[NAMES[0]] > float(v.get("_threshold", 0.97)):
        raise RuntimeError("CVODE Error: CV_CONV_FAILURE (simulated)")
    return {"il6_peak_fold": linear(v)["il6_peak_fold"]}


def failing_often(v: dict) -> dict:
    if v[NAMES[0]] > 0.8:
        raise RuntimeError("CVODE Error: CV_CONV_FAILURE (simulated)")
    return {"il6_peak_fold": linear(v)["il6_peak_fold"]}


def ishigami_slowly(v: dict) -> dict:
    """Ishigami, taking 2 ms (a study long enough to lose a worker in the middle of it)."""
    time.sleep(0.002)
    return ishigami(v)


def square_or_fail(x: float) -> float:
    """x squared; a negative x fails as a solver would (RuntimeError), a NaN as a bad input would (ValueError)."""
    if x != x:
        raise ValueError("not a number")
    if x < 0:
        raise RuntimeError(f"CVODE Error: CV_CONV_FAILURE at x = {x}")
    return x * x


def not_a_run_failure(x: float) -> float:
    """A programming error (TypeError), which must not be mistaken for a failed simulation."""
    raise TypeError("bug")


def zdt1(decisions: dict, patient: dict) -> dict:
    """ZDT1 (Zitzler, Deb & Thiele 2000) in the decisions x1..xn on [0, 1]; Pareto front f2 = 1 - sqrt(f1)."""
    x = [decisions[f"x{i + 1}"] for i in range(len(decisions))]
    g = 1.0 + 9.0 * sum(x[1:]) / (len(x) - 1)
    return {"f1": x[0], "f2": g * (1.0 - math.sqrt(x[0] / g))}


def dose_response(decisions: dict, patient: dict) -> dict:
    """A toy prescription problem over patients: benefit rises with weekly minutes, with a per-patient slope;
    burden is the weekly minutes; sessions and minutes are decisions, modality a category (sedentary care: 0
    sessions, the other decisions None)."""
    weekly = decisions["exercise.sessions_per_week"] * (decisions["exercise.minutes"] or 0.0)
    slope = 1.0 + 0.1 * (patient["patient"] % 5)
    factor = {"aerobic": 1.0, "resistance": 0.8, "hiit": 1.2}[decisions.get("exercise.modality") or "aerobic"]
    return {"lvef_drop_points": 10.0 / (1.0 + factor * slope * weekly / 150.0), "exercise_minutes_total": weekly}


def lucky(decisions: dict, patient: dict) -> dict:
    """A winner's-curse problem: outcome ``f1`` is standard normal noise, a deterministic function of the
    prescription (its minutes) and the patient, so every prescription's true mean is 0 and the search can only
    pick the luckiest on its own patients; ``f2`` is the minutes themselves (no luck involved); ``pid`` is the
    patient's index (which patients were simulated)."""
    x = decisions["exercise.minutes"]
    noise = np.random.default_rng([round(x * 1e9), int(patient["patient"])]).standard_normal()
    return {"f1": float(noise), "f2": float(x), "pid": float(patient["patient"])}


def lucky_failing(decisions: dict, patient: dict) -> dict:
    """lucky, but patient 7's simulation fails (as a solver would) for every prescription."""
    if patient["patient"] == 7:
        raise RuntimeError("CVODE Error: CV_CONV_FAILURE (simulated)")
    return lucky(decisions, patient)


def dose_response_failing(decisions: dict, patient: dict) -> dict:
    """dose_response, but patient 0's simulation fails (as a solver would) at 6 or more sessions a week."""
    if decisions["exercise.sessions_per_week"] >= 6 and patient["patient"] == 0:
        raise RuntimeError("CVODE Error: CV_CONV_FAILURE (simulated)")
    return dose_response(decisions, patient)
