"""Command line: argument parsing and exit codes only; each command calls into the package.

Exit codes: 0 success, 1 a simulation or build failed, 2 bad input (the message names the field).
"""

from __future__ import annotations

import argparse
import logging
import sys
import time
import warnings
from concurrent.futures import Executor
from contextlib import AbstractContextManager
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING

from crosstalk.cli import authoring, calibrate, explore, uncertainty
from crosstalk.errors import CrosstalkError, InputError, show_warning_line
from crosstalk.version import __version__

if TYPE_CHECKING:
    from crosstalk.calibrate.uncertainty import UncertaintyResult
    from crosstalk.sim.result import Result
    from crosstalk.spec.scenario import Scenario
    from crosstalk.studies.sensitivity import SensitivityResult

__all__ = ["command_parser", "main"]

DESCRIPTION = ("Systems-biology models of exercise-tumour-heart crosstalk: simulate scenarios (exercise prescriptions "
               "during chemotherapy), compare them, run virtual cohorts, sensitivity studies and the prescription "
               "optimiser, and export SBML/SED-ML/OMEX.")
EXAMPLES = """examples:
  crosstalk list                                        built-in scenarios, their files and questions
  crosstalk simulate aerobic_during_ac --out out/aer    one scenario: report.html, timeseries.csv, endpoints.json
  crosstalk compare ac_sedentary aerobic_during_ac --out out/cmp
  crosstalk compare ac_sedentary aerobic_during_ac --uncertainty 100 --out out/cmp-u   with 95 % intervals
  crosstalk compare cohort_ac_sedentary cohort_aerobic_during_ac --cohort 64 --seed 1 --out out/risk
  crosstalk sensitivity analysis/regimes_during_ac.toml --out out/sens
  crosstalk optimise analysis/prescriptions_during_ac.toml --out out/opt
  crosstalk petab single_bout prolonged_run --measurements il6.tsv --estimate k_il6_clearance --out out/il6
  crosstalk fit out/il6/problem.yaml --starts 20 --out out/il6-fit     estimates with profile intervals
  crosstalk report out/opt                              rebuild a finished run's report from its files
  crosstalk export aerobic_during_ac --format omex --out aer.omex
"""

#: Library field names -> the flags that set them, so an error names what the user typed.
FLAGS: dict[str, str] = {
    "outdir": "--out",
    "out": "--out",
    "n": "--n",
    "seed": "--seed",
    "resume": "--resume",
    "force": "--force",
    "format": "--format",
    "workers": "--workers",
    "scheduler": "--scheduler",
    "dask_local": "--dask-local",
    "uncertainty": "--uncertainty",
}


def _flag_error(err: InputError) -> InputError:
    """``err`` with a library field that a flag sets renamed to the flag (file fields are left as they are)."""
    flag = FLAGS.get(err.field)
    if flag is None or err.source is not None:
        return err
    allowed = err.allowed.replace("force=True", "--force").replace("resume=True", "--resume")
    return InputError(flag, err.value, allowed)


def _builtin_scenarios() -> list[Path]:
    root = resources.files("crosstalk.scenarios")
    return sorted(Path(str(p)) for p in root.iterdir() if p.name.endswith(".toml"))


def _simulated(scenario_path: str) -> tuple[Result, list[str]]:
    """Load and simulate a scenario; its warnings are printed as usual and returned, so the report shows them."""
    from crosstalk.sim.simulator import simulate

    (scenario,), messages = _loaded([scenario_path])
    return simulate(scenario), messages


def _write_run(result: Result, out: Path, messages: list[str], *, force: bool, plot: bool = True,
               ensemble: UncertaintyResult | None = None) -> Path:
    from crosstalk.calibrate.uncertainty import write_uncertainty
    from crosstalk.report.plots import summary_figure
    from crosstalk.report.simulation import write_simulation_report

    target = result.write(out, force=force)
    if ensemble is not None:
        write_uncertainty(target, ensemble)
    if plot:
        summary_figure(result, target / "summary.png")
        write_simulation_report(result, target, warnings=messages, ensemble=ensemble)
    return target


def _cmd_simulate(args: argparse.Namespace) -> int:
    t0 = time.perf_counter()
    result, messages = _simulated(args.scenario)
    scenario = result.scenario
    n = args.uncertainty if args.uncertainty is not None else scenario.uncertainty
    ensemble = None if n is None else uncertainty.run(
        [result], n, seed=args.seed, workers=args.workers, progress=not args.quiet)
    out = _write_run(result, Path(args.out), messages, force=args.force, plot=not args.no_plot, ensemble=ensemble)
    print(f"{scenario.name}: simulated {scenario.duration_days:g} days in {time.perf_counter() - t0:.2f} s -> {out}"
          + ("" if args.no_plot else f" (report: {out / 'report.html'})"))
    for k, v in result.endpoints.items():
        print(f"  {k} = {v:.4g}" if isinstance(v, float) else f"  {k} = {v}")
    if ensemble is not None:
        uncertainty.print_summary(ensemble)
    return 0


def _cmd_list(args: argparse.Namespace) -> int:
    import textwrap

    from crosstalk.spec.scenario import load_scenario

    for path in _builtin_scenarios():
        s = load_scenario(path)
        print(f"{path.stem}  ({s.model} model, {s.species}, {s.duration_days:g} days)  {path}")
        print(textwrap.fill(s.description, width=110, initial_indent="    ", subsequent_indent="    "))
    return 0


def _cmd_demo(args: argparse.Namespace) -> int:
    from crosstalk.studies.sensitivity import load_analysis, run_sensitivity

    out = Path(args.out)
    for path in _builtin_scenarios():
        t0 = time.perf_counter()
        result, messages = _simulated(str(path))
        target = _write_run(result, out / "scenarios" / path.stem, messages, force=args.force)
        print(f"{path.stem}: {time.perf_counter() - t0:.2f} s -> {target}")
    spec = load_analysis(args.analysis)
    sens_dir = out / "sensitivity" / Path(args.analysis).stem
    sens = run_sensitivity(spec, sens_dir, workers=args.workers, resume=not args.force, force=args.force)
    report = _sensitivity_report(sens, sens_dir)
    print(f"scenario outputs: {(out / 'scenarios').resolve()}")
    print(f"sensitivity report: {report.resolve()}")
    return 0


def _loaded(paths: list[str]) -> tuple[list[Scenario], list[str]]:
    """Load and plan scenarios, returning the warnings raised for the report. Those of loading (e.g. a cumulative
    dose over the label) are printed here; those of planning (e.g. an endpoint read too early) are printed when
    the scenarios run, in whichever process runs them."""
    from crosstalk.plan.planner import plan
    from crosstalk.spec.scenario import load_scenario

    with warnings.catch_warnings(record=True) as loading:
        warnings.simplefilter("always")
        scenarios = [load_scenario(p) for p in paths]
    for w in loading:
        warnings.warn_explicit(w.message, w.category, w.filename, w.lineno)
    with warnings.catch_warnings(record=True) as planning:
        warnings.simplefilter("always")
        for s in scenarios:
            plan(s)
    return scenarios, [str(w.message) for w in (*loading, *planning) if issubclass(w.category, UserWarning)]


def _cmd_compare(args: argparse.Namespace) -> int:
    from crosstalk.report.compare import write_cohort_comparison_report, write_comparison_report
    from crosstalk.report.numbers import format_nnt
    from crosstalk.studies.compare import run_cohort_comparison, run_comparison, write_comparison

    scenarios, messages = _loaded(args.scenarios)
    out = _fresh_dir(args.out, args.force)
    if args.cohort is not None and args.uncertainty is not None:
        raise InputError("--uncertainty", args.uncertainty, "no value with --cohort (a cohort's intervals are over "
                                                            "patients; run them without --cohort)")
    if args.cohort is not None:
        cc = run_cohort_comparison(scenarios, args.cohort, seed=args.seed, n_boot=args.n_boot, outdir=out,
                                   workers=args.workers, progress=not args.quiet)
        write_cohort_comparison_report(cc, out, n=args.cohort, seed=args.seed, n_boot=args.n_boot, warnings=messages)
        for r in cc.risks.to_dict("records"):
            print(f"{r['outcome']}: {r['scenario']} {r['risk']:.3f} vs {r['reference_risk']:.3f}, difference "
                  f"{r['risk_difference']:+.3f} ({r['ci_low']:+.3f} to {r['ci_high']:+.3f}), NNT "
                  f"{format_nnt(r['nnt'], r['nnt_kind'])}")
        for r in cc.paired[cc.paired["better"] != ""].to_dict("records"):
            print(f"{r['endpoint']}: {r['scenario']} {r['mean_difference']:+.3g} {r['unit']} vs {r['reference']} "
                  f"({r['lower95']:+.3g} to {r['upper95']:+.3g}), {r['fraction_better']:.0%} of patients better off")
        print(f"compared {len(scenarios)} cohorts of {args.cohort} -> {out}/report.html, risk_differences.csv, "
              "paired_differences.csv")
        return 0
    # one process per scenario unless --workers says fewer
    comparison = run_comparison(scenarios, workers=min(args.workers or len(scenarios), len(scenarios)),
                                progress=not args.quiet)
    if len(comparison.failures):
        for f in comparison.failures.itertuples(index=False):
            print(f"crosstalk: {f.scenario} failed: {f.error}", file=sys.stderr)
        return 1
    n = args.uncertainty if args.uncertainty is not None else scenarios[0].uncertainty
    ensemble = None if n is None else uncertainty.run(
        comparison.results, n, seed=args.seed, workers=args.workers, progress=not args.quiet)
    write_comparison(comparison.results, out)
    if ensemble is not None:
        from crosstalk.calibrate.uncertainty import write_uncertainty

        write_uncertainty(out, ensemble)
    write_comparison_report(comparison, out, warnings=messages, ensemble=ensemble)
    print(f"compared {len(comparison.results)} scenarios -> {out}/report.html, compare.png, endpoints.csv"
          + (", endpoints_uncertainty.csv, differences_uncertainty.csv" if ensemble is not None else ""))
    if ensemble is not None:
        uncertainty.print_summary(ensemble)
    return 0


def _cmd_cohort(args: argparse.Namespace) -> int:
    from crosstalk.report.cohort import write_cohort_report
    from crosstalk.spec.scenario import load_scenario
    from crosstalk.studies.cohort import run_cohort

    scenario = load_scenario(args.scenario)
    out = Path(args.out)  # a run directory: open_run judges it (new or empty, or replaced with --force)
    result = run_cohort(scenario, args.n, seed=args.seed, outdir=out, force=args.force, workers=args.workers,
                        progress=not args.quiet)
    write_cohort_report(result, out)
    fr = ", ".join(f"{k} = {v:.3f}" for k, v in result.fractions_dict().items())
    print(f"cohort of {args.n} ({len(result.failures)} failed) in {result.provenance['wall_time_s']} s: {fr} -> {out}")
    return 0


def _fresh_dir(path: str, force: bool) -> Path:
    out = Path(path)
    if out.exists() and any(out.iterdir()) and not force:
        raise InputError("--out", str(out), "a new or empty directory (or pass --force to overwrite)")
    return out


def _sensitivity_report(result: SensitivityResult, out: Path) -> Path:
    """The base scenario's run, kept with the run (so ``crosstalk report`` can draw it again), and the report."""
    from crosstalk.report.sensitivity import write_sensitivity_report
    from crosstalk.sim.simulator import simulate
    from crosstalk.studies.sensitivity import write_base_run

    base = simulate(result.spec.scenario_for({}))
    write_base_run(base, out)
    return write_sensitivity_report(result, out, base=base)


def _cmd_sensitivity(args: argparse.Namespace) -> int:
    from crosstalk.studies.sensitivity import load_analysis, run_sensitivity

    spec = load_analysis(args.spec)
    out, cluster = _study_run(args)
    try:
        with cluster as executor:
            result = run_sensitivity(spec, out, executor=executor, workers=args.workers, resume=args.resume,
                                     force=args.force, progress=not args.quiet)
    except KeyboardInterrupt:
        done = len(list((out / "chunks").glob("chunk_*.parquet")))
        print(f"crosstalk: interrupted; {done} completed chunk(s) of {spec.name} are saved in {out}; "
              f"continue with: crosstalk sensitivity {args.spec} --out {out} --resume", file=sys.stderr)
        return 130
    report = _sensitivity_report(result, out)
    p = result.provenance
    print(f"{spec.name}: {p['simulations']} simulations ({p['failed']} failed) in {p['wall_time_s']} s -> {report}")
    return 0


def _cmd_validate(args: argparse.Namespace) -> int:
    from crosstalk.report.validation import write_validation
    from crosstalk.validation import run_validation

    def progress(target_id: str, model: str) -> None:
        print(f"validating {target_id} on {model}", file=sys.stderr, flush=True)

    validation = run_validation(models=("crosstalk",) if args.composed else None,
                                progress=progress if args.verbose else None)
    csv_path, html_path = write_validation(validation, args.out)
    n_pass = sum(c.passed for c in validation.checks)
    n_known = sum(c.passed and any(not lo <= c.criteria[k][0] <= hi for k, (_, lo, hi) in c.criteria.items()
                                   if k in c.known_deviations) for c in validation.checks)
    print(f"{n_pass}/{len(validation.checks)} simulated targets pass"
          + (f" ({n_known} of them with known deviations, listed below)" if n_known else "")
          + f"; report: {html_path} (table: {csv_path})")
    for c in validation.checks:
        for name, why in c.known_deviations.items():
            value, low, high = c.criteria[name]
            if not low <= value <= high:
                print(f"  known deviation {c.target_id}.{name} = {value:.3g} (band [{low:.3g}, {high:.3g}]): {why}")
    for c in validation.checks:
        if not c.passed:
            print(c.describe())
    for target_id, status in validation.not_yet_modelled.items():
        print(f"  {target_id}: {status}")
    if validation.uncovered:
        print(f"targets with no check and no explanation: {', '.join(validation.uncovered)}")
    return 0 if validation.passed else 1


def _cmd_build(args: argparse.Namespace) -> int:
    from crosstalk.model.build import document_names, stale_documents, write_models

    if args.check:
        problems = stale_documents()
        for name, lines in problems.items():
            for line in lines:
                print(f"{name}: {line}")
        if not problems:
            print(f"{len(document_names())} documents current and valid: {', '.join(document_names())}")
        return 1 if problems else 0
    for path in write_models():
        print(path)
    return 0


def _cmd_check(args: argparse.Namespace) -> int:
    import tomllib

    from crosstalk.plan.timeline import administrations, exercise_sessions
    from crosstalk.spec.scenario import load_scenario
    from crosstalk.studies.optimise import load_optimisation
    from crosstalk.studies.sensitivity import load_analysis

    for path in args.files:
        try:
            data = tomllib.loads(Path(path).read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
            data = {}  # let the scenario loader report the file error
        is_analysis = "base_scenario" in data
        if is_analysis and "decision" in data:
            opt = load_optimisation(path)
            print(f"{path}: optimisation {opt.name!r}: {opt.method}, {len(opt.decisions)} decisions, "
                  f"{len(opt.objectives)} objectives, {len(opt.constraints)} constraints; up to "
                  f"{opt.population_size * opt.generations * opt.patients} simulations of "
                  f"{opt.base_scenario.name!r} ({opt.patients} patients)")
        elif is_analysis:
            spec = load_analysis(path)
            print(f"{path}: analysis {spec.name!r}: {spec.method}, n = {spec.n}, {len(spec.parameters)} parameters, "
                  f"{len(spec.samples())} simulations of {spec.base_scenario.name!r}")
        else:
            s = load_scenario(path)
            cohort = (f", cohort of {len(s.cohort_ranges)} ranges"
                      + (f" (population {s.population})" if s.population else "")) if s.cohort_ranges else ""
            print(f"{path}: scenario {s.name!r}: model {s.model}, {s.species} set, {s.duration_days:g} days, "
                  f"{len(exercise_sessions(s))} exercise sessions, {len(administrations(s))} drug administrations"
                  + cohort)
    return 0


def _cmd_export(args: argparse.Namespace) -> int:
    from crosstalk.export import export
    from crosstalk.spec.scenario import load_scenario

    scenario = load_scenario(args.scenario)
    out = export(scenario, args.out, format=args.format, force=args.force)
    extra = f" (model: {out.with_suffix('.xml')})" if args.format == "sedml" else ""
    print(f"{scenario.name}: {args.format} -> {out}{extra}")
    return 0


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"got {text!r}; allowed: a whole number >= 1") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"got {value}; allowed: a whole number >= 1")
    return value


def _study_run(args: argparse.Namespace) -> tuple[Path, AbstractContextManager[Executor | None]]:
    """A resumable study's run directory and its executor: a Dask cluster's, or None for the local pool the study
    makes (one for the whole study). Whether the directory may take the run (--resume, --force) is judged where
    every study's is, when the study opens it (:func:`crosstalk.studies.rundir.open_run`)."""
    from contextlib import nullcontext

    from crosstalk.studies.executors import dask_executor

    out = Path(args.out)
    cluster: AbstractContextManager[Executor | None] = nullcontext()
    if args.scheduler or args.dask_local:
        cluster = dask_executor(args.scheduler, n_workers=args.dask_local)
    return out, cluster


def _cmd_optimise(args: argparse.Namespace) -> int:
    from crosstalk.report.optimise import write_optimisation_report
    from crosstalk.studies.optimise import load_optimisation, run_optimisation
    from crosstalk.studies.optimise.run import chosen_trajectories
    from crosstalk.studies.optimise.writer import write_trajectories

    spec = load_optimisation(args.spec)
    out, cluster = _study_run(args)
    try:
        with cluster as executor:
            result = run_optimisation(spec, out, executor=executor, workers=args.workers, resume=args.resume,
                                      force=args.force, progress=not args.quiet)
    except KeyboardInterrupt:
        print(f"crosstalk: interrupted; the evaluated prescriptions of {spec.name} are saved in {out}; "
              f"continue with: crosstalk optimise {args.spec} --out {out} --resume", file=sys.stderr)
        return 130
    trajectories = chosen_trajectories(result)
    write_trajectories(trajectories, out)  # kept with the run, so `crosstalk report` can draw them again
    report = write_optimisation_report(result, out, trajectories=trajectories)
    p = result.provenance
    print(f"{spec.name}: {p['candidates']} candidates ({p['unique_feasible']} distinct feasible), "
          f"{p['simulations']} simulations in {p['wall_time_s']} s; front of {len(result.front)} -> "
          f"{out / 'front.csv'}, {report}")
    return 0


def _cmd_report(args: argparse.Namespace) -> int:
    from crosstalk.studies.rundir import read_manifest, run_kind

    run_dir = Path(args.run)
    out = None if args.out is None else Path(args.out)
    if out is not None and out.exists() and not out.is_dir():
        raise InputError("--out", str(out), "a directory (this is a file)")
    written: list[Path]
    try:
        kind = run_kind(read_manifest(run_dir), run_dir)
        if kind == "sensitivity":
            from crosstalk.report.sensitivity import rebuild_sensitivity_report

            written = [rebuild_sensitivity_report(run_dir, outdir=out)]
        elif kind == "optimise":
            from crosstalk.report.optimise import rebuild_optimisation_report

            written = [rebuild_optimisation_report(run_dir, outdir=out)]
        elif kind == "cohort":
            from crosstalk.report.cohort import rebuild_cohort_report

            written = rebuild_cohort_report(run_dir, outdir=out)
        elif kind == "fit":
            from crosstalk.report.fit import rebuild_fit_report

            written = [rebuild_fit_report(run_dir, outdir=out)]
        else:
            raise InputError("run", str(run_dir), f"a sensitivity, optimise, cohort or fit run (it holds a {kind} run)")
    except InputError as err:  # the run directory is this command's argument, not --out
        raise (err.at(err.source, field="DIR") if err.field in ("outdir", "run") else err) from None
    print(f"{kind} run {run_dir}: report rebuilt from its files -> {', '.join(str(p) for p in written)}")
    return 0


def _add_run_options(s: argparse.ArgumentParser, *, force_help: str) -> None:
    """--out, --force, --workers and --quiet, shared by the commands that run many simulations."""
    s.add_argument("--out", required=True, help="output directory")
    s.add_argument("--force", action="store_true", help=force_help)
    s.add_argument("--workers", type=_positive_int, default=None, help="worker processes (default: all cores)")
    s.add_argument("--quiet", action="store_true", help="no progress bar")


def _add_study_options(s: argparse.ArgumentParser) -> None:
    """The run options plus --resume and the Dask options, shared by the resumable studies."""
    _add_run_options(s, force_help="start afresh, deleting --out")
    s.add_argument("--resume", action="store_true", help="continue an interrupted run in --out")
    s.add_argument("--scheduler", default=None, help="Dask scheduler address (tcp://HOST:PORT)")
    s.add_argument("--dask-local", type=_positive_int, default=None, help="run on a Dask LocalCluster of N workers")


def command_parser() -> argparse.ArgumentParser:
    """The `crosstalk` command's argument parser (its subcommands and options; the documentation prints it)."""
    p = argparse.ArgumentParser(prog="crosstalk", description=DESCRIPTION, epilog=EXAMPLES,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("-v", "--verbose", action="store_true", help="log progress")
    p.add_argument("--version", action="version", version=f"crosstalk {__version__}")
    sub = p.add_subparsers(dest="command", required=True)

    s = sub.add_parser("simulate", help="simulate one scenario (a TOML file or a built-in name)")
    s.add_argument("scenario", help="scenario TOML file, or a built-in scenario's name (crosstalk list)")
    s.add_argument("--out", required=True, help="output directory")
    s.add_argument("--force", action="store_true", help="overwrite an existing output directory")
    s.add_argument("--no-plot", action="store_true", help="skip summary.png")
    uncertainty.add_options(s, seed=True)
    s.add_argument("--workers", type=_positive_int, default=None,
                   help="worker processes of the ensemble (default: all cores)")
    s.add_argument("--quiet", action="store_true", help="no progress bar")
    s.set_defaults(func=_cmd_simulate)

    s = sub.add_parser("list", help="list the built-in scenarios")
    s.set_defaults(func=_cmd_list)

    s = sub.add_parser("demo", help="run every built-in scenario and the regime sensitivity analysis")
    s.add_argument("--out", default="out", help="output directory (default: out)")
    s.add_argument("--force", action="store_true", help="overwrite existing outputs")
    s.add_argument("--analysis", default="analysis/regimes_during_ac.toml", help="analysis spec to run")
    s.add_argument("--workers", type=_positive_int, default=None, help="worker processes (default: all cores)")
    s.set_defaults(func=_cmd_demo)

    s = sub.add_parser("compare", help="overlay scenarios and tabulate their endpoints")
    s.add_argument("scenarios", nargs="+",
                   help="scenario TOML files or built-in names (the first is the reference)")
    s.add_argument("--cohort", type=_positive_int, default=None, metavar="N",
                   help="run each scenario as a cohort of N virtual patients (the same patients with the same "
                        "--seed) and report absolute risk differences with NNT and bootstrap intervals")
    s.add_argument("--seed", type=int, default=1,
                   help="seed of the cohorts and the bootstrap, or of the ensemble (default 1)")
    s.add_argument("--n-boot", type=int, default=2000, help="bootstrap resamples (default 2000)")
    uncertainty.add_options(s, seed=False)
    _add_run_options(s, force_help="overwrite an existing output directory")
    s.set_defaults(func=_cmd_compare)

    s = sub.add_parser("cohort", help="simulate a virtual cohort (Latin hypercube over the [cohort] ranges)")
    s.add_argument("scenario", help="scenario TOML file with a [cohort] section")
    s.add_argument("--n", type=_positive_int, default=500, help="number of virtual patients (default 500)")
    s.add_argument("--seed", type=int, default=1, help="seed of the Latin hypercube (default 1)")
    _add_run_options(s, force_help="replace an existing output directory (deleting what it holds)")
    s.set_defaults(func=_cmd_cohort)

    s = sub.add_parser("sensitivity",
                       help="Sobol, Morris or polynomial-chaos (pce) sensitivity analysis with an HTML report")
    s.add_argument("spec", help="analysis TOML (analysis/*.toml)")
    _add_study_options(s)
    s.set_defaults(func=_cmd_sensitivity)

    s = sub.add_parser("optimise", help="search exercise prescriptions (NSGA-II) over a virtual population: "
                                         "Pareto front of the spec's objectives")
    s.add_argument("spec", help="optimisation TOML ([[decision]], [[objective]], [[constraint]])")
    _add_study_options(s)
    s.set_defaults(func=_cmd_optimise)

    s = sub.add_parser("report", help="rebuild a finished run's report (sensitivity, optimise: report.html; cohort: "
                                       "cohort.png, summary.md) from its directory, without simulating")
    s.add_argument("run", metavar="DIR", help="the run's directory (the --out of the command that ran it)")
    s.add_argument("--out", default=None, help="where to write the report (default: DIR)")
    s.set_defaults(func=_cmd_report)

    s = sub.add_parser("check", help="validate scenario or analysis TOML files without running them")
    s.add_argument("files", nargs="+", help="scenario or analysis TOML files")
    s.set_defaults(func=_cmd_check)

    s = sub.add_parser("export", help="write a scenario as SBML (schedule as events), SED-ML or a COMBINE archive")
    s.add_argument("scenario", help="scenario TOML file")
    s.add_argument("--format", choices=("sbml", "sedml", "omex"), default="sbml",
                   help="sbml: model with the scenario baked in; sedml: SED-ML plus the SBML next to it "
                        "(same stem, .xml); omex: COMBINE archive with both (default: sbml)")
    s.add_argument("--out", required=True, help="output file (e.g. scenario.xml, scenario.sedml, scenario.omex)")
    s.add_argument("--force", action="store_true", help="overwrite existing files")
    s.set_defaults(func=_cmd_export)

    s = sub.add_parser("validate", help="run every calibration target and write validation.html/.csv")
    s.add_argument("--out", required=True, help="output directory")
    s.add_argument("--composed", action="store_true", help="run every target on the composed model")
    s.set_defaults(func=_cmd_validate)

    s = sub.add_parser("build", help="regenerate the SBML documents from the model sources (crosstalk/models)")
    s.add_argument("--check", action="store_true",
                   help="only check that every document (composed and flattened included) is current and valid")
    s.set_defaults(func=_cmd_build)
    authoring.add_parsers(sub)
    calibrate.add_parsers(sub)
    explore.add_parsers(sub)
    return p


def _quiet_solver() -> None:
    from crosstalk.sim.simulator import quiet_solver

    quiet_solver()


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``crosstalk`` command."""
    args = command_parser().parse_args(argv)
    logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING, format="%(message)s")
    warnings.showwarning = show_warning_line  # the command owns its terminal; a library user keeps theirs
    _quiet_solver()
    try:
        code: int = args.func(args)
        return code
    except InputError as err:
        print(f"crosstalk: error: {_flag_error(err)}", file=sys.stderr)
        return 2
    except CrosstalkError as err:
        print(f"crosstalk: failed: {err}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("crosstalk: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:  # output piped into e.g. `head`: stop quietly
        sys.stderr.close()
        return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
