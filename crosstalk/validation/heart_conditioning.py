"""Each ensemble member's heart re-fitted to both of its calibration data: Cardinale's incidence and Swain's curve.

The heart population's loss rate, myocardial reserve and spread of cardiac sensitivity were fitted jointly
(:mod:`crosstalk.validation.heart_fit`): the reserve is practically non-identifiable on its own, but the data tie
it to the spread (a narrow population needs a small reserve to give Swain's gradual dose curve, a wide one a
larger reserve). Drawn independently of the spread, a reserve breaks that tie: only a third of such members kept
Swain's three incidences inside their binomial intervals. So a member that draws the spread (and the echo's
reading error, and Cardinale's datum) also re-fits its reserve and loss rate to them, given everything else it
drew (its drug exposure, its LVEF slope, the LVEF below which it counts heart failure):

- at each trial reserve, the loss rate is re-solved so the measured CTRCD incidence reads the drawn datum (one
  simulation per regimen and body-size node: injury is linear in the loss rate, so the solve is analytic);
- the reserves whose Swain binomial deviance is within the chi-square 95 % threshold of the best (one degree of
  freedom, searched over the fit's 0-0.5 range) are the member's plausible reserves;
- the member's drawn position, uniform on 0-1 (:data:`RESERVE_POSITION`), is the quantile of its reserve under
  the profile likelihood normalised over that interval (a flat prior on the reserve), so the reserve's remaining
  uncertainty is carried with the weight the data give it, not spread evenly to the interval's edges (one of which
  is often the search limit);
- a member that cannot reproduce Swain's curve at any reserve (its best deviance against the four observations
  fails the chi-square goodness-of-fit test at 5 %, three degrees of freedom: four data, one reserve) is not
  plausible and fails calibration: chiefly a shallow drawn LVEF slope, with which too few patients ever reach an
  LVEF below 40 % (the plausible-patient selection of Allen et al. 2016, CPT Pharmacometrics Syst Pharmacol
  5:140, applied to parameter sets).

Where heart failure is counted (``heart_failure_lvef_percent``, drawn uniformly from 40 to 48 %:
:func:`heart_failure_lvef_range`) is the heart's structural uncertainty: Swain's curve and Cardinale's incidence fit
a family of hearts, heart failure below 40 % with a large reserve (LVEF held until much myocardium is lost) or below
a higher LVEF with a small reserve (LVEF falling sooner), and the re-fitted reserve follows the drawn cut along that
family (about 0.23-0.5 at 40 %, 0.09-0.18 at 45 %, 0.03-0.09 at 48 %). The draw is uniform over the cut, not
weighted by how well each cut fits (``benchmarks/heart_structure.py`` measures how the placebo arms' LVEF decline, a
prediction here, would weigh them); but leaving out the members that cannot give Swain's curve removes more with low
cuts (a shallow LVEF slope reaches the curve only with a higher one), so the kept members lean towards the graded
end.

The chi-square levels are approximate: Swain's four points are nested values of one Kaplan-Meier curve and their
numbers at risk are assumed (``project_targets.toml``), so treating them as independent binomials overstates what
they know. The drawn quantities are independent, but the members kept are not: leaving out those that cannot give
Swain's curve ties the kept members' LVEF slopes to their other values, which the Sobol analysis of an ensemble
(built for independent inputs) does not account for.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache

import numpy as np
from scipy import stats
from scipy.optimize import brentq, minimize_scalar

from crosstalk.calibrate.ensemble import POPULATION
from crosstalk.calibrate.proportions import binomial_nll, likelihood_quantile
from crosstalk.errors import CrosstalkError
from crosstalk.model.parameters import parameter_ids
from crosstalk.sim.simulator import Simulator
from crosstalk.spec.ranges import ParameterRange
from crosstalk.spec.scenario import CumulativeDoseWarning
from crosstalk.validation.cardiac import InjuryCourse, cardinale_course, swain_course
from crosstalk.validation.heart_fit import HEART_UNKNOWNS, SWAIN_DOSES, heart_data
from crosstalk.validation.population_heart import ECHO_SD, SENSITIVITY_SD, cardiac_population

__all__ = ["GOODNESS_OF_FIT", "HEART_FAILURE_LVEF", "RESERVE_POSITION", "HeartSolution", "heart_failure_lvef_range",
           "reserve_range", "solve_heart"]

#: The drawn position of a member's reserve within the interval Swain's curve allows it (0: lowest, 1: highest).
RESERVE_POSITION = "target:heart_failure_swain.reserve_position"
#: The drawn LVEF (%) below which a member counts heart failure (its ``heart_failure_lvef_percent``).
HEART_FAILURE_LVEF = "target:heart_failure_swain.heart_failure_lvef_percent"
#: Where heart failure may be counted (LVEF %): the reduced-EF range's upper bound, and the graded structure's best
#: fit (47.9 %, ``benchmarks/heart_structure.py``) within the mildly reduced range (41-49 %).
HEART_FAILURE_LVEF_LIMITS = (40.0, 48.0)
#: Half the chi-square 95 % quantile with one degree of freedom: the profile threshold on the negative
#: log-likelihood.
THRESHOLD = float(stats.chi2.ppf(0.95, 1)) / 2.0
#: The goodness-of-fit limit on a member's best deviance against Swain's four points (chi-square 95 %, 3 degrees of
#: freedom).
GOODNESS_OF_FIT = float(stats.chi2.ppf(0.95, 3))
#: Widest loss-rate factor either side of the member's starting value.
MAX_FACTOR = 1000.0
_GRID = 11
_QUANTILE_GRID = 21


def reserve_range() -> tuple[ParameterRange, str]:
    """:data:`RESERVE_POSITION` as an ensemble draws it, with its basis.

    Examples
    --------
    >>> r, _ = reserve_range()
    >>> r.name, r.low, r.high
    ('target:heart_failure_swain.reserve_position', 0.0, 1.0)
    """
    basis = ("fit: the member's myocardial reserve, re-fitted with its loss rate to Swain 2003 (heart failure at "
             "400-700 mg/m2, binomial likelihood) and Cardinale 2015 (its drawn datum) at its drawn spread, echo "
             "error and heart-failure LVEF; this position (uniform) picks it within the reserves whose deviance is "
             "inside the chi-square 95 % threshold (crosstalk.validation.heart_conditioning)")
    return ParameterRange(RESERVE_POSITION, 0.0, 1.0), basis


def heart_failure_lvef_range() -> tuple[ParameterRange, str]:
    """:data:`HEART_FAILURE_LVEF` as an ensemble draws it, with its basis.

    Examples
    --------
    >>> r, _ = heart_failure_lvef_range()
    >>> r.low, r.high, r.distribution
    (40.0, 48.0, 'uniform')
    """
    low, high = HEART_FAILURE_LVEF_LIMITS
    basis = ("assumed: clinical heart failure is a diagnosis, not an LVEF (Swain 2003: LVEF did not predict CHF), so "
             "the LVEF that stands for it is a modelling choice the incidence data do not settle: heart failure "
             "below 40 % with a large reserve and below about 48 % with a small one (LVEF falling sooner) both fit "
             "Swain 2003 and Cardinale 2015 (benchmarks/heart_structure.py). Uniform from the reduced-EF range's "
             "upper bound (40 %) into the mildly reduced range (41-49 %; McDonagh TA et al. (2021) Eur Heart J "
             "42:3599, doi:10.1093/eurheartj/ehab368) up to 48 %, the graded structure's best fit; higher, the "
             "re-fitted reserve reaches its lower limit 0 and the cut meets the virtual population's 50 % floor of "
             "baseline LVEF and Cardinale's CTRCD cut, so heart failure would need hardly any fall. The member's "
             "reserve and loss rate are re-fitted at it (crosstalk.validation.heart_conditioning)")
    return ParameterRange(HEART_FAILURE_LVEF, low, high), basis


@cache
def _bounds() -> tuple[float, float]:
    reserve = next(u for u in HEART_UNKNOWNS if u.name == "myocardial_reserve")
    return reserve.low, reserve.high


@dataclass(frozen=True)
class HeartSolution:
    """One member's re-fitted heart.

    Attributes
    ----------
    k_cardiomyocyte_loss, myocardial_reserve : float
        The re-solved values.
    interval : tuple of float
        The member's plausible reserves (low, high).
    deviance : float
        Its best deviance against Swain's four points (against the saturated model; the reserve that gives it).
    swain : tuple of float
        Its heart-failure incidences at :data:`~crosstalk.validation.heart_fit.SWAIN_DOSES`.
    cardinale : tuple of InjuryCourse
        Its courses of Cardinale's regimen at the two values (one per body-size node).
    """

    k_cardiomyocyte_loss: float
    myocardial_reserve: float
    interval: tuple[float, float]
    deviance: float
    swain: tuple[float, ...]
    cardinale: tuple[InjuryCourse, ...] = ()

    def parameters(self) -> dict[str, float]:
        """The two parameter values."""
        return {"k_cardiomyocyte_loss": self.k_cardiomyocyte_loss, "myocardial_reserve": self.myocardial_reserve}


def solve_heart(sim: Simulator, parameters: Mapping[str, float], population: Mapping[str, float], *,
                ctrcd: float, position: float) -> HeartSolution:
    """The loss rate and reserve of one member (see the module's description).

    Parameters
    ----------
    sim : Simulator
        A simulator of a model with the heart (the anthracycline model).
    parameters : mapping of str to float
        The member's values of ``sim``'s model (the tables' elsewhere); its loss rate is the starting value.
    population : mapping of str to float
        The member's drawn ``population:`` quantities (spread and echo reading error; the fitted and cited
        defaults when absent).
    ctrcd : float
        The drawn measured CTRCD incidence (Cardinale's definition, a year after AC) the member must give.
    position : float
        Where in its plausible interval the reserve lies (0-1).

    Returns
    -------
    HeartSolution
        The two values, with the interval and Swain's incidences at them.

    Examples
    --------
    >>> from crosstalk.sim.simulator import simulator_for
    >>> h = solve_heart(simulator_for("anthracycline"), {}, {}, ctrcd=0.0861, position=0.5)  # doctest: +SKIP
    >>> h.interval[0] < h.myocardial_reserve < h.interval[1]  # doctest: +SKIP
    True

    Raises
    ------
    CrosstalkError
        If no loss rate within :data:`MAX_FACTOR` of the starting one gives ``ctrcd`` at some reserve, or no
        reserve gives Swain's curve within :data:`GOODNESS_OF_FIT`.
    """
    cardiac = cardiac_population(population.get(POPULATION + ECHO_SD))
    sd = population.get(POPULATION + SENSITIVITY_SD, cardiac.sensitivity_sd)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", CumulativeDoseWarning)  # Swain's doses exceed the label's cap on purpose
        card = cardiac.courses(sim, cardinale_course(model=sim.model, parameters=parameters))
        swain = [cardiac.courses(sim, swain_course(d, model=sim.model, parameters=parameters)) for d in SWAIN_DOSES]
    data = [p for p in heart_data() if p.name.startswith("heart_failure_swain")]

    def incidence(courses: tuple[InjuryCourse, ...], event: str, factor: float, reserve: float) -> float:
        return cardiac.incidence(courses, event, loss_factor=factor, reserve=reserve, sensitivity_sd=sd)

    last = [0.0]  # the previous solution's log factor: the next reserve's is near it

    @cache
    def factor(reserve: float) -> float:
        def gap(log_f: float) -> float:
            return incidence(card, "ctrcd_cardinale", math.exp(log_f), reserve) - ctrcd

        # the incidence rises with the loss rate: step from the last solution towards the datum, doubling, to the
        # first sign change, then Brent's method
        near, f_near = last[0], gap(last[0])
        step = 0.1
        while True:
            widest = math.log(MAX_FACTOR)
            far = min(max(near + (step if f_near < 0 else -step), -widest), widest)
            if far == near:
                raise CrosstalkError(f"k_cardiomyocyte_loss: no value within {MAX_FACTOR:g}-fold of the member's "
                                     f"gives a measured CTRCD incidence of {ctrcd:.4g} with a reserve of "
                                     f"{reserve:.3g}")
            f_far = gap(far)
            if f_far * f_near <= 0:
                break
            near, f_near, step = far, f_far, 2.0 * step
        last[0] = brentq(gap, min(near, far), max(near, far), xtol=1e-4)
        return math.exp(last[0])

    def nll(reserve: float) -> float:
        """Swain's binomial negative log-likelihood less the saturated model's (half the deviance)."""
        try:
            f = factor(reserve)
        except CrosstalkError:
            return math.inf  # this reserve cannot give the datum: implausible, not a failed member
        return binomial_nll(np.array([incidence(c, "heart_failure", f, reserve) for c in swain]), data)

    low, high = _bounds()
    grid = np.linspace(low, high, _GRID)
    values = np.array([nll(float(r)) for r in grid])
    if not np.isfinite(values).any():
        factor(float(grid[0]))  # raises the one-line reason
    i = int(np.argmin(values))
    best = minimize_scalar(nll, bounds=(grid[max(i - 1, 0)], grid[min(i + 1, _GRID - 1)]), method="bounded",
                           options={"xatol": 1e-4})
    r_best, level = (float(best.x), float(best.fun)) if best.fun < values[i] else (float(grid[i]), float(values[i]))
    deviance = 2.0 * level
    if deviance > GOODNESS_OF_FIT:
        raise CrosstalkError(f"myocardial_reserve: no reserve in {low:g}-{high:g} reproduces Swain's heart-failure "
                             f"curve with this member's other values (best deviance {deviance:.1f} > "
                             f"{GOODNESS_OF_FIT:.2f}, at {r_best:.3g}; lvef_points_per_loss "
                             f"{card[0].points_per_loss:.3g}, heart_failure_lvef_percent "
                             f"{card[0].heart_failure_lvef:.3g})")
    cut = level + THRESHOLD

    def edge(side: int) -> float:
        # outward from the best reserve, the first grid point past the threshold, then Brent's method between it
        # and the last point inside (the basin can be narrower than the grid's step)
        inner = r_best
        for r in sorted((float(x) for x in grid if side * (x - r_best) > 0), key=lambda x: side * (x - r_best)):
            if nll(r) > cut:
                return float(brentq(lambda x: nll(x) - cut, *sorted((inner, r)), xtol=1e-4))
            inner = r
        return float(grid[0] if side < 0 else grid[-1])

    interval = (edge(-1), edge(1))
    # the position as a quantile of the profile likelihood over the interval (trapezoids on a fine grid)
    fine = np.linspace(*interval, _QUANTILE_GRID)
    wide = interval[1] > interval[0]
    reserve = likelihood_quantile(fine, [nll(float(r)) for r in fine], position) if wide else r_best
    f = factor(reserve)
    k0 = float(parameters.get("k_cardiomyocyte_loss", parameter_ids(sim.model)["k_cardiomyocyte_loss"].value))
    return HeartSolution(k0 * f, reserve, interval, deviance,
                         tuple(incidence(c, "heart_failure", f, reserve) for c in swain),
                         tuple(c.with_rates(loss_factor=f, reserve=reserve) for c in card))
