"""The command line, run as a user would (a subprocess of the installed entry point)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from crosstalk.model.observables import observables_for
from crosstalk.spec.scenario import load_scenario

from conftest import REPO


def crosstalk(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "crosstalk", *args], capture_output=True, encoding="utf-8", cwd=cwd)


def _no_constant(name: str) -> Any:
    raise AssertionError(f"{name} literal in a JSON output (not JSON: jq and JSON.parse reject it)")


def strict_json(path: Path) -> Any:
    """Parse a JSON file as strict RFC 8259 JSON: a NaN, Infinity or -Infinity literal fails the test."""
    return json.loads(path.read_text(encoding="utf-8"), parse_constant=_no_constant)


def _one_error_line(proc: subprocess.CompletedProcess[str]) -> str:
    """Exit 2 and one line on stderr, no traceback: what the CLI promises for bad input."""
    assert proc.returncode == 2, proc.stderr
    assert proc.stderr.startswith("crosstalk: error: ") and proc.stderr.count("\n") == 1, proc.stderr
    assert "Traceback" not in proc.stderr
    return proc.stderr


def test_simulate_writes_timeseries_endpoints_and_plot(tmp_path: Path) -> None:
    out = tmp_path / "out dir ü"  # spaces and unicode in paths
    scenario = REPO / "scenarios" / "single_bout.toml"
    proc = crosstalk("simulate", str(scenario), "--out", str(out))
    assert proc.returncode == 0, proc.stderr
    ts = pd.read_csv(out / "timeseries.csv")
    assert list(ts.columns) == ["time_h"] + [o.name for o in observables_for(load_scenario(scenario).model)]
    endpoints = strict_json(out / "endpoints.json")["endpoints"]
    for name in ("il6_peak_fold", "plasma_ev_peak_fold", "nk_blood_peak_fold", "nk_blood_nadir_fold"):
        assert name in endpoints
    assert endpoints["il6_peak_fold"] > 2 and endpoints["nk_blood_nadir_fold"] < 1
    assert load_scenario(out / "scenario.toml") == load_scenario(scenario)
    assert (out / "summary.png").stat().st_size > 10_000


@pytest.mark.slow  # a CLI subprocess that simulates (the fast tier keeps test_simulate_writes_...)
def test_endpoints_json_is_strict_when_an_endpoint_is_nan(tmp_path: Path) -> None:
    """No tumour at the start: the tumour's relative change and doubling time are NaN, written as null."""
    scenario = tmp_path / "no_tumour.toml"
    scenario.write_text('name = "no-tumour"\nmodel = "crosstalk"\nduration_days = 1.0\noutput_step_hours = 1.0\n'
                        "[patient]\ntumour_cells = 0.0\n", encoding="utf-8")
    out = tmp_path / "o"
    proc = crosstalk("simulate", str(scenario), "--out", str(out), "--no-plot")
    assert proc.returncode == 0, proc.stderr
    endpoints = strict_json(out / "endpoints.json")["endpoints"]
    assert endpoints["tumour_volume_change_percent"] is None
    assert endpoints["time_to_tumour_doubling_days"] is None
    assert isinstance(endpoints["lvef_baseline_percent"], float) and endpoints["lvef_baseline_percent"] > 0


@pytest.mark.slow  # three CLI subprocesses that simulate
def test_existing_results_are_not_overwritten_without_force(tmp_path: Path) -> None:
    out = tmp_path / "o"
    args = ("simulate", str(REPO / "scenarios" / "single_bout.toml"), "--out", str(out), "--no-plot")
    assert crosstalk(*args).returncode == 0
    (out / "notes.txt").write_text("mine", encoding="utf-8")
    again = _one_error_line(crosstalk(*args))
    assert "--out" in again and "--force" in again  # the CLI speaks of its own flags
    assert (out / "notes.txt").read_text(encoding="utf-8") == "mine"  # refused: nothing touched
    assert crosstalk(*args, "--force").returncode == 0
    assert not (out / "notes.txt").exists() and (out / "endpoints.json").exists()  # replaced as a whole


def test_bad_input_exits_2_with_one_clear_line(tmp_path: Path) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text((REPO / "scenarios" / "single_bout.toml").read_text(encoding="utf-8")
                   .replace("intensity = 0.70", "intensity = 1.7"), encoding="utf-8")
    out = tmp_path / "o"
    err = _one_error_line(crosstalk("simulate", str(bad), "--out", str(out)))
    assert "bad.toml" in err and "exercise[0].intensity" in err and "1.7" in err and "(0, 1]" in err
    assert not out.exists()  # nothing written for a bad scenario


@pytest.mark.slow  # two CLI subprocesses; test_bad_input_exits_2_with_one_clear_line keeps the contract fast
def test_missing_file_and_non_toml(tmp_path: Path) -> None:
    err = _one_error_line(crosstalk("simulate", str(tmp_path / "nope.toml"), "--out", str(tmp_path / "o")))
    assert "file" in err and "nope.toml" in err and "readable" in err
    junk = tmp_path / "junk.toml"
    junk.write_text("this is = = not toml", encoding="utf-8")
    err = _one_error_line(crosstalk("simulate", str(junk), "--out", str(tmp_path / "o")))
    assert "junk.toml" in err and "valid TOML" in err


def test_list_shows_builtin_scenarios() -> None:
    proc = crosstalk("list")
    assert proc.returncode == 0, proc.stderr
    listed = [line.split()[0] for line in proc.stdout.splitlines() if line.strip() and not line.startswith(" ")]
    assert listed == sorted(p.stem for p in (REPO / "scenarios").glob("*.toml"))


@pytest.mark.slow  # builds every model in a subprocess; the library's check is test_build.py's fast test
def test_build_check_reports_current_models() -> None:
    """`build --check` checks every model, the composed and flattened ones included."""
    proc = crosstalk("build", "--check")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    checked = proc.stdout.strip().rpartition(": ")[2].split(", ")
    assert {"exercise", "immune", "anthracycline", "cyclophosphamide", "crosstalk", "crosstalk_flat"} <= set(checked), \
        proc.stdout
