"""Schedule handling: breakpoints between integration segments vs the same schedule as SBML events.

Run: ``python benchmarks/bench_schedule.py``. Prints per-simulation times measured in this run and their
ratio, for a 180-day course with aerobic bouts 3x/week (77 one-hour bouts).
"""

from __future__ import annotations

import time

import numpy as np
import roadrunner

from crosstalk.model.parameters import model_sbml
from crosstalk.plan.schedule import breakpoints, to_sbml_events
from crosstalk.sim.simulator import Simulator
from crosstalk.spec.scenario import ExerciseRegime, Scenario

SCENARIO = Scenario("bench", model="exercise", duration_days=180, output_step_hours=24.0,
                    exercise=(ExerciseRegime(intensity=0.7, minutes=60, sessions_per_week=3),))


def timed(fn, n: int) -> float:
    fn()
    t0 = time.perf_counter()
    for _ in range(n):
        fn()
    return (time.perf_counter() - t0) / n


def main(n: int = 20) -> None:
    sim = Simulator("exercise")
    rr = roadrunner.RoadRunner(to_sbml_events(model_sbml("exercise"), breakpoints(SCENARIO)))
    rr.integrator.relative_tolerance = sim._settings["rtol"]
    rr.integrator.absolute_tolerance = sim._settings["atol"]
    grid = np.arange(0, 180 * 24 + 1, 24.0).tolist()

    def events() -> None:
        rr.reset()
        rr.simulate(times=grid)

    t_bp = timed(lambda: sim.run(SCENARIO), n)
    t_ev = timed(events, n)
    print(f"180-day course, {len(breakpoints(SCENARIO)) // 2} bouts, rtol {sim._settings['rtol']:g}")
    print(f"  breakpoints (Simulator.run, incl. endpoints): {t_bp * 1e3:8.2f} ms/simulation")
    print(f"  SBML events (roadrunner.simulate):           {t_ev * 1e3:8.2f} ms/simulation")
    print(f"  ratio events / breakpoints:                  {t_ev / t_bp:8.2f}")


if __name__ == "__main__":
    main()
