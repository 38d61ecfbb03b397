"""LVEF recovery with heart-failure therapy once echo sees CTRCD: known answers without reading error, a Monte Carlo
cross-check of the exact weighting, the fit's recovery of a known fraction, and the ensemble's answer."""

from __future__ import annotations

from dataclasses import replace
from itertools import pairwise

import numpy as np
import pytest

from crosstalk import load_scenario
from crosstalk.calibrate.ensemble import draw_ensemble
from crosstalk.calibrate.proportion_fit import fit_proportions
from crosstalk.calibrate.proportions import Proportion
from crosstalk.errors import CrosstalkError, InputError
from crosstalk.model.echo import DAYS_PER_MONTH, Surveillance, visit_days, visit_thresholds
from crosstalk.model.observables import CTRCD_CARDINALE_THRESHOLD_PERCENT, CTRCD_DROP_POINTS
from crosstalk.sim.simulator import Simulator
from crosstalk.validation import run_check
from crosstalk.validation.anchors import anchor_conditioning, recalibrate
from crosstalk.validation.cardiac import CardiacPopulation, cardinale_course
from crosstalk.validation.heart_conditioning import RESERVE_POSITION
from crosstalk.validation.heart_recovery import (
    ASSESSED_MONTHS,
    RECOVERY_PARAMETER,
    RECOVERY_POSITION,
    RECOVERY_UNKNOWNS,
    recovery_data,
    recovery_outcome,
    recovery_predictions,
    solve_recovery,
)
from crosstalk.validation.population_heart import heart_incidences


@pytest.fixture(scope="module")
def courses() -> tuple[CardiacPopulation, tuple]:
    population = CardiacPopulation.load(n_bsa=3, surveillance=Surveillance(patients=3000))
    return population, population.courses(Simulator("anthracycline"), cardinale_course())


def _exact(population: CardiacPopulation) -> CardiacPopulation:
    """The same population read without reading error."""
    surveillance = replace(population.surveillance, measurement_sd=0.0)
    return CardiacPopulation.load(n_bsa=3, surveillance=surveillance)


def test_without_reading_error_therapy_decides_recovery(courses) -> None:
    """With exact readings, restoring the whole fall is full recovery for every treated patient, and restoring none
    leaves every one unrecovered (the injury never falls, so her LVEF cannot rise by itself)."""
    population, cs = courses
    exact = _exact(population)
    whole = recovery_outcome(exact, cs[1], recovered=1.0)
    assert (whole.full, whole.partial, whole.none) == pytest.approx((1.0, 0.0, 0.0))
    nothing = recovery_outcome(exact, cs[1], recovered=0.0)
    assert (nothing.full, nothing.partial, nothing.none) == pytest.approx((0.0, 0.0, 1.0))
    assert nothing.lvef_assessed <= nothing.lvef_at_detection < CTRCD_CARDINALE_THRESHOLD_PERCENT


def test_reading_error_alone_reads_as_recovery(courses) -> None:
    """A reading chosen for being low is followed by a higher one: without therapy, echo still reads part of the
    patients as recovered; more restored means more full and fewer unrecovered."""
    population, cs = courses
    out = [recovery_outcome(population, cs[1], recovered=r) for r in (0.0, 0.3, 0.6, 0.9)]
    assert 0.1 < out[0].full + out[0].partial < 0.6
    assert all(a.full < b.full and a.none > b.none for a, b in pairwise(out))
    assert all(o.full + o.partial + o.none == pytest.approx(1.0) for o in out)
    assert out[0].incidence == pytest.approx(population.incidence((cs[1],), "ctrcd_cardinale"))


def test_exact_weighting_agrees_with_sampled_patients(courses) -> None:
    """The outcome weights each sampled patient by her chance of being seen and draws one sensitivity above her
    threshold; drawing sensitivities for every patient, seeing who is seen and reading her recovery with a
    sampled error gives the same fractions."""
    population, cs = courses
    course, recovered = cs[1], 0.55
    exact = recovery_outcome(population, course, recovered=recovered)
    echo, surveillance = population.echo, population.surveillance
    days = visit_days(surveillance, course.last_dose_day, float(course.time_days[-1]))
    injury = np.interp(days, course.time_days, course.injury)
    per_visit = visit_thresholds(injury, echo, points_per_loss=course.points_per_loss, reserve=course.reserve,
                                 drop=CTRCD_DROP_POINTS, level=CTRCD_CARDINALE_THRESHOLD_PERCENT)
    rng = np.random.default_rng(7)
    full = partial = seen_total = 0
    for _ in range(60):
        s = np.exp(population.sensitivity_sd * rng.standard_normal(len(echo.baseline)))
        seen_at = s[:, None] > per_visit
        seen = seen_at.any(axis=1)
        visit = np.argmax(seen_at[seen], axis=1)
        rows = np.arange(len(visit))

        def fall(a: np.ndarray, s: np.ndarray = s[seen]) -> np.ndarray:
            return course.points_per_loss * np.maximum(1.0 - np.exp(-s * a) - course.reserve, 0.0)

        b = echo.baseline[seen]
        first = b + echo.baseline_error[seen]
        at = b - fall(injury[visit]) + echo.errors[seen][rows, visit]
        later = np.interp(days[visit] + ASSESSED_MONTHS * DAYS_PER_MONTH, course.time_days, course.injury)
        reading = b - fall(later) * (1.0 - recovered) + rng.normal(0.0, surveillance.measurement_sd, len(b))
        is_full = reading >= first
        full += int(is_full.sum())
        partial += int((~is_full & (reading > at + 5.0) & (reading > 50.0)).sum())
        seen_total += int(seen.sum())
    assert seen_total / (60 * len(echo.baseline)) == pytest.approx(exact.incidence, rel=0.05)
    assert full / seen_total == pytest.approx(exact.full, abs=0.02)
    assert partial / seen_total == pytest.approx(exact.partial, abs=0.03)


def test_fit_recovers_a_known_fraction(courses) -> None:
    """Recoveries generated at a known restored fraction (as counts of Cardinale's size) are fitted back within the
    profile interval."""
    population, cs = courses
    truth = 0.4
    full, partial = recovery_predictions(population, cs, truth)
    data = (Proportion("full_recovery", round(full * 226) / 226, 226),
            Proportion("partial_recovery_of_not_full", round(partial * 200) / 200, 200))
    fit = fit_proportions(lambda v: recovery_predictions(population, cs, v[RECOVERY_PARAMETER]), data,
                          RECOVERY_UNKNOWNS, starts=2, samples=0)
    row = fit.estimates.set_index("parameter").loc[RECOVERY_PARAMETER]
    assert row.lower95 < truth < row.upper95
    assert row.estimate == pytest.approx(truth, abs=0.05)


def test_cardinale_data_are_a_factorised_multinomial() -> None:
    full, partial = recovery_data()
    assert (full.observed * full.n, full.n) == pytest.approx((25, 226))
    assert (partial.observed * partial.n, partial.n) == pytest.approx((160, 201))


def test_check_and_ensemble_answer() -> None:
    """The shipped fraction meets Cardinale's three fractions, and the ensemble's answer is the part of the
    incidence that does not recover."""
    check = run_check("ctrcd_recovery")
    assert check.passed, check.describe()
    out = heart_incidences(cardinale_course())
    assert 0.0 < out["ctrcd_unrecovered_incidence"] < 0.4 * out["ctrcd_incidence"]
    more = heart_incidences(cardinale_course(parameters={RECOVERY_PARAMETER: 0.9}))
    assert more["ctrcd_unrecovered_incidence"] < out["ctrcd_unrecovered_incidence"]
    assert more["ctrcd_incidence"] == pytest.approx(out["ctrcd_incidence"])


def test_bad_input_is_named(courses) -> None:
    population, cs = courses
    with pytest.raises(InputError, match=RECOVERY_PARAMETER):
        recovery_outcome(population, cs[0], recovered=1.5)
    with pytest.raises(CrosstalkError, match="surveillance"):
        recovery_outcome(CardiacPopulation.load(n_bsa=1, surveillance=None), cs[0], recovered=0.5)


def test_a_member_re_fits_the_restored_fraction_on_its_own_echo_and_heart(courses) -> None:
    """The fraction that fits Cardinale's recoveries falls as the echo gets noisier (more patients read as
    recovered without therapy); a member's position is a quantile of that likelihood; an ensemble of a human AC
    scenario re-fits it rather than draw it, and recalibrate sets it."""
    population, cs = courses
    middle = solve_recovery(population, cs, position=0.5)
    assert middle == pytest.approx(0.57, abs=0.03)
    assert solve_recovery(population, cs, position=0.05) < middle < solve_recovery(population, cs, position=0.95)
    noisy = CardiacPopulation.load(n_bsa=3, surveillance=Surveillance(patients=3000, measurement_sd=5.1))
    noisy_courses = noisy.courses(Simulator("anthracycline"), cardinale_course())
    assert solve_recovery(noisy, noisy_courses, position=0.5) < middle - 0.1
    conditioning = anchor_conditioning("crosstalk", "human")
    assert conditioning is not None and conditioning.solves[RECOVERY_POSITION] == RECOVERY_PARAMETER
    s = load_scenario("aerobic_during_ac")
    names = draw_ensemble(s, 4, seed=1, conditioning=conditioning).names
    assert RECOVERY_POSITION in names and RECOVERY_PARAMETER not in names
    # a scenario that fixes the heart keeps the row's own range
    fixed = draw_ensemble(replace(s, parameters={**s.parameters, "myocardial_reserve": 0.3}), 4, seed=1,
                          conditioning=conditioning).names
    assert RECOVERY_POSITION not in fixed and RECOVERY_PARAMETER in fixed
    solved = recalibrate({"target:ctrcd_incidence.incidence": 0.0861, RESERVE_POSITION: 0.5, RECOVERY_POSITION: 0.5})
    assert RECOVERY_POSITION not in solved and 0.45 < solved[RECOVERY_PARAMETER] < 0.7


def test_what_therapy_restores_depends_on_how_recovery_is_judged(courses) -> None:
    """Judged on the best of more readings, reading error alone reads more patients as recovered, so less is left
    for therapy: the fitted fraction falls (one reading a year on, the best of 6 and 12 months, of four to two
    years), and one reading given as a tuple is the default."""
    population, cs = courses
    one, two, four = (solve_recovery(population, cs, position=0.5, assessed_months=m)
                      for m in ((12.0,), (6.0, 12.0), (6.0, 12.0, 18.0, 24.0)))
    assert one > two + 0.1 > four + 0.2
    untreated = [recovery_outcome(population, cs[1], recovered=0.0, assessed_months=m)
                 for m in ((12.0,), (6.0, 12.0))]
    assert untreated[1].none < untreated[0].none
    assert recovery_predictions(population, cs, 0.5) == recovery_predictions(population, cs, 0.5,
                                                                             assessed_months=(12.0,))
