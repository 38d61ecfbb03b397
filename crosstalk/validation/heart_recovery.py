"""LVEF recovery with heart-failure therapy once surveillance sees CTRCD, fitted to Cardinale 2015's recoveries.

In the clinic, CTRCD seen on echocardiography starts heart-failure therapy (an ACE inhibitor and a beta-blocker),
and most patients' LVEF then rises: Cardinale 2015 report, of 226 patients with cardiotoxicity, 25 with full
recovery (LVEF back to the baseline value) and 160 with partial recovery (a rise of more than 5 points and above
50 %). The model's cardiomyocyte loss does not reverse; therapy acts on the function of the myocardium left
(reverse remodelling). A treated patient's true LVEF is read as

    ``L = b - F(t) (1 - hf_therapy_recovery_fraction)``,

``F(t)`` her untreated fall from baseline *b* (the fall she would have at the assessment without therapy, not the
fall at detection): therapy restores that fraction of it. Recovery is read on one reading :data:`ASSESSED_MONTHS`
after the visit that saw CTRCD, against that visit's reading (assumed: Cardinale's abstract does not say when or
against which reading recovery was judged, over a median follow-up of 5.2 years; Ohtani 2019's recoveries came at a
median of 4 months, IQR 2-6); its time course is not modelled. Past the simulated year the injury is held at its
last value (on AC it has reached its plateau: it grows by under 0.1 % between 12 and 36 months after the last
dose). One fraction for every patient means full recovery comes from the reading alone: restored short of her
baseline, a patient is read back at it only by chance.

Only who is seen, when, and how far her reading then rises are needed, so the outcome is computed over the
population's echo sample (:class:`crosstalk.validation.cardiac.CardiacPopulation`): each sampled patient's chance
of being seen is her weight (exact over the lognormal sensitivity, as the incidence is), and one sensitivity is
drawn for her from the lognormal above her threshold (a fixed, seeded uniform: Monte Carlo, one draw per sampled
patient), which fixes the visit that sees her and her fall. The assessment reading's error is integrated exactly
(normal), so the fractions are smooth in the restored fraction, which ``models/fits/fit_recovery.py`` fits by
binomial likelihood (two data, one unknown) and an ensemble member re-fits on its own heart and echo error
(:func:`solve_recovery`).

What it does not hold: recovery that depends on how soon therapy starts (Cardinale 2010: none recovered fully when
therapy began more than 6 months after chemotherapy), patients who are not treated, and any effect of therapy on
heart failure (Swain 2003's heart-failure curve, which calibrated the heart, is from an era without surveillance).
CTRCD incidences are unchanged: an event is counted when it is first seen.

References
----------
Cardinale D et al. (2015) Circulation 131:1981. PMID:25948538.
Ohtani K et al. (2019) Clin Res Cardiol 108:600. PMID:30367208.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt
import pandas as pd
from scipy import stats

from crosstalk.calibrate.proportions import Proportion, ProportionFit, Unknown, binomial_nll, likelihood_quantile
from crosstalk.errors import CrosstalkError, InputError
from crosstalk.model.echo import DAYS_PER_MONTH, visit_days, visit_thresholds
from crosstalk.model.observables import CTRCD_CARDINALE_THRESHOLD_PERCENT, CTRCD_DROP_POINTS
from crosstalk.model.parameters import parameter_ids
from crosstalk.spec.ranges import ParameterRange
from crosstalk.spec.scenario import Scenario
from crosstalk.validation.cardiac import CardiacPopulation, InjuryCourse
from crosstalk.validation.heart_fit import read_proportion_fit, write_proportion_fit
from crosstalk.validation.targets import target

__all__ = [
    "ASSESSED_MONTHS",
    "RECOVERY_FIT_FILE",
    "RECOVERY_PARAMETER",
    "RECOVERY_POSITION",
    "RECOVERY_UNKNOWNS",
    "RecoveryOutcome",
    "read_recovery_fit",
    "recovered_fraction",
    "recovery_curve",
    "recovery_data",
    "recovery_outcome",
    "recovery_position_range",
    "recovery_predictions",
    "recovery_quantiles",
    "solve_recovery",
    "write_recovery_fit",
]

#: The anthracycline model's parameter: the fraction of a treated patient's LVEF fall that therapy restores.
RECOVERY_PARAMETER = "hf_therapy_recovery_fraction"
#: The drawn position of an ensemble member's restored fraction within what Cardinale's recoveries allow it (0-1).
RECOVERY_POSITION = "target:ctrcd_recovery.recovery_position"
#: Months after the visit that saw CTRCD at which recovery is read.
ASSESSED_MONTHS = 12.0
#: What ``models/fits/fit_recovery.py`` fits (:func:`crosstalk.validation.heart_calibration.fit_recovery`).
RECOVERY_UNKNOWNS = (Unknown(RECOVERY_PARAMETER, 0.01, 0.99, log=False),)
#: The fit written by ``models/fits/fit_recovery.py --write``, read by ``crosstalk validate``.
RECOVERY_FIT_FILE = Path(__file__).with_name("recovery_fit.toml")
#: A fixed stream of the seeded echo sample for the drawn sensitivities (its other streams are the sample's).
_STREAM = 0x4EC0


@dataclass(frozen=True)
class RecoveryOutcome:
    """How the patients in whom surveillance sees CTRCD fare on heart-failure therapy.

    Attributes
    ----------
    incidence : float
        Fraction of the population seen with CTRCD (Cardinale's definition).
    full, partial, none : float
        Fractions of those patients with full, partial and no recovery, read on echo (they sum to 1).
    lvef_at_detection, lvef_assessed : float
        Their mean true LVEF (%) at the visit that saw CTRCD and :data:`ASSESSED_MONTHS` later.
    true_dysfunction : float
        Fraction of them whose true LVEF meets the definition at that visit (the rest were seen through reading
        error).
    reading_at_detection : float
        Their mean reading (%) at that visit.
    """

    incidence: float
    full: float
    partial: float
    none: float
    lvef_at_detection: float
    lvef_assessed: float
    true_dysfunction: float = float("nan")
    reading_at_detection: float = float("nan")

    @property
    def unrecovered_incidence(self) -> float:
        """Fraction of the whole population seen with CTRCD whose LVEF does not recover even partially."""
        return self.incidence * self.none


def _exceeds(needed: npt.NDArray[np.float64], sd: float) -> npt.NDArray[np.float64]:
    """Chance that a reading error (normal, mean 0, ``sd``) reaches ``needed`` (a step when ``sd`` is 0)."""
    if sd <= 0.0:
        return np.asarray(needed <= 0.0, dtype=np.float64)
    return np.asarray(stats.norm.sf(needed / sd), dtype=np.float64)


@dataclass(frozen=True)
class _Treated:
    """The patients surveillance sees with CTRCD on one course, before therapy acts: what does not depend on the
    restored fraction (so a profile over it costs one pass)."""

    incidence: float
    weight: npt.NDArray[np.float64]  # chance of being seen, normalised over the seen
    baseline: npt.NDArray[np.float64]  # true baseline LVEF
    baseline_reading: npt.NDArray[np.float64]
    true_at: npt.NDArray[np.float64]  # true LVEF at the visit that saw CTRCD
    reading_at: npt.NDArray[np.float64]  # that visit's reading
    fall_assessed: npt.NDArray[np.float64]  # the untreated fall at each assessment reading (patients x readings)
    sigma: float  # reading error of the assessment


def _treated(population: CardiacPopulation, course: InjuryCourse, sensitivity_sd: float | None,
             assessed_months: tuple[float, ...] = (ASSESSED_MONTHS,)) -> _Treated | None:
    """The seen patients of ``course`` (None if nobody is seen), read ``assessed_months`` after detection."""
    if population.surveillance is None or population.echo is None:
        raise CrosstalkError("recovery needs a population with a surveillance schedule (CTRCD seen on echo)")
    surveillance, echo = population.surveillance, population.echo
    sd = population.sensitivity_sd if sensitivity_sd is None else sensitivity_sd
    days = visit_days(surveillance, course.last_dose_day, float(course.time_days[-1]))
    injury = np.interp(days, course.time_days, course.injury)
    per_visit = visit_thresholds(injury, echo, points_per_loss=course.points_per_loss, reserve=course.reserve,
                                 drop=CTRCD_DROP_POINTS, level=CTRCD_CARDINALE_THRESHOLD_PERCENT)
    with np.errstate(divide="ignore"):
        z_star = np.log(per_visit.min(axis=1)) / sd
    weight = stats.norm.sf(z_star)  # each sampled patient's chance of being seen at some visit
    seen = weight > 1e-12
    if not seen.any():
        return None
    u = np.random.default_rng([surveillance.seed, _STREAM]).random(len(weight))[seen]
    s = np.exp(sd * stats.norm.isf(np.clip(u, 1e-12, 1.0) * weight[seen]))  # her sensitivity, above the threshold
    visit = np.argmax(s[:, None] > per_visit[seen], axis=1)  # the first visit whose reading sees it

    def fall(a: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
        """Each seen patient's fall at her row of injuries ``a`` (patients, or patients x readings)."""
        sa = s.reshape(-1, *([1] * (a.ndim - 1))) * a
        return np.asarray(course.points_per_loss * np.maximum(1.0 - np.exp(-sa) - course.reserve, 0.0))

    baseline = echo.baseline[seen]
    true_at = baseline - fall(injury[visit])
    later = np.interp(days[visit][:, None] + np.asarray(assessed_months)[None, :] * DAYS_PER_MONTH,
                      course.time_days, course.injury)
    return _Treated(float(np.mean(weight)), weight[seen] / weight[seen].sum(), baseline,
                    baseline + echo.baseline_error[seen], true_at,
                    true_at + echo.errors[seen][np.arange(len(visit)), visit], fall(later),
                    surveillance.measurement_sd)


def _fractions(treated: _Treated, recovered: npt.NDArray[np.float64]
               ) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
    """(full, partial) fractions of the seen patients at each restored fraction of ``recovered``: full if any
    assessment reading reaches the baseline reading, partial if none does but one rises enough (independent reading
    errors, so each is a product over the readings)."""
    t = target("ctrcd_recovery")
    # patients x readings x restored fractions
    assessed = treated.baseline[:, None, None] - treated.fall_assessed[:, :, None] * (1.0 - recovered[None, None, :])
    # errors of a reading that make it full (at or above the baseline reading) or partial (a rise of more than 5
    # points over the reading that saw CTRCD, and above 50 %)
    full_at = treated.baseline_reading[:, None, None] - assessed
    partial_at = np.maximum(t.number("partial_rise_points") + treated.reading_at[:, None, None] - assessed,
                            t.number("partial_level_percent") - assessed)
    full = 1.0 - np.prod(1.0 - _exceeds(full_at, treated.sigma), axis=1)
    either = 1.0 - np.prod(1.0 - _exceeds(np.minimum(partial_at, full_at), treated.sigma), axis=1)
    return treated.weight @ full, treated.weight @ (either - full)


def recovery_outcome(population: CardiacPopulation, course: InjuryCourse, *, recovered: float,
                     sensitivity_sd: float | None = None,
                     assessed_months: tuple[float, ...] = (ASSESSED_MONTHS,)) -> RecoveryOutcome:
    """Recovery of the patients seen with CTRCD on ``course`` when therapy restores ``recovered`` of their fall.

    Parameters
    ----------
    population : CardiacPopulation
        A population with a surveillance schedule (its echo sample, reading error and spread).
    course : InjuryCourse
        The median patient's injury on the regimen.
    recovered : float
        Fraction of the LVEF fall that therapy restores (0 to 1).
    sensitivity_sd : float, optional
        Spread of ln(cardiac sensitivity); default the population's.
    assessed_months : tuple of float
        Months after detection of the readings recovery is judged on (the best of them; default one, a year on).

    Returns
    -------
    RecoveryOutcome
        Incidence, the three recovery fractions and the mean true LVEF at detection and at the last reading.

    Raises
    ------
    CrosstalkError
        If the population has no surveillance schedule (nothing is seen, so nothing is treated).
    """
    if not 0.0 <= recovered <= 1.0:
        raise InputError(RECOVERY_PARAMETER, recovered, "a fraction from 0 to 1")
    treated = _treated(population, course, sensitivity_sd, assessed_months)
    if treated is None:
        return RecoveryOutcome(0.0, float("nan"), float("nan"), float("nan"), float("nan"), float("nan"))
    full, partial = (float(x[0]) for x in _fractions(treated, np.array([recovered])))
    assessed = treated.baseline - treated.fall_assessed[:, -1] * (1.0 - recovered)
    fall_at = treated.baseline - treated.true_at
    true = (fall_at > CTRCD_DROP_POINTS) & (treated.true_at < CTRCD_CARDINALE_THRESHOLD_PERCENT)
    return RecoveryOutcome(treated.incidence, full, partial, max(1.0 - full - partial, 0.0),
                           float(treated.weight @ treated.true_at), float(treated.weight @ assessed),
                           float(treated.weight @ true), float(treated.weight @ treated.reading_at))


def recovered_fraction(scenario: Scenario) -> float:
    """``scenario``'s :data:`RECOVERY_PARAMETER` (its override, else the table's)."""
    if RECOVERY_PARAMETER in scenario.parameters:
        return float(scenario.parameters[RECOVERY_PARAMETER])
    return float(parameter_ids(scenario.model)[RECOVERY_PARAMETER].value)


def recovery_data() -> tuple[Proportion, Proportion]:
    """Cardinale 2015's recoveries as two independent binomials (the multinomial of full, partial and none,
    factorised): full recovery of the 226 with cardiotoxicity, and partial recovery of those not fully
    recovered."""
    t = target("ctrcd_recovery")
    n, full, partial = (t.number(k) for k in ("cardiotoxicity_n", "full_recovery_n", "partial_recovery_n"))
    source = "Cardinale 2015 (226 patients with cardiotoxicity, heart-failure therapy at detection)"
    return (Proportion("full_recovery", full / n, n, source),
            Proportion("partial_recovery_of_not_full", partial / (n - full), n - full, source))


def recovery_predictions(population: CardiacPopulation, courses: tuple[InjuryCourse, ...], recovered: float, *,
                         sensitivity_sd: float | None = None,
                         assessed_months: tuple[float, ...] = (ASSESSED_MONTHS,)) -> list[float]:
    """The model's proportions of :func:`recovery_data` (over the body-size nodes, weighted by each one's
    incidence, as Cardinale's patients pool them), judged on the best of the readings ``assessed_months`` after
    detection."""
    return [float(x[0]) for x in recovery_curve(population, courses, [recovered], sensitivity_sd=sensitivity_sd,
                                                 assessed_months=assessed_months)]


def recovery_curve(population: CardiacPopulation, courses: tuple[InjuryCourse, ...], restored: npt.ArrayLike, *,
                   sensitivity_sd: float | None = None, assessed_months: tuple[float, ...] = (ASSESSED_MONTHS,)
                   ) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
    """:func:`recovery_predictions` at each of the fractions ``restored`` at once (the seen patients are found
    once).

    Parameters
    ----------
    population : CardiacPopulation
        A population with a surveillance schedule.
    courses : tuple of InjuryCourse
        The regimen's courses, one per body-size node.
    restored : array_like
        Fractions of the fall that therapy restores (0 to 1).
    sensitivity_sd : float, optional
        Spread of ln(cardiac sensitivity); default the population's.
    assessed_months : tuple of float
        Months after detection of the readings recovery is judged on (the best of them).

    Returns
    -------
    tuple of ndarray
        (full recovery, partial recovery of those not fully recovered), one value per fraction.
    """
    return _pooled(population, courses, np.asarray(restored, dtype=np.float64), sensitivity_sd, assessed_months)


def _pooled(population: CardiacPopulation, courses: tuple[InjuryCourse, ...], recovered: npt.NDArray[np.float64],
            sensitivity_sd: float | None, assessed_months: tuple[float, ...] = (ASSESSED_MONTHS,)
            ) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
    """(full, partial of the not fully recovered) at each of ``recovered``, pooled over the nodes."""
    treated = [t for t in (_treated(population, c, sensitivity_sd, assessed_months) for c in courses)
               if t is not None]
    if not treated:
        raise CrosstalkError("recovery: no patient is seen with CTRCD on this regimen")
    seen = np.array([t.incidence for t in treated])
    split = [_fractions(t, recovered) for t in treated]
    full = np.average([f for f, _ in split], axis=0, weights=seen)
    partial = np.average([p for _, p in split], axis=0, weights=seen)
    return full, partial / np.maximum(1.0 - full, 1e-12)


def recovery_position_range() -> tuple[ParameterRange, str]:
    """:data:`RECOVERY_POSITION` as an ensemble draws it, with its basis.

    Examples
    --------
    >>> r, _ = recovery_position_range()
    >>> r.name, r.low, r.high
    ('target:ctrcd_recovery.recovery_position', 0.0, 1.0)
    """
    basis = ("fit: the member's hf_therapy_recovery_fraction, re-fitted to Cardinale 2015's recoveries (25 full and "
             "160 partial of 226, binomial likelihood) on its own re-fitted heart and drawn echo error; this position "
             "(uniform) is its quantile under that likelihood (crosstalk.validation.heart_recovery.solve_recovery)")
    return ParameterRange(RECOVERY_POSITION, 0.0, 1.0), basis


#: The restored fractions over which a member's recovery is profiled (:func:`solve_recovery`).
_PROFILE_GRID = np.linspace(0.0, 1.0, 201)


def solve_recovery(population: CardiacPopulation, courses: tuple[InjuryCourse, ...], *, position: float,
                   sensitivity_sd: float | None = None,
                   assessed_months: tuple[float, ...] = (ASSESSED_MONTHS,)) -> float:
    """An ensemble member's restored fraction, re-fitted to Cardinale's recoveries on its own heart and echo error.

    The fraction that fits depends on how noisy the echo is (a noisier reading reads more of the patients as
    recovered without therapy) and on the heart (how far the seen patients' LVEF falls), so a member re-fits it
    rather than draw it independently of them. ``position`` (0-1) is its quantile under the binomial likelihood
    normalised over 0-1 (a flat prior), as the reserve's position is under its profile: the fraction's own
    uncertainty is carried with the weight the data give it. A poor best fit is not a reason to leave the member
    out: the recovery's structure (one fraction for all, read a year on against the reading that saw CTRCD) is
    itself assumed.

    Examples
    --------
    >>> from crosstalk.sim.simulator import simulator_for
    >>> from crosstalk.validation.cardiac import cardinale_course
    >>> pop = CardiacPopulation.load(n_bsa=1)
    >>> courses = pop.courses(simulator_for("anthracycline"), cardinale_course())
    >>> 0.45 < solve_recovery(pop, courses, position=0.5) < 0.7
    True
    """
    return recovery_quantiles(population, courses, [position], sensitivity_sd=sensitivity_sd,
                              assessed_months=assessed_months)[0]


def recovery_quantiles(population: CardiacPopulation, courses: tuple[InjuryCourse, ...], positions: Sequence[float],
                       *, sensitivity_sd: float | None = None,
                       assessed_months: tuple[float, ...] = (ASSESSED_MONTHS,)) -> list[float]:
    """:func:`solve_recovery` at several positions of one likelihood, computed once (e.g. a median and a 95 %
    interval).

    Parameters
    ----------
    population : CardiacPopulation
        A population with a surveillance schedule.
    courses : tuple of InjuryCourse
        Cardinale's regimen's courses, one per body-size node.
    positions : sequence of float
        Quantiles (0-1) of the likelihood over the restored fraction (a flat prior on 0-1).
    sensitivity_sd : float, optional
        Spread of ln(cardiac sensitivity); default the population's.
    assessed_months : tuple of float
        Months after detection of the readings recovery is judged on (the best of them).

    Returns
    -------
    list of float
        The restored fraction at each position.
    """
    full, partial = _pooled(population, courses, _PROFILE_GRID, sensitivity_sd, assessed_months)
    data = recovery_data()
    nll = [binomial_nll(np.array([f, p]), data) for f, p in zip(full, partial, strict=True)]
    return [likelihood_quantile(_PROFILE_GRID, nll, q) for q in positions]


def write_recovery_fit(fit: ProportionFit, path: Path = RECOVERY_FIT_FILE) -> Path:
    """Write the recovery fit's estimate and observed-vs-fitted table."""
    header = ("# Generated by models/fits/fit_recovery.py --write (crosstalk.validation.heart_recovery): the fraction\n"
              "# of a treated patient's LVEF fall that heart-failure therapy restores, fitted to Cardinale 2015's\n"
              "# recoveries by binomial likelihood; read by crosstalk validate. Do not edit by hand.\n")
    return write_proportion_fit(fit, path, header=header)


def read_recovery_fit(path: Path = RECOVERY_FIT_FILE) -> tuple[pd.DataFrame, pd.DataFrame, dict[str, float]]:
    """(estimates, observed vs fitted, summary) of the shipped recovery fit."""
    return read_proportion_fit(path)
