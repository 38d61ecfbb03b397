"""How consistent with the calibration data are the uncertainty ensemble's parameter sets, drawn freely or
re-calibrated by the anchors? Per calibration check, the share of sets that still pass it.

Run from the repository root (~6 min on 2 cores; not part of ``make bench``)::

    python benchmarks/anchor_consistency.py [N]

Draws N sets (default 40, seed 7) for ``aerobic_during_ac``'s model twice: freely from the tables' uncertainty,
and with :func:`crosstalk.validation.anchors.anchor_conditioning` (re-solved per set). For each set it runs every
check whose target a fitted row was fitted to (the calibration data; held-out predictions are not checks here) and
records which pass. Writes ``benchmarks/results_anchor_consistency.json``.
"""

from __future__ import annotations

import json
import sys
import time
import warnings
from pathlib import Path
from typing import Any

from crosstalk import load_scenario
from crosstalk.calibrate.ensemble import POPULATION, condition_members, draw_ensemble, population_quantities
from crosstalk.errors import CrosstalkError
from crosstalk.model.parameters import parameter_ids, parameter_table
from crosstalk.sim.simulator import Simulator, simulator_for
from crosstalk.studies.executors import RunFailure, local_executor, run_many
from crosstalk.validation.anchors import READINGS, anchor_conditioning
from crosstalk.validation.cardiac import swain_course
from crosstalk.validation.check import CHECKS, run_check
from crosstalk.validation.population_heart import ECHO_SD, SENSITIVITY_SD, cardiac_population

REPO = Path(__file__).resolve().parent.parent
#: The calibration checks: the targets fitted rows were fitted to, minus the population fit that takes 8 s a run
#: and the mouse experiment (the sets' values are the human set's, not the mouse's).
TARGETS = sorted({p.fit for p in parameter_table("crosstalk") if p.fit}
                 - {"neoadjuvant_ac_response", "exercise_tumour_growth"})


def passes(values: dict[str, float]) -> dict[str, bool]:
    """Which calibration checks pass with these parameter values (module level: it runs in workers). A criterion
    with a cheap reading (:data:`crosstalk.validation.anchors.READINGS`) is read at the set's drawn population
    quantities (the heart's spread and echo error), as its anchor was solved, and so is Swain's heart-failure curve;
    the check itself reads the defaults."""
    out = {}
    population = population_quantities(values)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for target in TARGETS:
            model = CHECKS[target].model
            ids = parameter_ids(model)
            parameters = {k: v for k, v in values.items() if k in ids}
            try:
                criteria = dict(run_check(target, parameters=parameters).criteria)
                for (t, name), read in READINGS.items():
                    if t == target and population:
                        criteria[name] = (read(simulator_for(model), parameters, population), *criteria[name][1:])
                if target == "swain_chf_dose_response":
                    criteria = _swain_at(simulator_for(model), parameters, population, criteria)
                out[target] = all(lo <= v <= hi for v, lo, hi in criteria.values())
            except CrosstalkError:
                out[target] = False
    return out


def _swain_at(sim: Simulator, parameters: dict[str, float], population: dict[str, float],
              criteria: dict[str, Any]) -> dict[str, Any]:
    """The Swain check's population criteria read at the set's own spread and echo error when it drew them (as its
    heart was re-fitted; else the fitted ones); the deprecated ``chf_risk`` criteria (the median patient's loss on
    Swain's curve, not the population) left out."""
    cardiac = cardiac_population(population.get(POPULATION + ECHO_SD))
    out = {}
    for name, (_, lo, hi) in criteria.items():
        if name.startswith("heart_failure_at_"):
            dose = float(name.rsplit("_", 1)[1])
            courses = cardiac.courses(sim, swain_course(dose, model=sim.model, parameters=parameters))
            out[name] = (cardiac.incidence(courses, "heart_failure",
                                           sensitivity_sd=population.get(POPULATION + SENSITIVITY_SD)), lo, hi)
    return out


def shares(found: list[Any]) -> dict[str, Any]:
    ok = [f for f in found if not isinstance(f, RunFailure)]
    return {"sets": len(found), "checked": len(ok),
            "all_pass": sum(all(f.values()) for f in ok),
            "per_check": {t: sum(f[t] for f in ok) for t in TARGETS}}


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 40
    scenario = load_scenario("aerobic_during_ac")
    conditioning = anchor_conditioning(scenario.model, scenario.species)
    assert conditioning is not None
    with local_executor(2) as pool:
        free = draw_ensemble(scenario, n, seed=7)
        drawn = [{str(k): float(v) for k, v in r.items()} for r in free.values().to_dict("records")]
        free_found = run_many(drawn, passes, executor=pool, progress=False)
        anchored = draw_ensemble(scenario, n, seed=7, conditioning=conditioning)
        values = condition_members(anchored, conditioning, executor=pool, progress=False)
        ready = [dict(v) for v in values if not isinstance(v, RunFailure)]
        anchored_found = run_many(ready, passes, executor=pool, progress=False)
    out = {"date": time.strftime("%Y-%m-%d"), "n": n, "seed": 7, "targets": TARGETS, "free": shares(free_found),
           "anchored": {**shares(anchored_found), "not_calibrated": n - len(ready)},
           "anchored_parameters": sorted(conditioning.solves.values())}
    (REPO / "benchmarks" / "results_anchor_consistency.json").write_text(json.dumps(out, indent=2) + "\n")
    print(json.dumps(out, indent=2))


if __name__ == "__main__":
    main()
