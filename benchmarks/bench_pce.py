"""The 20-parameter study by polynomial chaos against the Saltelli n = 4096 reference.

Run from the repository root (``make bench`` runs it with the defaults)::

    python benchmarks/bench_pce.py                  # pce with n = 512 from the command line, ~3-5 min on 2 cores
    python benchmarks/bench_pce.py --n 256 512 1024 # several design sizes (indices vs simulations)
    python benchmarks/bench_pce.py --reference      # (re)compute the reference: 90,112 simulations, hours
    python benchmarks/bench_pce.py --pce-run DIR    # compare a finished pce run with the kept reference
    python benchmarks/bench_pce.py --partial RUN --pce-run DIR   # ... with an unfinished reference run

The reference is ``analysis/bench_20_parameters.toml`` (Saltelli, n = 4096, 4096 x 22 = 90,112 simulations of the
resolved model, first and total order), run once with ``crosstalk sensitivity`` and kept in
``benchmarks/reference/bench_20_parameters/`` (``indices.csv``, ``manifest.json``, ``provenance.json``). The pce
study is ``analysis/bench_20_parameters_pce.toml`` (same inputs, ranges and outputs) with its ``n`` replaced.
Each run is timed from the command line (``crosstalk sensitivity ... --workers N``: process start, model
compilation, simulations, expansions, report). For every output whose cross-validated Q2 reaches the spec's
threshold, the largest difference of S1 and ST from the reference, and whether each index is within 0.05 of the
reference or within the reference's 95 % interval (the acceptance criterion), are printed and written to
``benchmarks/results_pce.json``.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
import time
import tomllib
from pathlib import Path

import pandas as pd

REPO = Path(__file__).resolve().parent.parent
REFERENCE = REPO / "benchmarks" / "reference" / "bench_20_parameters"
PCE_SPEC = REPO / "analysis" / "bench_20_parameters_pce.toml"
SOBOL_SPEC = REPO / "analysis" / "bench_20_parameters.toml"
#: The agreement criterion: within this of the reference, or within the reference's 95 % interval.
TOLERANCE = 0.05


def run_cli(spec: Path, out: Path, workers: int, *, resume: bool = False) -> float:
    """Wall time (s) of ``crosstalk sensitivity spec --out out --workers workers`` in a fresh process."""
    cmd = [sys.executable, "-m", "crosstalk", "sensitivity", str(spec), "--out", str(out), "--workers",
           str(workers), "--quiet", *(["--resume"] if resume else ["--force"])]
    t0 = time.perf_counter()
    subprocess.run(cmd, check=True)
    return time.perf_counter() - t0


def compare(indices: pd.DataFrame, surrogate: pd.DataFrame, reference: pd.DataFrame) -> list[dict[str, object]]:
    """Per output: Q2, the largest |S1 - S1_ref| and |ST - ST_ref|, and whether every index agrees."""
    rows = []
    ref = reference.set_index(["output", "parameter"])
    for out, q2 in surrogate.set_index("output").q2.items():
        ours = indices[indices.output == out].set_index(["output", "parameter"])
        both = ours.join(ref, rsuffix="_ref", how="inner")
        d1 = (both.S1 - both.S1_ref).abs()
        dt = (both.ST - both.ST_ref).abs()
        agree = ((d1 <= TOLERANCE) | (d1 <= both.S1_conf_ref)) & ((dt <= TOLERANCE) | (dt <= both.ST_conf_ref))
        worst = both.assign(d=pd.concat([d1, dt], axis=1).max(axis=1)).d.idxmax()[1]
        rows.append({"output": out, "q2": float(q2), "max_abs_diff_S1": float(d1.max()),
                     "max_abs_diff_ST": float(dt.max()), "worst_parameter": worst, "all_agree": bool(agree.all())})
    return rows


def partial_reference(run_dir: Path, *, resamples: int = 200) -> tuple[pd.DataFrame, int]:
    """Saltelli indices from the complete base samples of an unfinished reference run.

    The design's rows come in groups of D + 2 per base sample, in chunk order, and the first 2^k base samples of
    the scrambled Sobol sequence are themselves a balanced design; so the largest power of two of complete groups
    gives an interim reference with SALib's own intervals (``resamples`` bootstrap resamples).
    """
    import numpy as np
    from SALib.analyze import sobol

    from crosstalk.studies.sensitivity import load_analysis

    spec = load_analysis(SOBOL_SPEC)
    files = sorted((run_dir / "chunks").glob("chunk_*.parquet"))
    rows = pd.concat([pd.read_parquet(f) for f in files], ignore_index=True)
    group = len(spec.parameters) + 2
    base = 2 ** int(np.log2(len(rows) // group))
    rows = rows.iloc[:base * group]
    if rows.failed.any():
        raise SystemExit(f"{int(rows.failed.sum())} failed simulations in the first {base} base samples")
    names = [p.name for p in spec.parameters]
    parts = []
    for out in spec.outputs:
        r = sobol.analyze(spec.problem, rows[out].to_numpy(float), calc_second_order=False,
                          num_resamples=resamples, seed=spec.seed)
        parts.append(pd.DataFrame({"output": out, "parameter": names, "S1": r["S1"], "S1_conf": r["S1_conf"],
                                   "ST": r["ST"], "ST_conf": r["ST_conf"]}))
    return pd.concat(parts, ignore_index=True), base


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, nargs="+", default=[512], help="pce design sizes (default 512)")
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--reference", action="store_true",
                    help="compute the Saltelli n = 4096 reference (resumable: reruns only missing chunks)")
    ap.add_argument("--reference-run", default=str(REPO / "out" / "bench_20_parameters_sobol4096"),
                    help="working directory of the reference run (its chunks; not kept in the repository)")
    ap.add_argument("--json", default=str(REPO / "benchmarks" / "results_pce.json"))
    ap.add_argument("--partial", metavar="RUN_DIR",
                    help="compare against the complete base samples of an unfinished reference run instead")
    ap.add_argument("--pce-run", metavar="DIR",
                    help="compare this finished pce run (its indices.csv, surrogate.csv) instead of running pce")
    args = ap.parse_args(argv)
    if args.partial or args.pce_run:
        return compare_existing(args)
    if args.reference:
        run_dir = Path(args.reference_run)
        seconds = run_cli(SOBOL_SPEC, run_dir, args.workers, resume=run_dir.exists())
        REFERENCE.mkdir(parents=True, exist_ok=True)
        for name in ("indices.csv", "manifest.json", "provenance.json"):
            shutil.copy(run_dir / name, REFERENCE / name)
        print(f"reference: {seconds:.0f} s (this invocation) -> {REFERENCE}")
    if not (REFERENCE / "indices.csv").exists():
        print(f"no reference in {REFERENCE}: run with --reference first (hours on 2 cores)")
    reference = pd.read_csv(REFERENCE / "indices.csv") if (REFERENCE / "indices.csv").exists() else None
    base = tomllib.loads(PCE_SPEC.read_text(encoding="utf-8"))
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        for n in args.n:
            spec = Path(tmp) / f"pce_{n}.toml"
            text = PCE_SPEC.read_text(encoding="utf-8").replace(f"n = {base['n']}\n", f"n = {n}\n", 1)
            spec.write_text(text.replace('base_scenario = "scenarios/', f'base_scenario = "{REPO}/scenarios/'),
                            encoding="utf-8")
            out = Path(tmp) / f"out_{n}"
            seconds = run_cli(spec, out, args.workers)
            indices = pd.read_csv(out / "indices.csv")
            surrogate = pd.read_csv(out / "surrogate.csv")
            provenance = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
            row: dict[str, object] = {"n": n, "workers": args.workers, "wall_s": round(seconds, 1),
                                      "surrogate": surrogate.to_dict("records"),
                                      "model_sha256": provenance.get("model_sha256")}
            print(f"\npce n = {n}: {seconds:.0f} s on {args.workers} workers (command line, end to end)")
            print(surrogate.to_string(index=False))
            if reference is not None:
                row["comparison"] = compare(indices, surrogate, reference)
                print(pd.DataFrame(row["comparison"]).to_string(index=False))
            results.append(row)
    Path(args.json).write_text(json.dumps({"date": time.strftime("%Y-%m-%d"), "runs": results}, indent=2),
                               encoding="utf-8")
    print(f"\nfigures -> {args.json}")
    return 0



def compare_existing(args: argparse.Namespace) -> int:
    """``--partial`` and/or ``--pce-run``: compare without running anything but the analysis."""
    if args.partial:
        reference, base = partial_reference(Path(args.partial))
        label = f"interim Saltelli reference from the first {base} base samples ({base * 22} simulations)"
    else:
        reference, base = pd.read_csv(REFERENCE / "indices.csv"), 4096
        label = f"Saltelli n = {base} reference ({REFERENCE})"
    if not args.pce_run:
        raise SystemExit("--partial compares an existing pce run: give --pce-run DIR")
    out = Path(args.pce_run)
    rows = compare(pd.read_csv(out / "indices.csv"), pd.read_csv(out / "surrogate.csv"), reference)
    print(f"{out} against the {label}:")
    print(pd.DataFrame(rows).to_string(index=False))
    Path(args.json).write_text(json.dumps({"date": time.strftime("%Y-%m-%d"), "pce_run": str(out),
                                           "reference": label, "reference_base_samples": base,
                                           "comparison": rows}, indent=2), encoding="utf-8")
    print(f"\nfigures -> {args.json}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
