"""The optimisation spec: the decisions to choose, the objectives over virtual patients, the constraints.

An optimisation spec (``analysis/*.toml`` with ``[[decision]]``, ``[[objective]]`` and optional ``[[constraint]]``
tables; :func:`load_optimisation`) names a base scenario (its chemotherapy, immunotherapy and population), the
prescription fields to choose, the objectives as statistics over virtual patients, and constraints
(:class:`~crosstalk.studies.optimise.constraints.Constraint`).
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from crosstalk.errors import InputError
from crosstalk.inputs import check_number, did_you_mean, read_toml_spec
from crosstalk.model.observables import ENDPOINTS
from crosstalk.model.parameters import model_hash
from crosstalk.spec.ranges import ParameterRange, parse_ranges
from crosstalk.spec.scenario import ExerciseRegime, Scenario, check_range_names, find_scenario
from crosstalk.studies.optimise.constraints import Constraint

__all__ = ["ADDED_REGIME", "KINDS", "METHODS", "SENSES", "STATISTICS", "Decision", "Objective", "OptimisationSpec",
           "describe", "load_optimisation", "prescribe"]

KINDS = ("integer", "real", "category")
STATISTICS = ("mean", "median", "p90", "fraction")
SENSES = ("minimise", "maximise")
METHODS = ("nsga2",)


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



_REGIME_FIELDS = {f.name for f in fields(ExerciseRegime)}


@dataclass(frozen=True)
class OptimisationSpec:
    """An optimisation (:mod:`crosstalk.studies.optimise`; ``analysis/*.toml`` with ``[[decision]]`` tables).

    Parameters
    ----------
    name : str
    base_scenario : Scenario
        Its chemotherapy, immunotherapy, population and duration; its ``[[exercise]]`` blocks take the decisions
        (a base without exercise gets :data:`ADDED_REGIME`, which the decisions then change).
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
        :func:`~crosstalk.studies.optimise.posthoc.front_uncertainty`). Empty: no such study.
    uncertain_n : int
        Draws of the uncertain parameters (2-10000).
    holdout_patients : int
        New virtual patients (an independent seeded stream, see
        :func:`~crosstalk.studies.optimise.posthoc.holdout_cohort`) on which the chosen prescriptions and sedentary
        care are re-run after the search (:func:`~crosstalk.studies.optimise.posthoc.front_holdout`); 0 (the default):
        none. Not part of the search, so not of :meth:`spec_hash`.
    source_text : str
        The TOML text the spec was read from (kept in the run directory; not compared).
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


#: The block a base scenario without exercise (sedentary care: "which prescription should I add to this course?")
#: gets before the decisions change it: :class:`~crosstalk.spec.blocks.ExerciseRegime`'s defaults (aerobic, 70 %
#: VO2max, 60 min from 08:00) three times a week over the whole scenario.
ADDED_REGIME = ExerciseRegime(sessions_per_week=3)


def prescribe(base: Scenario, decisions: Mapping[str, Any]) -> Scenario:
    """``base`` with a candidate's decisions applied to each of its ``[[exercise]]`` blocks, or to
    :data:`ADDED_REGIME` when it has none (0 sessions per week: no exercise). The regime's own validation checks the
    values (InputError naming the field)."""
    fields_ = {name.partition(".")[2]: value for name, value in decisions.items()}
    if fields_.get("sessions_per_week") == 0:
        return replace(base, exercise=())
    regimes = []
    for regime in base.exercise or (ADDED_REGIME,):
        changes = dict(fields_)
        if "sessions_per_week" in changes and regime.session_days is not None:
            changes["session_days"] = None
        regimes.append(replace(regime, **changes))
    return replace(base, exercise=tuple(regimes))


def load_optimisation(path: str | Path) -> OptimisationSpec:
    """Read an optimisation spec; ``base_scenario`` is a path relative to the spec (or the repository root), or
    the name of a built-in scenario.

    Parameters
    ----------
    path : str or Path
        The spec's TOML file (``[[decision]]``, ``[[objective]]``, ``[[constraint]]`` and ``[[uncertain]]`` tables).

    Raises
    ------
    InputError
        If the file cannot be read or a key or value is wrong (the message names it).
    """
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
            raise InputError(f"{key}.{k}", raw[k],
                             did_you_mean(k, allowed) + "a known key: " + ", ".join(sorted(allowed)))
    if "choices" in raw:
        raw = {**raw, "choices": tuple(raw["choices"]) if isinstance(raw["choices"], list) else raw["choices"]}
    return cls(**raw)


def describe(spec: OptimisationSpec, decisions: Mapping[str, Any]) -> str:
    """A candidate's prescription in words, e.g. "aerobic, 3 x 40 min/week at 65 % VO2max, days 0-84"."""
    scenario = prescribe(spec.base_scenario, {d.name: decisions[d.name] for d in spec.decisions})
    return "; ".join(r.describe() for r in scenario.exercise) or "no exercise (sedentary care)"

