"""Measurements in PEtab's own table format, checked against the scenarios and the model they are fitted with.

A measurement file is a tab-separated table with PEtab's columns: ``observableId`` (a crosstalk observable, e.g.
``il6_pg_per_ml``), ``simulationConditionId`` (a scenario: its file stem or built-in name), ``time`` (hours from
the scenario's start), ``measurement`` (in the observable's unit) and, optionally, ``noiseParameters`` (the
measurement's standard deviation, same unit; without it the fit estimates one noise level per observable),
``datasetId`` and ``replicateId``.

References
----------
Schmiester L et al. (2021) PEtab: interoperable specification of parameter estimation problems in systems biology.
PLoS Comput Biol 17:e1008646. doi:10.1371/journal.pcbi.1008646
"""

from __future__ import annotations

import math
from collections.abc import Collection, Mapping, Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from crosstalk.errors import InputError
from crosstalk.inputs import did_you_mean
from crosstalk.sim.result import Result

__all__ = ["OPTIONAL", "REQUIRED", "check_measurements", "read_measurements", "synthetic_measurements"]

#: Columns every measurement row has.
REQUIRED: tuple[str, ...] = ("observableId", "simulationConditionId", "time", "measurement")
#: Columns a row may have.
OPTIONAL: tuple[str, ...] = ("noiseParameters", "datasetId", "replicateId")


def read_measurements(path: str | Path, *, conditions: Collection[str], observables: Collection[str]) -> pd.DataFrame:
    """Read and check a measurement table (see the module docstring).

    Parameters
    ----------
    path : str or Path
        Tab-separated file.
    conditions : collection of str
        The condition ids the problem has (the scenarios' names as used in the problem).
    observables : collection of str
        The model's observable ids.

    Raises
    ------
    InputError
        On the first bad cell, naming the file, its row (1 = the first data row) and column.
    """
    path = Path(path)
    try:
        table = pd.read_csv(path, sep="\t", dtype={"observableId": str, "simulationConditionId": str})
    except (OSError, pd.errors.ParserError, UnicodeDecodeError, pd.errors.EmptyDataError) as err:
        raise InputError("measurements", str(path), f"a readable tab-separated PEtab measurement table ({err})") \
            from None
    return check_measurements(table, conditions=conditions, observables=observables, source=str(path))


def check_measurements(table: pd.DataFrame, *, conditions: Collection[str], observables: Collection[str],
                       source: str = "measurements") -> pd.DataFrame:
    """The table with its columns in PEtab's order and ``time``/``measurement``/``noiseParameters`` as floats, or
    an :class:`InputError` naming the row and column of the first bad cell (see :func:`read_measurements`).

    Parameters
    ----------
    table : DataFrame
        A measurement table as read (PEtab columns; extra columns are refused).
    conditions : collection of str
        The problem's condition ids (its scenarios' file stems) a row may name.
    observables : collection of str
        The model's observable ids a row may name.
    source : str
        What to call the table in messages (its file name).
    """
    for column in REQUIRED:
        if column not in table.columns:
            raise InputError("columns", list(table.columns), f"the PEtab columns {', '.join(REQUIRED)}",
                             source=source)
    for column in table.columns:
        if column not in REQUIRED + OPTIONAL:
            raise InputError(f"column {column}", column, did_you_mean(column, REQUIRED + OPTIONAL)
                             + "one of " + ", ".join(REQUIRED + OPTIONAL), source=source)
    if table.empty:
        raise InputError("measurements", "no rows", "at least one measurement", source=source)
    out = table.copy()
    for i, row in enumerate(table.to_dict("records"), start=1):
        where = f"row {i} column "
        if row["observableId"] not in observables:
            raise InputError(where + "observableId", row["observableId"], did_you_mean(row["observableId"], observables)
                             + "an observable of the model: " + ", ".join(sorted(observables)), source=source)
        if row["simulationConditionId"] not in conditions:
            raise InputError(where + "simulationConditionId", row["simulationConditionId"],
                             did_you_mean(row["simulationConditionId"], conditions) + "a scenario of the problem: "
                             + ", ".join(sorted(conditions)), source=source)
        for column, low_open in (("time", False), ("measurement", None), ("noiseParameters", True)):
            if column not in row or (column == "noiseParameters" and _blank(row[column])):
                continue
            value = _number(row[column])
            if value is None or (low_open is not None and (value <= 0 if low_open else value < 0)):
                allowed = {"time": "a finite number of hours >= 0", "measurement": "a finite number",
                           "noiseParameters": "a standard deviation > 0 (or empty: estimated)"}[column]
                raise InputError(where + column, row[column], allowed, source=source)
    for column in ("time", "measurement", "noiseParameters"):
        if column in out:
            out[column] = pd.to_numeric(out[column], errors="coerce")
    return out[[c for c in REQUIRED + OPTIONAL if c in out.columns]].reset_index(drop=True)


def _blank(value: object) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value)) or str(value).strip() == ""


def _number(value: object) -> float | None:
    try:
        x = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None
    return x if math.isfinite(x) else None


def synthetic_measurements(results: Mapping[str, Result], observable: str, times: Sequence[float], *,
                           cv: float = 0.05, floor: float = 0.0, seed: int = 1) -> pd.DataFrame:
    """Noisy measurements of simulated runs, for known-answer fits: ``observable`` at ``times`` (h) of each
    condition's result, with normal noise of standard deviation ``cv * value + floor`` (written as
    ``noiseParameters``), seeded.

    Parameters
    ----------
    results : mapping of str to Result
        Condition id -> a run of its scenario (with the parameters the fit should recover).
    observable : str
        A crosstalk observable the results have.
    times : sequence of float
        Hours, each a time every run was sampled at (on its output grid: the values are the run's, not
        interpolated).
    cv, floor : float
        Noise model: sd = cv * value + floor (> 0 for every value).
    seed : int
        Seed of the noise.
    """
    rng = np.random.default_rng(seed)
    rows = []
    for cid, result in results.items():
        ts = result.timeseries
        if observable not in ts:
            raise InputError("observable", observable, "an observable of the runs")
        hours = ts["time_h"].to_numpy()
        for t in times:
            if not hours[0] <= t <= hours[-1]:
                raise InputError("times", t, f"hours within {cid}'s run (0 to {hours[-1]:g})")
            on_grid = np.flatnonzero(np.isclose(hours, t, rtol=0.0, atol=1e-9))
            if not on_grid.size:  # interpolating would put its own error into the "truth"
                raise InputError("times", t, f"times the run of {cid} was sampled at (its output grid)")
            value = float(ts[observable].to_numpy()[on_grid[0]])
            sd = cv * abs(value) + floor
            if not sd > 0:
                raise InputError("cv", cv, "a noise model giving every value a standard deviation > 0 (add a floor)")
            rows.append({"observableId": observable, "simulationConditionId": cid, "time": float(t),
                         "measurement": value + sd * rng.standard_normal(), "noiseParameters": sd})
    return pd.DataFrame(rows, columns=[*REQUIRED, "noiseParameters"])
