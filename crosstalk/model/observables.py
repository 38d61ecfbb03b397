"""Observable and endpoint definitions: name, unit, meaning (contract names: extend, never rename).

Observables are declared in each model's manifest (see :mod:`crosstalk.model.registry`) and are SBML assignment-rule
parameters of the same id, so an exported model carries them.
Endpoints are computed here from a simulated trajectory.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from crosstalk.model.registry import Observable, model_info, model_names

__all__ = ["CTRCD_CARDINALE_THRESHOLD_PERCENT", "CTRCD_DROP_POINTS", "CTRCD_THRESHOLD_PERCENT", "DEPRECATED_ENDPOINTS",
           "ENDPOINTS",
           "HEART_FAILURE_LVEF_PERCENT",
           "OBSERVABLES", "Observable", "compute_endpoints", "observables_for", "response_class"]


def _all_observables() -> tuple[Observable, ...]:
    seen: dict[str, Observable] = {}
    for model in model_names():
        for o in model_info(model).observables:
            seen.setdefault(o.name, o)
    return tuple(seen.values())


#: Every observable of every model (declared in the models' manifests), in display order.
OBSERVABLES: tuple[Observable, ...] = _all_observables()

#: CTRCD: LVEF drop of more than 10 points to below 53% (Plana 2014; targets.toml ctrcd_definition).
CTRCD_DROP_POINTS = 10.0
CTRCD_THRESHOLD_PERCENT = 53.0
#: Cardinale 2015's definition (Circulation 131:1981): a drop of more than 10 points to below 50%.
CTRCD_CARDINALE_THRESHOLD_PERCENT = 50.0
#: Heart failure as a per-patient event on the model's state: LVEF below 40 %, the ESC 2022 cardio-oncology
#: guideline's severe CTRCD (Lyon AR et al. (2022) Eur Heart J 43:4229, doi:10.1093/eurheartj/ehac244) and the
#: heart-failure-with-reduced-EF range. Clinical heart failure is a diagnosis, not an LVEF (Swain 2003: LVEF is not
#: an accurate predictor of CHF); this is the model's proxy, the default of the anthracycline model's
#: ``heart_failure_lvef_percent``, which uncertainty ensembles draw.
HEART_FAILURE_LVEF_PERCENT = 40.0

#: Endpoint name -> (unit, meaning). Folds are relative to the pre-treatment baseline: the value at the start.
ENDPOINTS: dict[str, tuple[str, str]] = {
    "il6_peak_fold": ("1", "peak plasma IL-6 (from the first session start; without exercise, over the whole "
                            "course) / the value at the start"),
    "plasma_ev_peak_fold": ("1", "peak plasma EV concentration (as il6_peak_fold) / the value at the start"),
    "nk_blood_peak_fold": ("1", "peak circulating NK count (as il6_peak_fold) / the value at the start"),
    "nk_blood_nadir_fold": ("1", "lowest circulating NK count (after the first session ends; without exercise, "
                                  "over the whole course) / the value at the start"),
    "epinephrine_peak_fold": ("1", "peak plasma epinephrine (as il6_peak_fold) / the value at the start"),
    "exercise_minutes_total": ("min", "total minutes of exercise performed"),
    "exercise_sessions_total": ("1", "number of sessions performed"),
    "tumour_volume_change_percent": ("%", "tumour volume at the end (or the scenario's tumour_assessment_day) vs "
                                          "the start"),
    "tumour_volume_final_mm3": ("mm3", "tumour volume at the end (or the scenario's tumour_assessment_day)"),
    "pd1_occupancy_trough": ("1", "lowest PD-1 occupancy after the end of the first pembrolizumab infusion"),
    "lvef_baseline_percent": ("%", "LVEF at the start"),
    "lvef_nadir_percent": ("%", "lowest LVEF"),
    "lvef_drop_points": ("points", "baseline minus nadir LVEF"),
    "ctrcd": ("true/false", "cancer-therapy-related cardiac dysfunction: drop > 10 points to < 53%"),
    "ctrcd_cardinale": ("true/false", "CTRCD as Cardinale 2015 defined it: drop > 10 points to < 50%"),
    "ctrcd_measured": ("true/false", "CTRCD (drop > 10 points to < 53%) as 2D echocardiography sees it: readings with "
                                     "a test-retest error (sd 3.6 points) at baseline, the end of the last cycle "
                                     "and 3, 6, 9, 12 months after the last doxorubicin dose (cohorts only)"),
    "ctrcd_cardinale_measured": ("true/false", "CTRCD with Cardinale 2015's definition (to < 50%) on the same "
                                               "readings: what Cardinale's incidence counts (cohorts only)"),
    "cardiomyocyte_loss_percent": ("%", "the model's cardiac injury at the end, 100 x (1 - viable cardiomyocyte "
                                   "fraction): every heart event follows it, and it varies where LVEF stays within "
                                   "the myocardial reserve; an index on the fitted model's scale, not a measured "
                                   "myocyte loss"),
    "heart_failure": ("true/false", "LVEF below heart_failure_lvef_percent (40 %: ESC 2022 severe CTRCD; an "
                                    "uncertainty ensemble draws 40-48 %) at any time: the model's heart failure"),
    "chf_risk_final": ("1", "Swain 2003 population heart-failure incidence at the final myocyte loss (a population "
                            "curve, not this patient's risk: use heart_failure)"),
    "cumulative_doxorubicin_mg_per_m2": ("mg/m2", "cumulative doxorubicin given"),
    "tumour_response": ("class", "RECIST-like class from the end/start volume as a sphere's diameter change: "
                                 "CR <= -90%, PR <= -30%, PD >= +20%, else SD"),
    "time_to_tumour_doubling_days": ("days", "first time the tumour volume reaches twice its start (NaN: never)"),
    "il6_auc_pg_h_per_ml": ("pg h/mL", "area under plasma IL-6"),
    "exev_auc_particles_h_per_ml": ("particles h/mL", "area under plasma ExEVs"),
    "nk_tumour_cells_mean": ("cells", "time-averaged tumour-resident NK cells (NK infiltration)"),
}

#: Endpoints that will go, with what to use instead (a spec naming one warns, FutureWarning).
DEPRECATED_ENDPOINTS: dict[str, str] = {
    "chf_risk_final": ("chf_risk_final is Swain 2003's population curve read at this patient's myocyte loss, not "
                       "her risk, and disagrees with the calibrated population (0.36 vs 0.23 at 550 mg/m2 before "
                       "the population was refitted); use the heart_failure endpoint of a cohort or the population "
                       "incidences (crosstalk simulate --uncertainty: heart_failure_incidence). It is removed in "
                       "crosstalk 1.0.0"),
}


#: RECIST 1.1 thresholds on the longest diameter, applied to the diameter of a sphere of the tumour volume.
RECIST_PR_DIAMETER = -0.30
RECIST_PD_DIAMETER = 0.20
CR_DIAMETER = -0.90


def response_class(volume_ratio: float) -> str:
    """RECIST-like response from end/start tumour volume (diameter of an equal-volume sphere)."""
    d = max(volume_ratio, 0.0) ** (1.0 / 3.0) - 1.0  # a cleared tumour can be -1e-12 (solver noise)
    if d <= CR_DIAMETER:
        return "CR"
    if d <= RECIST_PR_DIAMETER:
        return "PR"
    if d >= RECIST_PD_DIAMETER:
        return "PD"
    return "SD"


def observables_for(module: str) -> tuple[Observable, ...]:
    """Observables a model provides (a composed model: its submodels' and its own)."""
    return model_info(module).observables


def compute_endpoints(traj: pd.DataFrame, *, first_start_h: float | None, first_end_h: float | None,
                      minutes_total: float, sessions_total: int,
                      first_dose_end_h: dict[str, float] | None = None,
                      tumour_assessment_h: float | None = None,
                      heart_failure_lvef_percent: float = HEART_FAILURE_LVEF_PERCENT) -> dict[str, float | bool | str]:
    """Endpoints of one trajectory.

    Parameters
    ----------
    traj : DataFrame
        Column ``time_h`` plus observables, sampled at the output grid *and* every schedule breakpoint, so that
        peaks at the end of a bout are not missed by a coarse output grid.
    first_start_h, first_end_h : float or None
        Start and end of the first session (None when there is no exercise: peaks and nadirs are then read
        over the whole course).
    first_dose_end_h : dict
        Drug -> end of its first administration (h).
    tumour_assessment_h : float, optional
        Time (h) at which the tumour's volume change, response and final volume are read (default: the end).
    heart_failure_lvef_percent : float
        LVEF (%) below which ``heart_failure`` is counted (the model's ``heart_failure_lvef_percent``).

    Only the endpoints whose observables are in ``traj`` are returned.
    """
    t = traj["time_h"].to_numpy()
    out: dict[str, float | bool | str] = {
        "exercise_minutes_total": float(minutes_total),
        "exercise_sessions_total": float(sessions_total),
    }

    def fold(col: str, how: str) -> float:
        # relative to the pre-treatment baseline (the start), for every scenario: a course without exercise
        # shows what chemotherapy alone does to blood NK cells instead of a fold of 1
        y = traj[col].to_numpy()
        pre = y[0]
        if first_start_h is None:
            after = y
        else:
            after = y[t >= (first_start_h if how == "max" else first_end_h)]
        if after.size == 0 or pre <= 0:
            return float("nan")
        return float((after.max() if how == "max" else after.min()) / pre)

    for name, col, how in (
        ("il6_peak_fold", "il6_pg_per_ml", "max"),
        ("plasma_ev_peak_fold", "plasma_ev_per_ml", "max"),
        ("nk_blood_peak_fold", "nk_blood_per_ul", "max"),
        ("nk_blood_nadir_fold", "nk_blood_per_ul", "min"),
        ("epinephrine_peak_fold", "epinephrine_pg_per_ml", "max"),
    ):
        if col in traj:
            out[name] = fold(col, how)
    if "tumour_volume_mm3" in traj:
        v = traj["tumour_volume_mm3"].to_numpy()
        assessed = float(v[-1]) if tumour_assessment_h is None else float(np.interp(tumour_assessment_h, t, v))
        out["tumour_volume_final_mm3"] = assessed
        out["tumour_volume_change_percent"] = float((assessed / v[0] - 1.0) * 100.0) if v[0] > 0 else float("nan")
        out["tumour_response"] = response_class(assessed / v[0]) if v[0] > 0 else "CR"
        doubled = np.nonzero(v >= 2.0 * v[0])[0]
        out["time_to_tumour_doubling_days"] = float(t[doubled[0]] / 24.0) if doubled.size and v[0] > 0 else float("nan")
    if "nk_tumour_cells" in traj:
        out["nk_tumour_cells_mean"] = float(np.trapezoid(traj["nk_tumour_cells"].to_numpy(), t) / (t[-1] - t[0]))
    if "il6_pg_per_ml" in traj:
        out["il6_auc_pg_h_per_ml"] = float(np.trapezoid(traj["il6_pg_per_ml"].to_numpy(), t))
    if "exev_per_ml" in traj:
        out["exev_auc_particles_h_per_ml"] = float(np.trapezoid(traj["exev_per_ml"].to_numpy(), t))
    if "pd1_occupancy" in traj:
        end = (first_dose_end_h or {}).get("pembrolizumab")
        occ = traj["pd1_occupancy"].to_numpy()
        out["pd1_occupancy_trough"] = float(occ[t >= end].min()) if end is not None and (t >= end).any() else 0.0
    if "lvef_percent" in traj:
        lvef = traj["lvef_percent"].to_numpy()
        base, nadir = float(lvef[0]), float(lvef.min())
        out["lvef_baseline_percent"] = base
        out["lvef_nadir_percent"] = nadir
        out["lvef_drop_points"] = base - nadir
        out["ctrcd"] = bool(base - nadir > CTRCD_DROP_POINTS and nadir < CTRCD_THRESHOLD_PERCENT)
        out["ctrcd_cardinale"] = bool(base - nadir > CTRCD_DROP_POINTS and nadir < CTRCD_CARDINALE_THRESHOLD_PERCENT)
        out["heart_failure"] = bool(nadir < heart_failure_lvef_percent)
    if "cardiomyocyte_viable_fraction" in traj:
        # the loss is irreversible, so the end is its largest value
        out["cardiomyocyte_loss_percent"] = float(100.0 * (1.0 - traj["cardiomyocyte_viable_fraction"].iloc[-1]))
    if "chf_risk" in traj:
        out["chf_risk_final"] = float(traj["chf_risk"].iloc[-1])
    if "cumulative_doxorubicin_mg_per_m2" in traj:
        out["cumulative_doxorubicin_mg_per_m2"] = float(traj["cumulative_doxorubicin_mg_per_m2"].iloc[-1])
    return out
