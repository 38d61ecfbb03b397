"""The scenario library, the user scripts, compare and cohort, run as a user would."""

from __future__ import annotations

import json
import subprocess
import sys

import pandas as pd
import pytest

from crosstalk.sim.simulator import Simulator
from crosstalk.spec.scenario import load_scenario

from conftest import REPO, assert_no_negative_amounts, fast_representatives

SCENARIO_FILES = sorted((REPO / "scenarios").glob("*.toml"))
SIMS: dict[str, Simulator] = {}


@pytest.mark.parametrize("path", SCENARIO_FILES, ids=lambda p: p.stem)
def test_every_builtin_scenario_runs_clean(path):
    """Smoke test: builds, simulates, no NaN, no negative values beyond solver noise, has a description."""
    scenario = load_scenario(path)
    assert len(scenario.description) > 40
    sim = SIMS.setdefault(scenario.model, Simulator(scenario.model))
    assert_no_negative_amounts(sim, scenario)


@pytest.mark.parametrize("script", fast_representatives(sorted((REPO / "examples").glob("*.py")), {"infusion_length"},
                                                        key=lambda p: p.stem))
def test_user_scripts_run(script, tmp_path):
    proc = subprocess.run([sys.executable, str(script), str(tmp_path)], capture_output=True, encoding="utf-8",
                          timeout=300)
    assert proc.returncode == 0, proc.stderr
    assert list(tmp_path.glob("*.png")) and proc.stdout.strip()


@pytest.mark.slow
def test_compare_command(tmp_path):
    files = [str(REPO / "scenarios" / f) for f in ("ac_sedentary.toml", "aerobic_during_ac.toml")]
    proc = subprocess.run([sys.executable, "-m", "crosstalk", "compare", *files, "--out", str(tmp_path),
                           "--workers", "2", "--quiet"], capture_output=True, encoding="utf-8")
    assert proc.returncode == 0, proc.stderr
    table = pd.read_csv(tmp_path / "endpoints.csv", index_col=0)
    assert list(table.columns) == ["ac-sedentary", "aerobic-during-ac", "aerobic-during-ac - ac-sedentary", "unit"]
    drop = table.drop(columns="unit").loc["lvef_drop_points"].astype(float)
    assert drop.iloc[2] == pytest.approx(drop.iloc[1] - drop.iloc[0])
    assert (tmp_path / "compare.png").stat().st_size > 10_000 and (tmp_path / "endpoints.md").exists()
    assert "<img" in (tmp_path / "report.html").read_text(encoding="utf-8")


def _cohort(tmp_path, name, workers):
    out = tmp_path / name
    proc = subprocess.run([sys.executable, "-m", "crosstalk", "cohort",
                           str(REPO / "scenarios" / "cohort_aerobic_during_ac.toml"), "--n", "16", "--seed", "3",
                           "--workers", str(workers), "--out", str(out)], capture_output=True, encoding="utf-8")
    assert proc.returncode == 0, proc.stderr
    assert "patients" in proc.stderr  # the progress bar
    return out


@pytest.mark.slow
def test_cohort_is_reproducible_across_runs_and_worker_counts(tmp_path):
    a = _cohort(tmp_path, "a", 2)
    b = _cohort(tmp_path, "b", 1)
    ea, eb = pd.read_csv(a / "endpoints.csv"), pd.read_csv(b / "endpoints.csv")
    pd.testing.assert_frame_equal(ea, eb)
    assert len(ea) == 16 and not ea["failed"].any()
    lo, hi = ea["patient.weight_kg"].min(), ea["patient.weight_kg"].max()
    assert lo >= 50 and hi <= 100 and hi - lo > 30  # the Latin hypercube spans the range
    info = json.loads((a / "cohort.json").read_text(encoding="utf-8"))
    assert 0 <= info["fraction_ctrcd"] <= 1 and 0 <= info["fraction_tumour_response"] <= 1
    assert info["provenance"]["seed"] == 3 and (a / "cohort.png").exists() and (a / "summary.md").exists()


@pytest.mark.parametrize(
    ("snippet", "field"),
    [
        ('[[cohort.parameter]]\nname = "patient.height"\nlow = 1\nhigh = 2\n', "cohort.parameter.name"),
        ('[[cohort.parameter]]\nname = "k_il6_clearance"\nlow = 2\nhigh = 1\n', "parameter[k_il6_clearance].high"),
        ('[[cohort.parameter]]\nname = "k_il6_clearance"\nlow = 0\nhigh = 1\ndistribution = "loguniform"\n',
         "parameter[k_il6_clearance].low"),
        ('[[cohort.parameter]]\nname = "k_il6_clearance"\nlow = 0\nhigh = 1\ndistribution = "beta"\n',
         "parameter[k_il6_clearance].distribution"),
        ('[blockade]\nil6 = "yes"\n', "blockade.il6"),
        ('[blockade]\nbeta = true\n', "blockade.beta"),
        ('[patient]\nweight_kg = 500\n', "patient.weight_kg"),
    ],
)
def test_bad_sections_get_clear_errors(snippet, field):
    from crosstalk.errors import InputError
    from crosstalk.spec.scenario import Scenario

    text = 'name = "x"\nmodel = "crosstalk"\n' + snippet
    with pytest.raises(InputError) as info:
        Scenario.from_toml(text)
    assert info.value.field == field
