"""The search: NSGA-II over the decisions, every candidate simulated on the same virtual patients, and the front.

The search is pymoo's NSGA-II (Deb et al. 2002), never re-implemented here: a candidate is a real vector, each
decision decodes its own coordinate (integers rounded, categories by index), and every candidate is simulated on
the *same* virtual patients (common random numbers: a seeded Latin hypercube over the base scenario's
population), so differences between prescriptions are not sampling noise. One generation's candidates x patients
go to the executor at once (a local pool or a Dask client's executor). The front is the non-dominated set of all
feasible candidates evaluated, with bootstrap intervals over patients.

References
----------
Deb K, Pratap A, Agarwal S, Meyarivan T (2002) A fast and elitist multiobjective genetic algorithm: NSGA-II.
IEEE Trans Evol Comput 6:182. doi:10.1109/4235.996017
Blank J, Deb K (2020) pymoo: multi-objective optimization in Python. IEEE Access 8:89497.
doi:10.1109/ACCESS.2020.2990567
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from concurrent.futures import Executor
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd
from pymoo.algorithms.moo.nsga2 import NSGA2
from pymoo.core.duplicate import ElementwiseDuplicateElimination
from pymoo.core.problem import Problem
from pymoo.optimize import minimize
from pymoo.util.nds.non_dominated_sorting import NonDominatedSorting

from crosstalk.errors import CrosstalkError
from crosstalk.model.parameters import model_hash
from crosstalk.sim.result import versions
from crosstalk.sim.simulator import endpoints_of
from crosstalk.spec.scenario import apply_values
from crosstalk.studies.executors import RunFailure, run_many
from crosstalk.studies.optimise.spec import Objective, OptimisationSpec, describe, prescribe

__all__ = ["INFEASIBLE", "OptimisationResult", "Prescribe", "bootstrap_interval", "chosen_prescriptions",
           "run_stand_in", "search"]

#: Objective value given to a candidate that violates a constraint (not simulated; NSGA-II ranks infeasible
#: candidates by their constraint violation, never by this value).
INFEASIBLE = 1e30
FloatArray = npt.NDArray[np.float64]
#: A stand-in for the simulation of one patient (known-answer tests): a picklable module-level function of a
#: candidate's decisions ``{name: value}`` and one patient's values, returning ``{output: value}``.
Prescribe = Callable[[dict[str, Any], dict[str, float]], Mapping[str, float]]


@dataclass(frozen=True)
class OptimisationResult:
    """Everything the report needs, as tidy DataFrames.

    Attributes
    ----------
    spec : OptimisationSpec
    front : DataFrame
        One row per non-dominated feasible prescription: ``candidate``, every decision, every objective
        (``<label>``) with its bootstrap interval over patients (``<label>_low``, ``<label>_high``).
    candidates : DataFrame
        Every candidate evaluated: ``candidate``, ``generation``, decisions, objectives, ``violation``
        (> 0: infeasible, not simulated), ``failed_patients`` and ``key`` (the decisions as JSON).
    evaluations : DataFrame
        One row per feasible candidate and patient: ``patient``, the objectives' outputs, ``candidate``, ``key``.
    provenance : dict
        Spec hash, seed, model hash, versions, counts, wall time.
    sedentary : DataFrame
        Sedentary care (the base scenario without exercise) on the same patients: one row, each objective with its
        interval (empty for stand-in evaluations). The front's ``<label>_beats_sedentary`` columns give, per
        objective, the fraction of patients whose output is strictly better than with sedentary care.
    patients : DataFrame
        The virtual patients' values (``patient`` and one column per population parameter).
    sedentary_outputs : DataFrame
        Each patient's outputs with sedentary care (``patient`` and the objectives' outputs).
    uncertainty : DataFrame
        With ``[[uncertain]]`` ranges (:func:`~crosstalk.studies.optimise.posthoc.front_uncertainty`): ``why,
        prescription, objective, parameter, spearman_rho, p_value`` of each parameter against the prescription's
        benefit over sedentary care.
    uncertainty_summary : DataFrame
        ``why, prescription, objective, nominal_benefit, median_benefit, benefit_p05, benefit_p95,
        fraction_benefit, order_kept`` (``order_kept``: fraction of draws ranking the chosen prescriptions as the
        nominal model does, per objective).
    holdout : DataFrame
        With ``holdout_patients > 0``: the chosen prescriptions on new patients
        (:func:`~crosstalk.studies.optimise.posthoc.front_holdout`).
    """

    spec: OptimisationSpec
    front: pd.DataFrame
    candidates: pd.DataFrame
    evaluations: pd.DataFrame
    provenance: dict[str, Any]
    sedentary: pd.DataFrame = field(default_factory=pd.DataFrame)
    patients: pd.DataFrame = field(default_factory=pd.DataFrame)
    sedentary_outputs: pd.DataFrame = field(default_factory=pd.DataFrame)
    uncertainty: pd.DataFrame = field(default_factory=pd.DataFrame)
    uncertainty_summary: pd.DataFrame = field(default_factory=pd.DataFrame)
    holdout: pd.DataFrame = field(default_factory=pd.DataFrame)


class _Evaluator:
    """Evaluates generations of candidates (all candidates x patients at once), with a cache of every prescription
    already evaluated (of this run, or of the saved run being resumed). Each prescription is stored once, under its
    first candidate; a candidate with a failed patient is infeasible (its statistics would leave that patient out,
    breaking the common random numbers)."""

    def __init__(self, spec: OptimisationSpec, patients: pd.DataFrame, executor: Executor, workers: int | None,
                 prescribe_fn: Prescribe | None, progress: bool, saved: pd.DataFrame | None,
                 save: Callable[[pd.DataFrame], object] | None) -> None:
        self.spec, self.patients, self.executor, self.workers = spec, patients, executor, workers
        self.prescribe_fn, self.progress, self.save = prescribe_fn, progress, save
        self.outputs = sorted({o.output for o in spec.objectives})
        self.candidates: list[dict[str, Any]] = []
        self.first: dict[str, int] = {}  # prescription -> its first candidate in this run
        self.cache: dict[str, pd.DataFrame] = {}
        if saved is not None and len(saved):
            saved = saved.drop_duplicates(["key", "patient"])
            for key, part in saved.groupby("key", sort=False):
                self.cache[str(key)] = part.sort_values("patient")[["patient", *self.outputs]].reset_index(drop=True)
        self.generation = 0

    def __call__(self, x: FloatArray) -> tuple[FloatArray, FloatArray]:
        spec = self.spec
        decoded = [_canonical(spec.decode(row)) for row in x]
        violations = np.zeros((len(decoded), len(spec.constraints) + 1))  # the last: failed patients
        for i, d in enumerate(decoded):
            if d.get("exercise.sessions_per_week") != 0:  # sedentary care breaks no prescription constraint
                violations[i, :-1] = [c.violation(d) for c in spec.constraints]
        feasible = [bool(v) for v in np.atleast_1d((violations[:, :-1] <= 0).all(axis=1))]
        todo = [d for d, ok in zip(decoded, feasible) if ok and _key(d) not in self.cache]
        unique = list({_key(d): d for d in todo}.values())
        if unique:
            self._simulate(unique)
        f = np.full((len(decoded), len(spec.objectives)), INFEASIBLE)
        for i, (d, ok) in enumerate(zip(decoded, feasible)):
            key = _key(d)
            record: dict[str, Any] = {"candidate": len(self.candidates), "generation": self.generation, **d,
                                      "key": key}
            if ok:
                table = self.cache[key]
                self.first.setdefault(key, record["candidate"])
                failed = int(table[self.outputs].isna().any(axis=1).sum())
                violations[i, -1] = failed
                record["failed_patients"] = failed
                for j, o in enumerate(spec.objectives):
                    value = o.value(table[o.output])
                    record[o.label] = value
                    if not failed:
                        f[i, j] = o.sign * value
            record["violation"] = float(np.clip(violations[i], 0, None).sum())
            self.candidates.append(record)
        self.generation += 1
        if self.save is not None:
            self.save(self.evaluations())
        return f, violations

    def sedentary(self) -> pd.DataFrame:
        """Each patient's outputs with the base scenario's chemotherapy and no exercise."""
        base = replace(self.spec.base_scenario, exercise=())
        scenarios = [apply_values(base, p) for p in self.patients.to_dict("records")]
        results = run_many(scenarios, endpoints_of, executor=self.executor, workers=self.workers,
                           progress=self.progress, desc=f"{self.spec.name} sedentary care")
        return self._table(results)

    def _table(self, results: list[Any]) -> pd.DataFrame:
        rows = [{o: float("nan") for o in self.outputs} if isinstance(r, RunFailure)
                else {o: float(r[o]) for o in self.outputs} for r in results]
        return pd.DataFrame(rows).assign(patient=np.arange(len(rows)))[["patient", *self.outputs]]

    def _simulate(self, decoded: list[dict[str, Any]]) -> None:
        spec = self.spec
        records = self.patients.to_dict("records")
        results: list[Any]
        if self.prescribe_fn is not None:
            jobs: list[Any] = [(self.prescribe_fn, d, p) for d in decoded for p in records]
            results = run_many(jobs, run_stand_in, executor=self.executor, workers=self.workers, progress=self.progress,
                               desc=f"{spec.name} generation {self.generation + 1}")
        else:
            scenarios = [apply_values(prescribe(spec.base_scenario, d), p) for d in decoded for p in records]
            results = run_many(scenarios, endpoints_of, executor=self.executor, workers=self.workers,
                               progress=self.progress, desc=f"{spec.name} generation {self.generation + 1}")
        n = len(records)
        for k, d in enumerate(decoded):
            self.cache[_key(d)] = self._table(results[k * n:(k + 1) * n])

    def evaluations(self) -> pd.DataFrame:
        """One block of patients per prescription evaluated in this run, under its first candidate."""
        parts = [self.cache[key].assign(candidate=c, key=key) for key, c in self.first.items()]
        return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(
            columns=["patient", *self.outputs, "candidate", "key"])


def run_stand_in(job: tuple[Prescribe, dict[str, Any], dict[str, float]]) -> dict[str, Any]:
    """One stand-in job ``(prescribe_fn, decisions, patient)``: its outputs as floats (module level: picklable)."""
    fn, decisions, patient = job
    return {k: float(v) for k, v in fn(decisions, patient).items()}


def _canonical(decisions: dict[str, Any]) -> dict[str, Any]:
    """No sessions is sedentary care whatever the other decisions say: one prescription, not many."""
    if decisions.get("exercise.sessions_per_week") == 0:
        return {name: (0 if name == "exercise.sessions_per_week" else None) for name in decisions}
    return decisions


def _key(decisions: Mapping[str, Any]) -> str:
    return json.dumps(decisions, sort_keys=True)


class _SamePrescription(ElementwiseDuplicateElimination):  # type: ignore[misc]
    """Two candidates are duplicates when they decode to the same prescription (pymoo's default compares the
    real-valued coordinates, which differ between candidates that round to the same sessions and modality)."""

    def __init__(self, spec: OptimisationSpec) -> None:
        super().__init__()
        self.spec = spec

    def is_equal(self, a: Any, b: Any) -> bool:
        return _key(_canonical(self.spec.decode(a.X))) == _key(_canonical(self.spec.decode(b.X)))


class _Problem(Problem):  # type: ignore[misc]
    def __init__(self, spec: OptimisationSpec, evaluator: _Evaluator) -> None:
        lows, highs = zip(*(d.bounds for d in spec.decisions))
        super().__init__(n_var=len(spec.decisions), n_obj=len(spec.objectives),
                         n_ieq_constr=len(spec.constraints) + 1, xl=np.array(lows), xu=np.array(highs))
        self.evaluator = evaluator

    def _evaluate(self, x: FloatArray, out: dict[str, Any], *args: Any, **kwargs: Any) -> None:
        out["F"], out["G"] = self.evaluator(x)



def search(spec: OptimisationSpec, patients: pd.DataFrame, *, executor: Executor, workers: int | None = None,
           progress: bool = True, prescribe_fn: Prescribe | None = None, saved: pd.DataFrame | None = None,
           save: Callable[[pd.DataFrame], object] | None = None) -> OptimisationResult:
    """Search the prescriptions of ``spec`` (NSGA-II) on ``patients``; the non-dominated front.

    Parameters
    ----------
    spec : OptimisationSpec
    patients : DataFrame
        The virtual patients, one row each: population parameters, or ``patient`` alone for a stand-in.
    executor : concurrent.futures.Executor
        Runs the simulations.
    workers : int, optional
        Processes behind ``executor`` (recorded, and used to size the batches).
    progress : bool
        A progress bar per generation.
    prescribe_fn : callable, optional
        Replaces the simulation of one patient (see :data:`Prescribe`); then there is no sedentary arm.
    saved : DataFrame, optional
        Evaluations of a run being resumed (``evaluations.parquet``): prescriptions found there are not simulated.
    save : callable, optional
        Called with every evaluation so far after each generation (to save them).

    Returns
    -------
    OptimisationResult
        Without the post-hoc studies (:mod:`crosstalk.studies.optimise.posthoc`) and without ``wall_time_s``.

    Raises
    ------
    CrosstalkError
        If no candidate is feasible.
    """
    evaluator = _Evaluator(spec, patients, executor, workers, prescribe_fn, progress, saved, save)
    algorithm = NSGA2(pop_size=spec.population_size, eliminate_duplicates=_SamePrescription(spec))
    minimize(_Problem(spec, evaluator), algorithm, ("n_gen", spec.generations), seed=spec.seed, verbose=False)
    candidates = pd.DataFrame(evaluator.candidates)
    if not (candidates.violation <= 0).any():
        raise CrosstalkError(f"{spec.name}: no feasible prescription was found in {len(candidates)} candidates "
                             "(constraints broken, or a patient's simulation failed: see candidates.csv); relax "
                             "the constraints or narrow the decision ranges")
    reference = evaluator.sedentary() if prescribe_fn is None else None
    evaluations = evaluator.evaluations()
    front, sedentary = _front(spec, candidates, evaluator.cache, reference)
    provenance = {"spec_hash": spec.spec_hash(), "name": spec.name, "seed": spec.seed, "patients": spec.patients,
                  "population_size": spec.population_size, "generations": spec.generations,
                  "candidates": len(candidates),
                  "unique_feasible": int(candidates.drop_duplicates("key").violation.le(0).sum()),
                  "simulations": int(len(evaluator.cache) * spec.patients),
                  "model": spec.base_scenario.model, "model_sha256": model_hash(spec.base_scenario.model),
                  "stand_in": prescribe_fn is not None, "workers": workers, "versions": versions()}
    return OptimisationResult(spec, front, candidates, evaluations, provenance, sedentary,
                              patients.reset_index(drop=True).rename_axis("patient").reset_index()
                              if "patient" not in patients else patients,
                              reference if reference is not None else pd.DataFrame())


def _front(spec: OptimisationSpec, candidates: pd.DataFrame, cache: Mapping[str, pd.DataFrame],
           reference: pd.DataFrame | None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Non-dominated feasible candidates of the whole search (first occurrence of each prescription), with
    bootstrap intervals over patients (the same resampled patients for every objective and prescription), and
    sedentary care on the same patients with the fraction of patients each prescription beats it for."""
    labels = [o.label for o in spec.objectives]
    ok = candidates[candidates.violation <= 0].drop_duplicates("key")
    f = np.column_stack([ok[o.label].to_numpy(dtype=float) * o.sign for o in spec.objectives])
    first = NonDominatedSorting().do(f, only_non_dominated_front=True)
    front = ok.iloc[np.sort(first)].reset_index(drop=True)
    rng = np.random.default_rng([spec.seed, 2])  # its own stream: not the patients' Latin hypercube
    n = spec.patients
    draws = rng.integers(0, n, size=(spec.n_boot, n)) if spec.n_boot else None

    def boot(o: Objective, y: FloatArray) -> FloatArray:
        """The statistic of y on every bootstrap resample of the patients (the same resamples for all)."""
        return np.array([o.value(y[rows]) for rows in draws]) if draws is not None else np.full(1, np.nan)

    sedentary: dict[str, Any] = {}
    for o in spec.objectives:
        ys = [cache[key][o.output].to_numpy(dtype=float) for key in front.key]
        boots = [boot(o, y) for y in ys]
        front[f"{o.label}_low"] = [bootstrap_interval(b)[0] for b in boots]
        front[f"{o.label}_high"] = [bootstrap_interval(b)[1] for b in boots]
        if reference is not None:
            ref = reference[o.output].to_numpy(dtype=float)
            ref_boot = boot(o, ref)
            sedentary[o.label] = o.value(ref)
            sedentary[f"{o.label}_low"], sedentary[f"{o.label}_high"] = bootstrap_interval(ref_boot)
            front[f"{o.label}_beats_sedentary"] = [float(np.mean(o.sign * y < o.sign * ref)) for y in ys]
            paired = [bootstrap_interval(b - ref_boot) for b in boots]  # paired: the same patients in both
            front[f"{o.label}_vs_sedentary"] = [o.value(y) - o.value(ref) for y in ys]
            front[f"{o.label}_vs_sedentary_low"] = [p[0] for p in paired]
            front[f"{o.label}_vs_sedentary_high"] = [p[1] for p in paired]
    extra = ("_vs_sedentary", "_vs_sedentary_low", "_vs_sedentary_high", "_beats_sedentary")
    cols = ["candidate", *[d.name for d in spec.decisions],
            *[c for o in spec.objectives for c in (o.label, f"{o.label}_low", f"{o.label}_high")],
            *[f"{o.label}{e}" for o in spec.objectives for e in extra if f"{o.label}{e}" in front]]
    return front.sort_values(labels[0]).reset_index(drop=True)[cols], pd.DataFrame([sedentary] if sedentary else [])


def chosen_prescriptions(result: OptimisationResult) -> pd.DataFrame:
    """Front members worth reading first: the best for each objective, and the balanced one (smallest sum of
    objectives scaled to [0, 1] over the front); one row each, with ``why`` and ``prescription`` (in words)."""
    front = result.front
    spec = result.spec
    picks: dict[int, str] = {}
    for o in spec.objectives:  # one prescription can be the best on several objectives
        i = int(front[o.label].idxmax() if o.sense == "maximise" else front[o.label].idxmin())
        picks[i] = f"{picks[i]}, best {o.label}" if i in picks else f"best {o.label}"
    if len(front) > 2:
        scaled = []
        for o in spec.objectives:
            v = front[o.label].to_numpy(dtype=float) * o.sign
            span = np.ptp(v)
            scaled.append((v - v.min()) / span if span > 0 else np.zeros_like(v))
        picks.setdefault(int(np.argmin(np.sum(scaled, axis=0))), "balanced")
    rows = front.loc[sorted(picks)].copy()
    rows.insert(0, "why", [picks[i] for i in sorted(picks)])
    rows.insert(1, "prescription", [describe(spec, r) for r in rows.to_dict("records")])
    return rows.reset_index(drop=True)



def bootstrap_interval(values: FloatArray) -> tuple[float, float]:
    """95 % percentile interval of bootstrap values (NaN without finite values)."""
    values = values[np.isfinite(values)] if values.size else values
    if not values.size:
        return float("nan"), float("nan")
    return float(np.quantile(values, 0.025)), float(np.quantile(values, 0.975))

