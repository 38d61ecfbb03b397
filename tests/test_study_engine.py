"""The model-free study engine (crosstalk.studies.engine, crosstalk.studies.methods) on functions with known
answers, in their own names (x1..x3 -> y); and the combinations it refuses, here and in analysis specs."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from crosstalk.errors import CrosstalkError, InputError
from crosstalk.spec.ranges import ParameterRange
from crosstalk.spec.scenario import ExerciseRegime, Scenario
from crosstalk.studies import METHODS, PCE, Morris, Sobol, Study, run_study
from crosstalk.studies.analysis_spec import AnalysisSpec
from crosstalk.studies.engine import parse_inputs

import sa_functions as saf

PI = math.pi
#: Ishigami (a = 7, b = 0.1) on [-pi, pi]^3: analytic first-order and total indices (Sobol' & Levitan 1999).
ISHIGAMI = {name: (-PI, PI) for name in saf.X}
ISHIGAMI_S1 = [0.3139, 0.4424, 0.0]
ISHIGAMI_ST = [0.5576, 0.4424, 0.2437]
#: y = x1 + 2 x2 + 3 x3 on [0, 1]^3: S1 = ST = a_i^2 / sum a^2.
UNIT = {name: (0.0, 1.0) for name in saf.X}
LINEAR_S = np.array([1.0, 4.0, 9.0]) / 14.0


def test_ishigami_sobol_through_run_study_within_0_05_of_analytic() -> None:
    ind = run_study(ISHIGAMI, saf.ishigami_homma, outputs=["y"], method="sobol", n=1024, seed=1)
    assert list(ind.columns) == ["output", "parameter", "S1", "S1_conf", "ST", "ST_conf"]
    assert list(ind.parameter) == list(saf.X) and set(ind.output) == {"y"}
    np.testing.assert_allclose(ind.S1, ISHIGAMI_S1, atol=0.05)
    np.testing.assert_allclose(ind.ST, ISHIGAMI_ST, atol=0.05)
    assert (ind.ST_conf > 0).all()


def test_linear_model_sobol_indices_are_the_squared_weights() -> None:
    ind = run_study(UNIT, saf.weighted_sum, outputs=["y"], n=1024, seed=2)
    np.testing.assert_allclose(ind.S1, LINEAR_S, atol=0.03)
    np.testing.assert_allclose(ind.ST, LINEAR_S, atol=0.03)


def test_morris_on_an_additive_model_mu_star_is_coefficient_times_range_and_sigma_zero() -> None:
    """Each elementary effect of y = sum a_i x_i, in the unit coordinates Morris moves in, is a_i (high_i - low_i)
    wherever it is taken: mu = mu* = that, sigma = 0 (no interaction, no non-linearity)."""
    inputs = {"x1": (0.0, 1.0), "x2": (0.0, 2.0), "x3": (-1.0, 2.0)}
    ind = run_study(inputs, saf.weighted_sum, outputs=["y"], method="morris", n=20, seed=3)
    assert list(ind.columns) == ["output", "parameter", "mu", "mu_star", "sigma", "mu_star_conf"]
    np.testing.assert_allclose(ind.mu_star, [1.0, 4.0, 9.0], rtol=1e-9)
    np.testing.assert_allclose(ind.mu, [1.0, 4.0, 9.0], rtol=1e-9)
    np.testing.assert_allclose(ind.sigma, 0.0, atol=1e-9)


def test_pce_on_ishigami_through_run_study() -> None:
    ind = run_study(ISHIGAMI, saf.ishigami_homma, outputs=["y"], method=PCE(degree=10, q_norm=1.0), n=400, seed=3)
    np.testing.assert_allclose(ind.S1, ISHIGAMI_S1, atol=0.02)
    np.testing.assert_allclose(ind.ST, ISHIGAMI_ST, atol=0.02)
    assert ind.reliable.all() and (ind.ST_conf > 0).all()
    # the options as keywords are the same method
    same = run_study(ISHIGAMI, saf.ishigami_homma, outputs=["y"], method="pce", degree=10, q_norm=1.0, n=400, seed=3)
    pd.testing.assert_frame_equal(ind, same)


def test_distributions_given_as_mappings() -> None:
    """a log-uniform on [1, e^3] is ln(a) uniform on [0, 3]: y = ln(a) + b (b uniform on [0, 1]) has
    S1 = (9/12) / (9/12 + 1/12) = 0.9 and 0.1."""
    inputs = {"a": {"low": 1.0, "high": math.e**3, "distribution": "loguniform"}, "b": (0.0, 1.0)}
    ind = run_study(inputs, _log_a_plus_b, outputs=["y"], n=1024, seed=4)
    np.testing.assert_allclose(ind.S1, [0.9, 0.1], atol=0.03)
    study = Study(parse_inputs(inputs), Sobol(), 256, outputs=("y",))
    a = study.samples().a
    assert a.min() >= 1.0 and a.max() <= math.e**3 and abs(np.log(a).mean() - 1.5) < 0.05


def _log_a_plus_b(x: dict) -> dict:
    return {"y": math.log(x["a"]) + x["b"]}


def test_study_time_resolved_second_order_and_convergence_on_a_plain_function() -> None:
    """The one loop, outside any scenario: the series s@k = w x1 + (1 - w) x2 has S1_x1 = w^2 / (w^2 + (1-w)^2);
    an additive model has no second-order index; convergence from the first n/8 ... n base samples."""
    study = Study(parse_inputs(UNIT), Sobol(second_order=True), 512, seed=5, outputs=("y",), time_resolved=("s",))
    values = study.samples()
    results = pd.DataFrame([saf.weighted_sum(row) for row in values.to_dict("records")])
    tables = study.analyse(results, times=[0.0, 6.0, 12.0, 18.0, 24.0])
    tr = tables.time_resolved[tables.time_resolved.parameter == "x1"].sort_values("time")
    w = np.linspace(0, 1, saf.N_TIMES)
    np.testing.assert_allclose(tr.S1.to_numpy()[1:-1], (w**2 / (w**2 + (1 - w) ** 2))[1:-1], atol=0.05)
    assert list(tr.time) == [0.0, 6.0, 12.0, 18.0, 24.0]
    np.testing.assert_allclose(tables.second_order.S2, 0.0, atol=0.05)
    assert len(tables.second_order) == 3 and set(tables.convergence.n) == {64, 128, 256, 512}
    assert tables.groups_dropped == 0 and tables.constant_outputs == ()


def test_failed_groups_are_dropped_and_too_many_failures_stop_naming_the_region() -> None:
    with pytest.raises(CrosstalkError, match=r"x1: failures at mean quantile 0\.9.*CV_CONV_FAILURE"):
        run_study(UNIT, saf.weighted_sum_failing, outputs=["y"], n=256, seed=6)
    ind = run_study(UNIT, saf.weighted_sum_failing, outputs=["y"], n=256, seed=6, max_failure_fraction=0.05)
    assert np.isfinite(ind[["S1", "ST"]].to_numpy()).all()
    np.testing.assert_allclose(ind.S1, LINEAR_S, atol=0.05)


def test_a_constant_output_has_no_rows() -> None:
    ind = run_study(UNIT, saf.constant_and_sum, outputs=["flat", "y"], n=64, seed=7)
    assert set(ind.output) == {"y"}


def test_a_pool_gives_the_same_indices_as_this_process() -> None:
    serial = run_study(ISHIGAMI, saf.ishigami_homma, outputs=["y"], n=64, seed=8)
    pooled = run_study(ISHIGAMI, saf.ishigami_homma, outputs=["y"], n=64, seed=8, workers=2)
    pd.testing.assert_frame_equal(serial, pooled)


def test_each_method_samples_its_groups() -> None:
    assert Sobol().sample(3, 8, seed=1).shape == (8 * 5, 3)
    assert Sobol(second_order=True).sample(3, 8, seed=1).shape == (8 * 8, 3)
    assert Morris().sample(3, 8, seed=1).shape == (8 * 4, 3)
    assert PCE().sample(3, 20, seed=1).shape == (20, 3)
    assert list(METHODS) == ["sobol", "morris", "pce"]
    from crosstalk import run_study as facade

    assert facade is run_study


# ------------------------------------------------------------------------------------------ refused at spec time
def test_morris_with_time_resolved_is_refused_not_silently_empty() -> None:
    with pytest.raises(InputError, match="no time-resolved indices") as info:
        Study(parse_inputs(UNIT), Morris(), 16, outputs=("y",), time_resolved=("s",))
    assert info.value.field == "time_resolved"
    base = Scenario("base", duration_days=1.0, output_step_hours=6.0, exercise=(ExerciseRegime(session_days=(0,)),))
    ranges = tuple(ParameterRange(name, 0.0, 1.0) for name in saf.NAMES)
    with pytest.raises(InputError, match="no time-resolved indices") as info:
        AnalysisSpec("m", base, ranges, method="morris", n=16, outputs=("il6_peak_fold",),
                     time_resolved=("il6_pg_per_ml",))
    assert info.value.field == "time_resolved"
    with pytest.raises(InputError) as info:
        AnalysisSpec("m", base, ranges, method="morris", n=16, outputs=("il6_peak_fold",), second_order=True)
    assert info.value.field == "second_order"


@pytest.mark.parametrize(("kw", "field"), [
    ({"method": "fast"}, "method"),
    ({"method": "sobol", "n": 100}, "n"),
    ({"method": "pce", "n": 8}, "n"),
    ({"method": "sobol", "degree": 3}, "degree"),
    ({"method": "morris", "second_order": True}, "second_order"),
    ({"method": "morris", "num_levels": 3}, "num_levels"),
    ({"method": Sobol(), "second_order": True}, "second_order"),
    ({"seed": 0}, "seed"),
    ({"outputs": "y"}, "outputs"),
])
def test_bad_options_are_refused_naming_the_field(kw: dict, field: str) -> None:
    calls: list[dict] = []
    with pytest.raises(InputError) as info:
        run_study(UNIT, calls.append, **{"outputs": ["y"], "n": 64, **kw})
    assert info.value.field == field and "allowed" in str(info.value)
    assert calls == []  # before any evaluation
    if field == "method":
        assert "'sobol', 'morris', 'pce'" in str(info.value)


@pytest.mark.parametrize(("inputs", "field"), [
    ({"x1": {"low": 0.0, "high": 1.0, "sigma": 2.0}}, "inputs[x1].sigma"),
    ({"x1": {"low": 1.0}}, "inputs[x1].high"),
    ({"x1": {"low": 0.0, "high": 1.0, "distribution": "loguniform"}}, "parameter[x1].low"),
    ({"x1": (0.0, 1.0, 2.0)}, "inputs[x1]"),
    ({}, "inputs"),
])
def test_bad_inputs_name_the_input(inputs: dict, field: str) -> None:
    with pytest.raises(InputError) as info:
        run_study(inputs, saf.weighted_sum, outputs=["y"], n=64)
    assert info.value.field == field
