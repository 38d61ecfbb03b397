"""Scenario specs: TOML round trip, sessions, and clear errors for bad input."""

from __future__ import annotations

import math
import tomllib
from pathlib import Path

import pytest

from crosstalk.errors import InputError
from crosstalk.plan.timeline import exercise_sessions
from crosstalk.spec.scenario import ExerciseRegime, Scenario, load_scenario

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


def test_toml_and_python_build_the_same_object() -> None:
    from_toml = Scenario.from_toml(GOOD)
    from_python = Scenario(
        "t", duration_days=14, output_step_hours=1.0,
        exercise=(ExerciseRegime(intensity=0.7, minutes=45, sessions_per_week=3),),
        parameters={"k_il6_clearance": 0.8},
    )
    assert from_toml == from_python


@pytest.mark.parametrize("path", sorted((REPO / "scenarios").glob("*.toml")), ids=lambda p: p.stem)
def test_to_toml_round_trips(path: Path) -> None:
    s = load_scenario(path)
    assert Scenario.from_toml(s.to_toml()) == s
    # equality compares to_dict(), so also check that to_dict() keeps every value the file gives
    _assert_kept(tomllib.loads(path.read_text(encoding="utf-8")), s.to_dict(), where=path.stem)


def _assert_kept(given: object, kept: object, *, where: str) -> None:
    """Every key and value of ``given`` is in ``kept`` (which may add defaults); 60 == 60.0."""
    if isinstance(given, dict):
        assert isinstance(kept, dict), where
        for key, value in given.items():
            assert key in kept, f"{where}.{key} dropped"
            _assert_kept(value, kept[key], where=f"{where}.{key}")
    elif isinstance(given, list):
        assert isinstance(kept, list) and len(kept) == len(given), where
        for i, (a, b) in enumerate(zip(given, kept)):
            _assert_kept(a, b, where=f"{where}[{i}]")
    else:
        assert given == kept and isinstance(given, bool) == isinstance(kept, bool), (where, given, kept)


def test_sessions_per_week_days_and_times() -> None:
    s = Scenario.from_toml(GOOD)
    sessions = exercise_sessions(s)
    assert [round(x.start_h / 24) for x in sessions] == [0, 2, 4, 7, 9, 11]  # Mon/Wed/Fri
    assert all(x.start_h % 24 == 8.0 and x.minutes == pytest.approx(45) for x in sessions)


def test_regular_adherence_keeps_the_expected_count() -> None:
    s = Scenario("a", duration_days=28, exercise=(ExerciseRegime(sessions_per_week=3, adherence=2 / 3),))
    assert len(exercise_sessions(s)) == 8  # 12 planned, 2 of every 3 performed


def test_random_adherence_is_seeded() -> None:
    def days(seed: int) -> list[float]:
        s = Scenario("a", duration_days=70, seed=seed,
                     exercise=(ExerciseRegime(sessions_per_week=5, adherence=0.5, adherence_pattern="random"),))
        return [x.start_h for x in exercise_sessions(s)]
    assert days(1) == days(1)
    assert days(1) != days(2)


def _bad(text: str) -> InputError:
    with pytest.raises(InputError) as info:
        Scenario.from_toml(text, source="bad.toml")
    return info.value


def _same(a: object, b: object) -> bool:
    """Equal, NaN equal to NaN, and a bool never equal to a number (True == 1 in Python)."""
    if isinstance(a, float) and isinstance(b, float) and math.isnan(a) and math.isnan(b):
        return True
    return type(a) is type(b) and a == b


BAD_FIELDS = [  # (text in GOOD, its replacement, field named, value named, start of the allowed values)
    ("intensity = 0.7", "intensity = 1.7", "exercise[0].intensity", 1.7, "a number in (0, 1]"),
    ("intensity = 0.7", 'intensity = "high"', "exercise[0].intensity", "high", "a number in (0, 1]"),
    ("minutes = 45", "minutes = -5", "exercise[0].minutes", -5, "a number in (0, 600]"),
    ('modality = "aerobic"', 'modality = "swimming"', "exercise[0].modality", "swimming",
     "one of 'aerobic', 'resistance', 'hiit'"),
    ("k_il6_clearance = 0.8", "k_nonexistent = 0.8", "parameters.k_nonexistent", 0.8, "a parameter id of the"),
    ("k_il6_clearance = 0.8", "k_il6_clearance = nan", "parameters.k_il6_clearance", math.nan,
     "a number in [0, 1e+300]"),
    ("duration_days = 14", "duration_days = 0", "duration_days", 0, "a number in (0, 3650]"),
    ("duration_days = 14", "duration_days = true", "duration_days", True, "a number in (0, 3650]"),
    ("output_step_hours = 1.0", "output_step_hours = -1.0", "output_step_hours", -1.0, "a number in (0, 336]"),
    ("sessions_per_week = 3", "sessions_per_week = 9", "exercise[0].sessions_per_week", 9,
     "an integer in [1, 7]"),
    ("sessions_per_week = 3", "sessions_per_week = 2.5", "exercise[0].sessions_per_week", 2.5,
     "an integer in [1, 7]"),
    ("start_hour = 8.0", "start_hour = 24.0", "exercise[0].start_hour", 24.0, "a number in [0, 24)"),
    ("start_hour = 8.0", "adherence = 1.5", "exercise[0].adherence", 1.5, "a number in [0, 1]"),
    ('name = "t"', 'name = "t"\ncolour = "red"', "colour", "red", "a known key: "),
    # an unknown key names its block like every other [[exercise]] field does
    ("start_hour = 8.0", 'start_hour = 8.0\nspeed = "fast"', "exercise[0].speed", "fast", "a known key: "),
    ("start_hour = 8.0", 'start_hour = 8.0\n[[dose]]\ndrug = "doxorubicin"\namount = 60.0\nunit = "mg/m2"\n'
     'route = "iv"', "dose[0].route", "iv", "a known key: "),
    ("start_hour = 8.0", 'start_hour = 8.0\n[[dose]]\ndrug = "doxorubicin"\namount = 60.0\nunit = "mg"\n'
     "count = 0", "dose[0].count", 0, "an integer in [1, 1000]"),
    ("start_hour = 8.0", "start_hour = 8.0\n[patient]\nweight_kg = 500", "patient.weight_kg", 500,
     "a number in [30, 250]"),
]


@pytest.mark.parametrize(("old", "new", "field", "value", "allowed"), BAD_FIELDS,
                         ids=[f"{field}={value!r}" for _, _, field, value, _ in BAD_FIELDS])
def test_bad_field_names_field_value_and_allowed(old: str, new: str, field: str, value: object, allowed: str) -> None:
    assert old in GOOD
    err = _bad(GOOD.replace(old, new, 1))
    assert err.field == field
    assert _same(err.value, value), err.value
    assert err.allowed.startswith(allowed), err.allowed
    assert err.source == "bad.toml"
    assert str(err).startswith(f"bad.toml: {field}: got ") and allowed in str(err)


def test_not_toml_gets_a_clear_error(tmp_path: Path) -> None:
    p = tmp_path / "x.toml"
    p.write_bytes(b"\x00\xff this is not toml ][")
    with pytest.raises(InputError) as info:
        load_scenario(p)
    assert info.value.field == "file"


def test_session_days_and_sessions_per_week_are_exclusive() -> None:
    with pytest.raises(InputError) as info:
        ExerciseRegime(session_days=(0,), sessions_per_week=3)
    assert info.value.field == "exercise.session_days" and info.value.value == (0,)
    assert info.value.allowed.startswith("exactly one of session_days")


def test_overlapping_sessions_are_rejected() -> None:
    s = Scenario("o", exercise=(ExerciseRegime(session_days=(0,), start_hour=8, minutes=90),
                                ExerciseRegime(session_days=(0,), start_hour=9, minutes=30)))
    with pytest.raises(InputError) as info:
        exercise_sessions(s)  # regimes are checked against each other when the timeline is expanded
    assert info.value.field == "exercise" and info.value.value == "sessions at 8 h and 9 h"
    assert "do not overlap" in info.value.allowed


def test_session_after_the_end_is_rejected() -> None:
    s = Scenario("late", duration_days=1, exercise=(ExerciseRegime(session_days=(3,)),))
    with pytest.raises(InputError) as info:
        exercise_sessions(s)
    assert info.value.field == "exercise[0].session_days" and info.value.value == 3
    assert "before the end of the scenario" in info.value.allowed


def test_model_defaults_to_the_composed_model() -> None:
    """A file without `model` runs the composed model, so drugs and exercise work together out of the box."""
    s = Scenario.from_toml(GOOD + '[[dose]]\ndrug = "doxorubicin"\namount = 60.0\nunit = "mg/m2"\n')
    assert s.model == "crosstalk" and Scenario("x").model == "crosstalk"
    assert s.dose[0].drug == "doxorubicin" and s.exercise[0].sessions_per_week == 3


def test_a_regime_describes_itself_in_words():
    from crosstalk.spec.scenario import ExerciseRegime

    assert ExerciseRegime(sessions_per_week=3, minutes=40, intensity=0.65, end_day=84).describe() == \
        "aerobic, 3 x 40 min/week at 65 % VO2max, days 0-84"
    assert ExerciseRegime(before_each_dose="doxorubicin", minutes=30, intensity=0.6, hours_before=24).describe() == \
        "aerobic, one session of 30 min at 60 % VO2max ending 24 h before each doxorubicin dose"
    assert ExerciseRegime(modality="hiit", sessions_per_week=2, adherence=0.8).describe().endswith("80 % adherence")
