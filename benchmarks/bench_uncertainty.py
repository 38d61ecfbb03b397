"""What an interval costs: ``--uncertainty N`` on ``aerobic_during_ac``, with and without re-calibrating each set.

Run from the repository root (``make bench`` runs it, ~3 min on 2 cores)::

    python benchmarks/bench_uncertainty.py

Measures, on 2 worker processes: the point run; 100 parameter sets drawn from the tables' uncertainty and run
(no conditioning); the same 100 sets each re-calibrated to the anchored data first
(:mod:`crosstalk.validation.anchors`), split into the calibration and the runs. The target is <= 1 min for a
100-member interval on 2 cores. Writes ``benchmarks/results_uncertainty.json``.
"""

from __future__ import annotations

import json
import time
import warnings
from pathlib import Path

from crosstalk import load_scenario
from crosstalk.calibrate.ensemble import condition_members, draw_ensemble, run_ensemble
from crosstalk.sim.result import versions
from crosstalk.sim.simulator import simulate
from crosstalk.studies.executors import local_executor
from crosstalk.validation.anchors import anchor_conditioning

REPO = Path(__file__).resolve().parent.parent
N = 100


def main() -> None:
    warnings.simplefilter("ignore")
    scenario = load_scenario("aerobic_during_ac")
    t0 = time.perf_counter()
    simulate(scenario)
    point = time.perf_counter() - t0
    conditioning = anchor_conditioning(scenario.model, scenario.species)
    assert conditioning is not None
    with local_executor(2) as pool:
        run_ensemble(scenario, draw_ensemble(scenario, 4, seed=9), executor=pool, progress=False)  # warm workers
        free = draw_ensemble(scenario, N, seed=1)
        t0 = time.perf_counter()
        run_ensemble(scenario, free, executor=pool, progress=False)
        unconditioned = time.perf_counter() - t0
        anchored = draw_ensemble(scenario, N, seed=1, conditioning=conditioning)
        t0 = time.perf_counter()
        values = condition_members(anchored, conditioning, executor=pool, progress=False)
        calibration = time.perf_counter() - t0
        t0 = time.perf_counter()
        run = run_ensemble(scenario, anchored, values=values, executor=pool, progress=False)
        runs = time.perf_counter() - t0
    out = {"date": time.strftime("%Y-%m-%d"), "scenario": scenario.name, "n": N, "workers": 2,
           "point_run_s": round(point, 2),
           "unconditioned_s": round(unconditioned, 1), "calibration_s": round(calibration, 1),
           "conditioned_runs_s": round(runs, 1), "conditioned_total_s": round(calibration + runs, 1),
           "members_not_calibrated": int((run.failures["stage"] == "calibration").sum()),
           "versions": versions()}
    (REPO / "benchmarks" / "results_uncertainty.json").write_text(json.dumps(out, indent=2) + "\n")
    print(json.dumps(out, indent=2))


if __name__ == "__main__":
    main()
