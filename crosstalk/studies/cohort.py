"""Virtual cohorts: a Latin hypercube (pydoe) over patient and biological parameters, one simulation each.

The ranges come from the scenario's ``[cohort]`` section (``[[cohort.parameter]]``: name, low, high,
distribution). The same scenario, n and seed give the same patients and the same endpoints, whatever runs them.

The study in three steps (:func:`run_cohort` chains them): :func:`sample_cohort` (the patients' values),
:func:`run_patients` (one simulation each, through any :class:`concurrent.futures.Executor`; a failed one is
recorded, not fatal) and :func:`summarise_cohort` (distributions and fractions). Results are tidy DataFrames;
:func:`write_cohort` writes them as data (CSV and JSON) and :func:`read_cohort` reads them back. Given an
``outdir``, :func:`run_cohort` opens it as a run directory (:func:`crosstalk.studies.rundir.open_run`, kind
``"cohort"``; a cohort is not resumed). The figure (``cohort.png``) and the table (``summary.md``) are
:mod:`crosstalk.report`'s.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import time
from concurrent.futures import Executor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd
import pydoe

from crosstalk.errors import InputError
from crosstalk.files import write_csv_atomic, write_json_atomic, write_text_atomic
from crosstalk.inputs import check_integer
from crosstalk.model.echo import MEASURED_ENDPOINTS, measured_events, reading_errors
from crosstalk.model.observables import ENDPOINTS
from crosstalk.model.parameters import model_hash
from crosstalk.sim.result import versions
from crosstalk.sim.simulator import simulator_for
from crosstalk.spec.population import DEFAULT_POPULATION, load_population
from crosstalk.spec.scenario import Scenario, apply_values
from crosstalk.studies.executors import RunFailure, run_many
from crosstalk.studies.rundir import open_run, read_frame, read_run

__all__ = ["KIND", "RESPONDERS", "CohortResult", "cohort_fractions", "cohort_summary", "patient_endpoints",
           "read_cohort", "run_cohort", "run_patients", "sample_cohort", "summarise_cohort", "write_cohort"]

#: Tumour response classes counted as a response (complete or partial).
RESPONDERS = ("CR", "PR")
MAX_PATIENTS = 1_000_000
#: The kind of run in a cohort's run directory (its manifest says so).
KIND = "cohort"
#: The files every written cohort has (``cohort.json`` last: its presence says the cohort finished).
FILES = ("endpoints.csv", "summary.csv", "cohort.json")
_FAILURE_COLUMNS = ["patient", "scenario", "error"]


def cohort_scenario(scenario: Scenario) -> Scenario:
    """``scenario`` as a cohort samples it: with its species' default population when it has no ``[cohort]`` and
    the population is for its model."""
    name = DEFAULT_POPULATION.get(scenario.species)
    if scenario.cohort_ranges or name is None or load_population(name).model != scenario.model:
        return scenario
    return dataclasses.replace(scenario, population=name)


def sample_cohort(scenario: Scenario, n: int, *, seed: int) -> pd.DataFrame:
    """n patients' values (one column per cohort parameter) from a seeded Latin hypercube (the scenario's
    ``[cohort]``, or its species' default population).

    Parameters
    ----------
    scenario : Scenario
        The scenario whose ``[cohort]`` (or default population) the patients come from.
    n : int
        Patients (1 to the package's maximum).
    seed : int
        Seed of the hypercube: the same seed gives the same patients for every scenario of the population.

    Examples
    --------
    >>> from crosstalk import load_scenario
    >>> patients = sample_cohort(load_scenario("cohort_ac_sedentary"), 4, seed=1)
    >>> len(patients), "patient.cardiac_sensitivity" in patients
    (4, True)
    """
    ranges = cohort_scenario(scenario).cohort_ranges
    if not ranges:
        raise InputError("cohort", None, 'a [cohort] section (population = "<name>" or [[cohort.parameter]] ranges) '
                                         "in the scenario")
    check_integer("n", n, low=1, high=MAX_PATIENTS)
    check_integer("seed", seed)
    unit = pydoe.lhs(len(ranges), samples=n, seed=seed)
    return pd.DataFrame({r.name: r.from_unit(unit[:, j]) for j, r in enumerate(ranges)})


def patient_endpoints(task: tuple[Scenario, npt.NDArray[np.float64] | None]) -> dict[str, float | bool | str]:
    """One patient's endpoints and, given her echo ``reading errors`` and a course with doxorubicin and LVEF, her
    CTRCD as surveillance sees it (:func:`crosstalk.model.echo.measured_events`). Module level: workers run it."""
    scenario, errors = task
    result = simulator_for(scenario.model).run(scenario)
    out = dict(result.endpoints)
    dox = [d for d in scenario.dose if d.drug == "doxorubicin"]
    if errors is not None and dox and "lvef_percent" in result.timeseries:
        ts = result.timeseries
        last = max(d.last_day for d in dox)
        out.update(measured_events(ts["time_h"].to_numpy() / 24.0, ts["lvef_percent"].to_numpy(), errors,
                                   last_dose_day=last))
    return out


def run_patients(scenario: Scenario, values: pd.DataFrame, *, executor: Executor | None = None,
                 workers: int | None = None, progress: bool = True,
                 seed: int | None = None) -> tuple[pd.DataFrame, pd.DataFrame]:
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
    seed : int, optional
        Seed of the patients' echocardiography reading errors: with it, a course with doxorubicin also gives
        ``ctrcd_measured`` and ``ctrcd_cardinale_measured`` (what 2D echo at Cardinale's schedule would see).

    Returns
    -------
    patients, failures : DataFrame
        ``patient``, the values and the endpoints (NaN for a failed patient) and ``failed``, one row per patient;
        and ``patient, scenario, error`` for each failed simulation.
    """
    scenarios = [apply_values(scenario, row) for row in _records(values)]
    errors = reading_errors(len(scenarios), seed=seed) if seed is not None else [None] * len(scenarios)
    results = run_many(list(zip(scenarios, errors)), patient_endpoints, executor=executor, workers=workers,
                       progress=progress, desc="patients")
    rows = [({} if isinstance(r, RunFailure) else r) for r in results]
    patients = pd.concat([values.reset_index(drop=True), pd.DataFrame(rows)], axis=1)
    patients.insert(0, "patient", np.arange(len(values)))
    patients["failed"] = [isinstance(r, RunFailure) for r in results]
    failures = pd.DataFrame([{"patient": r.index, "scenario": r.scenario, "error": r.error}
                             for r in results if isinstance(r, RunFailure)],
                            columns=_FAILURE_COLUMNS)
    return patients, failures


def _records(values: pd.DataFrame) -> list[dict[str, float]]:
    return [{str(k): float(v) for k, v in row.items()} for row in values.to_dict("records")]


def cohort_summary(patients: pd.DataFrame) -> pd.DataFrame:
    """Distribution of every numeric column but the patient number and the failure flag: ``endpoint, mean, sd,
    p05, p25, median, p75, p95, unit`` (a true/false endpoint's mean is its risk; sampled inputs have no unit
    here)."""
    numeric = patients.drop(columns=["patient", "failed"], errors="ignore")
    numeric = numeric.select_dtypes(include=[np.number, bool]).astype(float)
    q = numeric.quantile([0.05, 0.25, 0.5, 0.75, 0.95]).T
    q.columns = ["p05", "p25", "median", "p75", "p95"]
    table = pd.concat([numeric.mean().rename("mean"), numeric.std().rename("sd"), q], axis=1)
    table["unit"] = [ENDPOINTS.get(str(c), ("", ""))[0] for c in table.index]
    table.index.name = "endpoint"
    return table.reset_index()


def cohort_fractions(patients: pd.DataFrame) -> pd.DataFrame:
    """``outcome, fraction``: patients with CTRCD (both definitions), heart failure, a tumour response (CR or PR)
    and a complete response (CR), where the model has them."""
    rows: list[dict[str, Any]] = []
    for event in ("ctrcd", "ctrcd_cardinale", *MEASURED_ENDPOINTS, "heart_failure"):
        if event in patients:
            rows.append({"outcome": event, "fraction": float(patients[event].astype(bool).mean())})
    if "tumour_response" in patients:
        rows.append({"outcome": "tumour_response",
                     "fraction": float(patients["tumour_response"].isin(RESPONDERS).mean())})
        rows.append({"outcome": "complete_response", "fraction": float((patients["tumour_response"] == "CR").mean())})
    return pd.DataFrame(rows, columns=["outcome", "fraction"])


def summarise_cohort(patients: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """:func:`cohort_summary` and :func:`cohort_fractions` of ``patients``.

    Parameters
    ----------
    patients : DataFrame
        One row per patient: the sampled values and the endpoints (:attr:`CohortResult.patients`).
    """
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


def run_cohort(scenario: Scenario, n: int, *, seed: int, outdir: str | Path | None = None, force: bool = False,
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
        The run directory (new or empty; :func:`crosstalk.studies.rundir.open_run`): its manifest and the
        scenario as sampled (``scenario.toml``) are written first, the data (:func:`write_cohort`) at the end.
        None: nothing is written.
    force : bool
        Replace whatever ``outdir`` holds.
    executor, workers, progress
        See :func:`run_patients`.

    Raises
    ------
    InputError
        A bad ``n`` or ``seed``; an ``outdir`` that holds a run or other files (without ``force``), or whose
        manifest is corrupt or of another kind of run.
    """
    t0 = time.perf_counter()
    scenario = cohort_scenario(scenario)
    values = sample_cohort(scenario, n, seed=seed)
    if outdir is not None:  # judged before any simulation: a refused directory costs nothing
        run = open_run(outdir, kind=KIND, spec_hash=cohort_hash(scenario, n, seed=seed),
                       manifest={"scenario": scenario.name, "n": n, "seed": seed, "model": scenario.model,
                                 "model_sha256": model_hash(scenario.model), "versions": versions()},
                       force=force, chunks=False, resumable=False)
        write_text_atomic(run.path / "scenario.toml", scenario.to_toml())
    patients, failures = run_patients(scenario, values, executor=executor, workers=workers, progress=progress,
                                      seed=seed)
    summary, fractions = summarise_cohort(patients)
    provenance = {"scenario": scenario.name, "species": scenario.species, "population": scenario.population,
                  "n": n, "seed": seed, "failures": len(failures),
                  "wall_time_s": round(time.perf_counter() - t0, 2), "versions": versions()}
    result = CohortResult(patients, summary, fractions, failures, provenance)
    if outdir is not None:
        write_cohort(result, outdir)
    return result


def cohort_hash(scenario: Scenario, n: int, *, seed: int) -> str:
    """Hash of what determines a cohort's simulations: the scenario (as sampled), n and the seed."""
    payload = json.dumps({"scenario": scenario.to_dict(), "n": n, "seed": seed}, sort_keys=True, default=str)
    return hashlib.sha256(payload.encode()).hexdigest()


def write_cohort(result: CohortResult, outdir: str | Path) -> Path:
    """Write the cohort's data into ``outdir``, each file atomically: ``endpoints.csv``, ``summary.csv``,
    ``failures.csv`` (when a patient failed) and last ``cohort.json`` (fractions and provenance, strict JSON).

    Data only: the figure (``cohort.png``) and the table (``summary.md``) are the report layer's
    (:func:`crosstalk.report.cohort.write_cohort_figure`, :func:`crosstalk.report.tables.write_cohort_table`).
    """
    outdir = Path(outdir)
    write_csv_atomic(outdir / "endpoints.csv", result.patients, index=False)
    write_csv_atomic(outdir / "summary.csv", result.summary, index=False)
    if len(result.failures):
        write_csv_atomic(outdir / "failures.csv", result.failures, index=False)
    write_json_atomic(outdir / "cohort.json", {**result.fractions_dict(), "provenance": result.provenance})
    return outdir


def read_cohort(outdir: str | Path) -> CohortResult:
    """The cohort :func:`run_cohort` wrote into ``outdir``, read from its files (nothing is simulated).

    Raises
    ------
    InputError
        If ``outdir`` is not a finished cohort run (no manifest, another kind of run, a run without its data),
        naming what is missing.
    """
    path = read_run(outdir, kind=KIND, files=FILES).path
    try:
        info = json.loads((path / "cohort.json").read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as err:
        raise InputError("run", str(path / "cohort.json"), f"a readable JSON file ({err})") from None
    prefix = "fraction_"
    # strict JSON wrote a NaN fraction as null
    fractions = pd.DataFrame([{"outcome": k[len(prefix):], "fraction": float("nan") if v is None else float(v)}
                              for k, v in info.items() if k.startswith(prefix)], columns=["outcome", "fraction"])
    failures = read_frame(path / "failures.csv", required=False)
    summary = read_frame(path / "summary.csv")
    if "unit" in summary:  # an input without a unit was written as an empty cell
        summary["unit"] = summary["unit"].fillna("")
    return CohortResult(read_frame(path / "endpoints.csv"), summary, fractions,
                        failures if len(failures) else pd.DataFrame(columns=_FAILURE_COLUMNS),
                        dict(info.get("provenance") or {}))
