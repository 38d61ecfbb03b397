"""Global sensitivity analysis: analysis spec -> SALib samples -> simulations -> indices.

Sampling and analysis are SALib's (``sample.sobol`` scrambled and seeded, ``analyze.sobol`` with bootstrap
confidence intervals; ``sample.morris`` / ``analyze.morris``), never re-implemented. SALib samples the unit
hypercube; each :class:`~crosstalk.scenario.ParameterRange` maps its column through its inverse CDF (uniform,
log-uniform, normal, triangular). Whole-number regime fields (``exercise.sessions_per_week``) are rounded to the
nearest allowed value when applied, so their index measures the effect of the rounded, real-world choice.

Runs go through :func:`crosstalk.runner.run_many` (one Simulator per worker process) in chunks; each finished
chunk is written atomically to ``DIR/chunks/`` (Parquet) next to ``DIR/manifest.json`` (spec hash, seed, model
hash, versions), so ``--resume`` recomputes only missing chunks and gives the same indices as an
uninterrupted run. A failed simulation is recorded with its parameters; a Sobol group (the N*(D+2) design's rows
of one base sample) containing a failure is dropped before analysis, so no NaN reaches SALib; above
``max_failure_fraction`` the analysis stops and names the parameter region where failures concentrate.
"""

from __future__ import annotations

import hashlib
import json
import logging
import math
import time
import tomllib
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any, Mapping

import numpy as np
import pandas as pd

from crosstalk.errors import CrosstalkError, InputError, SimulationError
from crosstalk.files import write_atomic, write_text_atomic
from crosstalk.observables import ENDPOINTS
from crosstalk.runner import LocalPool, RunFailure
from crosstalk.scenario import (ParameterRange, Scenario, _number, apply_values, check_range_names, load_scenario,
                                parse_ranges)

log = logging.getLogger(__name__)

__all__ = ["AnalysisSpec", "SensitivityResult", "load_analysis", "run_sensitivity"]

METHODS = ("sobol", "morris")
CHUNK = 256
#: Default relative tolerance of study runs (see AnalysisSpec.rtol).
STUDY_RTOL = 1e-6


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
    method : {"sobol", "morris"}
    n : int
        Base samples (Sobol: a power of 2; Morris: trajectories).
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
    source_text: str = field(default="", compare=False, repr=False)

    def __post_init__(self) -> None:
        if self.method not in METHODS:
            raise InputError("method", self.method, "one of 'sobol', 'morris'")
        if isinstance(self.n, bool) or not isinstance(self.n, int) or self.n < 2 or self.n > 2**20:
            raise InputError("n", self.n, "an integer in [2, 1048576]")
        if self.method == "sobol" and self.n & (self.n - 1):
            raise InputError("n", self.n, "a power of 2 for Sobol sampling (e.g. 64, 128, 1024)")
        if isinstance(self.seed, bool) or not isinstance(self.seed, int) or not 1 <= self.seed < 2**32:
            raise InputError("seed", self.seed, "an integer in [1, 2**32) (SALib ignores seed 0)")
        if not self.parameters:
            raise InputError("parameter", [], "at least one [[parameter]] range")
        check_range_names(self.parameters, self.base_scenario, where="parameter")
        if not self.outputs and not self.time_resolved:
            raise InputError("outputs", [], "at least one endpoint in outputs or observable in time_resolved")
        numeric = {k for k, (unit, _) in ENDPOINTS.items() if unit not in ("class", "true/false")}
        for o in self.outputs:
            if not isinstance(o, str) or o not in numeric:
                raise InputError("outputs", o, f"numeric endpoint names, e.g. {', '.join(sorted(numeric)[:5])}, ...")
        from crosstalk.observables import observables_for

        names = {o.name for o in observables_for(self.base_scenario.model)}
        for o in self.time_resolved:
            if not isinstance(o, str) or o not in names:
                raise InputError("time_resolved", o, f"observables of the {self.base_scenario.model!r} model")
        _number("max_failure_fraction", self.max_failure_fraction, low=0.0, high=1.0, high_open=True)
        _number("rtol", self.rtol, low=1e-12, high=1e-3)
        if self.output_step_hours is not None:
            _number("output_step_hours", self.output_step_hours, low=0.0,
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

    def unit_samples(self) -> np.ndarray:
        """The SALib design on the unit hypercube (rows in SALib's order)."""
        if self.method == "sobol":
            from SALib.sample import sobol

            return sobol.sample(self.problem, self.n, calc_second_order=self.second_order, scramble=True,
                                seed=self.seed)
        from SALib.sample import morris

        return morris.sample(self.problem, self.n, num_levels=4, seed=self.seed)

    def samples(self) -> pd.DataFrame:
        """The design in parameter units, one column per range."""
        unit = self.unit_samples()
        return pd.DataFrame({p.name: p.from_unit(unit[:, j]) for j, p in enumerate(self.parameters)})

    def scenario_for(self, values: Mapping[str, float]) -> Scenario:
        """The base scenario with one sample's values (and the analysis output grid)."""
        from dataclasses import replace

        sc = apply_values(self.base_scenario, values)
        if self.output_step_hours:
            sc = replace(sc, output_step_hours=self.output_step_hours)
        return sc


def load_analysis(path: str | Path) -> AnalysisSpec:
    """Read an analysis spec; ``base_scenario`` is a path relative to the spec (or the repository root), or
    the name of a built-in scenario."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
        data = tomllib.loads(text)
    except OSError as err:
        raise InputError("file", str(path), f"a readable analysis file ({err.strerror})") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as err:
        raise InputError("file", str(path), f"valid TOML ({err})") from None
    allowed = {"name", "base_scenario", "method", "n", "seed", "second_order", "outputs", "time_resolved",
               "parameter", "output_step_hours", "max_failure_fraction", "question", "rtol"}
    for key in data:
        if key not in allowed:
            raise InputError(key, data[key], "a known key: " + ", ".join(sorted(allowed)), source=str(path))
    for key in ("name", "base_scenario"):
        if key not in data:
            raise InputError(key, None, "a value (required)", source=str(path))
    base = _find_scenario(str(data["base_scenario"]), path)
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
            rtol=data.get("rtol", STUDY_RTOL),
            source_text=text,
        )
    except InputError as err:
        raise InputError(err.field, err.value, err.allowed, source=str(path)) from None


def _find_scenario(ref: str, spec_path: Path) -> Scenario:
    candidates = [spec_path.parent / ref, spec_path.parent.parent / ref, Path(ref)]
    for c in candidates:
        if c.is_file():
            return load_scenario(c)
    builtin = resources.files("crosstalk.scenarios") / f"{Path(ref).stem}.toml"
    if builtin.is_file():
        return load_scenario(Path(str(builtin)))
    raise InputError("base_scenario", ref, "a scenario file (relative to the spec) or a built-in scenario name")


# ---------------------------------------------------------------------------------------------- evaluation
def _job_fn(job: tuple) -> dict[str, Any]:
    """One sample (runs in a worker process): endpoints and time-resolved observables of the scenario, or the
    outputs of a custom ``evaluate(values)`` (known-answer functions run through the same engine).

    A simulation that fails (CVODE error, non-finite values) is retried once at ``rtol / 100``; the row then
    carries ``retried = 1``. A second failure propagates (the sample is recorded as failed)."""
    from crosstalk.runner import simulator

    scenario, values, outputs, series, evaluate, rtol = job
    retried = 0.0
    if evaluate is not None:
        row = {k: float(v) for k, v in evaluate(values).items()}
    else:
        try:
            res = simulator(scenario.model, rtol=rtol).run(scenario)
            _check_finite(res.endpoints, outputs)
        except (SimulationError, ArithmeticError) as first:
            log.info("sample %s: %s; retrying at rtol %g", values, first, rtol / 100)
            res = simulator(scenario.model, rtol=rtol / 100).run(scenario)
            retried = 1.0
        row = {o: float(res.endpoints[o]) for o in outputs}
        for obs in series:
            for k, v in enumerate(res.timeseries[obs].to_numpy()):
                row[f"{obs}@{k}"] = float(v)
    if not all(math.isfinite(v) for v in row.values()):
        raise ArithmeticError("non-finite output")
    row["retried"] = retried
    return row


def _check_finite(endpoints: Mapping[str, Any], outputs: tuple[str, ...]) -> None:
    bad = [o for o in outputs if not math.isfinite(float(endpoints[o]))]
    if bad:
        raise ArithmeticError(f"non-finite endpoints {bad}")


@dataclass(frozen=True)
class SensitivityResult:
    """Indices and everything the report needs."""

    spec: AnalysisSpec
    indices: pd.DataFrame          # output, parameter, S1, S1_conf, ST, ST_conf (Morris: mu_star, sigma, ...)
    second_order: pd.DataFrame     # output, parameter_1, parameter_2, S2, S2_conf
    time_resolved: pd.DataFrame    # observable, time_h, parameter, S1, S1_conf, ST, ST_conf
    convergence: pd.DataFrame      # output, n, parameter, S1, ST
    samples: pd.DataFrame          # design + outputs + failed
    failures: pd.DataFrame         # sample, error, parameters
    constant_outputs: tuple[str, ...]
    provenance: dict


def _manifest(spec: AnalysisSpec, n_samples: int) -> dict[str, Any]:
    from crosstalk.parameters import model_hash
    from crosstalk.simulate import versions

    return {"spec_hash": spec.spec_hash(), "name": spec.name, "seed": spec.seed, "n": spec.n,
            "method": spec.method, "samples": n_samples, "chunk": CHUNK,
            "model": spec.base_scenario.model, "model_sha256": model_hash(spec.base_scenario.model),
            "versions": versions()}


def run_samples(spec: AnalysisSpec, outdir: str | Path, *, workers: int | None = None, resume: bool = False,
                progress: bool = True, executor: Any = None, evaluate: Any = None) -> pd.DataFrame:
    """Run (or resume) every sample of ``spec``, chunk by chunk, into ``outdir/chunks``.

    Returns
    -------
    DataFrame
        The design (parameter columns), the outputs, ``failed`` and ``error``, in SALib's sample order.
    """
    outdir = Path(outdir)
    design = spec.samples()
    n = len(design)
    chunks_dir = outdir / "chunks"
    manifest_path = outdir / "manifest.json"
    manifest = _manifest(spec, n)
    if manifest_path.exists():
        old = json.loads(manifest_path.read_text(encoding="utf-8"))
        if not resume:
            raise InputError("--out", str(outdir), "a new directory, or --resume to continue this run, or --force")
        if old.get("spec_hash") != manifest["spec_hash"]:
            raise InputError("--resume", str(outdir), "a directory holding a run of the same spec (spec hash differs)")
    chunks_dir.mkdir(parents=True, exist_ok=True)
    write_text_atomic(manifest_path, json.dumps(manifest, indent=2))
    series = spec.time_resolved
    parts = []
    starts = range(0, n, CHUNK)
    with LocalPool(workers if executor is None else 1) as pool:
        for c, start in enumerate(starts):
            part = _chunk(spec, design, c, start, n, chunks_dir, pool, executor, evaluate, series, progress, len(starts))
            parts.append(part)
    return pd.concat(parts, ignore_index=True)


def _chunk(spec: AnalysisSpec, design: pd.DataFrame, c: int, start: int, n: int, chunks_dir: Path,
           pool: LocalPool, executor: Any, evaluate: Any, series: tuple[str, ...], progress: bool,
           n_chunks: int) -> pd.DataFrame:
    """One chunk: read it back when complete, else run it and write it atomically."""
    path = chunks_dir / f"chunk_{c:05d}.parquet"
    if path.exists():
        try:
            part = pd.read_parquet(path)
            if len(part) == min(CHUNK, n - start):
                return part
        except Exception:  # a half-written or corrupt chunk is recomputed  # noqa: BLE001
            log.warning("recomputing unreadable chunk %s", path)
    rows = design.iloc[start:start + CHUNK]
    jobs = [(None if evaluate else spec.scenario_for(r), r, spec.outputs, series, evaluate, spec.rtol)
            for r in rows.to_dict("records")]
    desc = f"{spec.name} chunk {c + 1}/{n_chunks}"
    if executor is not None:
        results = executor(jobs, _job_fn)
    else:
        results = pool.map(_job_fn, jobs, progress=progress, desc=desc)
    out_rows = []
    for r in results:
        if isinstance(r, RunFailure):
            numerical = r.error.startswith(("SimulationError", "ArithmeticError"))
            out_rows.append({"failed": True, "error": r.error, "retried": 1.0 if numerical else 0.0})
        else:
            out_rows.append({**r, "failed": False, "error": ""})
    part = pd.concat([rows.reset_index(drop=True), pd.DataFrame(out_rows)], axis=1)
    part.insert(0, "sample", np.arange(start, start + len(rows)))
    write_atomic(path, lambda tmp: part.to_parquet(tmp, index=False))
    return part


# ---------------------------------------------------------------------------------------------- analysis
def _groups(spec: AnalysisSpec) -> int:
    d = len(spec.parameters)
    return 2 * d + 2 if (spec.method == "sobol" and spec.second_order) else d + 2


def _analyse(spec: AnalysisSpec, y: np.ndarray, x_unit: np.ndarray | None) -> dict[str, np.ndarray]:
    if spec.method == "sobol":
        from SALib.analyze import sobol

        return sobol.analyze(spec.problem, y, calc_second_order=spec.second_order, num_resamples=200,
                             conf_level=0.95, seed=spec.seed)
    from SALib.analyze import morris

    return morris.analyze(spec.problem, x_unit, y, num_resamples=200, conf_level=0.95, num_levels=4, seed=spec.seed)


def _failure_region(spec: AnalysisSpec, samples: pd.DataFrame, unit: np.ndarray) -> str:
    failed = samples["failed"].to_numpy()
    parts = []
    for j, p in enumerate(spec.parameters):
        q = unit[failed, j].mean()
        parts.append((abs(q - 0.5), p.name, q))
    parts.sort(reverse=True)
    return "; ".join(f"{name}: failures at mean quantile {q:.2f}" for _, name, q in parts[:3])


def analyse_samples(spec: AnalysisSpec, samples: pd.DataFrame, *, wall_time_s: float = 0.0,
                    workers: int | None = None) -> SensitivityResult:
    """Indices from run samples (failed groups dropped; constant outputs flagged, not analysed)."""
    unit = spec.unit_samples()
    n_rows = len(samples)
    failed = samples["failed"].to_numpy(dtype=bool)
    fraction = failed.mean() if n_rows else 0.0
    if fraction > spec.max_failure_fraction:
        raise CrosstalkError(
            f"{failed.sum()} of {n_rows} simulations failed ({fraction:.1%} > {spec.max_failure_fraction:.1%}); "
            f"region: {_failure_region(spec, samples, unit)}. See failures.csv; narrow the ranges or raise "
            "max_failure_fraction.")
    g = _groups(spec) if spec.method == "sobol" else len(spec.parameters) + 1
    n_groups = n_rows // g
    keep_group = ~failed.reshape(n_groups, g).any(axis=1)
    keep_rows = np.repeat(keep_group, g)

    def y_of(col: str, rows: np.ndarray = keep_rows) -> np.ndarray:
        return samples[col].to_numpy(dtype=float)[rows]

    names = [p.name for p in spec.parameters]
    indices, second, conv, constant = [], [], [], []
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
    tr = []
    if spec.method == "sobol":
        for obs in spec.time_resolved:
            cols = [c for c in samples.columns if c.startswith(f"{obs}@")]
            times = _output_times(spec)
            for c in cols:
                k = int(c.split("@")[1])
                y = y_of(c)
                if np.ptp(y) == 0:
                    continue
                res = _analyse(spec, y, None)
                for j, name in enumerate(names):
                    tr.append({"observable": obs, "time_h": times[k], "parameter": name, "S1": res["S1"][j],
                               "S1_conf": res["S1_conf"][j], "ST": res["ST"][j], "ST_conf": res["ST_conf"][j]})
    fails = samples.loc[failed, ["sample", "error", *names]].reset_index(drop=True)
    provenance = {**_manifest(spec, n_rows), "simulations": int(n_rows), "failed": int(failed.sum()),
                  "failure_fraction": float(fraction), "groups_dropped": int((~keep_group).sum()),
                  "retried": int(samples["retried"].fillna(0).sum()) if "retried" in samples else 0,
                  "rtol": spec.rtol, "wall_time_s": round(wall_time_s, 2), "workers": workers}
    return SensitivityResult(spec, pd.concat(indices, ignore_index=True) if indices else pd.DataFrame(),
                             pd.DataFrame(second), pd.DataFrame(tr), pd.DataFrame(conv), samples, fails,
                             tuple(constant), provenance)


def _tidy(res: Mapping[str, Any], names: list[str], output: str, method: str) -> pd.DataFrame:
    if method == "sobol":
        return pd.DataFrame({"output": output, "parameter": names, "S1": res["S1"], "S1_conf": res["S1_conf"],
                             "ST": res["ST"], "ST_conf": res["ST_conf"]})
    return pd.DataFrame({"output": output, "parameter": names, "mu": res["mu"], "mu_star": res["mu_star"],
                         "sigma": res["sigma"], "mu_star_conf": res["mu_star_conf"]})


def _output_times(spec: AnalysisSpec) -> np.ndarray:
    sc = spec.scenario_for({})
    n = int(np.floor(sc.duration_hours / sc.output_step_hours + 1e-9)) + 1
    t = np.round(np.arange(n) * sc.output_step_hours, 9)
    return t if t[-1] >= sc.duration_hours - 1e-9 else np.append(t, sc.duration_hours)


def run_sensitivity(spec: AnalysisSpec, outdir: str | Path, *, workers: int | None = None, resume: bool = False,
                    progress: bool = True, executor: Any = None, evaluate: Any = None) -> SensitivityResult:
    """Run (or resume) and analyse; writes chunks and ``failures.csv`` into ``outdir``.

    ``evaluate``, a picklable module-level function of the sample's values returning ``{output: value}``,
    replaces the simulation (for known-answer tests of the pipeline).
    """
    t0 = time.perf_counter()
    samples = run_samples(spec, outdir, workers=workers, resume=resume, progress=progress, executor=executor,
                          evaluate=evaluate)
    outdir = Path(outdir)
    fails = samples[samples["failed"]]
    if len(fails):
        fails.to_csv(outdir / "failures.csv", index=False)
    return analyse_samples(spec, samples, wall_time_s=time.perf_counter() - t0, workers=workers)
