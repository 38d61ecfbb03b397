"""Run the heart population's fit (:mod:`crosstalk.validation.heart_fit`): pyPESTO, minutes on one core.

A module of its own because pyPESTO loads matplotlib; ``crosstalk validate`` reads the shipped result without it.
"""

from __future__ import annotations

from crosstalk.calibrate.proportion_fit import fit_proportions
from crosstalk.model.parameters import parameter_ids
from crosstalk.validation.heart_fit import HEART_UNKNOWNS, HeartFit, heart_data, predicted_incidences

__all__ = ["fit_heart_population"]


def fit_heart_population(*, model: str = "anthracycline", starts: int = 8, seed: int = 1,
                         samples: int = 3000) -> HeartFit:
    """Fit :data:`~crosstalk.validation.heart_fit.HEART_UNKNOWNS` to its data (5-8 minutes on one core with the
    default sample; the profiles take most of it)."""
    fit = fit_proportions(lambda v: predicted_incidences(v, model=model), heart_data(), HEART_UNKNOWNS,
                          starts=starts, seed=seed, samples=samples)
    k0 = parameter_ids(model)["k_cardiomyocyte_loss"].value
    return HeartFit(fit, float(k0 * fit.best["loss_factor"]))
