"""Side-by-side comparison of scenarios: their results and an endpoint table with differences.

:func:`run_comparison` simulates the scenarios (through any :class:`concurrent.futures.Executor`) and tabulates
their endpoints; :func:`write_comparison` writes the table as data (``endpoints.csv``).
:func:`run_cohort_comparison` runs each scenario as a cohort of the same virtual patients and tabulates absolute
risk differences with numbers needed to treat (:mod:`crosstalk.studies.risk`). What is drawn or formatted for
reading (``compare.png``, the Markdown tables ``endpoints.md`` and ``risk_differences.md``) is
:mod:`crosstalk.report`'s.
"""

from __future__ import annotations

from collections.abc import Sequence
from concurrent.futures import Executor
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from crosstalk.errors import InputError
from crosstalk.files import write_csv_atomic
from crosstalk.model.observables import ENDPOINTS
from crosstalk.sim.result import Result
from crosstalk.sim.simulator import simulate
from crosstalk.spec.scenario import Scenario
from crosstalk.studies.cohort import CohortResult, run_cohort, write_cohort
from crosstalk.studies.executors import RunFailure, run_many
from crosstalk.studies.paired import paired_differences
from crosstalk.studies.risk import risk_differences

__all__ = ["CohortComparison", "Comparison", "endpoint_table", "run_cohort_comparison", "run_comparison",
           "write_comparison"]


def endpoint_table(results: Sequence[Result]) -> pd.DataFrame:
    """Endpoints (rows) by scenario (columns), the difference of each scenario from the first (numeric endpoints
    only: a true/false or class endpoint of one run has none; a cohort's risks do), then each endpoint's ``unit``."""
    if not results:
        raise InputError("results", [], "at least one result to tabulate")
    table = pd.DataFrame({r.scenario.name: r.endpoints for r in results})
    units = pd.Series([ENDPOINTS.get(str(k), ("", ""))[0] for k in table.index], index=table.index)
    numeric = ~units.isin(["true/false", "class"])
    first = results[0].scenario.name
    for r in results[1:]:
        a = pd.to_numeric(table[r.scenario.name].where(numeric), errors="coerce")
        b = pd.to_numeric(table[first].where(numeric), errors="coerce")
        table[f"{r.scenario.name} - {first}"] = a - b
    table["unit"] = units
    table.index.name = "endpoint"
    return table


@dataclass(frozen=True)
class Comparison:
    """Scenarios run side by side.

    Attributes
    ----------
    results : tuple of Result
        The scenarios that ran, in the order given.
    endpoints : DataFrame
        :func:`endpoint_table` of ``results`` (index ``endpoint``); empty when none ran.
    failures : DataFrame
        ``scenario, error`` of each scenario whose simulation failed (left out of ``results``).
    """

    results: tuple[Result, ...]
    endpoints: pd.DataFrame
    failures: pd.DataFrame


def run_comparison(scenarios: Sequence[Scenario], *, outdir: str | Path | None = None,
                   executor: Executor | None = None, workers: int | None = None,
                   progress: bool = True) -> Comparison:
    """Simulate ``scenarios`` (the first is the reference of the differences) and tabulate their endpoints.

    Parameters
    ----------
    scenarios : sequence of Scenario
        Distinct names (they label the columns).
    outdir : path, optional
        Where to write the table (:func:`write_comparison`) when every scenario ran; None: nothing is written.
    executor : concurrent.futures.Executor, optional
        Runs the simulations; default: a local pool of ``workers`` processes (at most one per scenario).
    workers : int, optional
        Processes of the local pool (default: all cores; 1: this process).
    progress : bool
        A progress bar ("scenarios").
    """
    names = [s.name for s in scenarios]
    if not names or len(set(names)) != len(names):
        raise InputError("scenarios", names, "one or more scenarios with distinct names (they label the comparison)")
    runs = run_many(list(scenarios), simulate, executor=executor, workers=workers, progress=progress,
                    desc="scenarios")
    results = tuple(r for r in runs if isinstance(r, Result))
    failures = pd.DataFrame([{"scenario": r.scenario, "error": r.error} for r in runs if isinstance(r, RunFailure)],
                            columns=["scenario", "error"])
    comparison = Comparison(results, endpoint_table(results) if results else pd.DataFrame(), failures)
    if outdir is not None and not len(failures):
        write_comparison(results, outdir)
    return comparison


def write_comparison(results: Sequence[Result], outdir: str | Path) -> Path:
    """Write ``endpoints.csv`` (:func:`endpoint_table`) into ``outdir``, atomically (data only: the Markdown table
    is :func:`crosstalk.report.tables.write_endpoint_table`'s)."""
    outdir = Path(outdir)
    write_csv_atomic(outdir / "endpoints.csv", endpoint_table(results))
    return outdir


@dataclass(frozen=True)
class CohortComparison:
    """Scenarios run as cohorts of the same virtual patients.

    Attributes
    ----------
    cohorts : dict of str to CohortResult
        Each scenario's cohort, in the order given (the first is the reference).
    risks : DataFrame
        :func:`crosstalk.studies.risk.risk_differences` of every other cohort against the first.
    paired : DataFrame
        :func:`crosstalk.studies.paired.paired_differences` of every continuous endpoint against the first.
    """

    cohorts: dict[str, CohortResult]
    risks: pd.DataFrame
    paired: pd.DataFrame = field(default_factory=pd.DataFrame)


def run_cohort_comparison(scenarios: Sequence[Scenario], n: int, *, seed: int, n_boot: int = 2000,
                          outdir: str | Path | None = None, workers: int | None = None,
                          executor: Executor | None = None, progress: bool = True) -> CohortComparison:
    """Run each scenario as a cohort of ``n`` patients with the same ``seed`` (the same virtual patients when the
    scenarios share their population and ranges) and tabulate absolute risk differences against the first.

    With ``outdir``: each cohort's data in ``outdir/<scenario name>/`` (:func:`crosstalk.studies.cohort.write_cohort`),
    ``risk_differences.csv`` and ``paired_differences.csv``, each file atomically (the Markdown tables are
    :mod:`crosstalk.report.tables`'s).

    Parameters
    ----------
    scenarios : sequence of Scenario
        The arms; the first is the reference.
    n : int
        Patients per cohort.
    seed : int
        Seed of the virtual patients (the same for every arm).
    n_boot : int
        Bootstrap resamples of the intervals.
    outdir : str or Path, optional
        Where to write the data (none: nothing is written).
    workers : int, optional
        Worker processes of the default executor (default: the machine's cores).
    executor : Executor, optional
        Where to run (a local pool or a Dask client; :mod:`crosstalk.studies.executors`).
    progress : bool
        Show a progress bar.
    """
    names = [s.name for s in scenarios]
    if len(names) < 2 or len(set(names)) != len(names):
        raise InputError("scenarios", names, "two or more scenarios with distinct names (the first is the reference)")
    cohorts = {s.name: run_cohort(s, n, seed=seed, executor=executor, workers=workers, progress=progress)
               for s in scenarios}
    ref = names[0]
    arms = {k: v.patients for k, v in cohorts.items() if k != ref}
    risks = risk_differences(cohorts[ref].patients, arms, reference_name=ref, n_boot=n_boot, seed=seed)
    paired = paired_differences(cohorts[ref].patients, arms, reference_name=ref, n_boot=n_boot, seed=seed)
    if outdir is not None:
        outdir = Path(outdir)
        for name, result in cohorts.items():
            write_cohort(result, outdir / name)
        write_csv_atomic(outdir / "risk_differences.csv", risks, index=False)
        write_csv_atomic(outdir / "paired_differences.csv", paired, index=False, float_format="%.6g")
    return CohortComparison(cohorts, risks, paired)

