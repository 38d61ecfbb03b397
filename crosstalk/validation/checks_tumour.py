"""Checks of the human tumour and its treatment: growth, cell density, neoadjuvant AC response, chemotherapy NK
depletion, and exercise-trained CD8 cells in mice.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import numpy.typing as npt

from crosstalk.model.parameters import parameter_ids
from crosstalk.sim.simulator import Simulator
from crosstalk.spec.population import load_population
from crosstalk.spec.scenario import Blockade, Patient, Scenario
from crosstalk.studies.cohort import run_patients, sample_cohort
from crosstalk.validation.check import Check, Curve, Mark, _judge, _mark, register
from crosstalk.validation.protocols import (
    NK_ASSESS_DAYS,
    ac_course,
    cd8_fold_with_training,
    training_benefit,
)
from crosstalk.validation.targets import target

FloatArray = npt.NDArray[np.float64]


# ------------------------------------------------------------------------------------------ human tumour
#: Tumour volumes (cm3) at which the human set's untreated volume-doubling time is read.
TVDT_VOLUMES_CM3: tuple[float, ...] = (0.5, 1.0, 2.0, 5.0, 15.0, 50.0)


def doubling_time_days(sim: Simulator, cells: float, *, parameters: Mapping[str, float] | None = None,
                       species: str = "human", step_hours: float = 24.0, duration_days: float = 2000.0) -> float:
    """Untreated time (days, to ``step_hours``) for a tumour of ``cells`` to double its volume, no exercise, no
    drugs (NaN if it does not within ``duration_days``)."""
    sc = Scenario("tvdt", model=sim.model, species=species, duration_days=duration_days, output_step_hours=step_hours,
                  patient=Patient(tumour_cells=cells), parameters=parameters or {})
    return float(sim.run(sc).endpoints["time_to_tumour_doubling_days"])


@register("human_breast_tumour_growth", model="immune")
def human_breast_tumour_growth(sim: Simulator, *, parameters: Mapping[str, float] | None = None) -> Check:
    """Human set, untreated: volume-doubling time at 2 cm3 in the clinical range (fitted to 160 d at 2 cm3), its
    dependence on size, and the population's spread (5th-95th percentile of the growth rate) around the grade
    medians."""
    t = target("human_breast_tumour_growth")
    per_cm3 = 1e3 / parameter_ids(sim.model)["tumour_cell_volume_mm3"].value
    tvdt = np.array([doubling_time_days(sim, v * per_cm3, parameters=parameters) for v in TVDT_VOLUMES_CM3])
    rate = next(r for r in load_population(HUMAN_POPULATION).parameters if r.name == "tumour_growth_rate")
    # the population's spread is around the fitted median rate: a parameter set with its own rate (an ensemble
    # member re-fitted to a drawn doubling time) carries the spread around that rate, not around the table's
    median = float((parameters or {}).get("tumour_growth_rate", parameter_ids(sim.model)["tumour_growth_rate"].value))
    slow, fast = (doubling_time_days(sim, 2.0 * per_cm3, parameters={
        **(parameters or {}), "tumour_growth_rate": median * float(rate.from_unit(q) / rate.from_unit(0.5))})
                  for q in (0.05, 0.95))
    volumes = np.array(TVDT_VOLUMES_CM3)
    return Check(t.id, t.source, sim.model, _judge(t.id, {
        "tvdt_days_at_2_cm3": float(tvdt[2]),
        "tvdt_days_p95_growth_rate_at_2_cm3": fast,
        "tvdt_days_p05_growth_rate_at_2_cm3": slow,
    }), curves=(Curve("model, median growth rate", volumes, tvdt),),
        marks=(_mark("Peer 157 d (age 50-70)", 2.0, t.id, "tvdt_days_at_2_cm3"),),
        x_label="tumour volume at the start (cm3)", y_label="untreated volume-doubling time (days)")


@register("tumour_cell_density", model="immune")
def tumour_cell_density(sim: Simulator, *, parameters: Mapping[str, float] | None = None) -> Check:
    """The simulated tumour volume per cell: 1e8 cells per cm3."""
    t = target("tumour_cell_density")
    sc = Scenario("density", model=sim.model, duration_days=1.0, output_step_hours=24.0,
                  patient=Patient(tumour_cells=1.0e9), parameters=parameters or {})
    ts = sim.run(sc).timeseries
    per_cm3 = float(ts["tumour_cells"].iloc[0] / (ts["tumour_volume_mm3"].iloc[0] / 1e3))
    return Check(t.id, t.source, sim.model, _judge(t.id, {"cells_per_cm3": per_cm3}),
                 marks=(_mark("Del Monte 2009", 0.0, t.id, "cells_per_cm3"),),
                 x_label="", y_label="cells per cm3")


#: The default human population, and how many of its patients the response check simulates.
HUMAN_POPULATION = "neoadjuvant_breast_ac"
RESPONSE_PATIENTS = 200
RESPONSE_SEED = 18


@register("neoadjuvant_ac_response", model="crosstalk")
def neoadjuvant_ac_response(sim: Simulator, *, parameters: Mapping[str, float] | None = None) -> Check:
    """The default human population given four cycles of AC: tumour response (CR + PR) and complete response
    3 weeks after the fourth dose (fitted to NSABP B-18 by models/fits/fit_chemotherapy.py)."""
    t = target("neoadjuvant_ac_response")
    sc = ac_course(parameters=parameters, population=HUMAN_POPULATION)
    values = sample_cohort(sc, RESPONSE_PATIENTS, seed=RESPONSE_SEED)
    patients, _ = run_patients(sc, values, workers=1, progress=False)
    classes = patients["tumour_response"]
    change = patients["tumour_volume_change_percent"].to_numpy()
    return Check(t.id, t.source, sim.model, _judge(t.id, {
        "fraction_tumour_response": float(classes.isin(("CR", "PR")).mean()),
        "fraction_complete_response": float((classes == "CR").mean()),
        "median_volume_change_percent": float(np.median(change)),
    }), curves=(Curve("patients, sorted", np.linspace(0.0, 1.0, len(change)), np.sort(change)),),
        marks=(Mark("B-18: 80 % respond", 0.8, -30.0, -100.0, 100.0),),
        x_label="fraction of patients", y_label="tumour volume change at day 84 (%)")


@register("chemotherapy_nk_depletion", model="crosstalk")
def chemotherapy_nk_depletion(sim: Simulator, *, parameters: Mapping[str, float] | None = None) -> Check:
    """Blood NK cells through four cycles of AC: half of baseline 2 weeks after the fourth dose (fitted, Massa 2020),
    recovery between cycles (the count before each later dose is above the preceding nadir: predicted)."""
    t = target("chemotherapy_nk_depletion")
    ts = sim.run(ac_course(parameters=parameters, step_hours=6.0)).timeseries
    days = ts["time_h"].to_numpy() / 24.0
    nk = ts["nk_blood_per_ul"].to_numpy() / float(ts["nk_blood_per_ul"].iloc[0])
    nadir_1 = float(nk[days < 21.0].min())
    before_2 = float(np.interp(21.0 - 1e-6, days, nk))
    return Check(t.id, t.source, sim.model, _judge(t.id, {
        "nk_fraction_2_weeks_after_ac": float(np.interp(NK_ASSESS_DAYS, days, nk)),
        "recovery_before_second_dose": before_2 / nadir_1,
    }), curves=(Curve("blood NK / baseline", days, nk),),
        marks=(_mark("Massa ~50 %", NK_ASSESS_DAYS, t.id, "nk_fraction_2_weeks_after_ac"),),
        x_label="days from the first AC dose", y_label="blood NK cells / baseline")


@register("exercise_cd8_mouse", model="crosstalk")
def exercise_cd8_mouse(sim: Simulator, *, parameters: Mapping[str, float] | None = None) -> Check:
    """Mouse set, treadmill training from a 100 mm3 tumour for 3 weeks: tumour CD8 T cells rise (fitted to 2-fold,
    assumed), training slows the tumour, CD8 depletion and Cxcr3 knockout remove most of it, NK depletion does
    not, and training adds to anti-PD-1 (predicted)."""
    t = target("exercise_cd8_mouse")
    benefit = training_benefit(sim, parameters=parameters)
    left = {name: training_benefit(sim, parameters=parameters, blockade=Blockade(**{name: True})) / benefit
            for name in ("cd8_depletion", "cxcr3", "nk_depletion")}
    with_pd1 = training_benefit(sim, parameters=parameters, anti_pd1=True)
    with_pd1_cxcr3 = training_benefit(sim, parameters=parameters, anti_pd1=True, blockade=Blockade(cxcr3=True))
    names = ("none", "CD8-depleted", "Cxcr3-/-", "NK-depleted", "with anti-PD-1")
    ys = np.array([benefit, left["cd8_depletion"] * benefit, left["cxcr3"] * benefit, left["nk_depletion"] * benefit,
                   with_pd1])
    return Check(t.id, t.source, sim.model, _judge(t.id, {
        "cd8_fold": cd8_fold_with_training(sim, parameters=parameters),
        "benefit": benefit,
        "benefit_left_with_cd8_depletion": left["cd8_depletion"],
        "benefit_left_with_cxcr3_knockout": left["cxcr3"],
        "benefit_left_with_nk_depletion": left["nk_depletion"],
        "benefit_with_anti_pd1_over_alone": with_pd1 / benefit,
        "anti_pd1_benefit_left_with_cxcr3_knockout": with_pd1_cxcr3 / with_pd1,
    }), curves=(Curve(", ".join(names), np.arange(len(names), dtype=float), ys),),
        x_label="0 training, 1 CD8-depleted, 2 Cxcr3-/-, 3 NK-depleted, 4 training on top of anti-PD-1",
        y_label="1 - V(trained) / V(sedentary), mouse set, 3 weeks")


