"""A scenario compiled once: what the plan holds, what it resolves, and the readings it warns about."""

from __future__ import annotations

import pickle
import warnings
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from crosstalk import DoseSchedule, ExerciseRegime, Scenario, load_scenario
from crosstalk.plan import plan
from crosstalk.plan.planner import ReadingTimeWarning, event_times, output_grid
from crosstalk.plan.schedule import breakpoints
from crosstalk.plan.timeline import administrations, exercise_sessions

SCENARIOS = Path(__file__).resolve().parent.parent / "crosstalk" / "scenarios"


def test_the_plan_holds_what_the_timeline_functions_give():
    sc = load_scenario(SCENARIOS / "bout_before_each_dose.toml")
    p = plan(sc)
    assert list(p.administrations) == administrations(sc)
    assert list(p.sessions) == exercise_sessions(sc)
    assert list(p.breakpoints) == [bp for bp in breakpoints(sc) if bp.time_h <= sc.duration_hours]
    assert dict(p.overrides) == sc.parameter_overrides()
    assert np.array_equal(p.output_times, output_grid(sc.duration_hours, sc.output_step_hours))
    again = pickle.loads(pickle.dumps(p))  # plans travel to worker processes
    assert again.sessions == p.sessions and dict(again.overrides) == dict(p.overrides)


def test_output_grid_ends_at_the_end():
    assert output_grid(10.0, 4.0).tolist() == [0.0, 4.0, 8.0, 10.0]
    assert output_grid(8.0, 4.0).tolist() == [0.0, 4.0, 8.0]


def test_event_samples_cover_each_window_and_its_tail_and_stop_at_the_end():
    t = event_times([(1.0, 2.0), (23.5, 24.5)], 24.0, step_minutes=30.0, tail_hours=3.0)
    assert t.tolist() == [1.0, 1.5, 2.0, 3.5, 5.0, 23.5, 24.0]
    assert event_times([], 10.0).size == 0
    sc = Scenario("bout", model="exercise", exercise=(ExerciseRegime(session_days=(0,), minutes=60.0),))
    dense = plan(sc).event_times  # resolved by default
    start = plan(sc).sessions[0].start_h
    assert np.allclose(np.diff(dense[(dense >= start) & (dense <= start + 1.0)]), 5.0 / 60.0)
    assert plan(sc, resolve_events=False).event_times.size == 0


def _caught(scenario: Scenario) -> list[str]:
    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always")
        plan(scenario)
    return [str(w.message) for w in seen if issubclass(w.category, ReadingTimeWarning)]


def test_a_heart_read_too_soon_and_a_tumour_read_after_surgery_warn():
    sc = load_scenario(SCENARIOS / "aerobic_during_ac.toml")  # 180 days, last doxorubicin dose on day 63
    said = _caught(sc)
    assert any("heart endpoints" in m and "117 days" in m and ">= 428" in m for m in said), said
    assert any("tumour endpoints" in m and "tumour_assessment_day" in m for m in said), said
    assert _caught(replace(sc, duration_days=429.0, tumour_assessment_day=84.0)) == []
    assert _caught(load_scenario(SCENARIOS / "cohort_aerobic_during_ac.toml")) == []


def test_a_window_past_the_end_warns_and_a_course_without_anthracycline_does_not():
    sc = Scenario("late", model="exercise", duration_days=14.0,
                  exercise=(ExerciseRegime(sessions_per_week=3, end_day=30.0),))
    assert any("end_day = 30" in m for m in _caught(sc))
    pembro = Scenario("pembro", model="immune", duration_days=30.0,
                      dose=(DoseSchedule("pembrolizumab", 200.0, "mg", count=1),))
    assert _caught(pembro) == []


@pytest.mark.parametrize("name", ["single_bout", "tumour_running", "untreated_tumour"])
def test_scenarios_without_anthracycline_read_quietly(name):
    assert _caught(load_scenario(SCENARIOS / f"{name}.toml")) == []


def test_the_command_lines_warning_shows_each_line_once_per_process(capsys, monkeypatch):
    """A study plans every candidate alike and warnings.catch_warnings anywhere resets Python's once-only
    registry: the package's warning line is printed once however often the same warning is raised."""
    from crosstalk.errors import show_warning_line

    monkeypatch.setattr(warnings, "showwarning", show_warning_line)
    for n in range(3):
        with warnings.catch_warnings():  # what a library call in between does to the registry
            warnings.simplefilter("default")
            warnings.warn("read once, said three times (test)", ReadingTimeWarning, stacklevel=1)
        if n == 1:
            warnings.warn("a different reading (test)", ReadingTimeWarning, stacklevel=1)
    lines = capsys.readouterr().err.splitlines()
    assert lines == ["crosstalk: warning (ReadingTimeWarning): read once, said three times (test)",
                     "crosstalk: warning (ReadingTimeWarning): a different reading (test)"]
