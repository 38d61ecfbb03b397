"""The virtual population's heart: per-patient cardiac events from one simulated injury course.

A patient's ``cardiac_sensitivity`` *s* multiplies only the cardiomyocyte-loss rate (nothing upstream of the loss
depends on it), so on a given regimen her viable fraction is ``exp(-s A(t))``, where ``A(t) = -ln viable(t)`` of
the median patient (*s* = 1), and her LVEF is ``baseline - points_per_loss * max(1 - exp(-s A(t)) - reserve, 0)``.
One simulation per regimen therefore gives the events of any number of virtual patients exactly
(``tests/test_heart.py`` checks this against per-patient simulations). The calibration
(``models/fits/fit_anthracycline.py``) and the checks use it to evaluate thousands of patients; cohorts simulate
each patient in full.

Protocols
---------
Swain 2003 (Cancer 97:2869): doxorubicin 50 mg/m2 every 3 weeks (the FAC trials whose placebo arms it pooled)
until the cumulative dose; heart failure within a year after the last dose. Swain's incidence at a dose is read as
the risk of a patient whose course ends there: in the model injury keeps accruing for months after the last dose
(slow mitochondrial repair), as it does clinically (Cardinale: median onset 3.5 months after chemotherapy), so both
targets are read over the same year.
Cardinale 2015 (Circulation 131:1981): CTRCD with their definition within a year of the end of chemotherapy (98 %
of their events), here after four cycles of AC 60 mg/m2 (240 mg/m2, targets.toml ``ac_regimen``; assumed: the
cohort's cumulative doses were not available here, and its 9 % is read as the incidence of a standard adjuvant
anthracycline course).
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Mapping
from dataclasses import dataclass, replace

import numpy as np
import numpy.typing as npt
from scipy import stats
from scipy.special import logsumexp

from crosstalk.errors import CrosstalkError
from crosstalk.model.echo import (
    CARDINALE_ECHO,
    DAYS_PER_MONTH,
    EchoSample,
    Surveillance,
    echo_sample,
    incidence_over_sensitivity,
    measured_thresholds,
    visit_days,
    visit_thresholds,
)
from crosstalk.model.observables import (
    CTRCD_CARDINALE_THRESHOLD_PERCENT,
    CTRCD_DROP_POINTS,
    CTRCD_THRESHOLD_PERCENT,
    HEART_FAILURE_LVEF_PERCENT,
)
from crosstalk.model.parameters import parameter_ids
from crosstalk.sim.simulator import Simulator
from crosstalk.spec.population import load_population
from crosstalk.spec.scenario import CumulativeDoseWarning, DoseSchedule, ExerciseRegime, Scenario
from crosstalk.validation.targets import target

__all__ = [
    "CARDIAC_POPULATION",
    "CARDINALE_FOLLOW_DAYS",
    "DOX_CL_OMEGA2",
    "ECHO_INTERVAL_MONTHS",
    "MEASURED_EVENTS",
    "SWAIN_DOSE_MG_M2",
    "CardiacPopulation",
    "InjuryCourse",
    "cardiac_draws",
    "cardinale_course",
    "clearance_spread",
    "event_incidences",
    "exercise_protection",
    "expected_incidence",
    "hazard_incidence",
    "injury_course",
    "mean_fall_over_sensitivity",
    "patient_lvef",
    "swain_course",
    "threshold_sensitivity",
    "with_dexrazoxane",
]

#: Swain protocol: 50 mg/m2 every 3 weeks until the cumulative dose.
SWAIN_DOSE_MG_M2 = 50.0
#: Events are counted up to a year after the last dose (Cardinale 2015: 98 % of events within the first year).
CARDINALE_FOLLOW_DAYS = 365.0
#: The population whose cardiac rows are calibrated (the breast AC population carries the same rows).
CARDIAC_POPULATION = "anthracycline_cardiac"


def swain_course(cumulative_mg_m2: float, *, model: str = "anthracycline",
                 parameters: Mapping[str, float] | None = None) -> Scenario:
    """Doxorubicin 50 mg/m2 every 21 days up to ``cumulative_mg_m2``, to a year after the last dose, daily output."""
    cycles = round(cumulative_mg_m2 / SWAIN_DOSE_MG_M2)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", CumulativeDoseWarning)  # the protocol exceeds the label's cap on purpose
        return Scenario(f"swain-{cumulative_mg_m2:g}", model=model,
                        duration_days=1.0 + 21.0 * (cycles - 1) + CARDINALE_FOLLOW_DAYS,
                        output_step_hours=24.0, parameters=parameters or {},
                        dose=(DoseSchedule("doxorubicin", SWAIN_DOSE_MG_M2, "mg/m2", interval_days=21.0,
                                           count=cycles, infusion_minutes=15.0, start_day=1.0),))


def cardinale_course(*, model: str = "anthracycline", parameters: Mapping[str, float] | None = None,
                     dexrazoxane: bool = False) -> Scenario:
    """AC's doxorubicin (``ac_regimen``: 60 mg/m2 every 21 days, 4 cycles), followed a year after the last dose;
    ``dexrazoxane`` adds 600 mg/m2 (10:1) infused over 15 min ending 15 min before each doxorubicin dose."""
    ac = target("ac_regimen")
    dose_mg = ac.number("dose_mg_per_m2")
    cycles = ac.integer("cycles")
    interval = ac.number("interval_days")
    dox = DoseSchedule("doxorubicin", dose_mg, "mg/m2", interval_days=interval, count=cycles, infusion_minutes=15.0,
                       start_day=1.0)
    sc = Scenario("cardinale", model=model, duration_days=1.0 + interval * (cycles - 1) + CARDINALE_FOLLOW_DAYS,
                  output_step_hours=24.0, dose=(dox,), parameters=parameters or {})
    return with_dexrazoxane(sc) if dexrazoxane else sc


def with_dexrazoxane(scenario: Scenario) -> Scenario:
    """``scenario`` with dexrazoxane as labelled before each of its doxorubicin schedules: 10:1 (mg/m2), a 15-min
    infusion ending 15 min before each dose."""
    added = tuple(DoseSchedule("dexrazoxane", 10.0 * d.amount, d.unit, start_day=d.start_day - 0.5 / 24.0,
                               interval_days=d.interval_days, count=d.count, infusion_minutes=15.0)
                  for d in scenario.dose if d.drug == "doxorubicin")
    return replace(scenario, dose=(*scenario.dose, *added))


@dataclass(frozen=True)
class InjuryCourse:
    """The median patient's injury on one regimen.

    Attributes
    ----------
    time_days : ndarray
        Output times (days).
    injury : ndarray
        ``-ln(viable cardiomyocyte fraction)`` at ``cardiac_sensitivity`` = 1 (dimensionless, non-decreasing).
    points_per_loss : float
        LVEF points lost per unit fraction of contracting myocardium lost (``lvef_points_per_loss``).
    reserve : float
        Fraction of contracting myocardium lost before LVEF falls (``myocardial_reserve``).
    last_dose_day : float
        Day of the last doxorubicin dose (start of its infusion).
    heart_failure_lvef : float
        LVEF (%) below which heart failure is counted (``heart_failure_lvef_percent``).
    """

    time_days: npt.NDArray[np.float64]
    injury: npt.NDArray[np.float64]
    points_per_loss: float
    reserve: float
    last_dose_day: float
    heart_failure_lvef: float = HEART_FAILURE_LVEF_PERCENT

    def with_rates(self, *, loss_factor: float = 1.0, reserve: float | None = None) -> InjuryCourse:
        """The course with every myocyte-loss rate multiplied by ``loss_factor`` (injury is linear in
        ``k_cardiomyocyte_loss``) and, if given, another ``reserve``."""
        return replace(self, injury=self.injury * loss_factor, reserve=self.reserve if reserve is None else reserve)


def injury_course(sim: Simulator, scenario: Scenario) -> InjuryCourse:
    """Simulate ``scenario`` for the median patient (its ``cardiac_sensitivity`` set to 1) and return the injury."""
    sc = replace(scenario, parameters={**scenario.parameters, "cardiac_sensitivity": 1.0})
    ts = sim.run(sc).timeseries
    viable = np.clip(ts["cardiomyocyte_viable_fraction"].to_numpy(dtype=float), 1e-300, 1.0)
    table = parameter_ids(sim.model)

    def value(pid: str) -> float:
        return float(sc.parameters.get(pid, table[pid].value))

    dox = [d for d in sc.dose if d.drug == "doxorubicin"]
    last = max((d.last_day for d in dox), default=0.0)
    injury = np.maximum.accumulate(np.maximum(-np.log(viable), 0.0))
    cut = value("heart_failure_lvef_percent") if "heart_failure_lvef_percent" in table else HEART_FAILURE_LVEF_PERCENT
    return InjuryCourse(ts["time_h"].to_numpy(dtype=float) / 24.0, injury, value("lvef_points_per_loss"),
                        value("myocardial_reserve"), float(last), cut)


#: Between-patient variance of ln(doxorubicin clearance): Perez-Blanco 2016 Table 2, IIV(CL) 22.9 % CV, omega^2
#: 0.0511 (RSE 32.7 %, shrinkage 40 %), as transcribed in nlmixr2lib's ``PerezBlanco_2016_doxorubicin``: the same
#: source as the table's typical clearance.
DOX_CL_OMEGA2 = 0.0511


def clearance_spread(sim: Simulator, *, parameters: Mapping[str, float] | None = None) -> tuple[float, float]:
    """How much of the population's spread of cardiac injury the variability of doxorubicin clearance alone gives.

    The population's fitted spread of ln(cardiac sensitivity) stands for every between-patient difference in
    injury at a given dose per m2, exposure included. Clearance multiplies exposure, and on AC the median patient's
    injury falls with clearance as a power (its elasticity, read here between one sd of ln clearance either side
    of the typical value); a lognormal clearance then gives ln(injury) an sd of ``|elasticity| * sqrt(omega^2)``.

    Parameters
    ----------
    sim : Simulator
        A simulator of a model with the heart.
    parameters : mapping of str to float, optional
        Values other than the tables'.

    Returns
    -------
    tuple of float
        (elasticity of injury to clearance, sd of ln(injury) from clearance alone).
    """
    p = dict(parameters or {})
    omega = float(np.sqrt(DOX_CL_OMEGA2))
    cl = float(p.get("dox_cl_l_per_h", parameter_ids(sim.model)["dox_cl_l_per_h"].value))
    injury = [float(injury_course(sim, cardinale_course(model=sim.model, parameters={
        **p, "dox_cl_l_per_h": cl * float(np.exp(side * omega))})).injury[-1]) for side in (-1.0, 1.0)]
    elasticity = float(np.log(injury[1] / injury[0]) / (2.0 * omega))
    return elasticity, abs(elasticity) * omega


def patient_lvef(course: InjuryCourse, sensitivity: npt.ArrayLike,
                 baseline: npt.ArrayLike) -> npt.NDArray[np.float64]:
    """LVEF (%) of each patient (rows) at each output time (columns)."""
    s = np.asarray(sensitivity, dtype=float)[:, None]
    b = np.asarray(baseline, dtype=float)[:, None]
    lost = 1.0 - np.exp(-s * course.injury[None, :])
    return np.asarray(b - course.points_per_loss * np.maximum(lost - course.reserve, 0.0), dtype=np.float64)


#: Echocardiography after chemotherapy in Cardinale 2015: every 3 months in the first year (their events' timing
#: is on this grid).
ECHO_INTERVAL_MONTHS = 3.0
_DAYS_PER_MONTH = 365.25 / 12.0


def event_incidences(course: InjuryCourse, sensitivity: npt.ArrayLike,
                     baseline: npt.ArrayLike) -> dict[str, float]:
    """Fractions of patients with ``ctrcd``, ``ctrcd_cardinale`` and ``heart_failure`` (the endpoint definitions
    of :mod:`crosstalk.model.observables`), and the median onset of ``ctrcd_cardinale`` in months after the last
    dose: as the model has it (``cardinale_onset_months_median``) and as echocardiography every 3 months would
    first see it (``cardinale_onset_months_median_echo``, what Cardinale's timing reports); NaN without events."""
    lvef = patient_lvef(course, sensitivity, baseline)
    b = np.asarray(baseline, dtype=float)[:, None]
    drop = b - lvef
    ctrcd = (drop > CTRCD_DROP_POINTS) & (lvef < CTRCD_THRESHOLD_PERCENT)
    cardinale = (drop > CTRCD_DROP_POINTS) & (lvef < CTRCD_CARDINALE_THRESHOLD_PERCENT)
    failure = lvef < course.heart_failure_lvef
    has = cardinale.any(axis=1)
    onset = course.time_days[np.argmax(cardinale[has], axis=1)] - course.last_dose_day
    # echo visits 3, 6, 9, ... months after the last dose, within the simulated time; the first that sees it
    visits = np.arange(ECHO_INTERVAL_MONTHS, 1e6, ECHO_INTERVAL_MONTHS)
    visits = visits[course.last_dose_day + visits * _DAYS_PER_MONTH <= course.time_days[-1] + 1e-9]
    at = np.array([[np.interp(course.last_dose_day + m * _DAYS_PER_MONTH, course.time_days, row) for m in visits]
                   for row in lvef[has]]).reshape(int(has.sum()), len(visits))
    seen_rows = (b[has] - at > CTRCD_DROP_POINTS) & (at < CTRCD_CARDINALE_THRESHOLD_PERCENT)
    seen = seen_rows.any(axis=1)
    first_echo = visits[np.argmax(seen_rows[seen], axis=1)] if seen.any() else np.array([])
    return {
        "ctrcd": float(ctrcd.any(axis=1).mean()),
        "ctrcd_cardinale": float(has.mean()),
        "heart_failure": float(failure.any(axis=1).mean()),
        "cardinale_onset_months_median": float(np.median(onset) / _DAYS_PER_MONTH) if has.any() else float("nan"),
        "cardinale_onset_months_median_echo": float(np.median(first_echo)) if first_echo.size else float("nan"),
    }


def cardiac_draws(n: int, *, seed: int,
                  population: str = CARDIAC_POPULATION) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
    """``n`` virtual patients' (cardiac_sensitivity, baseline LVEF) from ``population`` (seeded)."""
    pop = load_population(population)
    rows = {r.name: r for r in pop.parameters}
    rng = np.random.default_rng(seed)
    u = rng.random((n, 2))
    sens_row = rows["patient.cardiac_sensitivity"]
    sensitivity = sens_row.low * np.exp(sens_row.high * stats.norm.ppf(np.clip(u[:, 0], 1e-12, 1 - 1e-12)))
    baseline = rows["patient.baseline_lvef_percent"].from_unit(u[:, 1])
    return np.asarray(sensitivity, dtype=np.float64), np.asarray(baseline, dtype=np.float64)



#: The clinical definitions of CTRCD: (LVEF fall in points it needs, LVEF it must end below).
_CTRCD: dict[str, tuple[float, float]] = {
    "ctrcd": (CTRCD_DROP_POINTS, CTRCD_THRESHOLD_PERCENT),
    "ctrcd_cardinale": (CTRCD_DROP_POINTS, CTRCD_CARDINALE_THRESHOLD_PERCENT),
}


def _event_levels(course: InjuryCourse, event: str) -> tuple[float, float]:
    """(LVEF fall in points, LVEF below which) each event occurs on ``course``: CTRCD by its definition, heart
    failure below the course's ``heart_failure_lvef`` whatever the fall."""
    return (0.0, course.heart_failure_lvef) if event == "heart_failure" else _CTRCD[event]


def threshold_sensitivity(course: InjuryCourse, baseline: npt.ArrayLike, event: str) -> npt.NDArray[np.float64]:
    """The smallest ``cardiac_sensitivity`` at which a patient with each ``baseline`` LVEF has ``event`` on this
    course (0: every patient; inf: none). LVEF falls monotonically with the sensitivity at every time, and the
    injury never decreases, so the event happens exactly when the sensitivity exceeds this threshold, reached
    with the course's largest injury."""
    drop_min, level = _event_levels(course, event)
    b = np.asarray(baseline, dtype=float)
    # the event needs a fall of more than max(drop_min, b - level) points: exp(-s A) below `ratio`
    ratio = 1.0 - course.reserve - np.maximum(drop_min, b - level) / course.points_per_loss
    peak = float(np.max(course.injury))
    with np.errstate(divide="ignore", invalid="ignore"):
        s_t = np.where(ratio >= 1.0, 0.0,
                       np.where(ratio <= 0.0, np.inf, -np.log(np.clip(ratio, 1e-300, 1.0)) / peak))
    return np.asarray(np.where(np.isnan(s_t) | (s_t < 0.0), np.inf, s_t), dtype=np.float64)


def expected_incidence(course: InjuryCourse, baseline: npt.ArrayLike, event: str, *, median: float = 1.0,
                       sensitivity_sd: float) -> float:
    """Incidence of ``event`` over patients with these ``baseline`` LVEFs and a lognormal sensitivity (``median``,
    ``sensitivity_sd`` = sd of its logarithm), integrated exactly over the sensitivity (smooth in the parameters:
    what the calibration optimises)."""
    return incidence_over_sensitivity(threshold_sensitivity(course, baseline, event), median=median,
                                      sensitivity_sd=sensitivity_sd)


#: Gauss-Legendre nodes and weights on [-1, 1] for :func:`mean_fall_over_sensitivity`.
_GL_NODES, _GL_WEIGHTS = np.polynomial.legendre.leggauss(200)


def mean_fall_over_sensitivity(injury: float, *, reserve: float, sensitivity_sd: float) -> float:
    """``E[max(1 - exp(-s * injury) - reserve, 0)]`` over a lognormal sensitivity *s* of median 1 and sd of its log
    ``sensitivity_sd``: the mean lost contraction beyond the reserve.

    Only patients above the threshold ``s* = -ln(1 - reserve) / injury`` contribute, so with ``z* = ln(s*) / sd``
    the mean is ``(1 - reserve) P(z > z*) - E[exp(-injury e^(sd z)); z > z*]``; the second term is integrated by
    Gauss-Legendre from z* (at least -12) to max(z*, 0) + 12, beyond which the normal density is below 1e-31, so a
    mean carried by the far tail of sensitive patients is as exact as one carried by most of them.

    Examples
    --------
    >>> round(mean_fall_over_sensitivity(0.0, reserve=0.3, sensitivity_sd=0.3), 12)
    0.0
    >>> round(mean_fall_over_sensitivity(1.0, reserve=0.0, sensitivity_sd=1e-9), 6)  # everyone at s = 1
    0.632121
    """
    if injury <= 0.0 or reserve >= 1.0:
        return 0.0
    s_star = -math.log1p(-reserve) / injury if reserve > 0.0 else 0.0
    z_star = max(math.log(s_star) / sensitivity_sd if s_star > 0.0 else -40.0, -40.0)
    if z_star > 40.0:
        return 0.0
    low, high = max(z_star, -12.0), max(z_star, 0.0) + 12.0
    z = 0.5 * (high - low) * _GL_NODES + 0.5 * (high + low)
    with np.errstate(over="ignore"):  # exp(-injury * inf) is the 0 it should be
        density = np.exp(-injury * np.exp(sensitivity_sd * z)) * stats.norm.pdf(z)
    tail = 0.5 * (high - low) * float(np.sum(_GL_WEIGHTS * density))
    return max((1.0 - reserve) * float(stats.norm.sf(z_star)) - tail, 0.0)


#: Nodes of the probabilists' Gauss-Hermite rule over z = ln(sensitivity) / sd in :func:`hazard_incidence`,
#: weights normalised to 1.
_GH_NODES, _GH_WEIGHTS = np.polynomial.hermite_e.hermegauss(48)
_GH_WEIGHTS = _GH_WEIGHTS / _GH_WEIGHTS.sum()
_DAYS_PER_YEAR = 365.25


def hazard_incidence(course: InjuryCourse, baseline: npt.ArrayLike, *, sensitivity_sd: float, rate_at_40: float,
                     per_point: float) -> float:
    """Fraction of patients with an event whose hazard rises with lower true LVEF, over the course's whole span.

    A patient's hazard (per year) is ``rate_at_40 * exp(per_point * (40 - LVEF(t)))``: ``rate_at_40`` at an LVEF of
    40 %, multiplied by ``exp(per_point)`` for every point lower (``per_point`` = ln(hazard ratio per 10 points) /
    10). Her probability of the event is ``1 - exp(-H)``, with ``H`` the hazard integrated over the output times,
    exactly for an LVEF linear between them (the log-mean of each interval's end values); the incidence is its mean
    over the ``baseline`` LVEFs and a lognormal sensitivity of median 1 (Gauss-Hermite, 48 nodes). Sums are taken
    in logarithms, so a steep hazard (a step, in the limit) is neither lost to overflow nor turned into NaN. Heart
    failure as a clinical event is such a hazard; a count of LVEF < 40 % is its limit of an infinite ``per_point``.

    Examples
    --------
    >>> flat = InjuryCourse(np.array([0.0, 365.25]), np.zeros(2), 80.0, 0.0, 0.0)
    >>> round(hazard_incidence(flat, [40.0], sensitivity_sd=0.3, rate_at_40=0.1, per_point=0.2), 6)  # 1 - e^-0.1
    0.095163
    """
    b = np.asarray(baseline, dtype=float)
    if rate_at_40 <= 0.0:
        return 0.0
    with np.errstate(over="ignore"):  # past overflow a node has lost all its myocytes: exp(-inf) = 0
        s = np.exp(sensitivity_sd * _GH_NODES)[:, None]
        fall = course.points_per_loss * np.maximum(1.0 - np.exp(-s * course.injury[None, :]) - course.reserve, 0.0)
    f = per_point * fall  # ln of the hazard's factor from the fall (sensitivity nodes, times)
    f0, d = f[:, :-1], np.diff(f, axis=1)
    # ln of each interval's integral of exp(f), f linear: ln(dt) + f0 + ln((e^d - 1) / d), written as
    # max(d, 0) + ln((1 - e^-|d|) / |d|) so that no step overflows; its limit at d = 0 is d / 2
    size = np.maximum(np.abs(d), 1e-12)
    log_mean = np.where(np.abs(d) < 1e-12, 0.5 * d, np.maximum(d, 0.0) + np.log(-np.expm1(-size) / size))
    log_integral = logsumexp(np.log(np.diff(course.time_days) / _DAYS_PER_YEAR) + f0 + log_mean, axis=1)
    log_h = math.log(rate_at_40) + per_point * (40.0 - b)[:, None] + log_integral[None, :]
    with np.errstate(over="ignore"):  # H beyond overflow is an event for certain: 1 - e^-inf = 1
        probability = -np.expm1(-np.exp(log_h))
    return float(np.sum(probability.mean(axis=0) * _GH_WEIGHTS))


#: Events diagnosed on imaging (read on measured LVEF when the population has a surveillance schedule); heart
#: failure is a clinical diagnosis and stays on the true LVEF.
MEASURED_EVENTS = ("ctrcd", "ctrcd_cardinale")


@dataclass(frozen=True)
class CardiacPopulation:
    """The calibrated population's cardiac variation, as quadrature nodes.

    Baseline LVEF at ``n_baseline`` quantiles, body-surface area at ``n_bsa`` midpoint quantiles (one simulation
    per node: the clearance's body-size covariate leaves a little exposure per mg/m2 with body size), and the
    spread of ln(cardiac sensitivity), over which incidences are integrated exactly. With a ``surveillance``
    schedule, CTRCD is counted on measured LVEF (:mod:`crosstalk.model.echo`) over ``echo``, a fixed sample
    of true baselines and reading errors.
    """

    baselines: npt.NDArray[np.float64]
    body_surface_areas: tuple[float, ...]
    sensitivity_sd: float
    surveillance: Surveillance | None = None
    echo: EchoSample | None = None

    @classmethod
    def load(cls, name: str = CARDIAC_POPULATION, *, n_baseline: int = 400, n_bsa: int = 5,
             surveillance: Surveillance | None = CARDINALE_ECHO) -> CardiacPopulation:
        """The population ``name``'s nodes; ``surveillance`` None counts CTRCD on the true LVEF."""
        rows = {r.name: r for r in load_population(name).parameters}
        mid = (np.arange(n_baseline) + 0.5) / n_baseline
        bsa = rows["patient.body_surface_area_m2"].from_unit((np.arange(n_bsa) + 0.5) / n_bsa)
        lvef = rows["patient.baseline_lvef_percent"]
        echo = None if surveillance is None else echo_sample(
            surveillance, mean=lvef.low, sd=lvef.high, minimum=lvef.minimum if lvef.minimum is not None else 0.0,
            maximum=lvef.maximum if lvef.maximum is not None else 100.0, visits=1 + len(surveillance.months_after))
        return cls(lvef.from_unit(mid), tuple(float(x) for x in bsa), rows["patient.cardiac_sensitivity"].high,
                   surveillance, echo)

    def courses(self, sim: Simulator, scenario: Scenario) -> tuple[InjuryCourse, ...]:
        """The median-sensitivity course of ``scenario`` at each body-surface-area node."""
        return tuple(injury_course(sim, replace(scenario, patient=replace(scenario.patient, body_surface_area_m2=a)))
                     for a in self.body_surface_areas)

    def thresholds(self, course: InjuryCourse, event: str, *, measured: bool = True) -> npt.NDArray[np.float64]:
        """Each patient's threshold sensitivity for ``event`` on ``course``. With surveillance, every event is
        over the echo sample's true baselines (the baseline row is of readings: its spread holds the reading
        error), and CTRCD is read with the error unless ``measured`` is False; without, over the row's quantiles."""
        if self.surveillance is None or self.echo is None:
            return threshold_sensitivity(course, self.baselines, event)
        if event not in MEASURED_EVENTS or not measured:
            return threshold_sensitivity(course, self.echo.baseline, event)
        drop, level = _event_levels(course, event)
        days = visit_days(self.surveillance, course.last_dose_day, float(course.time_days[-1]))
        return measured_thresholds(np.interp(days, course.time_days, course.injury), self.echo,
                                   points_per_loss=course.points_per_loss, reserve=course.reserve, drop=drop,
                                   level=level)

    def onset_months(self, course: InjuryCourse, event: str = "ctrcd_cardinale") -> float:
        """Median time (months after the last dose) of the visit that first sees ``event``, over the echo sample's
        patients with sensitivities drawn from the population (seeded); NaN without surveillance or events."""
        if self.surveillance is None or self.echo is None:
            return float("nan")
        drop, level = _event_levels(course, event)
        days = visit_days(self.surveillance, course.last_dose_day, float(course.time_days[-1]))
        per_visit = visit_thresholds(np.interp(days, course.time_days, course.injury), self.echo,
                                     points_per_loss=course.points_per_loss, reserve=course.reserve, drop=drop,
                                     level=level)
        rng = np.random.default_rng(self.surveillance.seed + 1)
        sensitivity = np.exp(self.sensitivity_sd * rng.standard_normal(per_visit.shape[0]))
        seen = sensitivity[:, None] > per_visit
        has = seen.any(axis=1)
        if not has.any():
            return float("nan")
        first = days[np.argmax(seen[has], axis=1)]
        return float(np.median(first - course.last_dose_day) / DAYS_PER_MONTH)

    def mean_lvef_drop(self, courses: tuple[InjuryCourse, ...], *, days_after_last_dose: float,
                       sensitivity_sd: float | None = None) -> float:
        """The population's mean fall of true LVEF from baseline (points), ``days_after_last_dose`` after the last
        doxorubicin dose: what exercise trials report (a mean LVEF change), where the incidences count events.

        A patient's fall, ``points_per_loss * max(1 - exp(-s A) - reserve, 0)``, does not depend on her baseline,
        so the mean is over the lognormal sensitivity (:func:`mean_fall_over_sensitivity`, exact) and the
        body-size nodes. Readings add an error of mean 0, so the mean of measured changes is the same.

        Raises
        ------
        CrosstalkError
            If a course ends before that day.
        """
        sd = self.sensitivity_sd if sensitivity_sd is None else sensitivity_sd
        falls = []
        for c in courses:
            day = c.last_dose_day + days_after_last_dose
            if day > c.time_days[-1] + 1e-9:
                raise CrosstalkError(f"mean LVEF fall: day {day:g} is after the simulated end (day "
                                     f"{c.time_days[-1]:g}); simulate longer")
            injury = float(np.interp(day, c.time_days, c.injury))
            falls.append(c.points_per_loss * mean_fall_over_sensitivity(injury, reserve=c.reserve, sensitivity_sd=sd))
        return float(np.mean(falls))

    def incidence(self, courses: tuple[InjuryCourse, ...], event: str, *, loss_factor: float = 1.0,
                  reserve: float | None = None, sensitivity_sd: float | None = None, measured: bool = True) -> float:
        """Incidence of ``event`` over the population (mean over the nodes; exact over the sensitivity);
        ``measured`` False counts CTRCD on the true LVEF of the same patients."""
        sd = self.sensitivity_sd if sensitivity_sd is None else sensitivity_sd
        return float(np.mean([incidence_over_sensitivity(
            self.thresholds(c.with_rates(loss_factor=loss_factor, reserve=reserve), event, measured=measured),
            median=1.0, sensitivity_sd=sd) for c in courses]))


def exercise_protection(sim: Simulator, regime: ExerciseRegime | None, *,
                        parameters: Mapping[str, float] | None = None,
                        reference: tuple[InjuryCourse, ...] | None = None,
                        population: CardiacPopulation | None = None) -> tuple[float, float]:
    """(Median patient's injury with ``regime`` / sedentary, CTRCD incidence with Cardinale's definition) on AC
    4 x 60 mg/m2 with exercise from the first dose to 3 weeks after the last, a year of follow-up, in the composed
    model's human set and the calibrated population. ``reference`` reuses the sedentary courses
    (:meth:`CardiacPopulation.courses` of :func:`cardinale_course`; None: simulated); ``population`` sets the
    quadrature (default :meth:`CardiacPopulation.load`)."""
    population = population or CardiacPopulation.load()
    base = cardinale_course(model=sim.model, parameters=parameters)
    ref = reference or population.courses(sim, base)
    courses = ref if regime is None else population.courses(
        sim, replace(base, exercise=(replace(regime, start_day=0.0, end_day=85.0),)))
    middle = len(courses) // 2  # the median body size
    return (float(courses[middle].injury[-1] / ref[middle].injury[-1]),
            population.incidence(courses, "ctrcd_cardinale"))
