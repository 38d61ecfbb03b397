"""Reading a finished optimisation back from its run directory, without simulating.

:func:`read_optimisation` rebuilds the :class:`~crosstalk.studies.optimise.search.OptimisationResult` that
:func:`~crosstalk.studies.optimise.writer.write_optimisation` wrote (the spec from ``spec.json``, the tables from
their CSV and Parquet files), and :func:`read_trajectories` the trajectories kept for the report, so that the report
can be drawn again from the files alone.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pandas as pd

from crosstalk.errors import InputError
from crosstalk.sim.result import Result
from crosstalk.spec.ranges import parse_ranges
from crosstalk.spec.scenario import Scenario
from crosstalk.studies.optimise.constraints import Constraint
from crosstalk.studies.optimise.search import OptimisationResult
from crosstalk.studies.optimise.spec import Decision, Objective, OptimisationSpec
from crosstalk.studies.optimise.writer import EVALUATIONS, KIND, TRAJECTORIES
from crosstalk.studies.rundir import PROVENANCE, SPEC, read_frame, read_provenance, read_results, read_run, read_spec

__all__ = ["FILES", "optimisation_from_dict", "read_optimisation", "read_trajectories"]

#: The files every finished optimisation has (the others are there when their step ran).
FILES = (SPEC, "front.csv", "candidates.csv", EVALUATIONS, PROVENANCE)


def optimisation_from_dict(data: Mapping[str, Any], *, source_text: str = "",
                           source: str | None = None) -> OptimisationSpec:
    """The spec :func:`~crosstalk.studies.optimise.writer.optimisation_to_dict` gave, with the text it was first
    read from (shown in reports). Its contract with the model is not checked again: it was when the run started,
    and a stand-in's decisions are not the model's.

    Parameters
    ----------
    data : mapping
        The spec as plain data (``spec.json`` of a run).
    source_text : str
        The TOML text the spec was first read from.
    source : str, optional
        The file ``data`` came from, for messages.

    Raises
    ------
    InputError
        If ``data`` is not such a spec (naming the field and ``source``).
    """
    try:
        return OptimisationSpec(
            name=data["name"], base_scenario=Scenario.from_dict(data["base_scenario"], source=source),
            decisions=tuple(Decision(**{**d, "choices": tuple(d.get("choices", ()))}) for d in data["decision"]),
            objectives=tuple(Objective(**o) for o in data["objective"]),
            constraints=tuple(Constraint(**c) for c in data.get("constraint", [])), method=data["method"],
            population_size=data["population_size"], generations=data["generations"], patients=data["patients"],
            seed=data["seed"], n_boot=data["n_boot"], question=data.get("question", ""),
            uncertain=parse_ranges(data.get("uncertain", []), where="uncertain", source=source),
            uncertain_n=data["uncertain_n"], holdout_patients=data.get("holdout_patients", 0),
            source_text=source_text)
    except InputError as err:
        raise err.at(source) from None
    except (KeyError, TypeError) as err:
        raise InputError("spec", source, f"an optimisation spec as optimisation_to_dict writes it ({err})") from None


def read_optimisation(outdir: str | Path) -> OptimisationResult:
    """The result of the finished optimisation in ``outdir``, read from its files (nothing is simulated).

    Raises
    ------
    InputError
        If ``outdir`` is not a finished optimisation (no manifest, another kind of run, an interrupted run without
        its result files), naming what is missing.
    """
    run = read_run(outdir, kind=KIND, files=FILES)
    path = run.path
    data, text = read_spec(path)
    spec = optimisation_from_dict(data, source_text=text, source=str(path / SPEC))
    evaluations = run.read_table(EVALUATIONS)
    if evaluations is None:
        raise InputError("run", str(path / EVALUATIONS), "a readable Parquet table (the run's evaluations)")

    def optional(name: str) -> pd.DataFrame:
        return read_frame(path / name, required=False)

    return OptimisationResult(spec, read_frame(path / "front.csv"), read_frame(path / "candidates.csv"), evaluations,
                              read_provenance(path), sedentary=optional("sedentary.csv"),
                              patients=optional("patients.csv"), sedentary_outputs=optional("sedentary_outputs.csv"),
                              uncertainty=optional("uncertainty.csv"),
                              uncertainty_summary=optional("uncertainty_summary.csv"), holdout=optional("holdout.csv"))


def read_trajectories(outdir: str | Path) -> dict[str, Result]:
    """The trajectories kept in ``outdir`` by :func:`~crosstalk.studies.optimise.writer.write_trajectories`, by
    name in their order; empty when none were kept."""
    return read_results(Path(outdir) / TRAJECTORIES)
