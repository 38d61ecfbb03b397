"""A scenario compiled once for its model: the :class:`Plan` that the simulator, the endpoints and the figures read.

Working a scenario out (its parameter values, the sessions it performs, its drug administrations and the input
changes they make) takes the parameter tables, the model's manifest and, for random adherence, the seeded draws.
:func:`plan` does it once; everything downstream reads the plan instead of expanding the scenario again.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

import numpy as np
import numpy.typing as npt

from crosstalk.model.observables import HEART_FAILURE_LVEF_PERCENT
from crosstalk.model.parameters import parameter_ids
from crosstalk.model.registry import model_info
from crosstalk.plan.schedule import Breakpoint, breakpoints
from crosstalk.plan.timeline import Administration, Session, administrations, exercise_sessions
from crosstalk.spec.scenario import Scenario

__all__ = ["EVENT_STEP_MINUTES", "EVENT_TAIL_HOURS", "HEART_FOLLOW_UP_DAYS", "SURGERY_AFTER_LAST_DOSE_DAYS", "Plan",
           "ReadingTimeWarning", "event_times", "output_grid", "plan"]

#: LVEF keeps falling for months after an anthracycline: Cardinale D et al. (2015) Circulation 131:1981 found 98 %
#: of CTRCD within 12 months of the last dose. Heart endpoints read sooner miss events.
HEART_FOLLOW_UP_DAYS = 365.0
#: Neoadjuvant chemotherapy is followed by surgery within weeks (NSABP B-18: 3-6 weeks after the last AC cycle);
#: a tumour volume read much later than that describes a tumour the clinic would have removed.
SURGERY_AFTER_LAST_DOSE_DAYS = 42.0


class ReadingTimeWarning(UserWarning):
    """An endpoint is read at a time that makes it mislead: heart endpoints too soon after an anthracycline, the
    tumour long after surgery would be, or a window that ends after the scenario."""

#: Spacing of the samples inside every exercise session and infusion (min): blood NK cells peak within a bout and
#: a 6-hour output grid passes between every bout; 5 min puts each peak within 1 % of a 1-minute reference.
EVENT_STEP_MINUTES = 5.0
#: How long after a session or an infusion ends the samples stay dense (h), at three times the spacing: the
#: post-exercise dip of blood NK cells and the post-infusion fall of plasma drug levels.
EVENT_TAIL_HOURS = 6.0


def output_grid(duration_hours: float, step_hours: float) -> npt.NDArray[np.float64]:
    """Output times (h): every ``step_hours`` from 0, and the end itself when the step does not divide it."""
    n = int(np.floor(duration_hours / step_hours + 1e-9)) + 1
    grid = np.round(np.arange(n) * step_hours, 9)
    if grid[-1] < duration_hours - 1e-9:
        grid = np.append(grid, duration_hours)
    return grid


def event_times(windows: list[tuple[float, float]], end_h: float, *, step_minutes: float = EVENT_STEP_MINUTES,
                tail_hours: float = EVENT_TAIL_HOURS) -> npt.NDArray[np.float64]:
    """Sample times (h) that resolve each ``(start_h, end_h)`` window: every ``step_minutes`` inside it, then every
    ``3 step_minutes`` for ``tail_hours`` after it; none past ``end_h``.

    Parameters
    ----------
    windows : list of (float, float)
        Start and end (h) of each window to resolve (exercise sessions, infusions).
    end_h : float
        The end of the simulation (h).
    step_minutes : float
        Spacing inside a window.
    tail_hours : float
        How long after a window's end the spacing stays fine (three times ``step_minutes``).

    >>> event_times([(10.0, 10.5)], 100.0, tail_hours=0.5).tolist()  # doctest: +NORMALIZE_WHITESPACE
    [10.0, 10.083333333, 10.166666667, 10.25, 10.333333333, 10.416666667, 10.5, 10.75, 11.0]
    """
    step = step_minutes / 60.0
    pieces = []
    for start, stop in windows:
        inside = np.arange(start, stop + 1e-9, step)
        tail = np.arange(stop, min(stop + tail_hours, end_h) + 1e-9, 3.0 * step)
        pieces.extend([inside, tail])
    if not pieces:
        return np.empty(0)
    times = np.unique(np.round(np.concatenate(pieces), 9)).astype(np.float64)
    out: npt.NDArray[np.float64] = times[times <= end_h]
    return out


@dataclass(frozen=True, eq=False)
class Plan:
    """What one scenario does on its model, worked out once.

    Attributes
    ----------
    scenario : Scenario
        The spec it was compiled from.
    overrides : Mapping
        Parameter id -> value that differ from the model's table: the species' set, then the patient's body size,
        then blockades, then the scenario's explicit ``[parameters]`` (which win).
    sessions : tuple of Session
        The exercise sessions performed (adherence applied), in time order.
    administrations : tuple of Administration
        Every drug administration that starts before the end, in time order.
    breakpoints : tuple of Breakpoint
        The input changes the simulator applies, up to and including the end.
    output_times : ndarray
        The output grid (h).
    event_times : ndarray
        Further sample times (h) that resolve every session and infusion (:func:`event_times`); empty when the
        plan was made without them.
    """

    scenario: Scenario
    overrides: Mapping[str, float]
    sessions: tuple[Session, ...]
    administrations: tuple[Administration, ...]
    breakpoints: tuple[Breakpoint, ...]
    output_times: npt.NDArray[np.float64]
    event_times: npt.NDArray[np.float64] = field(default_factory=lambda: np.empty(0))

    @property
    def model(self) -> str:
        """The model the plan is for."""
        return self.scenario.model

    @property
    def end_h(self) -> float:
        """The end of the scenario (h)."""
        return self.scenario.duration_hours

    def endpoint_facts(self) -> dict[str, Any]:
        """The schedule facts :func:`crosstalk.model.observables.compute_endpoints` needs (keyword arguments)."""
        first_dose_end: dict[str, float] = {}
        for a in self.administrations:
            first_dose_end.setdefault(a.drug, a.start_h + a.minutes / 60.0)
        first = self.sessions[0] if self.sessions else None
        day = self.scenario.tumour_assessment_day
        table = parameter_ids(self.model)
        cut = table["heart_failure_lvef_percent"].value if "heart_failure_lvef_percent" in table else \
            HEART_FAILURE_LVEF_PERCENT
        return {
            "first_start_h": first.start_h if first else None,
            "first_end_h": first.end_h if first else None,
            "minutes_total": sum(s.minutes for s in self.sessions),
            "sessions_total": len(self.sessions),
            "first_dose_end_h": first_dose_end,
            "tumour_assessment_h": None if day is None else day * 24.0,
            "heart_failure_lvef_percent": float(self.overrides.get("heart_failure_lvef_percent", cut)),
        }

    def __reduce__(self) -> tuple[Any, ...]:  # a read-only mapping does not pickle; a plan travels to workers
        return (Plan, (self.scenario, dict(self.overrides), self.sessions, self.administrations, self.breakpoints,
                       self.output_times, self.event_times))


def plan(scenario: Scenario, *, resolve_events: bool = True) -> Plan:
    """Compile ``scenario`` for its model (``scenario.model``).

    With ``resolve_events`` (the default) the plan samples every session and infusion densely
    (:func:`event_times`), so that series and figures show each peak and dip that the endpoints report.

    Examples
    --------
    >>> from crosstalk.spec.scenario import ExerciseRegime, Scenario
    >>> p = plan(Scenario("bout", model="exercise", exercise=(ExerciseRegime(session_days=(0,)),)))
    >>> len(p.sessions), p.sessions[0].minutes
    (1, 60.0)

    Raises
    ------
    InputError
        If sessions overlap or start after the end, or infusions of one drug overlap.
    """
    overrides = scenario.parameter_overrides()
    doses = tuple(administrations(scenario, overrides=overrides))
    _warn_reading_times(scenario, doses)
    sessions = tuple(exercise_sessions(scenario, doses=doses))
    end = scenario.duration_hours
    points = tuple(bp for bp in breakpoints(scenario, sessions=sessions, doses=doses) if bp.time_h <= end)
    grid = output_grid(end, scenario.output_step_hours)
    windows = [(s.start_h, s.end_h) for s in sessions] + [(a.start_h, a.start_h + a.minutes / 60.0) for a in doses
                                                          if a.minutes > 0]
    dense = event_times(windows, end) if resolve_events else np.empty(0)
    for array in (grid, dense):
        array.setflags(write=False)
    return Plan(scenario, MappingProxyType(dict(overrides)), sessions, doses, points, grid, dense)


def _warn_reading_times(scenario: Scenario, doses: tuple[Administration, ...]) -> None:
    """Warn (:class:`ReadingTimeWarning`) where an endpoint would be read at a misleading time."""
    end_day = scenario.duration_days
    for i, regime in enumerate(scenario.exercise):
        if regime.end_day is not None and regime.end_day > end_day:
            warnings.warn(f"scenario {scenario.name!r}: exercise[{i}].end_day = {regime.end_day:g} is after the end "
                          f"(duration_days = {end_day:g}); sessions stop at the end", ReadingTimeWarning, stacklevel=3)
    drugs = model_info(scenario.model).drugs
    # drugs with a labelled lifetime cap are the cardiotoxic ones (the anthracyclines)
    capped = [a for a in doses if drugs[a.drug].cumulative_cap_mg_per_m2 is not None]
    if not capped:
        return
    last = max(a.start_h for a in capped) / 24.0
    names = ", ".join(sorted({a.drug for a in capped}))
    after = end_day - last
    if after < HEART_FOLLOW_UP_DAYS:
        warnings.warn(f"scenario {scenario.name!r}: heart endpoints (lvef_nadir_percent, ctrcd, heart_failure, "
                      f"cardiomyocyte_loss_percent) are read {after:.0f} days after the last {names} dose, but LVEF "
                      "keeps falling for about a year "
                      f"(Cardinale 2015); set duration_days >= {last + HEART_FOLLOW_UP_DAYS:.0f} to count their events",
                      ReadingTimeWarning, stacklevel=3)
    if (scenario.tumour_assessment_day is None and "tumour_volume_mm3" in observable_names(scenario.model)
            and after > SURGERY_AFTER_LAST_DOSE_DAYS):
        warnings.warn(f"scenario {scenario.name!r}: tumour endpoints are read at the end (day {end_day:g}), "
                      f"{after:.0f} days after the last {names} dose, when surgery would have removed the tumour; "
                      f"set tumour_assessment_day (e.g. {last + 21:.0f}, three weeks after it)",
                      ReadingTimeWarning, stacklevel=3)


def observable_names(model: str) -> frozenset[str]:
    """Names of the observables ``model`` has."""
    return frozenset(o.name for o in model_info(model).observables)
