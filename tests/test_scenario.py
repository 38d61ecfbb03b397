"""Scenario specs: TOML round trip, sessions, and clear errors for bad input."""

from __future__ import annotations

import pytest

from crosstalk.errors import InputError
from crosstalk.scenario import ExerciseRegime, Scenario, load_scenario
from crosstalk.schedule import exercise_sessions

from conftest import REPO

GOOD = """
name = "t"
duration_days = 14
output_step_hours = 1.0
[[exercise]]
modality = "aerobic"
intensity = 0.7
minutes = 45
sessions_per_week = 3
start_hour = 8.0
[parameters]
k_il6_clearance = 0.8
"""


def test_toml_and_python_build_the_same_object():
    from_toml = Scenario.from_toml(GOOD)
    from_python = Scenario(
        "t", duration_days=14, output_step_hours=1.0,
        exercise=(ExerciseRegime(intensity=0.7, minutes=45, sessions_per_week=3),),
        parameters={"k_il6_clearance": 0.8},
    )
    assert from_toml == from_python


@pytest.mark.parametrize("path", sorted((REPO / "scenarios").glob("*.toml")), ids=lambda p: p.stem)
def test_to_toml_round_trips(path):
    s = load_scenario(path)
    assert Scenario.from_toml(s.to_toml()) == s


def test_sessions_per_week_days_and_times():
    s = Scenario.from_toml(GOOD)
    sessions = exercise_sessions(s)
    assert [round(x.start_h / 24) for x in sessions] == [0, 2, 4, 7, 9, 11]  # Mon/Wed/Fri
    assert all(x.start_h % 24 == 8.0 and x.minutes == pytest.approx(45) for x in sessions)


def test_regular_adherence_keeps_the_expected_count():
    s = Scenario("a", duration_days=28, exercise=(ExerciseRegime(sessions_per_week=3, adherence=2 / 3),))
    assert len(exercise_sessions(s)) == 8  # 12 planned, 2 of every 3 performed


def test_random_adherence_is_seeded():
    def days(seed):
        s = Scenario("a", duration_days=70, seed=seed,
                     exercise=(ExerciseRegime(sessions_per_week=5, adherence=0.5, adherence_pattern="random"),))
        return [x.start_h for x in exercise_sessions(s)]
    assert days(1) == days(1)
    assert days(1) != days(2)


def _bad(text: str) -> InputError:
    with pytest.raises(InputError) as info:
        Scenario.from_toml(text, source="bad.toml")
    return info.value


@pytest.mark.parametrize(
    ("old", "new", "field"),
    [
        ("intensity = 0.7", "intensity = 1.7", "exercise[0].intensity"),
        ("intensity = 0.7", 'intensity = "high"', "exercise[0].intensity"),
        ("minutes = 45", "minutes = -5", "exercise[0].minutes"),
        ('modality = "aerobic"', 'modality = "swimming"', "exercise[0].modality"),
        ("k_il6_clearance = 0.8", "k_nonexistent = 0.8", "parameters.k_nonexistent"),
        ("k_il6_clearance = 0.8", "k_il6_clearance = nan", "parameters.k_il6_clearance"),
        ("duration_days = 14", "duration_days = 0", "duration_days"),
        ("duration_days = 14", "duration_days = true", "duration_days"),
        ("output_step_hours = 1.0", "output_step_hours = -1.0", "output_step_hours"),
        ("sessions_per_week = 3", "sessions_per_week = 9", "exercise[0].sessions_per_week"),
        ("sessions_per_week = 3", "sessions_per_week = 2.5", "exercise[0].sessions_per_week"),
        ("start_hour = 8.0", "start_hour = 24.0", "exercise[0].start_hour"),
        ("start_hour = 8.0", "adherence = 1.5", "exercise[0].adherence"),
        ('name = "t"', 'name = "t"\ncolour = "red"', "colour"),
        ("start_hour = 8.0", 'start_hour = 8.0\nspeed = "fast"', "exercise.speed"),
    ],
)
def test_bad_field_names_field_value_and_allowed(old, new, field):
    assert old in GOOD
    err = _bad(GOOD.replace(old, new, 1))
    assert err.field == field
    assert "allowed" in str(err) and "bad.toml" in str(err)


def test_not_toml_gets_a_clear_error(tmp_path):
    p = tmp_path / "x.toml"
    p.write_bytes(b"\x00\xff this is not toml ][")
    with pytest.raises(InputError) as info:
        load_scenario(p)
    assert info.value.field == "file"


def test_session_days_and_sessions_per_week_are_exclusive():
    with pytest.raises(InputError, match="exactly one of"):
        ExerciseRegime(session_days=(0,), sessions_per_week=3)


def test_overlapping_sessions_are_rejected():
    with pytest.raises(InputError, match="do not overlap"):
        Scenario("o", exercise=(ExerciseRegime(session_days=(0,), start_hour=8, minutes=90),
                                ExerciseRegime(session_days=(0,), start_hour=9, minutes=30)))


def test_session_after_the_end_is_rejected():
    with pytest.raises(InputError, match="before the end"):
        Scenario("late", duration_days=1, exercise=(ExerciseRegime(session_days=(3,)),))
