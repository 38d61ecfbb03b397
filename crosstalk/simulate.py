"""Simulation: one compiled RoadRunner per process, reused across scenarios; results as pandas.

The schedule's breakpoints are applied between integration segments (``RoadRunner.oneStep`` with an
integrator restart after each change), parameters are set by index, and every run starts from
``reset()`` after all table parameters are restored, so a reused instance gives exactly what a fresh one
gives (tested). No roadrunner object leaves this module.
"""

from __future__ import annotations

import json
import logging
import os
import platform
import shutil
import tempfile
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Any, Mapping

import numpy as np
import pandas as pd
import roadrunner

roadrunner.Logger.setLevel(roadrunner.Logger.LOG_ERROR)

from crosstalk.errors import InputError, SimulationError
from crosstalk.observables import compute_endpoints, observables_for
from crosstalk.parameters import model_hash, model_path, parameter_table
from crosstalk.scenario import Scenario
from crosstalk.schedule import INPUT_SPECIES, breakpoints, exercise_sessions

log = logging.getLogger(__name__)

__all__ = ["Result", "Simulator", "simulate", "versions"]

DEFAULT_RTOL = 1e-8
DEFAULT_ATOL = 1e-10


def versions() -> dict[str, str]:
    """Versions of the packages a result depends on."""
    out = {"python": platform.python_version()}
    for pkg in ("crosstalk", "libroadrunner", "antimony", "python-libsbml", "numpy", "pandas"):
        try:
            out[pkg] = metadata.version(pkg)
        except metadata.PackageNotFoundError:
            out[pkg] = "not installed"
    return out


@dataclass(frozen=True)
class Result:
    """The outcome of one scenario.

    Attributes
    ----------
    scenario : Scenario
        What was simulated.
    timeseries : DataFrame
        ``time_h`` then one column per observable, on the scenario's output grid.
    endpoints : dict
        Endpoint name -> value (see :data:`crosstalk.observables.ENDPOINTS`).
    provenance : dict
        Model hash, versions, solver settings.
    """

    scenario: Scenario
    timeseries: pd.DataFrame
    endpoints: dict[str, float]
    provenance: dict[str, Any] = field(default_factory=dict)

    def write(self, outdir: str | Path, *, force: bool = False, plot: bool = True) -> Path:
        """Write ``timeseries.csv``, ``endpoints.json``, ``scenario.toml`` and ``summary.png`` atomically.

        The files are written to a temporary directory next to ``outdir`` and moved into place; an existing
        ``outdir`` that already holds results is only replaced with ``force=True``.
        """
        outdir = Path(outdir)
        if outdir.exists() and any(outdir.iterdir()) and not force:
            raise InputError("--out", str(outdir), "a new or empty directory (or pass --force to overwrite)")
        outdir.parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=f".{outdir.name}.", dir=outdir.parent))
        try:
            self.timeseries.to_csv(tmp / "timeseries.csv", index=False, float_format="%.10g")
            payload = {"scenario": self.scenario.name, "endpoints": self.endpoints, "provenance": self.provenance}
            (tmp / "endpoints.json").write_text(json.dumps(payload, indent=2, default=float))
            (tmp / "scenario.toml").write_text(self.scenario.to_toml())
            if plot:
                from crosstalk.report.plots import summary_figure

                summary_figure(self, tmp / "summary.png")
            if outdir.exists():
                shutil.rmtree(outdir)
            os.replace(tmp, outdir)
        finally:
            if tmp.exists():
                shutil.rmtree(tmp, ignore_errors=True)
        return outdir


class Simulator:
    """A compiled model that runs scenarios.

    Parameters
    ----------
    model : str
        Module name (``"exercise"``; later ``"crosstalk"`` for the composed model).
    rtol, atol : float
        CVODE relative and absolute tolerances.

    Notes
    -----
    Build one per process and reuse it: compilation costs ~0.1-0.5 s, a run a few milliseconds.
    """

    def __init__(self, model: str = "exercise", *, rtol: float = DEFAULT_RTOL, atol: float = DEFAULT_ATOL) -> None:
        self.model = model
        self._rr = roadrunner.RoadRunner(str(model_path(model)))
        integ = self._rr.integrator
        integ.relative_tolerance = rtol
        integ.absolute_tolerance = atol
        integ.maximum_num_steps = 100_000
        # after a schedule change CVODE's own first-step guess can be ~1e-19 h (it then warns and goes on)
        integ.initial_time_step = 1e-6
        m = self._rr.model
        self._gids = list(m.getGlobalParameterIds())
        self._fids = list(m.getFloatingSpeciesIds())
        table = parameter_table(model)
        self._param_ids = [p.id for p in table]
        self._param_idx = np.array([self._gids.index(p) for p in self._param_ids], dtype=np.int32)
        self._defaults = np.array([p.value for p in table], dtype=float)
        self._observables = observables_for(model)
        self._obs_idx = np.array([self._gids.index(o.name) for o in self._observables], dtype=np.int32)
        self._input_idx = {s: self._fids.index(s) for s in INPUT_SPECIES}
        self._hash = model_hash(model)
        self._settings = {"rtol": rtol, "atol": atol, "integrator": "cvode"}

    @property
    def observable_names(self) -> list[str]:
        """Observable columns of this model's results."""
        return [o.name for o in self._observables]

    def parameter_values(self, overrides: Mapping[str, float] | None = None) -> np.ndarray:
        """Table defaults with ``overrides`` applied, in table order."""
        values = self._defaults.copy()
        for pid, v in (overrides or {}).items():
            values[self._param_ids.index(pid)] = v
        return values

    def run(self, scenario: Scenario) -> Result:
        """Simulate one scenario.

        Raises
        ------
        SimulationError
            If CVODE fails or produces non-finite values (the message names the scenario and time).
        """
        if scenario.model != self.model:
            raise InputError("model", scenario.model, f"{self.model!r} for this Simulator")
        rr = self._rr
        m = rr.model
        m.setGlobalParameterValues(self._param_idx, self.parameter_values(scenario.parameters))
        rr.reset()
        end = scenario.duration_hours
        n_out = int(np.floor(end / scenario.output_step_hours + 1e-9)) + 1
        grid = np.round(np.arange(n_out) * scenario.output_step_hours, 9)
        if grid[-1] < end - 1e-9:
            grid = np.append(grid, end)
        points = [bp for bp in breakpoints(scenario) if bp.time_h <= end]
        bp_times = np.array([bp.time_h for bp in points])
        times = np.union1d(grid, bp_times)
        rows = np.empty((times.size, self._obs_idx.size))
        bp_iter = iter(points)
        next_bp = next(bp_iter, None)
        t = 0.0
        restart = True
        for k, tk in enumerate(times):
            if tk > t:
                try:
                    rr.oneStep(t, tk - t, restart)
                except RuntimeError as err:
                    raise SimulationError(f"scenario {scenario.name!r}: integration failed near t = {t:g} h: {err}")
                restart = False
                t = tk
            rows[k] = m.getGlobalParameterValues(self._obs_idx)
            if next_bp is not None and abs(next_bp.time_h - tk) < 1e-9:
                idx = [self._input_idx[s] for s, _ in next_bp.values]
                m.setFloatingSpeciesAmounts(idx, [v for _, v in next_bp.values])
                restart = True
                next_bp = next(bp_iter, None)
        if not np.all(np.isfinite(rows)):
            raise SimulationError(f"scenario {scenario.name!r}: non-finite observable values")
        full = pd.DataFrame(rows, columns=self.observable_names)
        full.insert(0, "time_h", times)
        sessions = exercise_sessions(scenario)
        endpoints = compute_endpoints(
            full,
            first_start_h=sessions[0].start_h if sessions else None,
            first_end_h=sessions[0].end_h if sessions else None,
            minutes_total=sum(s.minutes for s in sessions),
            sessions_total=len(sessions),
        )
        on_grid = np.isin(times, grid)
        ts = full.loc[on_grid].reset_index(drop=True)
        provenance = {
            "model": self.model,
            "model_sha256": self._hash,
            "solver": self._settings,
            "versions": versions(),
            "seed": scenario.seed,
        }
        return Result(scenario, ts, endpoints, provenance)


_SIMULATORS: dict[str, Simulator] = {}


def simulate(scenario: Scenario) -> Result:
    """Simulate ``scenario`` with this process's cached :class:`Simulator` for its model."""
    sim = _SIMULATORS.get(scenario.model)
    if sim is None:
        sim = _SIMULATORS[scenario.model] = Simulator(scenario.model)
    return sim.run(scenario)
