"""Cohort and compare as a Python API: tidy DataFrames in memory, data files only when asked (atomic, strict JSON),
figures and Markdown tables from the report layer, failures recorded in place."""

from __future__ import annotations

import json
from dataclasses import replace

import numpy as np
import pandas as pd
import pytest

from crosstalk.errors import InputError, SimulationError
from crosstalk.report.cohort import write_cohort_figure
from crosstalk.report.compare import write_compare_figure
from crosstalk.report.tables import cohort_markdown, endpoint_markdown, write_cohort_table, write_endpoint_table
from crosstalk.spec.population import load_population
from crosstalk.spec.scenario import ExerciseRegime, Patient, Scenario, load_scenario
from crosstalk.studies import cohort
from crosstalk.studies.cohort import read_cohort, run_cohort, sample_cohort, write_cohort
from crosstalk.studies.compare import run_comparison

from conftest import REPO

COHORT = load_scenario(REPO / "scenarios" / "cohort_aerobic_during_ac.toml")


def _no_nan_literal(text: str) -> object:
    def refuse(constant: str) -> None:
        raise AssertionError(f"{constant} is not JSON")

    return json.loads(text, parse_constant=refuse)


@pytest.fixture(scope="module")
def small_cohort() -> cohort.CohortResult:
    return run_cohort(COHORT, 4, seed=3, workers=1, progress=False)


def test_a_cohort_in_memory_is_tidy_frames(small_cohort, tmp_path, monkeypatch):
    res = small_cohort
    assert list(res.patients["patient"]) == [0, 1, 2, 3] and not res.patients["failed"].any()
    assert {"patient.weight_kg", "lvef_drop_points", "ctrcd", "tumour_response"} <= set(res.patients.columns)
    assert list(res.summary.columns) == ["endpoint", "mean", "sd", "p05", "p25", "median", "p75", "p95", "unit"]
    units = res.summary.set_index("endpoint")["unit"]
    assert units["lvef_drop_points"] == "points" and units["ctrcd"] == "true/false"
    assert not {"patient", "failed"} & set(res.summary["endpoint"])  # a patient's number is no endpoint
    assert list(res.fractions["outcome"]) == ["ctrcd", "ctrcd_cardinale", "ctrcd_measured",
                                             "ctrcd_cardinale_measured", "heart_failure", "tumour_response",
                                             "complete_response"]
    assert res.fractions["fraction"].between(0, 1).all()
    assert res.failures.empty and list(res.failures.columns) == ["patient", "scenario", "error"]
    assert res.provenance["n"] == 4 and res.provenance["seed"] == 3
    pd.testing.assert_frame_equal(res.patients.iloc[:, 1:len(COHORT.cohort_ranges) + 1],
                                  sample_cohort(COHORT, 4, seed=3))


def test_cohort_files_only_when_asked_atomic_and_strict(small_cohort, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    again = run_cohort(COHORT, 4, seed=3, workers=1, progress=False, outdir=tmp_path / "out")
    pd.testing.assert_frame_equal(again.patients, small_cohort.patients)  # same seed, same patients
    out = tmp_path / "out"
    # data only, in a run directory (its manifest and the scenario as sampled); no Markdown, no figure
    assert sorted(p.name for p in out.iterdir()) == ["cohort.json", "endpoints.csv", "manifest.json", "scenario.toml",
                                                     "summary.csv"]
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["kind"] == "cohort" and manifest["n"] == 4 and manifest["seed"] == 3
    assert load_scenario(out / "scenario.toml") == cohort.cohort_scenario(COHORT)
    assert write_cohort_figure(again, out) == out / "cohort.png" and (out / "cohort.png").stat().st_size > 5000
    assert write_cohort_table(again, out) == out / "summary.md"
    assert (out / "summary.md").read_text(encoding="utf-8").startswith("| endpoint | unit | mean | sd |")
    info = _no_nan_literal((out / "cohort.json").read_text(encoding="utf-8"))
    assert info["provenance"]["seed"] == 3 and set(info) >= {"fraction_ctrcd", "fraction_tumour_response"}
    pd.testing.assert_frame_equal(pd.read_csv(out / "summary.csv").fillna({"unit": ""}), again.summary,
                                      check_dtype=False)
    assert not list(tmp_path.glob("*.png")) and not list(out.glob(".*"))  # no stray or temporary files
    back = read_cohort(out)  # read back, without simulating
    pd.testing.assert_frame_equal(back.summary, again.summary)
    assert back.fractions_dict() == again.fractions_dict() and back.failures.empty
    # a directory holding the run is not written over without force, and is replaced with it
    with pytest.raises(InputError, match="force=True") as info_error:
        run_cohort(COHORT, 4, seed=3, workers=1, progress=False, outdir=out)
    assert info_error.value.field == "outdir" and "resume" not in str(info_error.value)
    run_cohort(COHORT, 2, seed=3, workers=1, progress=False, outdir=out, force=True)
    assert len(read_cohort(out).patients) == 2 and not (out / "cohort.png").exists()


def test_a_failed_patient_is_recorded_not_fatal(tmp_path, monkeypatch):
    real = cohort.patient_endpoints

    def heavy_patients_fail(task: tuple) -> dict:
        if task[0].patient.weight_kg > 75:
            raise SimulationError("CVODE error: CV_CONV_FAILURE (injected)")
        return real(task)

    monkeypatch.setattr(cohort, "patient_endpoints", heavy_patients_fail)
    res = run_cohort(COHORT, 4, seed=3, workers=1, progress=False)  # in this process: the patch applies
    heavy = res.patients["patient.weight_kg"] > 75
    assert 0 < heavy.sum() < 4
    assert res.patients["failed"].eq(heavy).all()
    assert res.patients.loc[heavy, "lvef_drop_points"].isna().all()
    assert list(res.failures["patient"]) == list(res.patients.index[heavy])
    assert res.failures["error"].str.startswith("SimulationError: CVODE").all()
    assert res.provenance["failures"] == heavy.sum()
    write_cohort(res, tmp_path)
    info = _no_nan_literal((tmp_path / "cohort.json").read_text(encoding="utf-8"))
    assert info["provenance"]["failures"] == heavy.sum()
    pd.testing.assert_frame_equal(pd.read_csv(tmp_path / "failures.csv"), res.failures, check_dtype=False)


@pytest.mark.parametrize(("kwargs", "field"), [({"n": 0}, "n"), ({"n": 2.5}, "n"), ({"n": 10**7}, "n"),
                                               ({"seed": "x"}, "seed")])
def test_bad_cohort_options_name_the_field(kwargs, field):
    args = {"n": 4, "seed": 1, **kwargs}
    with pytest.raises(InputError) as info:
        run_cohort(COHORT, args["n"], seed=args["seed"], workers=1, progress=False)
    assert info.value.field == field


def test_a_scenario_without_a_cohort_section_is_refused():
    """Where the species has no default population (mouse): a human scenario uses the default population."""
    with pytest.raises(InputError) as info:
        sample_cohort(Scenario("m", species="mouse", patient=Patient(tumour_cells=1e6)), 4, seed=1)
    assert info.value.field == "cohort"
    assert list(sample_cohort(replace(COHORT, cohort=(), population=None), 2, seed=1).columns) == [
        r.name for r in load_population("neoadjuvant_breast_ac").parameters]


def _bout(name: str, intensity: float) -> Scenario:
    return Scenario(name, model="exercise", duration_days=1.0, output_step_hours=1.0,
                    exercise=(ExerciseRegime(intensity=intensity, session_days=(0,)),))


def test_a_comparison_in_memory_then_written(tmp_path):
    comp = run_comparison([_bout("easy", 0.5), _bout("hard", 0.85)], workers=1, progress=False)
    assert [r.scenario.name for r in comp.results] == ["easy", "hard"] and comp.failures.empty
    table = comp.endpoints
    assert list(table.columns) == ["easy", "hard", "hard - easy", "unit"]
    il6 = table.loc["il6_peak_fold"].astype(float)
    assert il6["hard"] > il6["easy"] and il6["hard - easy"] == pytest.approx(il6["hard"] - il6["easy"])
    out = tmp_path / "cmp"
    run_comparison([_bout("easy", 0.5), _bout("hard", 0.85)], workers=1, progress=False, outdir=out)
    assert sorted(p.name for p in out.iterdir()) == ["endpoints.csv"]  # data only
    assert write_compare_figure(comp.results, out) == out / "compare.png"
    assert write_endpoint_table(comp.endpoints, out) == out / "endpoints.md"  # the report layer's
    head = "| endpoint | unit | easy | hard | hard - easy |"
    assert (out / "endpoints.md").read_text(encoding="utf-8").startswith(head)
    np.testing.assert_allclose(pd.read_csv(out / "endpoints.csv", index_col=0).loc["il6_peak_fold"].astype(float),
                               il6.to_numpy())


def test_compared_scenarios_need_distinct_names():
    with pytest.raises(InputError) as info:
        run_comparison([_bout("same", 0.5), _bout("same", 0.8)], workers=1, progress=False)
    assert info.value.field == "scenarios"


def test_tables_for_reading_have_units_risks_and_no_float_noise():
    """One formatting everywhere: a units column, 3 significant figures without float noise, true/false endpoints as
    yes/no with no difference of one run (a cohort gives their risk), a class as its name."""
    table = pd.DataFrame({"a": [1.23456789, "CR", True, 1440.0000000000582], "b": [2.0, "PR", False, 1440.0],
                          "b - a": [0.76543211, float("nan"), float("nan"), -5.8e-11],
                          "unit": ["%", "class", "true/false", "min"]},
                         index=pd.Index(["x", "tumour_response", "ctrcd", "exercise_minutes_total"], name="endpoint"))
    assert endpoint_markdown(table) == (
        "| endpoint | unit | a | b | b - a |\n|---|---|---|---|---|\n"
        "| x | % | 1.23 | 2 | +0.765 |\n| tumour_response |  | CR | PR | — |\n| ctrcd |  | yes | no | — |\n"
        "| exercise_minutes_total | min | 1440 | 1440 | 0 |\n")
    summary = pd.DataFrame([{"endpoint": "lvef_nadir_percent", "mean": 1 / 3, "sd": 0.1, "p05": 0.0, "p25": 0.1,
                             "median": 0.25, "p75": 0.5, "p95": 123456.0, "unit": "%"},
                            {"endpoint": "ctrcd", "mean": 0.125, "sd": 0.3, "p05": 0.0, "p25": 0.0, "median": 0.0,
                             "p75": 0.0, "p95": 1.0, "unit": "true/false"}])
    assert cohort_markdown(summary, {"fraction_ctrcd": 0.25}) == (
        "| endpoint | unit | mean | sd | p05 | median | p95 |\n|---|---|---|---|---|---|---|\n"
        "| lvef_nadir_percent | % | 0.333 | 0.1 | 0 | 0.25 | 123000 |\n| ctrcd | risk | 0.125 |  |  |  |  |\n"
        "\n- fraction_ctrcd: 0.250\n")
