"""Sobol indices from a sparse polynomial chaos expansion (OpenTURNS): the engine of ``method = "pce"`` (issue 17).

A space-filling design of ``n`` points on the unit hypercube (a seeded Latin hypercube) is simulated once; a sparse
expansion in Legendre polynomials (least-angle regression over a total-degree basis, corrected leave-one-out
selection: OpenTURNS' ``FunctionalChaosAlgorithm``) is fitted to each output, and the first- and total-order indices
are read from its coefficients (``FunctionalChaosSobolIndices``). Sobol indices do not change under a one-to-one
transformation of each input, so the expansion is built on the unit hypercube whatever each range's distribution
(the ranges map unit samples to parameter values by their inverse CDF). Each output's cross-validated Q2
(K-fold, refitting the expansion) says whether the surrogate can be trusted; bootstrap intervals refit it on
resampled designs.

Not yet wired into analysis specs (the study runner, report and CLI keep ``sobol`` and ``morris``); see issue 17.

References
----------
Sudret B (2008) Global sensitivity analysis using polynomial chaos expansions. Reliab Eng Syst Saf 93:964.
doi:10.1016/j.ress.2007.04.002
Blatman G, Sudret B (2011) Adaptive sparse polynomial chaos expansion based on least angle regression. J Comput
Phys 230:2345. doi:10.1016/j.jcp.2010.12.021
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import openturns as ot
import pydoe

from crosstalk.errors import InputError

__all__ = ["PCEIndices", "pce_design", "pce_indices"]

FloatArray = npt.NDArray[np.float64]


def pce_design(n_parameters: int, n: int, *, seed: int) -> FloatArray:
    """A seeded Latin hypercube of ``n`` points on the unit hypercube of ``n_parameters`` dimensions."""
    if isinstance(n, bool) or not isinstance(n, int) or n < 2:
        raise InputError("n", n, "an integer >= 2")
    if isinstance(n_parameters, bool) or not isinstance(n_parameters, int) or n_parameters < 1:
        raise InputError("n_parameters", n_parameters, "an integer >= 1")
    return np.asarray(pydoe.lhs(n_parameters, samples=n, seed=seed), dtype=np.float64)


@dataclass(frozen=True)
class PCEIndices:
    """Sobol indices of one output from a polynomial chaos expansion.

    Attributes
    ----------
    S1, ST : ndarray
        First-order and total indices, one per parameter.
    S1_conf, ST_conf : ndarray
        Half-widths of their 95 % bootstrap intervals (NaN without bootstrap).
    q2 : float
        Cross-validated coefficient of determination of the expansion (1: perfect; below ~0.9, do not trust the
        indices: run ``sobol``).
    degree : int
        Total degree of the candidate basis.
    terms : int
        Terms the sparse expansion kept.
    """

    S1: FloatArray
    ST: FloatArray
    S1_conf: FloatArray
    ST_conf: FloatArray
    q2: float
    degree: int
    terms: int


def _fit(x: FloatArray, y: FloatArray, degree: int) -> ot.FunctionalChaosResult:
    d = x.shape[1]
    ot.Log.Show(ot.Log.NONE)
    dist = ot.JointDistribution([ot.Uniform(0.0, 1.0)] * d)
    basis = ot.OrthogonalProductPolynomialFactory(
        [ot.StandardDistributionPolynomialFactory(dist.getMarginal(i)) for i in range(d)])
    size = basis.getEnumerateFunction().getStrataCumulatedCardinal(degree)
    selection = ot.LeastSquaresMetaModelSelectionFactory(ot.LARS(), ot.CorrectedLeaveOneOut())
    algo = ot.FunctionalChaosAlgorithm(ot.Sample(x), ot.Sample(y.reshape(-1, 1)), dist,
                                       ot.FixedStrategy(basis, size), ot.LeastSquaresStrategy(selection))
    algo.run()
    return algo.getResult()


def _indices(result: ot.FunctionalChaosResult, d: int) -> tuple[FloatArray, FloatArray]:
    sobol = ot.FunctionalChaosSobolIndices(result)
    return (np.array([sobol.getSobolIndex(i) for i in range(d)], dtype=np.float64),
            np.array([sobol.getSobolTotalIndex(i) for i in range(d)], dtype=np.float64))


def _q2(x: FloatArray, y: FloatArray, degree: int, folds: int, rng: np.random.Generator) -> float:
    """K-fold cross-validated Q2 = 1 - sum of squared out-of-fold errors / total sum of squares."""
    order = rng.permutation(len(y))
    predicted = np.empty_like(y)
    for part in np.array_split(order, folds):
        train = np.setdiff1d(order, part)
        meta = _fit(x[train], y[train], degree).getMetaModel()
        predicted[part] = np.asarray(meta(ot.Sample(x[part])), dtype=float).ravel()
    total = float(np.sum((y - y.mean()) ** 2))
    return 1.0 - float(np.sum((y - predicted) ** 2)) / total if total > 0 else float("nan")


def pce_indices(x_unit: npt.ArrayLike, y: npt.ArrayLike, *, degree: int = 4, n_boot: int = 0, seed: int = 1,
                folds: int = 5) -> PCEIndices:
    """First- and total-order Sobol indices of ``y`` from a sparse polynomial chaos expansion.

    Parameters
    ----------
    x_unit : array (n, d)
        The design on the unit hypercube (e.g. :func:`pce_design`), one row per simulation.
    y : array (n,)
        One output per row (finite).
    degree : int
        Total degree of the candidate Legendre basis (1-12); LARS keeps the terms that matter.
    n_boot : int
        Bootstrap refits for the intervals (0: none; 0-1000).
    seed : int
        Seed of the cross-validation folds and the bootstrap.
    folds : int
        Folds of the cross-validated Q2 (2-20).
    """
    x = np.asarray(x_unit, dtype=np.float64)
    values = np.asarray(y, dtype=np.float64).ravel()
    if x.ndim != 2 or len(x) != len(values):
        raise InputError("x_unit", x.shape, f"an (n, d) array with n = len(y) = {len(values)}")
    if np.any((x < 0.0) | (x > 1.0)):
        raise InputError("x_unit", "values outside [0, 1]", "a design on the unit hypercube")
    if not np.all(np.isfinite(values)):
        raise InputError("y", "non-finite values", "finite outputs (drop failed simulations first)")
    if isinstance(degree, bool) or not isinstance(degree, int) or not 1 <= degree <= 12:
        raise InputError("degree", degree, "an integer in [1, 12]")
    if isinstance(n_boot, bool) or not isinstance(n_boot, int) or not 0 <= n_boot <= 1000:
        raise InputError("n_boot", n_boot, "an integer in [0, 1000]")
    if isinstance(folds, bool) or not isinstance(folds, int) or not 2 <= folds <= min(20, len(values)):
        raise InputError("folds", folds, f"an integer in [2, {min(20, len(values))}]")
    d = x.shape[1]
    rng = np.random.default_rng(seed)
    result = _fit(x, values, degree)
    s1, st = _indices(result, d)
    s1_conf = st_conf = np.full(d, np.nan)
    if n_boot:
        boot = []
        for _ in range(n_boot):
            rows = rng.integers(0, len(values), size=len(values))
            boot.append(np.concatenate(_indices(_fit(x[rows], values[rows], degree), d)))
        low, high = np.quantile(np.array(boot), [0.025, 0.975], axis=0)
        half = (high - low) / 2.0
        s1_conf, st_conf = half[:d], half[d:]
    return PCEIndices(s1, st, s1_conf, st_conf, _q2(x, values, degree, folds, rng), degree,
                      int(result.getIndices().getSize()))
