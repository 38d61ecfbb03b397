"""How fast could a timescale-separated ("fast") mode be? The bound, measured in one run.

Run from the repository root (``make bench`` runs it, ~1 min)::

    python benchmarks/bench_fast_ceiling.py

A fast mode would integrate the composed model with the bouts' fast exercise transients removed and hand each
bout's effect to the slow states as impulses computed by a bout kernel. Whatever the kernel, such a run costs at
least (a) the course without exercise, (b) plus one impulse breakpoint per bout, (c) plus one kernel evaluation
per bout. This script measures, on the ``aerobic_during_ac`` course (180 days, 36 bouts, AC 4 cycles, 24 h
grid, rtol 1e-6): the resolved run; (a); (b) with a harmless impulse (one NK cell into the tumour 30 min after
each bout); and (c) a raw roadrunner kernel on the exercise module alone (reset, one 45-min bout at 65 % VO2max
and the 11.25 h after it). The ceiling of the per-core speed-up is resolved / (a); a kernel run per bout gives
resolved / ((b) + 36 (c)). Ratios are taken within this run (the machine is shared). It also counts CVODE's
internal steps of the three runs and times one integrator restart over a quiet half hour (first step 1e-12 h,
as the Simulator uses, and 1e-4 h), and repeats (a) and (b) with the molecule tolerance loosened to 1e13
items: what per-species tolerances could at most give a fast run.
"""

from __future__ import annotations

import importlib
import json
import sys
import time
from dataclasses import replace
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
#: Absolute tolerance of molecule counts (items) that still moves no endpoint by more than 0.001 % on this course.
LOOSE_MOLECULE_ATOL = 1e13


def timed(fn, n: int) -> float:
    """Mean seconds per call after one warm-up call."""
    fn()
    t0 = time.perf_counter()
    for _ in range(n):
        fn()
    return (time.perf_counter() - t0) / n


class _CountingRunner:
    """Wraps a RoadRunner so that each ``oneStep(t, h, reset)`` of :meth:`Simulator.run` is taken one internal
    CVODE step at a time (``variable_step_size``), counting the steps; the trajectory is the same."""

    def __init__(self, rr) -> None:
        self.__dict__.update(rr=rr, steps=0)

    def __getattr__(self, name):
        return getattr(self.rr, name)

    def __getitem__(self, key):
        return self.rr[key]

    def oneStep(self, t: float, h: float, reset: bool) -> float:
        end = t + h
        self.rr.integrator.variable_step_size = True
        try:
            while True:
                t = self.rr.oneStep(t, end - t, reset)
                reset = False
                self.__dict__["steps"] += 1
                if t >= end - 1e-12 * max(1.0, end):
                    return t
        finally:
            self.rr.integrator.variable_step_size = False


def cvode_steps(sim, scenario) -> int:
    """Internal CVODE steps of ``sim.run(scenario)``."""
    counting = _CountingRunner(sim._rr)
    sim._rr = counting
    try:
        sim.run(scenario)
    finally:
        sim._rr = counting.rr
    return int(counting.steps)


def restart_cost(rr, first_step: float, n: int = 300) -> float:
    """Seconds per ``oneStep(t, 0.5 h, reset=True)`` on a quiet model (a restart and the steps it needs)."""
    rr.integrator.initial_time_step = first_step
    t = rr.oneStep(0.0, 1.0, True)
    t0 = time.perf_counter()
    for _ in range(n):
        t = rr.oneStep(t, 0.5, True)
    return (time.perf_counter() - t0) / n


def main() -> int:
    import roadrunner

    from crosstalk.model.parameters import model_path
    from crosstalk.plan.schedule import Breakpoint
    from crosstalk.plan.timeline import exercise_sessions
    from crosstalk.spec.scenario import load_scenario

    simulate_module = importlib.import_module("crosstalk.sim.simulator")
    scenario = replace(load_scenario(REPO / "scenarios" / "aerobic_during_ac.toml"), output_step_hours=24.0)
    sessions = exercise_sessions(scenario)
    sim = simulate_module.Simulator("crosstalk", rtol=1e-6)
    sedentary = replace(scenario, exercise=())
    resolved = timed(lambda: sim.run(scenario), 10)
    no_exercise = timed(lambda: sim.run(sedentary), 10)
    original = simulate_module.breakpoints

    def with_impulses(sc):
        extra = [Breakpoint(s.end_h + 0.5, (), (("nk_tumour", 1.0),)) for s in sessions]
        return sorted(original(sc) + extra, key=lambda b: b.time_h)

    simulate_module.breakpoints = with_impulses
    try:
        impulses = timed(lambda: sim.run(sedentary), 10)
    finally:
        simulate_module.breakpoints = original
    rr = roadrunner.RoadRunner(model_path("exercise").read_text(encoding="utf-8"))
    rr.integrator.relative_tolerance = 1e-6
    ids = list(rr.model.getFloatingSpeciesIds())
    on, intensity = ids.index("exercise_on"), ids.index("exercise_intensity")

    def kernel() -> None:
        rr.reset()
        rr.model.setFloatingSpeciesAmounts([on, intensity], [1.0, 0.65])
        rr.oneStep(0.0, 0.75, True)
        rr.model.setFloatingSpeciesAmounts([on, intensity], [0.0, 0.0])
        rr.oneStep(0.75, 11.25, True)

    per_bout = timed(kernel, 200)
    steps = {"resolved": cvode_steps(sim, scenario), "no_exercise": cvode_steps(sim, sedentary)}
    simulate_module.breakpoints = with_impulses
    try:
        steps["no_exercise_with_impulses"] = cvode_steps(sim, sedentary)
    finally:
        simulate_module.breakpoints = original
    # the drug phase at the loosest molecule tolerance that leaves the endpoints unchanged (< 0.001 %, measured):
    # an upper bound of what per-species tolerances could give a fast run, against the resolved run as it is
    loose = simulate_module.Simulator("crosstalk", rtol=1e-6, atol_molecules=LOOSE_MOLECULE_ATOL)
    simulate_module.breakpoints = with_impulses
    try:
        loose_impulses = timed(lambda: loose.run(sedentary), 10)
    finally:
        simulate_module.breakpoints = original
    loose_no_exercise = timed(lambda: loose.run(sedentary), 10)
    quiet = roadrunner.RoadRunner(model_path("crosstalk").read_text(encoding="utf-8"))
    quiet.integrator.relative_tolerance = 1e-6
    restart_ms = {f"first_step_{h:g}_h": 1e3 * restart_cost(quiet, h) for h in (1e-12, 1e-4)}
    n = len(sessions)
    fig = {"date": time.strftime("%Y-%m-%d"), "bouts": n, "resolved_ms": 1e3 * resolved,
           "no_exercise_ms": 1e3 * no_exercise, "no_exercise_with_impulses_ms": 1e3 * impulses,
           "kernel_per_bout_ms": 1e3 * per_bout, "ceiling_speedup": resolved / no_exercise,
           "kernel_per_bout_speedup": resolved / (impulses + n * per_bout), "cvode_steps": steps,
           "restart_ms": restart_ms, "loose_molecule_atol": LOOSE_MOLECULE_ATOL,
           "loose_no_exercise_ms": 1e3 * loose_no_exercise, "loose_with_impulses_ms": 1e3 * loose_impulses,
           "loose_ceiling_speedup": resolved / loose_no_exercise,
           "loose_with_impulses_speedup": resolved / loose_impulses}
    print(f"resolved {fig['resolved_ms']:.1f} ms; without exercise {fig['no_exercise_ms']:.1f} ms; with {n} impulse "
          f"breakpoints {fig['no_exercise_with_impulses_ms']:.1f} ms; exercise-module kernel "
          f"{fig['kernel_per_bout_ms']:.2f} ms per bout")
    print(f"ceiling (free kernel, no impulses): {fig['ceiling_speedup']:.1f}x per core; one kernel per bout: "
          f"{fig['kernel_per_bout_speedup']:.1f}x")
    print(f"CVODE steps: resolved {steps['resolved']}, without exercise {steps['no_exercise']}, with the "
          f"{n} impulses {steps['no_exercise_with_impulses']}; a restart over a quiet half hour "
          + ", ".join(f"{v:.3f} ms ({k.replace('_', ' ')})" for k, v in restart_ms.items()))
    print(f"molecule atol {LOOSE_MOLECULE_ATOL:g} in the fast run: without exercise "
          f"{fig['loose_ceiling_speedup']:.1f}x, with the impulses {fig['loose_with_impulses_speedup']:.1f}x "
          "(free kernel)")
    out = REPO / "benchmarks" / "results_fast_ceiling.json"
    out.write_text(json.dumps(fig, indent=2), encoding="utf-8")
    print(f"figures -> {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
