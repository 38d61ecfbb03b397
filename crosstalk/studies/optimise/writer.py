"""Writing a finished optimisation's tables into its run directory, each file atomically.

What is written is what :func:`~crosstalk.studies.optimise.readback.read_optimisation` reads back: the tables, the
whole spec (``spec.json``), and ``provenance.json`` last (its presence says the run finished).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import fields
from pathlib import Path
from typing import Any

from crosstalk.files import write_atomic, write_csv_atomic
from crosstalk.sim.result import Result
from crosstalk.studies.optimise.posthoc import benefit_drivers
from crosstalk.studies.optimise.search import OptimisationResult
from crosstalk.studies.optimise.spec import OptimisationSpec
from crosstalk.studies.rundir import write_provenance, write_results, write_spec

__all__ = ["EVALUATIONS", "KIND", "TRAJECTORIES", "optimisation_to_dict", "write_optimisation", "write_trajectories"]

#: The kind of run in an optimisation's run directory (its manifest says so).
KIND = "optimise"
#: Every evaluated prescription and patient: the run's store of work, read back on resume.
EVALUATIONS = "evaluations.parquet"
#: Where the chosen prescriptions' trajectories are kept for the report (:func:`write_trajectories`).
TRAJECTORIES = "trajectories"


def optimisation_to_dict(spec: OptimisationSpec) -> dict[str, Any]:
    """The whole spec as plain data, its base scenario included (what ``spec.json`` keeps; read back by
    :func:`~crosstalk.studies.optimise.readback.optimisation_from_dict`)."""
    def plain(obj: Any) -> dict[str, Any]:
        return {f.name: getattr(obj, f.name) for f in fields(obj) if f.init}

    return {"name": spec.name, "base_scenario": spec.base_scenario.to_dict(),
            "decision": [plain(d) for d in spec.decisions], "objective": [plain(o) for o in spec.objectives],
            "constraint": [{"expression": c.expression} for c in spec.constraints], "method": spec.method,
            "population_size": spec.population_size, "generations": spec.generations, "patients": spec.patients,
            "seed": spec.seed, "n_boot": spec.n_boot, "question": spec.question,
            "uncertain": [r.to_dict() for r in spec.uncertain], "uncertain_n": spec.uncertain_n,
            "holdout_patients": spec.holdout_patients}


def write_optimisation(result: OptimisationResult, outdir: str | Path) -> Path:
    """Write ``front.csv``, ``candidates.csv``, ``evaluations.parquet``, (the model, not stand-ins)
    ``sedentary.csv``, ``sedentary_outputs.csv``, ``patients.csv`` and ``benefit_drivers.csv``, where computed
    ``uncertainty*.csv`` and ``holdout.csv``, ``spec.json``, and last ``provenance.json`` into ``outdir``, each
    atomically."""
    outdir = Path(outdir)
    write_csv_atomic(outdir / "front.csv", result.front, index=False)
    if len(result.sedentary):
        write_csv_atomic(outdir / "sedentary.csv", result.sedentary, index=False)
        write_csv_atomic(outdir / "sedentary_outputs.csv", result.sedentary_outputs, index=False)
        write_csv_atomic(outdir / "patients.csv", result.patients, index=False)
        write_csv_atomic(outdir / "benefit_drivers.csv", benefit_drivers(result), index=False)
    if len(result.uncertainty_summary):
        write_csv_atomic(outdir / "uncertainty.csv", result.uncertainty, index=False)
        write_csv_atomic(outdir / "uncertainty_summary.csv", result.uncertainty_summary, index=False)
    if len(result.holdout):
        write_csv_atomic(outdir / "holdout.csv", result.holdout, index=False)
    write_csv_atomic(outdir / "candidates.csv", result.candidates, index=False)
    write_atomic(outdir / EVALUATIONS, lambda tmp: result.evaluations.to_parquet(tmp, index=False))
    write_spec(outdir, optimisation_to_dict(result.spec), source_text=result.spec.source_text)
    write_provenance(outdir, result.provenance)
    return outdir


def write_trajectories(trajectories: Mapping[str, Result], outdir: str | Path) -> Path:
    """Keep the trajectories the report draws (:func:`~crosstalk.studies.optimise.run.chosen_trajectories`) in
    ``outdir/trajectories/``, so the report can be rebuilt without simulating."""
    return write_results(Path(outdir) / TRAJECTORIES, trajectories)
