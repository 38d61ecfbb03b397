"""Sobol indices from a sparse polynomial chaos expansion (OpenTURNS): the arithmetic of ``method = "pce"``.

A space-filling design of ``n`` points on the unit hypercube (a seeded Latin hypercube) is simulated once; a sparse
expansion in Legendre polynomials (least-angle regression over a total-degree basis, corrected leave-one-out
selection: OpenTURNS' ``FunctionalChaosAlgorithm``) is fitted to each output, and the first- and total-order indices
are read from its coefficients (``FunctionalChaosSobolIndices``). Sobol indices do not change under a one-to-one
transformation of each input, so the expansion is built on the unit hypercube whatever each range's distribution
(the ranges map unit samples to parameter values by their inverse CDF). The candidate basis is truncated by a
hyperbolic q-norm (Blatman & Sudret 2011): q = 1 keeps every interaction up to the total degree, q = 0.5 (the
default) keeps high univariate degrees and low-order interactions, which with 20 inputs cuts the candidates from
10,626 to 271 at degree 4 and the fit from minutes to seconds. Each output's cross-validated Q2 (K-fold, refitting
the whole sparse selection on each training fold) says whether the surrogate can be trusted. Bootstrap intervals
(Marelli & Sudret 2018) keep the selected sparse basis and refit its coefficients by least squares on resampled
designs; the indices are then sums of squared coefficients (Sudret 2008), checked against OpenTURNS'
``FunctionalChaosSobolIndices`` on the full fit.

The pure functions here (:func:`pce_design`, :func:`pce_indices`) are wrapped by the study engine's
:class:`crosstalk.studies.methods.PCE`, which every study with ``method = "pce"`` runs (a plain function through
:func:`crosstalk.studies.engine.run_study`, or a scenario's simulations through :mod:`crosstalk.studies.sensitivity`).

References
----------
Sudret B (2008) Global sensitivity analysis using polynomial chaos expansions. Reliab Eng Syst Saf 93:964.
doi:10.1016/j.ress.2007.04.002
Blatman G, Sudret B (2011) Adaptive sparse polynomial chaos expansion based on least angle regression. J Comput
Phys 230:2345. doi:10.1016/j.jcp.2010.12.021
Marelli S, Sudret B (2018) An active-learning algorithm that combines sparse polynomial chaos expansions and
bootstrap for structural reliability analysis. Struct Saf 75:67. doi:10.1016/j.strusafe.2018.06.003
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import openturns as ot
import pydoe

from crosstalk.errors import InputError
from crosstalk.inputs import check_number

__all__ = ["PCEIndices", "pce_design", "pce_indices"]

FloatArray = npt.NDArray[np.float64]


def pce_design(n_parameters: int, n: int, *, seed: int) -> FloatArray:
    """A seeded Latin hypercube of ``n`` points on the unit hypercube of ``n_parameters`` dimensions.

    Parameters
    ----------
    n_parameters : int
        Dimensions.
    n : int
        Points.
    seed : int
        Seed of the design.
    """
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
    S1, ST : ndarray (d,)
        First-order and total indices, one per parameter.
    S1_conf, ST_conf : ndarray (d,)
        Half-widths of their 95 % bootstrap intervals (NaN without bootstrap).
    S2, S2_conf : ndarray (d, d)
        Second-order (pure pairwise interaction) indices in the upper triangle and their interval half-widths
        (NaN elsewhere, and for the intervals without bootstrap).
    q2 : float
        Cross-validated coefficient of determination of the expansion (1: perfect; below ~0.9, do not trust the
        indices: run ``sobol``).
    degree : int
        Total degree of the candidate basis.
    terms : int
        Terms the sparse expansion kept (the constant included).
    """

    S1: FloatArray
    ST: FloatArray
    S1_conf: FloatArray
    ST_conf: FloatArray
    S2: FloatArray
    S2_conf: FloatArray
    q2: float
    degree: int
    terms: int


def _fit(x: FloatArray, y: FloatArray, degree: int, q_norm: float) -> ot.FunctionalChaosResult:
    d = x.shape[1]
    ot.Log.Show(ot.Log.NONE)
    dist = ot.JointDistribution([ot.Uniform(0.0, 1.0)] * d)
    enumerate_ = ot.HyperbolicAnisotropicEnumerateFunction(d, q_norm)
    basis = ot.OrthogonalProductPolynomialFactory(
        [ot.StandardDistributionPolynomialFactory(dist.getMarginal(i)) for i in range(d)], enumerate_)
    size = enumerate_.getBasisSizeFromTotalDegree(degree)
    selection = ot.LeastSquaresMetaModelSelectionFactory(ot.LARS(), ot.CorrectedLeaveOneOut())
    algo = ot.FunctionalChaosAlgorithm(ot.Sample(x), ot.Sample(y.reshape(-1, 1)), dist,
                                       ot.FixedStrategy(basis, size), ot.LeastSquaresStrategy(selection))
    algo.run()
    return algo.getResult()


def _multi_indices(result: ot.FunctionalChaosResult) -> npt.NDArray[np.int64]:
    """The kept terms' multi-indices (terms x d): the polynomial degree of each input in each term."""
    enumerate_ = result.getOrthogonalBasis().getEnumerateFunction()
    return np.array([list(enumerate_(int(k))) for k in result.getIndices()], dtype=np.int64)


def _sobol_from_coefficients(alpha: npt.NDArray[np.int64], coef: FloatArray
                             ) -> tuple[FloatArray, FloatArray, FloatArray]:
    """S1, ST and S2 of an expansion in an orthonormal basis: each index is the share of the variance (the sum of
    the squared non-constant coefficients) carried by the terms in the inputs concerned (Sudret 2008, eq. 38-40)."""
    active = alpha > 0
    order = active.sum(axis=1)
    c2 = np.where(order > 0, coef**2, 0.0)
    variance = float(c2.sum())
    d = alpha.shape[1]
    s2 = np.full((d, d), np.nan)
    if variance <= 0.0:
        return np.zeros(d), np.zeros(d), s2
    s1 = np.array([c2[(order == 1) & active[:, i]].sum() for i in range(d)]) / variance
    st = np.array([c2[active[:, i]].sum() for i in range(d)]) / variance
    pair = order == 2
    for i in range(d):
        for j in range(i + 1, d):
            s2[i, j] = c2[pair & active[:, i] & active[:, j]].sum() / variance
    return s1, st, s2


def _design_matrix(result: ot.FunctionalChaosResult, x: FloatArray) -> FloatArray:
    """The kept basis functions at ``x`` (the basis lives on the standard [-1, 1] measure: map x there first)."""
    sample = result.getTransformation()(ot.Sample(x))
    return np.column_stack([np.asarray(f(sample), dtype=np.float64).ravel() for f in result.getReducedBasis()])


def _q2(x: FloatArray, y: FloatArray, degree: int, q_norm: float, folds: int, rng: np.random.Generator) -> float:
    """K-fold cross-validated Q2 = 1 - sum of squared out-of-fold errors / total sum of squares; each fold refits the
    whole sparse selection, so the selection's optimism is not hidden."""
    order = rng.permutation(len(y))
    predicted = np.empty_like(y)
    for part in np.array_split(order, folds):
        train = np.setdiff1d(order, part)
        meta = _fit(x[train], y[train], degree, q_norm).getMetaModel()
        predicted[part] = np.asarray(meta(ot.Sample(x[part])), dtype=float).ravel()
    total = float(np.sum((y - y.mean()) ** 2))
    return 1.0 - float(np.sum((y - predicted) ** 2)) / total if total > 0 else float("nan")


def pce_indices(x_unit: npt.ArrayLike, y: npt.ArrayLike, *, degree: int = 4, q_norm: float = 0.5, n_boot: int = 0,
                seed: int = 1, folds: int = 5) -> PCEIndices:
    """First-, second- and total-order Sobol indices of ``y`` from a sparse polynomial chaos expansion.

    Parameters
    ----------
    x_unit : array (n, d)
        The design on the unit hypercube (e.g. :func:`pce_design`), one row per simulation.
    y : array (n,)
        One output per row (finite).
    degree : int
        Total degree of the candidate Legendre basis (1-12); LARS keeps the terms that matter.
    q_norm : float
        Hyperbolic truncation of the candidate basis, in (0, 1]: 1 keeps every interaction up to ``degree``;
        smaller values keep fewer and lower-order interactions.
    n_boot : int
        Bootstrap refits for the intervals (0: none; 0-1000).
    seed : int
        Seed of the cross-validation folds and the bootstrap.
    folds : int
        Folds of the cross-validated Q2 (2-20; 0: no cross-validation, ``q2`` is NaN).

    Returns
    -------
    PCEIndices
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
    check_number("q_norm", q_norm, low=0.0, high=1.0, low_open=True)
    if isinstance(n_boot, bool) or not isinstance(n_boot, int) or not 0 <= n_boot <= 1000:
        raise InputError("n_boot", n_boot, "an integer in [0, 1000]")
    if isinstance(folds, bool) or not isinstance(folds, int) or not (folds == 0 or 2 <= folds <= min(20, len(values))):
        raise InputError("folds", folds, f"0 or an integer in [2, {min(20, len(values))}]")
    d = x.shape[1]
    rng = np.random.default_rng(seed)
    result = _fit(x, values, degree, q_norm)
    alpha = _multi_indices(result)
    s1, st, s2 = _sobol_from_coefficients(alpha, np.asarray(result.getCoefficients(), dtype=float).ravel())
    nan = np.full(d, np.nan)
    s1_conf, st_conf, s2_conf = nan, nan, np.full((d, d), np.nan)
    if n_boot:
        psi = _design_matrix(result, x)
        boot_1, boot_t, boot_2 = [], [], []
        for _ in range(n_boot):
            rows = rng.integers(0, len(values), size=len(values))
            coef = np.asarray(np.linalg.lstsq(psi[rows], values[rows], rcond=None)[0], dtype=np.float64)
            b1, bt, b2 = _sobol_from_coefficients(alpha, coef)
            boot_1.append(b1)
            boot_t.append(bt)
            boot_2.append(b2)
        s1_conf, st_conf = (_half_width(np.array(b)) for b in (boot_1, boot_t))
        s2_conf = _half_width(np.array(boot_2))
    q2 = _q2(x, values, degree, q_norm, folds, rng) if folds else float("nan")
    return PCEIndices(s1, st, s1_conf, st_conf, s2, s2_conf, q2, degree, len(alpha))


def _half_width(boot: FloatArray) -> FloatArray:
    """Half the width of the central 95 % of bootstrap replicates (first axis), NaN where they are NaN."""
    low, high = np.quantile(boot, [0.025, 0.975], axis=0)
    half: FloatArray = (high - low) / 2.0
    return half
