"""Run the heart population's fits (:mod:`crosstalk.validation.heart_fit`, :mod:`crosstalk.validation.heart_recovery`):
pyPESTO, minutes on one core.

A module of its own because pyPESTO loads matplotlib; ``crosstalk validate`` reads the shipped result without it.
"""

from __future__ import annotations

from crosstalk.calibrate.proportion_fit import fit_proportions
from crosstalk.calibrate.proportions import ProportionFit
from crosstalk.model.parameters import parameter_ids
from crosstalk.sim.simulator import Simulator
from crosstalk.validation.cardiac import CardiacPopulation, cardinale_course
from crosstalk.validation.heart_fit import HEART_UNKNOWNS, HeartFit, heart_data, predicted_incidences
from crosstalk.validation.heart_recovery import (
    RECOVERY_PARAMETER,
    RECOVERY_UNKNOWNS,
    recovery_data,
    recovery_predictions,
)

__all__ = ["fit_heart_population", "fit_recovery"]


def fit_heart_population(*, model: str = "anthracycline", starts: int = 8, seed: int = 1,
                         samples: int = 3000) -> HeartFit:
    """Fit :data:`~crosstalk.validation.heart_fit.HEART_UNKNOWNS` to its data (5-8 minutes on one core with the
    default sample; the profiles take most of it)."""
    fit = fit_proportions(lambda v: predicted_incidences(v, model=model), heart_data(), HEART_UNKNOWNS,
                          starts=starts, seed=seed, samples=samples)
    k0 = parameter_ids(model)["k_cardiomyocyte_loss"].value
    return HeartFit(fit, float(k0 * fit.best["loss_factor"]))


def fit_recovery(*, model: str = "anthracycline", starts: int = 4, seed: int = 1, samples: int = 2000) -> ProportionFit:
    """Fit :data:`~crosstalk.validation.heart_recovery.RECOVERY_PARAMETER` to Cardinale 2015's recoveries after
    AC 4 x 60 mg/m2, on the heart at the tables' values (seconds)."""
    population = CardiacPopulation.load()
    courses = population.courses(Simulator(model), cardinale_course(model=model))
    return fit_proportions(lambda v: recovery_predictions(population, courses, v[RECOVERY_PARAMETER]),
                           recovery_data(), RECOVERY_UNKNOWNS, starts=starts, seed=seed, samples=samples)
