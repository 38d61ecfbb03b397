"""What the built-in prescription search costs: ``analysis/prescriptions_during_ac.toml`` run whole.

Run from the repository root (``make bench`` runs it, ~20-40 min on 2 cores)::

    python benchmarks/bench_optimise.py [--out DIR]

Runs :func:`crosstalk.studies.optimise.run.run_optimisation` on the built-in AC spec (24 prescriptions x 12
generations on 32 virtual patients, the uncertainty re-runs and 64 holdout patients) on all workers, as
``crosstalk optimise`` does, and records its counts and wall time. The run directory (default
``out/prescriptions``) is kept: the docs' answer to "which prescription during AC?" is read from it.
Writes ``benchmarks/results_optimise.json``.
"""

from __future__ import annotations

import argparse
import json
import time
import warnings
from pathlib import Path

from crosstalk import load_optimisation, run_optimisation
from crosstalk.studies.executors import default_workers

REPO = Path(__file__).resolve().parent.parent
SPEC = REPO / "analysis" / "prescriptions_during_ac.toml"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", default=str(REPO / "out" / "prescriptions"), help="run directory (kept)")
    args = ap.parse_args(argv)
    warnings.simplefilter("ignore")  # the AC course's reading-time notes, once per worker
    workers = default_workers()
    t0 = time.perf_counter()
    result = run_optimisation(load_optimisation(SPEC), args.out, workers=workers, progress=False)
    wall = time.perf_counter() - t0
    p = result.provenance
    out = {"date": time.strftime("%Y-%m-%d"), "spec": SPEC.relative_to(REPO).as_posix(), "workers": workers,
           "wall_s": round(wall, 1), "candidates": p["candidates"],
           "unique_feasible": p["unique_feasible"], "simulations": p["simulations"], "patients": p["patients"],
           "front": len(result.front), "model_sha256": p["model_sha256"], "versions": p["versions"]}
    (REPO / "benchmarks" / "results_optimise.json").write_text(json.dumps(out, indent=2) + "\n", encoding="utf-8")
    print(json.dumps(out, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
