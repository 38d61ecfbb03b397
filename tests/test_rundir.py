"""The run directory every study opens: judged the same way for every kind of run."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from crosstalk.errors import InputError
from crosstalk.studies.rundir import MANIFEST, open_run, read_manifest


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


def test_a_foreign_run_is_refused_by_kind(tmp_path):
    open_run(tmp_path, kind="optimise", spec_hash="h1")
    with pytest.raises(InputError, match=r"a sensitivity run \(it holds a optimise run\)"):
        open_run(tmp_path, kind="sensitivity", spec_hash="h1", resume=True)


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
