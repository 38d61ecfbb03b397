"""The calibration targets of the exercise module: each registered check simulates the published protocol.

The bands are data (crosstalk/validation/bands.toml); these tests call the registered checks and never restate a
band. Checks of the other models run in test_anthracycline.py, test_immune.py, test_crosstalk.py and, all of
them, in test_validate.py.
"""

from __future__ import annotations

import pytest

from crosstalk.sim.simulator import Simulator
from crosstalk.validation import CHECKS, all_targets, bands_for, run_check

EXERCISE_CHECKS = [t for t, c in CHECKS.items() if c.model == "exercise"]
#: Criteria fitted by models/fits to a published value, with how closely the fit must reproduce it.
FITTED = [(t, name) for t in all_targets() for name, b in bands_for(t).items() if b.fit_tol is not None]


def test_the_exercise_module_has_its_five_targets() -> None:
    assert EXERCISE_CHECKS == ["il6_prolonged_run", "nk_mobilisation", "epinephrine_exercise",
                               "exev_release_cycling", "muscle_ev_share"]


@pytest.mark.parametrize("target_id", EXERCISE_CHECKS)
def test_exercise_target(sim: Simulator, target_id: str) -> None:
    """IL-6 after a prolonged run, NK mobilisation and nadir, epinephrine with intensity and duration, EV release
    during incremental cycling, muscle share of EVs: every criterion within its band."""
    check = run_check(target_id, sim)
    assert check.passed, check.describe()
    assert check.model == "exercise"


@pytest.mark.parametrize(("target_id", "criterion"), FITTED)
def test_fitted_value_is_reproduced(target_id: str, criterion: str) -> None:
    """The fit scripts' target values (IL-6 fold 25, EV fold 2.7, 4-OH-cyclophosphamide AUC ratio 0.06) are
    reproduced by the rounded table values, each on its check's model."""
    b = bands_for(target_id)[criterion]
    assert b.value is not None and b.fit_tol is not None
    assert abs(run_check(target_id).value(criterion) - b.value) < b.fit_tol


def test_there_are_fitted_criteria() -> None:
    assert ("il6_prolonged_run", "fold_at_end") in FITTED and ("exev_release_cycling", "fold_at_end") in FITTED


def test_blocked_beta_adrenergic_removes_nk_mobilisation(sim: Simulator) -> None:
    """Mechanism, not just numbers: with beta-blockade the NK rise disappears."""
    check = run_check("nk_mobilisation", sim, parameters={"beta_adrenergic_blocked": 1.0})
    assert check.value("fold_at_end") < 1.05
    assert not check.passed


def test_blocked_exev_release_removes_ev_rise(sim: Simulator) -> None:
    check = run_check("exev_release_cycling", sim, parameters={"exev_release_blocked": 1.0})
    assert check.value("fold_at_end") < 1.001
