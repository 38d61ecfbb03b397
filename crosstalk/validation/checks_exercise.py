"""Checks of exercise: the acute responses of the exercise module (human) and what training does through the
composed model (tumour growth, rat cardioprotection, cardiac antioxidants).
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import numpy.typing as npt

from crosstalk.sim.simulator import Simulator
from crosstalk.spec.scenario import Blockade, ExerciseRegime, Scenario
from crosstalk.validation.check import Check, Curve, Mark, _at, _judge, _mark, register
from crosstalk.validation.protocols import (
    RAT_WHEEL_RUNNING,
    START_H,
    cardioprotection_ratios,
    exercise_bout,
    incremental_cycling,
    tumour_benefit,
)
from crosstalk.validation.targets import band, target

FloatArray = npt.NDArray[np.float64]


# ------------------------------------------------------------------------------------------ exercise (human)
@register("il6_prolonged_run", model="exercise")
def il6_prolonged_run(sim: Simulator, *, parameters: Mapping[str, float] | None = None) -> Check:
    """2.5 h running at 75% VO2max: IL-6 fold at the end, timing of the peak, return by 6 h, IL-15 unchanged."""
    t = target("il6_prolonged_run")
    hours = t.number("duration_h")
    res = sim.run(exercise_bout("il6-prolonged-run", hours=hours, intensity=t.number("intensity_fraction_vo2max"),
                                parameters=parameters, model=sim.model))
    ts = res.timeseries
    end = START_H + hours
    base = _at(ts, "il6_pg_per_ml", START_H)
    after = ts[ts["time_h"] >= START_H]
    t_peak = float(after["time_h"].iloc[int(after["il6_pg_per_ml"].to_numpy().argmax())])
    il15_fold = _at(ts, "il15_pg_per_ml", end) / _at(ts, "il15_pg_per_ml", START_H)
    th = ts["time_h"].to_numpy() - START_H
    return Check(t.id, t.source, sim.model, _judge(t.id, {
        "fold_at_end": _at(ts, "il6_pg_per_ml", end) / base,
        "peak_delay_after_end_h": t_peak - end,
        "fold_6h_after_end": _at(ts, "il6_pg_per_ml", end + 6.0) / base,
        "il15_fold_at_end": il15_fold,
    }), curves=(Curve("IL-6", th, ts["il6_pg_per_ml"].to_numpy() / base),
                Curve("IL-15", th, ts["il15_pg_per_ml"].to_numpy() / ts["il15_pg_per_ml"].iloc[0])),
        marks=(_mark("end of run", hours, t.id, "fold_at_end"),
               _mark("6 h after", hours + 6.0, t.id, "fold_6h_after_end")),
        x_label="hours from the start of the run", y_label="fold of pre-exercise")


@register("nk_mobilisation", model="exercise")
def nk_mobilisation(sim: Simulator, *, parameters: Mapping[str, float] | None = None) -> Check:
    """30 min at 85% VO2max: NK rise at the end, nadir 1-3 h after, recovery by 24 h."""
    t = target("nk_mobilisation")
    res = sim.run(exercise_bout("nk-mobilisation", hours=0.5, intensity=0.85, duration_days=2.0,
                                parameters=parameters, model=sim.model))
    ts = res.timeseries
    end = START_H + 0.5
    base = _at(ts, "nk_blood_per_ul", START_H)
    window = ts[(ts["time_h"] >= end + 1.0) & (ts["time_h"] <= end + 3.0)]
    return Check(t.id, t.source, sim.model, _judge(t.id, {
        "fold_at_end": _at(ts, "nk_blood_per_ul", end) / base,
        "nadir_fraction_1_to_3h": float(window["nk_blood_per_ul"].min()) / base,
        "fraction_at_24h": _at(ts, "nk_blood_per_ul", end + 24.0) / base,
    }), curves=(Curve("NK cells", ts["time_h"].to_numpy() - end, ts["nk_blood_per_ul"].to_numpy() / base),),
        marks=(_mark("end of exercise", 0.0, t.id, "fold_at_end"),
               _mark("nadir 1-3 h", 2.0, t.id, "nadir_fraction_1_to_3h"),
               _mark("24 h", 24.0, t.id, "fraction_at_24h")),
        x_label="hours from the end of 30 min at 85% VO2max", y_label="fold of pre-exercise")


@register("epinephrine_exercise", model="exercise")
def epinephrine_exercise(sim: Simulator, *, parameters: Mapping[str, float] | None = None) -> Check:
    """Resting value; end-of-bout fold from 50% to 100% VO2max, rising with intensity and duration."""
    t = target("epinephrine_exercise")
    folds = []
    intensities = (0.5, 0.7, 0.85, 1.0)
    for intensity in intensities:
        ts = sim.run(exercise_bout("epi", hours=0.5, intensity=intensity, parameters=parameters,
                                   model=sim.model)).timeseries
        folds.append(_at(ts, "epinephrine_pg_per_ml", START_H + 0.5) / _at(ts, "epinephrine_pg_per_ml", START_H))
    ts_long = sim.run(exercise_bout("epi-long", hours=2.0, intensity=0.7, parameters=parameters,
                                    model=sim.model)).timeseries
    rest = _at(ts_long, "epinephrine_pg_per_ml", START_H)
    duration_ratio = (_at(ts_long, "epinephrine_pg_per_ml", START_H + 2.0)
                      / _at(ts_long, "epinephrine_pg_per_ml", START_H + 0.5))
    low, high = band(t.id, "fold_at_50pct").limits()
    return Check(t.id, t.source, sim.model, _judge(t.id, {
        "rest_pg_per_ml": rest,
        "fold_at_50pct": folds[0],
        "fold_at_100pct": folds[-1],
        "min_step_increase_with_intensity": float(np.min(np.diff(folds))),
        "ratio_2h_to_30min_at_70pct": duration_ratio,
    }), curves=(Curve("end of 30-min bout", np.array(intensities), np.array(folds)),),
        marks=(Mark("published range", 0.75, (low + high) / 2, low, high),),
        x_label="intensity (fraction of VO2max)", y_label="epinephrine fold of rest")


@register("exev_release_cycling", model="exercise")
def exev_release_cycling(sim: Simulator, *, parameters: Mapping[str, float] | None = None) -> Check:
    """Incremental cycling: plasma EV fold at the end, back near baseline 90 min after."""
    t = target("exev_release_cycling")
    scenario, end = incremental_cycling(model=sim.model, parameters=parameters)
    ts = sim.run(scenario).timeseries
    base = _at(ts, "plasma_ev_per_ml", START_H)
    return Check(t.id, t.source, sim.model, _judge(t.id, {
        "fold_at_end": _at(ts, "plasma_ev_per_ml", end) / base,
        "fold_90min_after": _at(ts, "plasma_ev_per_ml", end + 1.5) / base,
    }), curves=(Curve("plasma EVs", (ts["time_h"].to_numpy() - end) * 60.0, ts["plasma_ev_per_ml"].to_numpy() / base),),
        marks=(_mark("end of test", 0.0, t.id, "fold_at_end"), _mark("90 min after", 90.0, t.id, "fold_90min_after")),
        x_label="minutes from the end of incremental cycling", y_label="fold of pre-exercise")


@register("muscle_ev_share", model="exercise")
def muscle_ev_share(sim: Simulator, *, parameters: Mapping[str, float] | None = None) -> Check:
    """Share of plasma EVs from skeletal muscle at rest, steady over a day without exercise."""
    t = target("muscle_ev_share")
    ts = sim.run(Scenario("rest", model=sim.model, duration_days=1.0, output_step_hours=1.0,
                          parameters=parameters or {})).timeseries
    share = ts["muscle_ev_fraction"].to_numpy()
    return Check(t.id, t.source, sim.model, _judge(t.id, {
        "fraction_at_rest": float(share[0]),
        "drift_over_24h": float(np.ptp(share)),
    }), curves=(Curve("muscle share", ts["time_h"].to_numpy(), share),),
        marks=(_mark("review estimate", 12.0, t.id, "fraction_at_rest"),),
        x_label="hours at rest", y_label="share of plasma EVs from muscle")



# ------------------------------------------------------------------------------------------ composed model
@register("exercise_tumour_growth", model="crosstalk")
def exercise_tumour_growth(sim: Simulator, *, parameters: Mapping[str, float] | None = None) -> Check:
    """Exercise slows tumour growth; beta-blockade, IL-6 blockade and NK depletion each remove most of it."""
    t = target("exercise_tumour_growth")
    benefit = tumour_benefit(sim, parameters=parameters)
    measured = {"benefit": benefit}
    names = ("beta_adrenergic", "il6", "nk_depletion")
    for name in names:
        blockade = Blockade(**{name: True})
        measured[f"benefit_left_with_{name}_blockade"] = (
            tumour_benefit(sim, parameters=parameters, blockade=blockade) / benefit)
    criteria = _judge(t.id, measured)
    xs = np.arange(len(names) + 1, dtype=float)
    ys = np.array([benefit] + [criteria[f"benefit_left_with_{n}_blockade"][0] * benefit for n in names])
    left = {n: band(t.id, f"benefit_left_with_{n}_blockade").limits()[1] for n in names}
    return Check(t.id, t.source, sim.model, criteria,
                 curves=(Curve("benefit: none, beta, IL-6, NK-depleted", xs, ys),),
                 marks=(_mark("Pedersen ~60%", 0.0, t.id, "benefit"),
                        *(Mark(f"{n}: < half", float(x), benefit * 0.25, -0.05, benefit * left[n])
                          for n, x in zip(names, xs[1:]))),
                 x_label="0 no blockade, 1 beta-blockade, 2 IL-6 blockade, 3 NK depletion",
                 y_label="1 - V(exercise) / V(sedentary), mouse set, 4 weeks")


@register("exercise_cardioprotection_rat", model="crosstalk")
def exercise_cardioprotection_rat(sim: Simulator, *, parameters: Mapping[str, float] | None = None) -> Check:
    """Hydock's rats (rodent set): concurrent wheel running keeps the loss of myocardium at a fraction of
    sedentary at 10 and 16 weeks (predicted from the bounded training adaptations, not fitted); blocking ExEV
    release shrinks the protection."""
    t = target("exercise_cardioprotection_rat")
    r10, r16 = cardioprotection_ratios(sim, parameters=parameters)
    b10, b16 = cardioprotection_ratios(sim, parameters=parameters, exev_blocked=True)
    weeks = np.array([10.0, 16.0])
    return Check(t.id, t.source, sim.model, _judge(t.id, {
        "ratio_10_weeks": r10,
        "ratio_16_weeks": r16,
        "protection_lost_with_exev_blockade": b10 - r10,
    }), curves=(Curve("wheel running", weeks, np.array([r10, r16])),
                Curve("wheel running, ExEV release blocked", weeks, np.array([b10, b16]))),
        marks=(_mark("rat 10 wk (0.11/0.25)", 10.0, t.id, "ratio_10_weeks"),
               _mark("rat 16 wk (0.07/0.18)", 16.0, t.id, "ratio_16_weeks")),
        x_label="weeks from the first dose (doxorubicin 15 mg/m2 weekly x 6)",
        y_label="myocyte loss, running / sedentary")


#: Rodent training protocols of the antioxidant and heat-shock bounds (rodent set; 5 days a week unless wheel).
_POWERS_HIGH = ExerciseRegime(modality="aerobic", intensity=0.75, minutes=60.0, sessions_per_week=5, start_hour=8.0)
_POWERS_LOW_SHORT = ExerciseRegime(modality="aerobic", intensity=0.55, minutes=30.0, sessions_per_week=5,
                                   start_hour=8.0)
_POWERS_LOW_LONG = ExerciseRegime(modality="aerobic", intensity=0.55, minutes=90.0, sessions_per_week=5,
                                  start_hour=8.0)
_ASCENSAO = ExerciseRegime(modality="aerobic", intensity=0.7, minutes=75.0, sessions_per_week=5, start_hour=8.0)


@register("training_cardiac_antioxidants", model="crosstalk")
def training_cardiac_antioxidants(sim: Simulator, *, parameters: Mapping[str, float] | None = None) -> Check:
    """Myocardial SOD (antioxidant capacity) and heat-shock proteins after rodent training protocols: within the
    published rises (Powers 1993: 10 weeks; Ascensao 2005: 14 weeks; Chicco 2005: wheel running)."""
    t = target("training_cardiac_antioxidants")

    def after(regime: ExerciseRegime, weeks: float) -> tuple[float, float]:
        sc = Scenario("rodent-training", model=sim.model, species="mouse", duration_days=7.0 * weeks,
                      output_step_hours=24.0, exercise=(regime,), parameters=parameters or {})
        ts = sim.run(sc).timeseries
        return float(ts["antioxidant_capacity"].iloc[-1]), 1.0 + float(ts["hsp_boost"].iloc[-1])

    high, low_short, low_long = after(_POWERS_HIGH, 10), after(_POWERS_LOW_SHORT, 10), after(_POWERS_LOW_LONG, 10)
    ascensao, wheel = after(_ASCENSAO, 14), after(RAT_WHEEL_RUNNING, 8)
    names = ("10 wk high 60 min", "10 wk low 30 min", "10 wk low 90 min", "14 wk 75 min", "8 wk wheel")
    values = (high, low_short, low_long, ascensao, wheel)
    xs = np.arange(len(names), dtype=float)
    return Check(t.id, t.source, sim.model, _judge(t.id, {
        "sod_fold_10wk_high_intensity": high[0],
        "sod_fold_10wk_low_intensity_30min": low_short[0],
        "sod_rise_30min_over_90min_low_intensity": (low_short[0] - 1.0) / (low_long[0] - 1.0),
        "sod_fold_14wk": ascensao[0],
        "hsp_fold_14wk": ascensao[1],
        "hsp_fold_wheel_running": wheel[1],
        "sod_fold_wheel_running": wheel[0],
    }), curves=(Curve("SOD (antioxidant capacity)", xs, np.array([v[0] for v in values])),
                Curve("heat-shock proteins", xs, np.array([v[1] for v in values]))),
        marks=(_mark("Powers high", 0.0, t.id, "sod_fold_10wk_high_intensity"),
               _mark("Ascensao SOD", 3.0, t.id, "sod_fold_14wk"),
               _mark("Ascensao HSP70", 3.0, t.id, "hsp_fold_14wk"),
               _mark("Chicco HSP72", 4.0, t.id, "hsp_fold_wheel_running")),
        x_label="; ".join(f"{i} {n}" for i, n in enumerate(names)), y_label="fold of sedentary")


