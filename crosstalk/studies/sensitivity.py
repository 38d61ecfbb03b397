"""Global sensitivity analysis of scenarios: analysis spec -> design -> simulations -> indices.

A scenario adapter over the model-free engine (:mod:`crosstalk.studies.engine`): the spec
(:class:`~crosstalk.studies.analysis_spec.AnalysisSpec`) names ranges of a base scenario, this module turns each
design row into a scenario, simulates it and hands the outputs to the engine's one analysis loop. The study in three
steps, each a function of its own (:func:`run_sensitivity` chains them):

1. :func:`sample_analysis`: the design, the engine's for the spec's method (:mod:`crosstalk.studies.methods`: SALib's
   ``sobol`` and ``morris`` samplers, or a seeded Latin hypercube for ``pce``, whose indices come from a sparse
   polynomial chaos expansion fitted to each output, about a tenth of the simulations of ``sobol`` when the
   expansion fits). Every design lives on the unit hypercube; each :class:`~crosstalk.spec.ranges.ParameterRange`
   maps its column through its inverse CDF (uniform, log-uniform, normal, triangular). Whole-number regime fields
   (``exercise.sessions_per_week``) are rounded to the nearest allowed value when applied, so their index measures
   the effect of the rounded, real-world choice.
2. :func:`run_samples`: one simulation per sample, through any :class:`concurrent.futures.Executor` (a local
   process pool or a Dask client's executor; :mod:`crosstalk.studies.executors`), one executor for the whole study, in
   chunks of :data:`CHUNK` samples. With an ``outdir`` (a run directory, :mod:`crosstalk.studies.rundir`), each
   finished chunk is written atomically to ``outdir/chunks/`` (Parquet) next to ``outdir/manifest.json`` (kind,
   spec hash, seed, model hash, versions), so ``resume=True`` recomputes only missing chunks and gives the same
   indices as an uninterrupted run. Without one, everything stays in memory. A simulation that fails is retried
   once at ``rtol / 100``; one that fails again is recorded with its parameters, never fatal.
3. :func:`analyse_samples`: the indices (:meth:`crosstalk.studies.engine.Study.analyse`). A group of the design (a
   Sobol base sample's rows, a Morris trajectory, a pce row) containing a failure is dropped before analysis, so no
   NaN reaches the method; above ``max_failure_fraction`` the analysis stops and names the parameter region where
   failures concentrate.

Results are tidy DataFrames (:class:`SensitivityResult`); :func:`write_sensitivity` writes them as CSV with the
spec (``spec.json``) and :func:`read_sensitivity` reads a finished run's directory back into one, without
simulating (the report, figures and HTML, is :mod:`crosstalk.report.sensitivity`'s, and can so be rebuilt from
the files; the base scenario's run it draws is kept with :func:`write_base_run`).
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Callable, Mapping
from concurrent.futures import Executor
from contextlib import nullcontext
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np
import numpy.typing as npt
import pandas as pd

from crosstalk.errors import CrosstalkError, InputError, SimulationError
from crosstalk.files import write_csv_atomic
from crosstalk.model.parameters import model_hash
from crosstalk.plan.planner import output_grid
from crosstalk.sim.result import Result, versions
from crosstalk.sim.simulator import simulator_for
from crosstalk.spec.scenario import Scenario
from crosstalk.studies.analysis_spec import STUDY_RTOL, AnalysisSpec, load_analysis
from crosstalk.studies.engine import failure_region
from crosstalk.studies.executors import RunFailure, local_executor, run_many
from crosstalk.studies.rundir import (
    MANIFEST,
    PROVENANCE,
    SPEC,
    RunDirectory,
    open_run,
    read_frame,
    read_provenance,
    read_result,
    read_run,
    read_spec,
    write_provenance,
    write_result,
    write_spec,
)

log = logging.getLogger(__name__)

__all__ = ["CHUNK", "KIND", "MANIFEST", "STUDY_RTOL", "AnalysisSpec", "Evaluate", "SensitivityResult",
           "analyse_samples", "load_analysis", "read_base_run", "read_sensitivity", "run_samples", "run_sensitivity",
           "sample_analysis", "write_base_run", "write_sensitivity"]

#: Samples per chunk: the unit of progress saved to disk (and of work lost to an interruption).
CHUNK = 256
#: The kind of run in a sensitivity analysis's run directory (its manifest, :data:`MANIFEST`, says so).
KIND = "sensitivity"
#: The base scenario's run, kept in the run directory for the report's trajectories (:func:`write_base_run`).
BASE = "base"
#: Result tables written when not empty (an empty one left by an earlier analysis of the run is removed).
_OPTIONAL_TABLES = ("time_resolved", "convergence", "second_order", "surrogate")

FloatArray = npt.NDArray[np.float64]
#: A stand-in for the simulation (known-answer tests of the pipeline): a picklable module-level function of one
#: sample's values ``{range name: value}`` returning ``{output: value}`` (time-resolved outputs as ``obs@k``).
Evaluate = Callable[[dict[str, float]], Mapping[str, float]]


# ---------------------------------------------------------------------------------------------- 1. sampling
def sample_analysis(spec: AnalysisSpec) -> pd.DataFrame:
    """The design of ``spec``: one row per simulation in SALib's order, one column per range (parameter units).

    Deterministic: the same spec (seed included) gives the same design on any machine.

    Parameters
    ----------
    spec : AnalysisSpec
        The study (its method, ``n``, ``seed`` and ranges decide the design).
    """
    return spec.samples()


# ---------------------------------------------------------------------------------------------- 2. running
class SampleJob(NamedTuple):
    """One sample's work item (sent to a worker)."""

    scenario: Scenario | None       # the base scenario with the sample's values (None with ``evaluate``)
    values: dict[str, float]        # the sample's values by range name
    outputs: tuple[str, ...]        # endpoints to return
    series: tuple[str, ...]         # observables to return at every output time (``obs@k``)
    evaluate: Evaluate | None       # a stand-in for the simulation (known-answer tests)
    rtol: float                     # CVODE relative tolerance


def _run_sample(job: SampleJob) -> dict[str, float]:
    """One sample (runs in a worker process): the outputs, and ``retried`` (1.0 when the simulation was rerun).

    A simulation that fails (CVODE error, non-finite endpoints) is retried once at ``rtol / 100``: a stiff corner
    of the parameter space that the study tolerance cannot step through usually passes at a tighter one. A second
    failure propagates (the executor records the sample as failed).
    """
    retried = 0.0
    if job.evaluate is not None:
        row = {k: float(v) for k, v in job.evaluate(job.values).items()}
    else:
        if job.scenario is None:
            raise ValueError("a sample job needs a scenario or an evaluate function")
        try:
            res = simulator_for(job.scenario.model, rtol=job.rtol).run(job.scenario)
            _check_finite(res.endpoints, job.outputs)
        except (SimulationError, ArithmeticError) as first:
            log.info("sample %s: %s; retrying at rtol %g", job.values, first, job.rtol / 100)
            retried = 1.0
            try:
                res = simulator_for(job.scenario.model, rtol=job.rtol / 100).run(job.scenario)
            except SimulationError as second:
                raise SimulationError(f"{second} (also at rtol {job.rtol / 100:g}, after: {first})") from None
        row = {o: float(res.endpoints[o]) for o in job.outputs}
        if job.series:
            # time-resolved indices are per output time: the grid, not the samples that resolve each event
            ts = res.timeseries
            on_grid = ts.loc[np.isin(ts["time_h"].to_numpy(), res.compiled.output_times)]
            for obs in job.series:
                for k, v in enumerate(on_grid[obs].to_numpy()):
                    row[f"{obs}@{k}"] = float(v)
    if not all(math.isfinite(v) for v in row.values()):
        raise ArithmeticError("non-finite output" + (" after a retry at rtol/100" if retried else ""))
    row["retried"] = retried
    return row


def _check_finite(endpoints: Mapping[str, Any], outputs: tuple[str, ...]) -> None:
    bad = [o for o in outputs if not math.isfinite(float(endpoints[o]))]
    if bad:
        raise ArithmeticError(f"non-finite endpoints {bad}")


def _manifest(spec: AnalysisSpec, n_samples: int) -> dict[str, Any]:
    return {"spec_hash": spec.spec_hash(), "name": spec.name, "seed": spec.seed, "n": spec.n,
            "method": spec.method, "samples": n_samples, "chunk": CHUNK,
            "model": spec.base_scenario.model, "model_sha256": model_hash(spec.base_scenario.model),
            "versions": versions()}


def run_samples(spec: AnalysisSpec, outdir: str | Path | None = None, *, executor: Executor | None = None,
                workers: int | None = None, resume: bool = False, force: bool = False, progress: bool = True,
                evaluate: Evaluate | None = None) -> pd.DataFrame:
    """Run every sample of ``spec`` (or, with ``resume``, the ones an interrupted run left), chunk by chunk.

    Parameters
    ----------
    spec : AnalysisSpec
    outdir : path, optional
        The run directory, where chunks and the manifest are saved as they finish (needed to resume), opened with
        :func:`crosstalk.studies.rundir.open_run`. None: memory only.
    executor : concurrent.futures.Executor, optional
        Runs the simulations (e.g. ``client.get_executor()`` of a Dask client); default: a local pool of
        ``workers`` processes made for this study (:func:`crosstalk.studies.executors.local_executor`).
    workers : int, optional
        Processes of the local pool (default: all cores; 1: this process).
    resume : bool
        Continue the run saved in ``outdir`` (same spec): complete chunks are read back, the rest recomputed.
    force : bool
        Replace whatever ``outdir`` holds (ignored with ``resume``).
    progress : bool
        A progress bar per chunk.
    evaluate : callable, optional
        Replaces the simulation (see :data:`Evaluate`).

    Returns
    -------
    DataFrame
        ``sample``, the design (one column per range), the outputs, ``retried`` (1.0: rerun at rtol/100),
        ``failed`` and ``error``, in SALib's sample order.

    Raises
    ------
    InputError
        ``resume`` without an ``outdir``; an ``outdir`` that holds a run and neither ``resume`` nor ``force``;
        resuming a run of another spec; an ``outdir`` whose manifest is corrupt or of another kind of run.
    """
    if resume and outdir is None:
        raise InputError("outdir", None, "the directory of the run to resume (resume=True needs one)")
    design = sample_analysis(spec)
    n = len(design)
    run = None if outdir is None else open_run(outdir, kind=KIND, spec_hash=spec.spec_hash(),
                                               manifest=_manifest(spec, n), resume=resume, force=force)
    starts = range(0, n, CHUNK)
    # one executor for the whole study: a pool's workers compile their models once, not once per chunk
    with local_executor(workers) if executor is None else nullcontext(executor) as ex:
        parts = [_chunk(spec, design, c, start, run, ex, workers, evaluate, progress, len(starts))
                 for c, start in enumerate(starts)]
    return pd.concat(parts, ignore_index=True)


def _chunk_name(c: int) -> str:
    return f"chunk_{c:05d}.parquet"


def _chunk(spec: AnalysisSpec, design: pd.DataFrame, c: int, start: int, run: RunDirectory | None,
           executor: Executor, workers: int | None, evaluate: Evaluate | None, progress: bool,
           n_chunks: int) -> pd.DataFrame:
    """One chunk: read it back when saved and complete, else run it (and save it atomically)."""
    rows = design.iloc[start:start + CHUNK]
    saved = None if run is None else run.read_chunk(_chunk_name(c))
    if saved is not None and len(saved) == len(rows):
        return saved
    if run is not None and run.chunk_path(_chunk_name(c)).exists():  # a half-written or corrupt chunk
        log.warning("recomputing unreadable chunk %s", run.chunk_path(_chunk_name(c)))
    jobs = [SampleJob(None if evaluate else spec.scenario_for(r), r, spec.outputs, spec.time_resolved, evaluate,
                      spec.rtol) for r in rows.to_dict("records")]
    results = run_many(jobs, _run_sample, executor=executor, workers=workers, progress=progress,
                       desc=f"{spec.name} chunk {c + 1}/{n_chunks}")
    out_rows: list[dict[str, Any]] = []
    for r in results:
        if isinstance(r, RunFailure):
            # a numerical failure has been retried once before it was given up (a bad input is not retried)
            numerical = r.error.startswith(("SimulationError", "ArithmeticError"))
            out_rows.append({"failed": True, "error": r.error, "retried": 1.0 if numerical else 0.0})
        else:
            out_rows.append({**r, "failed": False, "error": ""})
    part = pd.concat([rows.reset_index(drop=True), pd.DataFrame(out_rows)], axis=1)
    part.insert(0, "sample", np.arange(start, start + len(rows)))
    if run is not None:
        run.write_chunk(_chunk_name(c), part)
    return part


# ---------------------------------------------------------------------------------------------- 3. analysing
@dataclass(frozen=True)
class SensitivityResult:
    """Indices and everything the report needs, as tidy DataFrames.

    Attributes
    ----------
    spec : AnalysisSpec
    indices : DataFrame
        ``output, parameter, S1, S1_conf, ST, ST_conf`` (Morris: ``mu, mu_star, sigma, mu_star_conf``).
    second_order : DataFrame
        ``output, parameter_1, parameter_2, S2, S2_conf`` (Sobol with ``second_order``).
    time_resolved : DataFrame
        ``observable, time_h, parameter, S1, S1_conf, ST, ST_conf``.
    convergence : DataFrame
        ``output, n, parameter, S1, ST``: the indices from the first n/8, n/4, n/2 and n base samples.
    samples : DataFrame
        The design, the outputs, ``retried``, ``failed`` and ``error`` (see :func:`run_samples`).
    failures : DataFrame
        ``sample, error, retried`` and the range values of each failed simulation.
    constant_outputs : tuple of str
        Outputs that did not vary (not analysed).
    provenance : dict
        Spec hash, seed, model hash, versions, counts of simulations, failures and retries, rtol, wall time.
    surrogate : DataFrame
        ``pce``: ``output, q2, degree, terms, n, reliable`` (one row per analysed output; ``reliable``: Q2 >=
        the spec's ``q2_threshold``). Empty for ``sobol`` and ``morris``.
    """

    spec: AnalysisSpec
    indices: pd.DataFrame
    second_order: pd.DataFrame
    time_resolved: pd.DataFrame
    convergence: pd.DataFrame
    samples: pd.DataFrame
    failures: pd.DataFrame
    constant_outputs: tuple[str, ...]
    provenance: dict[str, Any]
    surrogate: pd.DataFrame = field(default_factory=pd.DataFrame)


def analyse_samples(spec: AnalysisSpec, samples: pd.DataFrame, *, wall_time_s: float = 0.0,
                    workers: int | None = None) -> SensitivityResult:
    """Indices from run samples (failed groups dropped; constant outputs flagged, not analysed).

    Parameters
    ----------
    spec : AnalysisSpec
    samples : DataFrame
        What :func:`run_samples` returned for ``spec``.
    wall_time_s, workers
        Recorded in the provenance.

    Raises
    ------
    CrosstalkError
        When more than ``spec.max_failure_fraction`` of the simulations failed (naming where they concentrate).
    """
    study = spec.study
    unit = study.unit_samples()
    n_rows = len(samples)
    if n_rows != len(unit):
        raise InputError("samples", f"{n_rows} rows", f"the {len(unit)} rows of this spec's design (run_samples)")
    failed = samples["failed"].to_numpy(dtype=bool)
    fraction = float(failed.mean()) if n_rows else 0.0
    if fraction > spec.max_failure_fraction:
        raise CrosstalkError(
            f"{failed.sum()} of {n_rows} simulations failed ({fraction:.1%} > {spec.max_failure_fraction:.1%}); "
            f"region: {failure_region(unit, failed, study.names)}. See the failed samples (failures.csv in the "
            "outdir); narrow the ranges or raise max_failure_fraction.")
    tables = study.analyse(samples, failed=failed, unit=unit,
                           times=_output_times(spec) if spec.time_resolved else None)
    provenance = _provenance(spec, samples, wall_time_s=wall_time_s, workers=workers,
                             groups_dropped=tables.groups_dropped)
    settings = study.method.provenance()
    if settings:  # a surrogate method's settings, and the outputs it could not reproduce well enough
        sur = tables.surrogate
        unreliable = [] if sur.empty else [str(o) for o, ok in zip(sur.output, sur.reliable) if not ok]
        provenance[spec.method] = {**settings, "unreliable_outputs": unreliable}
    return SensitivityResult(spec, tables.indices, tables.second_order,
                             tables.time_resolved.rename(columns={"time": "time_h"}), tables.convergence, samples,
                             _failures(spec, samples), tables.constant_outputs, provenance, tables.surrogate)


def _failures(spec: AnalysisSpec, samples: pd.DataFrame) -> pd.DataFrame:
    fail_cols = ["sample", "error", *(["retried"] if "retried" in samples else []), *(p.name for p in spec.parameters)]
    return samples.loc[samples["failed"].to_numpy(dtype=bool), fail_cols].reset_index(drop=True)


def _provenance(spec: AnalysisSpec, samples: pd.DataFrame, *, wall_time_s: float, workers: int | None,
                groups_dropped: int) -> dict[str, Any]:
    failed = samples["failed"].to_numpy(dtype=bool)
    return {**_manifest(spec, len(samples)), "simulations": len(samples), "failed": int(failed.sum()),
            "failure_fraction": float(failed.mean()) if len(samples) else 0.0, "groups_dropped": groups_dropped,
            "retried": int(samples["retried"].fillna(0).sum()) if "retried" in samples else 0,
            "rtol": spec.rtol, "wall_time_s": round(wall_time_s, 2), "workers": workers}


def _output_times(spec: AnalysisSpec) -> FloatArray:
    sc = spec.scenario_for({})
    return output_grid(sc.duration_hours, sc.output_step_hours)


# ---------------------------------------------------------------------------------------------- the study
def _write_failures(samples: pd.DataFrame, outdir: str | Path) -> Path | None:
    """Write the failed samples (every column) to ``outdir/failures.csv`` atomically; None when none failed."""
    fails = samples[samples["failed"]]
    if not len(fails):
        return None
    return write_csv_atomic(Path(outdir) / "failures.csv", fails, index=False)


def write_sensitivity(result: SensitivityResult, outdir: str | Path) -> Path:
    """Write the result's data into ``outdir``, each file atomically: ``indices.csv``, and where not empty
    ``time_resolved.csv``, ``convergence.csv``, ``second_order.csv``, ``surrogate.csv`` (pce) and
    ``failures.csv``; ``spec.json`` (the whole spec, for :func:`read_sensitivity`); and last ``provenance.json``
    (spec hash, seed, model hash, versions, counts, wall time), whose presence says the run finished."""
    outdir = Path(outdir)
    write_csv_atomic(outdir / "indices.csv", result.indices, index=False)
    for name, df in zip(_OPTIONAL_TABLES, (result.time_resolved, result.convergence, result.second_order,
                                           result.surrogate)):
        if len(df):
            write_csv_atomic(outdir / f"{name}.csv", df, index=False)
        else:  # a resumed run re-analysed with other settings must not read back the earlier analysis's table
            (outdir / f"{name}.csv").unlink(missing_ok=True)
    _write_failures(result.samples, outdir)
    write_spec(outdir, result.spec.to_dict(), source_text=result.spec.source_text)
    write_provenance(outdir, result.provenance)
    return outdir


def read_sensitivity(outdir: str | Path) -> SensitivityResult:
    """The result of the finished sensitivity run in ``outdir``, read from its files (nothing is simulated or
    analysed again): the spec from ``spec.json``, the tables from the CSVs :func:`write_sensitivity` wrote, the
    samples from the chunks, the provenance from ``provenance.json``.

    Raises
    ------
    InputError
        If ``outdir`` is not a finished sensitivity run (no manifest, another kind of run, an interrupted run
        without its result files, a missing chunk), naming what is missing.
    """
    run = read_run(outdir, kind=KIND, files=(SPEC, "indices.csv", PROVENANCE))
    path = run.path
    data, text = read_spec(path)
    spec = AnalysisSpec.from_dict(data, source_text=text, source=str(path / SPEC))
    n = len(spec.unit_samples())
    parts = [run.read_chunk(_chunk_name(c)) for c in range(-(-n // CHUNK))]
    missing = [_chunk_name(c) for c, part in enumerate(parts) if part is None]
    if missing:
        raise InputError("run", str(path), f"a finished {KIND} run directory (chunks/ lacks {', '.join(missing)}, "
                         "or they are unreadable: resume the run to simulate them again)")
    samples = pd.concat(parts, ignore_index=True)
    indices = read_frame(path / "indices.csv")
    tables = {name: read_frame(path / f"{name}.csv", required=False) for name in _OPTIONAL_TABLES}
    # every output that varied has indices; the others were flagged constant, in the spec's order
    analysed = set(indices["output"]) if "output" in indices else set()
    return SensitivityResult(spec, indices, tables["second_order"], tables["time_resolved"], tables["convergence"],
                             samples, _failures(spec, samples), tuple(o for o in spec.outputs if o not in analysed),
                             read_provenance(path), tables["surrogate"])


def write_base_run(result: Result, outdir: str | Path) -> Path:
    """Keep the base scenario's run in ``outdir/base/`` (its time series, endpoints and scenario), so that the
    report's trajectories can be drawn again without simulating (:func:`read_base_run`)."""
    return write_result(Path(outdir) / BASE, result)


def read_base_run(outdir: str | Path) -> Result | None:
    """The base scenario's run kept in ``outdir`` by :func:`write_base_run`; None when none was kept."""
    path = Path(outdir) / BASE
    return read_result(path) if (path / "timeseries.csv").exists() else None


def run_sensitivity(spec: AnalysisSpec, outdir: str | Path | None = None, *, executor: Executor | None = None,
                    workers: int | None = None, resume: bool = False, force: bool = False, progress: bool = True,
                    evaluate: Evaluate | None = None) -> SensitivityResult:
    """Sample, run (or resume) and analyse ``spec``: :func:`sample_analysis`, :func:`run_samples`,
    :func:`analyse_samples`.

    Parameters
    ----------
    spec : AnalysisSpec
    outdir : path, optional
        The run directory: where the run is saved as it goes (chunks, manifest) and its data written at the end
        (see :func:`write_sensitivity`; read back with :func:`read_sensitivity`). None: nothing is written; the
        result is in memory.
    executor, workers, resume, force, progress, evaluate
        See :func:`run_samples`.

    Returns
    -------
    SensitivityResult
        Tidy DataFrames: ``.indices``, ``.samples``, ``.failures``, ``.time_resolved``, ``.convergence``, ...

    Examples
    --------
    With a Dask cluster::

        from distributed import Client
        with Client("tcp://scheduler:8786") as client:
            result = run_sensitivity(spec, executor=client.get_executor())
    """
    t0 = time.perf_counter()
    samples = run_samples(spec, outdir, executor=executor, workers=workers, resume=resume, force=force,
                          progress=progress, evaluate=evaluate)
    if outdir is not None:  # before the analysis, which may stop on too many failures and points to this file
        _write_failures(samples, outdir)
    result = analyse_samples(spec, samples, wall_time_s=time.perf_counter() - t0, workers=workers)
    if outdir is not None:
        write_sensitivity(result, outdir)
    return result
