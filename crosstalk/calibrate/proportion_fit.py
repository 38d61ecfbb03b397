"""Fit a model of proportions to published ones by binomial likelihood with pyPESTO (the engine knows no model).

Multistart local optimisation from a Latin hypercube, profile likelihoods with 95 % intervals and identifiability
(:func:`crosstalk.calibrate.fit.classify`), and an adaptive Metropolis sample of the posterior (flat prior over the
bounds, in each unknown's scale) whose predictions give posterior-predictive intervals beside the observations.
A module of its own because pyPESTO loads matplotlib: the data classes (:mod:`crosstalk.calibrate.proportions`)
are read without it.

References
----------
Raue A et al. (2009) Bioinformatics 25:1923. doi:10.1093/bioinformatics/btp358 (profile likelihood intervals).
Schalte Y et al. (2023) Bioinformatics 39:btad711. doi:10.1093/bioinformatics/btad711 (pyPESTO).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

import numpy as np
import numpy.typing as npt
import pandas as pd
import pypesto
import pypesto.optimize
import pypesto.profile
import pypesto.sample
from pypesto.objective import FD
from pypesto.startpoint import LatinHypercubeStartpoints

from crosstalk.calibrate.fit import THRESHOLD_RATIO, classify
from crosstalk.calibrate.proportions import Proportion, ProportionFit, Unknown, binomial_nll
from crosstalk.errors import InputError

__all__ = ["fit_proportions"]

FloatArray = npt.NDArray[np.float64]
#: Profile step in each unknown's scale (log10: a fiftieth of a decade; linear: 0.02 of the value's unit).
PROFILE_STEP = 0.02


def fit_proportions(predict: Callable[[dict[str, float]], Sequence[float]], data: Sequence[Proportion],
                    unknowns: Sequence[Unknown], *, starts: int = 8, seed: int = 1, samples: int = 3000,
                    predictive: int = 300) -> ProportionFit:
    """Fit ``predict`` (unknowns by name -> one proportion per datum) to ``data`` by binomial likelihood.

    Parameters
    ----------
    predict : callable
        The model: a dict of the unknowns' linear values to the predicted proportions, in ``data``'s order.
    data : sequence of Proportion
        The observations; more of them than unknowns, or the fit is an exact solve without residual freedom.
    unknowns : sequence of Unknown
        What is fitted, with search ranges.
    starts : int
        Local optimisations (L-BFGS-B on central finite differences) from a seeded Latin hypercube.
    seed : int
        Seed of the starts and of the sampler.
    samples : int
        Adaptive Metropolis steps (0: no sample, predictive intervals NaN).
    predictive : int
        Posterior draws (evenly thinned after burn-in) whose predictions give the predictive intervals.

    Examples
    --------
    A dose-response with a known answer: three rates of ``1 - exp(-k d)`` observed in 1000 patients each.

    >>> doses = (1.0, 2.0, 4.0)
    >>> data = [Proportion(f"d{d:g}", 1 - math.exp(-0.2 * d), 1000) for d in doses]
    >>> fit = fit_proportions(lambda x: [1 - math.exp(-x["k"] * d) for d in doses], data,
    ...                       [Unknown("k", 0.01, 2.0)], starts=3, samples=0)
    >>> row = fit.estimates.iloc[0]
    >>> round(float(row.estimate), 4), bool(row.lower95 < 0.2 < row.upper95), row.identifiability
    (0.2, True, 'identifiable')
    """
    if len(data) <= len(unknowns):
        raise InputError("data", len(data), f"more observations than unknowns ({len(unknowns)})")
    names = [u.name for u in unknowns]

    def values(x: FloatArray) -> dict[str, float]:
        return {u.name: u.to_linear(float(v)) for u, v in zip(unknowns, x)}

    def nll(x: FloatArray) -> float:
        return binomial_nll(np.asarray(predict(values(np.asarray(x))), dtype=float), data)

    lb = np.array([u.to_scale(u.low) for u in unknowns])
    ub = np.array([u.to_scale(u.high) for u in unknowns])
    problem = pypesto.Problem(FD(pypesto.Objective(fun=nll), grad=True, method="central", delta_grad=1e-5),
                              lb=lb, ub=ub, x_names=names,
                              startpoint_method=LatinHypercubeStartpoints(use_guesses=False))
    optimizer = pypesto.optimize.ScipyOptimizer(method="L-BFGS-B", options={"maxiter": 500})
    np.random.seed(seed)  # pyPESTO's start points draw from numpy's global generator
    result = pypesto.optimize.minimize(problem, optimizer=optimizer, n_starts=starts, progress_bar=False)
    # fixed steps of PROFILE_STEP in each unknown's scale: the adaptive default crawls along a flat profile
    pypesto.profile.parameter_profile(problem, result, optimizer, progress_bar=False, next_guess_method="fixed_step",
                                      profile_options=pypesto.profile.ProfileOptions(
                                          whole_path=False, default_step_size=PROFILE_STEP))
    best_x = np.asarray(result.optimize_result.list[0]["x"], dtype=float)
    rows = []
    for k, u in enumerate(unknowns):
        prof = result.profile_result.list[0][k]
        order = np.argsort(np.asarray(prof.x_path)[k])  # pyPESTO's interval assumes ascending values
        xs, ratios = np.asarray(prof.x_path)[k][order], np.asarray(prof.ratio_path)[order]
        low, high = pypesto.profile.calculate_approximate_ci(xs, ratios, THRESHOLD_RATIO)
        below = ratios < THRESHOLD_RATIO
        rows.append({"parameter": u.name, "estimate": u.to_linear(best_x[k]),
                     "lower95": u.to_linear(low) if np.any(below & (xs < best_x[k])) else math.nan,
                     "upper95": u.to_linear(high) if np.any(below & (xs > best_x[k])) else math.nan,
                     "identifiability": classify(xs, ratios, best_x[k], log_scale=u.log)})
    chain = np.empty((0, len(unknowns)))
    burn = 0
    if samples:
        sampler = pypesto.sample.AdaptiveMetropolisSampler(options={"show_progress": False})
        np.random.seed(seed)
        sampled = pypesto.sample.sample(problem, n_samples=samples, sampler=sampler, x0=best_x, result=result)
        burn = int(pypesto.sample.geweke_test(sampled) or 0)
        chain = np.asarray(sampled.sample_result.trace_x[0][burn:], dtype=float)
    fitted = np.asarray(predict(values(best_x)), dtype=float)
    nan = np.full(len(data), math.nan)
    credible, predicted = (nan, nan), (nan, nan)
    if chain.shape[0]:
        picks = chain[np.linspace(0, chain.shape[0] - 1, min(predictive, chain.shape[0])).astype(int)]
        draws = np.array([np.asarray(predict(values(x)), dtype=float) for x in picks])
        credible = (np.quantile(draws, 0.025, axis=0), np.quantile(draws, 0.975, axis=0))
        # a new trial of the same size: binomial counts around each drawn proportion
        n = np.array([round(d.n) for d in data])
        replicate = np.random.default_rng(seed).binomial(n, np.clip(draws, 0.0, 1.0)) / n
        predicted = (np.quantile(replicate, 0.025, axis=0), np.quantile(replicate, 0.975, axis=0))
    observed = pd.DataFrame([{"datum": d.name, "observed": d.observed, "n": d.n,
                              "observed_lower95": d.interval()[0], "observed_upper95": d.interval()[1],
                              "fitted": float(fitted[i]), "credible_lower95": float(credible[0][i]),
                              "credible_upper95": float(credible[1][i]), "predicted_lower95": float(predicted[0][i]),
                              "predicted_upper95": float(predicted[1][i])} for i, d in enumerate(data)])
    linear_chain = np.array([[u.to_linear(v) for u, v in zip(unknowns, row)] for row in chain]).reshape(
        chain.shape[0], len(unknowns))
    return ProportionFit(pd.DataFrame(rows), observed, linear_chain, values(best_x), 2.0 * nll(best_x), burn)
