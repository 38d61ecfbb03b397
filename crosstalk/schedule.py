"""Scenario -> timed changes of the model's input species.

This is the one place where exercise regimes (and, later, doses) become discrete state changes. The same
list of :class:`Breakpoint` objects is used two ways:

* the :class:`~crosstalk.simulate.Simulator` applies them between integration segments on one compiled
  model (no recompilation per scenario; measured ~3x faster than the equivalent SBML events, see
  ``benchmarks/bench_schedule.py``);
* :func:`to_sbml_events` writes them into an SBML document as events (trigger ``time >= t``), which is
  what an exported model carries for other tools. A test checks both give the same trajectories.

Input species are floating species without reactions, so ``RoadRunner.reset()`` restores them.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from crosstalk.errors import InputError

if TYPE_CHECKING:
    from crosstalk.scenario import ExerciseRegime, Scenario

__all__ = [
    "Administration", "Breakpoint", "DRUG_SPECIES", "EXERCISE_INPUTS", "Session", "administrations",
    "add_sbml_events", "breakpoints", "exercise_sessions", "to_sbml_events",
]

#: Species the exercise schedule sets; each starts at 0 and is only changed by breakpoints.
EXERCISE_INPUTS: tuple[str, ...] = ("exercise_on", "exercise_intensity", "modality_resistance", "modality_hiit")


@dataclass(frozen=True)
class DrugSpecies:
    """Where a drug enters a model: infusion-rate input, bolus target, and its molecular weight parameter."""

    infusion_input: str
    bolus_species: tuple[str, ...]
    mw_parameter: str


DRUG_SPECIES: dict[str, DrugSpecies] = {
    "pembrolizumab": DrugSpecies("pembrolizumab_infusion", ("pembrolizumab_plasma",), "pembrolizumab_mw"),
    "doxorubicin": DrugSpecies("doxorubicin_infusion", ("doxorubicin_plasma", "doxorubicin_dosed"),
                               "mw_doxorubicin"),
    "exev": DrugSpecies("exev_infusion", ("exev",), ""),  # particles: no mass conversion
}
AVOGADRO = 6.02214076e23


@dataclass(frozen=True)
class Session:
    """One performed exercise session (hours from the scenario start)."""

    start_h: float
    end_h: float
    intensity: float
    modality: str

    @property
    def minutes(self) -> float:
        """Duration in minutes."""
        return (self.end_h - self.start_h) * 60.0


@dataclass(frozen=True)
class Breakpoint:
    """Changes at ``time_h``: ``values`` are set, ``increments`` added (species amounts, in items)."""

    time_h: float
    values: tuple[tuple[str, float], ...]
    increments: tuple[tuple[str, float], ...] = ()


@dataclass(frozen=True)
class Administration:
    """One drug administration: ``items`` molecules (or particles) from ``start_h`` over ``minutes`` (0: bolus)."""

    drug: str
    start_h: float
    minutes: float
    items: float


def _planned_days(regime: ExerciseRegime, duration_days: float) -> list[int]:
    if regime.session_days is not None:
        return sorted(regime.session_days)
    if regime.before_each_dose is not None:
        raise AssertionError("dose-anchored sessions are placed by exercise_sessions")
    end = duration_days if regime.end_day is None else min(regime.end_day, duration_days)
    n = int(regime.sessions_per_week)
    offsets = sorted({math.floor(k * 7 / n) for k in range(n)})
    days = []
    week_start = int(math.floor(regime.start_day))
    while week_start < end:
        for off in offsets:
            day = week_start + off
            if regime.start_day <= day < end:
                days.append(day)
        week_start += 7
    return days


def _performed(planned: list, regime: ExerciseRegime, rng: np.random.Generator) -> list:
    a = regime.adherence
    if a >= 1.0:
        return planned
    if regime.adherence_pattern == "random":
        draws = rng.random(len(planned))
        return [d for d, u in zip(planned, draws) if u < a]
    # regular: keep session k when floor((k + 1) a) > floor(k a) (evenly spread, exact count floor(n a))
    return [d for k, d in enumerate(planned) if math.floor((k + 1) * a + 1e-12) > math.floor(k * a + 1e-12)]


def exercise_sessions(scenario: Scenario) -> list[Session]:
    """The sessions a scenario performs, in time order.

    Raises
    ------
    InputError
        If a session starts after the end of the scenario or two sessions overlap.
    """
    rng = np.random.default_rng(scenario.seed)
    sessions: list[Session] = []
    for i, regime in enumerate(scenario.exercise):
        if regime.before_each_dose is not None:
            starts = [a.start_h - regime.hours_before - regime.minutes / 60.0 for a in administrations(scenario)
                      if a.drug == regime.before_each_dose]
            for start in _performed(starts, regime, rng):
                if start < 0:
                    raise InputError(f"exercise[{i}].hours_before", regime.hours_before,
                                     "a lead time that leaves the session after the scenario start (move the "
                                     "first dose later)")
                sessions.append(Session(start, start + regime.minutes / 60.0, regime.intensity, regime.modality))
            continue
        for day in _performed(_planned_days(regime, scenario.duration_days), regime, rng):
            start = day * 24.0 + regime.start_hour
            if start >= scenario.duration_hours:
                raise InputError(
                    f"exercise[{i}].session_days", day,
                    f"days whose sessions start before the end of the scenario (duration_days = "
                    f"{scenario.duration_days:g})",
                )
            sessions.append(Session(start, start + regime.minutes / 60.0, regime.intensity, regime.modality))
    sessions.sort(key=lambda s: s.start_h)
    for a, b in zip(sessions, sessions[1:]):
        if b.start_h < a.end_h - 1e-9:
            raise InputError(
                "exercise", f"sessions at {a.start_h:g} h and {b.start_h:g} h",
                "sessions that do not overlap (change start_hour, minutes or days)",
            )
    return sessions


def _dose_items(dose, scenario: Scenario) -> float:
    from crosstalk.parameters import parameter_ids

    spec = DRUG_SPECIES[dose.drug]
    if dose.unit == "particles":
        return dose.amount
    params = {p: v.value for p, v in parameter_ids(scenario.model).items()}
    params.update(scenario.parameter_overrides())
    # body size as the model sees it: an explicit [parameters] override wins over the [patient] value
    weight = params.get("body_weight_kg", scenario.patient.weight_kg)
    bsa = params.get("body_surface_area_m2", scenario.patient.body_surface_area_m2)
    per = {"mg": 1.0, "mg/kg": weight, "mg/m2": bsa}
    mg = dose.amount * per[dose.unit]
    return mg * 1e-3 / params[spec.mw_parameter] * AVOGADRO


def administrations(scenario: Scenario) -> list[Administration]:
    """Every drug administration of a scenario that starts before its end, in time order.

    Raises
    ------
    InputError
        If two infusions of the same drug overlap.
    """
    out: list[Administration] = []
    for dose in scenario.dose:
        items = _dose_items(dose, scenario)
        for k in range(dose.count):
            start = round((dose.start_day + k * dose.interval_days) * 24.0, 9)
            if start < scenario.duration_hours:
                out.append(Administration(dose.drug, start, dose.infusion_minutes, items))
    out.sort(key=lambda a: (a.start_h, a.drug))
    for drug in {a.drug for a in out}:
        mine = [a for a in out if a.drug == drug and a.minutes > 0]
        for a, b in zip(mine, mine[1:]):
            if b.start_h < a.start_h + a.minutes / 60.0 - 1e-9:
                raise InputError("dose", f"{drug} at {a.start_h:g} h and {b.start_h:g} h",
                                 "infusions of one drug that do not overlap")
    return out


def breakpoints(scenario: Scenario) -> list[Breakpoint]:
    """Timed input changes of a scenario, merged by time (an end and a start at the same time: the start wins)."""
    sets: dict[float, dict[str, float]] = {}
    adds: dict[float, dict[str, float]] = {}

    def start_and_stop(start: float, end: float, on: dict[str, float], off: dict[str, float]) -> None:
        stop = sets.setdefault(round(end, 9), {})
        for k, v in off.items():
            stop.setdefault(k, v)
        sets.setdefault(round(start, 9), {}).update(on)

    for s in exercise_sessions(scenario):
        on = {
            "exercise_on": 1.0,
            "exercise_intensity": s.intensity,
            "modality_resistance": 1.0 if s.modality == "resistance" else 0.0,
            "modality_hiit": 1.0 if s.modality == "hiit" else 0.0,
        }
        start_and_stop(s.start_h, s.end_h, on, dict.fromkeys(EXERCISE_INPUTS, 0.0))
    for a in administrations(scenario):
        spec = DRUG_SPECIES[a.drug]
        if a.minutes > 0:
            hours = a.minutes / 60.0
            start_and_stop(a.start_h, a.start_h + hours, {spec.infusion_input: a.items / hours},
                           {spec.infusion_input: 0.0})
        else:
            at = adds.setdefault(round(a.start_h, 9), {})
            for species in spec.bolus_species:
                at[species] = at.get(species, 0.0) + a.items
    times = sorted(set(sets) | set(adds))
    return [
        Breakpoint(t, tuple(sorted(sets.get(t, {}).items())), tuple(sorted(adds.get(t, {}).items())))
        for t in times
    ]


def to_sbml_events(sbml: str, points: list[Breakpoint]) -> str:
    """Return ``sbml`` with one SBML event per breakpoint (trigger ``time >= t``, persistent, not initially true).

    Parameters
    ----------
    sbml : str
        SBML L3V2 document of a crosstalk model.
    points : list of Breakpoint
        From :func:`breakpoints`.
    """
    import libsbml  # local: only export needs it

    doc = libsbml.readSBMLFromString(sbml)
    add_sbml_events(doc.getModel(), points)
    return libsbml.writeSBMLToString(doc)


def add_sbml_events(model: object, points: list[Breakpoint]) -> None:
    """Add one event per breakpoint to a libSBML ``Model`` in place (see :func:`to_sbml_events`)."""
    for n, bp in enumerate(points):
        ev = model.createEvent()
        ev.setId(f"schedule_event_{n}")
        ev.setUseValuesFromTriggerTime(True)
        trig = ev.createTrigger()
        trig.setInitialValue(False)
        trig.setPersistent(True)
        trig.setMath(_math(f"time >= {bp.time_h!r} hour", model))
        for species, value in bp.values:
            ea = ev.createEventAssignment()
            ea.setVariable(species)
            ea.setMath(_math(f"{value!r} item", model))
        for species, amount in bp.increments:
            sp = model.getSpecies(species)
            ea = ev.createEventAssignment()
            ea.setVariable(species)
            if sp.getHasOnlySubstanceUnits():
                ea.setMath(_math(f"{species} + {amount!r} item", model))
            else:  # the symbol is a concentration: add amount / volume
                ea.setMath(_math(f"{species} + {amount!r} item / {sp.getCompartment()}", model))


def _math(formula: str, model: object):  # -> libsbml.ASTNode
    import libsbml

    settings = libsbml.L3ParserSettings()
    settings.setModel(model)
    settings.setParseUnits(True)
    ast = libsbml.parseL3FormulaWithSettings(formula, settings)
    if ast is None:
        raise ValueError(f"cannot parse {formula!r}: {libsbml.getLastParseL3Error()}")
    return ast
