"""Running an optimisation: the run directory, the search, the post-hoc steps one after the other, the files.

Nothing is lost: every evaluated candidate (its decisions and each patient's outputs) is kept in
``evaluations.parquet`` (written atomically after each generation) next to ``manifest.json`` in a run directory
opened with :func:`crosstalk.studies.rundir.open_run` (kind ``"optimise"``); ``resume=True`` replays the seeded
search and takes every candidate already evaluated from that file, so an interrupted run continues to the same
front as an uninterrupted one. A finished run is read back, without simulating, with
:func:`crosstalk.studies.optimise.readback.read_optimisation`.
"""

from __future__ import annotations

import time
from concurrent.futures import Executor
from contextlib import nullcontext
from dataclasses import replace
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from crosstalk.errors import InputError
from crosstalk.model.parameters import model_hash
from crosstalk.sim.result import Result, versions
from crosstalk.sim.simulator import simulate
from crosstalk.studies.cohort import cohort_scenario, sample_cohort
from crosstalk.studies.executors import local_executor
from crosstalk.studies.optimise.posthoc import with_holdout, with_uncertainty
from crosstalk.studies.optimise.search import OptimisationResult, Prescribe, chosen_prescriptions, search
from crosstalk.studies.optimise.spec import OptimisationSpec, prescribe
from crosstalk.studies.optimise.writer import EVALUATIONS, KIND, write_optimisation
from crosstalk.studies.rundir import MANIFEST, open_run

__all__ = ["KIND", "MANIFEST", "chosen_trajectories", "run_optimisation"]


def _manifest(spec: OptimisationSpec) -> dict[str, Any]:
    return {"spec_hash": spec.spec_hash(), "name": spec.name, "seed": spec.seed, "patients": spec.patients,
            "population_size": spec.population_size, "generations": spec.generations,
            "model": spec.base_scenario.model, "model_sha256": model_hash(spec.base_scenario.model),
            "versions": versions()}


def run_optimisation(spec: OptimisationSpec, outdir: str | Path | None = None, *, executor: Executor | None = None,
                     workers: int | None = None, resume: bool = False, force: bool = False, progress: bool = True,
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
        The run directory (:func:`crosstalk.studies.rundir.open_run`): where the evaluations are saved after each
        generation and the results written (needed to resume).
    executor : concurrent.futures.Executor, optional
        Runs the simulations (e.g. ``client.get_executor()``); default: a local pool of ``workers`` processes.
    workers : int, optional
        Processes of the local pool (default: all cores; 1: this process).
    resume : bool
        Continue the run saved in ``outdir``: evaluated candidates are read back, the search replayed.
    force : bool
        Replace whatever ``outdir`` holds (ignored with ``resume``).
    progress : bool
        A progress bar per generation.
    prescribe_fn : callable, optional
        Replaces the simulation of one patient (see :data:`~crosstalk.studies.optimise.search.Prescribe`;
        known-answer tests). The patients are then ``spec.patients`` rows of ``{"patient": index}``.

    Returns
    -------
    OptimisationResult

    Raises
    ------
    InputError
        ``resume`` without an ``outdir``; an ``outdir`` that holds a run and neither ``resume`` nor ``force``;
        resuming a run of another spec; an ``outdir`` whose manifest is corrupt or of another kind of run.
    """
    t0 = time.perf_counter()
    if resume and outdir is None:
        raise InputError("outdir", None, "the directory of the run to resume (resume=True needs one)")
    if prescribe_fn is None:
        spec.check_contract()
        patients = sample_cohort(cohort_scenario(spec.base_scenario), spec.patients, seed=spec.seed)
    else:
        patients = pd.DataFrame({"patient": np.arange(spec.patients, dtype=float)})
    # the evaluations are the run's store of work, kept in evaluations.parquet (not chunks/) as they always were
    run = None if outdir is None else open_run(outdir, kind=KIND, spec_hash=spec.spec_hash(), manifest=_manifest(spec),
                                               resume=resume, force=force, chunks=False)
    saved = save = None
    if run is not None:
        saved = run.read_table(EVALUATIONS) if run.resumed else None
        save = partial(run.write_table, EVALUATIONS)
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


def chosen_trajectories(result: OptimisationResult) -> dict[str, Result]:
    """The base scenario's patient with sedentary care and with each chosen prescription, simulated: what the
    report draws as trajectories, by name (``"sedentary care"``, then ``"<why>: <prescription>"``). Keep them with
    the run (:func:`~crosstalk.studies.optimise.writer.write_trajectories`) so the report can be rebuilt."""
    spec = result.spec
    trajectories = {"sedentary care": simulate(replace(spec.base_scenario, exercise=()))}
    for row in chosen_prescriptions(result).to_dict("records"):
        decisions = {d.name: row[d.name] for d in spec.decisions}
        trajectories[f"{row['why']}: {row['prescription']}"] = simulate(prescribe(spec.base_scenario, decisions))
    return trajectories
