"""Running an optimisation: the run directory, the search, the post-hoc steps one after the other, the files.

Nothing is lost: every evaluated candidate (its decisions and each patient's outputs) is kept in
``evaluations.parquet`` (written atomically after each generation) next to ``manifest.json``; ``resume=True``
replays the seeded search and takes every candidate already evaluated from that file, so an interrupted run
continues to the same front as an uninterrupted one.
"""

from __future__ import annotations

import json
import time
from concurrent.futures import Executor
from contextlib import nullcontext
from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd

from crosstalk.errors import InputError
from crosstalk.files import write_atomic, write_json_atomic
from crosstalk.model.parameters import model_hash
from crosstalk.sim.result import versions
from crosstalk.studies.cohort import cohort_scenario, sample_cohort
from crosstalk.studies.executors import local_executor
from crosstalk.studies.optimise.posthoc import with_holdout, with_uncertainty
from crosstalk.studies.optimise.search import OptimisationResult, Prescribe, search
from crosstalk.studies.optimise.spec import OptimisationSpec
from crosstalk.studies.optimise.writer import write_optimisation

__all__ = ["MANIFEST", "run_optimisation"]

#: The file in an optimisation's outdir that identifies its run (spec hash, seed, model hash, versions).
MANIFEST = "manifest.json"


def _prepare_outdir(spec: OptimisationSpec, outdir: Path, *, resume: bool) -> pd.DataFrame | None:
    manifest = {"spec_hash": spec.spec_hash(), "name": spec.name, "seed": spec.seed, "patients": spec.patients,
                "population_size": spec.population_size, "generations": spec.generations,
                "model": spec.base_scenario.model, "model_sha256": model_hash(spec.base_scenario.model),
                "versions": versions()}
    path = outdir / MANIFEST
    if path.exists():
        if not resume:
            raise InputError("outdir", str(outdir), "a new directory, or resume=True to continue the run in it")
        old = json.loads(path.read_text(encoding="utf-8"))
        if old.get("spec_hash") != manifest["spec_hash"]:
            raise InputError("outdir", str(outdir), "the directory of a run of this spec (it holds another spec's)")
        saved = outdir / "evaluations.parquet"
        return pd.read_parquet(saved) if saved.exists() else None
    outdir.mkdir(parents=True, exist_ok=True)
    write_json_atomic(path, manifest)
    return None




def run_optimisation(spec: OptimisationSpec, outdir: str | Path | None = None, *, executor: Executor | None = None,
                     workers: int | None = None, resume: bool = False, progress: bool = True,
                     prescribe_fn: Prescribe | None = None) -> OptimisationResult:
    """Search the prescriptions of ``spec`` (NSGA-II) on its virtual patients; the non-dominated front.

    The steps, one after the other: the virtual patients and the run directory; the search
    (:func:`~crosstalk.studies.optimise.search.search`); with ``[[uncertain]]`` ranges (the model only), the
    uncertainty study (:func:`~crosstalk.studies.optimise.posthoc.with_uncertainty`); with ``holdout_patients``,
    the holdout study (:func:`~crosstalk.studies.optimise.posthoc.with_holdout`); the files
    (:func:`~crosstalk.studies.optimise.writer.write_optimisation`).

    Parameters
    ----------
    spec : OptimisationSpec
    outdir : path, optional
        Where the evaluations are saved after each generation and the results written (needed to resume).
    executor : concurrent.futures.Executor, optional
        Runs the simulations (e.g. ``client.get_executor()``); default: a local pool of ``workers`` processes.
    workers : int, optional
        Processes of the local pool (default: all cores; 1: this process).
    resume : bool
        Continue the run saved in ``outdir``: evaluated candidates are read back, the search replayed.
    progress : bool
        A progress bar per generation.
    prescribe_fn : callable, optional
        Replaces the simulation of one patient (see :data:`~crosstalk.studies.optimise.search.Prescribe`;
        known-answer tests). The patients are then ``spec.patients`` rows of ``{"patient": index}``.

    Returns
    -------
    OptimisationResult
    """
    t0 = time.perf_counter()
    if resume and outdir is None:
        raise InputError("outdir", None, "the directory of the run to resume (resume=True needs one)")
    if prescribe_fn is None:
        spec.check_contract()
        patients = sample_cohort(cohort_scenario(spec.base_scenario), spec.patients, seed=spec.seed)
    else:
        patients = pd.DataFrame({"patient": np.arange(spec.patients, dtype=float)})
    saved = None if outdir is None else _prepare_outdir(spec, Path(outdir), resume=resume)
    save = None if outdir is None else (
        lambda df: write_atomic(Path(outdir) / "evaluations.parquet", lambda tmp: df.to_parquet(tmp, index=False)))
    with local_executor(workers) if executor is None else nullcontext(executor) as ex:
        result = search(spec, patients, executor=ex, workers=workers, progress=progress, prescribe_fn=prescribe_fn,
                        saved=saved, save=save)
        # the post-hoc steps on the same pool: one executor for the whole study
        if spec.uncertain and prescribe_fn is None:
            result = with_uncertainty(result, executor=ex, workers=workers, progress=progress)
        if spec.holdout_patients:
            result = with_holdout(result, executor=ex, workers=workers, progress=progress, prescribe_fn=prescribe_fn)
    result = replace(result, provenance={**result.provenance, "wall_time_s": round(time.perf_counter() - t0, 2)})
    if outdir is not None:
        write_optimisation(result, outdir)
    return result
