"""Writing a finished optimisation's tables into its run directory, each file atomically."""

from __future__ import annotations

from pathlib import Path

from crosstalk.files import write_atomic, write_csv_atomic, write_json_atomic
from crosstalk.studies.optimise.posthoc import benefit_drivers
from crosstalk.studies.optimise.search import OptimisationResult

__all__ = ["write_optimisation"]


def write_optimisation(result: OptimisationResult, outdir: str | Path) -> Path:
    """Write ``front.csv``, ``candidates.csv``, ``evaluations.parquet``, ``provenance.json``, (the model, not
    stand-ins) ``sedentary.csv``, ``patients.csv`` and ``benefit_drivers.csv``, and where computed
    ``uncertainty*.csv`` and ``holdout.csv`` into ``outdir``, each atomically."""
    outdir = Path(outdir)
    write_csv_atomic(outdir / "front.csv", result.front, index=False)
    if len(result.sedentary):
        write_csv_atomic(outdir / "sedentary.csv", result.sedentary, index=False)
        write_csv_atomic(outdir / "patients.csv", result.patients, index=False)
        write_csv_atomic(outdir / "benefit_drivers.csv", benefit_drivers(result), index=False)
    if len(result.uncertainty_summary):
        write_csv_atomic(outdir / "uncertainty.csv", result.uncertainty, index=False)
        write_csv_atomic(outdir / "uncertainty_summary.csv", result.uncertainty_summary, index=False)
    if len(result.holdout):
        write_csv_atomic(outdir / "holdout.csv", result.holdout, index=False)
    write_csv_atomic(outdir / "candidates.csv", result.candidates, index=False)
    write_atomic(outdir / "evaluations.parquet", lambda tmp: result.evaluations.to_parquet(tmp, index=False))
    write_json_atomic(outdir / "provenance.json", result.provenance)
    return outdir

