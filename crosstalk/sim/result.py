"""What a run produced: the trajectory, its endpoints and its provenance; written as data, never drawn."""

from __future__ import annotations

import functools
import importlib
import os
import platform
import shutil
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from crosstalk.errors import InputError
from crosstalk.files import strict_json
from crosstalk.model.observables import OBSERVABLES, compute_endpoints
from crosstalk.plan.planner import Plan, plan
from crosstalk.spec.scenario import Scenario
from crosstalk.version import __version__

if TYPE_CHECKING:
    from matplotlib.figure import Figure

__all__ = ["PLOT_BACKEND", "Result", "endpoints_for", "versions"]

#: The module whose ``result_figure(result, *, reference, panels, max_panels)`` draws :meth:`Result.plot`, named
#: as pandas names its plotting backend: the simulation layer draws nothing and imports no report module; the
#: report layer is loaded when a result is first plotted.
PLOT_BACKEND = "crosstalk.report.plots"


def versions() -> dict[str, str]:
    """Versions of the packages a result depends on."""
    return dict(_versions())


@functools.cache
def _versions() -> dict[str, str]:  # package metadata lookups cost ~0.3 ms: once per process
    out = {"python": platform.python_version(), "crosstalk": __version__}
    for pkg in ("libroadrunner", "antimony", "python-libsbml", "numpy", "pandas"):
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
        Endpoint name -> value (see :data:`crosstalk.model.observables.ENDPOINTS`).
    provenance : dict
        Model hash, versions, solver settings.
    plan : Plan, optional
        The compiled scenario the run followed (sessions, administrations, breakpoints); figures read it.
    """

    scenario: Scenario
    timeseries: pd.DataFrame
    endpoints: dict[str, float | bool | str]
    provenance: dict[str, Any] = field(default_factory=dict)
    plan: Plan | None = field(default=None, compare=False, repr=False)

    def plot(self, *, reference: Result | None = None, panels: Sequence[str] | None = None,
             max_panels: int = 8) -> Figure:
        """The time courses with the schedule strip: ``result_figure`` of :data:`PLOT_BACKEND`
        (:func:`crosstalk.report.plots.result_figure`) of this result.

        Returns a :class:`matplotlib.figure.Figure` drawn without pyplot (in a notebook it shows itself; save it
        with ``fig.savefig("run.png")``).

        Examples
        --------
        >>> from crosstalk import load_scenario, simulate
        >>> fig = simulate(load_scenario("single_bout")).plot(panels=["il6_pg_per_ml", "nk_blood_per_ul"])
        >>> [ax.get_title(loc="left") for ax in fig.axes[1:]]
        ['plasma IL-6 [pg/mL]', 'blood NK cells [cells/µL]']
        """
        backend = importlib.import_module(PLOT_BACKEND)
        figure: Figure = backend.result_figure(self, reference=reference, panels=panels, max_panels=max_panels)
        return figure

    def to_long(self) -> pd.DataFrame:
        """The series in tidy form: one row per time and observable, columns ``time_days``, ``observable``,
        ``value``, ``unit`` (for pandas group-bys, seaborn or R).

        >>> from crosstalk import ExerciseRegime, Scenario, simulate
        >>> bout = simulate(Scenario("bout", model="exercise", exercise=(ExerciseRegime(session_days=(0,)),)))
        >>> first = bout.to_long().query("observable == 'il6_pg_per_ml'").iloc[0]
        >>> float(first["time_days"]), first["unit"]
        (0.0, 'pg/mL')
        """
        units = {o.name: o.unit for o in OBSERVABLES}
        long = self.timeseries.melt(id_vars="time_h", var_name="observable", value_name="value")
        long.insert(0, "time_days", long.pop("time_h") / 24.0)
        long["unit"] = long["observable"].map(units).fillna("")
        return long

    @property
    def compiled(self) -> Plan:
        """The run's :class:`~crosstalk.plan.Plan` (compiled from the scenario if the result was built without)."""
        return self.plan if self.plan is not None else plan(self.scenario)

    def write(self, outdir: str | Path, *, force: bool = False) -> Path:
        """Write ``timeseries.csv``, ``endpoints.json`` (strict JSON: ``null`` for NaN) and ``scenario.toml``.

        The files are written to a temporary directory next to ``outdir`` and moved into place as a whole; an
        existing ``outdir`` that already holds results is only replaced with ``force=True``. Figures are the
        report layer's (:func:`crosstalk.report.plots.summary_figure`).
        """
        outdir = Path(outdir)
        if outdir.exists() and any(outdir.iterdir()) and not force:
            raise InputError("outdir", str(outdir), "a new or empty directory (or force=True to overwrite)")
        outdir.parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=f".{outdir.name}.", dir=outdir.parent))
        try:
            self.timeseries.to_csv(tmp / "timeseries.csv", index=False, float_format="%.10g")
            payload = {"scenario": self.scenario.name, "endpoints": self.endpoints, "provenance": self.provenance}
            (tmp / "endpoints.json").write_text(strict_json(payload) + "\n", encoding="utf-8")
            (tmp / "scenario.toml").write_text(self.scenario.to_toml(), encoding="utf-8")
            if outdir.exists():
                shutil.rmtree(outdir)
            os.replace(tmp, outdir)
        finally:
            if tmp.exists():
                shutil.rmtree(tmp, ignore_errors=True)
        return outdir


def endpoints_for(trajectory: pd.DataFrame, scenario: Scenario | Plan) -> dict[str, float | bool | str]:
    """Endpoints of a trajectory of ``scenario`` (``time_h`` plus observable columns), from any simulator.

    The schedule facts the endpoints need (first session, exercise totals, end of each drug's first
    administration) come from the scenario's :class:`~crosstalk.plan.Plan` (compiled here if a scenario is
    given); see :func:`crosstalk.model.observables.compute_endpoints`.
    """
    compiled = scenario if isinstance(scenario, Plan) else plan(scenario)
    return compute_endpoints(trajectory, **compiled.endpoint_facts())
