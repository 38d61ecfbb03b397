"""The heart: the virtual population's events, exercise dose-response, dexrazoxane, risk differences."""

from __future__ import annotations

import math
from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from crosstalk.errors import InputError
from crosstalk.sim.simulator import Simulator
from crosstalk.spec.population import load_population
from crosstalk.spec.ranges import ParameterRange
from crosstalk.spec.scenario import DoseSchedule, ExerciseRegime, Patient, Scenario, load_scenario
from crosstalk.studies.risk import risk_differences
from crosstalk.validation.cardiac import (
    CardiacPopulation,
    cardiac_draws,
    cardinale_course,
    event_incidences,
    exercise_protection,
    expected_incidence,
    injury_course,
    patient_lvef,
    threshold_sensitivity,
)

SCENARIOS = Path(__file__).resolve().parents[1] / "scenarios"


@pytest.fixture(scope="module")
def sim() -> Simulator:
    return Simulator("anthracycline")


def test_population_shortcut_equals_per_patient_simulation(sim: Simulator) -> None:
    """Sensitivity acts on the loss rate only, so one median course gives every patient's LVEF: checked against
    full simulations of patients with their own sensitivity and baseline (known answer, no tolerance games)."""
    base = cardinale_course()
    course = injury_course(sim, base)
    sens = np.array([0.6, 1.0, 1.3, 1.8, 2.5])
    baseline = np.array([52.0, 60.0, 63.7, 70.0, 58.0])
    predicted = patient_lvef(course, sens, baseline)
    for i, (s, b) in enumerate(zip(sens, baseline)):
        sc = replace(base, patient=Patient(cardiac_sensitivity=float(s), baseline_lvef_percent=float(b)))
        res = sim.run(sc)
        lvef = res.timeseries["lvef_percent"].to_numpy()
        assert np.max(np.abs(lvef - predicted[i])) < 0.02
        assert res.endpoints["ctrcd_cardinale"] == bool(
            (b - predicted[i] > 10.0).any() and (predicted[i] < 50.0).any() and (
                (b - predicted[i] > 10.0) & (predicted[i] < 50.0)).any())
    # the threshold sensitivity separates patients with and without the event
    s_star = threshold_sensitivity(course, baseline, "ctrcd_cardinale")
    flags = [(b - predicted[i] > 10.0).any() and (predicted[i] < 50.0).any() for i, b in enumerate(baseline)]
    assert [bool(s > t) for s, t in zip(sens, s_star)] == flags


def test_exact_incidence_agrees_with_sampled_patients(sim: Simulator) -> None:
    course = injury_course(sim, cardinale_course())
    sens, baseline = cardiac_draws(20000, seed=5)
    sampled = event_incidences(course, sens, baseline)["ctrcd_cardinale"]

    rows = {r.name: r for r in load_population("anthracycline_cardiac").parameters}
    grid = rows["patient.baseline_lvef_percent"].from_unit((np.arange(2000) + 0.5) / 2000)
    exact = expected_incidence(course, grid, "ctrcd_cardinale",
                               sensitivity_sd=rows["patient.cardiac_sensitivity"].high)
    se = math.sqrt(exact * (1 - exact) / 20000)
    assert abs(sampled - exact) < 4 * se


def test_heart_failure_is_an_lvef_event(sim: Simulator) -> None:
    """heart_failure is per patient (LVEF < 40 %), never a probability: a resistant heart never fails, a very
    sensitive one does, on the same regimen."""
    sc = cardinale_course()
    low = sim.run(replace(sc, patient=Patient(cardiac_sensitivity=0.2))).endpoints
    high = sim.run(replace(sc, patient=Patient(cardiac_sensitivity=4.0))).endpoints
    assert low["heart_failure"] is False and high["heart_failure"] is True
    assert high["lvef_nadir_percent"] < 40.0 <= low["lvef_nadir_percent"]


def test_heart_failure_is_counted_below_the_models_own_lvef(sim: Simulator) -> None:
    """Where heart failure is counted is a parameter (an ensemble draws it): a patient whose LVEF ends between
    40 and 50 % has heart failure when it is counted below 50 %, not below 40 %; and the population's exact
    incidence at a raised cut agrees with sampled patients."""
    sc = replace(cardinale_course(), patient=Patient(cardiac_sensitivity=2.0))
    at_40 = sim.run(sc).endpoints
    assert 40.0 < at_40["lvef_nadir_percent"] < 50.0 and at_40["heart_failure"] is False
    at_50 = sim.run(replace(sc, parameters={**sc.parameters, "heart_failure_lvef_percent": 50.0})).endpoints
    assert at_50["heart_failure"] is True and at_50["lvef_nadir_percent"] == at_40["lvef_nadir_percent"]

    course = replace(injury_course(sim, cardinale_course()), heart_failure_lvef=50.0)
    sens, baseline = cardiac_draws(20000, seed=5)
    sampled = event_incidences(course, sens, baseline)["heart_failure"]
    rows = {r.name: r for r in load_population("anthracycline_cardiac").parameters}
    grid = rows["patient.baseline_lvef_percent"].from_unit((np.arange(2000) + 0.5) / 2000)
    exact = expected_incidence(course, grid, "heart_failure", sensitivity_sd=rows["patient.cardiac_sensitivity"].high)
    assert exact > 10 * expected_incidence(replace(course, heart_failure_lvef=40.0), grid, "heart_failure",
                                           sensitivity_sd=rows["patient.cardiac_sensitivity"].high)
    assert abs(sampled - exact) < 4 * math.sqrt(exact * (1 - exact) / 20000)


@pytest.mark.filterwarnings("ignore::crosstalk.plan.planner.ReadingTimeWarning")
def test_the_injury_endpoint_ranks_prescriptions_the_lvef_drop_cannot() -> None:
    """Within the myocardial reserve the LVEF does not fall, so the median patient's LVEF drop is 0 with two and
    with five sessions a week and cannot rank them; the myocardium lost (the optimiser's heart objective) still
    does, and it is 100 x (1 - the viable fraction) at the end."""
    base = load_scenario("aerobic_during_ac")
    composed = Simulator("crosstalk")
    runs = {n: composed.run(replace(base, exercise=(replace(base.exercise[0], sessions_per_week=n),)))
            for n in (2, 5)}
    runs[0] = composed.run(replace(base, exercise=()))
    loss = {n: r.endpoints["cardiomyocyte_loss_percent"] for n, r in runs.items()}
    assert all(r.endpoints["lvef_drop_points"] == 0.0 for r in runs.values())
    assert loss[0] > loss[2] > loss[5] > 0.0
    viable = runs[5].timeseries["cardiomyocyte_viable_fraction"].iloc[-1]
    assert loss[5] == pytest.approx(100.0 * (1.0 - viable), rel=1e-12)


def test_dexrazoxane_pk_and_top2b(sim: Simulator) -> None:
    """500 mg/m2 over 15 min: exact dose bookkeeping, first-order decline with the label's half-life, Top2b depleted
    during exposure and back before the next cycle."""
    sc = Scenario("dzr", model="anthracycline", duration_days=21.0, output_step_hours=0.25,
                  dose=(DoseSchedule("dexrazoxane", 500.0, "mg/m2", infusion_minutes=15.0),))
    ts = sim.run(sc).timeseries
    assert ts["cumulative_dexrazoxane_mg_per_m2"].iloc[-1] == pytest.approx(500.0, rel=1e-6)
    t, c = ts["time_h"].to_numpy(), ts["dexrazoxane_plasma_ug_per_ml"].to_numpy()
    k = -np.polyfit(t[(t >= 1) & (t <= 10)], np.log(c[(t >= 1) & (t <= 10)]), 1)[0]
    assert math.log(2) / k == pytest.approx(22.0 / 7.2 * math.log(2), rel=1e-3)  # V/CL, one compartment
    top2b = ts["top2b_relative"].to_numpy()
    assert top2b[t <= 8].min() < 0.3
    assert top2b[-1] > 0.99


def test_dexrazoxane_protects_without_touching_the_tumour() -> None:
    sim = Simulator("crosstalk")
    base = load_scenario(SCENARIOS / "ac_sedentary.toml")
    dzr = load_scenario(SCENARIOS / "ac_dexrazoxane.toml")
    a, b = sim.run(base), sim.run(dzr)
    loss = [1 - r.timeseries["cardiomyocyte_viable_fraction"].iloc[-1] for r in (a, b)]
    assert loss[1] < 0.7 * loss[0]
    # dexrazoxane has no tumour term in the model (the trials' time to progression did not change)
    assert b.endpoints["tumour_volume_change_percent"] == pytest.approx(a.endpoints["tumour_volume_change_percent"],
                                                                       rel=0.02)


@pytest.mark.slow
def test_cardioprotection_rises_with_every_dimension_of_the_prescription() -> None:
    """Monotone and non-saturating over real prescriptions (1-7 sessions/week, 20-60 min, 40-85 % VO2max): more
    sessions, longer sessions and harder sessions each lower the injury, and the last step (5 -> 7 sessions of 60
    min at 85 %) still lowers it by more than 5 %."""
    sim = Simulator("crosstalk")
    population = CardiacPopulation.load(n_bsa=1)  # the median body size: the injury ratio is what is tested
    reference = population.courses(sim, cardinale_course(model="crosstalk"))
    grid = {}
    for n in (1, 5, 7):
        for minutes in (20.0, 60.0):
            for intensity in (0.4, 0.85):
                regime = ExerciseRegime(modality="aerobic", intensity=intensity, minutes=minutes, sessions_per_week=n,
                                        start_hour=8.0)
                grid[n, minutes, intensity] = exercise_protection(sim, regime, reference=reference,
                                                                  population=population)[0]
    assert all(0.0 < v < 1.0 for v in grid.values())
    for minutes in (20.0, 60.0):
        for intensity in (0.4, 0.85):
            assert grid[1, minutes, intensity] > grid[5, minutes, intensity] > grid[7, minutes, intensity]
    for n in (1, 5, 7):
        for intensity in (0.4, 0.85):
            assert grid[n, 20.0, intensity] > grid[n, 60.0, intensity]
        for minutes in (20.0, 60.0):
            assert grid[n, minutes, 0.4] > grid[n, minutes, 0.85]
    assert grid[7, 60.0, 0.85] < 0.95 * grid[5, 60.0, 0.85]
    # bounded by the rodent data: even the largest prescription leaves a third of the injury or more
    assert grid[7, 60.0, 0.85] > 0.3


def test_one_bout_does_not_saturate_the_exev_arm() -> None:
    """The ExEV HSP70 arm's half-maximum is weeks of delivery: a single bout gives < 10 % of its maximum."""
    sim = Simulator("crosstalk")
    sc = Scenario("bout", model="crosstalk", duration_days=3.0, output_step_hours=0.5,
                  exercise=(ExerciseRegime(modality="aerobic", intensity=0.65, minutes=45.0, session_days=(0,),
                                           start_hour=8.0),))
    ts = sim.run(sc).timeseries
    assert 0.0 < ts["exev_hsp70_saturation"].max() < 0.1


def _cohort(flags: dict[str, list[bool]], values: list[float], response: list[str]) -> pd.DataFrame:
    frame = pd.DataFrame({"patient": range(len(values)), "patient.cardiac_sensitivity": values, **flags,
                          "tumour_response": response})
    frame["failed"] = False
    return frame


def test_risk_difference_known_answer_and_pairing() -> None:
    n = 200
    values = list(np.linspace(0.5, 2.0, n))
    ref = _cohort({"ctrcd": [i < 40 for i in range(n)], "heart_failure": [False] * n}, values, ["PR"] * n)
    arm = _cohort({"ctrcd": [i < 20 for i in range(n)], "heart_failure": [False] * n}, values,
                  ["CR"] * 10 + ["PR"] * (n - 10))
    table = risk_differences(ref, {"exercise": arm}, reference_name="sedentary", n_boot=500, seed=1)
    row = table.set_index("outcome").loc["ctrcd"]
    assert row["risk"] == pytest.approx(0.10) and row["reference_risk"] == pytest.approx(0.20)
    assert row["risk_difference"] == pytest.approx(-0.10) and row["nnt"] == pytest.approx(10.0)
    assert row["nnt_kind"] == "benefit" and bool(row["paired"])
    # paired: every resample has exactly the patients 20-39 prevented, so the interval is narrow and excludes 0
    assert row["ci_high"] < 0
    hf = table.set_index("outcome").loc["heart_failure"]
    assert hf["risk_difference"] == 0 and math.isinf(hf["nnt"]) and hf["nnt_kind"] == "none"
    cr = table.set_index("outcome").loc["complete_response"]
    assert cr["risk_difference"] == pytest.approx(0.05) and cr["nnt_kind"] == "benefit"
    # different patients: unpaired resampling, wider interval
    other = arm.copy()
    other["patient.cardiac_sensitivity"] = other["patient.cardiac_sensitivity"][::-1].to_numpy()
    unpaired = risk_differences(ref, {"exercise": other}, reference_name="sedentary", n_boot=500, seed=1)
    u = unpaired.set_index("outcome").loc["ctrcd"]
    assert not bool(u["paired"]) and (u["ci_high"] - u["ci_low"]) > (row["ci_high"] - row["ci_low"])
    with pytest.raises(InputError, match="n_boot"):
        risk_differences(ref, {"x": arm}, reference_name="r", n_boot=5)


def test_tumour_assessment_day_reads_the_tumour_before_the_end() -> None:
    sim = Simulator("crosstalk")
    sc = load_scenario(SCENARIOS / "ac_sedentary.toml")
    assessed = replace(sc, tumour_assessment_day=84.0)
    a, b = sim.run(sc), sim.run(assessed)
    ts = a.timeseries
    v = np.interp(84.0 * 24.0, ts["time_h"], ts["tumour_volume_mm3"])
    assert b.endpoints["tumour_volume_final_mm3"] == pytest.approx(v, rel=1e-9)
    assert Scenario.from_dict(assessed.to_dict()) == assessed
    with pytest.raises(InputError, match="tumour_assessment_day"):
        replace(sc, tumour_assessment_day=500.0)


def test_truncated_normal_range() -> None:
    r = ParameterRange("patient.baseline_lvef_percent", 63.7, 5.6, distribution="normal", minimum=50.0, maximum=80.0)
    x = r.from_unit(np.linspace(0.0, 1.0, 1001))
    assert x.min() >= 50.0 and x.max() <= 80.0
    assert np.median(x) == pytest.approx(63.7, abs=0.2)
    with pytest.raises(InputError, match="minimum"):
        ParameterRange("x", 1.0, 0.5, distribution="lognormal", minimum=0.1)
    with pytest.raises(InputError, match="maximum"):
        ParameterRange("x", 1.0, 0.5, distribution="normal", minimum=2.0, maximum=1.0)


def test_no_switch_in_the_heart(sim: Simulator) -> None:
    """No bistability or threshold the biology does not have: myocyte loss rises smoothly with sensitivity and
    cumulative dose and falls smoothly with antioxidant and heat-shock protection (sweeps of each)."""
    from crosstalk.validation.cardiac import swain_course

    def loss(sc: Scenario) -> float:
        return 1.0 - float(sim.run(sc).timeseries["cardiomyocyte_viable_fraction"].iloc[-1])

    base = cardinale_course()
    by_sensitivity = [loss(replace(base, patient=Patient(cardiac_sensitivity=float(s))))
                      for s in np.geomspace(0.25, 4.0, 9)]
    assert np.all(np.diff(by_sensitivity) > 0)
    # loss = 1 - exp(-s A): the log-increments are constant in ln s up to the exponential (no jump anywhere)
    injury = -np.log(1.0 - np.array(by_sensitivity))
    assert np.allclose(injury / injury[0], np.geomspace(1.0, 16.0, 9), rtol=1e-5)
    by_dose = [loss(swain_course(d)) for d in (100.0, 200.0, 300.0, 400.0, 500.0, 600.0, 700.0)]
    # on the injury scale (-ln viable: the loss itself saturates towards 1), each 100 mg/m2 adds a similar amount
    steps = np.diff(-np.log(1.0 - np.array(by_dose)))
    assert np.all(steps > 0) and steps.max() < 2.0 * steps.min()
    for pid in ("antioxidant_boost", "hsp_boost"):
        values = [loss(replace(base, parameters={pid: b})) for b in (0.0, 0.25, 0.5, 1.0)]
        assert np.all(np.diff(values) < 0), pid


def test_nnt_interval_follows_altman() -> None:
    from crosstalk.studies.risk import _nnt_interval

    assert _nnt_interval(-0.2, -0.1, good=-1.0) == "NNT(benefit) 5 to 10"
    assert _nnt_interval(-0.1, 0.05, good=-1.0) == "NNT(benefit) 10 to inf to NNT(harm) 20"
    assert _nnt_interval(-0.015, 0.0, good=-1.0) == "NNT(benefit) 66.7 to inf"
    assert _nnt_interval(0.0, 0.0, good=1.0) == "inf"


def test_dexrazoxane_off_label_schedule_warns() -> None:
    from crosstalk.spec.scenario import DexrazoxaneScheduleWarning

    dox = DoseSchedule("doxorubicin", 60.0, "mg/m2", start_day=1.0, interval_days=21.0, count=2)
    with pytest.warns(DexrazoxaneScheduleWarning, match="day 1"):  # after doxorubicin: never
        Scenario("late", model="anthracycline", duration_days=50.0,
                 dose=(dox, DoseSchedule("dexrazoxane", 600.0, "mg/m2", start_day=1.01, interval_days=21.0, count=2)))
    with pytest.warns(DexrazoxaneScheduleWarning):  # 1:1 is not a labelled ratio
        Scenario("ratio", model="anthracycline", duration_days=50.0,
                 dose=(dox, DoseSchedule("dexrazoxane", 60.0, "mg/m2", start_day=1.0 - 0.5 / 24, interval_days=21.0,
                                         count=2, infusion_minutes=15.0)))
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        cardinale_course(dexrazoxane=True)  # 10:1, ending 15 min before each dose: as labelled


def test_a_failed_patient_leaves_the_comparison_paired() -> None:
    n = 50
    values = list(np.linspace(0.5, 2.0, n))
    ref = _cohort({"ctrcd": [i < 10 for i in range(n)]}, values, ["PR"] * n)
    arm = _cohort({"ctrcd": [i < 5 for i in range(n)]}, values, ["PR"] * n)
    arm.loc[0, "failed"] = True
    row = risk_differences(ref, {"x": arm}, reference_name="r", n_boot=200, seed=0).set_index("outcome").loc["ctrcd"]
    assert bool(row["paired"]) and row["n"] == row["n_reference"] == n - 1
    assert row["risk_difference"] == pytest.approx(4 / 49 - 9 / 49)
