"""The virtual population's heart as an answer of every ensemble member: CTRCD and heart-failure incidences, the
CTRCD left after heart-failure therapy, and the mean LVEF fall that exercise trials report.

A single simulated patient's ``ctrcd`` is yes or no; what a cardio-oncologist asks is the incidence. The calibrated
population's incidence of a scenario is exact over the cardiac sensitivity and needs one simulation per body-size
node (:class:`crosstalk.validation.cardiac.CardiacPopulation`), so it can be read for every parameter set of an
uncertainty ensemble: :data:`HEART_OUTPUTS` is that reading as
:class:`~crosstalk.calibrate.ensemble.ExtraOutputs`, and :func:`heart_outputs` says when a scenario has it.

Two quantities of the population decide how much of a cut in injury becomes a cut in incidence, and the data do
not settle either: how widely patients' hearts differ (the fitted spread of ln(cardiac sensitivity) has a profile
interval) and how large echocardiography's reading error is (Thavendiranathan 2013 read two ways).
:func:`population_ranges` gives both as population quantities an ensemble draws (:data:`SENSITIVITY_SD`,
:data:`ECHO_SD`); each member's incidences are read at its own values, after its heart is re-fitted at them to
Cardinale's measured incidence and Swain's heart-failure curve (:mod:`crosstalk.validation.heart_conditioning`).
"""

from __future__ import annotations

from dataclasses import replace
from functools import cache, lru_cache

from crosstalk.calibrate.ensemble import POPULATION, ExtraOutputs
from crosstalk.model.echo import CARDINALE_ECHO, DAYS_PER_MONTH, ECHO_2D_SD, ECHO_2D_SD_HIGH
from crosstalk.model.parameters import parameter_ids
from crosstalk.sim.simulator import simulator_for
from crosstalk.spec.ranges import ParameterRange
from crosstalk.spec.scenario import Scenario
from crosstalk.validation.cardiac import CARDINALE_FOLLOW_DAYS, CardiacPopulation
from crosstalk.validation.heart_fit import read_heart_fit
from crosstalk.validation.heart_recovery import recovered_fraction, recovery_outcome
from crosstalk.validation.targets import target

__all__ = ["ECHO_SD", "HEART_OUTPUTS", "SENSITIVITY_SD", "cardiac_population", "decline_days_after_last_dose",
           "followed", "heart_incidences", "heart_outputs", "population_ranges"]

#: Population quantity: sd of ln(cardiac sensitivity) across patients.
SENSITIVITY_SD = "cardiac_sensitivity_sd"
#: Population quantity: sd of one echocardiographic LVEF reading (points).
ECHO_SD = "echo_lvef_sd"


@lru_cache(maxsize=16)
def cardiac_population(echo_lvef_sd: float | None = None) -> CardiacPopulation:
    """The calibrated cardiac population, its CTRCD read by 2D echo.

    Parameters
    ----------
    echo_lvef_sd : float, optional
        Reading error of one echo (LVEF points); default :data:`crosstalk.model.echo.ECHO_2D_SD`. The sample of
        patients and errors is seeded, so two calls with one value give the same population.

    Returns
    -------
    CardiacPopulation
        Quadrature nodes over baseline LVEF and body size, the fitted spread, Cardinale's surveillance.
    """
    surveillance = CARDINALE_ECHO if echo_lvef_sd is None else replace(CARDINALE_ECHO, measurement_sd=echo_lvef_sd)
    return CardiacPopulation.load(surveillance=surveillance)


def followed(scenario: Scenario) -> Scenario:
    """``scenario`` followed for a year after its last doxorubicin dose when it ends sooner: the window Cardinale's
    incidence (98 % of events within a year) was calibrated over. The prescription runs as written (a regime with
    an end day stops there)."""
    dox = [d for d in scenario.dose if d.drug == "doxorubicin"]
    last = max(d.last_day for d in dox)
    wanted = last + CARDINALE_FOLLOW_DAYS
    return scenario if scenario.duration_days >= wanted else replace(scenario, duration_days=wanted)


def decline_days_after_last_dose(scenario: Scenario) -> float:
    """Days after ``scenario``'s last doxorubicin dose at which pooled placebo arms of cardioprotection trials read
    the mean LVEF fall: ``months_to_plateau`` (about 180 days) after the first dose, their time origin (Lee 2023,
    ``project_targets.toml`` ``ac_lvef_decline``); negative for a regimen longer than that.

    Examples
    --------
    >>> from crosstalk.spec.scenario import DoseSchedule
    >>> ac = Scenario("ac", dose=(DoseSchedule("doxorubicin", 60.0, "mg/m2", interval_days=21, count=4),))
    >>> round(decline_days_after_last_dose(ac), 2)  # 6 months from day 0, the last dose on day 63
    119.62
    """
    dox = [d for d in scenario.dose if d.drug == "doxorubicin"]
    first, last = min(d.start_day for d in dox), max(d.last_day for d in dox)
    return first + target("ac_lvef_decline").number("months_to_plateau") * DAYS_PER_MONTH - last


def heart_incidences(scenario: Scenario, *, cardiac_sensitivity_sd: float | None = None,
                     echo_lvef_sd: float | None = None) -> dict[str, float]:
    """The calibrated population's incidence of CTRCD (Cardinale's definition: a fall of more than 10 points to
    below 50 %) and of heart failure (LVEF below the model's ``heart_failure_lvef_percent``) on ``scenario``, within a
    year of its last doxorubicin dose (:func:`followed`), whatever its own duration. Module level: it runs in the
    study's workers.

    Parameters
    ----------
    scenario : Scenario
        A human scenario with doxorubicin (its patient's own sensitivity is replaced by the population's).
    cardiac_sensitivity_sd : float, optional
        Spread of ln(cardiac sensitivity); default the fitted value.
    echo_lvef_sd : float, optional
        Reading error of one echo (LVEF points); default :data:`crosstalk.model.echo.ECHO_2D_SD`.

    Returns
    -------
    dict
        ``ctrcd_incidence`` (as echocardiography measures it) and ``heart_failure_incidence`` (true LVEF), as
        fractions of patients; ``mean_lvef_drop_end_of_treatment_points`` and ``mean_lvef_drop_points``, the
        population's mean LVEF fall (points) 3 weeks and a year after the last dose: the scale on which exercise
        trials report their cardiac outcome; ``mean_lvef_drop_180_days_points``, the same 180 days after the
        first dose, where pooled placebo arms of cardioprotection trials read it (the check ``ac_lvef_decline``);
        ``ctrcd_unrecovered_incidence``, the fraction of patients seen with CTRCD whose LVEF has not recovered even
        partly a year into heart-failure therapy (:mod:`crosstalk.validation.heart_recovery`).
    """
    population = cardiac_population(echo_lvef_sd)
    courses = population.courses(simulator_for(scenario.model), followed(scenario))
    sd = cardiac_sensitivity_sd
    restored = recovered_fraction(scenario)
    unrecovered = [recovery_outcome(population, c, recovered=restored, sensitivity_sd=sd).unrecovered_incidence
                   for c in courses]
    return {"ctrcd_incidence": population.incidence(courses, "ctrcd_cardinale", sensitivity_sd=sd),
            "ctrcd_unrecovered_incidence": float(sum(unrecovered) / len(unrecovered)),
            "heart_failure_incidence": population.incidence(courses, "heart_failure", sensitivity_sd=sd),
            "mean_lvef_drop_end_of_treatment_points": population.mean_lvef_drop(
                courses, days_after_last_dose=CARDINALE_ECHO.end_of_treatment_days, sensitivity_sd=sd),
            "mean_lvef_drop_points": population.mean_lvef_drop(courses, days_after_last_dose=CARDINALE_FOLLOW_DAYS,
                                                               sensitivity_sd=sd),
            "mean_lvef_drop_180_days_points": population.mean_lvef_drop(
                courses, days_after_last_dose=decline_days_after_last_dose(scenario), sensitivity_sd=sd)}


@cache
def population_ranges() -> tuple[tuple[ParameterRange, str], ...]:
    """The heart population's quantities as an ensemble draws them, each with its basis.

    Returns
    -------
    tuple of (ParameterRange, str)
        ``population:cardiac_sensitivity_sd``, log-uniform over the shipped fit's profile 95 % interval (read
        from ``heart_fit.toml``), and ``population:echo_lvef_sd``, uniform over the two readings of
        Thavendiranathan 2013 (3.6-5.1 points).

    Examples
    --------
    >>> [(r.name, r.distribution) for r, _ in population_ranges()]
    [('population:cardiac_sensitivity_sd', 'loguniform'), ('population:echo_lvef_sd', 'uniform')]
    """
    estimates, _, _ = read_heart_fit()
    row = estimates.set_index("parameter").loc["sensitivity_sd"]
    spread = (f"fit: heart population (crosstalk.validation.heart_fit), binomial likelihood to Swain 2003 and "
              f"Cardinale 2015; profile 95 % interval {row['lower95']:.3g}-{row['upper95']:.3g} around "
              f"{row['estimate']:.3g} ({row['identifiability']}); the loss rate and reserve are re-fitted per set "
              "at it")
    echo = (f"cited: Thavendiranathan 2013 (2D echo, 56 women, a year of readings): temporal variability over 10 "
            f"points, read as the 95 % limit of a change between two readings (sd {ECHO_2D_SD:g}) or of one reading "
            f"(sd {ECHO_2D_SD_HIGH:g}); the loss rate and reserve are re-fitted per set at it")
    return ((ParameterRange(POPULATION + SENSITIVITY_SD, float(row["lower95"]), float(row["upper95"]),
                            distribution="loguniform"), spread),
            (ParameterRange(POPULATION + ECHO_SD, ECHO_2D_SD, ECHO_2D_SD_HIGH), echo))


#: The population heart as further answers of an ensemble (units and the direction of benefit).
HEART_OUTPUTS = ExtraOutputs(compute=heart_incidences,
                             units={"ctrcd_incidence": "fraction of patients (a year after the last dose)",
                                    "ctrcd_unrecovered_incidence":
                                        "fraction of patients (CTRCD seen, not recovered a year into therapy)",
                                    "heart_failure_incidence": "fraction of patients (a year after the last dose)",
                                    "mean_lvef_drop_end_of_treatment_points":
                                        "LVEF points (population mean, 3 weeks after the last dose)",
                                    "mean_lvef_drop_points":
                                        "LVEF points (population mean, a year after the last dose)",
                                    "mean_lvef_drop_180_days_points":
                                        "LVEF points (population mean, 180 days after the first dose)"},
                             better={"ctrcd_incidence": "lower", "ctrcd_unrecovered_incidence": "lower",
                                     "heart_failure_incidence": "lower",
                                     "mean_lvef_drop_end_of_treatment_points": "lower",
                                     "mean_lvef_drop_points": "lower", "mean_lvef_drop_180_days_points": "lower"},
                             population=(SENSITIVITY_SD, ECHO_SD))


def heart_outputs(scenario: Scenario) -> ExtraOutputs | None:
    """:data:`HEART_OUTPUTS` for a human scenario with doxorubicin on a model with the heart, else None."""
    has_heart = "myocardial_reserve" in parameter_ids(scenario.model)
    doxorubicin = any(d.drug == "doxorubicin" for d in scenario.dose)
    return HEART_OUTPUTS if has_heart and doxorubicin and scenario.species == "human" else None
