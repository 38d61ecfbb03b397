"""Validation as a package: targets and bands as data, checks registered by id, `crosstalk validate`."""

from __future__ import annotations

import hashlib
import math
import subprocess
import sys
from importlib import resources
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from crosstalk.errors import CrosstalkError, InputError
from crosstalk.validation import (
    CHECKS,
    NOT_SIMULATED,
    NOT_YET_MODELLED,
    all_targets,
    band,
    bands_for,
    run_check,
    target,
)
from crosstalk.validation.checks import kuznetsov_reference
from crosstalk.validation.targets import _parse_band

from conftest import SHARED_TARGETS

#: SHA-256 of ../shared/reference/targets.toml as copied into crosstalk/validation (2026-11-29: pembrolizumab
#: affinity corrected, label PK added, targets for issues 15 and 16).
SHARED_TARGETS_SHA256 = "81540e211d66e4f4b50c4df971f058710d3267577948e948c2fe905cfde0d00b"


def _packaged(name: str) -> bytes:
    return (resources.files("crosstalk.validation") / name).read_bytes()


def test_packaged_targets_copy_matches_shared_reference() -> None:
    """targets.toml is the project's reference file, byte for byte. The pinned hash makes the check run in a clone
    without ../shared; where the shared file is present it must still have that hash (a changed reference must be
    copied in and the pin updated)."""
    assert hashlib.sha256(_packaged("targets.toml")).hexdigest() == SHARED_TARGETS_SHA256
    if SHARED_TARGETS.exists():
        assert hashlib.sha256(SHARED_TARGETS.read_bytes()).hexdigest() == SHARED_TARGETS_SHA256


def test_every_target_is_checked_or_explained() -> None:
    """Each target is in exactly one place: a registered check, not simulated (with its use), or not yet modelled."""
    ids = set(all_targets())
    groups = (set(CHECKS), set(NOT_SIMULATED), set(NOT_YET_MODELLED))
    assert ids == set().union(*groups)
    assert sum(len(g) for g in groups) == len(ids)  # pairwise disjoint


def test_no_target_waits_to_be_modelled() -> None:
    """The targets that waited for the human-scale tumour and the heart are modelled now: each target has a
    registered check or says in NOT_SIMULATED how the model uses it. A target parked in NOT_YET_MODELLED (with the
    work that will model it) fails here until that work is done."""
    assert dict(NOT_YET_MODELLED) == {}
    for target_id in ("human_breast_tumour_growth", "neoadjuvant_ac_response", "cyclophosphamide_pk",
                      "ctrcd_incidence", "dox_cardiotoxicity_mechanism", "dexrazoxane_label_pk"):
        assert target_id in CHECKS, target_id


def test_assumed_targets_say_so() -> None:
    assumed = [t for t in all_targets().values() if t.assumed]
    assert all(t.source.startswith("assumed:") for t in assumed)
    # the LVEF decline after AC reads published placebo arms, not an assumed point
    assert not target("ac_lvef_decline").assumed and "PMID:36672461" in target("ac_lvef_decline").source


def test_bands_belong_to_checks_and_every_band_says_why() -> None:
    assert {t for t in all_targets() if bands_for(t)} == set(CHECKS)
    for target_id in CHECKS:
        for name, b in bands_for(target_id).items():
            assert b.unit and b.why, (target_id, name)
            if b.needs_known_answer:
                assert (b.rel_tol is None) != (b.abs_tol is None)
            else:
                low, high = b.limits()
                assert low <= high


def test_bands_read_values_of_their_target() -> None:
    """A band may name a published value instead of repeating it: the reference file stays the one truth."""
    swain = target("swain_chf_dose_response")
    assert band("swain_chf_dose_response", "risk_at_400").limits() == (swain.number("at_400_mg_per_m2") - 0.03,
                                                                        swain.number("at_400_mg_per_m2") + 0.03)
    epi = target("epinephrine_exercise")
    assert band("epinephrine_exercise", "fold_at_100pct").limits() == (epi.number("fold_range_low"),
                                                                       epi.number("fold_range_high"))
    assert band("epinephrine_exercise", "rest_pg_per_ml").limits() == (40.0 * 0.99, 40.0 * 1.01)


def test_band_around_a_known_answer() -> None:
    b = band("dox_pk_3cmt", "auc_ng_h_per_ml")
    assert b.needs_known_answer
    assert b.limits(1000.0) == (998.0, 1002.0)
    with pytest.raises(CrosstalkError, match="known answer"):
        b.limits()
    with pytest.raises(CrosstalkError, match="fixed limits"):
        band("kuznetsov_1994", "max_relative_error_tumour").limits(1.0)


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ({"low": 0.0, "high": 1.0, "unit": "x", "why": "y", "colour": "red"}, "unknown keys"),
        ({"low": 0.0, "high": 1.0, "unit": "x"}, "unit and why"),
        ({"low": 0.0, "unit": "x", "why": "y"}, "both low and high"),
        ({"low": 0.0, "high": 1.0, "rel_tol": 0.1, "unit": "x", "why": "y"}, "give low and high"),
        ({"reference": "fraction", "unit": "x", "why": "y"}, "give low and high"),
        ({"rel_tol": 0.1, "abs_tol": 0.1, "unit": "x", "why": "y"}, "give low and high"),
        ({"low": 2.0, "high": 1.0, "unit": "x", "why": "y"}, "must not exceed"),
        ({"low": "no_such_value", "high": 1.0, "unit": "x", "why": "y"}, "has no value"),
    ],
)
def test_malformed_band_is_refused(spec: dict[str, object], message: str) -> None:
    with pytest.raises(CrosstalkError, match=message):
        _parse_band(target("muscle_ev_share"), "fraction_at_rest", spec)


def test_infinite_limits_are_allowed() -> None:
    assert band("epinephrine_exercise", "min_step_increase_with_intensity").limits()[1] == math.inf


def test_unknown_ids_name_the_field() -> None:
    with pytest.raises(InputError) as info:
        run_check("no_such_target")
    assert info.value.field == "target_id"
    with pytest.raises(InputError) as info:
        target("no_such_target")
    assert info.value.field == "target_id"
    with pytest.raises(InputError) as info:
        band("muscle_ev_share", "no_such_criterion")
    assert info.value.field == "criterion"


def test_kuznetsov_reference_is_packaged_and_shows_dormancy() -> None:
    """BIOMD0000000762 ships once, in crosstalk/validation, and is read with importlib.resources."""
    out = kuznetsov_reference()
    assert out.shape == (101, 3) and np.all(out[:, 1:] > 0)
    t = out[:, 2]
    peak = int(t.argmax())  # growth to a peak, regression, then regrowth
    assert 0 < peak < 100 and t[peak:].min() < t[peak] / 10 and t[-1] > t[peak:].min()


def test_validation_imports_neither_the_report_nor_pyplot() -> None:
    code = ("import sys, crosstalk.validation\n"
            "higher = ('crosstalk.report', 'crosstalk.cli', 'matplotlib.pyplot')\n"
            "bad = [m for m in sys.modules if m.startswith(higher)]\n"
            "assert not bad, bad\n")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, encoding="utf-8")
    assert done.returncode == 0, done.stderr


@pytest.mark.slow  # every check, in a subprocess (~30 s)
def test_validate_command_writes_report_and_all_targets_pass(tmp_path: Path) -> None:
    proc = subprocess.run([sys.executable, "-m", "crosstalk", "validate", "--out", str(tmp_path)],
                          capture_output=True, encoding="utf-8")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    table = pd.read_csv(tmp_path / "validation.csv")
    assert list(table.columns) == ["target", "criterion", "model_value", "low", "high", "passed", "unit", "source",
                                   "model", "known_deviation"]
    known = table["known_deviation"].notna() & (table["known_deviation"].astype(str) != "")
    assert (table["passed"] | known).all()
    # a known deviation is stated in bands.toml and still deviates (a fixed one must lose its note)
    assert not table.loc[known, "passed"].any()
    assert set(zip(table.loc[known, "target"], table.loc[known, "criterion"])) == {
        (t, c) for t in CHECKS for c, b in bands_for(t).items() if b.known_deviation}
    assert list(dict.fromkeys(table["target"])) == list(CHECKS)
    # one row per band: every band of bands.toml is judged, and nothing without a band
    assert set(zip(table["target"], table["criterion"])) == {(t, c) for t in CHECKS for c in bands_for(t)}
    assert len(table) == sum(len(bands_for(t)) for t in CHECKS)
    assert (table["model"] == [CHECKS[t].model for t in table["target"]]).all()
    page = (tmp_path / "validation.html").read_text(encoding="utf-8")
    assert page.count("data:image/png;base64,") == len(CHECKS)
    for target_id in (*NOT_SIMULATED, *NOT_YET_MODELLED):
        assert target_id in page
    for target_id in NOT_YET_MODELLED:
        assert f"{target_id}: not yet modelled" in proc.stdout
    assert f"{len(CHECKS)}/{len(CHECKS)} simulated targets pass" in proc.stdout


def test_a_known_deviation_is_reported_not_failed(monkeypatch: pytest.MonkeyPatch) -> None:
    """A band's known_deviation turns an out-of-band criterion into a stated limitation (the check passes, its
    description says why); a criterion out of band without one fails."""
    from crosstalk.validation import check as checks
    from crosstalk.validation.targets import Band

    bands = {"a": Band("t", "a", unit="1", why="w", low=0.0, high=1.0, known_deviation="the model lacks X"),
             "b": Band("t", "b", unit="1", why="w", low=0.0, high=1.0)}
    monkeypatch.setattr(checks, "bands_for", lambda target_id: bands)
    deviating = checks.Check("t", "src", "m", criteria={"a": (2.0, 0.0, 1.0), "b": (0.5, 0.0, 1.0)})
    assert deviating.passed and deviating.known_deviations == {"a": "the model lacks X"}
    assert "KNOWN DEVIATION (the model lacks X)" in deviating.describe()
    assert not checks.Check("t", "src", "m", criteria={"a": (0.5, 0.0, 1.0), "b": (2.0, 0.0, 1.0)}).passed
