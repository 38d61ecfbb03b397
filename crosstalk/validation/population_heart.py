"""The virtual population's heart as an answer of every ensemble member: CTRCD and heart-failure incidences.

A single simulated patient's ``ctrcd`` is yes or no; what a cardio-oncologist asks is the incidence. The calibrated
population's incidence of a scenario is exact over the cardiac sensitivity and needs one simulation per body-size
node (:class:`crosstalk.validation.cardiac.CardiacPopulation`), so it can be read for every parameter set of an
uncertainty ensemble: :data:`HEART_OUTPUTS` is that reading as
:class:`~crosstalk.calibrate.ensemble.ExtraOutputs`, and :func:`heart_outputs` says when a scenario has it.
"""

from __future__ import annotations

from dataclasses import replace
from functools import cache

from crosstalk.calibrate.ensemble import ExtraOutputs
from crosstalk.model.parameters import parameter_ids
from crosstalk.sim.simulator import simulator_for
from crosstalk.spec.scenario import Scenario
from crosstalk.validation.cardiac import CARDINALE_FOLLOW_DAYS, CardiacPopulation

__all__ = ["HEART_OUTPUTS", "followed", "heart_incidences", "heart_outputs"]


@cache
def _population() -> CardiacPopulation:
    return CardiacPopulation.load()


def followed(scenario: Scenario) -> Scenario:
    """``scenario`` followed for a year after its last doxorubicin dose when it ends sooner: the window Cardinale's
    incidence (98 % of events within a year) was calibrated over. The prescription runs as written (a regime with
    an end day stops there)."""
    dox = [d for d in scenario.dose if d.drug == "doxorubicin"]
    last = max(d.last_day for d in dox)
    wanted = last + CARDINALE_FOLLOW_DAYS
    return scenario if scenario.duration_days >= wanted else replace(scenario, duration_days=wanted)


def heart_incidences(scenario: Scenario) -> dict[str, float]:
    """The calibrated population's incidence of CTRCD (Cardinale's definition: a fall of more than 10 points to
    below 50 %) and of heart failure (LVEF below 40 %) on ``scenario``, within a year of its last doxorubicin dose
    (:func:`followed`), whatever its own duration. Module level: it runs in the study's workers."""
    population = _population()
    courses = population.courses(simulator_for(scenario.model), followed(scenario))
    return {"ctrcd_incidence": population.incidence(courses, "ctrcd_cardinale"),
            "heart_failure_incidence": population.incidence(courses, "heart_failure")}


#: The population heart as further answers of an ensemble (units and the direction of benefit).
HEART_OUTPUTS = ExtraOutputs(compute=heart_incidences,
                             units={"ctrcd_incidence": "fraction of patients (a year after the last dose)",
                                    "heart_failure_incidence": "fraction of patients (a year after the last dose)"},
                             better={"ctrcd_incidence": "lower", "heart_failure_incidence": "lower"})


def heart_outputs(scenario: Scenario) -> ExtraOutputs | None:
    """:data:`HEART_OUTPUTS` for a human scenario with doxorubicin on a model with the heart, else None."""
    has_heart = "myocardial_reserve" in parameter_ids(scenario.model)
    doxorubicin = any(d.drug == "doxorubicin" for d in scenario.dose)
    return HEART_OUTPUTS if has_heart and doxorubicin and scenario.species == "human" else None
