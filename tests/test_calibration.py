"""One test per calibration target of the exercise module, each simulating the published protocol."""

from __future__ import annotations

from crosstalk.calibration import run_check


def test_il6_prolonged_run(sim):
    """2.5 h at 75% VO2max: IL-6 ~25x (15-35) at the end, peak at the end, < 2x by 6 h, IL-15 unchanged."""
    check = run_check("il6_prolonged_run", sim)
    assert check.passed, check.describe()
    assert abs(check.criteria["fold_at_end"][0] - 25.0) < 0.5  # the fitted value is reproduced


def test_nk_mobilisation(sim):
    """NK 3-8x at the end of intense exercise, nadir < 0.7 within 1-3 h, back within 0.9-1.1 by 24 h."""
    check = run_check("nk_mobilisation", sim)
    assert check.passed, check.describe()


def test_epinephrine_exercise(sim):
    """Rest 40 pg/mL; 1.5-20x during exercise, rising with intensity and duration."""
    check = run_check("epinephrine_exercise", sim)
    assert check.passed, check.describe()


def test_exev_release_cycling(sim):
    """Incremental cycling: plasma EVs 2-3.5x at the end, < 1.2x by 90 min after."""
    check = run_check("exev_release_cycling", sim)
    assert check.passed, check.describe()
    assert abs(check.criteria["fold_at_end"][0] - 2.7) < 0.05


def test_muscle_ev_share(sim):
    """5% of resting plasma EVs come from skeletal muscle, at steady state."""
    check = run_check("muscle_ev_share", sim)
    assert check.passed, check.describe()


def test_blocked_beta_adrenergic_removes_nk_mobilisation(sim):
    """Mechanism, not just numbers: with beta-blockade the NK rise disappears."""
    check = run_check("nk_mobilisation", sim, {"beta_adrenergic_blocked": 1.0})
    assert check.criteria["fold_at_end"][0] < 1.05


def test_blocked_exev_release_removes_ev_rise(sim):
    check = run_check("exev_release_cycling", sim, {"exev_release_blocked": 1.0})
    assert check.criteria["fold_at_end"][0] < 1.001
