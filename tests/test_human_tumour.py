"""Species as data, the human-scale tumour (Gompertz, 1e8 cells/cm3, no immune switch), AC with
cyclophosphamide, saturating NK kill with exhaustion, the CD8/CXCR3 arm of exercise, built-in populations."""

from __future__ import annotations

import itertools
from dataclasses import replace

import numpy as np
import pytest
from scipy import stats
from scipy.integrate import cumulative_trapezoid

from crosstalk.errors import InputError
from crosstalk.export import scenario_sbml
from crosstalk.model.parameters import (
    SPECIES,
    model_sbml,
    parameter_ids,
    parameter_set,
    parameter_table,
    species_overrides,
)
from crosstalk.sim.simulator import Simulator
from crosstalk.spec.population import DEFAULT_POPULATION, load_population, population_names
from crosstalk.spec.ranges import ParameterRange
from crosstalk.spec.scenario import DoseSchedule, ExerciseRegime, Patient, Scenario, apply_values, load_scenario
from crosstalk.studies.cohort import run_cohort, sample_cohort
from crosstalk.validation import run_check

from conftest import REPO, fast_representatives

AC = load_scenario(REPO / "scenarios" / "ac_sedentary.toml")


@pytest.fixture(scope="module")
def csim() -> Simulator:
    return Simulator("crosstalk")


# ------------------------------------------------------------------------------------------ species as data
def test_every_other_species_value_is_sourced_and_translated():
    """A row with a mouse value states how the effect carries over; the mouse set is complete (every id)."""
    rows = [p for m in ("exercise", "immune", "anthracycline", "cyclophosphamide", "crosstalk")
            for p in parameter_table(m)]
    with_mouse = [p for p in rows if p.other_species]
    assert len(with_mouse) >= 10
    for p in with_mouse:
        assert p.translation and all(source for _, _, source in p.other_species), p.id
    mouse, human = parameter_set("crosstalk", "mouse"), parameter_set("crosstalk", "human")
    assert set(mouse) == set(human) == set(parameter_ids("crosstalk"))
    changed = species_overrides("crosstalk", "mouse")
    assert {"tumour_growth_rate", "tumour_gompertz", "cd8_kill_rate", "nk_kill_rate"} <= set(changed)
    assert changed["tumour_growth_rate"] == 0.18 and changed["tumour_gompertz"] == 0.0
    assert species_overrides("crosstalk", "human") == {}


def test_species_key_is_checked_carried_and_exported():
    with pytest.raises(InputError, match="species") as info:
        Scenario("x", species="rat")
    assert "human" in str(info.value) and "mouse" in str(info.value)
    mouse = Scenario("m", species="mouse", patient=Patient(tumour_cells=1e6))
    assert Scenario.from_toml(mouse.to_toml()) == mouse and 'species = "mouse"' in mouse.to_toml()
    assert mouse.parameter_overrides()["tumour_growth_rate"] == 0.18
    # explicit parameters still win over the species' set
    assert Scenario("m", species="mouse", patient=Patient(tumour_cells=1e6),
                    parameters={"tumour_growth_rate": 0.1}).parameter_overrides()["tumour_growth_rate"] == 0.1
    sbml = scenario_sbml(Scenario("m", model="immune", species="mouse", patient=Patient(tumour_cells=1e6)))
    assert "mouse parameter set" in sbml and "tumour_growth_rate = 0.18" in sbml
    # the model documents carry both sets: each parameter's notes give the other species' value and translation
    assert "mouse set: 0.18 per_day" in model_sbml("immune") and "Translation between species" in model_sbml("immune")
    assert SPECIES == ("human", "mouse")


def test_a_mouse_tumour_beyond_the_mouse_capacity_is_refused(csim):
    with pytest.raises(InputError, match=r"patient\.tumour_cells") as info:
        Scenario("m", species="mouse", patient=Patient(tumour_cells=1.4e9))
    assert "mouse set" in str(info.value)
    # without a tumour size the species' own default applies: 1e8 cells in the mouse set, 1.4e9 in the human set
    for species, cells in (("mouse", 1.0e8), ("human", 1.4e9)):
        ts = csim.run(Scenario("d", species=species, duration_days=1.0)).timeseries
        assert ts["tumour_cells"].iloc[0] == pytest.approx(cells)
    assert "tumour_cells" not in Scenario("d", species="mouse").to_dict()["patient"]


# ------------------------------------------------------------------------------------------ human tumour growth
def test_human_growth_law_is_gompertz_and_fitted_doubling_time_holds():
    """Untreated human tumours double in 80-300 days (fitted: 160 d at 2 cm3); 1e8 cells per cm3."""
    for target_id in ("human_breast_tumour_growth", "tumour_cell_density"):
        check = run_check(target_id)
        assert check.passed, check.describe()
    assert run_check("human_breast_tumour_growth").value("tvdt_days_at_2_cm3") == pytest.approx(160.0, abs=2.0)


def test_growth_check_reads_the_spread_around_the_sets_own_rate():
    """A parameter set with its own growth rate (an ensemble member re-fitted to a drawn doubling time) has the
    population's fast and slow tumours around that rate: the check's 95th-percentile tumour is the set's rate times
    exp(1.645 x 0.62), not the table's."""
    from crosstalk.validation.checks_tumour import HUMAN_POPULATION, doubling_time_days

    sim = Simulator("immune")
    table = parameter_ids("immune")["tumour_growth_rate"].value
    row = next(r for r in load_population(HUMAN_POPULATION).parameters if r.name == "tumour_growth_rate")
    assert row.low == pytest.approx(table)  # the spread is centred on the fitted rate
    own = 1.25 * table
    check = run_check("human_breast_tumour_growth", parameters={"tumour_growth_rate": own})
    per_cm3 = 1e3 / parameter_ids("immune")["tumour_cell_volume_mm3"].value
    fast = doubling_time_days(sim, 2.0 * per_cm3, parameters={
        "tumour_growth_rate": own * float(np.exp(stats.norm.ppf(0.95) * row.high))})
    assert check.value("tvdt_days_p95_growth_rate_at_2_cm3") == pytest.approx(fast)
    assert check.value("tvdt_days_p95_growth_rate_at_2_cm3") < run_check("human_breast_tumour_growth").value(
        "tvdt_days_p95_growth_rate_at_2_cm3")


def _change(sim: Simulator, scenario: Scenario, values: dict[str, float]) -> float:
    return float(sim.run(apply_values(scenario, values)).endpoints["tumour_volume_change_percent"])


SIZES_CM3 = [0.1, 0.5, 2.0, 15.0, 150.0]


@pytest.mark.parametrize(("q", "k"), fast_representatives(
    itertools.product((0.05, 0.5, 0.95), (0.25, 1.0, 4.0)), {"0.5-1.0"}, key=lambda qk: f"{qk[0]}-{qk[1]}",
    unpack=True))
def test_no_immune_switch_in_the_clinical_range(csim, q, k):
    """Sweep of starting size (0.1-150 cm3), growth rate (5th-95th percentile of the population, quantile q) and
    CD8 recruitment (x k, 0.25-4). A switch between immune control and escape shows as small tumours shrinking
    while large ones grow; here the untreated 180-day growth never rises with the starting size (Gompertz growth
    with a size-independent kill per tumour cell: one equilibrium), and the AC outcome changes smoothly with size.
    The fast tier runs the median patient; the whole grid is slow."""
    pop = load_population("neoadjuvant_breast_ac").parameters
    rate = next(r for r in pop if r.name == "tumour_growth_rate")
    recruit = parameter_ids("crosstalk")["cd8_recruitment_per_tumour_cell"].value
    untreated = Scenario("u", duration_days=180.0, output_step_hours=24.0)
    p = {"tumour_growth_rate": float(rate.from_unit(q)), "cd8_recruitment_per_tumour_cell": recruit * k}
    growth = [np.log1p(_change(csim, untreated, {"patient.tumour_cells": v * 1e8, **p}) / 100.0) for v in SIZES_CM3]
    assert all(b <= a + 1e-6 for a, b in itertools.pairwise(growth)), (q, k, growth)
    ac = [_change(csim, AC, {"patient.tumour_cells": v * 1e8, **p}) for v in SIZES_CM3]
    assert max(abs(a - b) for a, b in itertools.pairwise(ac)) < 40.0, (q, k, ac)


def test_the_median_tumour_grows_and_ac_then_pembrolizumab_is_smooth_in_size(csim):
    """Untreated, the median patient's tumour grows from every starting size; after AC then pembrolizumab with
    exercise, where the CD8 kill is unbraked, the outcome is smooth in the starting size too."""
    rate = next(r for r in load_population("neoadjuvant_breast_ac").parameters if r.name == "tumour_growth_rate")
    untreated = Scenario("u", duration_days=180.0, output_step_hours=24.0)
    median = {"tumour_growth_rate": float(rate.from_unit(0.5))}
    assert min(_change(csim, untreated, {"patient.tumour_cells": v * 1e8, **median}) for v in SIZES_CM3) > 0.0
    sequence = load_scenario(REPO / "scenarios" / "ac_then_anti_pd1_exercise.toml")
    after = [_change(csim, sequence, {"patient.tumour_cells": v * 1e8}) for v in SIZES_CM3]
    assert max(abs(a - b) for a, b in itertools.pairwise(after)) < 40.0, after


def test_exercise_with_pembrolizumab_slows_but_does_not_eradicate_the_median_tumour(csim):
    """Pembrolizumab without chemotherapy, 6 months: exercise adds to it (the CD8 cells training recruits act once
    PD-1 is blocked), but the median tumour is not eradicated (the mouse training gain, used unchanged in the human
    set, did eradicate it: the human set carries over the measured 2-fold CD8 rise instead)."""
    pembro = (DoseSchedule("pembrolizumab", 200.0, "mg", interval_days=21.0, count=9, infusion_minutes=30.0),)
    run = ExerciseRegime(modality="aerobic", intensity=0.65, minutes=30.0, sessions_per_week=3, start_hour=8.0)
    alone = csim.run(Scenario("p", duration_days=180.0, output_step_hours=24.0, dose=pembro)).endpoints
    both = csim.run(Scenario("p", duration_days=180.0, output_step_hours=24.0, dose=pembro, exercise=(run,))).endpoints
    assert both["tumour_volume_change_percent"] < alone["tumour_volume_change_percent"] - 20.0
    assert both["tumour_response"] != "CR" and both["tumour_volume_change_percent"] > -90.0


def test_sedentary_ac_shrinks_the_median_tumour(csim):
    res = csim.run(AC)
    assert res.endpoints["tumour_volume_change_percent"] < -50.0
    assert res.endpoints["tumour_response"] in ("PR", "CR")


def test_cd8_cells_start_at_the_recruitment_steady_state(csim):
    """Human set: E/T = recruitment / death at the start for any tumour size (an initial value the simulator
    computes from the table's parameters, without regenerating the model)."""
    p = parameter_ids("crosstalk")
    ratio = p["cd8_recruitment_per_tumour_cell"].value / p["cd8_death_rate"].value
    for cells in (3e8, 5e9):
        ts = csim.run(Scenario("e", duration_days=1.0, patient=Patient(tumour_cells=cells))).timeseries
        assert ts["cd8_tumour_cells"].iloc[0] == pytest.approx(ratio * cells, rel=1e-12)


# ------------------------------------------------------------------------------------------ NK cells
def test_nk_kill_per_cell_saturates_and_exhausts(csim):
    """Kills per NK cell per day = c T / (1 + c T / kmax) <= kmax (known answer), and a larger tumour leaves fewer
    functional NK cells (exhaustion after serial kills)."""
    p = parameter_set("crosstalk", "mouse")
    pools = {}
    for cells in (1e6, 1e8):
        sc = Scenario("nk", species="mouse", duration_days=7.0, output_step_hours=24.0,
                      patient=Patient(tumour_cells=cells), parameters={"tumour_growth_rate": 0.0})
        ts = csim.run(sc, extra=("nk_kills_per_cell_day",)).timeseries
        ct = p["nk_kill_rate"] * cells
        expected = ct / (1.0 + ct / p["nk_max_kills_per_day"])
        assert ts["nk_kills_per_cell_day"].iloc[0] == pytest.approx(expected, rel=1e-9)
        pools[cells] = float(ts["nk_tumour_cells"].iloc[-1])
    # at 1e8 cells mass action would have each NK cell kill c T = 32 cells a day; saturated, it kills < 2
    assert p["nk_kill_rate"] * 1e8 > 10.0 * p["nk_max_kills_per_day"]
    assert pools[1e8] < 0.5 * pools[1e6]


def test_chemotherapy_depletes_blood_nk_cells_which_recover_between_cycles():
    check = run_check("chemotherapy_nk_depletion")
    assert check.passed, check.describe()


# ------------------------------------------------------------------------------------------ AC response
@pytest.mark.slow  # a virtual-population study
def test_default_population_reproduces_nsabp_b18():
    """Fitted on one sample of the population (models/fits/fit_chemotherapy.py), checked on another."""
    check = run_check("neoadjuvant_ac_response")
    assert check.passed, check.describe()


def test_cyclophosphamide_kills_tumour_cells_and_lymphocytes(csim):
    dox_only = apply_values(AC, {"coupling_cp_tumour_kill": 0.0})
    both = csim.run(AC).endpoints["tumour_volume_final_mm3"]
    assert csim.run(dox_only).endpoints["tumour_volume_final_mm3"] > 5.0 * both
    nk = {k: csim.run(apply_values(AC, {"coupling_cp_lymphotoxicity": k})).timeseries["nk_blood_per_ul"]
          for k in (0.0, 1.0)}
    assert nk[1.0].min() < 0.6 * nk[0.0].min()


def test_cells_the_drugs_hit_stay_in_the_volume_until_cleared(csim):
    """Damaged cells are the drug kill convolved with first-order clearance, D(t) = int kill(s) exp(-k (t - s)) ds;
    the volume imaging measures falls over days, not within one day of the first dose, and meets the viable volume
    by the next cycle."""
    sc = replace(AC, duration_days=21.0, output_step_hours=1.0)
    ts = csim.run(sc, extra=["drug_kill_rate", "proliferating_fraction"]).timeseries
    t = ts["time_h"].to_numpy()
    kill = (ts["drug_kill_rate"] * ts["proliferating_fraction"] * ts["tumour_cells"]).to_numpy()
    k = parameter_ids("crosstalk")["tumour_damaged_clearance_rate"].value / 24.0
    expected = np.exp(-k * t) * cumulative_trapezoid(kill * np.exp(k * t), t, initial=0.0)
    at = np.searchsorted(t, [24.0, 72.0, 240.0, 480.0])
    assert ts["damaged_tumour_cells"].to_numpy()[at] == pytest.approx(expected[at], rel=1e-3)
    volume, viable = ts["tumour_volume_mm3"].to_numpy(), ts["viable_tumour_volume_mm3"].to_numpy()
    assert viable[at[0]] / viable[0] < 0.7 < 0.85 < volume[at[0]] / volume[0]
    assert volume[at[-1]] == pytest.approx(viable[at[-1]], rel=0.05)


def test_chemosensitivity_scales_tumour_kill(csim):
    low = csim.run(apply_values(AC, {"patient.chemosensitivity": 0.2})).endpoints["tumour_volume_change_percent"]
    high = csim.run(apply_values(AC, {"patient.chemosensitivity": 2.0})).endpoints["tumour_volume_change_percent"]
    assert high < low


# ------------------------------------------------------------------------------------------ populations
def test_populations_are_sourced_and_their_medians_are_the_fitted_values():
    assert population_names() == ("anthracycline_cardiac", "neoadjuvant_breast_ac")
    assert DEFAULT_POPULATION["human"] in population_names()
    pop = load_population("neoadjuvant_breast_ac")
    assert (pop.species, pop.model) == ("human", "crosstalk") and set(pop.sources) == {r.name for r in pop.parameters}
    table = parameter_ids("crosstalk")
    for r in pop.parameters:
        assert pop.sources[r.name].strip()
        if r.distribution == "lognormal" and r.name in table:
            assert r.low == pytest.approx(table[r.name].value, rel=1e-3), r.name


def test_lognormal_range_has_its_median_and_spread():
    r = ParameterRange("x", 2.0, 0.5, distribution="lognormal")
    u = np.array([stats.norm.cdf(-1.0), 0.5, stats.norm.cdf(1.0)])
    assert r.from_unit(u) == pytest.approx([2.0 * np.exp(-0.5), 2.0, 2.0 * np.exp(0.5)])
    with pytest.raises(InputError, match=r"parameter\[x\].low"):
        ParameterRange("x", 0.0, 0.5, distribution="lognormal")


def test_cohort_without_a_section_uses_the_default_population(csim):
    plain = Scenario("ac", duration_days=84.0, output_step_hours=84.0 * 24.0, dose=AC.dose)
    result = run_cohort(plain, 6, seed=1, workers=1, progress=False)
    assert result.provenance["population"] == "neoadjuvant_breast_ac"
    assert {"patient.chemosensitivity", "tumour_growth_rate"} <= set(result.patients.columns)
    fractions = result.fractions_dict()
    assert {"fraction_tumour_response", "fraction_complete_response"} <= set(fractions)
    assert fractions["fraction_complete_response"] <= fractions["fraction_tumour_response"]


def test_population_errors_name_the_field():
    with pytest.raises(InputError, match=r"cohort\.population"):
        Scenario.from_toml('name = "x"\n[cohort]\npopulation = "nobody"\n')
    with pytest.raises(InputError, match=r"cohort\.population"):
        Scenario("x", species="mouse", population="neoadjuvant_breast_ac", patient=Patient(tumour_cells=1e6))
    with pytest.raises(InputError, match=r"cohort\.population"):
        Scenario("x", model="immune", population="neoadjuvant_breast_ac")
    with pytest.raises(InputError, match="cohort"):  # no default population for another model
        sample_cohort(Scenario("x", model="anthracycline"), 3, seed=1)
    sc = Scenario.from_toml('name = "x"\n[cohort]\npopulation = "neoadjuvant_breast_ac"\n'
                            '[[cohort.parameter]]\nname = "patient.fitness"\nlow = 0\nhigh = 1\n')
    assert Scenario.from_toml(sc.to_toml()) == sc
    names = [r.name for r in sc.cohort_ranges]
    assert names[-1] == "patient.fitness" and "tumour_growth_rate" in names


# ------------------------------------------------------------------------------------------ mouse experiments
def test_mouse_cd8_arm_of_training():
    """Gomes-Santos 2021 protocol: CD8 doubling (fitted), anti-PD-1 synergy that needs CXCR3 (predicted); the
    CD8-dependence of training alone is a stated known deviation."""
    check = run_check("exercise_cd8_mouse")
    assert check.passed, check.describe()
    assert check.value("benefit_with_anti_pd1_over_alone") > 2.0
