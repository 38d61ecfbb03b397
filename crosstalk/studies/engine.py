"""The study engine: inputs with distributions, a method and a function in; tidy sensitivity indices out.

It knows no model. A :class:`Study` holds the inputs (:class:`~crosstalk.spec.ranges.ParameterRange`: uniform,
log-uniform, normal, lognormal or triangular, each mapping the unit design through its inverse CDF), the method
(:mod:`crosstalk.studies.methods`: ``sobol``, ``morris`` or ``pce`` with their options), the design size and seed and
the outputs to analyse; it refuses, when it is made, what its method cannot deliver (Morris has no time-resolved
indices). :meth:`Study.analyse` is the one analysis loop of every method and every caller: scalar outputs, the
time-resolved columns ``obs@k`` of an observable, second-order pairs, the convergence check from the first part of
the design, failed groups dropped whole and constant outputs flagged rather than analysed.

:func:`run_study` is the whole study for a plain function of a dict of inputs (the scenario studies of
:mod:`crosstalk.studies.sensitivity` are an adapter over the same :class:`Study`)::

    >>> from crosstalk.studies import run_study
    >>> def linear(x):
    ...     return {"y": x["a"] + 2.0 * x["b"]}
    >>> indices = run_study({"a": (0.0, 1.0), "b": (0.0, 1.0)}, linear, outputs=["y"], n=256, seed=1)
    >>> indices.S1.round(1).tolist()
    [0.2, 0.8]
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import Executor
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from crosstalk.errors import CrosstalkError, InputError
from crosstalk.inputs import check_keys, check_number
from crosstalk.spec.ranges import ParameterRange
from crosstalk.studies.executors import RunFailure, run_many
from crosstalk.studies.methods import METHODS, Indices, Method, make_method

__all__ = ["DEFAULT_SEED", "MAX_N", "InputLike", "Study", "StudyTables", "check_n", "check_seed", "failure_region",
           "parse_inputs", "run_study"]

FloatArray = npt.NDArray[np.float64]
#: One input of :func:`run_study`: a ``(low, high)`` uniform range, a mapping with the keys of an analysis spec's
#: ``[[parameter]]`` block (``low``, ``high``, ``distribution``, ``mode``, ``minimum``, ``maximum``), or a range.
InputLike = ParameterRange | tuple[float, float] | Mapping[str, Any]
#: The seed of a study that names none (the analysis specs' default).
DEFAULT_SEED = 20261129
#: Largest design size n.
MAX_N = 2**20


def check_n(n: Any) -> None:
    """The design size every method accepts at least (each method may narrow it: :meth:`Method.check_n`)."""
    if isinstance(n, bool) or not isinstance(n, int) or n < 2 or n > MAX_N:
        raise InputError("n", n, f"an integer in [2, {MAX_N}]")


def check_seed(seed: Any) -> None:
    """A seed SALib honours: ``if seed:`` in its samplers would silently ignore 0."""
    if isinstance(seed, bool) or not isinstance(seed, int) or not 1 <= seed < 2**32:
        raise InputError("seed", seed, "an integer in [1, 2**32) (SALib ignores seed 0)")


def _check_names(field: str, names: Any) -> tuple[str, ...]:
    if isinstance(names, str) or not isinstance(names, Sequence):
        raise InputError(field, names, "a list of names")
    for name in names:
        if not isinstance(name, str) or not name.strip():
            raise InputError(field, name, "non-empty names")
    if len(set(names)) != len(names):
        raise InputError(field, list(names), "each name once")
    return tuple(names)


def parse_inputs(inputs: Mapping[str, InputLike]) -> tuple[ParameterRange, ...]:
    """``{name: (low, high) | {"low": ..., "high": ..., "distribution": ...} | ParameterRange}`` -> ranges.

    Raises
    ------
    InputError
        Naming the input and its key: an unknown key, a missing bound, an invalid distribution or bound.
    """
    if not isinstance(inputs, Mapping) or not inputs:
        raise InputError("inputs", inputs, "a non-empty mapping of input name to (low, high) or a distribution")
    allowed = {"low", "high", "distribution", "mode", "minimum", "maximum"}
    out = []
    for name, spec in inputs.items():
        if isinstance(spec, ParameterRange):
            if spec.name != name:
                raise InputError(f"inputs[{name}]", spec.name, f"a range named {name!r}")
            out.append(spec)
        elif isinstance(spec, Mapping):
            check_keys(f"inputs[{name}].", spec, allowed, source=None)
            for key in ("low", "high"):
                if key not in spec:
                    raise InputError(f"inputs[{name}].{key}", None, "a value (required)")
            out.append(ParameterRange(name, **spec))
        elif isinstance(spec, tuple | list) and len(spec) == 2:
            out.append(ParameterRange(name, spec[0], spec[1]))
        else:
            raise InputError(f"inputs[{name}]", spec, "(low, high) or a mapping with low, high and a distribution")
    return tuple(out)


@dataclass(frozen=True)
class StudyTables:
    """What :meth:`Study.analyse` finds, as tidy DataFrames (empty when there is nothing of the kind).

    Attributes
    ----------
    indices : DataFrame
        ``output, parameter`` and the method's columns (``S1, S1_conf, ST, ST_conf``; Morris ``mu, mu_star, sigma,
        mu_star_conf``); ``reliable`` for a surrogate method.
    second_order : DataFrame
        ``output, parameter_1, parameter_2, S2, S2_conf``.
    time_resolved : DataFrame
        ``observable, time, parameter`` and the method's columns (``q2`` for a surrogate method).
    convergence : DataFrame
        ``output, n, parameter`` and the point estimates (``S1, ST``) from the first part of the design.
    surrogate : DataFrame
        ``output, q2, degree, terms, n, reliable``: one row per output a surrogate was fitted to.
    constant_outputs : tuple of str
        Outputs that did not vary (not analysed).
    groups_dropped : int
        Groups of the design left out because one of their rows failed.
    """

    indices: pd.DataFrame
    second_order: pd.DataFrame
    time_resolved: pd.DataFrame
    convergence: pd.DataFrame
    surrogate: pd.DataFrame
    constant_outputs: tuple[str, ...]
    groups_dropped: int


@dataclass(frozen=True)
class Study:
    """A sensitivity study of any function: what varies, how it is sampled and analysed, what is read.

    Parameters
    ----------
    inputs : tuple of ParameterRange
        What varies, each with its distribution (:func:`parse_inputs` makes them from plain values).
    method : Method
        :class:`~crosstalk.studies.methods.Sobol`, :class:`~crosstalk.studies.methods.Morris` or
        :class:`~crosstalk.studies.methods.PCE` with its options.
    n : int
        Sobol: base samples, a power of 2 (n (D + 2) evaluations, n (2D + 2) with second order); Morris:
        trajectories (n (D + 1)); pce: the evaluations themselves (at least max(10, D + 2)).
    seed : int
        Seed of the design and of the bootstrap (never 0).
    outputs : tuple of str
        Scalar outputs to analyse.
    time_resolved : tuple of str
        Observables analysed at each of their ``obs@k`` columns (not with Morris: refused).
    """

    inputs: tuple[ParameterRange, ...]
    method: Method
    n: int
    seed: int = DEFAULT_SEED
    outputs: tuple[str, ...] = ()
    time_resolved: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if not isinstance(self.inputs, Sequence) or not self.inputs or not all(
                isinstance(p, ParameterRange) for p in self.inputs):
            raise InputError("inputs", self.inputs, "at least one ParameterRange (see parse_inputs)")
        object.__setattr__(self, "inputs", tuple(self.inputs))
        _check_names("inputs", self.names)
        if not isinstance(self.method, Method):
            raise InputError("method", self.method, "a method object, e.g. Sobol(), Morris(), PCE()")
        check_n(self.n)
        self.method.check_n(self.n, len(self.inputs))
        check_seed(self.seed)
        object.__setattr__(self, "outputs", _check_names("outputs", self.outputs))
        object.__setattr__(self, "time_resolved", _check_names("time_resolved", self.time_resolved))
        if not self.outputs and not self.time_resolved:
            raise InputError("outputs", [], "at least one output (or observable in time_resolved)")
        if self.time_resolved and not self.method.supports_time_resolved:
            able = ", ".join(repr(k) for k, m in METHODS.items() if m.supports_time_resolved)
            raise InputError("time_resolved", list(self.time_resolved),
                             f"none with method {self.method.name!r}, which has no time-resolved indices "
                             f"(use {able})")

    @property
    def names(self) -> list[str]:
        """The inputs' names, in design column order."""
        return [p.name for p in self.inputs]

    def unit_samples(self) -> FloatArray:
        """The design on the unit hypercube, one row per evaluation in the method's order (deterministic)."""
        return self.method.sample(len(self.inputs), self.n, seed=self.seed)

    def samples(self, unit: FloatArray | None = None) -> pd.DataFrame:
        """The design in input units (each column through its distribution's inverse CDF)."""
        unit = self.unit_samples() if unit is None else unit
        return pd.DataFrame({p.name: p.from_unit(unit[:, j]) for j, p in enumerate(self.inputs)})

    def analyse(self, results: pd.DataFrame, *, failed: npt.ArrayLike | None = None, unit: FloatArray | None = None,
                times: Sequence[float] | FloatArray | None = None) -> StudyTables:
        """The indices of every output: the one analysis loop of every method.

        Parameters
        ----------
        results : DataFrame
            One row per design row (in order): a column per output and, per time-resolved observable, its
            ``obs@k`` columns.
        failed : array of bool, optional
            Rows whose evaluation failed: their whole group is dropped before analysis.
        unit : array, optional
            The design on the unit hypercube (default: :meth:`unit_samples`; pass it to avoid sampling twice).
        times : sequence of float, optional
            The time of each ``obs@k`` column (default: ``k``).

        Raises
        ------
        InputError
            ``results`` or ``failed`` whose rows are not the design's.
        CrosstalkError
            When every group has a failure (nothing is left to analyse).
        """
        unit = self.unit_samples() if unit is None else unit
        if len(results) != len(unit):
            raise InputError("results", f"{len(results)} rows", f"the {len(unit)} rows of the study's design")
        d, method, names = len(self.inputs), self.method, self.names
        bad = np.zeros(len(unit), dtype=bool) if failed is None else np.asarray(failed, dtype=bool)
        if bad.shape != (len(unit),):
            raise InputError("failed", f"{bad.size} flags", f"one per design row ({len(unit)})")
        g = method.group_size(d)
        keep_group = np.asarray(~bad.reshape(-1, g).any(axis=1), dtype=np.bool_)
        if not keep_group.any():
            raise CrosstalkError(f"every one of the {len(keep_group)} {method.name} groups has a failed evaluation")
        keep = np.repeat(keep_group, g)
        x = unit[keep]

        def y_of(column: str) -> FloatArray:
            y: FloatArray = results[column].to_numpy(dtype=float)[keep]
            return y

        indices: list[pd.DataFrame] = []
        second: list[dict[str, Any]] = []
        conv: list[dict[str, Any]] = []
        surrogate: list[dict[str, Any]] = []
        constant: list[str] = []
        point = [c for c in method.columns if not c.endswith("_conf")]  # what the convergence check follows
        for out in self.outputs:
            y = y_of(out)
            if np.ptp(y) == 0:
                constant.append(out)
                continue
            res = method.analyse(x, y, names=names, seed=self.seed)
            judged = {} if res.reliable is None else {"reliable": res.reliable}
            indices.append(pd.DataFrame({"output": out, "parameter": names, **res.values, **judged}))
            if res.q2 is not None:
                surrogate.append({"output": out, "q2": res.q2, **res.fit, "n": len(y), **judged})
            second += _pairs(out, names, res)
            for label, rows in method.convergence_sizes(keep_group, d):
                ym = y[:rows]
                if len(ym) == 0 or np.ptp(ym) == 0:
                    continue
                part = res if rows == len(y) else method.analyse(x[:rows], ym, names=names, seed=self.seed,
                                                                   quick=True)
                conv += [{"output": out, "n": label, "parameter": name, **{c: part.values[c][k] for c in point}}
                         for k, name in enumerate(names)]
        series: list[dict[str, Any]] = []
        for obs in self.time_resolved:
            for column in method.time_columns([c for c in results.columns if c.startswith(f"{obs}@")]):
                y = y_of(column)
                if np.ptp(y) == 0:
                    continue
                res = method.analyse(x, y, names=names, seed=self.seed)
                k = int(column.split("@")[1])
                fit = {} if res.q2 is None else {"q2": res.q2}
                series += [{"observable": obs, "time": float(k) if times is None else times[k], "parameter": name,
                            **{c: res.values[c][j] for c in method.columns}, **fit} for j, name in enumerate(names)]
        return StudyTables(pd.concat(indices, ignore_index=True) if indices else pd.DataFrame(), pd.DataFrame(second),
                           pd.DataFrame(series), pd.DataFrame(conv), pd.DataFrame(surrogate), tuple(constant),
                           int((~keep_group).sum()))


def _pairs(output: str, names: Sequence[str], res: Indices) -> list[dict[str, Any]]:
    """Second-order rows (upper triangle) when the analysis gave them."""
    if res.S2 is None or res.S2_conf is None:
        return []
    return [{"output": output, "parameter_1": names[i], "parameter_2": names[j], "S2": res.S2[i, j],
             "S2_conf": res.S2_conf[i, j]} for i in range(len(names)) for j in range(i + 1, len(names))]


def failure_region(unit: FloatArray, failed: npt.NDArray[np.bool_], names: Sequence[str]) -> str:
    """Where failures concentrate: the three inputs whose failed rows sit furthest from the middle quantile.

    Parameters
    ----------
    unit : ndarray
        The samples on the unit hypercube, one row per sample.
    failed : ndarray of bool
        Which samples failed.
    names : sequence of str
        The inputs' names, one per column of ``unit``.
    """
    parts = []
    for j, name in enumerate(names):
        q = float(unit[failed, j].mean())
        parts.append((abs(q - 0.5), name, q))
    parts.sort(reverse=True)
    return "; ".join(f"{name}: failures at mean quantile {q:.2f}" for _, name, q in parts[:3])


@dataclass(frozen=True)
class _Evaluation:
    """One evaluation of the user's function (picklable when the function is): its outputs as finite floats."""

    fn: Callable[[dict[str, float]], Mapping[str, float]]
    outputs: tuple[str, ...]

    def __call__(self, values: dict[str, float]) -> dict[str, float]:
        got = self.fn(dict(values))
        missing = [o for o in self.outputs if o not in got]
        if missing:  # a programming error, not a failed evaluation: it stops the study
            raise KeyError(f"the function returned no {missing} (it returned {sorted(got)})")
        row = {o: float(got[o]) for o in self.outputs}
        if not all(math.isfinite(v) for v in row.values()):
            raise ArithmeticError("non-finite output")
        return row


def run_study(inputs: Mapping[str, InputLike], fn: Callable[[dict[str, float]], Mapping[str, float]], *,
              outputs: Sequence[str], n: int, method: str | Method = "sobol", seed: int = DEFAULT_SEED,
              second_order: bool = False, num_levels: int | None = None, degree: int | None = None,
              q_norm: float | None = None, q2_threshold: float | None = None, workers: int | None = 1,
              executor: Executor | None = None, progress: bool = False,
              max_failure_fraction: float = 0.0) -> pd.DataFrame:
    """Sensitivity indices of a plain function: sample, evaluate, analyse.

    Parameters
    ----------
    inputs : mapping of str to (low, high), mapping or ParameterRange
        Each input's distribution: a tuple is a uniform range; a mapping takes an analysis spec's
        ``[[parameter]]`` keys, e.g. ``{"low": 0.1, "high": 10, "distribution": "loguniform"}``.
    fn : callable
        ``fn({input: value}) -> {output: value}``; module-level (picklable) to run in a process pool. An evaluation
        raising ``RuntimeError``, ``ValueError``, ``ArithmeticError`` or a crosstalk error, or returning a
        non-finite output, is a failed evaluation.
    outputs : sequence of str
        Outputs of ``fn`` to analyse.
    n : int
        Design size (see :class:`Study`): Sobol base samples (a power of 2), Morris trajectories, pce evaluations.
    method : {"sobol", "morris", "pce"} or method object
        A name, with the options below, or e.g. ``PCE(degree=8)`` holding them.
    seed : int
        Seed of the design and the bootstrap.
    second_order : bool
        Sobol and pce: also compute second-order indices (not returned here; see :meth:`Study.analyse`).
    num_levels : int, optional
        Morris grid levels (default 4).
    degree, q_norm, q2_threshold : optional
        pce options (defaults 4, 0.5, 0.9).
    workers : int, optional
        Processes of a local pool (default 1: this process, nothing pickled; None: all cores).
    executor : concurrent.futures.Executor, optional
        Runs the evaluations instead (e.g. a Dask client's executor).
    progress : bool
        A progress bar.
    max_failure_fraction : float
        Stop with an error above this fraction of failed evaluations (default 0: any failure stops the study).

    Returns
    -------
    DataFrame
        ``output, parameter, S1, S1_conf, ST, ST_conf`` (pce adds ``reliable``); Morris ``output, parameter, mu,
        mu_star, sigma, mu_star_conf``. Outputs that did not vary have no rows.

    Raises
    ------
    InputError
        Bad inputs or options (at once, before any evaluation), or a combination the method does not support.
    CrosstalkError
        Too many failed evaluations, naming where in the input space they concentrate.
    """
    given = {"second_order": second_order or None, "num_levels": num_levels, "degree": degree, "q_norm": q_norm,
             "q2_threshold": q2_threshold}
    if not isinstance(method, str):
        extra = [k for k, v in given.items() if v is not None]
        if extra:
            raise InputError(extra[0], given[extra[0]], f"set on the method object ({type(method).__name__}(...))")
        chosen: Method = method
    else:
        chosen = make_method(method, second_order=second_order, num_levels=num_levels, degree=degree, q_norm=q_norm,
                             q2_threshold=q2_threshold)
    check_number("max_failure_fraction", max_failure_fraction, low=0.0, high=1.0, high_open=True)
    if isinstance(outputs, str):
        raise InputError("outputs", outputs, "a list of output names")
    study = Study(parse_inputs(inputs), chosen, n, seed=seed, outputs=tuple(outputs))
    unit = study.unit_samples()
    values = study.samples(unit)
    names = study.names
    items = [dict(zip(names, map(float, row))) for row in values.to_numpy()]
    got = run_many(items, _Evaluation(fn, study.outputs), executor=executor, workers=workers, progress=progress,
                   desc="evaluations")
    failed = np.array([isinstance(r, RunFailure) for r in got], dtype=bool)
    if failed.mean() > max_failure_fraction:
        first = next(r for r in got if isinstance(r, RunFailure))
        raise CrosstalkError(
            f"{failed.sum()} of {len(got)} evaluations failed ({failed.mean():.1%} > {max_failure_fraction:.1%}); "
            f"region: {failure_region(unit, failed, names)}; first error: {first.error}. Fix the function, narrow "
            "the inputs or raise max_failure_fraction.")
    results = pd.DataFrame([{} if isinstance(r, RunFailure) else r for r in got], columns=list(study.outputs))
    return study.analyse(results, failed=failed, unit=unit).indices
