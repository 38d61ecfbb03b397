"""Which prescription? Multi-objective optimisation of an exercise prescription over a virtual population.

An optimisation spec (``analysis/*.toml`` with ``[[decision]]``, ``[[objective]]`` and optional
``[[constraint]]`` tables; :func:`load_optimisation`) names a base scenario (its chemotherapy, immunotherapy and
population), the prescription fields to choose, the objectives as statistics over virtual patients, and
constraints. The search is pymoo's NSGA-II (Deb et al. 2002), never re-implemented here: a candidate is a real
vector, each decision decodes its own coordinate (integers rounded, categories by index), and every candidate
is simulated on the *same* virtual patients (common random numbers: a seeded Latin hypercube over the base
scenario's population), so differences between prescriptions are not sampling noise. One generation's
candidates x patients go to the executor at once (a local pool or a Dask client's executor).

Nothing is lost: every evaluated candidate (its decisions and each patient's outputs) is kept in
``evaluations.parquet`` (written atomically after each generation) next to ``manifest.json``; ``resume=True``
replays the seeded search and takes every candidate already evaluated from that file, so an interrupted run
continues to the same front as an uninterrupted one. The front is the non-dominated set of all feasible
candidates evaluated, with bootstrap intervals over patients (``front.csv``).

The front is chosen, and its intervals computed, on the same patients, so its benefits are optimistic: the
prescriptions that won were partly lucky on those patients (the winner's curse; selection bias). With
``holdout_patients > 0`` the chosen prescriptions and sedentary care are re-run on that many *new* virtual
patients (an independent seeded stream) and :func:`front_holdout` reports the benefit there (``holdout.csv``):
the estimate to quote.

Constraint expressions are parsed by a small grammar (numbers, decision names, ``+ - * /``, parentheses and one
comparison ``<= < >= > ==``); a spec is input, and input never runs code.

References
----------
Deb K, Pratap A, Agarwal S, Meyarivan T (2002) A fast and elitist multiobjective genetic algorithm: NSGA-II.
IEEE Trans Evol Comput 6:182. doi:10.1109/4235.996017
Blank J, Deb K (2020) pymoo: multi-objective optimization in Python. IEEE Access 8:89497.
doi:10.1109/ACCESS.2020.2990567
"""

from __future__ import annotations

import hashlib
import json
import logging
import math
import re
import time
from collections.abc import Callable, Mapping
from concurrent.futures import Executor
from contextlib import nullcontext
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd
from pymoo.algorithms.moo.nsga2 import NSGA2
from pymoo.core.duplicate import ElementwiseDuplicateElimination
from pymoo.core.problem import Problem
from pymoo.optimize import minimize
from pymoo.util.nds.non_dominated_sorting import NonDominatedSorting

from crosstalk.errors import CrosstalkError, InputError
from crosstalk.files import write_atomic, write_csv_atomic, write_json_atomic
from crosstalk.inputs import check_number, read_toml_spec
from crosstalk.model.observables import ENDPOINTS
from crosstalk.model.parameters import model_hash
from crosstalk.sim.result import versions
from crosstalk.spec.ranges import ParameterRange, parse_ranges
from crosstalk.spec.scenario import ExerciseRegime, Scenario, apply_values, check_range_names, find_scenario
from crosstalk.studies.cohort import cohort_scenario, sample_cohort
from crosstalk.studies.executors import RunFailure, endpoints_of, local_executor, run_many

log = logging.getLogger(__name__)

__all__ = ["Constraint", "Decision", "Objective", "OptimisationResult", "OptimisationSpec", "Prescribe",
           "benefit_drivers", "chosen_prescriptions", "describe", "front_holdout", "front_uncertainty",
           "holdout_cohort", "holdout_seed", "load_optimisation", "prescribe", "run_optimisation",
           "write_optimisation"]

KINDS = ("integer", "real", "category")
STATISTICS = ("mean", "median", "p90", "fraction")
SENSES = ("minimise", "maximise")
METHODS = ("nsga2",)
#: The file in an optimisation's outdir that identifies its run (spec hash, seed, model hash, versions).
MANIFEST = "manifest.json"
#: Objective value given to a candidate that violates a constraint (not simulated; NSGA-II ranks infeasible
#: candidates by their constraint violation, never by this value).
INFEASIBLE = 1e30
FloatArray = npt.NDArray[np.float64]
#: A stand-in for the simulation of one patient (known-answer tests): a picklable module-level function of a
#: candidate's decisions ``{name: value}`` and one patient's values, returning ``{output: value}``.
Prescribe = Callable[[dict[str, Any], dict[str, float]], Mapping[str, float]]


# ---------------------------------------------------------------------------------------------- the spec
@dataclass(frozen=True)
class Decision:
    """One prescription field to choose.

    Parameters
    ----------
    name : str
        ``exercise.<field>`` of the scenario contract (e.g. ``exercise.sessions_per_week``); applied to every
        ``[[exercise]]`` block of the base scenario (0 sessions per week: no exercise).
    low, high : float
        Range (integer and real kinds).
    kind : {"integer", "real", "category"}
    choices : tuple of str
        The categories (kind ``category``), e.g. ``("aerobic", "resistance", "hiit")``.
    """

    name: str
    low: float = 0.0
    high: float = 1.0
    kind: str = "real"
    choices: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        where = f"decision[{self.name}]"
        if not isinstance(self.name, str) or not self.name:
            raise InputError("decision.name", self.name, "a non-empty string, e.g. exercise.sessions_per_week")
        if self.kind not in KINDS:
            raise InputError(f"{where}.kind", self.kind, "one of " + ", ".join(KINDS))
        if self.kind == "category":
            if not self.choices or not all(isinstance(c, str) and c for c in self.choices):
                raise InputError(f"{where}.choices", list(self.choices), "a non-empty list of names")
            if len(set(self.choices)) != len(self.choices):
                raise InputError(f"{where}.choices", list(self.choices), "names without repeats")
            return
        check_number(f"{where}.low", self.low, low=-1e9, high=1e9)
        check_number(f"{where}.high", self.high, low=-1e9, high=1e9)
        if not self.low < self.high:
            raise InputError(f"{where}.high", self.high, f"a value above low = {self.low}")
        if self.kind == "integer" and (self.low != round(self.low) or self.high != round(self.high)):
            raise InputError(f"{where}.low", (self.low, self.high), "whole numbers for an integer decision")

    @property
    def bounds(self) -> tuple[float, float]:
        """The coordinate's range in the search (a category is an index in [0, number of choices))."""
        if self.kind == "category":
            return 0.0, float(len(self.choices))
        if self.kind == "integer":  # each whole number gets an equal share of the coordinate
            return self.low - 0.5, self.high + 0.5
        return float(self.low), float(self.high)

    def decode(self, x: float) -> float | int | str:
        """The decision's value at coordinate ``x``."""
        lo, hi = self.bounds
        x = min(max(float(x), lo), hi)
        if self.kind == "category":
            return self.choices[min(math.floor(x), len(self.choices) - 1)]
        if self.kind == "integer":
            return int(min(max(round(x), self.low), self.high))
        return x


@dataclass(frozen=True)
class Objective:
    """A statistic of an endpoint over the virtual patients.

    Parameters
    ----------
    output : str
        An endpoint (``crosstalk.model.observables.ENDPOINTS``).
    statistic : {"mean", "median", "p90", "fraction"}
        ``fraction``: of patients with a true boolean endpoint (e.g. ``ctrcd``), or with a numeric endpoint above
        ``threshold`` (required for numeric endpoints).
    sense : {"minimise", "maximise"}
    threshold : float, optional
        For ``fraction`` of a numeric endpoint.
    """

    output: str
    statistic: str = "mean"
    sense: str = "minimise"
    threshold: float | None = None

    def __post_init__(self) -> None:
        where = f"objective[{self.output}]"
        if self.statistic not in STATISTICS:
            raise InputError(f"{where}.statistic", self.statistic, "one of " + ", ".join(STATISTICS))
        if self.sense not in SENSES:
            raise InputError(f"{where}.sense", self.sense, "one of " + ", ".join(SENSES))
        if self.threshold is not None:
            check_number(f"{where}.threshold", self.threshold, low=-1e30, high=1e30)
            if self.statistic != "fraction":
                raise InputError(f"{where}.threshold", self.threshold, "no threshold unless statistic = 'fraction'")

    @property
    def label(self) -> str:
        """Column name of the objective, e.g. ``mean_lvef_drop_points`` or ``fraction_ctrcd``."""
        if self.statistic == "fraction" and self.threshold is not None:
            return f"fraction_{self.output}_above_{self.threshold:g}"
        return f"{self.statistic}_{self.output}"

    @property
    def sign(self) -> float:
        """+1 to minimise, -1 to maximise: ``sign * value`` is smaller for a better value."""
        return -1.0 if self.sense == "maximise" else 1.0

    def value(self, y: npt.ArrayLike) -> float:
        """The statistic of the patients' values ``y`` (NaN of failed patients left out)."""
        v = np.asarray(y, dtype=float)
        v = v[np.isfinite(v)]
        if not v.size:
            return float("nan")
        if self.statistic == "fraction":
            return float(np.mean(v > self.threshold) if self.threshold is not None else np.mean(v > 0.5))
        if self.statistic == "median":
            return float(np.median(v))
        if self.statistic == "p90":
            return float(np.quantile(v, 0.9))
        return float(np.mean(v))


_TOKEN = re.compile(r"\s*(?:(\d+(?:\.\d*)?(?:[eE][-+]?\d+)?|\.\d+(?:[eE][-+]?\d+)?)|([A-Za-z_][A-Za-z0-9_.]*)"
                    r"|(<=|>=|==|[<>+\-*/()]))")
Node = tuple[Any, ...]


@dataclass(frozen=True)
class Constraint:
    """A constraint on decisions, e.g. ``exercise.sessions_per_week * exercise.minutes <= 300``.

    The expression is parsed (never evaluated as code): numbers, names of integer or real decisions,
    ``+ - * /``, parentheses and exactly one comparison ``<=``, ``>=`` or ``==`` (within 1e-9: for integer
    decisions; a real decision almost never equals a value exactly). Strict ``<``/``>`` are refused. Sedentary
    care (0 sessions per week) is never constrained.
    """

    expression: str
    tree: Node = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if not isinstance(self.expression, str) or not self.expression.strip():
            raise InputError("constraint.expression", self.expression, "a comparison of decisions")
        object.__setattr__(self, "tree", _parse(self.expression))

    @property
    def names(self) -> set[str]:
        """Decision names the expression uses."""
        out: set[str] = set()
        stack = [self.tree]
        while stack:
            node = stack.pop()
            if node[0] == "name":
                out.add(node[1])
            elif node[0] != "num":
                stack.extend(n for n in node[1:] if isinstance(n, tuple))
        return out

    def violation(self, values: Mapping[str, float]) -> float:
        """How far ``values`` are from satisfying the constraint (<= 0: satisfied), in the expression's units."""
        op, left, right = self.tree[1], _eval(self.tree[2], values), _eval(self.tree[3], values)
        if op == "<=":
            return left - right
        if op == ">=":
            return right - left
        return abs(left - right) - 1e-9


def _parse(text: str) -> Node:
    tokens: list[tuple[str, str]] = []
    pos = 0
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        if m is None or m.end() == pos:
            if text[pos:].strip() == "":
                break
            raise InputError("constraint.expression", text,
                             f"numbers, decision names, + - * / ( ) and one of <= < >= > == (at {text[pos:]!r})")
        kind = "num" if m.group(1) else "name" if m.group(2) else "op"
        tokens.append((kind, m.group(m.lastindex or 0)))
        pos = m.end()
    at = 0

    def peek() -> tuple[str, str] | None:
        return tokens[at] if at < len(tokens) else None

    def take() -> tuple[str, str]:
        nonlocal at
        if at >= len(tokens):
            raise InputError("constraint.expression", text, "a complete expression (it ends too early)")
        at += 1
        return tokens[at - 1]

    def factor() -> Node:
        kind, tok = take()
        if kind == "num":
            return ("num", float(tok))
        if kind == "name":
            return ("name", tok)
        if tok == "-":
            return ("neg", factor())
        if tok == "(":
            inner = total()
            if take()[1] != ")":
                raise InputError("constraint.expression", text, "balanced parentheses")
            return inner
        raise InputError("constraint.expression", text, f"a number, name or '(' where {tok!r} stands")

    def term() -> Node:
        node = factor()
        while (t := peek()) is not None and t[1] in ("*", "/"):
            node = (take()[1], node, factor())
        return node

    def total() -> Node:
        node = term()
        while (t := peek()) is not None and t[1] in ("+", "-"):
            node = (take()[1], node, term())
        return node

    left = total()
    t = peek()
    if t is not None and t[1] in ("<", ">"):
        raise InputError("constraint.expression", text, "<= or >= (a strict bound is not enforceable on a real "
                         "decision; for integers write e.g. exercise.sessions_per_week <= 4)")
    if t is None or t[1] not in ("<=", ">=", "=="):
        raise InputError("constraint.expression", text, "one comparison (<=, >=, ==) between two sides")
    op = take()[1]
    right = total()
    if peek() is not None:
        raise InputError("constraint.expression", text, f"a single comparison (unexpected {peek()[1]!r})")  # type: ignore[index]
    return ("cmp", op, left, right)


def _eval(node: Node, values: Mapping[str, float]) -> float:
    kind = node[0]
    if kind == "num":
        return float(node[1])
    if kind == "name":
        return float(values[node[1]])
    if kind == "neg":
        return -_eval(node[1], values)
    a, b = _eval(node[1], values), _eval(node[2], values)
    if kind == "+":
        return a + b
    if kind == "-":
        return a - b
    if kind == "*":
        return a * b
    return a / b if b != 0 else math.copysign(math.inf, a) if a else 0.0


_REGIME_FIELDS = {f.name for f in fields(ExerciseRegime)}


@dataclass(frozen=True)
class OptimisationSpec:
    """An optimisation (see the module docstring; ``analysis/*.toml`` with ``[[decision]]`` tables).

    Parameters
    ----------
    name : str
    base_scenario : Scenario
        Its chemotherapy, immunotherapy, population and duration; its ``[[exercise]]`` blocks take the decisions.
    decisions, objectives, constraints
        See :class:`Decision`, :class:`Objective`, :class:`Constraint`.
    method : {"nsga2"}
    population_size : int
        Candidates per generation (4-1000).
    generations : int
        Generations (1-1000).
    patients : int
        Virtual patients, the same for every candidate (1-10000).
    seed : int
        Seed of the search and of the patients.
    n_boot : int
        Bootstrap resamples of the patients for the front's intervals (0-10000).
    question : str
    uncertain : tuple of ParameterRange
        Model parameters (or patient fields) whose uncertainty could reorder the front (``[[uncertain]]``
        tables, as an analysis spec's ``[[parameter]]``): the chosen prescriptions and sedentary care are re-run on
        the base scenario's patient for ``uncertain_n`` Latin-hypercube draws of them (see
        :func:`front_uncertainty`). Empty: no such study.
    uncertain_n : int
        Draws of the uncertain parameters (2-10000).
    holdout_patients : int
        New virtual patients (an independent seeded stream, see :func:`holdout_cohort`) on which the chosen
        prescriptions and sedentary care are re-run after the search (:func:`front_holdout`); 0 (the default):
        none. Not part of the search, so not of :meth:`spec_hash`.
    """

    name: str
    base_scenario: Scenario
    decisions: tuple[Decision, ...]
    objectives: tuple[Objective, ...]
    constraints: tuple[Constraint, ...] = ()
    method: str = "nsga2"
    population_size: int = 32
    generations: int = 20
    patients: int = 64
    seed: int = 7
    n_boot: int = 1000
    question: str = ""
    uncertain: tuple[ParameterRange, ...] = ()
    uncertain_n: int = 32
    holdout_patients: int = 0
    source_text: str = field(default="", compare=False, repr=False)

    def __post_init__(self) -> None:
        if not isinstance(self.name, str) or not self.name.strip():
            raise InputError("name", self.name, "a non-empty string")
        if isinstance(self.uncertain_n, bool) or not isinstance(self.uncertain_n, int) or \
                not 2 <= self.uncertain_n <= 10000:
            raise InputError("uncertain_n", self.uncertain_n, "an integer in [2, 10000]")
        if self.method not in METHODS:
            raise InputError("method", self.method, "one of " + ", ".join(METHODS))
        for key, low, high in (("population_size", 4, 1000), ("generations", 1, 1000), ("patients", 1, 10000),
                               ("n_boot", 0, 10000), ("seed", 1, 2**32 - 1), ("holdout_patients", 0, 10000)):
            v = getattr(self, key)
            if isinstance(v, bool) or not isinstance(v, int) or not low <= v <= high:
                raise InputError(key, v, f"an integer in [{low}, {high}]")
        if not self.decisions:
            raise InputError("decision", [], "at least one [[decision]]")
        names = [d.name for d in self.decisions]
        if len(set(names)) != len(names):
            raise InputError("decision", names, "names without repeats")
        if not self.objectives:
            raise InputError("objective", [], "at least one [[objective]]")
        labels = [o.label for o in self.objectives]
        if len(set(labels)) != len(labels):
            raise InputError("objective", labels, "objectives without repeats")
        numeric = [d.name for d in self.decisions if d.kind != "category"]
        for c in self.constraints:
            unknown = c.names - set(numeric)
            if unknown:
                raise InputError("constraint.expression", c.expression,
                                 f"names of integer or real decisions ({', '.join(numeric)}); not: "
                                 + ", ".join(sorted(unknown)))

    def check_contract(self) -> None:
        """Check decisions and objectives against the scenario contract (skipped for stand-in evaluations)."""
        check_range_names(self.uncertain, self.base_scenario, where="uncertain")
        for r in self.uncertain:
            if r.name.startswith("exercise"):
                raise InputError(f"uncertain[{r.name}].name", r.name,
                                 "a model parameter id or patient.<field> (exercise fields are decisions)")
        for d in self.decisions:
            head, _, tail = d.name.partition(".")
            if head != "exercise" or tail not in _REGIME_FIELDS:
                raise InputError("decision.name", d.name, "exercise.<field> with a field of [[exercise]]: "
                                 + ", ".join(sorted(_REGIME_FIELDS)))
            if not self.base_scenario.exercise:
                raise InputError("base_scenario", self.base_scenario.name,
                                 "a scenario with an [[exercise]] block (the prescription it carries is replaced)")
        for o in self.objectives:
            unit = ENDPOINTS.get(o.output, ("", ""))[0]
            if o.output not in ENDPOINTS or unit == "class":
                raise InputError(f"objective[{o.output}].output", o.output, "a numeric or true/false endpoint")
            if unit == "true/false" and o.statistic != "fraction":
                raise InputError(f"objective[{o.output}].statistic", o.statistic,
                                 "fraction (the endpoint is true/false)")
            if unit != "true/false" and o.statistic == "fraction" and o.threshold is None:
                raise InputError(f"objective[{o.output}].threshold", None,
                                 "a threshold for the fraction of a numeric endpoint (the fraction above it)")
        for d in self.decisions:  # every range endpoint must give a valid prescription
            for value in ([d.decode(d.bounds[0]), d.decode(d.bounds[1] - 1e-9)] if d.kind != "category"
                          else list(d.choices)):
                prescribe(self.base_scenario, {d.name: value})

    def spec_hash(self) -> str:
        """Hash of everything that determines the candidates and their evaluations."""
        payload = json.dumps({
            "base": self.base_scenario.to_dict(), "decisions": [vars(d) for d in self.decisions],
            "objectives": [vars(o) for o in self.objectives],
            "constraints": [c.expression for c in self.constraints], "method": self.method,
            "population_size": self.population_size, "generations": self.generations, "patients": self.patients,
            "seed": self.seed, "model_sha256": model_hash(self.base_scenario.model),
        }, sort_keys=True, default=str)
        return hashlib.sha256(payload.encode()).hexdigest()

    def decode(self, x: npt.ArrayLike) -> dict[str, Any]:
        """A candidate's decisions from its search coordinates."""
        return {d.name: d.decode(v) for d, v in zip(self.decisions, np.asarray(x, dtype=float))}


def prescribe(base: Scenario, decisions: Mapping[str, Any]) -> Scenario:
    """``base`` with a candidate's decisions applied to each of its ``[[exercise]]`` blocks (0 sessions per week:
    no exercise). The regime's own validation checks the values (InputError naming the field)."""
    fields_ = {name.partition(".")[2]: value for name, value in decisions.items()}
    if fields_.get("sessions_per_week") == 0:
        return replace(base, exercise=())
    regimes = []
    for regime in base.exercise:
        changes = dict(fields_)
        if "sessions_per_week" in changes and regime.session_days is not None:
            changes["session_days"] = None
        regimes.append(replace(regime, **changes))
    return replace(base, exercise=tuple(regimes))


def load_optimisation(path: str | Path) -> OptimisationSpec:
    """Read an optimisation spec; ``base_scenario`` is a path relative to the spec (or the repository root), or
    the name of a built-in scenario."""
    path = Path(path)
    text, data = read_toml_spec(path, what="optimisation", required=("name", "base_scenario", "decision", "objective"),
                                allowed={"name", "base_scenario", "method", "population_size", "generations",
                                         "patients", "seed", "n_boot", "question", "decision", "objective",
                                         "constraint", "uncertain", "uncertain_n", "holdout_patients"})
    try:
        decisions = tuple(_table(Decision, d, "decision", {"name", "low", "high", "kind", "choices"})
                          for d in _tables(data, "decision"))
        objectives = tuple(_table(Objective, o, "objective", {"output", "statistic", "sense", "threshold"})
                           for o in _tables(data, "objective"))
        constraints = tuple(_table(Constraint, c, "constraint", {"expression"}) for c in _tables(data, "constraint"))
        spec = OptimisationSpec(
            name=data["name"], base_scenario=find_scenario(str(data["base_scenario"]), path), decisions=decisions,
            objectives=objectives, constraints=constraints, method=data.get("method", "nsga2"),
            population_size=data.get("population_size", 32), generations=data.get("generations", 20),
            patients=data.get("patients", 64), seed=data.get("seed", 7), n_boot=data.get("n_boot", 1000),
            question=data.get("question", ""), uncertain=parse_ranges(data.get("uncertain", []), where="uncertain",
                                                                      source=str(path)),
            uncertain_n=data.get("uncertain_n", 32), holdout_patients=data.get("holdout_patients", 0),
            source_text=text)
        spec.check_contract()
    except InputError as err:
        raise InputError(err.field, err.value, err.allowed, source=str(path)) from None
    return spec


def _tables(data: Mapping[str, Any], key: str) -> list[dict[str, Any]]:
    value = data.get(key, [])
    if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
        raise InputError(key, value, f"[[{key}]] tables")
    return value


def _table(cls: Any, raw: dict[str, Any], key: str, allowed: set[str]) -> Any:
    for k in raw:
        if k not in allowed:
            raise InputError(f"{key}.{k}", raw[k], "a known key: " + ", ".join(sorted(allowed)))
    if "choices" in raw:
        raw = {**raw, "choices": tuple(raw["choices"]) if isinstance(raw["choices"], list) else raw["choices"]}
    return cls(**raw)


# ---------------------------------------------------------------------------------------------- the search
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
        With ``[[uncertain]]`` ranges (:func:`front_uncertainty`): ``why, prescription, objective, parameter,
        spearman_rho, p_value`` of each parameter against the prescription's benefit over sedentary care.
    uncertainty_summary : DataFrame
        ``why, prescription, objective, nominal_benefit, median_benefit, benefit_p05, benefit_p95,
        fraction_benefit, order_kept`` (``order_kept``: fraction of draws ranking the chosen prescriptions as the
        nominal model does, per objective).
    holdout : DataFrame
        With ``holdout_patients > 0``: the chosen prescriptions on new patients (:func:`front_holdout`).
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
            results = run_many(jobs, _call, executor=self.executor, workers=self.workers, progress=self.progress,
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


def _call(job: tuple[Prescribe, dict[str, Any], dict[str, float]]) -> dict[str, Any]:
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
        Replaces the simulation of one patient (see :data:`Prescribe`; known-answer tests). The patients are
        then ``spec.patients`` rows of ``{"patient": index}``.

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
        evaluator = _Evaluator(spec, patients, ex, workers, prescribe_fn, progress, saved, save)
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
        result = OptimisationResult(spec, front, candidates, evaluations, provenance, sedentary,
                                    patients.reset_index(drop=True).rename_axis("patient").reset_index()
                                    if "patient" not in patients else patients,
                                    reference if reference is not None else pd.DataFrame())
        if spec.uncertain and prescribe_fn is None:  # on the same pool: one executor for the whole study
            per_parameter, summary = front_uncertainty(result, executor=ex, workers=workers, progress=progress)
            result = replace(result, uncertainty=per_parameter, uncertainty_summary=summary)
            provenance["uncertainty_simulations"] = spec.uncertain_n * (len(_chosen_exercising(result)) + 1) \
                if len(summary) else 0
        if spec.holdout_patients:
            holdout = front_holdout(result, executor=ex, workers=workers, progress=progress,
                                    prescribe_fn=prescribe_fn)
            result = replace(result, holdout=holdout)
            provenance.update(holdout_patients=spec.holdout_patients, holdout_seed=holdout_seed(spec))
            provenance["holdout_simulations"] = spec.holdout_patients * (
                holdout.candidate.nunique() + (prescribe_fn is None)) if len(holdout) else 0
    provenance["wall_time_s"] = round(time.perf_counter() - t0, 2)
    if outdir is not None:
        write_optimisation(result, outdir)
    return result


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
        front[f"{o.label}_low"] = [_interval(b)[0] for b in boots]
        front[f"{o.label}_high"] = [_interval(b)[1] for b in boots]
        if reference is not None:
            ref = reference[o.output].to_numpy(dtype=float)
            ref_boot = boot(o, ref)
            sedentary[o.label] = o.value(ref)
            sedentary[f"{o.label}_low"], sedentary[f"{o.label}_high"] = _interval(ref_boot)
            front[f"{o.label}_beats_sedentary"] = [float(np.mean(o.sign * y < o.sign * ref)) for y in ys]
            paired = [_interval(b - ref_boot) for b in boots]  # paired: the same patients in both
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


def benefit_drivers(result: OptimisationResult) -> pd.DataFrame:
    """Which patients benefit: for each chosen prescription and objective, Spearman's rank correlation between
    each population parameter and the patients' benefit over sedentary care (their own outcome with sedentary
    care minus with the prescription, signed so that positive is better). No new simulations: the search already
    ran every prescription and sedentary care on the same patients.

    Returns
    -------
    DataFrame
        ``prescription, why, objective, parameter, spearman_rho, p_value, mean_benefit`` (empty for stand-ins).
    """
    from scipy.stats import spearmanr

    columns = ["prescription", "why", "objective", "parameter", "spearman_rho", "p_value", "mean_benefit"]
    if not len(result.sedentary_outputs):
        return pd.DataFrame(columns=columns)
    spec = result.spec
    params = [c for c in result.patients.columns if c != "patient" and result.patients[c].nunique() > 1]
    evaluations = result.evaluations
    rows: list[dict[str, Any]] = []
    for pick in chosen_prescriptions(result).to_dict("records"):
        mine = evaluations[evaluations.candidate == pick["candidate"]].sort_values("patient")
        for o in spec.objectives:
            sign = o.sign
            benefit = sign * (result.sedentary_outputs[o.output].to_numpy(dtype=float)
                              - mine[o.output].to_numpy(dtype=float))
            if np.ptp(benefit[np.isfinite(benefit)]) == 0:
                continue
            for prm in params:
                rho, p_value = spearmanr(result.patients[prm].to_numpy(dtype=float), benefit, nan_policy="omit")
                rows.append({"prescription": pick["prescription"], "why": pick["why"], "objective": o.label,
                             "parameter": prm, "spearman_rho": float(rho), "p_value": float(p_value),
                             "mean_benefit": float(np.nanmean(benefit))})
    return pd.DataFrame(rows, columns=columns)


def front_uncertainty(result: OptimisationResult, *, executor: Executor | None = None, workers: int | None = None,
                      progress: bool = True) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Which uncertain model parameters could reorder the front: the chosen prescriptions and sedentary care,
    re-run on the base scenario's patient for ``spec.uncertain_n`` seeded Latin-hypercube draws of the spec's
    ``[[uncertain]]`` ranges (the same draws for every prescription).

    Returns
    -------
    per_parameter, summary : DataFrame
        See :attr:`OptimisationResult.uncertainty` and :attr:`OptimisationResult.uncertainty_summary`.
    """
    import pydoe
    from scipy.stats import spearmanr

    spec = result.spec
    chosen = _chosen_exercising(result)
    if chosen.empty:
        return pd.DataFrame(), pd.DataFrame()
    unit = pydoe.lhs(len(spec.uncertain), samples=spec.uncertain_n, seed=spec.seed)
    draws = pd.DataFrame({r.name: r.from_unit(unit[:, j]) for j, r in enumerate(spec.uncertain)})
    arms = [replace(spec.base_scenario, exercise=())] + [
        prescribe(spec.base_scenario, {d.name: row[d.name] for d in spec.decisions})
        for row in chosen.to_dict("records")]
    nominal = [endpoints_of(arm) for arm in arms]
    jobs = [apply_values(arm, values) for arm in arms for values in draws.to_dict("records")]
    runs = run_many(jobs, endpoints_of, executor=executor, workers=workers, progress=progress,
                    desc=f"{spec.name} uncertain parameters")
    n = spec.uncertain_n

    def column(arm: int, output: str) -> FloatArray:
        return np.array([float("nan") if isinstance(r, RunFailure) else float(r[output])
                         for r in runs[arm * n:(arm + 1) * n]])

    per_parameter, summary = [], []
    for o in spec.objectives:
        sign = o.sign
        values = np.column_stack([column(k, o.output) for k in range(1, len(arms))])  # draws x prescriptions
        nominal_order = np.argsort([sign * float(nominal[k][o.output]) for k in range(1, len(arms))], kind="stable")
        kept = float(np.mean([np.array_equal(np.argsort(sign * row, kind="stable"), nominal_order)
                              for row in values if np.all(np.isfinite(row))])) if len(arms) > 2 else float("nan")
        sedentary = column(0, o.output)
        for k, row in enumerate(chosen.to_dict("records")):
            benefit = sign * (sedentary - values[:, k])
            nominal_benefit = sign * (float(nominal[0][o.output]) - float(nominal[k + 1][o.output]))
            finite = np.isfinite(benefit)
            summary.append({"why": row["why"], "prescription": row["prescription"], "objective": o.label,
                            "nominal_benefit": nominal_benefit, "median_benefit": float(np.median(benefit[finite])),
                            "benefit_p05": float(np.quantile(benefit[finite], 0.05)),
                            "benefit_p95": float(np.quantile(benefit[finite], 0.95)),
                            "fraction_benefit": float(np.mean(benefit[finite] > 0)), "order_kept": kept})
            if np.ptp(benefit[finite]) == 0:
                continue
            for r in spec.uncertain:
                rho, p_value = spearmanr(draws[r.name].to_numpy(dtype=float), benefit, nan_policy="omit")
                per_parameter.append({"why": row["why"], "prescription": row["prescription"], "objective": o.label,
                                      "parameter": r.name, "spearman_rho": float(rho), "p_value": float(p_value)})
    return pd.DataFrame(per_parameter), pd.DataFrame(summary)


def holdout_seed(spec: OptimisationSpec) -> int:
    """Seed of the holdout patients.

    Parameters
    ----------
    spec : OptimisationSpec

    Returns
    -------
    int
        A 32-bit seed drawn from ``SeedSequence([spec.seed, 3])``: a stream of its own, independent of the
        search's patients (drawn with ``spec.seed``) and of the bootstrap streams.
    """
    return int(np.random.SeedSequence([spec.seed, 3]).generate_state(1)[0])


def _require_holdout(spec: OptimisationSpec) -> None:
    if not spec.holdout_patients:
        raise InputError("holdout_patients", spec.holdout_patients, "an integer in [1, 10000] for a holdout")


def holdout_cohort(spec: OptimisationSpec) -> pd.DataFrame:
    """The new virtual patients of :func:`front_holdout`.

    Parameters
    ----------
    spec : OptimisationSpec

    Returns
    -------
    DataFrame
        ``spec.holdout_patients`` rows, one column per population parameter: a Latin hypercube over the base
        scenario's population (as the search's patients) seeded by :func:`holdout_seed`.

    Raises
    ------
    InputError
        If ``spec.holdout_patients`` is 0.
    """
    _require_holdout(spec)
    return sample_cohort(cohort_scenario(spec.base_scenario), spec.holdout_patients, seed=holdout_seed(spec))


def _chosen_exercising(result: OptimisationResult) -> pd.DataFrame:
    """The chosen prescriptions without sedentary care (the reference arm, never a prescription to re-run)."""
    chosen = chosen_prescriptions(result)
    chosen = chosen[chosen.get("exercise.sessions_per_week", pd.Series(1, index=chosen.index)) != 0]
    return chosen.reset_index(drop=True)


def front_holdout(result: OptimisationResult, *, executor: Executor | None = None, workers: int | None = None,
                  progress: bool = True, prescribe_fn: Prescribe | None = None) -> pd.DataFrame:
    """The chosen prescriptions and sedentary care on ``spec.holdout_patients`` new virtual patients.

    The search picks the front on its own patients, and a prescription that looks best there was partly lucky on
    them, so its in-sample benefit is biased upwards (selection bias, the "winner's curse"; Cawley & Talbot
    2010). The same prescriptions on patients that took no part in the choice give estimates free of that
    selection bias, with bootstrap intervals over those patients.

    Parameters
    ----------
    result : OptimisationResult
        A finished search (:func:`run_optimisation`); its spec's ``holdout_patients`` must be at least 1.
    executor, workers, progress
        As for :func:`run_optimisation`.
    prescribe_fn : callable, optional
        The search's stand-in (known-answer tests): the holdout patients are then ``{"patient": i}`` with
        ``i = spec.patients, ..., spec.patients + holdout_patients - 1``, and there is no sedentary arm.

    Returns
    -------
    DataFrame
        One row per chosen prescription (sedentary care excluded) and objective: ``why, prescription, candidate``,
        the decisions, ``objective, in_sample, holdout, holdout_low, holdout_high``; against sedentary care on
        the holdout patients (paired: the same patients in both arms), ``in_sample_vs_sedentary,
        holdout_sedentary, holdout_vs_sedentary, holdout_vs_sedentary_low, holdout_vs_sedentary_high,
        holdout_beats_sedentary``; ``in_sample_rank`` and ``holdout_rank`` (1 = best of the chosen prescriptions
        on that objective); ``patients`` and ``failed``. Statistics use the patients whose simulations
        succeeded in every arm (common patients, as in the search); ``failed`` counts the others.

    Raises
    ------
    InputError
        If ``spec.holdout_patients`` is 0.

    References
    ----------
    Cawley GC, Talbot NLC (2010) On over-fitting in model selection and subsequent selection bias in performance
    evaluation. J Mach Learn Res 11:2079-2107.
    """
    spec = result.spec
    _require_holdout(spec)
    chosen = _chosen_exercising(result)
    if chosen.empty:
        return pd.DataFrame()
    outputs = sorted({o.output for o in spec.objectives})
    decisions = [{d.name: row[d.name] for d in spec.decisions} for row in chosen.to_dict("records")]
    runs: list[Any]
    if prescribe_fn is not None:
        patients = [{"patient": float(spec.patients + i)} for i in range(spec.holdout_patients)]
        runs = run_many([(prescribe_fn, d, p) for d in decisions for p in patients], _call, executor=executor,
                        workers=workers, progress=progress, desc=f"{spec.name} holdout patients")
    else:
        records = holdout_cohort(spec).to_dict("records")
        arms = [replace(spec.base_scenario, exercise=())] + [prescribe(spec.base_scenario, d) for d in decisions]
        runs = run_many([apply_values(arm, p) for arm in arms for p in records], endpoints_of, executor=executor,
                        workers=workers, progress=progress, desc=f"{spec.name} holdout patients")
    n = spec.holdout_patients
    table = np.array([[float("nan")] * len(outputs) if isinstance(r, RunFailure) else
                      [float(r[o]) for o in outputs] for r in runs]).reshape(-1, n, len(outputs))
    sedentary = table[0] if prescribe_fn is None else None
    mine = table[1:] if prescribe_fn is None else table
    ok = np.isfinite(table).all(axis=(0, 2))  # patients complete in every arm and output: common patients
    if not ok.all():
        log.warning("%s: %d of %d holdout patients failed in some arm; left out of every holdout statistic",
                    spec.name, int(n - ok.sum()), n)
    rng = np.random.default_rng([spec.seed, 4])  # its own stream: resamples of the complete holdout patients
    keep = np.flatnonzero(ok)
    draws = keep[rng.integers(0, keep.size, size=(spec.n_boot, keep.size))] if spec.n_boot and keep.size \
        else np.empty((0, keep.size), dtype=int)
    rows: list[dict[str, Any]] = []
    for o in spec.objectives:
        j = outputs.index(o.output)
        for k, pick in enumerate(chosen.to_dict("records")):
            y = mine[k, :, j]
            row: dict[str, Any] = {"why": pick["why"], "prescription": pick["prescription"],
                                   "candidate": pick["candidate"], **{d.name: pick[d.name] for d in spec.decisions},
                                   "objective": o.label, "in_sample": float(pick[o.label]),
                                   "holdout": o.value(y[keep]) if keep.size else float("nan")}
            row["holdout_low"], row["holdout_high"] = _interval(np.array([o.value(y[r]) for r in draws]))
            if sedentary is not None:
                ref = sedentary[:, j]
                row["in_sample_vs_sedentary"] = float(pick.get(f"{o.label}_vs_sedentary", float("nan")))
                row["holdout_sedentary"] = o.value(ref[keep]) if keep.size else float("nan")
                row["holdout_vs_sedentary"] = row["holdout"] - row["holdout_sedentary"]
                row["holdout_vs_sedentary_low"], row["holdout_vs_sedentary_high"] = _interval(
                    np.array([o.value(y[r]) - o.value(ref[r]) for r in draws]))
                row["holdout_beats_sedentary"] = float(np.mean(o.sign * y[keep] < o.sign * ref[keep])) \
                    if keep.size else float("nan")
            row.update(patients=n, failed=int(n - keep.size))
            rows.append(row)
    out = pd.DataFrame(rows)
    for o in spec.objectives:
        part = out[out.objective == o.label]
        out.loc[part.index, "in_sample_rank"] = (o.sign * part.in_sample).rank(method="min").to_numpy()
        out.loc[part.index, "holdout_rank"] = (o.sign * part.holdout).rank(method="min").to_numpy()
    return out


def _interval(values: FloatArray) -> tuple[float, float]:
    """95 % percentile interval of bootstrap values (NaN without finite values)."""
    values = values[np.isfinite(values)] if values.size else values
    if not values.size:
        return float("nan"), float("nan")
    return float(np.quantile(values, 0.025)), float(np.quantile(values, 0.975))


def describe(spec: OptimisationSpec, decisions: Mapping[str, Any]) -> str:
    """A candidate's prescription in words, e.g. "aerobic, 3 x 40 min/week at 65 % VO2max, days 0-84"."""
    scenario = prescribe(spec.base_scenario, {d.name: decisions[d.name] for d in spec.decisions})
    return "; ".join(r.describe() for r in scenario.exercise) or "no exercise (sedentary care)"


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

