"""Throughput, accuracy, parallel efficiency, memory and study wall time, measured in one run.

Run from the repository root (``make bench``)::

    python benchmarks/bench_throughput.py            # everything, ~25 min on 2 cores
    python benchmarks/bench_throughput.py --quick    # fewer samples, shorter memory loop (~6 min)

Workload: the built-in ``aerobic_during_ac`` scenario (180 days: AC 4 x 60 mg/m2 q3w, aerobic 45 min 3x/week for
12 weeks = 36 one-hour-scale bouts, output every 24 h as in the analysis specs) with random values of five
biological parameters of ``analysis/regimes_during_ac.toml`` (the parameters every engine can set by name).
Each engine simulates the same parameter sets on the same machine:

* crosstalk: :class:`crosstalk.sim.simulator.Simulator` in this process (1 worker) and the sensitivity engine's
  process pool (all workers), at the study tolerance (rtol 1e-6) and at the scenario default (1e-8);
* (a) the tellurium idiom: ``te.loada`` once, then per sample ``resetAll()``, ``r[k] = v``, ``simulate()``, on
  the scenario exported by ``crosstalk export`` (schedule as SBML events), default tolerances;
* (b) COPASI through basico on the same exported SBML (LSODA, default tolerances);
* (c) SALib's ``ProblemSpec.evaluate(..., nprocs=all)`` around a plain roadrunner function.

Accuracy: the largest relative error of the four study endpoints against crosstalk at rtol 1e-10 (tight
absolute tolerances), over the same samples. Every figure printed comes from this run; ratios are taken
between figures of this run only (the machine is shared and noisy).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
import warnings
from dataclasses import replace
from importlib import metadata
from pathlib import Path

import numpy as np
import pandas as pd

REPO = Path(__file__).resolve().parent.parent
#: The endpoints compared (the heart's injury, not the LVEF drop, which is 0 within the myocardial reserve)
OUTPUTS = ("tumour_volume_change_percent", "cardiomyocyte_loss_percent", "chf_risk_final", "nk_tumour_cells_mean")
#: name, low, high, log-uniform (biological ranges of analysis/bench_20_parameters.toml)
RANGES = (
    ("exev_release_per_intensity", 0.5, 2.0, True),
    ("nk_homing_gain", 20.0, 150.0, True),
    ("k_cardiomyocyte_loss", 4.0e-4, 1.8e-3, True),
    ("training_antioxidant_gain", 0.1, 0.5, False),
    ("tumour_growth_rate", 2.9e-4, 2.2e-3, True),
)
#: A rate constant and parameters that feed initial values: (study name, values), 12 each.
#: nk_blood_rest_per_ul sets the resting NK pools (amounts scale with the blood volume); il6_rest_pg_per_ml a
#: resting level (converted to model units by an initial assignment); blood_volume_ul and dox_v1_l compartment
#: volumes; patient.tumour_cells the initial tumour.
INITIAL_VALUE_SWEEPS = (
    ("tumour_growth_rate", np.geomspace(2.9e-4, 2.2e-3, 12)),
    ("nk_blood_rest_per_ul", np.linspace(100.0, 300.0, 12)),
    ("il6_rest_pg_per_ml", np.linspace(0.75, 3.0, 12)),
    ("blood_volume_ul", np.linspace(4.0e6, 6.0e6, 12)),
    ("dox_v1_l", np.linspace(9.0, 35.0, 12)),
    ("patient.tumour_cells", np.geomspace(1e9, 1e10, 12)),
)
STEP_H = 24.0


def rss_mb() -> float:
    """Resident set size of this process (MB), from /proc."""
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024.0
    return float("nan")


def base_scenario():
    from crosstalk.spec.scenario import load_scenario

    return replace(load_scenario(REPO / "scenarios" / "aerobic_during_ac.toml"), output_step_hours=STEP_H)


def parameter_sets(n: int, seed: int) -> list[dict[str, float]]:
    rng = np.random.default_rng(seed)
    out = []
    for _ in range(n):
        row = {}
        for name, lo, hi, log in RANGES:
            u = rng.random()
            row[name] = float(np.exp(np.log(lo) + u * (np.log(hi) - np.log(lo))) if log else lo + u * (hi - lo))
        out.append(row)
    return out


def endpoints_from(times: np.ndarray, columns: dict[str, np.ndarray], scenario) -> dict[str, float]:
    """The study endpoints of a trajectory computed by another engine (crosstalk's definitions)."""
    from crosstalk.sim.simulator import endpoints_for

    ep = endpoints_for(pd.DataFrame({"time_h": times, **columns}), scenario)
    return {k: float(ep[k]) for k in OUTPUTS}


def observable_ids(sbml_ids: set[str], model: str = "crosstalk") -> dict[str, str]:
    from crosstalk.model.observables import observables_for
    from crosstalk.model.parameters import flat_id

    return {o.name: flat_id(o.name, sbml_ids) for o in observables_for(model)}


# ------------------------------------------------------------------------------------------- engines
def run_crosstalk(sets, scenario, *, rtol: float, atol_tight: bool = False) -> tuple[float, list[dict]]:
    from crosstalk.sim.simulator import Simulator

    kw = {"atol_molecules": 1e-3, "atol_cells": 1e-9} if atol_tight else {}
    sim = Simulator("crosstalk", rtol=rtol, **kw)
    sim.run(scenario)  # warm
    t0 = time.perf_counter()
    out = []
    for p in sets:
        ep = sim.run(replace(scenario, parameters=p)).endpoints
        out.append({k: float(ep[k]) for k in OUTPUTS})
    return time.perf_counter() - t0, out


def _pool_job(args):
    from crosstalk.studies.sensitivity import SampleJob, _run_sample

    scenario, rtol = args
    return _run_sample(SampleJob(scenario, {}, OUTPUTS, (), None, rtol))


def run_crosstalk_pool(sets, scenario, *, rtol: float, workers: int, dask: bool = False) -> tuple[float, list]:
    """The sensitivity engine's executors (crosstalk.studies.executors.run_many on a local pool or a Dask LocalCluster),
    timed after every worker has compiled its model (warm-up tasks of one item each)."""
    from crosstalk.studies.executors import dask_executor, local_executor, run_many

    jobs = [(replace(scenario, parameters=p), rtol) for p in sets]
    warm = [(scenario, rtol)] * (2 * workers)
    # Dask: two batches per worker, as a chunk of 256 samples gives on 2 workers; the pool: run_many's default
    batch = max(1, -(-len(jobs) // (2 * workers))) if dask else None
    with dask_executor(n_workers=workers) if dask else local_executor(workers) as ex:
        run_many(warm, _pool_job, executor=ex, batch=1, progress=False)
        t0 = time.perf_counter()
        res = run_many(jobs, _pool_job, executor=ex, batch=batch, progress=False)
        return time.perf_counter() - t0, res


def run_tellurium(sets, scenario, sbml: str) -> tuple[float, float, list[dict]]:
    import roadrunner
    import tellurium as te

    roadrunner.Logger.setLevel(roadrunner.Logger.LOG_ERROR)  # SUNDIALS "t + h = t" warnings at events

    t0 = time.perf_counter()
    r = te.loada(te.sbmlToAntimony(sbml))
    load = time.perf_counter() - t0
    ids = observable_ids(set(r.model.getFloatingSpeciesIds()) | set(r.model.getGlobalParameterIds()))
    sel = ["time", *ids.values()]
    n_out = int(scenario.duration_hours / STEP_H) + 1
    out = []
    t0 = time.perf_counter()
    for p in sets:
        r.resetAll()
        for k, v in p.items():
            r[k] = v
        res = np.asarray(r.simulate(0, scenario.duration_hours, n_out, selections=sel))
        out.append((res, p))
    elapsed = time.perf_counter() - t0
    eps = [endpoints_from(res[:, 0], {name: res[:, j + 1] for j, name in enumerate(ids)}, scenario) for res, _ in out]
    return elapsed, load, eps


def run_basico(sets, scenario, sbml: str) -> tuple[float, float, list[dict]]:
    import basico

    t0 = time.perf_counter()
    dm = basico.load_model_from_string(sbml)
    load = time.perf_counter() - t0
    steps = int(scenario.duration_hours / STEP_H)
    frames = []
    t0 = time.perf_counter()
    for p in sets:
        for k, v in p.items():
            basico.set_parameters(k, initial_value=v, exact=True, model=dm)
        frames.append(basico.run_time_course(duration=scenario.duration_hours, intervals=steps, model=dm,
                                             use_sbml_id=True))
    elapsed = time.perf_counter() - t0
    basico.remove_datamodel(dm)
    ids = None
    eps = []
    for df in frames:
        ids = ids or observable_ids(set(df.columns))
        eps.append(endpoints_from(df.index.to_numpy(), {n: df[i].to_numpy() for n, i in ids.items()}, scenario))
    return elapsed, load, eps


_RR = {}


def _salib_model(x: np.ndarray, sbml_path: str, names: list[str], duration: float) -> np.ndarray:
    """A plain roadrunner model function as SALib users write it (one model per process, cached)."""
    import roadrunner

    r = _RR.get(sbml_path)
    if r is None:
        r = _RR[sbml_path] = roadrunner.RoadRunner(sbml_path)
    out = np.empty((len(x), 2))
    for i, row in enumerate(x):
        r.resetAll()
        for k, v in zip(names, row):
            r[k] = v
        res = r.simulate(0, duration, int(duration / STEP_H) + 1, ["time", "tumour_volume_mm3", "lvef_percent"])
        out[i] = [res[-1, 1], res[:, 2].min()]
    return out


def run_salib(sets, scenario, sbml_path: Path, workers: int) -> float:
    from SALib import ProblemSpec

    names = [name for name, *_ in RANGES]
    sp = ProblemSpec({"names": names, "bounds": [[lo, hi] for _, lo, hi, _ in RANGES], "outputs": ["V", "lvef"]})
    sp.set_samples(np.array([[p[k] for k in names] for p in sets]))
    t0 = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        sp.evaluate(_salib_model, str(sbml_path), names, scenario.duration_hours, nprocs=workers)
    return time.perf_counter() - t0


# ------------------------------------------------------------------------------------------- where the time goes
def cvode_steps(scenario, rtol: float = 1e-6) -> int:
    """Internal CVODE steps of the exported scenario (roadrunner, variable step output)."""
    import roadrunner

    from crosstalk.export import scenario_sbml

    r = roadrunner.RoadRunner(scenario_sbml(scenario))
    r.integrator.relative_tolerance = rtol
    r.integrator.variable_step_size = True
    return len(r.simulate(0, scenario.duration_hours))


def averaged_breakpoints(scenario, *, sessions=None, doses=None):
    """Naive bout-averaged forcing: every regime's sessions replaced by continuous exercise at the mean duty
    fraction (same intensity) from its first session's start to its last session's end (the planner's
    ``breakpoints`` signature)."""
    from crosstalk.plan.schedule import Breakpoint, breakpoints, exercise_sessions

    points = {bp.time_h: bp for bp in breakpoints(replace(scenario, exercise=()), sessions=(), doses=doses)}
    sessions = exercise_sessions(scenario) if sessions is None else sessions
    if not sessions:
        return sorted(points.values(), key=lambda b: b.time_h)
    start, end = sessions[0].start_h, sessions[-1].end_h
    duty = sum(x.minutes for x in sessions) / 60.0 / (end - start)
    on = {"exercise_on": duty, "exercise_intensity": sessions[0].intensity, "modality_resistance": 0.0,
          "modality_hiit": 0.0}
    for t, vals in ((round(start, 9), on), (round(end, 9), dict.fromkeys(on, 0.0))):
        bp = points.get(t)
        merged = {**dict(bp.values if bp else ()), **vals}
        points[t] = Breakpoint(t, tuple(sorted(merged.items())), bp.increments if bp else ())
    return [points[t] for t in sorted(points)]


def run_averaged(sets, scenario) -> tuple[float, list[dict]]:
    import importlib

    planner = importlib.import_module("crosstalk.plan.planner")  # where the schedule becomes breakpoints
    resolved = planner.breakpoints
    planner.breakpoints = averaged_breakpoints
    try:
        return run_crosstalk(sets, scenario, rtol=1e-6)
    finally:
        planner.breakpoints = resolved


# ------------------------------------------------------------------------------------------- memory
def _memory_worker(n: int) -> tuple[float, float, float]:
    """RSS (MB) after 100 warm-up simulations and after n more (a 7-day composed scenario with a bout and a dose)."""
    from crosstalk.sim.simulator import simulator_for
    from crosstalk.spec.scenario import DoseSchedule, ExerciseRegime, Scenario

    sc = Scenario("memory", model="crosstalk", duration_days=7, output_step_hours=24.0,
                  exercise=(ExerciseRegime(session_days=(1,)),),
                  dose=(DoseSchedule("doxorubicin", 60.0, "mg/m2", infusion_minutes=15),))
    sim = simulator_for("crosstalk", rtol=1e-6)
    rng = np.random.default_rng(0)
    for _ in range(100):
        sim.run(sc)
    before = rss_mb()
    t0 = time.perf_counter()
    for _ in range(n):
        sim.run(replace(sc, parameters={"tumour_growth_rate": float(rng.uniform(0.12, 0.24))}))
    return before, rss_mb(), time.perf_counter() - t0


def run_memory(n: int, workers: int) -> list[tuple[float, float, float]]:
    from crosstalk.studies.executors import local_executor, run_many

    if workers == 1:
        return [_memory_worker(n)]
    with local_executor(workers) as ex:
        return run_many([n] * workers, _memory_worker, executor=ex, batch=1, progress=False)


# ------------------------------------------------------------------------------------------- study
def run_study(n: int, workers: int, outdir: Path) -> tuple[float, int]:
    from crosstalk.studies.sensitivity import load_analysis, run_sensitivity

    spec = replace(load_analysis(REPO / "analysis" / "bench_20_parameters.toml"), n=n)
    t0 = time.perf_counter()
    res = run_sensitivity(spec, outdir, workers=workers, progress=False)
    return time.perf_counter() - t0, int(res.provenance["simulations"])


def run_initial_value_sweeps(scenario) -> dict[str, float]:
    """Per-sample cost (ms, in-process, study rtol) of a sweep over each parameter of INITIAL_VALUE_SWEEPS, every
    value applied as a study applies it (crosstalk.spec.scenario.apply_values) to one reused Simulator."""
    from crosstalk.sim.simulator import Simulator
    from crosstalk.spec.scenario import apply_values

    sim = Simulator("crosstalk", rtol=1e-6)
    sim.run(scenario)
    out = {}
    for name, values in INITIAL_VALUE_SWEEPS:
        t0 = time.perf_counter()
        for v in values:
            sim.run(apply_values(scenario, {name: float(v)}))
        out[name] = 1e3 * (time.perf_counter() - t0) / len(values)
    return out


def max_rel_error(a: list[dict], ref: list[dict]) -> dict[str, float]:
    return {k: max(abs(x[k] - y[k]) / max(abs(y[k]), 1e-12) for x, y in zip(a, ref)) for k in OUTPUTS}


def versions() -> dict[str, str]:
    """crosstalk's provenance versions plus those of the engines compared."""
    from crosstalk.sim.simulator import versions as crosstalk_versions

    out = crosstalk_versions()
    for pkg in ("tellurium", "copasi-basico", "python-copasi", "SALib", "distributed"):
        try:
            out[pkg] = metadata.version(pkg)
        except metadata.PackageNotFoundError:
            out[pkg] = "not installed"
    return out


def commit() -> str:
    """The repository's commit (with ``+`` when the tree has changes), or ``unknown`` outside a git clone."""
    import subprocess

    try:
        head = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=REPO, capture_output=True, text=True,
                              check=True).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=REPO,
                               capture_output=True, text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"
    return head + ("+" if dirty else "")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="fewer samples and a shorter memory loop")
    ap.add_argument("--samples", type=int, default=None, help="parameter sets per engine (default 60; quick 16)")
    ap.add_argument("--memory-sims", type=int, default=None, help="simulations per worker (default 20000)")
    ap.add_argument("--study-n", type=int, default=None, help="Sobol n of the measured 20-parameter study "
                                                                "(default 256; 4096 is the full study)")
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--json", default=str(REPO / "benchmarks" / "results.json"), help="where to write the figures")
    args = ap.parse_args(argv)
    n = args.samples or (16 if args.quick else 60)
    n_mem = args.memory_sims or (2000 if args.quick else 20000)
    study_n = args.study_n or (32 if args.quick else 256)
    from crosstalk.export import scenario_sbml
    from crosstalk.plan.schedule import exercise_sessions
    from crosstalk.studies.executors import default_workers

    workers = default_workers()
    scenario = base_scenario()
    sets = parameter_sets(n, args.seed)
    sbml = scenario_sbml(scenario)
    sbml_path = Path(os.environ.get("TMPDIR", "/tmp")) / "crosstalk_bench_aerobic_during_ac.xml"
    sbml_path.write_text(sbml, encoding="utf-8")
    started = time.perf_counter()
    fig: dict[str, object] = {"date": time.strftime("%Y-%m-%d"), "machine": f"{platform.machine()}, "
                              f"{workers} cores, {platform.platform()}", "versions": versions(), "samples": n,
                              "seed": args.seed, "commit": commit(),
                              "parameters": [name for name, *_ in RANGES],
                              "scenario": "aerobic_during_ac (180 d, 36 bouts, AC 4 cycles), 24 h grid"}
    print(f"# crosstalk throughput benchmark, {fig['date']}, {fig['machine']}", flush=True)
    print(f"# {n} parameter sets, seed {args.seed}; {workers} workers", flush=True)

    t_ref, ref = run_crosstalk(sets, scenario, rtol=1e-10, atol_tight=True)
    t1, ours1 = run_crosstalk(sets, scenario, rtol=1e-6)
    t1b, ours1b = run_crosstalk(sets, scenario, rtol=1e-8)
    tp, pool_rows = run_crosstalk_pool(sets, scenario, rtol=1e-6, workers=workers)
    tp1, _ = run_crosstalk_pool(sets, scenario, rtol=1e-6, workers=1)
    td, dask_rows = run_crosstalk_pool(sets, scenario, rtol=1e-6, workers=workers, dask=True)
    t_te, load_te, te_eps = run_tellurium(sets, scenario, sbml)
    t_cps, load_cps, cps_eps = run_basico(sets, scenario, sbml)
    t_sal = run_salib(sets, scenario, sbml_path, workers)
    # the single-process figures of sections 6 and 7 early: a failure there should not cost the long runs below
    t_none, _ = run_crosstalk(sets, replace(scenario, exercise=()), rtol=1e-6)
    t_avg, avg_eps = run_averaged(sets, scenario)
    steps = {"with exercise": cvode_steps(scenario), "without exercise": cvode_steps(replace(scenario, exercise=()))}
    avg_err = max_rel_error(avg_eps, ref)
    sweeps = run_initial_value_sweeps(scenario)
    rate = {
        "crosstalk, 1 worker, rtol 1e-6": n / t1,
        "crosstalk, 1 worker, rtol 1e-8": n / t1b,
        "crosstalk pool, 1 worker, rtol 1e-6": n / tp1,
        f"crosstalk pool, {workers} workers, rtol 1e-6": n / tp,
        f"crosstalk Dask LocalCluster, {workers} workers, rtol 1e-6": n / td,
        "(a) tellurium idiom, 1 process": n / t_te,
        "(b) COPASI via basico, 1 process": n / t_cps,
        f"(c) SALib ProblemSpec.evaluate, nprocs={workers}": n / t_sal,
        "reference crosstalk rtol 1e-10": n / t_ref,
    }
    best = rate[f"crosstalk pool, {workers} workers, rtol 1e-6"]
    print("\n## 1. Throughput (simulations per second; ratio = crosstalk pool on all workers / engine)")
    print("| engine | sims/s | ms/sim | ratio |\n|---|---|---|---|")
    for k, v in rate.items():
        print(f"| {k} | {v:.2f} | {1e3 / v:.1f} | {best / v:.2f} |")
    print(f"(model load: tellurium te.loada {load_te:.2f} s, basico {load_cps:.2f} s; not in the rates)")
    pool_eps = [{k: r[k] for k in OUTPUTS} for r in pool_rows]
    errors = {
        "crosstalk rtol 1e-6 (study default)": max_rel_error(ours1, ref),
        "crosstalk rtol 1e-8 (scenario default)": max_rel_error(ours1b, ref),
        "crosstalk pool rtol 1e-6": max_rel_error(pool_eps, ref),
        "(a) tellurium idiom (defaults)": max_rel_error(te_eps, ref),
        "(b) COPASI via basico (defaults)": max_rel_error(cps_eps, ref),
    }
    print("\n## 2. Accuracy (largest relative endpoint error over the samples vs crosstalk at rtol 1e-10)")
    print("| engine | " + " | ".join(OUTPUTS) + " |\n|---|" + "---|" * len(OUTPUTS))
    for k, e in errors.items():
        print(f"| {k} | " + " | ".join(f"{e[o]:.1e}" for o in OUTPUTS) + " |")
    dask_same = all(d == p for d, p in zip(dask_rows, pool_rows))
    eff = (n / tp) / (n / tp1) / workers
    overhead = td / tp - 1
    print(f"\n## 3. Parallel efficiency {eff:.1%} on {workers} workers (pool 1 -> {workers}); Dask LocalCluster "
          f"overhead {overhead:+.1%} vs the pool; Dask rows identical to the pool's: {dask_same}")
    mem = run_memory(n_mem, workers)
    print(f"\n## 4. Memory: resident set size per worker before / after {n_mem} simulations (7-day composed runs)")
    for k, (before, after, secs) in enumerate(mem):
        print(f"worker {k}: {before:.1f} MB -> {after:.1f} MB (growth {after - before:+.1f} MB; "
              f"{n_mem / secs:.0f} sims/s)")
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        t_study, n_sims = run_study(study_n, workers, Path(tmp) / "study")
    full = 4096 * 22
    print("\n## 5. Sobol study, 20 parameters (analysis/bench_20_parameters.toml), first and total order")
    print(f"n = {study_n}: {n_sims} simulations in {t_study:.0f} s on {workers} workers "
          f"({n_sims / t_study:.1f} sims/s); "
          f"n = 4096 ({full} simulations) at that rate: {full / (n_sims / t_study) / 60:.0f} min")
    print(f"\n## 6. Where the time goes (1 worker, rtol 1e-6)\nsame course without exercise: {1e3 * t_none / n:.1f} "
          f"ms/sim (with its {len(exercise_sessions(scenario))} bouts: {1e3 * t1 / n:.1f}); CVODE steps "
          f"{steps['with exercise']} with exercise vs {steps['without exercise']} without.\n"
          f"naive bout-averaged forcing (exercise at its mean duty fraction): {1e3 * t_avg / n:.1f} ms/sim, "
          f"endpoint errors " + ", ".join(f"{k} {v:.0%}" for k, v in avg_err.items()))
    rate_ms = sweeps["tumour_growth_rate"]
    print("\n## 7. Parameters that feed initial values vs a rate constant (ms per sample, 1 worker, rtol 1e-6)")
    for k, v in sweeps.items():
        print(f"{k}: {v:.1f} ms ({v / rate_ms:.2f}x the rate constant)")
    fig.update({"initial_value_sweeps_ms": sweeps, "model_load_s": {"tellurium": load_te, "basico": load_cps},
                "bouts": len(exercise_sessions(scenario))})
    fig.update({"no_exercise_ms": 1e3 * t_none / n, "averaged_ms": 1e3 * t_avg / n, "averaged_errors": avg_err,
                "cvode_steps": steps, "rates_per_s": rate, "errors": errors, "parallel_efficiency": eff,
                "dask_overhead": overhead,
                "dask_identical": dask_same, "memory_mb": mem, "memory_sims": n_mem,
                "study": {"n": study_n, "simulations": n_sims, "seconds": t_study,
                          "n4096_minutes_extrapolated": full / (n_sims / t_study) / 60},
                "wall_s": time.perf_counter() - started})
    Path(args.json).write_text(json.dumps(fig, indent=2, default=str), encoding="utf-8")
    print(f"\nfigures -> {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
