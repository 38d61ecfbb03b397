"""Write ``benchmarks/RESULTS.md`` from the benchmarks' own records (``benchmarks/results*.json``).

Every figure on the page is one a benchmark wrote, so the page cannot drift from the measurements; what a figure
means and the targets it is held to are written here once. ``make bench`` runs the benchmarks and then this::

    python benchmarks/results_report.py           # rewrite RESULTS.md
    python benchmarks/results_report.py --check   # exit 1 when RESULTS.md is not what the records give

A record that is missing leaves its section out with a line saying which script writes it.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
RESULTS_MD = HERE / "RESULTS.md"
#: Targets the figures are held to (what a user of a study needs; the page says met or not met).
PARALLEL_EFFICIENCY_TARGET = 0.90
DASK_OVERHEAD_TARGET = 0.10
MEMORY_GROWTH_TARGET_MB = 50.0
INITIAL_VALUE_TARGET = 1.5
UNCERTAINTY_TARGET_S = 60.0
#: Simulations of the full 20-parameter Saltelli study: n = 4096 base samples times (20 inputs + 2).
FULL_STUDY_SIMULATIONS = 4096 * 22


def _load(name: str, directory: Path) -> dict[str, Any] | None:
    path = directory / name
    return json.loads(path.read_text(encoding="utf-8")) if path.exists() else None


def _table(header: Sequence[str], rows: Iterable[Sequence[object]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return "\n".join(lines)


def _met(ok: bool) -> str:
    return "**met**" if ok else "**not met**"


def _percent(fraction: float) -> str:
    """Two significant figures, without an exponent (0.13 %, 16 %, 148 %)."""
    value = 100 * fraction
    return f"{value:.0f} %" if abs(value) >= 10 else f"{value:.2g} %"


def _versions(versions: dict[str, str]) -> str:
    return ", ".join(f"{k} {v}" for k, v in versions.items())


def _throughput(d: dict[str, Any]) -> list[str]:
    rates: dict[str, float] = d["rates_per_s"]
    best_key = next(k for k in rates if k.startswith("crosstalk pool") and "1 worker" not in k)
    best = rates[best_key]
    out = [
        "## 1. Throughput",
        "",
        f"`python benchmarks/bench_throughput.py`, {d['date']}"
        + (f", commit {d['commit']}" if "commit" in d else "")
        + (f", {d['wall_s'] / 60:.1f} min" if "wall_s" in d else "")
        + f". Machine: {d['machine']}; {_versions(d['versions'])}.",
        "",
        f"Workload: {d['scenario']}; {d['samples']} random sets (seed {d['seed']})"
        + (f" of {', '.join(d['parameters'])}" if "parameters" in d else "")
        + ", the same sets for every engine. The machine is shared: compare figures within this run only.",
        "",
        _table(["engine", "sims/s", "ms/sim", f"{best_key} is … × faster"],
               ([f"**{k}**" if k == best_key else k, f"{v:.2f}", f"{1e3 / v:.1f}", f"{best / v:.2f}"]
                for k, v in rates.items())),
    ]
    if "model_load_s" in d:
        load = d["model_load_s"]
        out += ["", f"Model loading is not in the rates (tellurium `te.loada` {load['tellurium']:.1f} s, basico "
                    f"{load['basico']:.1f} s; crosstalk compiles each worker's model before timing)."]
    errors: dict[str, dict[str, float]] = d["errors"]
    outputs = list(next(iter(errors.values())))
    study_rate, scenario_rate = (rates[next(k for k in rates if k.startswith(f"crosstalk, 1 worker, rtol {tol}"))]
                                 for tol in ("1e-6", "1e-8"))
    study_error = max(next(e for k, e in errors.items() if k.startswith("crosstalk rtol 1e-6")).values())
    out += ["", "## 2. Accuracy", "",
            "The largest relative error of each endpoint over the sets, against crosstalk at rtol 1e-10 with "
            "tight absolute tolerances:", "",
            _table(["engine", *outputs], ([k, *(f"{e[o]:.1e}" for o in outputs)] for k, e in errors.items())),
            "", f"The study tolerance (rtol 1e-6) is {study_rate / scenario_rate:.2f}× as fast as the scenario "
                f"default (1e-8) at a largest endpoint error of {study_error:.1e}."]
    eff, overhead = d["parallel_efficiency"], d["dask_overhead"]
    out += ["", "## 3. Parallel efficiency and Dask", "",
            f"Local pool, 1 worker to all: **{100 * eff:.1f} %** (target ≥ {100 * PARALLEL_EFFICIENCY_TARGET:.0f} %: "
            f"{_met(eff >= PARALLEL_EFFICIENCY_TARGET)}). Dask LocalCluster against the local pool: "
            f"**{100 * overhead:+.1f} %** (target ≤ {100 * DASK_OVERHEAD_TARGET:.0f} %: "
            f"{_met(overhead <= DASK_OVERHEAD_TARGET)}). "
            f"Dask's rows identical to the pool's: {'yes' if d['dask_identical'] else '**no**'}."]
    growth = [after - before for before, after, _ in d["memory_mb"]]
    out += ["", "## 4. Memory", "",
            f"Resident set size per worker before and after {d['memory_sims']:,} simulations (7-day composed runs "
            "with a bout and a dose):", "",
            _table(["worker", "before (MB)", "after (MB)", "growth (MB)", "sims/s"],
                   ([k, f"{b:.1f}", f"{a:.1f}", f"{a - b:+.1f}", f"{d['memory_sims'] / s:.0f}"]
                    for k, (b, a, s) in enumerate(d["memory_mb"]))),
            "", f"Largest growth {max(growth):+.1f} MB (target < {MEMORY_GROWTH_TARGET_MB:.0f} MB: "
                f"{_met(max(growth) < MEMORY_GROWTH_TARGET_MB)})."]
    study = d["study"]
    out += ["", "## 5. The 20-parameter Sobol study (first and total order)", "",
            f"`analysis/bench_20_parameters.toml` measured at n = {study['n']}: {study['simulations']:,} "
            f"simulations in {study['seconds']:.0f} s ({study['simulations'] / study['seconds']:.1f} sims/s). At "
            f"that rate the n = 4096 study ({FULL_STUDY_SIMULATIONS:,} simulations) takes about "
            f"**{study['n4096_minutes_extrapolated']:.0f} minutes** on this machine."]
    ms_one = 1e3 / rates[next(k for k in rates if k.startswith("crosstalk, 1 worker, rtol 1e-6"))]
    steps = d["cvode_steps"]
    bouts = d.get("bouts")
    averaged = d["averaged_errors"]
    out += ["", "## 6. Where the time goes", "",
            f"- The same course without exercise: {d['no_exercise_ms']:.1f} ms per simulation, against "
            f"{ms_one:.1f} ms with its {bouts or 'exercise'} bouts ({ms_one / d['no_exercise_ms']:.1f}×). CVODE "
            f"takes {steps['with exercise']:,} internal steps with exercise and {steps['without exercise']:,} "
            "without: each bout's fast transients (epinephrine, NK demargination, IL-6, vesicles) are resolved, "
            "with an integrator restart at each bout's start and end.",
            f"- A naive bout-averaged forcing (exercise at its mean duty fraction) costs {d['averaged_ms']:.1f} ms "
            f"({ms_one / d['averaged_ms']:.1f}× faster) but changes the endpoints by up to "
            + ", ".join(f"{_percent(v)} ({k})" for k, v in averaged.items())
            + ": not used."]
    sweeps: dict[str, float] | None = d.get("initial_value_sweeps_ms")
    if sweeps:
        rate_ms = sweeps["tumour_growth_rate"]
        ratios = {k: v / rate_ms for k, v in sweeps.items()}
        out += ["", "## 7. Parameters that feed initial values", "",
                "12 values each, applied as a study applies them, on one reused simulator (1 worker, rtol 1e-6):",
                "", _table(["parameter", "ms/sample", "× the rate constant"],
                           ([f"`{k}`", f"{v:.1f}", f"{ratios[k]:.2f}"] for k, v in sweeps.items())),
                "", f"Target: within {INITIAL_VALUE_TARGET}× of a rate constant: "
                    f"{_met(max(ratios.values()) <= INITIAL_VALUE_TARGET)}. Every initial value is computed "
                    "in-process (no parameter regenerates the model; `tests/test_reuse.py`)."]
    return out


def _pce(d: dict[str, Any]) -> list[str]:
    out = ["## 8. The same study by polynomial chaos", ""]
    runs = d.get("runs")
    if runs:
        for run in runs:
            q2 = ", ".join(f"{r['output']} {r['q2']:.5g}" for r in run["surrogate"])
            out += [f"`python benchmarks/bench_pce.py`, {d['date']}: n = {run['n']} in **{run['wall_s']:.0f} s** on "
                    f"{run['workers']} workers (command line, end to end). Cross-validated Q2: {q2}.", ""]
            if "comparison" in run:
                out += [*_comparison(run["comparison"], "the Saltelli n = 4096 reference"), ""]
        return out[:-1]
    return [*out, f"{d['date']}: `{d['pce_run']}` against {d['reference']}:", "",
            *_comparison(d["comparison"], "the reference")]


def _comparison(rows: list[dict[str, Any]], what: str) -> list[str]:
    worst = max(max(r["max_abs_diff_S1"], r["max_abs_diff_ST"]) for r in rows)
    agree = all(r["all_agree"] for r in rows)
    return [_table(["output", "Q2", "largest S1 difference", "largest ST difference", "worst parameter"],
                   ([r["output"], f"{r['q2']:.5f}", f"{r['max_abs_diff_S1']:.4f}", f"{r['max_abs_diff_ST']:.4f}",
                     r["worst_parameter"]] for r in rows)),
            "", f"Against {what}, every first and total index agrees within 0.05 or the reference's interval: "
                f"{_met(agree)} (largest difference {worst:.3f})."]


def _fast_ceiling(d: dict[str, Any]) -> list[str]:
    steps = d["cvode_steps"]
    bouts = d["bouts"]
    with_kernel = d["no_exercise_with_impulses_ms"] + bouts * d["kernel_per_bout_ms"]
    rows = [
        (f"resolved course ({bouts} bouts)", f"{d['resolved_ms']:.1f} ms", f"{steps['resolved']:,}", "1.0×"),
        ("the same course without exercise", f"{d['no_exercise_ms']:.1f} ms", f"{steps['no_exercise']:,}",
         f"**{d['ceiling_speedup']:.1f}×** (the ceiling)"),
        (f"without exercise, one impulse breakpoint per bout ({bouts})", f"{d['no_exercise_with_impulses_ms']:.1f} ms",
         f"{steps['no_exercise_with_impulses']:,}", f"{d['resolved_ms'] / d['no_exercise_with_impulses_ms']:.1f}×"),
        ("impulses plus one raw kernel run per bout", f"{with_kernel:.1f} ms", "",
         f"{d['kernel_per_bout_speedup']:.1f}×"),
    ]
    restart = d["restart_ms"]
    per_bout = (steps["resolved"] - steps["no_exercise"]) / bouts
    return ["## 9. A timescale-separated fast mode: the measured ceiling", "",
            f"`python benchmarks/bench_fast_ceiling.py`, {d['date']}: per simulation of the {bouts}-bout course "
            "(24 h grid, rtol 1e-6), ratios within the run:", "",
            _table(["run", "per simulation", "CVODE steps", "resolved / run"], rows), "",
            f"The bouts cost about {per_bout:.0f} CVODE steps each.", "",
            f"One raw roadrunner run of the exercise module over a bout window costs {d['kernel_per_bout_ms']:.2f} ms; "
            "one integrator restart over a quiet half hour "
            + ", ".join(f"{v:.2f} ms ({k.replace('_', ' ')})" for k, v in restart.items())
            + f". With the molecule tolerance loosened to {d['loose_molecule_atol']:.0e} items the two fast bounds "
              f"are {d['loose_ceiling_speedup']:.1f}× and {d['loose_with_impulses_speedup']:.1f}×.", "",
            "A fast mode that hands each bout to the slow states as impulses cannot be cheaper than the course "
            "without exercise; each impulse restarts the integrator (a fresh Jacobian), and a kernel per bout costs "
            "more again. The fast mode was not built: every simulation is resolved, and `pce` is the route to "
            "cheaper studies."]


def _explorer(d: dict[str, Any]) -> list[str]:
    return ["## 10. The explorer", "",
            f"`python benchmarks/bench_explorer.py`, {d['date']}, crosstalk {d['versions']['crosstalk']}: "
            f"{d['changes']} changes of the prescription on `{d['scenario']}` in one session.", "",
            _table(["what", "seconds"], [
                ("first answer (model load, simulation, figure)", f"{d['first_answer_s']:.2f}"),
                ("a change, median (simulation and figure)", f"{d['change_median_s']:.2f}"),
                ("a change, slowest", f"{d['change_max_s']:.2f}"),
                ("simulation, median / slowest", f"{d['simulate_median_s']:.2f} / {d['simulate_max_s']:.2f}"),
                ("figure update, median", f"{d['figure_median_s']:.2f}"),
                ("a change of regimen", f"{d['regimen_change_s']:.2f}"),
            ])]


def _optimise(d: dict[str, Any]) -> list[str]:
    return ["## 11. A full built-in optimisation", "",
            f"`python benchmarks/bench_optimise.py`, {d['date']}, crosstalk {d['versions']['crosstalk']}: "
            f"`{d['spec']}` on {d['workers']} workers, end to end (the search, the uncertainty re-runs and the "
            f"holdout patients): **{d['wall_s'] / 60:.1f} min**. {d['candidates']} candidates, "
            f"{d['unique_feasible']} distinct feasible prescriptions, {d['simulations']:,} simulations of the search "
            f"({d['patients']} patients each; repeated prescriptions are not re-run), a front of {d['front']}."]


def _uncertainty(d: dict[str, Any]) -> list[str]:
    when = f", {d['date']}" if "date" in d else ""
    return ["## 12. What an interval costs", "",
            f"`python benchmarks/bench_uncertainty.py`{when}, crosstalk {d['versions']['crosstalk']}: `--uncertainty "
            f"{d['n']}` on `{d['scenario']}`, {d['workers']} workers.", "",
            _table(["what", "seconds"], [
                ("the point run", f"{d['point_run_s']:.1f}"),
                (f"{d['n']} sets drawn from the tables' uncertainty and run", f"{d['unconditioned_s']:.1f}"),
                (f"the same {d['n']} sets re-calibrated to the anchored data", f"{d['calibration_s']:.1f}"),
                ("... and then run", f"{d['conditioned_runs_s']:.1f}"),
                ("re-calibrated interval in all", f"{d['conditioned_total_s']:.1f}"),
            ]), "",
            f"{d['members_not_calibrated']} of {d['n']} sets could not be re-calibrated (recorded, left out). Target "
            f"≤ {UNCERTAINTY_TARGET_S:.0f} s for an interval: {_met(d['unconditioned_s'] <= UNCERTAINTY_TARGET_S)} "
            f"without re-calibration, {_met(d['conditioned_total_s'] <= UNCERTAINTY_TARGET_S)} with it."]


def _anchors(d: dict[str, Any]) -> list[str]:
    free, anchored = d["free"], d["anchored"]
    when = d.get("date", "an undated record, before the heart population's spread and echo error were drawn")
    return ["## 13. How consistent the ensemble is with the calibration data", "",
            f"`python benchmarks/anchor_consistency.py`, {when} ({d['n']} sets, seed {d['seed']}; not in `make "
            "bench`): the "
            "share of sets that still pass each calibration check, drawn freely or re-calibrated by the anchors "
            f"({', '.join(f'`{p}`' for p in d['anchored_parameters'])}).", "",
            _table(["check", f"free ({free['checked']} sets)", f"anchored ({anchored['checked']} sets)"],
                   ([t, f"{free['per_check'][t]}", f"{anchored['per_check'][t]}"] for t in d["targets"])), "",
            f"Sets passing every check: {free['all_pass']} free, {anchored['all_pass']} anchored; "
            f"{anchored.get('not_calibrated', 0)} sets could not be anchored. The Swain check's bands at 400 and "
            "700 mg/m2 are the reference's +/- 0.03 absolute, much narrower than the observations' binomial "
            "intervals (n about 120 and 12) that section 14 uses; its heart-failure criteria are read at each "
            "set's drawn spread and echo error, the CTRCD check's onset and Plana-definition criteria at the "
            "fitted ones. The tumour growth anchor holds the check's slow and fast tumours (`holds` in "
            "`anchors.toml`), so a set whose slow tumours never double is among those not anchored."]


def _swain(d: dict[str, Any]) -> list[str]:
    rows = ([f"{dose} mg/m2", f"{x['observed']:.2f} ({x['lower95']:.3f}-{x['upper95']:.3f})", f"{x['median']:.3f}",
             f"{x['p2_5']:.3f}-{x['p97_5']:.3f}", f"{100 * x['inside']:.0f} %"] for dose, x in d["doses"].items())
    drawn = "with" if d["population_quantities_drawn"] else "without"
    return ["## 14. Does the ensemble's heart still match Swain's heart-failure curve?", "",
            f"`python benchmarks/swain_consistency.py RUN_DIR`, {d['date']}, on the `--uncertainty {d['n']} --seed "
            f"{d['seed']}` run of {', '.join(d['scenarios'])} ({d['sets']} sets that ran, {drawn} the population's "
            "spread and echo error drawn"
            + (", and the LVEF below which heart failure is counted"
               if (d.get("left_out_for_swain") or {}).get("kept_heart_failure_lvef_median") is not None else "")
            + "). "
            + ("Each set re-fits its reserve with its loss rate: the loss rate to its drawn Cardinale datum, the "
               "reserve inside the interval Swain's four points allow jointly at its spread; sets that no reserve fits "
               "are left out, so this checks the re-fit, not the model:"
               if d.get("reserve_refitted") else
               "Each set re-solves only the loss rate, to Cardinale's CTRCD incidence; Swain's curve is not "
               "re-solved:"), "",
            _table(["dose", "Swain (binomial 95 %)", "sets: median", "sets: 2.5-97.5 %", "sets inside"], rows), "",
            f"Sets inside every interval: {100 * d.get('inside_all', d.get('inside_all_three', 0.0)):.0f} %."
            + _left_out(d.get("left_out_for_swain"))]


def _structures(d: dict[str, Any]) -> list[str]:
    names = {"threshold": "threshold (heart failure at LVEF < 40 %)", "hazard": "graded, hazard slope free",
             "step": "graded, heart failure at a fitted LVEF", "hazard_mesa": "graded, MESA's slope"}
    rows = []
    for key, x in d["structures"].items():
        ex, v = x["exercise"], x["values"]
        where = f"{v['lvef_at_1_per_year']:.1f} %" if "lvef_at_1_per_year" in v else "40 %"
        rows.append([names.get(key, key), f"{v['myocardial_reserve']:.3f}", where, f"{x['unknowns']}",
                     f"{x['deviance_incidences']:.2f} + {x['deviance_decline']:.2f}", f"{x['aic']:.2f}",
                     ", ".join(x["at_bounds"]) or "none",
                     f"{x['mean_lvef_fall_end_of_ac']:.2f} / {x['mean_lvef_fall_180_days']:.2f}",
                     f"{ex['relative_risk.ctrcd_measured']:.3f}", f"{ex['lvef_benefit.end_of_ac']:.2f}"])
    doubled = "; ".join(f"{names.get(k, k)} {x['decline_sd_doubled']['deviance']:.2f} (CTRCD RR "
                        f"{x['decline_sd_doubled']['exercise']['relative_risk.ctrcd_measured']:.2f})"
                        for k, x in d["structures"].items() if "decline_sd_doubled" in x)
    profile = d["structures"]["step"]["reserve_profile"]
    spans = "; ".join(f"{p['values']['myocardial_reserve']:g}: {p['deviance_incidences']:.1f} + "
                      f"{p['deviance_decline']:.1f}, cut {p['values']['lvef_at_1_per_year']:.1f} %, RR "
                      f"{p['exercise']['relative_risk.ctrcd_measured']:.2f}" for p in profile)
    return ["## 15. Which heart structure do the calibration data support?", "",
            f"`python benchmarks/heart_structure.py`, {d['date']} ({d['seconds'] / 60:.0f} min; not in `make "
            "bench`): four structures fitted to Swain's four heart-failure incidences, Cardinale's measured CTRCD "
            f"and the pooled placebo arms' mean LVEF decline ({d['decline']:g} points, sd {d['decline_sd']:.2f}, "
            "read 180 days after the first dose), the spread of ln(injury) kept at least at the clearance's "
            f"({d['spread_floor']:.2f}); exercise is 3 x 45 min at 65 % VO2max during AC against sedentary AC. "
            "The deviance is split into the five incidences' and the decline's; 'at a bound' lists unknowns a fit "
            "left at a search limit or the spread's floor.", "",
            _table(["structure", "reserve", "heart failure at (1 per year)", "unknowns", "deviance", "AIC",
                    "at a bound", "mean fall, end of AC / 180 d", "CTRCD RR", "LVEF benefit, end of AC"], rows),
            "", f"With the decline's sd doubled (deviance, CTRCD RR): {doubled}.", "",
            f"The step structure's reserve profiled (reserve: incidences + decline deviance, the fitted cut, CTRCD "
            f"RR): {spans}."]


def _left_out(d: dict[str, Any] | None) -> str:
    if not d or not d["sets"]:
        return ""
    return (f" Left out because no reserve reproduces Swain's curve: {d['sets']} sets, their LVEF slopes median "
            f"{d['lvef_slope_median']:.0f} points per unit loss ({100 * d['lvef_slope_below_63']:.0f} % below 63; "
            f"the kept sets' lowest {d['kept_lvef_slope_min']:.0f})"
            + (f", heart failure counted below a median {d['heart_failure_lvef_median']:.1f} % of LVEF (the kept "
               f"sets' {d['kept_heart_failure_lvef_median']:.1f} %)."
               if d.get("heart_failure_lvef_median") is not None else "."))


#: Record, script that writes it, section renderer.
SECTIONS: tuple[tuple[str, str, Callable[[dict[str, Any]], list[str]]], ...] = (
    ("results.json", "bench_throughput.py", _throughput),
    ("results_pce.json", "bench_pce.py", _pce),
    ("results_fast_ceiling.json", "bench_fast_ceiling.py", _fast_ceiling),
    ("results_explorer.json", "bench_explorer.py", _explorer),
    ("results_optimise.json", "bench_optimise.py", _optimise),
    ("results_uncertainty.json", "bench_uncertainty.py", _uncertainty),
    ("results_anchor_consistency.json", "anchor_consistency.py", _anchors),
    ("results_swain_consistency.json", "swain_consistency.py", _swain),
    ("results_heart_structure.json", "heart_structure.py", _structures),
)


def render(directory: Path = HERE) -> str:
    """RESULTS.md as the records in ``directory`` give it."""
    out = ["# Benchmark results", "",
           "Written by `python benchmarks/results_report.py` from the records the benchmarks write "
           "(`benchmarks/results*.json`); do not edit by hand. Every ratio is between figures of one run: the "
           "machine is shared and noisy, and single rates differ by up to 40 % between runs."]
    for name, script, section in SECTIONS:
        record = _load(name, directory)
        out += [""] + (section(record) if record is not None
                       else [f"(`{name}` is missing: `python benchmarks/{script}` writes it.)"])
    return "\n".join(out) + "\n"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--check", action="store_true", help="exit 1 if RESULTS.md differs from the records")
    args = ap.parse_args(argv)
    text = render()
    if args.check:
        same = RESULTS_MD.exists() and RESULTS_MD.read_text(encoding="utf-8") == text
        print("RESULTS.md is up to date" if same else "RESULTS.md differs from the records: "
              "run python benchmarks/results_report.py")
        return 0 if same else 1
    RESULTS_MD.write_text(text, encoding="utf-8")
    print(f"-> {RESULTS_MD}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
