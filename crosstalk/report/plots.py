"""Figures of simulation results (nothing here runs a simulation).

Figures are :class:`matplotlib.figure.Figure` objects drawn without pyplot, so importing or using this module
changes no matplotlib backend or global state (a Jupyter user keeps their own).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np
import numpy.typing as npt
from matplotlib.figure import Figure

from crosstalk.files import write_atomic
from crosstalk.model.observables import OBSERVABLES
from crosstalk.report.layout import draw_schedule, pretty_unit, scale_axis
from crosstalk.sim.result import Result

__all__ = ["MAX_PANELS", "SUMMARY_PANELS", "Band", "result_figure", "summary_figure"]

#: (time in hours, lower, upper) of an observable's pointwise prediction band.
Band = tuple[npt.NDArray[np.float64], npt.NDArray[np.float64], npt.NDArray[np.float64]]

#: Panels of the summary figure, in order of priority: the tumour and the heart, the drug, then what exercise does
#: (blood and tumour NK cells, IL-6, epinephrine); observables a result lacks or leaves flat are skipped.
SUMMARY_PANELS: tuple[str, ...] = (
    "tumour_volume_mm3",
    "lvef_percent",
    "doxorubicin_plasma_ng_per_ml",
    "pembrolizumab_plasma_ug_per_ml",
    "nk_blood_per_ul",
    "nk_tumour_cells",
    "il6_pg_per_ml",
    "epinephrine_pg_per_ml",
    "cd8_tumour_cells",
    "pd1_occupancy",
    "cardiac_ros",
    "plasma_ev_per_ml",
    "cumulative_doxorubicin_mg_per_m2",
    "checkpoint_inhibition",
    "il15_pg_per_ml",
    "irisin_ng_per_ml",
)
MAX_PANELS = 8


def result_figure(result: Result, *, reference: Result | None = None, panels: Sequence[str] | None = None,
                  max_panels: int = MAX_PANELS, bands: Mapping[str, Band] | None = None) -> Figure:
    """Time courses of ``result`` with its schedule strip (sessions and doses) on top.

    Parameters
    ----------
    result : Result
        The run to draw. Its series resolves every session and infusion when it was simulated with
        ``plan(..., resolve_events=True)``, so each panel's peak is the one the endpoints report.
    reference : Result, optional
        Drawn behind in grey, e.g. sedentary care beside an exercise scenario.
    panels : sequence of str, optional
        Observables to draw (default: :data:`SUMMARY_PANELS` that the result has and that vary).
    max_panels : int
        At most this many panels.
    bands : mapping of str to (time_h, lower, upper), optional
        Prediction bands drawn behind the lines (e.g. the 95 % band over the parameter uncertainty, from
        :func:`crosstalk.report.uncertainty.bands_of`).

    Returns
    -------
    matplotlib.figure.Figure
        Drawn without pyplot (save it with ``fig.savefig``).
    """
    meta = {o.name: o for o in OBSERVABLES}
    ts = result.timeseries
    if panels is None:
        varying = [p for p in SUMMARY_PANELS if p in ts.columns and ts[p].max() > ts[p].min()]
        panels = (varying or [p for p in SUMMARY_PANELS if p in ts.columns])[:max_panels]
    hours = ts["time_h"].to_numpy()
    use_days = hours[-1] > 72
    unit = 24.0 if use_days else 1.0
    compiled = result.compiled
    ncols = 2 if len(panels) > 1 else 1
    nrows = (len(panels) + ncols - 1) // ncols
    fig = Figure(figsize=(11, 1.0 + 2.3 * nrows), layout="constrained")
    grid = fig.add_gridspec(nrows + 1, ncols, height_ratios=[0.45, *([1.0] * nrows)])
    strip = fig.add_subplot(grid[0, :])
    draw_schedule(strip, compiled.sessions, compiled.administrations, days=use_days)
    strip.set_title(f"{result.scenario.name}: schedule", fontsize=9, loc="left")
    axes = [fig.add_subplot(grid[1 + k // ncols, k % ncols], sharex=strip) for k in range(len(panels))]
    for ax, name in zip(axes, panels):
        o = meta[name]
        if reference is not None and name in reference.timeseries:
            ref = reference.timeseries
            ax.plot(ref["time_h"].to_numpy() / unit, ref[name].to_numpy(), lw=1.0, color="0.55", ls="--",
                    label=reference.scenario.name)
        y = ts[name].to_numpy()
        shown = [y]
        if bands and name in bands:
            t, lo, hi = bands[name]
            ax.fill_between(t / unit, lo, hi, color="tab:blue", alpha=0.18, lw=0, label="95 % band")
            shown += [lo, hi]
        ax.plot(hours / unit, y, lw=1.2, color="tab:blue", label=result.scenario.name)
        ax.set_title(f"{o.short_label} [{pretty_unit(o.unit)}]", fontsize=9, loc="left")
        scale_axis(ax, np.concatenate(shown), log=o.log_scale)
        ax.tick_params(labelsize=8)
        ax.grid(alpha=0.3)
    for ax in axes[-ncols:]:
        ax.set_xlabel("time [days]" if use_days else "time [h]", fontsize=9)
    if (reference is not None or bands) and axes:
        handles, labels = axes[0].get_legend_handles_labels()
        strip.legend(handles, labels, loc="upper right", fontsize=8, frameon=False, ncols=2,
                     bbox_to_anchor=(1.0, 1.35))
    return fig


def summary_figure(result: Result, path: str | Path, *, reference: Result | None = None,
                   bands: Mapping[str, Band] | None = None) -> Path:
    """Write :func:`result_figure` of ``result`` as a PNG to ``path`` (atomically); returns the path."""
    fig = result_figure(result, reference=reference, bands=bands)
    return write_atomic(Path(path), lambda tmp: fig.savefig(tmp, dpi=110, format="png"))
