"""The run directory every study opens: judged the same way for every kind of run (sensitivity, optimise, cohort),
through the Python API and the command line alike; and read back."""

from __future__ import annotations

import json
import math

import numpy as np
import pandas as pd
import pytest

from crosstalk.cli import main
from crosstalk.errors import InputError
from crosstalk.sim.result import Result
from crosstalk.sim.simulator import Simulator
from crosstalk.spec.ranges import ParameterRange
from crosstalk.spec.scenario import Scenario, load_scenario
from crosstalk.studies.cohort import run_cohort
from crosstalk.studies.optimise import Decision, Objective, OptimisationSpec, run_optimisation
from crosstalk.studies.rundir import (
    CHUNKS,
    MANIFEST,
    PROVENANCE,
    SPEC,
    open_run,
    read_frame,
    read_manifest,
    read_results,
    read_run,
    read_spec,
    run_kind,
    write_results,
    write_spec,
)
from crosstalk.studies.sensitivity import AnalysisSpec, run_sensitivity

import sa_functions as saf
from conftest import REPO


def test_a_new_directory_is_opened_and_its_manifest_written(tmp_path):
    run = open_run(tmp_path / "run", kind="sensitivity", spec_hash="h1", manifest={"seed": 7, "n": 64})
    assert not run.resumed and run.chunks.is_dir()
    on_disk = json.loads((tmp_path / "run" / MANIFEST).read_text(encoding="utf-8"))
    assert on_disk == {"kind": "sensitivity", "spec_hash": "h1", "seed": 7, "n": 64}
    assert read_manifest(tmp_path / "run", kind="sensitivity") == on_disk


def test_a_run_is_continued_only_with_resume_and_the_same_spec(tmp_path):
    open_run(tmp_path, kind="optimise", spec_hash="h1", manifest={"seed": 1})
    with pytest.raises(InputError, match="resume=True"):
        open_run(tmp_path, kind="optimise", spec_hash="h1")
    with pytest.raises(InputError, match="another spec"):
        open_run(tmp_path, kind="optimise", spec_hash="h2", resume=True)
    again = open_run(tmp_path, kind="optimise", spec_hash="h1", resume=True)
    assert again.resumed and again.manifest["seed"] == 1


def test_force_replaces_what_the_directory_holds(tmp_path):
    run = open_run(tmp_path / "r", kind="cohort", spec_hash="h1")
    run.write_chunk("chunk_00000.parquet", pd.DataFrame({"x": [1.0]}))
    fresh = open_run(tmp_path / "r", kind="cohort", spec_hash="h2", force=True)
    assert not fresh.resumed and fresh.completed_chunks() == []
    assert read_manifest(tmp_path / "r")["spec_hash"] == "h2"


@pytest.mark.parametrize("text", ["{not json", "[1, 2]", '{"name": "no hash"}'])
def test_a_corrupt_manifest_is_one_clear_error(tmp_path, text):
    (tmp_path / MANIFEST).write_text(text, encoding="utf-8")
    with pytest.raises(InputError, match="outdir") as info:
        open_run(tmp_path, kind="sensitivity", spec_hash="h1", resume=True)
    assert str(tmp_path) in str(info.value) and "force" in str(info.value)


@pytest.mark.parametrize("resume", [True, False])
def test_a_corrupt_manifest_is_named_as_such_with_or_without_resume(tmp_path, resume):
    """Not answered with "resume it", which could not help."""
    (tmp_path / MANIFEST).write_text("{not json", encoding="utf-8")
    with pytest.raises(InputError, match="readable JSON") as info:
        open_run(tmp_path, kind="cohort", spec_hash="h1", resume=resume)
    assert "resume=True" not in str(info.value) and "force=True" in str(info.value)


@pytest.mark.parametrize("resume", [True, False])
def test_a_foreign_run_is_refused_by_kind(tmp_path, resume):
    open_run(tmp_path, kind="optimise", spec_hash="h1")
    with pytest.raises(InputError, match=r"a sensitivity run \(it holds an optimise run\)") as info:
        open_run(tmp_path, kind="sensitivity", spec_hash="h1", resume=resume)
    assert "resume=True" not in str(info.value) and "force=True" in str(info.value)
    assert read_manifest(tmp_path)["kind"] == "optimise"  # nothing written


def test_a_study_that_is_not_resumed_neither_offers_nor_takes_resume(tmp_path):
    open_run(tmp_path, kind="cohort", spec_hash="h1", chunks=False, resumable=False)
    assert not (tmp_path / CHUNKS).exists()
    with pytest.raises(InputError, match="a new directory, or force=True") as info:
        open_run(tmp_path, kind="cohort", spec_hash="h1", resumable=False)
    assert "resume" not in str(info.value)
    with pytest.raises(InputError) as info:
        open_run(tmp_path, kind="cohort", spec_hash="h1", resume=True, resumable=False)
    assert info.value.field == "resume"


def test_a_manifest_written_before_kinds_is_read_and_told_by_its_fields(tmp_path):
    """Runs written before the manifest had a kind keep working: resumed, read back, reported."""
    (tmp_path / MANIFEST).write_text(json.dumps({"spec_hash": "h1", "method": "sobol", "n": 8}), encoding="utf-8")
    assert run_kind(read_manifest(tmp_path, kind="sensitivity")) == "sensitivity"
    assert run_kind({"spec_hash": "h", "population_size": 8}) == "optimise"
    with pytest.raises(InputError, match="kind"):
        run_kind({"spec_hash": "h"}, tmp_path)
    again = open_run(tmp_path, kind="sensitivity", spec_hash="h1", resume=True)
    assert again.resumed and again.manifest["kind"] == "sensitivity" and again.manifest["n"] == 8


def test_reading_back_names_every_missing_result_file(tmp_path):
    run = open_run(tmp_path / "r", kind="sensitivity", spec_hash="h1")
    with pytest.raises(InputError, match=r"no spec\.json, indices\.csv, provenance\.json: the run was interrupted"):
        read_run(run.path, kind="sensitivity", files=(SPEC, "indices.csv", PROVENANCE))
    for name in ("indices.csv", PROVENANCE):
        (run.path / name).write_text("x\n1\n", encoding="utf-8")
    with pytest.raises(InputError, match=r"no spec\.json: runs written before"):
        read_run(run.path, kind="sensitivity", files=(SPEC, "indices.csv", PROVENANCE))
    write_spec(run.path, {"name": "x"}, source_text="name = 'x'")
    opened = read_run(run.path, kind="sensitivity", files=(SPEC, "indices.csv", PROVENANCE))
    assert opened.manifest["spec_hash"] == "h1" and read_spec(run.path) == ({"name": "x"}, "name = 'x'")
    with pytest.raises(InputError, match=r"no manifest\.json"):
        read_run(tmp_path, kind="sensitivity")
    with pytest.raises(InputError, match="it holds a sensitivity run"):
        read_run(run.path, kind="cohort")


def test_tables_and_results_read_back_exactly(tmp_path):
    frame = pd.DataFrame({"x": [0.1 + 0.2, 1 / 3, float("nan")], "ok": [True, False, True], "s": ["a", "b,c", ""]})
    frame.to_csv(tmp_path / "t.csv", index=False)
    back = read_frame(tmp_path / "t.csv")
    np.testing.assert_array_equal(back["x"].to_numpy(), frame["x"].to_numpy())
    assert back["ok"].dtype == bool
    pd.DataFrame().to_csv(tmp_path / "empty.csv", index=False)
    assert read_frame(tmp_path / "empty.csv").empty and read_frame(tmp_path / "none.csv", required=False).empty
    scenario = Scenario("kept", model="exercise", duration_days=1.0, output_step_hours=6.0)
    series = pd.DataFrame({"time_h": [0.0, 6.0, 12.0], "il6_pg_per_ml": [1.5, 2.0 / 3, 1e-300]})
    results = {"first: a name with / and :": Result(scenario, series, {"il6_peak_fold": 1.25, "gone": float("nan")}),
               "second": Result(scenario, series * 2, {"il6_peak_fold": 2.5})}
    write_results(tmp_path / "runs", results)
    again = read_results(tmp_path / "runs")
    assert list(again) == list(results)
    for name, result in results.items():
        pd.testing.assert_frame_equal(again[name].timeseries, result.timeseries, rtol=1e-9)  # written to 10 digits
        assert again[name].scenario == scenario
    assert again["second"].endpoints == {"il6_peak_fold": 2.5}
    assert math.isnan(again[next(iter(results))].endpoints["gone"])
    assert read_results(tmp_path / "nothing") == {}


def test_a_directory_with_other_files_or_a_file_is_refused(tmp_path):
    (tmp_path / "notes.txt").write_text("mine", encoding="utf-8")
    with pytest.raises(InputError, match="new or empty"):
        open_run(tmp_path, kind="cohort", spec_hash="h1")
    assert (tmp_path / "notes.txt").exists()  # nothing lost
    with pytest.raises(InputError, match="a directory"):
        open_run(tmp_path / "notes.txt", kind="cohort", spec_hash="h1")


def test_chunks_round_trip_and_an_unreadable_chunk_is_simulated_again(tmp_path):
    run = open_run(tmp_path, kind="sensitivity", spec_hash="h1")
    frame = pd.DataFrame({"sample": [0, 1], "y": [0.5, float("nan")]})
    run.write_chunk("chunk_00001.parquet", frame)
    pd.testing.assert_frame_equal(run.read_chunk("chunk_00001.parquet"), frame)
    run.chunk_path("chunk_00002.parquet").write_bytes(b"truncated")
    assert run.read_chunk("chunk_00002.parquet") is None
    assert run.read_chunk("chunk_00003.parquet") is None
    assert run.completed_chunks() == ["chunk_00001.parquet", "chunk_00002.parquet"]
    run.write_provenance({"seed": 1, "wall_time_s": float("nan")})
    assert json.loads((tmp_path / "provenance.json").read_text(encoding="utf-8")) == {"seed": 1, "wall_time_s": None}


# ------------------------------------------------------------------ every study opens its directory the same way
KINDS = ("sensitivity", "optimise", "cohort")


def _run_study(kind: str, outdir, **kw) -> None:
    """A small run of each study (stand-ins where a study has them); the directory is judged before any work."""
    if kind == "sensitivity":
        spec = AnalysisSpec("judged", Scenario("b", model="exercise", duration_days=1.0),
                            tuple(ParameterRange(n, 0.0, 1.0) for n in saf.NAMES), n=8, outputs=("il6_peak_fold",))
        run_sensitivity(spec, outdir, workers=1, evaluate=saf.linear, progress=False, **kw)
    elif kind == "optimise":
        spec = OptimisationSpec("judged", Scenario("t", duration_days=1.0), (Decision("x1"), Decision("x2")),
                                (Objective("f1"), Objective("f2")), population_size=4, generations=1, patients=1,
                                n_boot=0)
        run_optimisation(spec, outdir, workers=1, prescribe_fn=saf.zdt1, progress=False, **kw)
    else:
        run_cohort(load_scenario(REPO / "scenarios" / "cohort_aerobic_during_ac.toml"), 2, seed=1, outdir=outdir,
                   workers=1, progress=False)


def _no_simulator(monkeypatch) -> None:
    def refuse(self, *args, **kwargs):
        raise AssertionError("simulated although the run directory was refused")

    monkeypatch.setattr(Simulator, "run", refuse)


def _spoil(path, how: str, kind: str) -> str:
    """Give ``path`` a corrupt manifest or another kind's run; what the error must say about it."""
    if how == "corrupt":
        path.mkdir()
        (path / MANIFEST).write_text("{not json", encoding="utf-8")
        return "readable JSON"
    other = next(k for k in KINDS if k != kind)
    open_run(path, kind=other, spec_hash="h0")
    return f"it holds {'an' if other == 'optimise' else 'a'} {other} run"


@pytest.mark.parametrize("how", ["corrupt", "foreign"])
@pytest.mark.parametrize("kind", KINDS)
def test_each_study_refuses_a_corrupt_or_foreign_run_directory_with_one_clear_error(tmp_path, monkeypatch, kind,
                                                                                  how):
    _no_simulator(monkeypatch)
    expected = _spoil(tmp_path / "run", how, kind)
    before = (tmp_path / "run" / MANIFEST).read_bytes()
    for resume in ([False, True] if kind != "cohort" else [False]):
        with pytest.raises(InputError, match=expected) as info:
            _run_study(kind, tmp_path / "run", **({"resume": True} if resume else {}))
        assert info.value.field == "outdir" and str(tmp_path / "run") in str(info.value)
        assert "force=True" in str(info.value) and "resume=True" not in str(info.value)
    assert (tmp_path / "run" / MANIFEST).read_bytes() == before  # nothing written over


COMMANDS = {"sensitivity": ["sensitivity", str(REPO / "analysis" / "regimes_during_ac.toml")],
            "optimise": ["optimise", str(REPO / "analysis" / "prescriptions_during_ac.toml")],
            "cohort": ["cohort", str(REPO / "scenarios" / "cohort_aerobic_during_ac.toml"), "--n", "4"]}


@pytest.mark.parametrize("how", ["corrupt", "foreign"])
@pytest.mark.parametrize("kind", KINDS)
def test_each_command_refuses_a_corrupt_or_foreign_run_directory_in_one_line(tmp_path, monkeypatch, capsys, kind,
                                                                           how):
    _no_simulator(monkeypatch)
    expected = _spoil(tmp_path / "run", how, kind)
    for extra in ([[], ["--resume"]] if kind != "cohort" else [[]]):
        code = main([*COMMANDS[kind], "--out", str(tmp_path / "run"), "--quiet", "--workers", "1", *extra])
        err = capsys.readouterr().err
        assert code == 2, err
        assert err.startswith("crosstalk: error: --out: ") and err.count("\n") == 1 and "Traceback" not in err
        assert expected in err and "--force" in err and "resume=True" not in err
