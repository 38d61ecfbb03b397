"""The timeline of a scenario: when each exercise session and drug administration happens.

Functions of the scenario spec (regimes, doses, seed, duration, body size) and, to turn a dose in mg into
molecules, of the model's manifest and parameter table (molecular weights, body size); no solver. The schedule
layer (:mod:`crosstalk.plan.schedule`) turns this timeline into input changes of a model. Expanding the timeline
is also where regimes are checked against each other: sessions that overlap, or that start after the end of the
scenario, raise :class:`~crosstalk.errors.InputError` here (and so in ``simulate``, ``export``, ``crosstalk
check`` and every study), not when a :class:`~crosstalk.spec.scenario.Scenario` is built.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TypeVar

import numpy as np

from crosstalk.errors import InputError
from crosstalk.model.parameters import parameter_ids
from crosstalk.model.registry import model_info
from crosstalk.spec.scenario import DoseSchedule, ExerciseRegime, Scenario

__all__ = ["AVOGADRO", "Administration", "Session", "administrations", "dose_items", "exercise_sessions"]

#: Avogadro's number (CODATA 2018, exact), items per mole.
AVOGADRO = 6.02214076e23

_T = TypeVar("_T")


@dataclass(frozen=True)
class Session:
    """One performed exercise session (hours from the scenario start).

    Parameters
    ----------
    start_h, end_h : float
        Start and end, hours from the scenario start.
    intensity : float
        Fraction of VO2max.
    modality : str
        ``aerobic``, ``resistance`` or ``hiit``.
    """

    start_h: float
    end_h: float
    intensity: float
    modality: str

    @property
    def minutes(self) -> float:
        """Duration in minutes."""
        return (self.end_h - self.start_h) * 60.0


@dataclass(frozen=True)
class Administration:
    """One drug administration: ``items`` molecules (or particles) from ``start_h`` over ``minutes`` (0: bolus).

    Parameters
    ----------
    drug : str
        The drug, as its manifest names it.
    start_h : float
        Start, hours from the scenario start.
    minutes : float
        Infusion duration (0: a bolus).
    items : float
        Molecules (or particles) given.
    """

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
    n = int(regime.sessions_per_week or 0)  # set whenever session_days and before_each_dose are not
    offsets = sorted({math.floor(k * 7 / n) for k in range(n)})
    days = []
    week_start = math.floor(regime.start_day)
    while week_start < end:
        for off in offsets:
            day = week_start + off
            if regime.start_day <= day < end:
                days.append(day)
        week_start += 7
    return days


def _performed(planned: list[_T], regime: ExerciseRegime, rng: np.random.Generator) -> list[_T]:
    a = regime.adherence
    if a >= 1.0:
        return planned
    if regime.adherence_pattern == "random":
        draws = rng.random(len(planned))
        return [d for d, u in zip(planned, draws) if u < a]
    # regular: keep session k when floor((k + 1) a) > floor(k a) (evenly spread, exact count floor(n a))
    return [d for k, d in enumerate(planned) if math.floor((k + 1) * a + 1e-12) > math.floor(k * a + 1e-12)]


def exercise_sessions(scenario: Scenario, *, doses: Sequence[Administration] | None = None) -> list[Session]:
    """The sessions a scenario performs, in time order.

    ``doses`` are the scenario's :func:`administrations` when the caller has them already (sessions anchored to
    doses need them).

    Raises
    ------
    InputError
        If a session starts after the end of the scenario or two sessions overlap.
    """
    rng = np.random.default_rng(scenario.seed)
    sessions: list[Session] = []
    for i, regime in enumerate(scenario.exercise):
        if regime.before_each_dose is not None:
            if doses is None:
                doses = administrations(scenario)
            starts = [a.start_h - regime.hours_before - regime.minutes / 60.0 for a in doses
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
    for a, b in itertools.pairwise(sessions):
        if b.start_h < a.end_h - 1e-9:
            raise InputError(
                "exercise", f"sessions at {a.start_h:g} h and {b.start_h:g} h",
                "sessions that do not overlap (change start_hour, minutes or days)",
            )
    return sessions


def dose_items(dose: DoseSchedule, scenario: Scenario, *, overrides: Mapping[str, float] | None = None) -> float:
    """Molecules (or particles) in one administration of ``dose``: mg (per kg or per m2 of body size as the model
    sees it) converted with the drug's molecular weight parameter. ``overrides`` are the scenario's
    ``parameter_overrides()`` when the caller has them already.

    Parameters
    ----------
    dose : DoseSchedule
        The dose block.
    scenario : Scenario
        The scenario it belongs to (its patient's weight and body-surface area).
    overrides : mapping of str to float, optional
        The scenario's parameter overrides, when already computed.
    """
    info = model_info(scenario.model)
    drug = info.drugs[dose.drug]
    if dose.unit == "particles" or drug.mw_parameter is None:
        return dose.amount
    params = {p: v.value for p, v in parameter_ids(scenario.model).items()}
    params.update(scenario.parameter_overrides() if overrides is None else overrides)
    # body size as the model sees it: an explicit [parameters] override of the parameter a [patient] field sets
    # (the manifest says which) wins over the field
    body = info.patient_parameters
    weight = params.get(body.get("weight_kg", ""), scenario.patient.weight_kg)
    bsa = params.get(body.get("body_surface_area_m2", ""), scenario.patient.body_surface_area_m2)
    per = {"mg": 1.0, "mg/kg": weight, "mg/m2": bsa}
    mg = dose.amount * per[dose.unit]
    return mg * 1e-3 / params[drug.mw_parameter] * AVOGADRO


def administrations(scenario: Scenario, *, overrides: Mapping[str, float] | None = None) -> list[Administration]:
    """Every drug administration of a scenario that starts before its end, in time order (``overrides`` as in
    :func:`dose_items`).

    Raises
    ------
    InputError
        If two infusions of the same drug overlap.
    """
    out: list[Administration] = []
    for dose in scenario.dose:
        items = dose_items(dose, scenario, overrides=overrides)
        for k in range(dose.count):
            start = round((dose.start_day + k * dose.interval_days) * 24.0, 9)
            if start < scenario.duration_hours:
                out.append(Administration(dose.drug, start, dose.infusion_minutes, items))
    out.sort(key=lambda a: (a.start_h, a.drug))
    for drug in {a.drug for a in out}:
        mine = [a for a in out if a.drug == drug and a.minutes > 0]
        for a, b in itertools.pairwise(mine):
            if b.start_h < a.start_h + a.minutes / 60.0 - 1e-9:
                raise InputError("dose", f"{drug} at {a.start_h:g} h and {b.start_h:g} h",
                                 "infusions of one drug that do not overlap")
    return out
