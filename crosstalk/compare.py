"""Side-by-side comparison of scenarios: their results and an endpoint table with differences.

:func:`run_comparison` simulates the scenarios (through any :class:`concurrent.futures.Executor`) and tabulates
their endpoints; :func:`write_comparison` writes the table (``endpoints.csv``, ``endpoints.md``). The overlaid
trajectories (``compare.png``) are :mod:`crosstalk.report.compare`'s.
"""

from __future__ import annotations

from collections.abc import Sequence
from concurrent.futures import Executor
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from crosstalk.errors import InputError
from crosstalk.executors import RunFailure, run_many
from crosstalk.files import write_csv_atomic, write_text_atomic
from crosstalk.result import Result
from crosstalk.scenario import Scenario
from crosstalk.simulate import simulate

__all__ = ["Comparison", "endpoint_table", "run_comparison", "write_comparison"]


def endpoint_table(results: Sequence[Result]) -> pd.DataFrame:
    """Endpoints (rows) by scenario (columns), plus the numeric difference of each scenario from the first."""
    if not results:
        raise InputError("results", [], "at least one result to tabulate")
    table = pd.DataFrame({r.scenario.name: r.endpoints for r in results})
    first = results[0].scenario.name
    for r in results[1:]:
        a = pd.to_numeric(table[r.scenario.name], errors="coerce")
        b = pd.to_numeric(table[first], errors="coerce")
        table[f"{r.scenario.name} - {first}"] = a - b
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
    """Write ``endpoints.csv`` and ``endpoints.md`` (:func:`endpoint_table`) into ``outdir``, atomically."""
    outdir = Path(outdir)
    table = endpoint_table(results)
    write_csv_atomic(outdir / "endpoints.csv", table)
    write_text_atomic(outdir / "endpoints.md", _markdown(table))
    return outdir


def _markdown(table: pd.DataFrame) -> str:
    def cell(v: object) -> str:
        return f"{v:.4g}" if isinstance(v, float) else str(v)

    head = "| endpoint | " + " | ".join(table.columns) + " |\n|---|" + "---|" * len(table.columns) + "\n"
    rows = "".join(f"| {k} | " + " | ".join(cell(v) for v in row) + " |\n" for k, row in table.iterrows())
    return head + rows
