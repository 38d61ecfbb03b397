"""Timeline -> timed changes of the model's input species (breakpoints), and those changes as SBML events.

The same list of :class:`Breakpoint` objects is used two ways:

* the :class:`~crosstalk.sim.simulator.Simulator` applies them between integration segments on one compiled
  model (no recompilation per scenario; 1.2-1.9x faster than the equivalent SBML events on the exercise module
  in ``benchmarks/bench_schedule.py``, see ``benchmarks/RESULTS.md``);
* :func:`add_sbml_events` writes them into an SBML model as events (trigger ``time >= t``), which is what an
  exported model carries for other tools. A test checks both give the same trajectories.

Which species a session or a drug sets comes from the model's manifest (:mod:`crosstalk.model.registry`). Input
species are floating species without reactions, so ``RoadRunner.reset()`` restores them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import libsbml

from crosstalk.model.registry import model_info
from crosstalk.plan.timeline import Administration, Session, administrations, exercise_sessions
from crosstalk.spec.scenario import Scenario

__all__ = ["Breakpoint", "add_sbml_events", "breakpoints", "to_sbml_events"]


@dataclass(frozen=True)
class Breakpoint:
    """Changes at ``time_h``: ``values`` are set, ``increments`` added (species amounts, in items).

    Parameters
    ----------
    time_h : float
        Hours from the scenario start.
    values : tuple of (str, float)
        Inputs set at ``time_h`` (id, value).
    increments : tuple of (str, float)
        Species amounts added at ``time_h`` (id, items): boluses.
    """

    time_h: float
    values: tuple[tuple[str, float], ...]
    increments: tuple[tuple[str, float], ...] = ()


def breakpoints(scenario: Scenario, *, sessions: Sequence[Session] | None = None,
                doses: Sequence[Administration] | None = None) -> list[Breakpoint]:
    """Timed input changes of a scenario, merged by time (an end and a start at the same time: the start wins).

    ``sessions`` and ``doses`` are the scenario's timeline when the caller has it already
    (:func:`crosstalk.plan.plan`).

    Parameters
    ----------
    scenario : Scenario
        The scenario whose schedule it is.
    sessions : sequence of Session, optional
        Its exercise sessions, when already computed (default: from the scenario).
    doses : sequence of Administration, optional
        Its drug administrations, when already computed (default: from the scenario).
    """
    sets: dict[float, dict[str, float]] = {}
    adds: dict[float, dict[str, float]] = {}

    def start_and_stop(start: float, end: float, on: dict[str, float], off: dict[str, float]) -> None:
        stop = sets.setdefault(round(end, 9), {})
        for k, v in off.items():
            stop.setdefault(k, v)
        sets.setdefault(round(start, 9), {}).update(on)

    info = model_info(scenario.model)
    if doses is None:
        doses = administrations(scenario)
    if sessions is None:
        sessions = exercise_sessions(scenario, doses=doses)
    for s in sessions:
        roles = info.exercise_inputs
        on = {
            roles["on"]: 1.0,
            roles["intensity"]: s.intensity,
            roles["resistance"]: 1.0 if s.modality == "resistance" else 0.0,
            roles["hiit"]: 1.0 if s.modality == "hiit" else 0.0,
        }
        start_and_stop(s.start_h, s.end_h, on, dict.fromkeys(roles.values(), 0.0))
    for a in doses:
        spec = info.drugs[a.drug]
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
    doc = libsbml.readSBMLFromString(sbml)
    add_sbml_events(doc.getModel(), points)
    return str(libsbml.writeSBMLToString(doc))


def add_sbml_events(model: libsbml.Model, points: list[Breakpoint], *, gate: str | None = None,
                    prefix: str = "schedule_event") -> None:
    """Add one event per breakpoint to a libSBML ``Model`` in place (see :func:`to_sbml_events`), named
    ``<prefix>_N``. With ``gate`` (the id of a dimensionless parameter) an event fires only while that parameter
    is 1: several schedules in one model, one switched on per simulation (a PEtab condition sets its gate).

    Parameters
    ----------
    model : libsbml.Model
        The model to add the events to.
    points : list of Breakpoint
        The schedule (:func:`breakpoints`).
    gate : str, optional
        Id of a dimensionless parameter that must be 1 for the events to fire.
    prefix : str
        Start of the events' ids.
    """
    for n, bp in enumerate(points):
        ev = model.createEvent()
        ev.setId(f"{prefix}_{n}")
        ev.setUseValuesFromTriggerTime(True)
        trig = ev.createTrigger()
        trig.setInitialValue(False)
        trig.setPersistent(True)
        when = f"time >= {bp.time_h!r} hour"
        trig.setMath(_math(when if gate is None else f"({when}) && ({gate} > 0.5 dimensionless)", model))
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


def _math(formula: str, model: libsbml.Model) -> libsbml.ASTNode:
    settings = libsbml.L3ParserSettings()
    settings.setModel(model)
    settings.setParseUnits(True)
    ast = libsbml.parseL3FormulaWithSettings(formula, settings)
    if ast is None:
        raise ValueError(f"cannot parse {formula!r}: {libsbml.getLastParseL3Error()}")
    return ast
