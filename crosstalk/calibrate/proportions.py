"""Proportions (incidences, response rates) as published, with their sampling error, and what a fit of them gives.

A trial reports "9 % of 2625 patients": a binomial observation (:class:`Proportion`). :func:`crosstalk.calibrate.
proportion_fit.fit_proportions` takes any function from a few unknowns (:class:`Unknown`) to predicted proportions
(the engine knows no model) and fits it by binomial likelihood (:func:`binomial_nll`) with pyPESTO:
multistart local optimisation from a Latin hypercube, profile likelihoods with 95 % intervals and identifiability
(:func:`crosstalk.calibrate.fit.classify`), and an adaptive Metropolis sample of the posterior (flat prior over the
bounds, in each unknown's scale) whose predictions give posterior-predictive intervals beside the observations.

References
----------
Raue A et al. (2009) Bioinformatics 25:1923. doi:10.1093/bioinformatics/btp358 (profile likelihood intervals).
Schalte Y et al. (2023) Bioinformatics 39:btad711. doi:10.1093/bioinformatics/btad711 (pyPESTO).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import pandas as pd
from scipy import stats

from crosstalk.errors import InputError

__all__ = ["Proportion", "ProportionFit", "Unknown", "binomial_nll", "likelihood_quantile"]

FloatArray = npt.NDArray[np.float64]


@dataclass(frozen=True)
class Proportion:
    """An observed proportion and the number of patients it is of.

    Attributes
    ----------
    name : str
        What it is (``ctrcd_cardinale``).
    observed : float
        The proportion (0 to 1).
    n : float
        Patients it is a proportion of (an effective number where a Kaplan-Meier estimate was reported).
    source : str
        Where it comes from (and how ``n`` was chosen).
    """

    name: str
    observed: float
    n: float
    source: str = ""

    def __post_init__(self) -> None:
        if not 0.0 < self.observed < 1.0:
            raise InputError(f"proportion {self.name}.observed", self.observed, "strictly between 0 and 1")
        if not (math.isfinite(self.n) and self.n >= 1.0):
            raise InputError(f"proportion {self.name}.n", self.n, "a number of patients >= 1")

    def interval(self) -> tuple[float, float]:
        """Clopper-Pearson 95 % interval of the observation.

        Examples
        --------
        >>> [round(x, 3) for x in Proportion("x", 0.09, 2625).interval()]
        [0.079, 0.102]
        """
        k = min(max(round(self.observed * self.n), 0), round(self.n))
        ci = stats.binomtest(k, round(self.n)).proportion_ci(0.95)
        return float(ci.low), float(ci.high)


@dataclass(frozen=True)
class Unknown:
    """A fitted quantity, its search range and scale.

    Attributes
    ----------
    name : str
        Its name.
    low, high : float
        Search range (linear values).
    log : bool
        Searched, profiled and sampled in log10 (for positive rates and spreads).
    """

    name: str
    low: float
    high: float
    log: bool = True

    def __post_init__(self) -> None:
        if not self.high > self.low or (self.log and self.low <= 0.0):
            raise InputError(f"unknown {self.name} range", (self.low, self.high),
                             "low < high (and low > 0 on a log scale)")

    def to_scale(self, value: float) -> float:
        return math.log10(value) if self.log else value

    def to_linear(self, value: float) -> float:
        return float(10.0**value) if self.log else float(value)


@dataclass(frozen=True)
class ProportionFit:
    """The result of :func:`fit_proportions`.

    Attributes
    ----------
    estimates : pandas.DataFrame
        ``parameter, estimate, lower95, upper95, identifiability`` (profile intervals; NaN where a side stays open
        within the range).
    observed : pandas.DataFrame
        ``datum, observed, n, observed_lower95, observed_upper95, fitted, credible_lower95, credible_upper95,
        predicted_lower95, predicted_upper95``: each observation with its binomial interval beside the best fit,
        the posterior credible interval of the model's proportion, and the posterior-predictive interval of a new
        observation of the same size (binomial counts around the posterior draws).
    samples : ndarray
        Posterior sample after burn-in (rows; linear values, columns as ``estimates``).
    best : dict of str to float
        The maximum-likelihood values.
    deviance : float
        Twice the negative log-likelihood ratio to a saturated fit (a chi-square with n_data - n_unknowns degrees of
        freedom when the model is right).
    burn_in : int
        Samples discarded by Geweke's test.
    """

    estimates: pd.DataFrame
    observed: pd.DataFrame
    samples: FloatArray
    best: dict[str, float]
    deviance: float
    burn_in: int


def binomial_nll(predicted: FloatArray, data: Sequence[Proportion]) -> float:
    """Negative log-likelihood less the saturated model's (0 at a perfect fit)."""
    p = np.clip(predicted, 1e-12, 1.0 - 1e-12)
    obs = np.array([d.observed for d in data])
    n = np.array([d.n for d in data])
    return float(np.sum(n * (obs * np.log(obs / p) + (1.0 - obs) * np.log((1.0 - obs) / (1.0 - p)))))


def likelihood_quantile(grid: npt.ArrayLike, nll: npt.ArrayLike, position: float) -> float:
    """The value at quantile ``position`` (0-1) of the likelihood ``exp(-nll)`` normalised over ``grid`` (a flat
    prior on the grid's range; trapezoids between its points): how an ensemble member carries a fitted value's own
    uncertainty with the weight the data give it.

    Parameters
    ----------
    grid : array_like
        Increasing values of the quantity.
    nll : array_like
        Negative log-likelihood at each (any constant offset; finite at one point at least).
    position : float
        The quantile (clipped to 0-1).

    Returns
    -------
    float
        The value at that quantile (linear between grid points).

    Examples
    --------
    >>> x = np.linspace(-5.0, 5.0, 2001)
    >>> round(likelihood_quantile(x, 0.5 * x**2, 0.975), 2)  # a standard normal's 97.5th percentile
    1.96
    """
    x = np.asarray(grid, dtype=float)
    values = np.asarray(nll, dtype=float)
    weight = np.exp(-(values - values.min()))
    cdf = np.concatenate(([0.0], np.cumsum(0.5 * (weight[1:] + weight[:-1]) * np.diff(x))))
    return float(np.interp(min(max(position, 0.0), 1.0) * cdf[-1], cdf, x))
