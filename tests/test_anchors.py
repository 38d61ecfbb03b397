"""Calibration anchors: each ensemble member re-calibrated to the data its fitted values came from."""

from __future__ import annotations

import itertools
from dataclasses import replace

import pytest

from crosstalk import load_scenario
from crosstalk.calibrate.ensemble import draw_ensemble
from crosstalk.errors import CrosstalkError, ModelBuildError
from crosstalk.model.parameters import parameter_ids
from crosstalk.validation.anchors import (
    READINGS,
    anchor_conditioning,
    anchors,
    parse_anchors,
    reading,
    recalibrate,
    solve,
)
from crosstalk.validation.check import CHECKS, run_check

#: Anchors whose datum is another target of the same joint fit as their row's (anchors.toml says why).
JOINT = {("k_cardiomyocyte_loss", "ctrcd_incidence"): "swain_chf_dose_response"}


def test_anchors_re_solve_a_fitted_row_to_its_own_fit_data_never_to_a_held_out_prediction():
    for a in anchors():
        row = parameter_ids("crosstalk")[a.parameter]
        assert row.fit == JOINT.get((a.parameter, a.target), a.target), (a.parameter, row.fit, a.target)
        assert a.why.strip()


@pytest.mark.parametrize("anchor", anchors(), ids=lambda a: a.parameter)
def test_the_table_values_read_inside_each_datum_range(anchor):
    value = parameter_ids(CHECKS[anchor.target].model)[anchor.parameter].value
    assert anchor.range.low <= reading(anchor, {}, value) <= anchor.range.high


@pytest.mark.parametrize(("target", "criterion"), list(READINGS))
def test_a_cheap_reading_equals_its_check(target, criterion):
    anchor = next(a for a in anchors() if (a.target, a.criterion) == (target, criterion))
    value = parameter_ids(CHECKS[target].model)[anchor.parameter].value
    assert reading(anchor, {}, value) == pytest.approx(run_check(target).criteria[criterion][0], rel=1e-9)


def test_a_member_is_re_solved_to_its_drawn_datum_given_its_other_values():
    il6 = next(a for a in anchors() if a.parameter == "il6_release_pg_per_ml_h")
    member = {"k_il6_clearance": 1.2, il6.name: 30.0}
    solved = recalibrate(member)
    assert il6.name not in solved and solved["k_il6_clearance"] == 1.2
    assert reading(il6, solved, solved[il6.parameter]) == pytest.approx(30.0, rel=2e-3)
    # faster clearance needs more release for the same rise
    assert solved[il6.parameter] > parameter_ids("exercise")[il6.parameter].value


def test_an_unreachable_datum_fails_the_member_in_one_line():
    il6 = next(a for a in anchors() if a.parameter == "il6_release_pg_per_ml_h")
    with pytest.raises(CrosstalkError, match="il6_release_pg_per_ml_h: no value within") as err:
        solve(il6, {}, 1e9)
    assert "\n" not in str(err.value)


def test_animal_scenarios_and_parameters_a_scenario_sets_are_not_re_solved():
    assert anchor_conditioning("crosstalk", "mouse") is None
    conditioning = anchor_conditioning("crosstalk", "human")
    assert conditioning is not None and "k_cardiomyocyte_loss" in conditioning.solves.values()
    s = load_scenario("aerobic_during_ac")
    fixed = replace(s, parameters={**s.parameters, "k_cardiomyocyte_loss": 1e-3})
    names = draw_ensemble(fixed, 4, seed=1, conditioning=conditioning).names
    assert "target:ctrcd_incidence.incidence" not in names and "k_cardiomyocyte_loss" not in names
    assert not any(n.startswith("population:") for n in names)  # nothing re-solves the loss rate at them
    names = draw_ensemble(s, 4, seed=1, conditioning=conditioning).names
    assert "target:ctrcd_incidence.incidence" in names and "k_cardiomyocyte_loss" not in names
    assert {"population:cardiac_sensitivity_sd", "population:echo_lvef_sd"} <= set(names)


def test_the_heart_spread_is_drawn_and_the_loss_rate_re_solved_at_it():
    """A wider spread of cardiac sensitivity puts more patients past the LVEF threshold at the same median injury,
    so the same CTRCD incidence needs a slower loss: each member's loss rate is re-solved at its own spread, and
    its population incidence read at that spread is the datum it drew."""
    from crosstalk.calibrate.ensemble import POPULATION
    from crosstalk.validation.population_heart import ECHO_SD, SENSITIVITY_SD, heart_incidences, population_ranges

    conditioning = anchor_conditioning("crosstalk", "human")
    (spread, basis), (echo, _) = population_ranges()
    assert conditioning is not None and {spread, echo} <= set(conditioning.ranges) and "profile 95 %" in basis
    assert spread.low < 0.3 < spread.high and spread.name not in conditioning.solves
    assert (echo.low, echo.high) == (3.6, 5.1)
    ctrcd = next(a for a in anchors() if a.target == "ctrcd_incidence")
    key = POPULATION + SENSITIVITY_SD
    solved = {sd: solve(ctrcd, {key: sd}, 0.09) for sd in (spread.low, spread.high)}
    assert solved[spread.high] < solved[spread.low]
    from crosstalk.validation.cardiac import cardinale_course

    for sd, k in solved.items():
        course = cardinale_course(model="anthracycline", parameters={"k_cardiomyocyte_loss": k})
        assert heart_incidences(course, cardiac_sensitivity_sd=sd)["ctrcd_incidence"] == pytest.approx(0.09, abs=2e-3)
    # a noisier echo sees more of the incidence in patients without dysfunction: less true injury is needed
    noisy = solve(ctrcd, {POPULATION + ECHO_SD: echo.high}, 0.09)
    assert noisy < solve(ctrcd, {POPULATION + ECHO_SD: echo.low}, 0.09)
    course = cardinale_course(model="anthracycline", parameters={"k_cardiomyocyte_loss": noisy})
    assert heart_incidences(course, echo_lvef_sd=echo.high)["ctrcd_incidence"] == pytest.approx(0.09, abs=2e-3)


def test_a_decreasing_criterion_is_solved_too():
    growth = next(a for a in anchors() if a.parameter == "tumour_growth_rate")  # doubling time falls as it rises
    solved = solve(growth, {}, 190.0)
    assert solved < parameter_ids("immune")["tumour_growth_rate"].value
    assert reading(growth, {}, solved) == pytest.approx(190.0, abs=1.0)  # read on a daily grid


def test_a_failing_trial_value_is_stepped_over_not_fatal(monkeypatch):
    import crosstalk.validation.anchors as mod

    il6 = next(a for a in anchors() if a.parameter == "il6_release_pg_per_ml_h")
    x0 = parameter_ids("exercise")[il6.parameter].value

    def fake(anchor, values, x):
        if 1.05 * x0 < x < 3.0 * x0:
            raise CrosstalkError("CVODE failed")
        return 10.0 * x / x0

    monkeypatch.setattr(mod, "reading", fake)
    assert solve(il6, {}, 5.0) == pytest.approx(0.5 * x0, rel=2e-3)  # below the start
    assert solve(il6, {}, 40.0) == pytest.approx(4.0 * x0, rel=2e-3)  # past the failing stretch
    with pytest.raises(CrosstalkError, match="no value within 1000-fold"):
        solve(il6, {}, 1e6)


def test_a_conditioned_ensemble_does_not_run_on_its_raw_draws():
    from crosstalk.calibrate.ensemble import run_ensemble
    from crosstalk.errors import InputError

    s = load_scenario("aerobic_during_ac")
    e = draw_ensemble(s, 4, seed=1, conditioning=anchor_conditioning("crosstalk", "human"))
    with pytest.raises(InputError, match="conditioned values"):
        run_ensemble(s, e, workers=1, progress=False)


def test_the_reserve_is_re_fitted_with_the_loss_rate_to_swain_and_cardinale():
    """A member's reserve is picked inside the reserves Swain's curve allows at its spread, and its loss rate
    gives its drawn Cardinale datum at that reserve (re-simulated, not only by the linear scaling)."""
    from crosstalk.calibrate.ensemble import POPULATION
    from crosstalk.sim.simulator import simulator_for
    from crosstalk.validation.anchors import _ctrcd_incidence
    from crosstalk.validation.heart_conditioning import RESERVE_POSITION, solve_heart
    from crosstalk.validation.heart_fit import heart_data
    from crosstalk.validation.population_heart import SENSITIVITY_SD

    sim = simulator_for("anthracycline")
    swain = [p for p in heart_data() if p.name.startswith("heart_failure_swain")]
    population = {POPULATION + SENSITIVITY_SD: 0.45}
    low, high = (solve_heart(sim, {}, population, ctrcd=0.09, position=x) for x in (0.0, 1.0))
    assert low.interval == high.interval and 0.0 <= low.myocardial_reserve < high.myocardial_reserve <= 0.5
    for h in (low, high):
        # a larger reserve hides more injury: a faster loss gives the same incidence
        assert _ctrcd_incidence(sim, h.parameters(), population) == pytest.approx(0.09, abs=1e-3)
        # every Swain point inside its binomial interval at either end (a wide spread flattens the curve)
        assert all(p.interval()[0] <= x <= p.interval()[1] for p, x in zip(swain, h.swain)), h.swain
    assert high.k_cardiomyocyte_loss > low.k_cardiomyocyte_loss
    # the ensemble draws the position, not the reserve; a scenario that sets the reserve draws neither
    conditioning = anchor_conditioning("crosstalk", "human")
    assert conditioning is not None and conditioning.solves[RESERVE_POSITION] == "myocardial_reserve"
    s = load_scenario("aerobic_during_ac")
    names = draw_ensemble(s, 4, seed=1, conditioning=conditioning).names
    assert RESERVE_POSITION in names and "myocardial_reserve" not in names
    fixed = replace(s, parameters={**s.parameters, "myocardial_reserve": 0.3})
    names = draw_ensemble(fixed, 4, seed=1, conditioning=conditioning).names
    assert RESERVE_POSITION not in names and "target:ctrcd_incidence.incidence" in names
    solved = recalibrate({"myocardial_reserve": 0.3, "target:ctrcd_incidence.incidence": 0.09})
    assert solved["myocardial_reserve"] == 0.3 and "k_cardiomyocyte_loss" in solved
    fixed = replace(s, parameters={**s.parameters, "k_cardiomyocyte_loss": 1e-3})
    assert RESERVE_POSITION not in draw_ensemble(fixed, 4, seed=1, conditioning=conditioning).names


def test_a_member_that_cannot_give_swains_curve_at_any_reserve_fails_in_one_line():
    """With a shallow LVEF slope too few patients ever fall below 40 %: the set is not plausible."""
    from crosstalk.sim.simulator import simulator_for
    from crosstalk.validation.heart_conditioning import GOODNESS_OF_FIT, solve_heart

    sim = simulator_for("anthracycline")
    with pytest.raises(CrosstalkError, match=r"myocardial_reserve: no reserve in 0-0.5 reproduces Swain") as err:
        solve_heart(sim, {"lvef_points_per_loss": 45.0}, {}, ctrcd=0.09, position=0.5)
    assert "\n" not in str(err.value) and "lvef_points_per_loss 45" in str(err.value)
    assert solve_heart(sim, {}, {}, ctrcd=0.0861, position=0.5).deviance < 1.0 < GOODNESS_OF_FIT  # the fit's own


def test_a_reserve_interval_narrower_than_the_search_grid_is_found(monkeypatch):
    """A steep LVEF slope leaves a narrow band of plausible reserves (here about 0.06 wide): on a grid whose step is
    four times that, the interval is still found around the best reserve, as on the default grid."""
    import crosstalk.validation.heart_conditioning as hc
    from crosstalk.sim.simulator import simulator_for

    def run() -> hc.HeartSolution:
        return hc.solve_heart(simulator_for("anthracycline"), {"lvef_points_per_loss": 150.0}, {}, ctrcd=0.09,
                              position=0.63)

    fine = run()
    monkeypatch.setattr(hc, "_GRID", 3)
    coarse = run()
    low, high = coarse.interval
    assert 0.0 < low < coarse.myocardial_reserve < high < 0.25 and high - low < 0.1
    assert coarse.interval == pytest.approx(fine.interval, abs=2e-3)
    assert coarse.myocardial_reserve == pytest.approx(fine.myocardial_reserve, abs=2e-3)


def test_the_reserve_position_is_a_quantile_of_swains_profile_likelihood():
    """Position 0 and 1 are the interval's ends; in between the reserve rises with the position, and the middle
    of the likelihood is not the middle of the interval when the likelihood is lopsided (open towards the 0.5
    search limit at the fitted spread)."""
    from crosstalk.sim.simulator import simulator_for
    from crosstalk.validation.heart_conditioning import solve_heart

    sim = simulator_for("anthracycline")
    picks = [solve_heart(sim, {}, {}, ctrcd=0.0861, position=x) for x in (0.0, 0.25, 0.5, 0.75, 1.0)]
    low, high = picks[0].interval
    reserves = [h.myocardial_reserve for h in picks]
    assert reserves[0] == pytest.approx(low) and reserves[-1] == pytest.approx(high)
    assert all(a < b for a, b in itertools.pairwise(reserves))
    assert abs(reserves[2] - (low + high) / 2) > 0.005


def test_the_heart_failure_lvef_is_drawn_and_the_reserve_re_fitted_along_the_family_the_data_allow():
    """Swain's and Cardinale's incidences fit a family of hearts (benchmarks/heart_structure.py): heart failure
    below 40 % with a large reserve, below a higher LVEF with a small one (LVEF falling sooner). A member draws
    where heart failure is counted, and its re-fitted reserve follows: its whole plausible interval moves down as
    the cut rises, every cut from 40 to 48 % still gives Swain's curve, and the member's heart-failure incidences
    are counted at its own cut. The cut is drawn only where the reserve is re-fitted at it."""
    from crosstalk.sim.simulator import simulator_for
    from crosstalk.spec.scenario import CumulativeDoseWarning
    from crosstalk.validation.cardiac import swain_course
    from crosstalk.validation.heart_conditioning import (
        GOODNESS_OF_FIT,
        HEART_FAILURE_LVEF,
        RESERVE_POSITION,
        solve_heart,
    )
    from crosstalk.validation.heart_fit import heart_data
    from crosstalk.validation.population_heart import cardiac_population

    sim = simulator_for("anthracycline")
    swain = [p for p in heart_data() if p.name.startswith("heart_failure_swain")]
    hearts = {cut: solve_heart(sim, {"heart_failure_lvef_percent": cut}, {}, ctrcd=0.0861, position=0.5)
              for cut in (40.0, 44.0, 48.0)}
    assert hearts[40.0].interval[0] > 0.2 and hearts[48.0].interval[1] < 0.1
    assert hearts[44.0].interval[1] < hearts[40.0].interval[0] and hearts[48.0].interval[1] < hearts[44.0].interval[0]
    for cut, h in hearts.items():
        assert h.deviance < GOODNESS_OF_FIT, cut
        assert all(p.interval()[0] <= x <= p.interval()[1] for p, x in zip(swain, h.swain)), (cut, h.swain)
    # the member's cut travels with its parameters into the population's courses: its own reserve and loss rate
    # give Swain's 700 mg/m2 point at 48 %, and far fewer cases if heart failure were counted below 40 %
    population = cardiac_population()
    member = hearts[48.0].parameters()
    with pytest.warns(CumulativeDoseWarning):
        courses = {cut: population.courses(sim, swain_course(700.0, model=sim.model, parameters={
            **member, "heart_failure_lvef_percent": cut})) for cut in (48.0, 40.0)}
    own, at_40 = (population.incidence(courses[cut], "heart_failure") for cut in (48.0, 40.0))
    assert own == pytest.approx(hearts[48.0].swain[-1], rel=1e-6) and at_40 < 0.5 * own
    # an ensemble of a human scenario draws the cut with the reserve's position and sets the member's parameter
    conditioning = anchor_conditioning("crosstalk", "human")
    assert conditioning is not None and conditioning.solves[HEART_FAILURE_LVEF] == "heart_failure_lvef_percent"
    s = load_scenario("aerobic_during_ac")
    e = draw_ensemble(s, 16, seed=1, conditioning=conditioning)
    assert "heart_failure_lvef_percent" not in e.names
    cuts = e.values()[HEART_FAILURE_LVEF]
    assert 40.0 <= cuts.min() < 40.5 and 47.5 < cuts.max() <= 48.0
    solved = recalibrate({"target:ctrcd_incidence.incidence": 0.0861, RESERVE_POSITION: 0.5, HEART_FAILURE_LVEF: 48.0})
    assert solved["heart_failure_lvef_percent"] == 48.0
    assert solved["myocardial_reserve"] == pytest.approx(hearts[48.0].myocardial_reserve, abs=1e-3)
    # neither where the reserve is not re-fitted: a scenario that sets it, or one that sets the loss rate (its
    # Cardinale datum, which the reserve's position goes with, is then not drawn); nor in an animal scenario
    for fixed in ({"myocardial_reserve": 0.3}, {"k_cardiomyocyte_loss": 1e-3}):
        names = draw_ensemble(replace(s, parameters={**s.parameters, **fixed}), 4, seed=1,
                              conditioning=conditioning).names
        assert HEART_FAILURE_LVEF not in names and "heart_failure_lvef_percent" not in names, fixed
    assert "heart_failure_lvef_percent" not in draw_ensemble(load_scenario("mouse_exev_therapy"), 4, seed=1).names


def test_heart_failures_default_cut_is_the_models():
    """The endpoint's fallback (for a model without the parameter) is the anthracycline model's value."""
    from crosstalk.model.observables import HEART_FAILURE_LVEF_PERCENT

    assert parameter_ids("anthracycline")["heart_failure_lvef_percent"].value == HEART_FAILURE_LVEF_PERCENT


def test_a_member_that_draws_the_reserve_position_is_re_fitted_through_recalibrate():
    from crosstalk.validation.heart_conditioning import RESERVE_POSITION

    solved = recalibrate({"target:ctrcd_incidence.incidence": 0.09, RESERVE_POSITION: 0.25,
                          "population:cardiac_sensitivity_sd": 0.3, "myocardial_reserve": 0.49})
    assert RESERVE_POSITION not in solved and "target:ctrcd_incidence.incidence" not in solved
    assert solved["population:cardiac_sensitivity_sd"] == 0.3
    assert 0.2 < solved["myocardial_reserve"] < 0.4  # a quarter of the way through about 0.23-0.5, not the 0.49 given


def test_a_member_whose_solved_growth_rate_breaks_the_populations_spread_is_left_out():
    """The tumour anchor holds the population's slow and fast tumours to the grade medians: at the tables' values
    the re-solved member keeps them; with a CD8 kill that stays strong at a low effector ratio (exponent x 0.6) the
    median tumour still reaches the datum, but the slow tumours no longer double within the band, and the member
    fails in one line naming the parameter and the criterion."""
    tumour = next(a for a in anchors() if a.parameter == "tumour_growth_rate")
    assert tumour.holds == ("tvdt_days_p05_growth_rate_at_2_cm3", "tvdt_days_p95_growth_rate_at_2_cm3")
    ids = parameter_ids("immune")
    kept = recalibrate({tumour.name: 160.0})
    check = run_check(tumour.target, parameters={"tumour_growth_rate": kept["tumour_growth_rate"]})
    assert all(lo <= v <= hi for v, lo, hi in check.criteria.values())
    strong = {"cd8_ratio_exponent": 0.6 * ids["cd8_ratio_exponent"].value}
    alone = solve(tumour, strong, 160.0)  # the datum alone is met ...
    assert reading(tumour, strong, alone) == pytest.approx(160.0, abs=1.0)
    slow = run_check(tumour.target, parameters={**strong, "tumour_growth_rate": alone}).criteria[tumour.holds[0]]
    assert not slow[1] <= slow[0] <= slow[2]  # ... by slow tumours that no grade shows
    with pytest.raises(CrosstalkError, match=r"tumour_growth_rate: .* reads 160, leaves "
                                             r"tvdt_days_p05_growth_rate_at_2_cm3 at .*, outside 317-1500"):
        recalibrate({tumour.name: 160.0, **strong})


@pytest.mark.parametrize(("holds", "named"), [
    ("tvdt_days_p05_growth_rate_at_2_cm3", "a list of criterion names"),
    (["no_such_criterion"], "no_such_criterion"),
    (["tvdt_days_at_2_cm3"], "other criteria of human_breast_tumour_growth"),
])
def test_an_anchor_holding_what_its_check_has_not_is_refused_in_one_line(holds, named):
    """``holds`` must list other criteria of the anchor's own check: a string, an unknown name or the anchored
    criterion itself is refused when the table is read, naming the value."""
    row = {"parameter": "tumour_growth_rate", "target": "human_breast_tumour_growth",
           "criterion": "tvdt_days_at_2_cm3", "distribution": "loguniform", "low": 121.0, "high": 204.0,
           "why": "test", "holds": holds}
    assert parse_anchors({"anchor": [{k: v for k, v in row.items() if k != "holds"}]})[0].holds == ()
    with pytest.raises(ModelBuildError, match=named):
        parse_anchors({"anchor": [row]})
