"""A scenario compiled once for its model: the :class:`Plan` that the simulator, the endpoints and the figures read.

Working a scenario out (its parameter values, the sessions it performs, its drug administrations and the input
changes they make) takes the parameter tables, the model's manifest and, for random adherence, the seeded draws.
:func:`plan` does it once; everything downstream reads the plan instead of expanding the scenario again.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

import numpy as np
import numpy.typing as npt

from crosstalk.plan.schedule import Breakpoint, breakpoints
from crosstalk.plan.timeline import Administration, Session, administrations, exercise_sessions
from crosstalk.spec.scenario import Scenario

__all__ = ["Plan", "output_grid", "plan"]


def output_grid(duration_hours: float, step_hours: float) -> npt.NDArray[np.float64]:
    """Output times (h): every ``step_hours`` from 0, and the end itself when the step does not divide it."""
    n = int(np.floor(duration_hours / step_hours + 1e-9)) + 1
    grid = np.round(np.arange(n) * step_hours, 9)
    if grid[-1] < duration_hours - 1e-9:
        grid = np.append(grid, duration_hours)
    return grid


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
    """

    scenario: Scenario
    overrides: Mapping[str, float]
    sessions: tuple[Session, ...]
    administrations: tuple[Administration, ...]
    breakpoints: tuple[Breakpoint, ...]
    output_times: npt.NDArray[np.float64]

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
        return {
            "first_start_h": first.start_h if first else None,
            "first_end_h": first.end_h if first else None,
            "minutes_total": sum(s.minutes for s in self.sessions),
            "sessions_total": len(self.sessions),
            "first_dose_end_h": first_dose_end,
            "tumour_assessment_h": None if day is None else day * 24.0,
        }

    def __reduce__(self) -> tuple[Any, ...]:  # a read-only mapping does not pickle; a plan travels to workers
        return (Plan, (self.scenario, dict(self.overrides), self.sessions, self.administrations, self.breakpoints,
                       self.output_times))


def plan(scenario: Scenario) -> Plan:
    """Compile ``scenario`` for its model (``scenario.model``).

    Examples
    --------
    >>> from crosstalk.spec.scenario import ExerciseRegime, Scenario
    >>> p = plan(Scenario("bout", model="exercise", exercise=(ExerciseRegime(session_days=(0,)),)))
    >>> len(p.sessions), p.sessions[0].minutes
    (1, 45.0)

    Raises
    ------
    InputError
        If sessions overlap or start after the end, or infusions of one drug overlap.
    """
    overrides = scenario.parameter_overrides()
    doses = tuple(administrations(scenario, overrides=overrides))
    sessions = tuple(exercise_sessions(scenario, doses=doses))
    end = scenario.duration_hours
    points = tuple(bp for bp in breakpoints(scenario, sessions=sessions, doses=doses) if bp.time_h <= end)
    grid = output_grid(end, scenario.output_step_hours)
    grid.setflags(write=False)
    return Plan(scenario, MappingProxyType(dict(overrides)), sessions, doses, points, grid)
