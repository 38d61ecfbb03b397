"""The comparison figure: key observables of several scenarios overlaid (``compare.png``).

Drawn on a :class:`matplotlib.figure.Figure` (no pyplot, no backend change); the data of a comparison (endpoint
table) is :mod:`crosstalk.studies.compare`'s.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from crosstalk.files import write_atomic
from crosstalk.model.observables import OBSERVABLES
from crosstalk.report.layout import pretty_unit, scale_axis
from crosstalk.sim.result import Result

__all__ = ["COMPARE_OBSERVABLES", "compare_figure", "paired_figure", "write_compare_figure", "write_paired_figure"]

#: Panels of the comparison figure, top to bottom; an observable one of the results lacks is left out.
COMPARE_OBSERVABLES: tuple[str, ...] = ("tumour_volume_mm3", "lvef_percent", "nk_blood_per_ul", "nk_tumour_cells",
                                        "il6_pg_per_ml", "exev_per_ml")
#: One colour per scenario: the reference (first) grey, then the usual cycle.
LINE_COLOURS: tuple[str, ...] = ("0.45", "tab:blue", "tab:orange", "tab:green", "tab:red", "tab:purple")


def compare_figure(results: Sequence[Result]) -> Figure | None:
    """The observables of :data:`COMPARE_OBSERVABLES` that every result has, one panel each, one line per
    scenario against time (the first scenario, the reference, in grey dashes), with each scenario's exercise
    sessions in a strip on top; None when the results share none of them."""
    meta = {o.name: o for o in OBSERVABLES}
    panels = [c for c in COMPARE_OBSERVABLES if results and all(c in r.timeseries for r in results)]
    if not panels:
        return None
    end_h = max(float(r.timeseries["time_h"].iloc[-1]) for r in results)
    unit = 24.0 if end_h > 72 else 1.0
    fig = Figure(figsize=(9, 1.0 + 0.35 * len(results) + 2.1 * len(panels)), layout="constrained")
    grid = fig.add_gridspec(len(panels) + 1, 1, height_ratios=[0.25 * len(results) + 0.2, *([1.0] * len(panels))])
    strip = fig.add_subplot(grid[0, 0])
    colours = [LINE_COLOURS[k % len(LINE_COLOURS)] for k in range(len(results))]
    for k, (r, colour) in enumerate(zip(results, colours)):
        y = len(results) - 1 - k
        sessions = r.compiled.sessions
        strip.vlines([s.start_h / unit for s in sessions], y - 0.35, y + 0.35, color=colour, lw=1.0)
        doses = r.compiled.administrations
        strip.plot([a.start_h / unit for a in doses], [y] * len(doses), ls="none", marker="v", ms=4, color="0.3")
    strip.set_yticks(range(len(results)), [r.scenario.name for r in reversed(results)], fontsize=7)
    strip.set_ylim(-0.6, len(results) - 0.4)
    strip.set_title("sessions (bars) and doses (triangles)", fontsize=9, loc="left")
    strip.grid(axis="x", alpha=0.3)
    strip.tick_params(axis="y", length=0)
    axes = [fig.add_subplot(grid[1 + k, 0], sharex=strip) for k in range(len(panels))]
    for ax, name in zip(axes, panels):
        values = []
        for k, (r, colour) in enumerate(zip(results, colours)):
            ts = r.timeseries
            ax.plot(ts["time_h"] / unit, ts[name], lw=1.0 if k == 0 else 1.3, color=colour,
                    ls="--" if k == 0 else "-", label=r.scenario.name)
            values.append(ts[name].to_numpy())
        ax.set_title(f"{meta[name].short_label} [{pretty_unit(meta[name].unit)}]", fontsize=9, loc="left")
        scale_axis(ax, np.concatenate(values), log=meta[name].log_scale)
        ax.tick_params(labelsize=8)
        ax.grid(alpha=0.3)
    axes[-1].set_xlabel("time [days]" if unit == 24.0 else "time [h]", fontsize=9)
    handles, labels = axes[0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="outside lower center", ncols=min(3, len(results)), fontsize=8, frameon=False)
    return fig


def write_compare_figure(results: Sequence[Result], outdir: str | Path) -> Path | None:
    """Write :func:`compare_figure` to ``outdir/compare.png`` atomically; None (nothing written) without panels."""
    fig = compare_figure(results)
    if fig is None:
        return None
    return write_atomic(Path(outdir) / "compare.png", lambda tmp: fig.savefig(tmp, format="png", dpi=100))


def paired_figure(paired: pd.DataFrame) -> Figure | None:
    """Each continuous endpoint's mean paired difference (scenario minus reference) with its 95 % interval, one
    panel per endpoint with a direction of benefit, one row per scenario, and the fraction of patients better off
    written beside it; None without such endpoints."""
    rows = paired[paired["better"].astype(str) != ""] if len(paired) else paired
    endpoints = list(dict.fromkeys(rows["endpoint"])) if len(rows) else []
    if not endpoints:
        return None
    scenarios = list(dict.fromkeys(rows["scenario"]))
    fig = Figure(figsize=(9, 0.6 + (0.45 * len(scenarios) + 0.7) * len(endpoints)), layout="constrained")
    axes = fig.subplots(len(endpoints), 1, squeeze=False)[:, 0]
    reference = str(rows["reference"].iloc[0])
    for ax, endpoint in zip(axes, endpoints):
        mine = rows[rows["endpoint"] == endpoint].set_index("scenario").reindex(scenarios)
        y = np.arange(len(scenarios))[::-1]
        mean = mine["mean_difference"].to_numpy(dtype=float)
        low, high = mine["lower95"].to_numpy(dtype=float), mine["upper95"].to_numpy(dtype=float)
        ax.errorbar(mean, y, xerr=[mean - low, high - mean], fmt="o", color="tab:blue", capsize=3)
        ax.axvline(0.0, color="0.4", lw=0.8)
        ax.set_yticks(y, scenarios, fontsize=8)
        ax.set_ylim(-0.7, len(scenarios) - 0.3)
        unit = pretty_unit(str(mine["unit"].iloc[0]))
        better = str(mine["better"].iloc[0])
        ax.set_title(f"{endpoint} [{unit}]: {better} is better", fontsize=9, loc="left")
        for yi, frac in zip(y, mine["fraction_better"].to_numpy(dtype=float)):
            ax.annotate(f"{frac:.0%} better off", xy=(1.0, yi), xycoords=("axes fraction", "data"),
                        xytext=(4, 0), textcoords="offset points", va="center", fontsize=8)
        ax.tick_params(axis="x", labelsize=8)
        ax.grid(axis="x", alpha=0.3)
    axes[-1].set_xlabel(f"mean paired difference vs {reference} (95 % bootstrap interval over patients)", fontsize=9)
    return fig


def write_paired_figure(paired: pd.DataFrame, outdir: str | Path) -> Path | None:
    """Write :func:`paired_figure` to ``outdir/paired_differences.png`` atomically (None: nothing to draw)."""
    fig = paired_figure(paired)
    if fig is None:
        return None
    return write_atomic(Path(outdir) / "paired_differences.png", lambda tmp: fig.savefig(tmp, format="png", dpi=100))
