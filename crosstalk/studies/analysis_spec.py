"""Sensitivity analysis specs (``analysis/*.toml``): a base scenario, the ranges that vary in it, the method and the
outputs, validated when made; :attr:`AnalysisSpec.study` is the model-free engine study it amounts to
(:class:`crosstalk.studies.engine.Study`), which the scenario adapter :mod:`crosstalk.studies.sensitivity` runs."""

from __future__ import annotations

import hashlib
import json
import warnings
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from crosstalk.errors import InputError
from crosstalk.inputs import check_number, did_you_mean, read_toml_spec
from crosstalk.model.observables import DEPRECATED_ENDPOINTS, ENDPOINTS, observables_for
from crosstalk.spec.ranges import ParameterRange, parse_ranges
from crosstalk.spec.scenario import Scenario, apply_values, check_range_names, find_scenario
from crosstalk.studies.engine import DEFAULT_SEED, Study, check_n, check_seed
from crosstalk.studies.methods import METHODS, Method, check_pce_options, make_method

__all__ = ["STUDY_RTOL", "AnalysisSpec", "load_analysis"]

#: Default relative tolerance of study runs (see AnalysisSpec.rtol).
STUDY_RTOL = 1e-6

FloatArray = npt.NDArray[np.float64]


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
    source_text : str
        The TOML text the spec was read from (kept in the run directory; not compared).
    """

    name: str
    base_scenario: Scenario
    parameters: tuple[ParameterRange, ...]
    method: str = "sobol"
    n: int = 64
    seed: int = DEFAULT_SEED
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
        if not isinstance(self.method, str) or self.method not in METHODS:
            raise InputError("method", self.method, "one of " + ", ".join(repr(m) for m in METHODS))
        check_n(self.n)
        check_seed(self.seed)
        if not self.parameters:
            raise InputError("parameter", [], "at least one [[parameter]] range")
        # every method's n rule (a power of 2 for sobol, enough rows for pce) holds whatever the options
        METHODS[self.method]().check_n(self.n, len(self.parameters))
        check_pce_options(self.degree, self.q_norm, self.q2_threshold)  # checked for every method: kept as given
        check_range_names(self.parameters, self.base_scenario, where="parameter")
        if not self.outputs and not self.time_resolved:
            raise InputError("outputs", [], "at least one endpoint in outputs or observable in time_resolved")
        numeric = {k for k, (unit, _) in ENDPOINTS.items() if unit not in ("class", "true/false")}
        for o in self.outputs:
            if not isinstance(o, str) or o not in numeric:
                raise InputError("outputs", o, did_you_mean(o, numeric) + "a numeric endpoint: "
                                 + ", ".join(sorted(numeric)))
            if o in DEPRECATED_ENDPOINTS:
                warnings.warn(f"outputs: {DEPRECATED_ENDPOINTS[o]}", FutureWarning, stacklevel=3)
        names = {o.name for o in observables_for(self.base_scenario.model)}
        for o in self.time_resolved:
            if not isinstance(o, str) or o not in names:
                raise InputError("time_resolved", o, did_you_mean(o, names)
                                 + f"an observable of the {self.base_scenario.model!r} model: "
                                 + ", ".join(sorted(names)))
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
        # what the engine refuses (options the method does not take, morris with time_resolved), refused now
        _ = self.study

    @property
    def method_object(self) -> Method:
        """The method with this spec's options (:mod:`crosstalk.studies.methods`)."""
        if self.method == "pce":
            return make_method("pce", second_order=self.second_order, degree=self.degree, q_norm=self.q_norm,
                               q2_threshold=self.q2_threshold)
        return make_method(self.method, second_order=self.second_order)

    @property
    def study(self) -> Study:
        """The model-free study this spec amounts to: its ranges as inputs, its method, n, seed and outputs."""
        return Study(self.parameters, self.method_object, self.n, seed=self.seed, outputs=self.outputs,
                     time_resolved=self.time_resolved)

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

    def to_dict(self) -> dict[str, Any]:
        """The whole spec as plain data, its base scenario included (what a run directory keeps in ``spec.json``);
        :meth:`from_dict` reads it back to an equal spec."""
        return {"name": self.name, "base_scenario": self.base_scenario.to_dict(),
                "parameter": [p.to_dict() for p in self.parameters], "method": self.method, "n": self.n,
                "seed": self.seed, "second_order": self.second_order, "outputs": list(self.outputs),
                "time_resolved": list(self.time_resolved), "output_step_hours": self.output_step_hours,
                "max_failure_fraction": self.max_failure_fraction, "rtol": self.rtol, "question": self.question,
                "degree": self.degree, "q_norm": self.q_norm, "q2_threshold": self.q2_threshold}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], *, source_text: str = "", source: str | None = None) -> AnalysisSpec:
        """The spec :meth:`to_dict` gave (with the text it was first read from, shown in reports).

        Raises
        ------
        InputError
            If ``data`` is not such a spec (naming the field and ``source``).
        """
        try:
            fields_ = {k: v for k, v in data.items() if k not in ("base_scenario", "parameter")}
            return cls(base_scenario=Scenario.from_dict(data["base_scenario"], source=source),
                       parameters=parse_ranges(data.get("parameter", []), where="parameter", source=source),
                       **{**fields_, "outputs": tuple(data.get("outputs", ())),
                          "time_resolved": tuple(data.get("time_resolved", ()))},
                       source_text=source_text)
        except InputError as err:
            raise err.at(source) from None
        except (KeyError, TypeError) as err:
            raise InputError("spec", source, f"an analysis spec as AnalysisSpec.to_dict writes it ({err})") from None

    def unit_samples(self) -> FloatArray:
        """The design on the unit hypercube (rows in SALib's order; pce: a seeded Latin hypercube)."""
        return self.study.unit_samples()

    def samples(self) -> pd.DataFrame:
        """The design in parameter units, one column per range."""
        return self.study.samples()

    def scenario_for(self, values: Mapping[str, float]) -> Scenario:
        """The base scenario with one sample's values (and the analysis output grid)."""
        sc = apply_values(self.base_scenario, values)
        if self.output_step_hours:
            sc = replace(sc, output_step_hours=self.output_step_hours)
        return sc


def load_analysis(path: str | Path) -> AnalysisSpec:
    """Read an analysis spec; ``base_scenario`` is a path relative to the spec (or the repository root), or
    the name of a built-in scenario.

    Parameters
    ----------
    path : str or Path
        The spec's TOML file (keys: the reference's "Scenario and study files" page).

    Raises
    ------
    InputError
        If the file cannot be read or a key or value is wrong (the message names it).
    """
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
            method=data.get("method", "sobol"), n=data.get("n", 64), seed=data.get("seed", DEFAULT_SEED),
            second_order=data.get("second_order", False), outputs=tuple(data.get("outputs", [])),
            time_resolved=tuple(data.get("time_resolved", [])), output_step_hours=data.get("output_step_hours"),
            max_failure_fraction=data.get("max_failure_fraction", 0.01), question=data.get("question", ""),
            rtol=data.get("rtol", STUDY_RTOL), degree=data.get("degree", 4), q_norm=data.get("q_norm", 0.5),
            q2_threshold=data.get("q2_threshold", 0.9),
            source_text=text,
        )
    except InputError as err:
        raise InputError(err.field, err.value, err.allowed, source=str(path)) from None

