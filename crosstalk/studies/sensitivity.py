"""Global sensitivity analysis: analysis spec -> design -> simulations -> indices.

The study in three steps, each a function of its own (:func:`run_sensitivity` chains them):

1. :func:`sample_analysis`: the design. Sampling and analysis are SALib's for ``sobol`` (``sample.sobol``
   scrambled and seeded, ``analyze.sobol`` with bootstrap confidence intervals) and ``morris``
   (``sample.morris`` / ``analyze.morris``), never re-implemented. ``pce`` simulates a seeded Latin hypercube of
   ``n`` points and reads the indices from a sparse polynomial chaos expansion fitted to each output
   (OpenTURNS, :mod:`crosstalk.studies.pce`), with each output's cross-validated Q2: about a tenth of the simulations of
   ``sobol`` for the same indices when the expansion fits (Q2 >= ``q2_threshold``). Every design lives on the
   unit hypercube; each :class:`~crosstalk.spec.ranges.ParameterRange` maps its column
   through its inverse CDF (uniform, log-uniform, normal, triangular). Whole-number regime fields
   (``exercise.sessions_per_week``) are rounded to the nearest allowed value when applied, so their index measures
   the effect of the rounded, real-world choice.
2. :func:`run_samples`: one simulation per sample, through any :class:`concurrent.futures.Executor` (a local
   process pool or a Dask client's executor; :mod:`crosstalk.studies.executors`), one executor for the whole study, in
   chunks of :data:`CHUNK` samples. With an ``outdir``, each finished chunk is written atomically to
   ``outdir/chunks/`` (Parquet) next to ``outdir/manifest.json`` (spec hash, seed, model hash, versions), so
   ``resume=True`` recomputes only missing chunks and gives the same indices as an uninterrupted run. Without
   one, everything stays in memory. A simulation that fails is retried once at ``rtol / 100``; one that fails
   again is recorded with its parameters, never fatal.
3. :func:`analyse_samples`: the indices. A Sobol group (the N*(D+2) design's rows of one base sample) containing a
   failure is dropped before analysis, so no NaN reaches SALib (``pce`` drops the failed rows); above
   ``max_failure_fraction`` the analysis stops and names the parameter region where failures concentrate.

Results are tidy DataFrames (:class:`SensitivityResult`); :func:`write_sensitivity` writes them as CSV (the
report, figures and HTML, is :mod:`crosstalk.report.sensitivity`'s).
"""

from __future__ import annotations

import hashlib
import json
import logging
import math
import time
from collections.abc import Callable, Mapping
from concurrent.futures import Executor
from contextlib import nullcontext
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np
import numpy.typing as npt
import pandas as pd
from SALib.analyze import morris as morris_analyze
from SALib.analyze import sobol as sobol_analyze
from SALib.sample import morris as morris_sample
from SALib.sample import sobol as sobol_sample

from crosstalk.errors import CrosstalkError, InputError, SimulationError
from crosstalk.files import write_atomic, write_csv_atomic, write_json_atomic
from crosstalk.inputs import check_number, read_toml_spec
from crosstalk.model.observables import ENDPOINTS, observables_for
from crosstalk.model.parameters import model_hash
from crosstalk.sim.result import versions
from crosstalk.sim.simulator import simulator_for
from crosstalk.spec.ranges import ParameterRange, parse_ranges
from crosstalk.spec.scenario import Scenario, apply_values, check_range_names, find_scenario
from crosstalk.studies.executors import RunFailure, local_executor, run_many
from crosstalk.studies.pce import PCEIndices, pce_design, pce_indices

log = logging.getLogger(__name__)

__all__ = ["CHUNK", "MANIFEST", "STUDY_RTOL", "AnalysisSpec", "Evaluate", "SensitivityResult", "analyse_samples",
           "load_analysis", "run_samples", "run_sensitivity", "sample_analysis", "write_sensitivity"]

METHODS = ("sobol", "morris", "pce")
#: Bootstrap replicates of the indices' confidence intervals (SALib's resamples; refits of the expansion for pce).
N_BOOT = 200
#: Output times at which ``pce`` analyses a time-resolved observable (evenly spread over the course, the last
#: included): each is a cross-validated expansion fit, where ``sobol``'s analysis of every time is nearly free.
PCE_TIMES = 25
#: Samples per chunk: the unit of progress saved to disk (and of work lost to an interruption).
CHUNK = 256
#: Default relative tolerance of study runs (see AnalysisSpec.rtol).
STUDY_RTOL = 1e-6
#: The file in a study's outdir that identifies its run (spec hash, seed, model hash, versions).
MANIFEST = "manifest.json"

FloatArray = npt.NDArray[np.float64]
#: A stand-in for the simulation (known-answer tests of the pipeline): a picklable module-level function of one
#: sample's values ``{range name: value}`` returning ``{output: value}`` (time-resolved outputs as ``obs@k``).
Evaluate = Callable[[dict[str, float]], Mapping[str, float]]


@dataclass(frozen=True)
class AnalysisSpec:
    """A sensitivity analysis (``analysis/*.toml``).

    Parameters
    ----------
    name : str
    base_scenario : Scenario
        The scenario every sample modifies.
    parameters : tuple of ParameterRange
        What varies (regime fields ``exercise.<field>``, ``patient.<field>`` or model parameter ids).
    method : {"sobol", "morris", "pce"}
    n : int
        Sobol: base samples, a power of 2 (n (D + 2) simulations); Morris: trajectories (n (D + 1)); pce: the
        simulations themselves (any integer >= D + 2; about 10-25 per parameter is typical).
    seed : int
        Seed of the sampler and of the bootstrap (never 0: SALib ignores a zero seed).
    second_order : bool
        Sobol second-order indices (S2).
    outputs : tuple of str
        Scalar endpoints to analyse.
    time_resolved : tuple of str
        Observables analysed at each output time.
    output_step_hours : float, optional
        Output grid of the runs (default: the base scenario's).
    max_failure_fraction : float
        Stop with an error above this fraction of failed simulations (default 0.01).
    rtol : float
        CVODE relative tolerance of the runs (default :data:`STUDY_RTOL`, 1e-6: 1.9x faster than 1e-8, endpoints
        within 0.25 % of an rtol-1e-10 reference; measured by ``benchmarks/bench_throughput.py``). A run that
        fails is retried once at ``rtol / 100``.
    question : str
        What the analysis asks (shown in the report).
    degree : int
        ``pce``: total degree of the candidate polynomial basis (1-12, default 4).
    q_norm : float
        ``pce``: hyperbolic truncation of the candidate basis in (0, 1] (default 0.5: high univariate degrees,
        low-order interactions; 1: every interaction up to ``degree``). See :mod:`crosstalk.studies.pce`.
    q2_threshold : float
        ``pce``: an output whose cross-validated Q2 is below this (default 0.9) is flagged and its indices marked
        unreliable (run ``sobol`` for it).
    """

    name: str
    base_scenario: Scenario
    parameters: tuple[ParameterRange, ...]
    method: str = "sobol"
    n: int = 64
    seed: int = 20261129
    second_order: bool = False
    outputs: tuple[str, ...] = ()
    time_resolved: tuple[str, ...] = ()
    output_step_hours: float | None = None
    max_failure_fraction: float = 0.01
    rtol: float = STUDY_RTOL
    question: str = ""
    degree: int = 4
    q_norm: float = 0.5
    q2_threshold: float = 0.9
    source_text: str = field(default="", compare=False, repr=False)

    def __post_init__(self) -> None:
        if self.method not in METHODS:
            raise InputError("method", self.method, "one of 'sobol', 'morris', 'pce'")
        if isinstance(self.n, bool) or not isinstance(self.n, int) or self.n < 2 or self.n > 2**20:
            raise InputError("n", self.n, "an integer in [2, 1048576]")
        if self.method == "sobol" and self.n & (self.n - 1):
            raise InputError("n", self.n, "a power of 2 for Sobol sampling (e.g. 64, 128, 1024)")
        if isinstance(self.seed, bool) or not isinstance(self.seed, int) or not 1 <= self.seed < 2**32:
            raise InputError("seed", self.seed, "an integer in [1, 2**32) (SALib ignores seed 0)")
        if not self.parameters:
            raise InputError("parameter", [], "at least one [[parameter]] range")
        if self.method == "pce" and self.n < max(10, len(self.parameters) + 2):
            raise InputError("n", self.n, f"at least {max(10, len(self.parameters) + 2)} simulations for pce with "
                             f"{len(self.parameters)} parameters (10-25 per parameter is typical)")
        if isinstance(self.degree, bool) or not isinstance(self.degree, int) or not 1 <= self.degree <= 12:
            raise InputError("degree", self.degree, "an integer in [1, 12]")
        check_number("q_norm", self.q_norm, low=0.0, high=1.0, low_open=True)
        check_number("q2_threshold", self.q2_threshold, low=0.0, high=1.0)
        check_range_names(self.parameters, self.base_scenario, where="parameter")
        if not self.outputs and not self.time_resolved:
            raise InputError("outputs", [], "at least one endpoint in outputs or observable in time_resolved")
        numeric = {k for k, (unit, _) in ENDPOINTS.items() if unit not in ("class", "true/false")}
        for o in self.outputs:
            if not isinstance(o, str) or o not in numeric:
                raise InputError("outputs", o, f"numeric endpoint names, e.g. {', '.join(sorted(numeric)[:5])}, ...")
        names = {o.name for o in observables_for(self.base_scenario.model)}
        for o in self.time_resolved:
            if not isinstance(o, str) or o not in names:
                raise InputError("time_resolved", o, f"observables of the {self.base_scenario.model!r} model")
        check_number("max_failure_fraction", self.max_failure_fraction, low=0.0, high=1.0, high_open=True)
        check_number("rtol", self.rtol, low=1e-12, high=1e-3)
        if self.output_step_hours is not None:
            check_number("output_step_hours", self.output_step_hours, low=0.0,
                         high=self.base_scenario.duration_hours, low_open=True)
        if not isinstance(self.second_order, bool):
            raise InputError("second_order", self.second_order, "true or false")
        if not isinstance(self.name, str) or not self.name.strip():
            raise InputError("name", self.name, "a non-empty string")
        if not isinstance(self.question, str):
            raise InputError("question", self.question, "a string")

    @property
    def problem(self) -> dict[str, Any]:
        """SALib problem on the unit hypercube (distributions are applied by the ranges)."""
        return {"num_vars": len(self.parameters), "names": [p.name for p in self.parameters],
                "bounds": [[0.0, 1.0]] * len(self.parameters)}

    def spec_hash(self) -> str:
        """Hash of everything that determines the samples and the runs."""
        payload = json.dumps({
            "base": self.base_scenario.to_dict(), "parameters": [p.to_dict() for p in self.parameters],
            "method": self.method, "n": self.n, "seed": self.seed, "second_order": self.second_order,
            "outputs": list(self.outputs), "time_resolved": list(self.time_resolved),
            "step": self.output_step_hours, "rtol": self.rtol,
        }, sort_keys=True, default=str)
        return hashlib.sha256(payload.encode()).hexdigest()

    def unit_samples(self) -> FloatArray:
        """The design on the unit hypercube (rows in SALib's order; pce: a seeded Latin hypercube)."""
        if self.method == "sobol":
            return np.asarray(sobol_sample.sample(self.problem, self.n, calc_second_order=self.second_order,
                                                  scramble=True, seed=self.seed), dtype=float)
        if self.method == "pce":
            return pce_design(len(self.parameters), self.n, seed=self.seed)
        return np.asarray(morris_sample.sample(self.problem, self.n, num_levels=4, seed=self.seed), dtype=float)

    def samples(self) -> pd.DataFrame:
        """The design in parameter units, one column per range."""
        unit = self.unit_samples()
        return pd.DataFrame({p.name: p.from_unit(unit[:, j]) for j, p in enumerate(self.parameters)})

    def scenario_for(self, values: Mapping[str, float]) -> Scenario:
        """The base scenario with one sample's values (and the analysis output grid)."""
        sc = apply_values(self.base_scenario, values)
        if self.output_step_hours:
            sc = replace(sc, output_step_hours=self.output_step_hours)
        return sc


def load_analysis(path: str | Path) -> AnalysisSpec:
    """Read an analysis spec; ``base_scenario`` is a path relative to the spec (or the repository root), or
    the name of a built-in scenario."""
    path = Path(path)
    text, data = read_toml_spec(path, what="analysis", required=("name", "base_scenario"), allowed={
        "name", "base_scenario", "method", "n", "seed", "second_order", "outputs", "time_resolved", "parameter",
        "output_step_hours", "max_failure_fraction", "question", "rtol", "degree", "q_norm", "q2_threshold"})
    base = find_scenario(str(data["base_scenario"]), path)
    for key in ("outputs", "time_resolved"):
        if not isinstance(data.get(key, []), list):
            raise InputError(key, data[key], "a list of names", source=str(path))
    try:
        return AnalysisSpec(
            name=data["name"], base_scenario=base, parameters=parse_ranges(data.get("parameter", []), where="parameter",
                                                                       source=str(path)),
            method=data.get("method", "sobol"), n=data.get("n", 64), seed=data.get("seed", 20261129),
            second_order=data.get("second_order", False), outputs=tuple(data.get("outputs", [])),
            time_resolved=tuple(data.get("time_resolved", [])), output_step_hours=data.get("output_step_hours"),
            max_failure_fraction=data.get("max_failure_fraction", 0.01), question=data.get("question", ""),
            rtol=data.get("rtol", STUDY_RTOL), degree=data.get("degree", 4), q_norm=data.get("q_norm", 0.5),
            q2_threshold=data.get("q2_threshold", 0.9),
            source_text=text,
        )
    except InputError as err:
        raise InputError(err.field, err.value, err.allowed, source=str(path)) from None


# ---------------------------------------------------------------------------------------------- 1. sampling
def sample_analysis(spec: AnalysisSpec) -> pd.DataFrame:
    """The design of ``spec``: one row per simulation in SALib's order, one column per range (parameter units).

    Deterministic: the same spec (seed included) gives the same design on any machine.
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
        for obs in job.series:
            for k, v in enumerate(res.timeseries[obs].to_numpy()):
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


def _prepare_outdir(spec: AnalysisSpec, outdir: Path, n_samples: int, *, resume: bool) -> Path:
    """Check that ``outdir`` may take this run (new, or resuming the same spec); write its manifest."""
    manifest_path = outdir / MANIFEST
    manifest = _manifest(spec, n_samples)
    if manifest_path.exists():
        if not resume:
            raise InputError("outdir", str(outdir), "a new directory, or resume=True to continue this run")
        try:
            old = json.loads(manifest_path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, json.JSONDecodeError):
            old = {}
        if not isinstance(old, dict) or old.get("spec_hash") != manifest["spec_hash"]:
            raise InputError("resume", str(outdir), "a directory holding a run of the same spec (spec hash differs)")
    chunks_dir = outdir / "chunks"
    chunks_dir.mkdir(parents=True, exist_ok=True)
    write_json_atomic(manifest_path, manifest)
    return chunks_dir


def run_samples(spec: AnalysisSpec, outdir: str | Path | None = None, *, executor: Executor | None = None,
                workers: int | None = None, resume: bool = False, progress: bool = True,
                evaluate: Evaluate | None = None) -> pd.DataFrame:
    """Run every sample of ``spec`` (or, with ``resume``, the ones an interrupted run left), chunk by chunk.

    Parameters
    ----------
    spec : AnalysisSpec
    outdir : path, optional
        Where chunks and the manifest are saved as they finish (needed to resume). None: memory only.
    executor : concurrent.futures.Executor, optional
        Runs the simulations (e.g. ``client.get_executor()`` of a Dask client); default: a local pool of
        ``workers`` processes made for this study (:func:`crosstalk.studies.executors.local_executor`).
    workers : int, optional
        Processes of the local pool (default: all cores; 1: this process).
    resume : bool
        Continue the run saved in ``outdir`` (same spec): complete chunks are read back, the rest recomputed.
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
        ``resume`` without an ``outdir``; an ``outdir`` that holds a run and no ``resume``; resuming a run of
        another spec.
    """
    if resume and outdir is None:
        raise InputError("outdir", None, "the directory of the run to resume (resume=True needs one)")
    design = sample_analysis(spec)
    n = len(design)
    chunks_dir = None if outdir is None else _prepare_outdir(spec, Path(outdir), n, resume=resume)
    starts = range(0, n, CHUNK)
    # one executor for the whole study: a pool's workers compile their models once, not once per chunk
    with local_executor(workers) if executor is None else nullcontext(executor) as ex:
        parts = [_chunk(spec, design, c, start, chunks_dir, ex, workers, evaluate, progress, len(starts))
                 for c, start in enumerate(starts)]
    return pd.concat(parts, ignore_index=True)


def _chunk(spec: AnalysisSpec, design: pd.DataFrame, c: int, start: int, chunks_dir: Path | None,
           executor: Executor, workers: int | None, evaluate: Evaluate | None, progress: bool,
           n_chunks: int) -> pd.DataFrame:
    """One chunk: read it back when saved and complete, else run it (and save it atomically)."""
    rows = design.iloc[start:start + CHUNK]
    path = None if chunks_dir is None else chunks_dir / f"chunk_{c:05d}.parquet"
    if path is not None and path.exists():
        try:
            part = pd.read_parquet(path)
            if len(part) == len(rows):
                return part
        except Exception:  # a half-written or corrupt chunk is recomputed
            log.warning("recomputing unreadable chunk %s", path)
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
    if path is not None:
        write_atomic(path, lambda tmp: part.to_parquet(tmp, index=False))
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


def _groups(spec: AnalysisSpec) -> int:
    d = len(spec.parameters)
    return 2 * d + 2 if (spec.method == "sobol" and spec.second_order) else d + 2


def _analyse(spec: AnalysisSpec, y: FloatArray, x_unit: FloatArray | None) -> Mapping[str, Any]:
    res: Mapping[str, Any]
    if spec.method == "sobol":
        res = sobol_analyze.analyze(spec.problem, y, calc_second_order=spec.second_order, num_resamples=N_BOOT,
                                    conf_level=0.95, seed=spec.seed)
    else:
        res = morris_analyze.analyze(spec.problem, x_unit, y, num_resamples=N_BOOT, conf_level=0.95, num_levels=4,
                                     seed=spec.seed)
    return res


def _failure_region(spec: AnalysisSpec, samples: pd.DataFrame, unit: FloatArray) -> str:
    failed = samples["failed"].to_numpy(dtype=bool)
    parts = []
    for j, p in enumerate(spec.parameters):
        q = float(unit[failed, j].mean())
        parts.append((abs(q - 0.5), p.name, q))
    parts.sort(reverse=True)
    return "; ".join(f"{name}: failures at mean quantile {q:.2f}" for _, name, q in parts[:3])


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
    unit = spec.unit_samples()
    n_rows = len(samples)
    if n_rows != len(unit):
        raise InputError("samples", f"{n_rows} rows", f"the {len(unit)} rows of this spec's design (run_samples)")
    failed = samples["failed"].to_numpy(dtype=bool)
    fraction = float(failed.mean()) if n_rows else 0.0
    if fraction > spec.max_failure_fraction:
        raise CrosstalkError(
            f"{failed.sum()} of {n_rows} simulations failed ({fraction:.1%} > {spec.max_failure_fraction:.1%}); "
            f"region: {_failure_region(spec, samples, unit)}. See the failed samples (failures.csv in the outdir); "
            "narrow the ranges or raise max_failure_fraction.")
    if spec.method == "pce":
        return _analyse_pce(spec, samples, unit, wall_time_s=wall_time_s, workers=workers)
    g = _groups(spec) if spec.method == "sobol" else len(spec.parameters) + 1
    n_groups = n_rows // g
    keep_group = ~failed.reshape(n_groups, g).any(axis=1)
    keep_rows = np.repeat(keep_group, g)

    def y_of(col: str, rows: npt.NDArray[np.bool_] = keep_rows) -> FloatArray:
        y: FloatArray = samples[col].to_numpy(dtype=float)[rows]
        return y

    names = [p.name for p in spec.parameters]
    indices: list[pd.DataFrame] = []
    second: list[dict[str, Any]] = []
    conv: list[dict[str, Any]] = []
    constant: list[str] = []
    for out in spec.outputs:
        y = y_of(out)
        if np.ptp(y) == 0:
            constant.append(out)
            continue
        res = _analyse(spec, y, unit[keep_rows])
        indices.append(_tidy(res, names, out, spec.method))
        if spec.method == "sobol":
            if spec.second_order:
                for i in range(len(names)):
                    for j in range(i + 1, len(names)):
                        second.append({"output": out, "parameter_1": names[i], "parameter_2": names[j],
                                       "S2": res["S2"][i, j], "S2_conf": res["S2_conf"][i, j]})
            for m in sorted({max(2, spec.n // 8), max(2, spec.n // 4), max(2, spec.n // 2), spec.n}):
                rows = np.zeros(n_rows, dtype=bool)
                rows[: m * g] = True
                rows &= keep_rows
                ym = samples[out].to_numpy(dtype=float)[rows]
                if len(ym) % g or np.ptp(ym) == 0:
                    continue
                rm = _analyse(spec, ym, None)
                for k, name in enumerate(names):
                    conv.append({"output": out, "n": m, "parameter": name, "S1": rm["S1"][k], "ST": rm["ST"][k]})
    tr: list[dict[str, Any]] = []
    if spec.method == "sobol":
        times = _output_times(spec)
        for obs in spec.time_resolved:
            for c in [c for c in samples.columns if c.startswith(f"{obs}@")]:
                k = int(c.split("@")[1])
                y = y_of(c)
                if np.ptp(y) == 0:
                    continue
                res = _analyse(spec, y, None)
                for j, name in enumerate(names):
                    tr.append({"observable": obs, "time_h": times[k], "parameter": name, "S1": res["S1"][j],
                               "S1_conf": res["S1_conf"][j], "ST": res["ST"][j], "ST_conf": res["ST_conf"][j]})
    provenance = _provenance(spec, samples, wall_time_s=wall_time_s, workers=workers,
                             groups_dropped=int((~keep_group).sum()))
    return SensitivityResult(spec, pd.concat(indices, ignore_index=True) if indices else pd.DataFrame(),
                             pd.DataFrame(second), pd.DataFrame(tr), pd.DataFrame(conv), samples,
                             _failures(spec, samples), tuple(constant), provenance)


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


def _analyse_pce(spec: AnalysisSpec, samples: pd.DataFrame, unit: FloatArray, *, wall_time_s: float,
                 workers: int | None) -> SensitivityResult:
    """``pce``: an expansion per output on the rows that did not fail (a Latin hypercube has no groups to keep
    whole); convergence from the first n/4, n/2 and n rows; time-resolved indices at :data:`PCE_TIMES` times."""
    keep = ~samples["failed"].to_numpy(dtype=bool)
    x = unit[keep]
    names = [p.name for p in spec.parameters]

    def fit(y: FloatArray) -> PCEIndices:
        return pce_indices(x, y, degree=spec.degree, q_norm=spec.q_norm, n_boot=N_BOOT, seed=spec.seed)

    indices: list[pd.DataFrame] = []
    second: list[dict[str, Any]] = []
    conv: list[dict[str, Any]] = []
    surrogate: list[dict[str, Any]] = []
    constant: list[str] = []
    for out in spec.outputs:
        y = samples[out].to_numpy(dtype=float)[keep]
        if np.ptp(y) == 0:
            constant.append(out)
            continue
        res = fit(y)
        reliable = bool(res.q2 >= spec.q2_threshold)
        surrogate.append({"output": out, "q2": res.q2, "degree": res.degree, "terms": res.terms, "n": len(y),
                          "reliable": reliable})
        indices.append(pd.DataFrame({"output": out, "parameter": names, "S1": res.S1, "S1_conf": res.S1_conf,
                                     "ST": res.ST, "ST_conf": res.ST_conf, "reliable": reliable}))
        if spec.second_order:
            for i in range(len(names)):
                for j in range(i + 1, len(names)):
                    second.append({"output": out, "parameter_1": names[i], "parameter_2": names[j],
                                   "S2": res.S2[i, j], "S2_conf": res.S2_conf[i, j]})
        for m in sorted({len(y) // 4, len(y) // 2, len(y)}):
            if m < len(names) + 2 or np.ptp(y[:m]) == 0:
                continue
            rm = res if m == len(y) else pce_indices(x[:m], y[:m], degree=spec.degree, q_norm=spec.q_norm,
                                                    folds=0, seed=spec.seed)  # no Q2: only the indices
            for k, name in enumerate(names):
                conv.append({"output": out, "n": m, "parameter": name, "S1": rm.S1[k], "ST": rm.ST[k]})
    tr: list[dict[str, Any]] = []
    times = _output_times(spec)
    for obs in spec.time_resolved:
        cols = [c for c in samples.columns if c.startswith(f"{obs}@")]
        for c in [cols[int(i)] for i in np.unique(np.linspace(0, len(cols) - 1, min(PCE_TIMES, len(cols))).round())]:
            y = samples[c].to_numpy(dtype=float)[keep]
            if np.ptp(y) == 0:
                continue
            res = fit(y)
            for j, name in enumerate(names):
                tr.append({"observable": obs, "time_h": times[int(c.split("@")[1])], "parameter": name,
                           "S1": res.S1[j], "S1_conf": res.S1_conf[j], "ST": res.ST[j], "ST_conf": res.ST_conf[j],
                           "q2": res.q2})
    provenance = {**_provenance(spec, samples, wall_time_s=wall_time_s, workers=workers, groups_dropped=0),
                  "pce": {"degree": spec.degree, "q_norm": spec.q_norm, "q2_threshold": spec.q2_threshold,
                          "n_boot": N_BOOT, "folds": 5,
                          "unreliable_outputs": [r["output"] for r in surrogate if not r["reliable"]]}}
    return SensitivityResult(spec, pd.concat(indices, ignore_index=True) if indices else pd.DataFrame(),
                             pd.DataFrame(second), pd.DataFrame(tr), pd.DataFrame(conv), samples,
                             _failures(spec, samples), tuple(constant), provenance, pd.DataFrame(surrogate))


def _tidy(res: Mapping[str, Any], names: list[str], output: str, method: str) -> pd.DataFrame:
    if method == "sobol":
        return pd.DataFrame({"output": output, "parameter": names, "S1": res["S1"], "S1_conf": res["S1_conf"],
                             "ST": res["ST"], "ST_conf": res["ST_conf"]})
    return pd.DataFrame({"output": output, "parameter": names, "mu": res["mu"], "mu_star": res["mu_star"],
                         "sigma": res["sigma"], "mu_star_conf": res["mu_star_conf"]})


def _output_times(spec: AnalysisSpec) -> FloatArray:
    sc = spec.scenario_for({})
    n = int(np.floor(sc.duration_hours / sc.output_step_hours + 1e-9)) + 1
    t = np.round(np.arange(n) * sc.output_step_hours, 9)
    return t if t[-1] >= sc.duration_hours - 1e-9 else np.asarray(np.append(t, sc.duration_hours), dtype=float)


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
    ``failures.csv``; and ``provenance.json`` (spec hash, seed, model hash, versions, counts, wall time)."""
    outdir = Path(outdir)
    write_csv_atomic(outdir / "indices.csv", result.indices, index=False)
    write_json_atomic(outdir / "provenance.json", result.provenance)
    for name, df in (("time_resolved", result.time_resolved), ("convergence", result.convergence),
                     ("second_order", result.second_order), ("surrogate", result.surrogate)):
        if len(df):
            write_csv_atomic(outdir / f"{name}.csv", df, index=False)
    _write_failures(result.samples, outdir)
    return outdir


def run_sensitivity(spec: AnalysisSpec, outdir: str | Path | None = None, *, executor: Executor | None = None,
                    workers: int | None = None, resume: bool = False, progress: bool = True,
                    evaluate: Evaluate | None = None) -> SensitivityResult:
    """Sample, run (or resume) and analyse ``spec``: :func:`sample_analysis`, :func:`run_samples`,
    :func:`analyse_samples`.

    Parameters
    ----------
    spec : AnalysisSpec
    outdir : path, optional
        Where the run is saved as it goes (chunks, manifest) and its data written at the end (see
        :func:`write_sensitivity`). None: nothing is written; the result is in memory.
    executor, workers, resume, progress, evaluate
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
    samples = run_samples(spec, outdir, executor=executor, workers=workers, resume=resume, progress=progress,
                          evaluate=evaluate)
    if outdir is not None:  # before the analysis, which may stop on too many failures and points to this file
        _write_failures(samples, outdir)
    result = analyse_samples(spec, samples, wall_time_s=time.perf_counter() - t0, workers=workers)
    if outdir is not None:
        write_sensitivity(result, outdir)
    return result
