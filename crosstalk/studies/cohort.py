"""Virtual cohorts: a Latin hypercube (pydoe) over patient and biological parameters, one simulation each.

The ranges come from the scenario's ``[cohort]`` section (``[[cohort.parameter]]``: name, low, high,
distribution). The same scenario, n and seed give the same patients and the same endpoints, whatever runs them.

The study in three steps (:func:`run_cohort` chains them): :func:`sample_cohort` (the patients' values),
:func:`run_patients` (one simulation each, through any :class:`concurrent.futures.Executor`; a failed one is
recorded, not fatal) and :func:`summarise_cohort` (distributions and fractions). Results are tidy DataFrames;
:func:`write_cohort` writes them (the figure, ``cohort.png``, is :mod:`crosstalk.report.cohort`'s).
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Mapping
from concurrent.futures import Executor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pydoe

from crosstalk.errors import InputError
from crosstalk.files import write_csv_atomic, write_json_atomic, write_text_atomic
from crosstalk.inputs import check_integer
from crosstalk.sim.result import versions
from crosstalk.sim.simulator import endpoints_of
from crosstalk.spec.population import DEFAULT_POPULATION, load_population
from crosstalk.spec.scenario import Scenario, apply_values
from crosstalk.studies.executors import RunFailure, run_many

__all__ = ["RESPONDERS", "CohortResult", "cohort_fractions", "cohort_summary", "run_cohort", "run_patients",
           "sample_cohort", "summarise_cohort", "write_cohort"]

#: Tumour response classes counted as a response (complete or partial).
RESPONDERS = ("CR", "PR")
MAX_PATIENTS = 1_000_000


def cohort_scenario(scenario: Scenario) -> Scenario:
    """``scenario`` as a cohort samples it: with its species' default population when it has no ``[cohort]`` and
    the population is for its model."""
    name = DEFAULT_POPULATION.get(scenario.species)
    if scenario.cohort_ranges or name is None or load_population(name).model != scenario.model:
        return scenario
    return dataclasses.replace(scenario, population=name)


def sample_cohort(scenario: Scenario, n: int, *, seed: int) -> pd.DataFrame:
    """n patients' values (one column per cohort parameter) from a seeded Latin hypercube (the scenario's
    ``[cohort]``, or its species' default population)."""
    ranges = cohort_scenario(scenario).cohort_ranges
    if not ranges:
        raise InputError("cohort", None, 'a [cohort] section (population = "<name>" or [[cohort.parameter]] ranges) '
                                         "in the scenario")
    check_integer("n", n, low=1, high=MAX_PATIENTS)
    check_integer("seed", seed)
    unit = pydoe.lhs(len(ranges), samples=n, seed=seed)
    return pd.DataFrame({r.name: r.from_unit(unit[:, j]) for j, r in enumerate(ranges)})


def run_patients(scenario: Scenario, values: pd.DataFrame, *, executor: Executor | None = None,
                 workers: int | None = None, progress: bool = True) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Simulate one patient per row of ``values`` (see :func:`sample_cohort`).

    Parameters
    ----------
    scenario : Scenario
        What every patient receives; each row's values are applied to it.
    values : DataFrame
        One column per cohort parameter.
    executor : concurrent.futures.Executor, optional
        Runs the simulations (e.g. ``client.get_executor()``); default: a local pool of ``workers`` processes.
    workers : int, optional
        Processes of the local pool (default: all cores; 1: this process).
    progress : bool
        A progress bar ("patients").

    Returns
    -------
    patients, failures : DataFrame
        ``patient``, the values and the endpoints (NaN for a failed patient) and ``failed``, one row per patient;
        and ``patient, scenario, error`` for each failed simulation.
    """
    scenarios = [apply_values(scenario, row) for row in _records(values)]
    results = run_many(scenarios, endpoints_of, executor=executor, workers=workers, progress=progress,
                       desc="patients")
    rows = [({} if isinstance(r, RunFailure) else r) for r in results]
    patients = pd.concat([values.reset_index(drop=True), pd.DataFrame(rows)], axis=1)
    patients.insert(0, "patient", np.arange(len(values)))
    patients["failed"] = [isinstance(r, RunFailure) for r in results]
    failures = pd.DataFrame([{"patient": r.index, "scenario": r.scenario, "error": r.error}
                             for r in results if isinstance(r, RunFailure)],
                            columns=["patient", "scenario", "error"])
    return patients, failures


def _records(values: pd.DataFrame) -> list[dict[str, float]]:
    return [{str(k): float(v) for k, v in row.items()} for row in values.to_dict("records")]


def cohort_summary(patients: pd.DataFrame) -> pd.DataFrame:
    """Distribution of every numeric column: ``endpoint, mean, sd, p05, p25, median, p75, p95``."""
    numeric = patients.select_dtypes(include=[np.number, bool]).astype(float)
    q = numeric.quantile([0.05, 0.25, 0.5, 0.75, 0.95]).T
    q.columns = ["p05", "p25", "median", "p75", "p95"]
    table = pd.concat([numeric.mean().rename("mean"), numeric.std().rename("sd"), q], axis=1)
    table.index.name = "endpoint"
    return table.reset_index()


def cohort_fractions(patients: pd.DataFrame) -> pd.DataFrame:
    """``outcome, fraction``: patients with CTRCD (both definitions), heart failure, a tumour response (CR or PR)
    and a complete response (CR), where the model has them."""
    rows: list[dict[str, Any]] = []
    for event in ("ctrcd", "ctrcd_cardinale", "heart_failure"):
        if event in patients:
            rows.append({"outcome": event, "fraction": float(patients[event].astype(bool).mean())})
    if "tumour_response" in patients:
        rows.append({"outcome": "tumour_response",
                     "fraction": float(patients["tumour_response"].isin(RESPONDERS).mean())})
        rows.append({"outcome": "complete_response", "fraction": float((patients["tumour_response"] == "CR").mean())})
    return pd.DataFrame(rows, columns=["outcome", "fraction"])


def summarise_cohort(patients: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """:func:`cohort_summary` and :func:`cohort_fractions` of ``patients``."""
    return cohort_summary(patients), cohort_fractions(patients)


@dataclass(frozen=True)
class CohortResult:
    """A simulated cohort, as tidy DataFrames.

    Attributes
    ----------
    patients : DataFrame
        ``patient``, the sampled values, the endpoints and ``failed``: one row per patient.
    summary : DataFrame
        ``endpoint, mean, sd, p05, p25, median, p75, p95``: one row per numeric column of ``patients``.
    fractions : DataFrame
        ``outcome, fraction``: CTRCD and tumour response (CR or PR), where the model has them.
    failures : DataFrame
        ``patient, scenario, error`` of each failed simulation.
    provenance : dict
        Scenario name, n, seed, number of failures, wall time, versions.
    """

    patients: pd.DataFrame
    summary: pd.DataFrame
    fractions: pd.DataFrame
    failures: pd.DataFrame
    provenance: dict[str, Any]

    def fractions_dict(self) -> dict[str, float]:
        """The fractions as ``{"fraction_<outcome>": value}`` (the keys of ``cohort.json``)."""
        return {f"fraction_{o}": float(f) for o, f in zip(self.fractions["outcome"], self.fractions["fraction"])}


def run_cohort(scenario: Scenario, n: int, *, seed: int, outdir: str | Path | None = None,
               executor: Executor | None = None, workers: int | None = None, progress: bool = True) -> CohortResult:
    """Simulate a virtual cohort of ``n`` patients around ``scenario``.

    Parameters
    ----------
    scenario : Scenario
        A scenario with a ``[cohort]`` section (without one: its species' default population, see
        :data:`crosstalk.spec.population.DEFAULT_POPULATION`).
    n : int
        Patients.
    seed : int
        Seed of the Latin hypercube.
    outdir : path, optional
        Where to write the data (:func:`write_cohort`); None: nothing is written.
    executor, workers, progress
        See :func:`run_patients`.
    """
    t0 = time.perf_counter()
    scenario = cohort_scenario(scenario)
    values = sample_cohort(scenario, n, seed=seed)
    patients, failures = run_patients(scenario, values, executor=executor, workers=workers, progress=progress)
    summary, fractions = summarise_cohort(patients)
    provenance = {"scenario": scenario.name, "species": scenario.species, "population": scenario.population,
                  "n": n, "seed": seed, "failures": len(failures),
                  "wall_time_s": round(time.perf_counter() - t0, 2), "versions": versions()}
    result = CohortResult(patients, summary, fractions, failures, provenance)
    if outdir is not None:
        write_cohort(result, outdir)
    return result


def write_cohort(result: CohortResult, outdir: str | Path) -> Path:
    """Write ``endpoints.csv``, ``summary.csv``, ``summary.md`` and ``cohort.json`` (fractions and provenance,
    strict JSON) into ``outdir``, each file atomically.

    The figure, ``cohort.png``, is :func:`crosstalk.report.cohort.write_cohort_figure`'s.
    """
    outdir = Path(outdir)
    write_csv_atomic(outdir / "endpoints.csv", result.patients, index=False)
    write_csv_atomic(outdir / "summary.csv", result.summary, index=False)
    fractions = result.fractions_dict()
    write_text_atomic(outdir / "summary.md", _markdown(result.summary, fractions))
    write_json_atomic(outdir / "cohort.json", {**fractions, "provenance": result.provenance})
    return outdir


def _markdown(summary: pd.DataFrame, fractions: Mapping[str, float]) -> str:
    lines = ["| endpoint | mean | sd | p05 | median | p95 |", "|---|---|---|---|---|---|"]
    lines += [f"| {r['endpoint']} | {r['mean']:.4g} | {r['sd']:.4g} | {r['p05']:.4g} | {r['median']:.4g} | "
              f"{r['p95']:.4g} |" for r in summary.to_dict("records")]
    lines += ["", *(f"- {k}: {v:.3f}" for k, v in fractions.items())]
    return "\n".join(lines) + "\n"
