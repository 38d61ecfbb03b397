"""Scenario specs: frozen, validated dataclasses, read from and written to TOML.

A scenario file is a contract other tools rely on (extend it, never rename its keys)::

    name = "single-bout"
    duration_days = 1.0
    output_step_hours = 0.25
    [[exercise]]
    modality = "aerobic"         # aerobic | resistance | hiit
    intensity = 0.70             # fraction of VO2max
    minutes = 60
    session_days = [0]           # explicit days, or sessions_per_week = 3 with start_day / end_day
    start_hour = 8.0
    adherence = 1.0
    [parameters]                 # overrides by parameter id, in the parameter table's unit

Every problem raises :class:`crosstalk.errors.InputError` naming the field, the value and what is allowed.
"""

from __future__ import annotations

import math
import tomllib
from dataclasses import dataclass, field, fields
from pathlib import Path
from types import MappingProxyType
from typing import Any, Mapping

import tomli_w

from crosstalk.errors import InputError
from crosstalk.parameters import MODULES, parameter_ids

__all__ = ["MODALITIES", "ExerciseRegime", "Scenario", "load_scenario"]

MODALITIES: tuple[str, ...] = ("aerobic", "resistance", "hiit")
ADHERENCE_PATTERNS: tuple[str, ...] = ("regular", "random")
MAX_DURATION_DAYS = 3650.0
MAX_OUTPUT_POINTS = 2_000_000


# ---------------------------------------------------------------------------------------------- checks
def _number(field_name: str, value: Any, *, low: float, high: float, low_open: bool = False,
            high_open: bool = False, integer: bool = False, source: str | None = None) -> float:
    lo = "(" if low_open else "["
    hi = ")" if high_open else "]"
    kind = "an integer" if integer else "a number"
    allowed = f"{kind} in {lo}{low:g}, {high:g}{hi}"
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise InputError(field_name, value, allowed, source=source)
    if not math.isfinite(value):
        raise InputError(field_name, value, allowed, source=source)
    if integer and float(value) != int(value):
        raise InputError(field_name, value, allowed, source=source)
    below = value <= low if low_open else value < low
    above = value >= high if high_open else value > high
    if below or above:
        raise InputError(field_name, value, allowed, source=source)
    return float(value)


def _choice(field_name: str, value: Any, allowed: tuple[str, ...], *, source: str | None = None) -> str:
    if not isinstance(value, str) or value not in allowed:
        raise InputError(field_name, value, "one of " + ", ".join(repr(a) for a in allowed), source=source)
    return value


def _text(field_name: str, value: Any, *, source: str | None = None, empty: bool = False) -> str:
    if not isinstance(value, str) or (not empty and not value.strip()):
        raise InputError(field_name, value, "a non-empty string" if not empty else "a string", source=source)
    return value


def _known_keys(where: str, data: Mapping[str, Any], allowed: set[str], *, source: str | None) -> None:
    for key in data:
        if key not in allowed:
            raise InputError(f"{where}{key}", data[key], "a known key: " + ", ".join(sorted(allowed)), source=source)


# ---------------------------------------------------------------------------------------------- specs
@dataclass(frozen=True)
class ExerciseRegime:
    """A block of exercise sessions.

    Parameters
    ----------
    modality : {"aerobic", "resistance", "hiit"}
        Kind of exercise.
    intensity : float
        Fraction of VO2max (0, 1] (for HIIT: the session's mean).
    minutes : float
        Duration of each session, (0, 600] min.
    session_days : tuple of int, optional
        Explicit days (0 = first day of the scenario). Exclusive with ``sessions_per_week``.
    sessions_per_week : int, optional
        1-7 sessions a week from ``start_day`` to ``end_day`` (days ``floor(k * 7 / n)`` of each week).
    start_day, end_day : float
        Window for ``sessions_per_week`` (end exclusive; default: the whole scenario).
    start_hour : float
        Time of day of each session [0, 24) h.
    adherence : float
        Fraction of planned sessions performed [0, 1].
    adherence_pattern : {"regular", "random"}
        ``regular`` drops sessions evenly; ``random`` draws each session with probability ``adherence``
        from the scenario's ``seed``.
    """

    modality: str = "aerobic"
    intensity: float = 0.7
    minutes: float = 60.0
    session_days: tuple[int, ...] | None = None
    sessions_per_week: int | None = None
    start_day: float = 0.0
    end_day: float | None = None
    start_hour: float = 8.0
    adherence: float = 1.0
    adherence_pattern: str = "regular"

    def __post_init__(self) -> None:
        _choice("exercise.modality", self.modality, MODALITIES)
        _number("exercise.intensity", self.intensity, low=0.0, high=1.0, low_open=True)
        _number("exercise.minutes", self.minutes, low=0.0, high=600.0, low_open=True)
        _number("exercise.start_hour", self.start_hour, low=0.0, high=24.0, high_open=True)
        _number("exercise.adherence", self.adherence, low=0.0, high=1.0)
        _choice("exercise.adherence_pattern", self.adherence_pattern, ADHERENCE_PATTERNS)
        _number("exercise.start_day", self.start_day, low=0.0, high=MAX_DURATION_DAYS)
        if (self.session_days is None) == (self.sessions_per_week is None):
            raise InputError(
                "exercise.session_days",
                self.session_days,
                "exactly one of session_days (a list of days) or sessions_per_week (1-7)",
            )
        if self.session_days is not None:
            if not isinstance(self.session_days, (list, tuple)) or not self.session_days:
                raise InputError("exercise.session_days", self.session_days, "a non-empty list of whole days >= 0")
            for d in self.session_days:
                _number("exercise.session_days", d, low=0.0, high=MAX_DURATION_DAYS, integer=True)
            if len(set(self.session_days)) != len(self.session_days):
                raise InputError("exercise.session_days", self.session_days, "days without repeats")
            object.__setattr__(self, "session_days", tuple(int(d) for d in self.session_days))
        else:
            _number("exercise.sessions_per_week", self.sessions_per_week, low=1, high=7, integer=True)
            object.__setattr__(self, "sessions_per_week", int(self.sessions_per_week))
        if self.end_day is not None:
            _number("exercise.end_day", self.end_day, low=self.start_day, high=MAX_DURATION_DAYS, low_open=True)
        for name in ("intensity", "minutes", "start_hour", "adherence", "start_day"):
            object.__setattr__(self, name, float(getattr(self, name)))

    def to_dict(self) -> dict[str, Any]:
        """Plain TOML-ready dict (unset optional fields left out)."""
        out: dict[str, Any] = {}
        for f in fields(self):
            value = getattr(self, f.name)
            if value is None:
                continue
            out[f.name] = list(value) if isinstance(value, tuple) else value
        return out


@dataclass(frozen=True)
class Scenario:
    """A simulation scenario: duration, output grid, exercise regimes and parameter overrides.

    Parameters
    ----------
    name : str
        Short identifier.
    duration_days : float
        Simulated time, (0, 3650] days.
    output_step_hours : float
        Spacing of the output grid (h).
    exercise : tuple of ExerciseRegime
        Exercise blocks; sessions may not overlap.
    parameters : mapping of str to float
        Overrides by parameter id, in the parameter table's unit.
    description : str
        One paragraph: what the scenario is and which question it answers.
    seed : int
        Seed of every random choice in the scenario (random adherence).
    model : str
        Model to simulate (one of the built modules).
    """

    name: str
    duration_days: float = 1.0
    output_step_hours: float = 0.25
    exercise: tuple[ExerciseRegime, ...] = ()
    parameters: Mapping[str, float] = field(default_factory=dict)
    description: str = ""
    seed: int = 0
    model: str = "exercise"

    def __post_init__(self) -> None:
        _text("name", self.name)
        _text("description", self.description, empty=True)
        _choice("model", self.model, MODULES)
        _number("duration_days", self.duration_days, low=0.0, high=MAX_DURATION_DAYS, low_open=True)
        _number("output_step_hours", self.output_step_hours, low=0.0, high=self.duration_days * 24.0, low_open=True)
        if self.duration_days * 24.0 / self.output_step_hours > MAX_OUTPUT_POINTS:
            raise InputError(
                "output_step_hours", self.output_step_hours,
                f"a step giving at most {MAX_OUTPUT_POINTS} output points over {self.duration_days} days",
            )
        _number("seed", self.seed, low=0, high=2**63 - 1, integer=True)
        regimes = tuple(self.exercise)
        for r in regimes:
            if not isinstance(r, ExerciseRegime):
                raise InputError("exercise", r, "ExerciseRegime objects")
        known = parameter_ids(self.model)
        overrides: dict[str, float] = {}
        for pid, value in dict(self.parameters).items():
            if pid not in known:
                raise InputError(
                    f"parameters.{pid}", value,
                    f"a parameter id of the {self.model} model's table (e.g. {', '.join(list(known)[:4])}, ...)",
                )
            overrides[pid] = _number(f"parameters.{pid}", value, low=0.0, high=1e300)
        object.__setattr__(self, "exercise", regimes)
        object.__setattr__(self, "parameters", MappingProxyType(overrides))
        object.__setattr__(self, "duration_days", float(self.duration_days))
        object.__setattr__(self, "output_step_hours", float(self.output_step_hours))
        object.__setattr__(self, "seed", int(self.seed))
        # sessions must fit in the scenario and not overlap: let the schedule check it once
        from crosstalk.schedule import exercise_sessions  # local import: schedule imports scenario

        exercise_sessions(self)

    @property
    def duration_hours(self) -> float:
        """Simulated time in hours."""
        return self.duration_days * 24.0

    # ------------------------------------------------------------------ TOML
    @classmethod
    def from_dict(cls, data: Mapping[str, Any], *, source: str | None = None) -> "Scenario":
        """Build a scenario from a parsed TOML mapping (errors name the field and ``source``)."""
        if not isinstance(data, Mapping):
            raise InputError("scenario", data, "a TOML table", source=source)
        top = {"name", "description", "duration_days", "output_step_hours", "exercise", "parameters", "seed", "model"}
        _known_keys("", data, top, source=source)
        if "name" not in data:
            raise InputError("name", None, "a non-empty string (required)", source=source)
        blocks = data.get("exercise", [])
        if not isinstance(blocks, list):
            raise InputError("exercise", blocks, "an array of [[exercise]] tables", source=source)
        regime_keys = {f.name for f in fields(ExerciseRegime)}
        regimes = []
        for i, block in enumerate(blocks):
            if not isinstance(block, Mapping):
                raise InputError(f"exercise[{i}]", block, "an [[exercise]] table", source=source)
            _known_keys("exercise.", block, regime_keys, source=source)
            try:
                regimes.append(ExerciseRegime(**block))
            except InputError as err:
                raise InputError(err.field.replace("exercise.", f"exercise[{i}]."), err.value, err.allowed,
                                 source=source) from None
        params = data.get("parameters", {})
        if not isinstance(params, Mapping):
            raise InputError("parameters", params, "a [parameters] table of id = number", source=source)
        kwargs = {k: v for k, v in data.items() if k not in ("exercise", "parameters")}
        try:
            return cls(exercise=tuple(regimes), parameters=dict(params), **kwargs)
        except InputError as err:
            raise InputError(err.field, err.value, err.allowed, source=source) from None

    @classmethod
    def from_toml(cls, text: str, *, source: str | None = None) -> "Scenario":
        """Parse TOML text (a file that is not TOML gets an :class:`InputError`)."""
        try:
            data = tomllib.loads(text)
        except tomllib.TOMLDecodeError as err:
            raise InputError("file", (source or "<text>"), f"valid TOML ({err})", source=source) from None
        return cls.from_dict(data, source=source)

    def to_dict(self) -> dict[str, Any]:
        """Plain TOML-ready dict; ``Scenario.from_dict(s.to_dict()) == s``."""
        out: dict[str, Any] = {
            "name": self.name,
            "description": self.description,
            "model": self.model,
            "duration_days": self.duration_days,
            "output_step_hours": self.output_step_hours,
            "seed": self.seed,
        }
        if self.exercise:
            out["exercise"] = [r.to_dict() for r in self.exercise]
        if self.parameters:
            out["parameters"] = dict(self.parameters)
        return out

    def to_toml(self) -> str:
        """TOML text that :meth:`from_toml` reads back to an equal scenario."""
        return tomli_w.dumps(self.to_dict())

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Scenario) and self.to_dict() == other.to_dict()

    def __hash__(self) -> int:
        return hash(self.to_toml())


def load_scenario(path: str | Path) -> Scenario:
    """Read a scenario TOML file.

    Raises
    ------
    InputError
        If the file cannot be read, is not TOML, or any field is wrong (the message names it).
    """
    path = Path(path)
    try:
        raw = path.read_bytes()
    except OSError as err:
        raise InputError("file", str(path), f"a readable scenario file ({err.strerror})") from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise InputError("file", str(path), "a UTF-8 TOML text file", source=str(path)) from None
    return Scenario.from_toml(text, source=str(path))
