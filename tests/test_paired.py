"""Paired differences between cohorts of the same virtual patients: known answers and the command's file."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from crosstalk.cli import main
from crosstalk.report.compare import paired_figure
from crosstalk.report.layout import overlapping_texts
from crosstalk.studies.paired import PAIRED_COLUMNS, paired_differences

REQUIRED = ["endpoint", "unit", "mean_a", "mean_b", "mean_difference", "lower95", "upper95", "fraction_better"]


def _cohort(drop: np.ndarray, failed: np.ndarray | None = None) -> pd.DataFrame:
    n = len(drop)
    return pd.DataFrame({"patient": np.arange(n), "failed": np.zeros(n, bool) if failed is None else failed,
                         "lvef_drop_points": drop, "tumour_response": "PR", "ctrcd": drop > 10.0,
                         "il6_peak_fold": np.ones(n)})


def test_a_known_shift_is_recovered_with_an_interval_that_covers_it():
    rng = np.random.default_rng(3)
    ref = rng.normal(8.0, 2.0, 400)
    arm = ref - 1.5 + rng.normal(0.0, 0.5, 400)  # every patient about 1.5 points better, some not
    row = paired_differences(_cohort(ref), {"exercise": _cohort(arm)}, reference_name="sedentary",
                             n_boot=2000, seed=1).set_index("endpoint").loc["lvef_drop_points"]
    assert row.mean_difference == pytest.approx(float(np.mean(arm - ref)))
    assert row.lower95 < -1.5 < row.upper95 and row.upper95 - row.lower95 < 0.2
    assert row.fraction_better == pytest.approx(float(np.mean(arm < ref)))
    assert (row.mean_a, row.mean_b, row.better, row.n) == (pytest.approx(ref.mean()), pytest.approx(arm.mean()),
                                                             "lower", 400)


def test_booleans_and_classes_are_left_to_risk_differences_and_failed_patients_drop_out():
    ref, arm = np.array([8.0, 6.0, 10.0, 9.0]), np.array([5.0, 7.0, 7.0, 100.0])
    failed = np.array([False, False, False, True])
    table = paired_differences(_cohort(ref), {"x": _cohort(arm, failed)}, reference_name="r", n_boot=100)
    assert list(table.columns) == list(PAIRED_COLUMNS) and set(REQUIRED) <= set(table.columns)
    assert set(table.endpoint) == {"lvef_drop_points", "il6_peak_fold"}  # not ctrcd, not tumour_response
    row = table.set_index("endpoint").loc["lvef_drop_points"]
    assert row.n == 3 and row.mean_difference == pytest.approx(-5.0 / 3.0)
    fold = table.set_index("endpoint").loc["il6_peak_fold"]
    assert fold.better == "" and np.isnan(fold.fraction_better)


def test_the_paired_figure_has_no_overlapping_text():
    rng = np.random.default_rng(0)
    ref = rng.normal(8.0, 2.0, 50)
    table = paired_differences(_cohort(ref), {"exercise": _cohort(ref - 1.0), "hiit": _cohort(ref - 0.5)},
                               reference_name="sedentary", n_boot=200)
    fig = paired_figure(table)
    assert fig is not None and overlapping_texts(fig) == []


@pytest.mark.slow
def test_compare_cohort_writes_paired_differences(tmp_path, capsys):
    out = tmp_path / "pair"
    assert main(["compare", "cohort_ac_sedentary", "cohort_aerobic_during_ac", "--cohort", "8", "--seed", "1",
                 "--out", str(out), "--workers", "1", "--quiet"]) == 0
    table = pd.read_csv(out / "paired_differences.csv")
    assert set(REQUIRED) <= set(table.columns) and (out / "paired_differences.png").exists()
    lvef = table.set_index("endpoint").loc["lvef_drop_points"]
    assert lvef.mean_difference < 0 and lvef.upper95 < 0  # exercise during AC protects every patient here
    assert "of patients better off" in capsys.readouterr().out
