"""Prescriptions and regimens in the words of the clinic, turned into scenarios (nothing here simulates).

The explorer's controls speak of modality, sessions a week, minutes, intensity, a window relative to
chemotherapy and adherence, and of a regimen (AC, AC with dexrazoxane, AC then pembrolizumab, none).
:func:`build_scenario` turns a base scenario and these choices into the :class:`~crosstalk.spec.scenario.Scenario`
that ``crosstalk simulate`` would run, so what the page shows is what the command line gives for the same file.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace

from crosstalk.errors import InputError
from crosstalk.inputs import check_choice, check_integer, check_number
from crosstalk.spec.blocks import DoseSchedule, ExerciseRegime
from crosstalk.spec.scenario import Scenario, load_scenario

__all__ = ["PREHABILITATION_DAYS", "REGIMENS", "WINDOWS", "Prescription", "build_scenario", "chemotherapy_span",
           "prescription_of", "sedentary"]

#: Regimens by the built-in scenario whose ``[[dose]]`` blocks they are (human doses; models as data).
REGIMENS: dict[str, tuple[str, str]] = {
    "as in the scenario": ("", "the scenario's own doses"),
    "AC": ("ac_sedentary", "doxorubicin 60 + cyclophosphamide 600 mg/m² every 3 weeks x 4"),
    "AC + dexrazoxane": ("ac_dexrazoxane", "AC with dexrazoxane 600 mg/m² before each doxorubicin dose"),
    "AC then pembrolizumab": ("ac_then_anti_pd1_exercise", "AC x 4, then pembrolizumab 200 mg every 3 weeks x 4"),
    "no drug": ("", "no chemotherapy or antibody"),
}

#: When the sessions happen relative to chemotherapy.
WINDOWS: dict[str, str] = {
    "as in the scenario": "the scenario's own exercise days; the controls change its first exercise block",
    "during chemotherapy": "from the first dose until 3 weeks after the last",
    "after chemotherapy": "from 3 weeks after the last dose to the end",
    "before each dose": "one session ending 24 h before each doxorubicin dose (as in the Kirkham trials; a course "
                        "starting too early for the first moves back just enough)",
    "prehabilitation": "the 6 weeks before chemotherapy (a course starting earlier moves back to day 42)",
    "throughout": "from day 0 to the end",
    "none (sedentary)": "no exercise",
}
#: Length of the prehabilitation window (days); the doses move back by as much.
PREHABILITATION_DAYS = 42.0
#: Windows placed around a cytotoxic course.
_NEED_CHEMOTHERAPY = ("during chemotherapy", "after chemotherapy", "prehabilitation", "before each dose")
#: A cycle's length after the last dose that still counts as during chemotherapy (days).
_CYCLE_DAYS = 21.0

@dataclass(frozen=True)
class Prescription:
    """An exercise prescription as a clinic writes it.

    Parameters
    ----------
    modality : {"aerobic", "resistance", "hiit"}
        Kind of exercise.
    sessions_per_week : int
        1-7.
    minutes : float
        Minutes per session, (0, 600].
    intensity : float
        Fraction of VO2max, (0, 1].
    window : str
        One of :data:`WINDOWS`.
    adherence : float
        Fraction of planned sessions performed, [0, 1].

    Examples
    --------
    >>> Prescription(sessions_per_week=5).sessions_per_week
    5
    >>> Prescription(window="weekends")
    Traceback (most recent call last):
    ...
    crosstalk.errors.InputError: window: got 'weekends'; allowed: one of 'as in the scenario', ...
    """

    modality: str = "aerobic"
    sessions_per_week: int = 3
    minutes: float = 45.0
    intensity: float = 0.65
    window: str = "during chemotherapy"
    adherence: float = 1.0

    def __post_init__(self) -> None:
        check_choice("modality", self.modality, ("aerobic", "resistance", "hiit"))
        check_integer("sessions_per_week", self.sessions_per_week, low=1, high=7)
        check_number("minutes", self.minutes, low=0.0, high=600.0, low_open=True)
        check_number("intensity", self.intensity, low=0.0, high=1.0, low_open=True)
        if self.window not in WINDOWS:
            raise InputError("window", self.window, "one of " + ", ".join(repr(w) for w in WINDOWS))
        check_number("adherence", self.adherence, low=0.0, high=1.0)


def prescription_of(scenario: Scenario) -> Prescription:
    """The controls that reproduce ``scenario`` as it stands: its first exercise block's modality, dose and
    adherence with the window ``as in the scenario`` (``none (sedentary)`` without exercise)."""
    if not scenario.exercise:
        return Prescription(window="none (sedentary)")
    r = scenario.exercise[0]
    return Prescription(modality=r.modality, sessions_per_week=r.sessions_per_week or 3, minutes=r.minutes,
                        intensity=r.intensity, window="as in the scenario", adherence=r.adherence)


def chemotherapy_span(doses: tuple[DoseSchedule, ...]) -> tuple[float, float] | None:
    """First and last day of the cytotoxic doses (doxorubicin, cyclophosphamide), or None without them."""
    days = [d.start_day + k * d.interval_days for d in doses if d.drug in ("doxorubicin", "cyclophosphamide")
            for k in range(d.count)]
    return (min(days), max(days)) if days else None


def _regimen_doses(base: Scenario, regimen: str) -> tuple[DoseSchedule, ...]:
    if regimen not in REGIMENS:
        raise InputError("regimen", regimen, "one of " + ", ".join(repr(r) for r in REGIMENS))
    if regimen == "as in the scenario":
        return base.dose
    if base.species != "human":
        raise InputError("regimen", regimen, f"'as in the scenario' for a {base.species} scenario (the regimens "
                                             "are human doses)")
    source, _ = REGIMENS[regimen]
    return load_scenario(source).dose if source else ()


def _adapted(regime: ExerciseRegime, p: Prescription) -> ExerciseRegime:
    """A scenario's own block with the prescription's modality, dose and adherence (its days kept)."""
    adapted = replace(regime, modality=p.modality, minutes=p.minutes, intensity=p.intensity, adherence=p.adherence)
    if regime.sessions_per_week is None:  # explicit days or a session before each dose: the days are kept
        return adapted
    return replace(adapted, sessions_per_week=p.sessions_per_week)


def build_scenario(base: Scenario, prescription: Prescription, *, regimen: str = "as in the scenario",
                   cardiac_sensitivity: float | None = None, duration_days: float | None = None,
                   tumour_assessment_day: float | None = None) -> Scenario:
    """``base`` with ``regimen``'s doses and ``prescription``'s exercise.

    Parameters
    ----------
    base : Scenario
        What the other choices start from (its patient, parameters and blockades are kept).
    prescription : Prescription
        The exercise.
    regimen : str
        One of :data:`REGIMENS`.
    cardiac_sensitivity : float, optional
        The patient's cardiac sensitivity (default: the base's).
    duration_days : float, optional
        Days simulated before any prehabilitation (default: the base's); the heart needs about a year after
        the last dose for its events.
    tumour_assessment_day : float, optional
        Day the tumour endpoints are read, before any prehabilitation moves the course (0: at the end; default:
        the base's), e.g. before surgery while the heart is followed for a year.

    Returns
    -------
    Scenario
        Named after the base with ``-explored`` appended, unless nothing was changed.

    Examples
    --------
    >>> base = load_scenario("ac_sedentary")
    >>> s = build_scenario(base, Prescription(sessions_per_week=5))
    >>> s.exercise[0].sessions_per_week, s.exercise[0].start_day, s.exercise[0].end_day
    (5, 0.0, 84.0)
    """
    original = base
    doses = _regimen_doses(base, regimen)
    span = chemotherapy_span(doses)
    p = prescription
    if span is None and p.window in _NEED_CHEMOTHERAPY:
        raise InputError("window", p.window, "a regimen with doxorubicin or cyclophosphamide (the window is "
                                             "placed around its doses); without one: 'throughout' or 'as in the "
                                             "scenario'")
    first, last = span if span is not None else (0.0, base.duration_days)
    if cardiac_sensitivity is not None or duration_days is not None or tumour_assessment_day is not None:
        patient = base.patient if cardiac_sensitivity is None else replace(
            base.patient, cardiac_sensitivity=check_number("patient.cardiac_sensitivity", cardiac_sensitivity,
                                                           low=0.0, high=100.0))
        days = base.duration_days if duration_days is None else duration_days
        assessed_day = base.tumour_assessment_day
        if tumour_assessment_day is not None:  # 0 reads the tumour at the end
            read = check_number("tumour_assessment_day", tumour_assessment_day, low=0.0, high=days)
            assessed_day = None if read == 0.0 else read
        base = replace(base, patient=patient, duration_days=days,
                       tumour_assessment_day=None if assessed_day is None or assessed_day > days else assessed_day)
    end, assessed = base.duration_days, base.tumour_assessment_day
    # the course moves back as far as exercise before it needs; the follow-up after it keeps its length
    if p.window == "before each dose":
        timed = [(24.0, p.minutes)]
    elif p.window == "as in the scenario" and regimen != "as in the scenario":  # its own bouts, another course
        timed = [(r.hours_before, r.minutes) for r in base.exercise if r.before_each_dose]
    else:
        timed = []
    lead = PREHABILITATION_DAYS if p.window == "prehabilitation" else max(
        ((hours + minutes / 60.0) / 24.0 for hours, minutes in timed), default=0.0)
    shift = max(lead - first, 0.0) if span is not None else 0.0
    if shift:
        doses = tuple(replace(d, start_day=d.start_day + shift) for d in doses)
        first, last = first + shift, last + shift
        end += shift
        assessed = None if assessed is None else assessed + shift

    def weekly(start: float = 0.0, stop: float | None = None) -> tuple[ExerciseRegime, ...]:
        return (ExerciseRegime(modality=p.modality, intensity=p.intensity, minutes=p.minutes, adherence=p.adherence,
                               sessions_per_week=p.sessions_per_week, start_day=start, end_day=stop),)

    after = min(last + _CYCLE_DAYS, end)
    if p.window == "after chemotherapy" and after >= end:
        raise InputError("window", p.window, f"a follow-up beyond day {after:g} (3 weeks after the last dose): "
                                             "simulate more days")
    windows: dict[str, Callable[[], tuple[ExerciseRegime, ...]]] = {
        "none (sedentary)": lambda: (),
        "throughout": weekly,
        "during chemotherapy": lambda: weekly(first, after),
        "after chemotherapy": lambda: weekly(after, end),
        "prehabilitation": lambda: weekly(first - PREHABILITATION_DAYS, first),
    }
    if p.window == "as in the scenario":  # the controls show the first block: only it changes
        exercise = tuple(_adapted(r, p) if k == 0 else r for k, r in enumerate(base.exercise))
    elif p.window == "before each dose":
        if not any(d.drug == "doxorubicin" for d in doses):
            raise InputError("window", p.window, "a regimen with doxorubicin (the sessions are timed to its doses)")
        exercise = (ExerciseRegime(modality=p.modality, intensity=p.intensity, minutes=p.minutes,
                                   adherence=p.adherence, before_each_dose="doxorubicin"),)
    else:
        exercise = windows[p.window]()
    built = replace(base, dose=doses, exercise=exercise, duration_days=end, tumour_assessment_day=assessed)
    if built == original:
        return original
    said = "; ".join(r.describe() for r in exercise) or "no exercise"
    reading = "" if assessed is None else f", tumour read on day {assessed:g}"
    return replace(built, name=f"{original.name}-explored",
                   description=f"Explored from {original.name}: {said}; regimen {regimen}; cardiac sensitivity "
                               f"{built.patient.cardiac_sensitivity:g}; {end:g} days{reading}.")


def sedentary(scenario: Scenario) -> Scenario:
    """``scenario`` without exercise: the reference every explored prescription is compared with."""
    return replace(scenario, exercise=(), name=f"{scenario.name}-sedentary")
