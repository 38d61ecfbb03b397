"""Interruption: a sensitivity run killed with SIGKILL, or stopped with Ctrl-C (SIGINT to its process group),
mid-way resumes to exactly the uninterrupted indices."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import pandas as pd
import pytest

from crosstalk.studies.sensitivity import CHUNK

from conftest import small_spec

SPEC = small_spec("kill-test", n=256, seed=17, outputs=["il6_peak_fold", "nk_blood_nadir_fold"],
                  extra="output_step_hours = 1.0")


def _run(spec, out, *extra):
    return subprocess.run([sys.executable, "-m", "crosstalk", "sensitivity", str(spec), "--out", str(out),
                           "--workers", "2", "--quiet", *extra], capture_output=True, encoding="utf-8", timeout=600)


@pytest.fixture(scope="module")
def uninterrupted(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("full")
    spec = tmp / "spec.toml"
    spec.write_text(SPEC, encoding="utf-8")
    full = _run(spec, tmp / "full")
    assert full.returncode == 0, full.stderr
    return spec, pd.read_csv(tmp / "full" / "indices.csv")


def _default_sigint() -> None:
    # a shell's background job (nohup ... &) starts with SIGINT ignored, and Python then keeps ignoring it:
    # give the CLI the terminal's default, as when it runs in the foreground
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def _start_and_wait_for_first_chunk(spec, out) -> subprocess.Popen:
    proc = subprocess.Popen([sys.executable, "-m", "crosstalk", "sensitivity", str(spec), "--out", str(out),
                             "--workers", "2", "--quiet"], start_new_session=True, preexec_fn=_default_sigint,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, encoding="utf-8")
    deadline = time.time() + 300
    while time.time() < deadline and not list((out / "chunks").glob("chunk_00000.parquet")):
        time.sleep(0.2)
    return proc


@pytest.mark.slow
def test_sigint_stops_cleanly_keeps_finished_chunks_and_resumes_identically(tmp_path, uninterrupted):
    spec, full = uninterrupted
    out = tmp_path / "ctrl c"
    proc = _start_and_wait_for_first_chunk(spec, out)
    t0 = time.time()
    os.killpg(proc.pid, signal.SIGINT)  # as Ctrl-C in a terminal: the CLI and its workers
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err
    assert time.time() - t0 < 30, "Ctrl-C should stop within seconds"
    assert "--resume" in err and "Traceback" not in err
    chunks = sorted((out / "chunks").glob("chunk_*.parquet"))
    assert 1 <= len(chunks) < 4
    for c in chunks:  # every saved chunk is complete and readable
        assert len(pd.read_parquet(c)) == CHUNK
    resumed = _run(spec, out, "--resume")
    assert resumed.returncode == 0, resumed.stderr
    pd.testing.assert_frame_equal(pd.read_csv(out / "indices.csv"), full)


@pytest.mark.slow
def test_sigkill_then_resume_gives_identical_indices(tmp_path, uninterrupted):
    spec, full = uninterrupted
    out = tmp_path / "killed"
    proc = _start_and_wait_for_first_chunk(spec, out)
    os.killpg(proc.pid, signal.SIGKILL)  # the whole process group: the CLI and its workers
    proc.wait()
    chunks = sorted((out / "chunks").glob("chunk_*.parquet"))
    assert 1 <= len(chunks) < 4, "the kill should land mid-way (4 chunks in all)"
    assert not (out / "indices.csv").exists()
    again = _run(spec, out)
    assert again.returncode == 2 and "--resume" in again.stderr  # no silent overwrite
    resumed = _run(spec, out, "--resume")
    assert resumed.returncode == 0, resumed.stderr
    pd.testing.assert_frame_equal(pd.read_csv(out / "indices.csv"), full)
