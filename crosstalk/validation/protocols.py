"""The published protocols behind the targets, as scenarios, and the quantities several checks and fits share.

The checks (:mod:`crosstalk.validation.checks`), the fit scripts (``models/fits``) and the tests build their runs
here, so that a protocol is written once.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping

import numpy as np
import numpy.typing as npt

from crosstalk.scenario import Blockade, CumulativeDoseWarning, DoseSchedule, ExerciseRegime, Scenario
from crosstalk.simulate import Simulator
from crosstalk.validation.targets import target

__all__ = [
    "CYCLING_STAGES", "CYCLING_STAGE_MIN", "START_H", "SWAIN_DOSE_MG_M2", "TUMOUR_WEEKS", "WHEEL_RUNNING",
    "cardioprotection_ratios", "doxorubicin_course", "exercise_bout", "incremental_cycling", "swain_loss",
    "tumour_benefit",
]

#: Every exercise protocol starts its exercise at 01:00, after an hour of rest.
START_H = 1.0

#: Incremental cycling to exhaustion: 4-min stages from 60% to 100% VO2max (Fruhbeis 2015 protocol, simplified).
CYCLING_STAGES: tuple[float, ...] = (0.6, 0.7, 0.8, 0.9, 1.0)
CYCLING_STAGE_MIN = 4.0

#: Swain protocol: 50 mg/m2 every 3 weeks until the cumulative dose; risk read 3 weeks after the last dose.
SWAIN_DOSE_MG_M2 = 50.0

#: Human analogue of voluntary wheel running: aerobic 45 min at 65% VO2max, 5 sessions a week.
WHEEL_RUNNING = ExerciseRegime(modality="aerobic", intensity=0.65, minutes=45.0, sessions_per_week=5, start_hour=8.0)
#: Length of the tumour-growth comparison (Pedersen 2016 ran mice for several weeks).
TUMOUR_WEEKS = 8


def exercise_bout(name: str, *, hours: float, intensity: float, model: str, duration_days: float = 1.0,
                  modality: str = "aerobic", step_hours: float = 1.0 / 60.0,
                  parameters: Mapping[str, float] | None = None) -> Scenario:
    """One bout of ``hours`` at ``intensity`` (fraction of VO2max) starting at :data:`START_H`, minute output."""
    return Scenario(
        name=name,
        model=model,
        duration_days=duration_days,
        output_step_hours=step_hours,
        exercise=(ExerciseRegime(modality=modality, intensity=intensity, minutes=hours * 60.0, session_days=(0,),
                                 start_hour=START_H),),
        parameters=parameters or {},
    )


def incremental_cycling(*, model: str, parameters: Mapping[str, float] | None = None) -> tuple[Scenario, float]:
    """Incremental cycling to exhaustion (:data:`CYCLING_STAGES`), and the hour at which it ends."""
    stage_h = CYCLING_STAGE_MIN / 60.0
    regimes = tuple(
        ExerciseRegime(intensity=i, minutes=CYCLING_STAGE_MIN, session_days=(0,), start_hour=START_H + k * stage_h)
        for k, i in enumerate(CYCLING_STAGES)
    )
    scenario = Scenario("exev-cycling", model=model, duration_days=1.0, output_step_hours=1.0 / 60.0,
                        exercise=regimes, parameters=parameters or {})
    return scenario, START_H + len(CYCLING_STAGES) * stage_h


def doxorubicin_course(dose_mg_m2: float, cycles: int, *, interval_days: float = 21.0,
                       infusion_minutes: float = 15.0, follow_days: float = 21.0,
                       parameters: Mapping[str, float] | None = None, model: str = "anthracycline") -> Scenario:
    """``cycles`` doses of doxorubicin every ``interval_days``, followed ``follow_days`` after the last, 6-h output.

    The label's cumulative-dose warning is silenced: the Swain protocols exceed the cap on purpose.
    """
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", CumulativeDoseWarning)
        return Scenario(
            f"doxorubicin-{dose_mg_m2:g}x{cycles}", model=model,
            duration_days=interval_days * (cycles - 1) + follow_days, output_step_hours=6.0,
            dose=(DoseSchedule("doxorubicin", dose_mg_m2, "mg/m2", interval_days=interval_days, count=cycles,
                               infusion_minutes=infusion_minutes),),
            parameters=parameters or {},
        )


def swain_loss(sim: Simulator, cumulative: float, *,
               parameters: Mapping[str, float] | None = None) -> tuple[float, float]:
    """Cardiomyocyte loss and heart-failure risk 3 weeks after reaching ``cumulative`` mg/m2 (Swain protocol)."""
    res = sim.run(doxorubicin_course(SWAIN_DOSE_MG_M2, round(cumulative / SWAIN_DOSE_MG_M2), parameters=parameters,
                                     model=sim.model))
    ts = res.timeseries
    return 1.0 - float(ts["cardiomyocyte_viable_fraction"].iloc[-1]), float(res.endpoints["chf_risk_final"])


def tumour_benefit(sim: Simulator, *, parameters: Mapping[str, float] | None = None,
                   blockade: Blockade | None = None) -> float:
    """1 - final tumour volume with :data:`WHEEL_RUNNING` / without, over :data:`TUMOUR_WEEKS`, no drugs.

    Both arms carry the same ``blockade``.
    """
    block = blockade or Blockade()

    def volume(exercise: tuple[ExerciseRegime, ...]) -> float:
        sc = Scenario("tumour", model=sim.model, duration_days=7.0 * TUMOUR_WEEKS, output_step_hours=24.0,
                      exercise=exercise, parameters=parameters or {}, blockade=block)
        return float(sim.run(sc).endpoints["tumour_volume_final_mm3"])

    return 1.0 - volume((WHEEL_RUNNING,)) / volume(())


def cardioprotection_ratios(sim: Simulator, *, parameters: Mapping[str, float] | None = None,
                            exev_blocked: bool = False) -> tuple[float, float]:
    """LVEF decline with :data:`WHEEL_RUNNING` / sedentary at 10 and 16 weeks after the first AC dose.

    Human analogue of the rat protocol: the AC regimen of ``targets.toml`` (``ac_regimen``) with exercise from the
    first dose; ``exev_blocked`` blocks ExEV release in both arms.
    """
    ac_target = target("ac_regimen")
    ac = (DoseSchedule("doxorubicin", ac_target.number("dose_mg_per_m2"), "mg/m2",
                       interval_days=ac_target.number("interval_days"), count=ac_target.integer("cycles"),
                       infusion_minutes=15.0),)

    def decline(exercise: tuple[ExerciseRegime, ...]) -> npt.NDArray[np.float64]:
        sc = Scenario("cardio", model=sim.model, duration_days=112.0, output_step_hours=24.0, dose=ac,
                      exercise=exercise, parameters=parameters or {}, blockade=Blockade(exev_release=exev_blocked))
        ts = sim.run(sc).timeseries
        lvef = ts["lvef_percent"].to_numpy()
        return np.array([lvef[0] - np.interp(w * 7 * 24.0, ts["time_h"], lvef) for w in (10, 16)])

    r = decline((WHEEL_RUNNING,)) / decline(())
    return float(r[0]), float(r[1])
