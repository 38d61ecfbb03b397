"""Interruption: a sensitivity run killed with SIGKILL mid-way resumes to exactly the uninterrupted indices."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import pandas as pd
import pytest

from conftest import small_spec

SPEC = small_spec("kill-test", n=256, seed=17, outputs=["il6_peak_fold", "nk_blood_nadir_fold"],
                  extra="output_step_hours = 1.0")


def _run(spec, out, *extra):
    return subprocess.run([sys.executable, "-m", "crosstalk", "sensitivity", str(spec), "--out", str(out),
                           "--workers", "2", "--quiet", *extra], capture_output=True, text=True, timeout=600)


@pytest.mark.slow
def test_sigkill_then_resume_gives_identical_indices(tmp_path):
    spec = tmp_path / "spec.toml"
    spec.write_text(SPEC)
    full = _run(spec, tmp_path / "full")
    assert full.returncode == 0, full.stderr
    out = tmp_path / "killed"
    proc = subprocess.Popen([sys.executable, "-m", "crosstalk", "sensitivity", str(spec), "--out", str(out),
                             "--workers", "2", "--quiet"], start_new_session=True,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.time() + 300
    while time.time() < deadline and not list((out / "chunks").glob("chunk_00000.parquet")):
        time.sleep(0.2)
    os.killpg(proc.pid, signal.SIGKILL)  # the whole process group: the CLI and its workers
    proc.wait()
    chunks = sorted((out / "chunks").glob("chunk_*.parquet"))
    assert 1 <= len(chunks) < 4, "the kill should land mid-way (4 chunks in all)"
    assert not (out / "indices.csv").exists()
    again = _run(spec, out)
    assert again.returncode == 2 and "--resume" in again.stderr  # no silent overwrite
    resumed = _run(spec, out, "--resume")
    assert resumed.returncode == 0, resumed.stderr
    pd.testing.assert_frame_equal(pd.read_csv(out / "indices.csv"), pd.read_csv(tmp_path / "full" / "indices.csv"))
