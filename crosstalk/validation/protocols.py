"""The published protocols behind the targets, as scenarios, and the quantities several checks and fits share.

The checks (:mod:`crosstalk.validation.checks`), the fit scripts (``models/fits``) and the tests build their runs
here, so that a protocol is written once.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping

import numpy as np
import numpy.typing as npt

from crosstalk.sim.simulator import Simulator
from crosstalk.spec.scenario import Blockade, CumulativeDoseWarning, DoseSchedule, ExerciseRegime, Patient, Scenario
from crosstalk.validation.targets import target

__all__ = [
    "CYCLING_STAGES", "CYCLING_STAGE_MIN", "MOUSE_INOCULUM_CELLS", "NK_ASSESS_DAYS", "RAT_WEEKLY_DOSE_MG_M2",
    "RAT_WHEEL_RUNNING", "START_H", "SWAIN_DOSE_MG_M2",
    "TRAINING_START_CELLS", "TRAINING_WEEKS", "TREADMILL_TRAINING", "TUMOUR_WEEKS", "WHEEL_RUNNING", "ac_course",
    "cardioprotection_ratios", "cd8_fold_with_training", "doxorubicin_course", "exercise_bout", "incremental_cycling",
    "swain_loss", "training_benefit", "tumour_benefit",
]

#: Every exercise protocol starts its exercise at 01:00, after an hour of rest.
START_H = 1.0

#: Incremental cycling to exhaustion: 4-min stages from 60% to 100% VO2max (Fruhbeis 2015 protocol, simplified).
CYCLING_STAGES: tuple[float, ...] = (0.6, 0.7, 0.8, 0.9, 1.0)
CYCLING_STAGE_MIN = 4.0

#: Swain protocol: 50 mg/m2 every 3 weeks until the cumulative dose; risk read 3 weeks after the last dose.
SWAIN_DOSE_MG_M2 = 50.0

#: Analogue of voluntary wheel running: aerobic 45 min at 65% VO2max, 5 sessions a week.
WHEEL_RUNNING = ExerciseRegime(modality="aerobic", intensity=0.65, minutes=45.0, sessions_per_week=5, start_hour=8.0)
#: Length of the tumour-growth comparison (Pedersen 2016 followed inoculated tumours for a few weeks; by 5 weeks the
#: mouse set's sedentary tumours reach their capacity, which would hide any effect).
TUMOUR_WEEKS = 4
#: Tumour cells inoculated in the mouse experiments (assumed: subcutaneous inocula of ~1e5-1e6 cells are usual).
MOUSE_INOCULUM_CELLS = 1.0e6
#: Gomes-Santos 2021: intensity-controlled treadmill training (45 min a day at 60 % of maximal velocity, here 5 days
#: a week at 60 % VO2max) from a tumour volume of ~100 mm3 (1e7 cells at 1e8 cells/cm3), followed for 3 weeks.
TREADMILL_TRAINING = ExerciseRegime(modality="aerobic", intensity=0.6, minutes=45.0, sessions_per_week=5,
                                    start_hour=8.0)
TRAINING_START_CELLS = 1.0e7
TRAINING_WEEKS = 3


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


#: When blood NK cells are compared with the chemotherapy depletion target: 2 weeks after the fourth AC dose (the
#: timing of Verma 2016's counts; Massa 2020 sampled after EC, before surgery).
NK_ASSESS_DAYS = 77.0


def ac_course(*, duration_days: float = 84.0, step_hours: float = 24.0, model: str = "crosstalk",
              parameters: Mapping[str, float] | None = None, population: str | None = None) -> Scenario:
    """Four cycles of preoperative AC (doxorubicin 60 + cyclophosphamide 600 mg/m2 every 21 days, NSABP B-18), to
    day 84 (3 weeks after the fourth dose, when response is assessed before surgery)."""
    ac = target("ac_regimen")
    dose = (DoseSchedule("doxorubicin", ac.number("dose_mg_per_m2"), "mg/m2", interval_days=21.0, count=4,
                         infusion_minutes=15.0),
            DoseSchedule("cyclophosphamide", 600.0, "mg/m2", interval_days=21.0, count=4, infusion_minutes=15.0))
    return Scenario("ac-course", model=model, duration_days=duration_days, output_step_hours=step_hours, dose=dose,
                    parameters=parameters or {}, population=population)


def tumour_benefit(sim: Simulator, *, parameters: Mapping[str, float] | None = None,
                   blockade: Blockade | None = None) -> float:
    """Pedersen 2016 in the mouse set: 1 - final tumour volume with :data:`WHEEL_RUNNING` / without, from an
    inoculum of :data:`MOUSE_INOCULUM_CELLS`, over :data:`TUMOUR_WEEKS`, no drugs. Both arms carry ``blockade``."""
    return _benefit(sim, WHEEL_RUNNING, MOUSE_INOCULUM_CELLS, TUMOUR_WEEKS, parameters, blockade)


def training_benefit(sim: Simulator, *, parameters: Mapping[str, float] | None = None,
                     blockade: Blockade | None = None, anti_pd1: bool = False) -> float:
    """Gomes-Santos 2021 in the mouse set: 1 - final tumour volume with :data:`TREADMILL_TRAINING` / without, from
    :data:`TRAINING_START_CELLS`, over :data:`TRAINING_WEEKS`; ``anti_pd1`` gives both arms anti-PD-1 (200 mg of
    the model's antibody every 3 weeks from the start: near-complete PD-1 occupancy throughout)."""
    dose = (DoseSchedule("pembrolizumab", 200.0, "mg", interval_days=21.0, count=2, infusion_minutes=30.0),)
    return _benefit(sim, TREADMILL_TRAINING, TRAINING_START_CELLS, TRAINING_WEEKS, parameters, blockade,
                    dose if anti_pd1 else ())


def cd8_fold_with_training(sim: Simulator, *, parameters: Mapping[str, float] | None = None) -> float:
    """Tumour CD8 T cells at the end of the :func:`training_benefit` protocol, trained / sedentary."""
    return _final(sim, "cd8_tumour_cells", (TREADMILL_TRAINING,), TRAINING_START_CELLS, TRAINING_WEEKS,
                  parameters, None, ()) / _final(sim, "cd8_tumour_cells", (), TRAINING_START_CELLS, TRAINING_WEEKS,
                                                 parameters, None, ())


def _final(sim: Simulator, column: str, exercise: tuple[ExerciseRegime, ...], cells: float, weeks: float,
           parameters: Mapping[str, float] | None, blockade: Blockade | None, dose: tuple[DoseSchedule, ...]) -> float:
    sc = Scenario("mouse-tumour", model=sim.model, species="mouse", duration_days=7.0 * weeks,
                  output_step_hours=24.0, exercise=exercise, parameters=parameters or {},
                  blockade=blockade or Blockade(), patient=Patient(tumour_cells=cells), dose=dose)
    return float(sim.run(sc).timeseries[column].iloc[-1])


def _benefit(sim: Simulator, regime: ExerciseRegime, cells: float, weeks: float,
             parameters: Mapping[str, float] | None, blockade: Blockade | None,
             dose: tuple[DoseSchedule, ...] = ()) -> float:
    def volume(exercise: tuple[ExerciseRegime, ...]) -> float:
        return _final(sim, "tumour_volume_mm3", exercise, cells, weeks, parameters, blockade, dose)

    return 1.0 - volume((regime,)) / volume(())


#: Hydock's rats: voluntary wheel running through the doxorubicin course, as one nightly hour at 65 % VO2max
#: (assumed: rats run several km a night on a wheel, Hydock DS et al. (2009), running 62 km in the baseline week;
#: the model has no rat-specific exercise physiology).
RAT_WHEEL_RUNNING = ExerciseRegime(modality="aerobic", intensity=0.65, minutes=60.0, sessions_per_week=7,
                                   start_hour=22.0)
#: Hydock's doxorubicin: 2.5 mg/kg weekly x 6 in rats = 15 mg/m2 weekly (body-surface conversion, rat Km 6: FDA
#: (2005) Guidance for industry, maximum safe starting dose, Table 1).
RAT_WEEKLY_DOSE_MG_M2 = 15.0


def cardioprotection_ratios(sim: Simulator, *, parameters: Mapping[str, float] | None = None,
                            exev_blocked: bool = False,
                            regime: ExerciseRegime = RAT_WHEEL_RUNNING) -> tuple[float, float]:
    """Myocyte loss with ``regime`` / sedentary at 10 and 16 weeks after the first dose (Hydock's rat protocol in
    the mouse (rodent) set: doxorubicin 15 mg/m2 weekly x 6, exercise throughout).

    Loss rather than LVEF is compared: a rodent heart's fractional shortening falls with the first losses, while
    the human set's LVEF only falls beyond the myocardial reserve (small losses compare as ratios of loss).
    ``exev_blocked`` blocks ExEV release in both arms.
    """
    dose = (DoseSchedule("doxorubicin", RAT_WEEKLY_DOSE_MG_M2, "mg/m2", interval_days=7.0, count=6,
                         infusion_minutes=5.0, start_day=1.0),)

    def loss(exercise: tuple[ExerciseRegime, ...]) -> npt.NDArray[np.float64]:
        sc = Scenario("rat-cardio", model=sim.model, species="mouse", duration_days=113.0, output_step_hours=24.0,
                      dose=dose, exercise=exercise, parameters=parameters or {},
                      blockade=Blockade(exev_release=exev_blocked))
        ts = sim.run(sc).timeseries
        lost = 1.0 - ts["cardiomyocyte_viable_fraction"].to_numpy()
        return np.array([np.interp(1.0 + w * 7.0, ts["time_h"].to_numpy() / 24.0, lost) for w in (10, 16)])

    r = loss((regime,)) / loss(())
    return float(r[0]), float(r[1])
