"""`crosstalk validate`: every target of targets.toml is either checked or listed with its use."""

from __future__ import annotations

import subprocess
import sys
import tomllib

import pandas as pd

from crosstalk.calibration import CHECKS, NOT_SIMULATED

from conftest import REPO


def test_every_reference_target_is_covered_or_explained():
    targets = tomllib.loads((REPO / "crosstalk" / "data" / "targets.toml").read_text(encoding="utf-8"))["target"]
    ids = {t["id"] for t in targets}
    assert ids <= set(CHECKS) | set(NOT_SIMULATED)
    assert not set(CHECKS) & set(NOT_SIMULATED)


def test_validate_command_writes_report_and_all_targets_pass(tmp_path):
    proc = subprocess.run([sys.executable, "-m", "crosstalk", "validate", "--out", str(tmp_path)],
                          capture_output=True, encoding="utf-8")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    table = pd.read_csv(tmp_path / "validation.csv")
    assert set(table.columns) >= {"target", "criterion", "model_value", "low", "high", "passed", "source"}
    assert table["passed"].all()
    assert set(table["target"]) == set(CHECKS)
    page = (tmp_path / "validation.html").read_text(encoding="utf-8")
    assert page.count("data:image/png;base64,") == len(CHECKS)
    for target_id in NOT_SIMULATED:
        assert target_id in page
