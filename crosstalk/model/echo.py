"""The LVEF the clinic measures: echocardiography at a surveillance schedule, with its measurement error.

Cardiac dysfunction after anthracyclines is diagnosed on measured LVEF: a reading more than 10 points below the
baseline reading and under 50 % (Cardinale 2015). Each reading carries the imaging's test-retest error, so a
patient whose true LVEF barely moves can cross the threshold by chance and one whose true LVEF crosses it can be
missed between visits. Counting events on the true LVEF meets a steep threshold with nothing to blur it: any cut in
injury then removes most events (a threshold artefact). Here the events are counted as a surveillance programme
would see them.

Readings are ``true LVEF + e`` with ``e`` normal, mean 0 and :attr:`Surveillance.measurement_sd`, independent
between visits. Given a patient's true baseline and her errors, each visit's event is "the median patient's
injury, scaled by her cardiac sensitivity, exceeds a threshold", so the event happens exactly when her sensitivity
exceeds the smallest of the visits' thresholds: the incidence is integrated exactly over the lognormal sensitivity
and by a fixed, seeded sample over baselines and errors (smooth in the calibrated parameters).

References
----------
Cardinale D et al. (2015) Circulation 131:1981. PMID:25948538 (LVEF at baseline, every 3 months during
chemotherapy and for the following year; cardiotoxicity a fall of more than 10 points to below 50 %).
Thavendiranathan P et al. (2013) J Am Coll Cardiol 61:77. doi:10.1016/j.jacc.2012.09.035 (56 women with breast
cancer, stable function, LVEF by echo at 0, 3, 6, 9, 12 months: temporal variability 0.06 by 3D, over 0.10 by 2D
methods).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from scipy import stats

from crosstalk.errors import InputError
from crosstalk.model.observables import (
    CTRCD_CARDINALE_THRESHOLD_PERCENT,
    CTRCD_DROP_POINTS,
    CTRCD_THRESHOLD_PERCENT,
)

__all__ = [
    "CARDINALE_ECHO",
    "DAYS_PER_MONTH",
    "ECHO_2D_SD",
    "ECHO_2D_SD_HIGH",
    "MEASURED_ENDPOINTS",
    "EchoSample",
    "Surveillance",
    "echo_sample",
    "incidence_over_sensitivity",
    "measured_events",
    "measured_thresholds",
    "reading_errors",
    "visit_days",
    "visit_thresholds",
]

DAYS_PER_MONTH = 365.25 / 12.0
#: Per-reading standard deviation of 2D echocardiographic LVEF (points): Thavendiranathan 2013's 95 % temporal
#: variability of 2D methods, over 10 points, read as the limit of a change between two readings, 1.96 * sqrt(2)
#: * sd, so sd = 10 / 2.77 = 3.6 (3D: 6 / 2.77 = 2.2). Cardinale's cohort (2000-2013) was followed by 2D echo.
#: Read instead as 1.96 sd of one reading (their ANOVA's definition was not seen), it would be about 5.1: plausible
#: range 3.6-5.1, and "over 10" makes both a floor.
ECHO_2D_SD = 3.6
#: The same variability read as 1.96 sd of one reading: 10 / 1.96 = 5.1 (the top of the plausible range).
ECHO_2D_SD_HIGH = 5.1


@dataclass(frozen=True)
class Surveillance:
    """An imaging schedule and its measurement error.

    Attributes
    ----------
    measurement_sd : float
        Standard deviation of one reading (LVEF points); 0 reads the true LVEF.
    end_of_treatment_days : float
        A visit this long after the last doxorubicin dose (the end of its cycle).
    months_after : tuple of float
        Further visits, months after the last dose (Cardinale: every 3 months for the year after chemotherapy).
    patients : int
        Size of the fixed sample of baselines and reading errors an incidence averages over.
    seed : int
        Seed of that sample.
    """

    measurement_sd: float = ECHO_2D_SD
    end_of_treatment_days: float = 21.0
    months_after: tuple[float, ...] = (3.0, 6.0, 9.0, 12.0)
    patients: int = 4000
    seed: int = 2015

    def __post_init__(self) -> None:
        if not (math.isfinite(self.measurement_sd) and 0.0 <= self.measurement_sd <= 15.0):
            raise InputError("surveillance.measurement_sd", self.measurement_sd, "0 to 15 LVEF points")
        if not 10 <= self.patients <= 1_000_000:
            raise InputError("surveillance.patients", self.patients, "10 to 1000000")


#: Cardinale's surveillance read by 2D echo: what the calibrated population counts CTRCD with.
CARDINALE_ECHO = Surveillance()


def visit_days(surveillance: Surveillance, last_dose_day: float, end_day: float) -> npt.NDArray[np.float64]:
    """Days of the follow-up visits (after the baseline reading) that fall within the simulated time.

    Examples
    --------
    >>> visit_days(Surveillance(), 64.0, 64.0 + 365.0).round(1).tolist()
    [85.0, 155.3, 246.6, 337.9, 429.0]
    """
    days = [last_dose_day + surveillance.end_of_treatment_days,
            *(last_dose_day + m * DAYS_PER_MONTH for m in surveillance.months_after)]
    # a visit within a day after the simulated end (12 months = 365.25 days) is read at the end
    return np.array([min(d, end_day) for d in days if d <= end_day + 1.0], dtype=np.float64)


@dataclass(frozen=True)
class EchoSample:
    """A fixed sample of patients' true baselines and reading errors.

    Attributes
    ----------
    baseline : ndarray
        True baseline LVEF (%) of each patient.
    baseline_error : ndarray
        Error of each patient's baseline reading (points).
    errors : ndarray
        Errors of her follow-up readings (patients x visits, points).
    """

    baseline: npt.NDArray[np.float64]
    baseline_error: npt.NDArray[np.float64]
    errors: npt.NDArray[np.float64]


def echo_sample(surveillance: Surveillance, *, mean: float, sd: float, minimum: float, maximum: float,
                visits: int) -> EchoSample:
    """Patients whose **measured** baseline LVEF follows a normal (``mean``, ``sd``) truncated to ``minimum`` to
    ``maximum`` (eligibility is decided on a reading), split into a true LVEF and a reading error: the true
    spread is the measured one less the error's, ``sqrt(sd**2 - measurement_sd**2)``.

    Examples
    --------
    >>> s = echo_sample(Surveillance(patients=20000), mean=63.7, sd=5.6, minimum=50.0, maximum=80.0, visits=4)
    >>> measured = s.baseline + s.baseline_error
    >>> round(float(measured.min()), 1) >= 50.0, round(float(s.baseline.std()), 1) < round(float(measured.std()), 1)
    (True, True)
    """
    sigma = surveillance.measurement_sd
    if sd <= sigma:
        raise InputError("baseline LVEF sd", sd, f"above the reading error {sigma:g} (the measured spread includes it)")
    rng = np.random.default_rng(surveillance.seed)
    true_sd = math.sqrt(sd**2 - sigma**2)
    kept_b: list[npt.NDArray[np.float64]] = []
    kept_e: list[npt.NDArray[np.float64]] = []
    n = 0
    while n < surveillance.patients:  # rejection on the measured baseline: exact truncation of the reading
        b = rng.normal(mean, true_sd, surveillance.patients)
        e = rng.normal(0.0, sigma, surveillance.patients)
        ok = (b + e >= minimum) & (b + e <= maximum)
        kept_b.append(b[ok])
        kept_e.append(e[ok])
        n += int(ok.sum())
    baseline = np.concatenate(kept_b)[: surveillance.patients]
    error0 = np.concatenate(kept_e)[: surveillance.patients]
    errors = rng.normal(0.0, sigma, (surveillance.patients, visits))
    return EchoSample(baseline, error0, errors)


def visit_thresholds(injury_at_visits: npt.ArrayLike, sample: EchoSample, *, points_per_loss: float,
                     reserve: float, drop: float, level: float) -> npt.NDArray[np.float64]:
    """The smallest cardiac sensitivity at which each patient of ``sample`` (rows) is seen with the event at each
    visit (columns): 0 at every sensitivity, inf at none.

    A patient with sensitivity *s* has true LVEF ``b - P max(1 - exp(-s A_k) - r, 0)`` at visit *k*
    (``A_k``: the median patient's injury, ``-ln viable``). She is seen with the event at visit *k* when her
    reading falls more than ``drop`` points below her baseline reading and below ``level``:
    ``P max(1 - exp(-s A_k) - r, 0) > max(drop - e0 + e_k, b + e_k - level)``.

    Parameters
    ----------
    injury_at_visits : array_like
        ``A_k``, the median patient's injury at each follow-up visit (non-negative).
    sample : EchoSample
        Baselines and reading errors (the first columns of its ``errors`` are these visits').
    points_per_loss, reserve : float
        The LVEF model's slope (points per unit loss) and reserve (loss before LVEF falls).
    drop, level : float
        The definition: a fall of more than ``drop`` points to below ``level`` %.

    Examples
    --------
    Without reading error the threshold is the true-LVEF one:

    >>> s = EchoSample(np.array([60.0]), np.array([0.0]), np.array([[0.0]]))
    >>> t = visit_thresholds([0.2], s, points_per_loss=80.0, reserve=0.05, drop=10.0, level=50.0)
    >>> round(float(t[0, 0]), 3), round(-math.log(1 - 0.05 - 10.0 / 80.0) / 0.2, 3)
    (0.962, 0.962)
    """
    a = np.asarray(injury_at_visits, dtype=float)[None, :]
    errors = sample.errors[:, : a.shape[1]]
    need = np.maximum(drop - sample.baseline_error[:, None] + errors, sample.baseline[:, None] + errors - level)
    ratio = 1.0 - reserve - need / points_per_loss  # exp(-s A_k) must fall below this
    with np.errstate(divide="ignore", invalid="ignore"):
        s_k = np.where(need < 0.0, 0.0,
                       np.where(ratio <= 0.0, np.inf, -np.log(np.clip(ratio, 1e-300, 1.0)) / a))
    return np.asarray(np.where(np.isnan(s_k), np.inf, s_k), dtype=np.float64)


def measured_thresholds(injury_at_visits: npt.ArrayLike, sample: EchoSample, *, points_per_loss: float,
                        reserve: float, drop: float, level: float) -> npt.NDArray[np.float64]:
    """The smallest cardiac sensitivity at which each patient is seen with the event at some visit (the smallest
    of :func:`visit_thresholds` over the visits)."""
    return np.asarray(visit_thresholds(injury_at_visits, sample, points_per_loss=points_per_loss, reserve=reserve,
                                       drop=drop, level=level).min(axis=1), dtype=np.float64)


def incidence_over_sensitivity(thresholds: npt.ArrayLike, *, median: float, sensitivity_sd: float) -> float:
    """Fraction of patients with the event: each patient's chance that a lognormal sensitivity (``median``, sd of
    its log ``sensitivity_sd``) exceeds her threshold, averaged.

    Examples
    --------
    >>> incidence_over_sensitivity([0.0, math.inf, 1.0], median=1.0, sensitivity_sd=0.3)
    0.5
    """
    s_star = np.asarray(thresholds, dtype=float)
    with np.errstate(divide="ignore"):
        z = np.log(s_star / median) / sensitivity_sd
    return float(np.mean(stats.norm.sf(z)))


#: A patient's events as surveillance sees them (endpoint name -> the true-LVEF definition it reads).
MEASURED_ENDPOINTS = {"ctrcd_measured": "ctrcd", "ctrcd_cardinale_measured": "ctrcd_cardinale"}


def reading_errors(n: int, *, seed: int, surveillance: Surveillance = CARDINALE_ECHO) -> npt.NDArray[np.float64]:
    """``n`` patients' reading errors (rows: the baseline reading, then one per follow-up visit), seeded.

    Examples
    --------
    >>> reading_errors(3, seed=1).shape
    (3, 6)
    """
    rng = np.random.default_rng([seed, 0xEC40])  # its own stream: the patients' sampled values are unchanged
    return rng.normal(0.0, surveillance.measurement_sd, (n, 2 + len(surveillance.months_after)))


def measured_events(time_days: npt.ArrayLike, lvef: npt.ArrayLike, errors: npt.ArrayLike, *, last_dose_day: float,
                    surveillance: Surveillance = CARDINALE_ECHO) -> dict[str, bool]:
    """One patient's CTRCD as surveillance sees it: her true LVEF read at baseline (the start) and at each visit
    with ``errors`` (baseline first), each definition applied to the readings.

    Examples
    --------
    A 12-point true fall from 60 % is seen by error-free readings; a 1-point reading error either way does not
    change that, a 3-point one in the wrong direction does:

    >>> t = np.arange(0.0, 430.0)
    >>> lvef = np.where(t < 100, 60.0, 48.0)
    >>> measured_events(t, lvef, np.zeros(6), last_dose_day=64.0)["ctrcd_cardinale_measured"]
    True
    >>> measured_events(t, lvef, np.array([-3.0, 3, 3, 3, 3, 3]), last_dose_day=64.0)["ctrcd_cardinale_measured"]
    False
    """
    t = np.asarray(time_days, dtype=float)
    y = np.asarray(lvef, dtype=float)
    e = np.asarray(errors, dtype=float)
    days = visit_days(surveillance, last_dose_day, float(t[-1]))
    first = y[0] + e[0]
    readings = np.interp(days, t, y) + e[1: 1 + len(days)]
    drop = first - readings
    return {"ctrcd_measured": bool(((drop > CTRCD_DROP_POINTS) & (readings < CTRCD_THRESHOLD_PERCENT)).any()),
            "ctrcd_cardinale_measured": bool(((drop > CTRCD_DROP_POINTS)
                                              & (readings < CTRCD_CARDINALE_THRESHOLD_PERCENT)).any())}
