"""Figures of simulation results (nothing here runs a simulation).

Figures are :class:`matplotlib.figure.Figure` objects drawn without pyplot, so importing or using this module
changes no matplotlib backend or global state (a Jupyter user keeps their own).
"""

from __future__ import annotations

from pathlib import Path

from matplotlib.figure import Figure

from crosstalk.files import write_atomic
from crosstalk.model.observables import OBSERVABLES
from crosstalk.sim.result import Result

__all__ = ["summary_figure"]

#: Panels of the summary figure, in order of priority; observables a result lacks are skipped, at most 8 shown.
SUMMARY_PANELS: tuple[str, ...] = (
    "doxorubicin_plasma_ng_per_ml",
    "cumulative_doxorubicin_mg_per_m2",
    "lvef_percent",
    "tumour_volume_mm3",
    "chf_risk",
    "cardiac_ros",
    "cd8_tumour_cells",
    "pd1_occupancy",
    "pembrolizumab_plasma_ug_per_ml",
    "nk_tumour_cells",
    "checkpoint_inhibition",
    "epinephrine_pg_per_ml",
    "il6_pg_per_ml",
    "plasma_ev_per_ml",
    "nk_blood_per_ul",
    "il15_pg_per_ml",
    "irisin_ng_per_ml",
)
MAX_PANELS = 8


def summary_figure(result: Result, path: str | Path) -> Path:
    """Plot the key observables of ``result`` against time with units and shaded exercise sessions (PNG written
    atomically to ``path``)."""
    meta = {o.name: o for o in OBSERVABLES}
    ts = result.timeseries
    # observables the scenario leaves flat (e.g. doxorubicin without doses) are not worth a panel
    varying = [p for p in SUMMARY_PANELS if p in ts.columns and ts[p].max() > ts[p].min()]
    panels = (varying or [p for p in SUMMARY_PANELS if p in ts.columns])[:MAX_PANELS]
    hours = ts["time_h"].to_numpy()
    use_days = hours[-1] > 72
    x = hours / 24.0 if use_days else hours
    ncols = 2
    nrows = (len(panels) + 1) // 2
    fig = Figure(figsize=(11, 2.6 * nrows))
    axes = fig.subplots(nrows, ncols, sharex=True, squeeze=False)
    compiled = result.compiled
    sessions, doses = compiled.sessions, compiled.administrations
    for ax, name in zip(axes.flat, panels):
        o = meta[name]
        ax.plot(x, ts[name].to_numpy(), lw=1.4)
        ax.set_ylabel(f"{o.description}\n[{o.unit}]", fontsize=8)
        if o.log_scale:
            ax.set_yscale("log")
            top = float(ts[name].max())
            if top > 0:  # six decades below the peak: clinically meaningful, not solver-level tails
                ax.set_ylim(top * 1e-6, top * 2)
        for s in sessions:
            a, b = (s.start_h / 24.0, s.end_h / 24.0) if use_days else (s.start_h, s.end_h)
            ax.axvspan(a, b, color="tab:orange", alpha=0.15, lw=0)
        for d in doses:
            ax.axvline(d.start_h / 24.0 if use_days else d.start_h, color="tab:purple", lw=0.6, ls=":")
        ax.grid(alpha=0.3)
    for ax in axes.flat[len(panels):]:
        ax.set_visible(False)
    for ax in axes[-1]:
        ax.set_xlabel("time [days]" if use_days else "time [h]")
    fig.suptitle(f"{result.scenario.name}: shaded = exercise sessions, dotted = doses", fontsize=10)
    fig.tight_layout()
    return write_atomic(Path(path), lambda tmp: fig.savefig(tmp, dpi=110, format="png"))
