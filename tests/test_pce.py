"""Known answers for the polynomial-chaos Sobol indices (crosstalk.studies.pce)."""

from __future__ import annotations

import numpy as np
import openturns as ot
import pytest

from crosstalk.errors import InputError
from crosstalk.studies import pce
from crosstalk.studies.pce import pce_design, pce_indices

#: Ishigami (a = 7, b = 0.1) on [-pi, pi]^3: analytic first-order and total indices (Sobol' & Levitan 1999).
ISHIGAMI_S1 = np.array([0.3139, 0.4424, 0.0])
ISHIGAMI_ST = np.array([0.5576, 0.4424, 0.2437])
#: Its only interaction, x1 with x3 (V13 / V).
ISHIGAMI_S13 = 0.2437


def ishigami(u: np.ndarray) -> np.ndarray:
    x = np.pi * (2.0 * u - 1.0)
    return np.sin(x[:, 0]) + 7.0 * np.sin(x[:, 1]) ** 2 + 0.1 * x[:, 2] ** 4 * np.sin(x[:, 0])


def test_ishigami_within_0_02_of_analytic_from_400_runs() -> None:
    x = pce_design(3, 400, seed=3)
    res = pce_indices(x, ishigami(x), degree=10, q_norm=1.0, n_boot=100, seed=3)
    assert np.max(np.abs(res.S1 - ISHIGAMI_S1)) < 0.02
    assert np.max(np.abs(res.ST - ISHIGAMI_ST)) < 0.02
    assert abs(res.S2[0, 2] - ISHIGAMI_S13) < 0.02 and abs(res.S2[0, 1]) < 0.01 and abs(res.S2[1, 2]) < 0.01
    assert res.q2 > 0.99 and 0 < res.terms < 286
    # the bootstrap intervals (fixed sparse basis, refitted coefficients) are narrow and cover the analytic values
    assert np.all(np.abs(res.ST - ISHIGAMI_ST) < 3 * res.ST_conf + 1e-3) and np.all(res.ST_conf < 0.01)


def test_indices_from_coefficients_equal_openturns_sobol_indices() -> None:
    """The bootstrap reads indices from squared coefficients; on the full fit they must equal OpenTURNS' own."""
    x = pce_design(4, 200, seed=5)
    y = np.exp(x[:, 0]) * (1 + x[:, 1]) + np.sin(3 * x[:, 2]) * x[:, 3]
    result = pce._fit(x, y, 5, 0.75)
    s1, st, s2 = pce._sobol_from_coefficients(pce._multi_indices(result),
                                              np.asarray(result.getCoefficients(), dtype=float).ravel())
    sobol = ot.FunctionalChaosSobolIndices(result)
    assert np.allclose(s1, [sobol.getSobolIndex(i) for i in range(4)], atol=1e-12)
    assert np.allclose(st, [sobol.getSobolTotalIndex(i) for i in range(4)], atol=1e-12)
    assert np.isclose(s2[2, 3], sobol.getSobolIndex([2, 3]), atol=1e-12)
    psi = pce._design_matrix(result, x)
    assert np.allclose(psi @ np.asarray(result.getCoefficients()).ravel(),
                       np.asarray(result.getMetaModel()(ot.Sample(x))).ravel(), atol=1e-10)


def test_linear_model_indices_are_the_squared_weights() -> None:
    """y = sum a_i x_i with independent uniform inputs: S1_i = ST_i = a_i^2 / sum a^2 (no interactions)."""
    a = np.array([4.0, 2.0, 1.0, 0.5, 0.0])
    x = pce_design(5, 64, seed=1)
    res = pce_indices(x, x @ a, degree=2, n_boot=20, seed=1)
    exact = a**2 / np.sum(a**2)
    assert np.max(np.abs(res.S1 - exact)) < 0.02 and np.max(np.abs(res.ST - exact)) < 0.02
    assert res.q2 > 0.999
    assert np.all(res.ST_conf >= 0) and np.all(np.isfinite(res.S1_conf))


def test_an_output_the_expansion_cannot_represent_gets_a_low_q2() -> None:
    x = pce_design(4, 120, seed=2)
    noise = np.random.default_rng(2).standard_normal(120)
    assert pce_indices(x, noise, degree=3, seed=2).q2 < 0.5


def test_design_is_seeded_and_bad_input_names_the_field() -> None:
    assert np.array_equal(pce_design(3, 10, seed=7), pce_design(3, 10, seed=7))
    x = pce_design(2, 20, seed=1)
    with pytest.raises(InputError, match="degree"):
        pce_indices(x, x[:, 0], degree=0)
    with pytest.raises(InputError, match="x_unit"):
        pce_indices(x * 2.0, x[:, 0])
    with pytest.raises(InputError, match="y"):
        pce_indices(x, np.full(20, np.nan))
    with pytest.raises(InputError, match="q_norm"):
        pce_indices(x, x[:, 0], q_norm=0.0)
