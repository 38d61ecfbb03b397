"""``crosstalk report DIR``: a finished run's report rebuilt from its directory alone, with the simulator made
unavailable, equal in its tables to the report written when the run finished; a directory that is not a finished
run gets one clear line naming what is missing."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from crosstalk.cli import main
from crosstalk.report.cohort import write_cohort_report
from crosstalk.report.optimise import write_optimisation_report
from crosstalk.report.sensitivity import write_sensitivity_report
from crosstalk.sim.simulator import Simulator, simulate
from crosstalk.spec.ranges import ParameterRange
from crosstalk.spec.scenario import ExerciseRegime, Scenario, load_scenario
from crosstalk.studies.cohort import read_cohort, run_cohort
from crosstalk.studies.optimise import Decision, Objective, OptimisationSpec, run_optimisation
from crosstalk.studies.optimise.readback import read_optimisation, read_trajectories
from crosstalk.studies.optimise.run import chosen_trajectories
from crosstalk.studies.optimise.writer import write_trajectories
from crosstalk.studies.sensitivity import (
    AnalysisSpec,
    read_base_run,
    read_sensitivity,
    run_samples,
    run_sensitivity,
    write_base_run,
)

import sa_functions as saf
from conftest import REPO

BOUT = Scenario("bout", model="exercise", duration_days=1.0, output_step_hours=6.0,
                exercise=(ExerciseRegime(session_days=(0,)),))


def _no_simulator(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(self: Simulator, *args: object, **kwargs: object) -> None:
        raise AssertionError("a report was rebuilt by simulating")

    monkeypatch.setattr(Simulator, "run", refuse)


def _report(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(["report", *map(str, args)])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def _parts(page: str) -> dict[str, list[str]]:
    """What a report says: its tables, its <pre> blocks (spec, provenance), its headings and its figures' names."""
    return {"tables": re.findall(r"<table>.*?</table>", page, flags=re.S),
            "pre": re.findall(r"<pre>.*?</pre>", page, flags=re.S),
            "headings": re.findall(r"<h2>(.*?)</h2>", page), "figures": re.findall(r'<img alt="([^"]*)"', page)}


def _one_error_line(code: int, err: str) -> str:
    assert code == 2, err
    assert err.startswith("crosstalk: error: ") and err.count("\n") == 1 and "Traceback" not in err, err
    return err


def sensitivity_spec(**kw: object) -> AnalysisSpec:
    ranges = tuple(ParameterRange(name, 0.0, 1.0) for name in saf.NAMES)
    return AnalysisSpec("rebuilt", BOUT, ranges, **{"n": 64, "seed": 11, "outputs": ("il6_peak_fold",), **kw})


@pytest.mark.parametrize(("kw", "evaluate"), [
    ({"time_resolved": ("il6_pg_per_ml",), "second_order": True}, saf.linear),
    ({"n": 300, "method": "pce", "degree": 2, "max_failure_fraction": 0.05}, saf.failing),
], ids=["sobol", "pce-with-failures"])
def test_a_sensitivity_report_is_rebuilt_from_its_files(tmp_path, monkeypatch, capsys, kw, evaluate):
    spec = sensitivity_spec(**kw)
    out = tmp_path / "run"
    result = run_sensitivity(spec, out, workers=1, evaluate=evaluate, progress=False)
    base = simulate(spec.scenario_for({}))
    write_base_run(base, out)
    first = write_sensitivity_report(result, out, base=base).read_text(encoding="utf-8")
    (out / "report.html").unlink()
    _no_simulator(monkeypatch)
    code, said, err = _report(capsys, out)
    assert code == 0, err
    assert "report.html" in said
    again = (out / "report.html").read_text(encoding="utf-8")
    assert _parts(again) == _parts(first)
    assert "base scenario" in _parts(again)["figures"]
    # the result object itself, read back without simulating or analysing
    back = read_sensitivity(out)
    assert back.spec == spec and back.spec.spec_hash() == spec.spec_hash()
    for name in ("indices", "second_order", "time_resolved", "convergence", "samples", "failures", "surrogate"):
        pd.testing.assert_frame_equal(getattr(back, name), getattr(result, name), check_dtype=False, obj=name)
    assert back.constant_outputs == result.constant_outputs and back.provenance["seed"] == spec.seed
    assert (len(back.failures) > 0) == (evaluate is saf.failing)
    np.testing.assert_allclose(read_base_run(out).timeseries.to_numpy(), base.timeseries.to_numpy(), rtol=1e-9)
    # and elsewhere, leaving the run as it was
    code, _, err = _report(capsys, out, "--out", tmp_path / "elsewhere")
    assert code == 0, err
    assert _parts((tmp_path / "elsewhere" / "report.html").read_text(encoding="utf-8")) == _parts(first)


def test_an_optimisation_report_is_rebuilt_from_its_files(tmp_path, monkeypatch, capsys):
    toy = Scenario("toy", duration_days=1.0, output_step_hours=6.0, exercise=(ExerciseRegime(sessions_per_week=3),))
    spec = OptimisationSpec(
        "rebuilt", toy,
        (Decision("exercise.sessions_per_week", 0, 3, "integer"), Decision("exercise.minutes", 10, 40, "integer"),
         Decision("exercise.modality", kind="category", choices=("aerobic", "resistance", "hiit"))),
        (Objective("lvef_drop_points", "p90"), Objective("exercise_minutes_total")),
        population_size=8, generations=3, patients=5, seed=2, n_boot=50, holdout_patients=4)
    out = tmp_path / "run"
    result = run_optimisation(spec, out, workers=1, prescribe_fn=saf.dose_response, progress=False)
    trajectories = chosen_trajectories(result)
    write_trajectories(trajectories, out)
    first = write_optimisation_report(result, out, trajectories=trajectories).read_text(encoding="utf-8")
    (out / "report.html").unlink()
    _no_simulator(monkeypatch)
    code, _, err = _report(capsys, out)
    assert code == 0, err
    again = _parts((out / "report.html").read_text(encoding="utf-8"))
    assert again == _parts(first)
    assert {"front in objective space", "trajectories of the chosen prescriptions"} <= set(again["figures"])
    assert "On new patients (holdout)" in again["headings"]
    back = read_optimisation(out)
    assert back.spec == spec and back.spec.spec_hash() == spec.spec_hash()
    for name in ("front", "candidates", "evaluations", "holdout"):
        pd.testing.assert_frame_equal(getattr(back, name), getattr(result, name), check_dtype=False, obj=name)
    assert list(read_trajectories(out)) == list(trajectories)


def test_a_cohort_report_is_rebuilt_from_its_files(tmp_path, monkeypatch, capsys):
    cohort = load_scenario(REPO / "scenarios" / "cohort_aerobic_during_ac.toml")
    out = tmp_path / "run"
    result = run_cohort(cohort, 4, seed=3, outdir=out, workers=1, progress=False)
    written = write_cohort_report(result, out)
    first = {p.name: p.read_bytes() for p in written}
    for p in written:
        p.unlink()
    _no_simulator(monkeypatch)
    code, _, err = _report(capsys, out)
    assert code == 0, err
    assert (out / "summary.md").read_bytes() == first["summary.md"]
    assert (out / "cohort.png").stat().st_size > 5000
    back = read_cohort(out)
    pd.testing.assert_frame_equal(back.summary, result.summary)
    pd.testing.assert_frame_equal(back.fractions, result.fractions)
    assert back.fractions_dict() == result.fractions_dict() and back.provenance == result.provenance
    numeric = result.patients.select_dtypes("number").columns
    pd.testing.assert_frame_equal(back.patients[numeric], result.patients[numeric])


def test_what_is_not_a_finished_run_gets_one_line_naming_what_is_missing(tmp_path, monkeypatch, capsys):
    _no_simulator(monkeypatch)
    err = _one_error_line(*_report(capsys, tmp_path / "nowhere")[::2])
    assert "DIR" in err and "manifest.json" in err and "--out" not in err
    (tmp_path / "empty").mkdir()
    assert "manifest.json" in _one_error_line(*_report(capsys, tmp_path / "empty")[::2])
    # an interrupted run: its manifest and chunks, none of its result files
    interrupted = tmp_path / "interrupted"
    run_samples(sensitivity_spec(), interrupted, workers=1, evaluate=saf.linear, progress=False)
    err = _one_error_line(*_report(capsys, interrupted)[::2])
    assert "a finished sensitivity run" in err and "indices.csv" in err and "interrupted" in err
    assert not (interrupted / "report.html").exists()
    (tmp_path / "corrupt").mkdir()
    (tmp_path / "corrupt" / "manifest.json").write_text("{not json", encoding="utf-8")
    assert "readable JSON" in _one_error_line(*_report(capsys, tmp_path / "corrupt")[::2])
    (tmp_path / "a file").write_text("x", encoding="utf-8")
    err = _one_error_line(*_report(capsys, interrupted, "--out", tmp_path / "a file")[::2])
    assert err.startswith("crosstalk: error: --out:")


def test_a_run_written_before_the_spec_was_kept_says_how_to_add_it(tmp_path, capsys):
    """An older run (no kind in its manifest, no spec.json) is recognised, and resuming it once adds what the
    report needs, without simulating again."""
    import json

    out = tmp_path / "old"
    run_sensitivity(sensitivity_spec(), out, workers=1, evaluate=saf.linear, progress=False)
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    del manifest["kind"]
    (out / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    (out / "spec.json").unlink()
    err = _one_error_line(*_report(capsys, out)[::2])
    assert "spec.json" in err and "resume" in err
    run_sensitivity(sensitivity_spec(), out, workers=1, evaluate=saf.linear, progress=False, resume=True)
    code, _, err = _report(capsys, out)
    assert code == 0, err


def test_report_rebuilds_into_a_new_directory_without_touching_the_run(tmp_path, capsys):
    out = tmp_path / "run"
    run_sensitivity(sensitivity_spec(), out, workers=1, evaluate=saf.linear, progress=False)
    before = sorted(p.relative_to(out) for p in out.rglob("*"))
    code, _, err = _report(capsys, out, "--out", tmp_path / "a" / "b")
    assert code == 0, err
    assert (tmp_path / "a" / "b" / "report.html").exists()
    assert sorted(p.relative_to(out) for p in out.rglob("*")) == before


def test_rebuilt_paths_are_printed(tmp_path, capsys):
    out = tmp_path / "run"
    run_sensitivity(sensitivity_spec(), out, workers=1, evaluate=saf.linear, progress=False)
    code, said, _ = _report(capsys, out)
    assert code == 0 and str(Path(out) / "report.html") in said and said.startswith("sensitivity run")
