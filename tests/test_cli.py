"""The command line, run as a user would (a subprocess of the installed entry point)."""

from __future__ import annotations

import json
import subprocess
import sys

import pandas as pd

from crosstalk.observables import observables_for

from conftest import REPO


def crosstalk(*args, cwd=None):
    return subprocess.run([sys.executable, "-m", "crosstalk", *args], capture_output=True, encoding="utf-8", cwd=cwd)


def test_simulate_writes_timeseries_endpoints_and_plot(tmp_path):
    out = tmp_path / "out dir ü"  # spaces and unicode in paths
    proc = crosstalk("simulate", str(REPO / "scenarios" / "single_bout.toml"), "--out", str(out))
    assert proc.returncode == 0, proc.stderr
    ts = pd.read_csv(out / "timeseries.csv")
    assert list(ts.columns) == ["time_h"] + [o.name for o in observables_for("exercise")]
    endpoints = json.loads((out / "endpoints.json").read_text(encoding="utf-8"))["endpoints"]
    for name in ("il6_peak_fold", "plasma_ev_peak_fold", "nk_blood_peak_fold", "nk_blood_nadir_fold"):
        assert name in endpoints
    assert endpoints["il6_peak_fold"] > 2 and endpoints["nk_blood_nadir_fold"] < 1
    assert (out / "summary.png").stat().st_size > 10_000


def test_existing_results_are_not_overwritten_without_force(tmp_path):
    out = tmp_path / "o"
    args = ("simulate", str(REPO / "scenarios" / "single_bout.toml"), "--out", str(out), "--no-plot")
    assert crosstalk(*args).returncode == 0
    again = crosstalk(*args)
    assert again.returncode == 2 and "--force" in again.stderr
    assert crosstalk(*args, "--force").returncode == 0


def test_bad_input_exits_2_with_one_clear_line(tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text((REPO / "scenarios" / "single_bout.toml").read_text(encoding="utf-8").replace("intensity = 0.70", "intensity = 1.7"))
    proc = crosstalk("simulate", str(bad), "--out", str(tmp_path / "o"))
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr
    assert "exercise[0].intensity" in proc.stderr and "1.7" in proc.stderr and "(0, 1]" in proc.stderr


def test_missing_file_and_non_toml(tmp_path):
    assert crosstalk("simulate", str(tmp_path / "nope.toml"), "--out", str(tmp_path / "o")).returncode == 2
    junk = tmp_path / "junk.toml"
    junk.write_text("this is = = not toml", encoding="utf-8")
    proc = crosstalk("simulate", str(junk), "--out", str(tmp_path / "o"))
    assert proc.returncode == 2 and "valid TOML" in proc.stderr and "Traceback" not in proc.stderr


def test_list_shows_builtin_scenarios():
    proc = crosstalk("list")
    assert proc.returncode == 0 and "single_bout" in proc.stdout


def test_build_check_reports_current_models():
    proc = crosstalk("build", "--check")
    assert proc.returncode == 0, proc.stdout + proc.stderr
