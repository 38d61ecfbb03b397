"""The heart population fitted to published incidences with their sampling error.

Three unknowns: the median patient's cardiomyocyte-loss rate (as a factor on the table's ``k_cardiomyocyte_loss``;
injury is linear in it), the myocardial reserve, and the spread of ln(cardiac sensitivity) of the population.
Five observations (``project_targets.toml`` ``heart_population_data``): heart failure (true LVEF below
``heart_failure_lvef_percent``, 40 %, within a year of the last dose) after 400, 500, 550 and 700 mg/m2 of
doxorubicin 50 mg/m2 every 3 weeks (Swain 2003), and CTRCD with Cardinale's definition **as echocardiography
measures it** after AC 4 x 60 mg/m2 (Cardinale 2015; :mod:`crosstalk.model.echo`). Fitted by binomial likelihood
(:func:`crosstalk.calibrate.proportion_fit.fit_proportions`): profile intervals, identifiability and a posterior
sample whose predictions are set beside the observations. This module holds the data, the model's predictions of
them and the shipped fit (read by ``crosstalk validate``);
:func:`crosstalk.validation.heart_calibration.fit_heart_population` runs the fit.
"""

from __future__ import annotations

import math
import tomllib
import warnings
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import pandas as pd
import tomli_w

from crosstalk.calibrate.proportions import Proportion, ProportionFit, Unknown
from crosstalk.files import write_text_atomic
from crosstalk.sim.simulator import Simulator
from crosstalk.spec.scenario import CumulativeDoseWarning, Scenario
from crosstalk.validation.cardiac import CardiacPopulation, InjuryCourse, cardinale_course, swain_course
from crosstalk.validation.targets import target

__all__ = [
    "EVENTS",
    "FIT_FILE",
    "HEART_UNKNOWNS",
    "SWAIN_DOSES",
    "HeartFit",
    "heart_data",
    "incidences_at",
    "predicted_incidences",
    "read_heart_fit",
    "read_proportion_fit",
    "write_heart_fit",
    "write_proportion_fit",
]

#: The last fit's estimates and observed-vs-fitted table, written by ``models/fits/fit_anthracycline.py --write``
#: and shown by ``crosstalk validate`` (the fit takes minutes; the check re-evaluates the tables' values).
FIT_FILE = Path(__file__).with_name("heart_fit.toml")
#: Swain 2003's cumulative doses (mg/m2) the fit uses.
SWAIN_DOSES = (400.0, 500.0, 550.0, 700.0)
#: What is fitted: a factor on ``k_cardiomyocyte_loss``, ``myocardial_reserve``, sd of ln(cardiac_sensitivity).
HEART_UNKNOWNS = (Unknown("loss_factor", 0.05, 20.0), Unknown("myocardial_reserve", 0.0, 0.5, log=False),
                  Unknown("sensitivity_sd", 0.02, 2.0))


def heart_data() -> tuple[Proportion, ...]:
    """The five observed incidences with their numbers of patients (``heart_population_data``)."""
    t = target("heart_population_data")
    source = "Swain 2003, Kaplan-Meier; effective n assumed, scaled to Swain's 32 events"
    swain = tuple(Proportion(f"heart_failure_swain_{d:g}", t.number(f"swain_at_{d:g}"), t.number(f"swain_n_at_{d:g}"),
                             source) for d in SWAIN_DOSES)
    return (*swain, Proportion("ctrcd_cardinale", t.number("cardinale_incidence"), t.number("cardinale_n"),
                               "Cardinale 2015, 226 of 2625"))


@dataclass(frozen=True)
class HeartFit:
    """The fitted heart population.

    Attributes
    ----------
    fit : ProportionFit
        Estimates with profile intervals, observed vs fitted with intervals, the posterior sample.
    k_cardiomyocyte_loss : float
        The median patient's loss rate (the table's value times the fitted factor).
    """

    fit: ProportionFit
    k_cardiomyocyte_loss: float

    def table(self) -> pd.DataFrame:
        """The estimates with ``loss_factor`` turned into ``k_cardiomyocyte_loss``."""
        out = self.fit.estimates.copy()
        k0 = self.k_cardiomyocyte_loss / self.fit.best["loss_factor"]
        row = out["parameter"] == "loss_factor"
        out.loc[row, ["estimate", "lower95", "upper95"]] = out.loc[row, ["estimate", "lower95", "upper95"]] * k0
        out.loc[row, "parameter"] = "k_cardiomyocyte_loss"
        return out


def _regimens(model: str, parameters: dict[str, float] | None = None) -> tuple[Scenario, ...]:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", CumulativeDoseWarning)  # Swain's doses exceed the label's cap on purpose
        return (*(swain_course(d, model=model, parameters=parameters) for d in SWAIN_DOSES),
                cardinale_course(model=model, parameters=parameters))


#: The event each of :func:`heart_data`'s observations counts.
EVENTS = ("heart_failure",) * len(SWAIN_DOSES) + ("ctrcd_cardinale",)


def incidences_at(sim: Simulator, parameters: dict[str, float] | None = None) -> list[float]:
    """The calibrated population's incidences of :func:`heart_data`'s observations on ``sim`` with
    ``parameters`` (the tables' values elsewhere)."""
    population = CardiacPopulation.load()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", CumulativeDoseWarning)
        courses = [population.courses(sim, sc) for sc in _regimens(sim.model, parameters)]
    return [population.incidence(c, e) for c, e in zip(courses, EVENTS)]


@cache
def _courses(model: str) -> tuple[CardiacPopulation, tuple[tuple[InjuryCourse, ...], ...]]:
    population = CardiacPopulation.load()
    sim = Simulator(model)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", CumulativeDoseWarning)
        return population, tuple(population.courses(sim, sc) for sc in _regimens(model))


def predicted_incidences(values: dict[str, float], *, model: str = "anthracycline") -> list[float]:
    """The population's incidences of :func:`heart_data`'s observations at ``values`` of the unknowns."""
    population, courses = _courses(model)
    return [population.incidence(c, e, loss_factor=values["loss_factor"], reserve=values["myocardial_reserve"],
                                 sensitivity_sd=values["sensitivity_sd"]) for c, e in zip(courses, EVENTS)]


def _clean(record: dict[str, Any]) -> dict[str, Any]:
    """A record for TOML: NaN (an open interval side) left out, numpy scalars as Python ones."""
    out: dict[str, Any] = {}
    for k, v in record.items():
        if isinstance(v, float) and math.isnan(v):
            continue
        out[k] = v.item() if hasattr(v, "item") else v
    return out


def write_proportion_fit(fit: ProportionFit, path: Path, *, header: str,
                         estimates: pd.DataFrame | None = None) -> Path:
    """Write a proportion fit's summary, estimates (``estimates`` instead of the fit's own, where a fitted factor
    is shown as the parameter it scales) and observed-vs-fitted table as TOML, atomically, under ``header``."""
    table = fit.estimates if estimates is None else estimates
    doc = {"deviance": fit.deviance, "degrees_of_freedom": len(fit.observed) - len(fit.best),
           "sampler_steps": int(fit.samples.shape[0]) + fit.burn_in,
           "posterior_samples": int(fit.samples.shape[0]), "burn_in": fit.burn_in,
           "estimate": [_clean(r) for r in table.to_dict("records")],
           "observation": [_clean(r) for r in fit.observed.to_dict("records")]}
    return write_text_atomic(path, header + tomli_w.dumps(doc))


def read_proportion_fit(path: Path) -> tuple[pd.DataFrame, pd.DataFrame, dict[str, float]]:
    """(estimates, observed vs fitted, summary: deviance, degrees_of_freedom, ...) of a fit written by
    :func:`write_proportion_fit`."""
    doc = tomllib.loads(path.read_text(encoding="utf-8"))
    summary = {k: float(v) for k, v in doc.items() if not isinstance(v, list)}
    return pd.DataFrame(doc["estimate"]), pd.DataFrame(doc["observation"]), summary


def write_heart_fit(fit: HeartFit, path: Path = FIT_FILE) -> Path:
    """Write ``fit``'s estimates (``k_cardiomyocyte_loss`` in the table's unit) and observed-vs-fitted table."""
    header = ("# Generated by models/fits/fit_anthracycline.py --write (crosstalk.validation.heart_fit): the heart\n"
              "# population's fit by binomial likelihood; read by crosstalk validate and by the uncertainty\n"
              "# ensemble (the spread's profile interval). Do not edit by hand.\n")
    return write_proportion_fit(fit.fit, path, header=header, estimates=fit.table())


def read_heart_fit(path: Path = FIT_FILE) -> tuple[pd.DataFrame, pd.DataFrame, dict[str, float]]:
    """(estimates, observed vs fitted, summary: deviance, degrees_of_freedom, ...) of the shipped fit."""
    return read_proportion_fit(path)
