"""The calibration commands: ``crosstalk petab`` (scenarios and measurements as a PEtab problem) and ``crosstalk
fit`` (pyPESTO multistart and profiles of a PEtab problem, with a report)."""

from __future__ import annotations

import argparse
from pathlib import Path

from crosstalk.errors import InputError

__all__ = ["add_parsers"]


def _bounds(items: list[str]) -> dict[str, tuple[float, float]]:
    out = {}
    for item in items:
        name, _, rng = item.partition("=")
        low, _, high = rng.partition(":")
        try:
            out[name] = (float(low), float(high))
        except ValueError:
            raise InputError("--bounds", item, "ID=LOWER:UPPER, e.g. k_il6_clearance=0.1:5") from None
    return out


def _cmd_petab(args: argparse.Namespace) -> int:
    from crosstalk.calibrate.measurements import read_measurements
    from crosstalk.calibrate.problem import build_problem, condition_id, write_problem
    from crosstalk.model.observables import observables_for
    from crosstalk.spec.scenario import load_scenario

    ids = [condition_id(Path(p).stem) for p in args.scenarios]
    if len(set(ids)) != len(ids):
        raise InputError("SCENARIO", args.scenarios, "scenarios whose file stems give distinct condition ids")
    scenarios = {cid: load_scenario(p) for cid, p in zip(ids, args.scenarios)}
    first = next(iter(scenarios.values()))
    table = read_measurements(args.measurements, conditions=list(scenarios),
                              observables=[o.name for o in observables_for(first.model)])
    out = Path(args.out)
    if out.exists() and any(out.iterdir()) and not args.force:
        raise InputError("--out", str(out), "a new or empty directory (or pass --force to overwrite)")
    estimate = [e for e in ",".join(args.estimate).split(",") if e]
    calibration = build_problem(scenarios, table, estimate, bounds=_bounds(args.bounds))
    path = write_problem(calibration, out)
    print(f"PEtab problem: {len(scenarios)} conditions ({', '.join(scenarios)}), {len(table)} measurements, "
          f"{len(calibration.problem.parameter_df)} estimated parameters -> {path}")
    return 0


def _cmd_fit(args: argparse.Namespace) -> int:
    from crosstalk.calibrate.fit import fit_problem
    from crosstalk.report.fit import write_fit_report

    result = fit_problem(args.problem, starts=args.starts, seed=args.seed, profiles=not args.no_profiles,
                         profile_step=args.profile_step, outdir=args.out, force=args.force)
    report = write_fit_report(result, args.out)
    for r in result.estimates.to_dict("records"):
        low = f"open (<= {r['lower95']:.4g})" if r["lower_open"] else f"{r['lower95']:.4g}"
        high = f"open (>= {r['upper95']:.4g})" if r["upper_open"] else f"{r['upper95']:.4g}"
        interval = "" if r["lower95"] != r["lower95"] else f" (95 % {low} to {high})"
        print(f"  {r['parameter']} = {r['estimate']:.4g}{interval} {r['identifiability']}")
    print(f"fit of {args.problem}: best -log L {result.provenance['best_fval']:.6g} in "
          f"{result.provenance['wall_time_s']} s -> {Path(args.out) / 'estimates.csv'}, {report}")
    return 0


def add_parsers(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add ``petab`` and ``fit`` to the command line's subcommands."""
    s = sub.add_parser("petab", help="write scenarios and a PEtab measurement table as a PEtab problem")
    s.add_argument("scenarios", nargs="+", help="scenario files or built-in names; each file stem is a condition id")
    s.add_argument("--measurements", required=True,
                   help="tab-separated PEtab measurements: observableId (a crosstalk observable), "
                        "simulationConditionId (a scenario's stem), time (h), measurement, optional noiseParameters "
                        "(standard deviation; without it the noise level is estimated)")
    s.add_argument("--estimate", required=True, action="append",
                   help="parameter ids to estimate, comma-separated (log10 scale)")
    s.add_argument("--bounds", action="append", default=[],
                   help="ID=LOWER:UPPER search range (default: 10x around the nominal value); repeatable")
    s.add_argument("--out", required=True, help="directory of the problem (problem.yaml and its tables)")
    s.add_argument("--force", action="store_true", help="overwrite an existing output directory")
    s.set_defaults(func=_cmd_petab)

    s = sub.add_parser("fit", help="fit a PEtab problem with pyPESTO (multistart, profile likelihoods, report)")
    s.add_argument("problem", help="a PEtab problem.yaml (crosstalk petab writes one)")
    s.add_argument("--starts", type=int, default=20, help="local optimisations from a Latin hypercube (default 20)")
    s.add_argument("--seed", type=int, default=1, help="seed of the start points (default 1)")
    s.add_argument("--no-profiles", action="store_true", help="skip the profile likelihoods (no intervals)")
    s.add_argument("--profile-step", type=float, default=None,
                   help="fixed profile step in log10 units, up to 0.2 (default: adaptive; a flat profile of a "
                        "non-identifiable parameter can take hundreds of adaptive steps)")
    s.add_argument("--out", required=True, help="run directory: estimates.csv, starts.csv, profiles.csv, report")
    s.add_argument("--force", action="store_true", help="replace what the run directory holds")
    s.set_defaults(func=_cmd_fit)
