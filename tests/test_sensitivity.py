"""The sensitivity engine on known answers, resume, determinism, failures and bad specs; the CLI on the model."""

from __future__ import annotations

import math
import subprocess
import sys
from dataclasses import replace

import numpy as np
import pandas as pd
import pytest

from crosstalk.errors import CrosstalkError, InputError, SimulationError
from crosstalk.sim.simulator import simulator_for
from crosstalk.spec.ranges import ParameterRange
from crosstalk.spec.scenario import ExerciseRegime, Scenario, load_scenario
from crosstalk.studies import sensitivity
from crosstalk.studies.executors import dask_executor
from crosstalk.studies.sensitivity import (
    AnalysisSpec,
    analyse_samples,
    load_analysis,
    read_base_run,
    read_sensitivity,
    run_samples,
    run_sensitivity,
    sample_analysis,
)

import sa_functions as saf
from conftest import REPO, small_spec


def spec(lo: float, hi: float, *, n: int = 1024, time_resolved=(), seed: int = 11, **kw) -> AnalysisSpec:
    ranges = tuple(ParameterRange(name, lo, hi) for name in saf.NAMES)
    base = Scenario("base", duration_days=1.0, output_step_hours=6.0, exercise=(ExerciseRegime(session_days=(0,)),))
    return AnalysisSpec("known", base, ranges, n=n, seed=seed, outputs=("il6_peak_fold",),
                        time_resolved=time_resolved, **kw)


def test_ishigami_indices(tmp_path):
    """Analytic S1 = (0.3139, 0.4424, 0), ST = (0.5576, 0.4424, 0.2437) within SALib's sampling error."""
    res = run_sensitivity(spec(-math.pi, math.pi), tmp_path, workers=2, evaluate=saf.ishigami, progress=False)
    ind = res.indices.set_index("parameter")
    np.testing.assert_allclose(ind.S1, [0.3139, 0.4424, 0.0], atol=0.06)
    np.testing.assert_allclose(ind.ST, [0.5576, 0.4424, 0.2437], atol=0.06)


def test_linear_additive_and_time_resolved_indices(tmp_path):
    """y = x1 + 2 x2 + 3 x3: S1 = ST = a_i^2 / sum a^2; y_t = w x1 + (1-w) x2: S1_x1(t) = w^2 / (w^2 + (1-w)^2)."""
    res = run_sensitivity(spec(0.0, 1.0, time_resolved=("il6_pg_per_ml",)), tmp_path, workers=1,
                          evaluate=saf.linear, progress=False)
    ind = res.indices.set_index("parameter")
    expected = np.array([1.0, 4.0, 9.0]) / 14.0
    np.testing.assert_allclose(ind.S1, expected, atol=0.03)
    np.testing.assert_allclose(ind.ST, expected, atol=0.03)
    tr = res.time_resolved[res.time_resolved.parameter == saf.NAMES[0]].sort_values("time_h")
    w = np.linspace(0, 1, saf.N_TIMES)
    inner = tr.S1.to_numpy()[1:-1]  # at w = 0 or 1 one input is inert; compare the interior analytically
    np.testing.assert_allclose(inner, (w**2 / (w**2 + (1 - w) ** 2))[1:-1], atol=0.05)
    assert set(res.convergence.n) == {128, 256, 512, 1024}


def test_resume_after_interruption_gives_identical_indices(tmp_path):
    """A run killed mid-way (a chunk missing, one half-written) resumes to the uninterrupted indices."""
    full = run_sensitivity(spec(0, 1, n=512), tmp_path / "full", workers=1, evaluate=saf.linear, progress=False)
    part_dir = tmp_path / "part"
    run_sensitivity(spec(0, 1, n=512), part_dir, workers=1, evaluate=saf.linear, progress=False)
    chunks = sorted((part_dir / "chunks").glob("chunk_*.parquet"))
    chunks[3].unlink()
    chunks[5].write_bytes(chunks[5].read_bytes()[:200])  # half-written
    with pytest.raises(InputError, match="resume=True") as info:  # no silent overwrite of a saved run
        run_sensitivity(spec(0, 1, n=512), part_dir, workers=1, evaluate=saf.linear, progress=False)
    assert info.value.field == "outdir"
    resumed = run_sensitivity(spec(0, 1, n=512), part_dir, workers=1, evaluate=saf.linear, progress=False,
                              resume=True)
    pd.testing.assert_frame_equal(full.indices, resumed.indices)
    with pytest.raises(InputError, match="spec hash") as info:
        run_sensitivity(spec(0, 1, n=512, seed=12), part_dir, workers=1, evaluate=saf.linear, progress=False,
                        resume=True)
    assert info.value.field == "resume"  # the CLI names --resume, as before the library API existed


def test_in_memory_study_writes_nothing_and_equals_the_saved_one(tmp_path, monkeypatch):
    """No outdir: tidy DataFrames in memory, no file anywhere; the same numbers as a run saved to disk. The split
    points (sample_analysis, run_samples, analyse_samples) chain to the same result."""
    monkeypatch.chdir(tmp_path)
    s = spec(0, 1, n=256, max_failure_fraction=0.05)
    mem = run_sensitivity(s, workers=1, evaluate=saf.failing, progress=False)
    assert list(tmp_path.iterdir()) == []
    assert isinstance(mem.indices, pd.DataFrame) and isinstance(mem.samples, pd.DataFrame)
    assert list(mem.indices.columns) == ["output", "parameter", "S1", "S1_conf", "ST", "ST_conf"]
    assert len(mem.failures) == mem.provenance["failed"] > 0
    assert {"sample", "error", *saf.NAMES} <= set(mem.failures.columns)
    saved = run_sensitivity(s, tmp_path / "saved", workers=1, evaluate=saf.failing, progress=False)
    pd.testing.assert_frame_equal(mem.indices, saved.indices)
    pd.testing.assert_frame_equal(mem.samples, saved.samples)
    for name in ("indices.csv", "convergence.csv", "failures.csv", "manifest.json", "spec.json", "provenance.json"):
        assert (tmp_path / "saved" / name).exists(), name
    pd.testing.assert_frame_equal(pd.read_csv(tmp_path / "saved" / "indices.csv"), saved.indices)
    back = read_sensitivity(tmp_path / "saved")  # read back, nothing simulated or analysed again
    assert back.spec == s and back.provenance["failed"] == saved.provenance["failed"]
    pd.testing.assert_frame_equal(back.indices, saved.indices)
    pd.testing.assert_frame_equal(back.samples, saved.samples)
    pd.testing.assert_frame_equal(back.failures, saved.failures)
    design = sample_analysis(s)
    assert list(design.columns) == list(saf.NAMES) and len(design) == 256 * 5
    samples = run_samples(s, workers=1, evaluate=saf.failing, progress=False)
    pd.testing.assert_frame_equal(analyse_samples(s, samples).indices, mem.indices)


def test_resume_needs_an_outdir():
    with pytest.raises(InputError, match="resume") as info:
        run_sensitivity(spec(0, 1, n=64), workers=1, evaluate=saf.linear, progress=False, resume=True)
    assert info.value.field == "outdir"


def test_same_seed_same_samples_and_outputs_across_worker_counts(tmp_path):
    a = run_sensitivity(spec(0, 1, n=256), tmp_path / "a", workers=1, evaluate=saf.ishigami, progress=False)
    b = run_sensitivity(spec(0, 1, n=256), tmp_path / "b", workers=2, evaluate=saf.ishigami, progress=False)
    pd.testing.assert_frame_equal(a.samples, b.samples)
    pd.testing.assert_frame_equal(a.indices, b.indices)


def test_failures_are_recorded_and_their_groups_dropped(tmp_path):
    res = run_sensitivity(spec(0, 1, n=512, max_failure_fraction=0.05), tmp_path, workers=1,
                          evaluate=saf.failing, progress=False)
    assert res.provenance["failed"] > 0 and res.provenance["groups_dropped"] > 0
    assert np.isfinite(res.indices[["S1", "ST"]].to_numpy()).all()
    assert (tmp_path / "failures.csv").exists()
    assert res.failures["error"].str.contains("CV_CONV_FAILURE").all()


def test_too_many_failures_stop_with_the_failing_region(tmp_path):
    with pytest.raises(CrosstalkError, match=r"k_il6_clearance: failures at mean quantile 0\.9"):
        run_sensitivity(spec(0, 1, n=128), tmp_path, workers=1, evaluate=saf.failing_often, progress=False)


def test_constant_outputs_are_flagged_not_analysed(tmp_path):
    s = AnalysisSpec("const", Scenario("b", duration_days=1.0, output_step_hours=6.0),
                     (ParameterRange("k_il15_clearance", 0.5, 1.0), ParameterRange("k_irisin_clearance", 0.2, 0.5)),
                     n=8, seed=3, outputs=("il6_peak_fold",))
    res = run_sensitivity(s, tmp_path, workers=1, progress=False)  # no exercise: the fold is always 1
    assert res.constant_outputs == ("il6_peak_fold",) and res.indices.empty


@pytest.mark.parametrize(
    ("old", "new", "field"),
    [
        ("n = 384", "n = 4", "n"),
        ("seed = 20261129", "seed = 0", "seed"),
        ('method = "pce"', 'method = "fast"', "method"),
        ('outputs = ["tumour_volume_change_percent", "lvef_drop_points", "nk_tumour_cells_mean"]',
         'outputs = ["tumour_size"]', "outputs"),
        ('name = "exercise.intensity"', 'name = "exercise.speed"', "parameter.name"),
        ('distribution = "loguniform"\n\n[[parameter]]\nname = "nk_homing_gain"',
         'distribution = "gamma"\n\n[[parameter]]\nname = "nk_homing_gain"',
         "parameter[exev_release_per_intensity].distribution"),
    ],
)
def test_bad_spec_fields_get_clear_errors(tmp_path, old, new, field):
    text = (REPO / "analysis" / "regimes_during_ac.toml").read_text(encoding="utf-8")
    assert old in text
    bad = tmp_path / "bad.toml"
    bad.write_text(text.replace(old, new, 1), encoding="utf-8")
    with pytest.raises(InputError) as info:
        load_analysis(bad)
    assert info.value.field == field
    assert "bad.toml" in str(info.value) and "allowed" in str(info.value)


@pytest.mark.slow
def test_cli_sensitivity_on_the_model(tmp_path):
    """A small Sobol run of the real model through the CLI: report, indices.csv with the contract columns."""
    spec_file = tmp_path / "small.toml"
    spec_file.write_text(small_spec("small", n=8, seed=5, outputs=["il6_peak_fold", "nk_blood_peak_fold"],
                                    extra='time_resolved = ["il6_pg_per_ml"]'), encoding="utf-8")
    out = tmp_path / "out"
    proc = subprocess.run([sys.executable, "-m", "crosstalk", "sensitivity", str(spec_file), "--out", str(out),
                           "--workers", "2"], capture_output=True, encoding="utf-8")
    assert proc.returncode == 0, proc.stderr
    ind = pd.read_csv(out / "indices.csv")
    assert list(ind.columns) == ["output", "parameter", "S1", "S1_conf", "ST", "ST_conf"]
    assert len(ind) == 4 and np.isfinite(ind[["S1", "ST"]].to_numpy()).all()
    page = (out / "report.html").read_text(encoding="utf-8")
    assert "data:image/png;base64" in page and "Provenance" in page and "seed" in page
    assert (out / "manifest.json").exists() and (out / "time_resolved.csv").exists()
    # kept for `crosstalk report`: the whole spec and the base scenario's run
    assert read_sensitivity(out).spec.spec_hash() == load_analysis(spec_file).spec_hash()
    assert read_base_run(out).scenario == load_analysis(spec_file).scenario_for({})


@pytest.mark.slow
def test_dask_local_cluster_gives_the_same_outputs_as_the_pool(tmp_path):
    local = run_sensitivity(spec(0, 1, n=128), tmp_path / "pool", workers=2, evaluate=saf.ishigami, progress=False)
    with dask_executor(n_workers=2) as ex:
        dask = run_sensitivity(spec(0, 1, n=128), tmp_path / "dask", executor=ex, evaluate=saf.ishigami,
                               progress=False)
    pd.testing.assert_frame_equal(local.samples, dask.samples)
    pd.testing.assert_frame_equal(local.indices, dask.indices)


@pytest.mark.slow
def test_real_dask_scheduler_and_two_workers(tmp_path):
    """`dask scheduler` and two `dask worker` processes on 127.0.0.1 run a small model analysis via --scheduler."""
    import os
    import shutil
    import socket
    import time

    dask_cli = shutil.which("dask", path=os.path.dirname(sys.executable))
    assert dask_cli, "the dask command comes with distributed"
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(REPO / "tests"), str(REPO)])}
    address = f"tcp://127.0.0.1:{port}"
    procs = [subprocess.Popen([dask_cli, "scheduler", "--host", "127.0.0.1", "--port", str(port),
                               "--no-dashboard"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)]
    try:
        time.sleep(3)
        for _ in range(2):
            procs.append(subprocess.Popen([dask_cli, "worker", address, "--nthreads", "1", "--no-dashboard"],
                                          env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
        from distributed import Client

        with Client(address, timeout=30) as client:
            client.wait_for_workers(2, timeout=60)
        spec_file = tmp_path / "small.toml"
        spec_file.write_text(small_spec("dask-small", n=4, seed=9, outputs=["il6_peak_fold"]), encoding="utf-8")
        out_dask, out_pool = tmp_path / "dask", tmp_path / "pool"
        for out, extra in ((out_dask, ["--scheduler", address]), (out_pool, ["--workers", "1"])):
            proc = subprocess.run([sys.executable, "-m", "crosstalk", "sensitivity", str(spec_file), "--out", str(out),
                                   "--quiet", *extra], capture_output=True, encoding="utf-8", timeout=300, env=env)
            assert proc.returncode == 0, proc.stderr
        pd.testing.assert_frame_equal(pd.read_csv(out_dask / "indices.csv"), pd.read_csv(out_pool / "indices.csv"))
    finally:
        for p in procs:
            p.terminate()
        for p in procs:
            try:
                p.wait(timeout=20)
            except subprocess.TimeoutExpired:
                p.kill()


class _FailingAtStudyTolerance:
    """A simulator whose runs of intense sessions (intensity > 0.7) fail at the study tolerance with a CVODE error;
    ``always`` makes them fail at every tolerance. Everything else is the real simulator's."""

    def __init__(self, model: str, rtol: float | None, *, always: bool, calls: list) -> None:
        self.real, self.rtol, self.always, self.calls = simulator_for(model, rtol=rtol), rtol, always, calls

    def run(self, scenario):
        self.calls.append(self.rtol)
        if scenario.exercise[0].intensity > 0.7 and (self.always or self.rtol == sensitivity.STUDY_RTOL):
            raise SimulationError("CVODE error: CV_ERR_FAILURE at t = 9.6 (injected)")
        return self.real.run(scenario)


def _small_model_spec(**kw) -> AnalysisSpec:
    base = load_scenario(REPO / "scenarios" / "single_bout.toml")
    ranges = (ParameterRange("exercise.intensity", 0.5, 0.9), ParameterRange("exercise.minutes", 30, 90))
    return AnalysisSpec("retry", base, ranges, n=4, seed=5, outputs=("il6_peak_fold", "nk_blood_peak_fold"), **kw)


def test_a_solver_failure_is_retried_once_at_tighter_tolerance_and_marked(monkeypatch):
    """A sample whose first run fails (CVODE error at rtol 1e-6) is rerun at rtol/100 and kept: marked
    ``retried``, counted in the provenance, and equal to a direct run at 1e-8. The other samples run once."""
    calls: list = []
    monkeypatch.setattr(sensitivity, "simulator_for",
                        lambda model, *, rtol=None: _FailingAtStudyTolerance(model, rtol, always=False, calls=calls))
    s = _small_model_spec()
    res = run_sensitivity(s, workers=1, progress=False)  # in this process, so the patched simulator is used
    samples = res.samples
    intense = samples["exercise.intensity"] > 0.7
    assert 0 < intense.sum() < len(samples)
    assert not samples["failed"].any() and res.failures.empty
    assert (samples.loc[intense, "retried"] == 1.0).all() and (samples.loc[~intense, "retried"] == 0.0).all()
    assert res.provenance["retried"] == intense.sum()
    assert calls.count(1e-6) == len(samples) and calls.count(1e-8) == intense.sum()
    row = samples[intense].iloc[0]
    direct = simulator_for("exercise", rtol=1e-8).run(s.scenario_for(row[["exercise.intensity",
                                                                         "exercise.minutes"]].to_dict())).endpoints
    assert row["il6_peak_fold"] == direct["il6_peak_fold"] and row["nk_blood_peak_fold"] == direct["nk_blood_peak_fold"]


def test_a_sample_failing_again_after_its_retry_is_recorded_as_failed_and_retried(monkeypatch):
    monkeypatch.setattr(sensitivity, "simulator_for",
                        lambda model, *, rtol=None: _FailingAtStudyTolerance(model, rtol, always=True, calls=[]))
    samples = run_samples(_small_model_spec(), workers=1, progress=False)
    intense = samples["exercise.intensity"] > 0.7
    assert samples["failed"].eq(intense).all()
    assert (samples.loc[intense, "retried"] == 1.0).all()
    assert samples.loc[intense, "error"].str.contains("SimulationError: CVODE error.*also at rtol 1e-08").all()
    assert samples.loc[intense, "il6_peak_fold"].isna().all()
    with pytest.raises(CrosstalkError, match=r"exercise\.intensity: failures at mean quantile"):
        analyse_samples(_small_model_spec(), samples)  # above max_failure_fraction: stops, naming the region


def test_a_run_records_its_retries_and_tolerance(tmp_path):
    s = spec(0, 1, n=64)
    res = run_sensitivity(s, tmp_path, workers=1, evaluate=saf.ishigami, progress=False)
    assert res.provenance["retried"] == 0 and res.provenance["rtol"] == s.rtol == 1e-6
    assert (res.samples["retried"] == 0).all()


# ------------------------------------------------------------------------------------------ method = "pce"
def test_pce_study_gives_ishigami_indices_from_400_runs_and_writes_the_surrogate(tmp_path):
    """The whole pipeline (design, pool, chunks, analysis, files) with ``method = "pce"``: the analytic Ishigami
    indices within 0.02 from 400 simulations (Sobol needs 1024 x 5 for 0.06 above), Q2 in surrogate.csv."""
    s = spec(-math.pi, math.pi, n=400, method="pce", degree=10, q_norm=1.0, second_order=True)
    res = run_sensitivity(s, tmp_path, workers=2, evaluate=saf.ishigami, progress=False)
    assert len(res.samples) == 400
    ind = res.indices.set_index("parameter")
    np.testing.assert_allclose(ind.S1, [0.3139, 0.4424, 0.0], atol=0.02)
    np.testing.assert_allclose(ind.ST, [0.5576, 0.4424, 0.2437], atol=0.02)
    assert (ind.ST_conf > 0).all() and ind.reliable.all()
    s2 = res.second_order.set_index(["parameter_1", "parameter_2"]).S2
    assert abs(s2[(saf.NAMES[0], saf.NAMES[2])] - 0.2437) < 0.02 and abs(s2[(saf.NAMES[0], saf.NAMES[1])]) < 0.01
    surrogate = pd.read_csv(tmp_path / "surrogate.csv")
    assert list(surrogate.columns[:4]) == ["output", "q2", "degree", "terms"]
    assert surrogate.q2.iloc[0] > 0.99 and surrogate.degree.iloc[0] == 10
    assert set(res.convergence.n) == {100, 200, 400}
    assert res.provenance["pce"]["unreliable_outputs"] == []


def test_pce_linear_time_resolved_and_a_poor_fit_is_flagged(tmp_path):
    """Time-resolved pce indices follow the analytic w^2 / (w^2 + (1-w)^2); an output the expansion cannot fit
    (Ishigami at degree 1) gets a low Q2, is marked unreliable and is named in the report."""
    res = run_sensitivity(spec(0.0, 1.0, n=64, method="pce", degree=2, time_resolved=("il6_pg_per_ml",)),
                          tmp_path / "lin", workers=1, evaluate=saf.linear, progress=False)
    np.testing.assert_allclose(res.indices.S1, np.array([1.0, 4.0, 9.0]) / 14.0, atol=0.02)
    tr = res.time_resolved[res.time_resolved.parameter == saf.NAMES[0]].sort_values("time_h")
    w = np.linspace(0, 1, saf.N_TIMES)
    np.testing.assert_allclose(tr.S1.to_numpy()[1:-1], (w**2 / (w**2 + (1 - w) ** 2))[1:-1], atol=0.02)
    poor = run_sensitivity(spec(-math.pi, math.pi, n=64, method="pce", degree=1), tmp_path / "poor", workers=1,
                           evaluate=saf.ishigami, progress=False)
    assert poor.surrogate.q2.iloc[0] < 0.9 and not poor.indices.reliable.any()
    from crosstalk.report.sensitivity import write_sensitivity_report
    page = write_sensitivity_report(poor, tmp_path / "poor").read_text(encoding="utf-8")
    assert "unreliable" in page and "il6_peak_fold" in page and "run <code>sobol</code>" in page


def test_pce_failed_rows_are_dropped_and_resume_gives_the_same_indices(tmp_path):
    s = spec(0.0, 1.0, n=300, method="pce", degree=2, max_failure_fraction=0.05)
    res = run_sensitivity(s, tmp_path / "a", workers=1, evaluate=saf.failing, progress=False)
    assert 0 < res.provenance["failed"] < 20 and res.surrogate.n.iloc[0] == 300 - res.provenance["failed"]
    np.testing.assert_allclose(res.indices.S1, np.array([1.0, 4.0, 9.0]) / 14.0, atol=0.03)
    # resume from the saved chunks: nothing rerun, same indices
    again = run_sensitivity(s, tmp_path / "a", workers=1, evaluate=saf.failing, progress=False, resume=True)
    pd.testing.assert_frame_equal(res.indices, again.indices)
    # the expansion's settings do not change the simulations: a finished run is re-analysed with new ones
    cubic = run_sensitivity(replace(s, degree=3), tmp_path / "a", workers=1, evaluate=saf.failing,
                            progress=False, resume=True)
    assert cubic.surrogate.degree.iloc[0] == 3 and cubic.provenance["simulations"] == 300


@pytest.mark.parametrize(("kw", "field"), [({"n": 4}, "n"), ({"degree": 0}, "degree"), ({"q_norm": 1.5}, "q_norm"),
                                           ({"q2_threshold": 2.0}, "q2_threshold")])
def test_pce_spec_errors_name_the_field(kw, field):
    with pytest.raises(InputError) as info:
        spec(0.0, 1.0, **{"n": 64, "method": "pce", **kw})
    assert info.value.field == field


def test_time_resolved_indices_on_the_model_are_per_output_time_with_sessions_resolved():
    """The simulated series holds samples inside every session; time-resolved indices are read on the grid only."""
    base = Scenario("bouts", model="exercise", duration_days=2.0, output_step_hours=6.0,
                    exercise=(ExerciseRegime(session_days=(0, 1), minutes=60.0),))
    s = AnalysisSpec("bouts", base, (ParameterRange("exercise.intensity", 0.5, 0.8),), n=2, seed=3,
                     outputs=("il6_peak_fold",), time_resolved=("il6_pg_per_ml",))
    res = run_sensitivity(s, workers=1, progress=False)
    assert set(res.time_resolved["time_h"]) <= {6.0 * k for k in range(9)}
    columns = [c for c in res.samples.columns if c.startswith("il6_pg_per_ml@")]
    assert len(columns) == 9  # 0, 6, ..., 48 h: the grid, not the ~50 samples that resolve the two bouts
