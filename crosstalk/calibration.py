"""Calibration targets: the published protocol of each target as a scenario, and the check of the model against it.

Targets and tolerances come from ``crosstalk/data/targets.toml`` (a verbatim copy of the project's reference
file, with its sources). Each check simulates the published protocol and returns the measured values, the
published values and whether every criterion of the stated tolerance holds. Tests and the fit script
(``models/fits/fit_exercise.py``) use the same functions.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from importlib import resources
from typing import Callable

import numpy as np
import pandas as pd

from crosstalk.scenario import ExerciseRegime, Scenario
from crosstalk.simulate import Simulator

__all__ = ["CHECK_MODEL", "CHECKS", "Check", "Mark", "run_check", "swain_loss", "target"]


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
    """Outcome of one calibration target, with what a report needs to plot it."""

    target_id: str
    source: str
    criteria: dict[str, tuple[float, float, float]] = field(default_factory=dict)
    """criterion -> (model value, low, high)."""
    curves: tuple[tuple[str, np.ndarray, np.ndarray], ...] = ()
    """(label, x, y) model curves."""
    marks: tuple[Mark, ...] = ()
    x_label: str = ""
    y_label: str = ""

    @property
    def passed(self) -> bool:
        """All criteria within their bands."""
        return all(lo <= v <= hi for v, lo, hi in self.criteria.values())

    def describe(self) -> str:
        """One line per criterion, for test failure messages and reports."""
        return "\n".join(
            f"{self.target_id}.{k}: model {v:.4g}, allowed [{lo:.4g}, {hi:.4g}] {'ok' if lo <= v <= hi else 'FAIL'}"
            for k, (v, lo, hi) in self.criteria.items()
        )


def target(target_id: str) -> dict:
    """The entry of ``targets.toml`` with this id."""
    data = tomllib.loads((resources.files("crosstalk.data") / "targets.toml").read_text(encoding="utf-8"))
    for t in data["target"]:
        if t["id"] == target_id:
            return t
    raise KeyError(target_id)


def _at(ts: pd.DataFrame, col: str, t_h: float) -> float:
    return float(np.interp(t_h, ts["time_h"].to_numpy(), ts[col].to_numpy()))


def _bout(name: str, *, hours: float, intensity: float, duration_days: float = 1.0, modality: str = "aerobic",
          step: float = 1.0 / 60.0, parameters: dict | None = None, model: str = "exercise") -> Scenario:
    return Scenario(
        name=name,
        model=model,
        duration_days=duration_days,
        output_step_hours=step,
        exercise=(ExerciseRegime(modality=modality, intensity=intensity, minutes=hours * 60.0, session_days=(0,),
                                 start_hour=1.0),),
        parameters=parameters or {},
    )


START_H = 1.0  # every protocol starts its exercise at 01:00 after an hour of rest


def il6_prolonged_run(sim: Simulator, parameters: dict | None = None) -> Check:
    """2.5 h running at 75% VO2max: IL-6 fold at the end 15-35, peak at or just after the end, < 2x by 6 h."""
    t = target("il6_prolonged_run")
    v = t["values"]
    res = sim.run(_bout("il6-prolonged-run", hours=v["duration_h"], intensity=v["intensity_fraction_vo2max"],
                        parameters=parameters, model=sim.model))
    ts = res.timeseries
    end = START_H + v["duration_h"]
    base = _at(ts, "il6_pg_per_ml", START_H)
    after = ts[ts["time_h"] >= START_H]
    t_peak = float(after["time_h"].iloc[int(after["il6_pg_per_ml"].to_numpy().argmax())])
    il15_fold = _at(ts, "il15_pg_per_ml", end) / _at(ts, "il15_pg_per_ml", START_H)
    th = ts["time_h"].to_numpy() - START_H
    return Check(t["id"], t["source"], {
        "fold_at_end": (_at(ts, "il6_pg_per_ml", end) / base, 15.0, 35.0),
        "peak_delay_after_end_h": (t_peak - end, 0.0, 0.5),
        "fold_6h_after_end": (_at(ts, "il6_pg_per_ml", end + 6.0) / base, 0.0, 2.0),
        "il15_fold_at_end": (il15_fold, 0.9, 1.1),  # IL-15 unchanged in the same protocol
    }, curves=(("IL-6", th, ts["il6_pg_per_ml"].to_numpy() / base),
               ("IL-15", th, ts["il15_pg_per_ml"].to_numpy() / ts["il15_pg_per_ml"].iloc[0])),
        marks=(Mark("end of run", v["duration_h"], v["fold_at_end"], 15.0, 35.0),
               Mark("6 h after", v["duration_h"] + 6.0, 1.0, 0.0, 2.0)),
        x_label="hours from the start of the run", y_label="fold of pre-exercise")


def nk_mobilisation(sim: Simulator, parameters: dict | None = None) -> Check:
    """30 min at 85% VO2max: NK rise 3-8x at the end, nadir < 0.7 within 1-3 h after, 0.9-1.1 at 24 h."""
    t = target("nk_mobilisation")
    res = sim.run(_bout("nk-mobilisation", hours=0.5, intensity=0.85, duration_days=2.0, parameters=parameters,
                        model=sim.model))
    ts = res.timeseries
    end = START_H + 0.5
    base = _at(ts, "nk_blood_per_ul", START_H)
    window = ts[(ts["time_h"] >= end + 1.0) & (ts["time_h"] <= end + 3.0)]
    v = t["values"]
    return Check(t["id"], t["source"], {
        "fold_at_end": (_at(ts, "nk_blood_per_ul", end) / base, 3.0, 8.0),
        "nadir_fraction_1_to_3h": (float(window["nk_blood_per_ul"].min()) / base, 0.0, 0.7),
        "fraction_at_24h": (_at(ts, "nk_blood_per_ul", end + 24.0) / base, 0.9, 1.1),
    }, curves=(("NK cells", ts["time_h"].to_numpy() - end, ts["nk_blood_per_ul"].to_numpy() / base),),
        marks=(Mark("end of exercise", 0.0, v["fold_during"], 3.0, 8.0),
               Mark("nadir 1-3 h", 2.0, v["post_exercise_nadir_fraction_of_baseline"], 0.0, 0.7),
               Mark("24 h", 24.0, 1.0, 0.9, 1.1)),
        x_label="hours from the end of 30 min at 85% VO2max", y_label="fold of pre-exercise")


def epinephrine_exercise(sim: Simulator, parameters: dict | None = None) -> Check:
    """Rest 40 pg/mL; end-of-bout fold within 1.5-20 from 50% to 100% VO2max, rising with intensity and duration."""
    t = target("epinephrine_exercise")
    v = t["values"]
    folds = []
    intensities = (0.5, 0.7, 0.85, 1.0)
    for intensity in intensities:
        ts = sim.run(_bout("epi", hours=0.5, intensity=intensity, parameters=parameters, model=sim.model)).timeseries
        folds.append(_at(ts, "epinephrine_pg_per_ml", START_H + 0.5) / _at(ts, "epinephrine_pg_per_ml", START_H))
    ts_long = sim.run(_bout("epi-long", hours=2.0, intensity=0.7, parameters=parameters, model=sim.model)).timeseries
    rest = _at(ts_long, "epinephrine_pg_per_ml", START_H)
    duration_ratio = _at(ts_long, "epinephrine_pg_per_ml", START_H + 2.0) / _at(ts_long, "epinephrine_pg_per_ml",
                                                                               START_H + 0.5)
    return Check(t["id"], t["source"], {
        "rest_pg_per_ml": (rest, v["rest_pg_per_ml"] * 0.99, v["rest_pg_per_ml"] * 1.01),
        "fold_at_50pct": (folds[0], v["fold_range_low"], v["fold_range_high"]),
        "fold_at_100pct": (folds[-1], v["fold_range_low"], v["fold_range_high"]),
        "min_step_increase_with_intensity": (float(np.min(np.diff(folds))), 1e-6, np.inf),
        "ratio_2h_to_30min_at_70pct": (duration_ratio, 1.0 + 1e-6, np.inf),
    }, curves=(("end of 30-min bout", np.array(intensities), np.array(folds)),),
        marks=(Mark("published range", 0.75, (v["fold_range_low"] + v["fold_range_high"]) / 2,
                    v["fold_range_low"], v["fold_range_high"]),),
        x_label="intensity (fraction of VO2max)", y_label="epinephrine fold of rest")


#: Incremental cycling to exhaustion: 4-min stages from 60% to 100% VO2max (Fruhbeis 2015 protocol, simplified).
CYCLING_STAGES: tuple[float, ...] = (0.6, 0.7, 0.8, 0.9, 1.0)
CYCLING_STAGE_MIN = 4.0


def exev_release_cycling(sim: Simulator, parameters: dict | None = None) -> Check:
    """Incremental cycling: plasma EV fold 2-3.5 at the end, < 1.2x baseline by 90 min after."""
    t = target("exev_release_cycling")
    stage_h = CYCLING_STAGE_MIN / 60.0
    regimes = tuple(
        ExerciseRegime(intensity=i, minutes=CYCLING_STAGE_MIN, session_days=(0,), start_hour=START_H + k * stage_h)
        for k, i in enumerate(CYCLING_STAGES)
    )
    sc = Scenario("exev-cycling", model=sim.model, duration_days=1.0, output_step_hours=1.0 / 60.0,
                  exercise=regimes, parameters=parameters or {})
    ts = sim.run(sc).timeseries
    end = START_H + len(CYCLING_STAGES) * stage_h
    base = _at(ts, "plasma_ev_per_ml", START_H)
    return Check(t["id"], t["source"], {
        "fold_at_end": (_at(ts, "plasma_ev_per_ml", end) / base, 2.0, 3.5),
        "fold_90min_after": (_at(ts, "plasma_ev_per_ml", end + 1.5) / base, 0.0, 1.2),
    }, curves=(("plasma EVs", (ts["time_h"].to_numpy() - end) * 60.0, ts["plasma_ev_per_ml"].to_numpy() / base),),
        marks=(Mark("end of test", 0.0, t["values"]["fold_at_end"], 2.0, 3.5),
               Mark("90 min after", 90.0, 1.0, 0.0, 1.2)),
        x_label="minutes from the end of incremental cycling", y_label="fold of pre-exercise")


def muscle_ev_share(sim: Simulator, parameters: dict | None = None) -> Check:
    """Share of plasma EVs from skeletal muscle at rest: 0.05 (steady over a day without exercise)."""
    t = target("muscle_ev_share")
    ts = sim.run(Scenario("rest", model=sim.model, duration_days=1.0, output_step_hours=1.0,
                          parameters=parameters or {})).timeseries
    share = ts["muscle_ev_fraction"].to_numpy()
    f = t["values"]["fraction"]
    return Check(t["id"], t["source"], {
        "fraction_at_rest": (float(share[0]), f * 0.99, f * 1.01),
        "drift_over_24h": (float(np.ptp(share)), 0.0, 1e-6),
    }, curves=(("muscle share", ts["time_h"].to_numpy(), share),),
        marks=(Mark("review estimate", 12.0, f, f * 0.99, f * 1.01),),
        x_label="hours at rest", y_label="share of plasma EVs from muscle")


def _doxorubicin(dose_mg_m2: float, cycles: int, *, interval_days: float = 21.0, infusion_minutes: float = 15.0,
                 follow_days: float = 21.0, parameters: dict | None = None, model: str = "anthracycline") -> Scenario:
    import warnings

    from crosstalk.scenario import CumulativeDoseWarning, DoseSchedule

    with warnings.catch_warnings():  # the Swain protocols exceed the label cap on purpose
        warnings.simplefilter("ignore", CumulativeDoseWarning)
        return Scenario(
            f"doxorubicin-{dose_mg_m2:g}x{cycles}", model=model,
            duration_days=interval_days * (cycles - 1) + follow_days, output_step_hours=6.0,
            dose=(DoseSchedule("doxorubicin", dose_mg_m2, "mg/m2", interval_days=interval_days, count=cycles,
                               infusion_minutes=infusion_minutes),),
            parameters=parameters or {},
        )


#: Mean LVEF decline after AC 4x60 mg/m2, 3 weeks after the last dose: an assumed calibration point (a small
#: decline of a few points is typical; CTRCD occurs in a minority, e.g. 9% in Cardinale 2015).
AC_LVEF_DECLINE_POINTS = 3.0
AC_LVEF_SOURCE = ("assumed: small mean LVEF decline after AC (cf. Cardinale D et al. (2015) Circulation 131:1981. "
                  "doi:10.1161/CIRCULATIONAHA.114.013777)")

#: Swain protocol: 50 mg/m2 every 3 weeks until the cumulative dose; risk read 3 weeks after the last dose.
SWAIN_DOSE_MG_M2 = 50.0


def ac_lvef_decline(sim: Simulator, parameters: dict | None = None) -> Check:
    """AC regimen 60 mg/m2 q21d x4: a small mean LVEF decline (3 points, band 1-5) and no CTRCD."""
    v = target("ac_regimen")["values"]
    res = sim.run(_doxorubicin(v["dose_mg_per_m2"], v["cycles"], interval_days=v["interval_days"],
                               parameters=parameters, model=sim.model))
    ts = res.timeseries
    return Check("ac_lvef_decline", AC_LVEF_SOURCE, {
        "lvef_drop_points": (res.endpoints["lvef_drop_points"], 1.0, 5.0),
        "ctrcd": (float(res.endpoints["ctrcd"]), 0.0, 0.0),
        "cumulative_mg_per_m2": (res.endpoints["cumulative_doxorubicin_mg_per_m2"], 239.999, 240.001),
    }, curves=(("LVEF", ts["time_h"].to_numpy() / 24.0, ts["lvef_percent"].to_numpy()),),
        marks=(Mark("assumed mean decline", ts["time_h"].iloc[-1] / 24.0, 62.0 - AC_LVEF_DECLINE_POINTS, 57.0, 61.0),),
        x_label="days from the first dose", y_label="LVEF (%)")


def swain_loss(sim: Simulator, cumulative: float, parameters: dict | None = None) -> tuple[float, float]:
    """Cardiomyocyte loss and heart-failure risk 3 weeks after reaching ``cumulative`` mg/m2 (Swain protocol)."""
    res = sim.run(_doxorubicin(SWAIN_DOSE_MG_M2, round(cumulative / SWAIN_DOSE_MG_M2), parameters=parameters,
                               model=sim.model))
    ts = res.timeseries
    return 1.0 - float(ts["cardiomyocyte_viable_fraction"].iloc[-1]), res.endpoints["chf_risk_final"]


def swain_chf_dose_response(sim: Simulator, parameters: dict | None = None) -> Check:
    """Heart-failure risk from the mechanistic state within +/- 0.03 of Swain 2003 at 400 and 700 mg/m2."""
    t = target("swain_chf_dose_response")
    v = t["values"]
    doses = np.arange(100.0, 801.0, 100.0)
    risks = np.array([swain_loss(sim, d, parameters)[1] for d in doses])
    r400, r700 = float(risks[3]), float(risks[6])
    return Check(t["id"], t["source"], {
        "risk_at_400": (r400, v["at_400_mg_per_m2"] - 0.03, v["at_400_mg_per_m2"] + 0.03),
        "risk_at_700": (r700, v["at_700_mg_per_m2"] - 0.03, v["at_700_mg_per_m2"] + 0.03),
    }, curves=(("model (50 mg/m2 q21d)", doses, risks),),
        marks=(Mark("Swain 400", 400.0, v["at_400_mg_per_m2"], v["at_400_mg_per_m2"] - 0.03, v["at_400_mg_per_m2"] + 0.03),
               Mark("Swain 700", 700.0, v["at_700_mg_per_m2"], v["at_700_mg_per_m2"] - 0.03, v["at_700_mg_per_m2"] + 0.03)),
        x_label="cumulative doxorubicin (mg/m2)", y_label="heart-failure probability")


#: Human analogue of voluntary wheel running: aerobic 45 min at 65% VO2max, 5 sessions a week.
WHEEL_RUNNING = ExerciseRegime(modality="aerobic", intensity=0.65, minutes=45.0, sessions_per_week=5, start_hour=8.0)
TUMOUR_WEEKS = 8
#: Pedersen 2016: running reduced tumour growth by about 60%; the benefit is 1 - V_exercise / V_sedentary.
TUMOUR_BENEFIT = 0.6


def tumour_benefit(sim: Simulator, parameters: dict | None = None, *, blockade=None) -> float:
    """1 - final tumour volume with exercise / without, over TUMOUR_WEEKS, no drugs (same blockade in both arms)."""
    from crosstalk.scenario import Blockade

    block = blockade or Blockade()

    def volume(exercise: tuple) -> float:
        sc = Scenario("tumour", model=sim.model, duration_days=7.0 * TUMOUR_WEEKS, output_step_hours=24.0,
                      exercise=exercise, parameters=parameters or {}, blockade=block)
        return sim.run(sc).endpoints["tumour_volume_final_mm3"]

    return 1.0 - volume((WHEEL_RUNNING,)) / volume(())


def exercise_tumour_growth(sim: Simulator, parameters: dict | None = None) -> Check:
    """Exercise slows tumour growth (benefit ~0.6); beta-blockade, IL-6 blockade and NK depletion each remove
    most of it (less than half of the benefit left)."""
    from crosstalk.scenario import Blockade

    t = target("exercise_tumour_growth")
    benefit = tumour_benefit(sim, parameters)
    criteria = {"benefit": (benefit, 0.3, 0.9)}
    names = ("beta_adrenergic", "il6", "nk_depletion")
    for name in names:
        left = tumour_benefit(sim, parameters, blockade=Blockade(**{name: True})) / benefit
        criteria[f"benefit_left_with_{name}_blockade"] = (left, -np.inf, 0.5)
    xs = np.arange(len(names) + 1, dtype=float)
    ys = np.array([benefit] + [criteria[f"benefit_left_with_{n}_blockade"][0] * benefit for n in names])
    return Check(t["id"], t["source"], criteria,
                 curves=(("benefit: none, beta, IL-6, NK-depleted", xs, ys),),
                 marks=(Mark("Pedersen ~60%", 0.0, TUMOUR_BENEFIT, 0.3, 0.9),
                        *(Mark(f"{n}: < half", x, benefit * 0.25, -0.05, benefit * 0.5)
                          for n, x in zip(names, xs[1:]))),
                 x_label="0 no blockade, 1 beta-blockade, 2 IL-6 blockade, 3 NK depletion",
                 y_label="1 - V(exercise) / V(sedentary), 8 weeks")


#: Human analogue of the rat protocol: AC 4x60 mg/m2 q21d with wheel-running-like exercise from the first dose.
CARDIO_EXEV_SHARE = 0.4  # assumed share of the protection carried by ExEVs (Bei 2017); sets the blocked ratio


def cardioprotection_ratios(sim: Simulator, parameters: dict | None = None,
                            *, exev_blocked: bool = False) -> tuple[float, float]:
    """LVEF decline with exercise / sedentary at 10 and 16 weeks after the first AC dose."""
    from crosstalk.scenario import Blockade, DoseSchedule

    v = target("ac_regimen")["values"]
    ac = (DoseSchedule("doxorubicin", v["dose_mg_per_m2"], "mg/m2", interval_days=v["interval_days"],
                       count=v["cycles"], infusion_minutes=15.0),)

    def decline(exercise: tuple) -> np.ndarray:
        sc = Scenario("cardio", model=sim.model, duration_days=112.0, output_step_hours=24.0, dose=ac,
                      exercise=exercise, parameters=parameters or {}, blockade=Blockade(exev_release=exev_blocked))
        ts = sim.run(sc).timeseries
        lvef = ts["lvef_percent"].to_numpy()
        return np.array([lvef[0] - np.interp(w * 7 * 24.0, ts["time_h"], lvef) for w in (10, 16)])

    r = decline((WHEEL_RUNNING,)) / decline(())
    return float(r[0]), float(r[1])


def exercise_cardioprotection_rat(sim: Simulator, parameters: dict | None = None) -> Check:
    """Concurrent exercise keeps the decline of cardiac function at 0.3-0.6 of sedentary (10 and 16 weeks);
    blocking ExEV release shrinks the protection."""
    t = target("exercise_cardioprotection_rat")
    r10, r16 = cardioprotection_ratios(sim, parameters)
    b10, b16 = cardioprotection_ratios(sim, parameters, exev_blocked=True)
    return Check(t["id"], t["source"], {
        "ratio_10_weeks": (r10, 0.3, 0.6),
        "ratio_16_weeks": (r16, 0.3, 0.6),
        "protection_lost_with_exev_blockade": (b10 - r10, 1e-3, np.inf),
    }, curves=(("exercise", np.array([10.0, 16.0]), np.array([r10, r16])),
               ("exercise, ExEV release blocked", np.array([10.0, 16.0]), np.array([b10, b16]))),
        marks=(Mark("rat 10 wk (0.11/0.25)", 10.0, 0.44, 0.3, 0.6), Mark("rat 16 wk (0.07/0.18)", 16.0, 0.39, 0.3, 0.6)),
        x_label="weeks from the first AC dose", y_label="LVEF decline, exercise / sedentary")


def kuznetsov_1994(sim: Simulator, parameters: dict | None = None) -> Check:
    """NK, checkpoint and drugs off: tumour and effector cells equal BIOMD0000000762 (as published) within 1%."""
    import roadrunner

    from crosstalk.scenario import Patient

    t = target("kuznetsov_1994")
    off = {"nk_kill_on": 0.0, "checkpoint_active": 0.0, **(parameters or {})}
    if sim.model == "immune":
        off["nk_blood_input"] = 0.0
    sc = Scenario("kuznetsov", model=sim.model, duration_days=100, output_step_hours=24.0,
                  patient=Patient(tumour_cells=t["values"]["T0_cells"]), parameters=off)
    ours = sim.run(sc).timeseries
    ref = roadrunner.RoadRunner(str(resources.files("crosstalk.data") / "BIOMD0000000762.xml"))
    ref.integrator.relative_tolerance = 1e-10
    out = np.asarray(ref.simulate(0, 100, 101, selections=["time", "[E]", "[T]"]))
    rel_t = float(np.max(np.abs(ours["tumour_cells"].to_numpy() - out[:, 2]) / out[:, 2]))
    rel_e = float(np.max(np.abs(ours["cd8_tumour_cells"].to_numpy() - out[:, 1]) / out[:, 1]))
    days = out[:, 0]
    return Check(t["id"], t["source"], {
        "max_relative_error_tumour": (rel_t, 0.0, 0.01),
        "max_relative_error_effector": (rel_e, 0.0, 0.01),
    }, curves=(("crosstalk tumour cells", days, ours["tumour_cells"].to_numpy()),
               ("crosstalk effector cells", days, ours["cd8_tumour_cells"].to_numpy())),
        marks=tuple(Mark("BIOMD0000000762" if k == 0 else "", float(days[k]), float(out[k, 2]), float(out[k, 2]) * 0.99,
                         float(out[k, 2]) * 1.01) for k in range(0, 101, 10)),
        x_label="days", y_label="cells")


def pembrolizumab_pk(sim: Simulator, parameters: dict | None = None) -> Check:
    """Terminal half-life of a 200 mg dose equals ln2 / beta of the two-compartment parameters (reference weight)."""
    import math

    from crosstalk.parameters import parameter_ids
    from crosstalk.scenario import DoseSchedule, Patient

    t = target("pembrolizumab_pk")
    p = {k: v.value for k, v in parameter_ids(sim.model).items()}
    k10 = p["pembrolizumab_cl_l_per_day"] / p["pembrolizumab_vc_l"]
    k12 = p["pembrolizumab_q_l_per_day"] / p["pembrolizumab_vc_l"]
    k21 = p["pembrolizumab_q_l_per_day"] / p["pembrolizumab_vp_l"]
    beta = 0.5 * (k10 + k12 + k21 - math.sqrt((k10 + k12 + k21) ** 2 - 4 * k10 * k21))
    sc = Scenario("pembro-pk", model=sim.model, duration_days=126, output_step_hours=24.0,
                  patient=Patient(weight_kg=p["pembrolizumab_reference_weight_kg"]), parameters=parameters or {},
                  dose=(DoseSchedule("pembrolizumab", t["values"]["dose_mg"], "mg", count=1),))
    ts = sim.run(sc).timeseries
    late = ts[ts["time_h"] >= 60 * 24]
    slope = -np.polyfit(late["time_h"] / 24.0, np.log(late["pembrolizumab_plasma_ug_per_ml"]), 1)[0]
    expected = math.log(2) / beta
    return Check(t["id"], t["source"], {
        "terminal_half_life_days": (math.log(2) / slope, expected * 0.999, expected * 1.001),
    }, curves=(("plasma pembrolizumab", ts["time_h"].to_numpy() / 24.0, ts["pembrolizumab_plasma_ug_per_ml"].to_numpy()),),
        x_label="days after 200 mg", y_label="ug/mL")


def dox_pk_3cmt(sim: Simulator, parameters: dict | None = None) -> Check:
    """AUC(0-inf) of a 60 mg/m2, 15-min infusion equals dose / CL (known answer)."""
    from crosstalk.parameters import parameter_ids
    from crosstalk.scenario import DoseSchedule

    t = target("dox_pk_3cmt")
    cl = parameter_ids(sim.model)["dox_cl_l_per_h"].value
    sc = Scenario("dox-pk", model=sim.model, duration_days=30, output_step_hours=0.01, parameters=parameters or {},
                  dose=(DoseSchedule("doxorubicin", 60.0, "mg/m2", count=1, infusion_minutes=15.0),))
    ts = sim.run(sc).timeseries
    tt, c = ts["time_h"].to_numpy(), ts["doxorubicin_plasma_ng_per_ml"].to_numpy()
    k = -np.polyfit(tt[-5000:], np.log(c[-5000:]), 1)[0]
    auc = float(np.trapezoid(c, tt) + c[-1] / k)
    expected = 60.0 * sc.patient.body_surface_area_m2 * 1e6 / (cl * 1000.0)
    keep = tt <= 96
    return Check(t["id"], t["source"], {
        "auc_ng_h_per_ml": (auc, expected * 0.998, expected * 1.002),
    }, curves=(("plasma doxorubicin", tt[keep], c[keep]),), x_label="hours after 60 mg/m2", y_label="ng/mL")


CHECKS: dict[str, Callable[..., Check]] = {
    "il6_prolonged_run": il6_prolonged_run,
    "nk_mobilisation": nk_mobilisation,
    "epinephrine_exercise": epinephrine_exercise,
    "exev_release_cycling": exev_release_cycling,
    "muscle_ev_share": muscle_ev_share,
    "ac_lvef_decline": ac_lvef_decline,
    "swain_chf_dose_response": swain_chf_dose_response,
    "exercise_tumour_growth": exercise_tumour_growth,
    "exercise_cardioprotection_rat": exercise_cardioprotection_rat,
    "kuznetsov_1994": kuznetsov_1994,
    "pembrolizumab_pk": pembrolizumab_pk,
    "dox_pk_3cmt": dox_pk_3cmt,
}

#: The model each check runs on (as modules; the composed model reruns all of them).
CHECK_MODEL: dict[str, str] = {
    "il6_prolonged_run": "exercise",
    "nk_mobilisation": "exercise",
    "epinephrine_exercise": "exercise",
    "exev_release_cycling": "exercise",
    "muscle_ev_share": "exercise",
    "ac_lvef_decline": "anthracycline",
    "swain_chf_dose_response": "anthracycline",
    "exercise_tumour_growth": "crosstalk",
    "exercise_cardioprotection_rat": "crosstalk",
    "kuznetsov_1994": "immune",
    "pembrolizumab_pk": "immune",
    "dox_pk_3cmt": "anthracycline",
}

#: Targets that are not reproduced by a simulation, and what the model does with them.
NOT_SIMULATED: dict[str, str] = {
    "ac_regimen": "scenario input (dose, interval, cycles), not a fit target",
    "ctrcd_definition": "defines the ctrcd endpoint (drop > 10 points to < 53%; tested in tests/test_anthracycline.py)",
    "pd1_binding": "parameter values of the checkpoint (Kd, Hill, half-maximal density); not separately reproduced",
    "dox_cardiotoxicity_mechanism": "guides the structure (slowly repaired mitochondrial damage); no number to fit",
}


def run_check(target_id: str, sim: Simulator | None = None, parameters: dict | None = None) -> Check:
    """Run the check of ``target_id`` (building a Simulator for its model if none is given)."""
    return CHECKS[target_id](sim or Simulator(CHECK_MODEL[target_id]), parameters)
