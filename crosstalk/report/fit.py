"""The report of a fit (``crosstalk fit``): estimates with profile intervals and identifiability, the waterfall of
the starts, the fit against the data with the noise model, and the profiles (``report.html`` in the run
directory). Built from :class:`crosstalk.calibrate.fit.FitResult` only: nothing here simulates.
"""

from __future__ import annotations

import html
from pathlib import Path

import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from crosstalk.calibrate.fit import THRESHOLD_RATIO, FitResult, read_fit
from crosstalk.files import write_text_atomic
from crosstalk.report.html import figure_tag, page, provenance_html, table_html
from crosstalk.report.numbers import format_number

__all__ = ["fit_report_html", "rebuild_fit_report", "write_fit_report"]

#: Two starts reach the same optimum when their objective values differ by less than this.
SAME_OPTIMUM = 0.1


def _waterfall(result: FitResult) -> Figure:
    fvals = np.sort(result.starts["fval"].to_numpy(dtype=float))
    fig = Figure(figsize=(5.5, 3.2), layout="constrained")
    ax = fig.subplots()
    gap = fvals - fvals[0]
    ax.plot(np.arange(1, len(fvals) + 1), gap + 1.0, "o-", ms=4)
    if gap.max() > 100.0:  # a log axis only where the starts span decades
        ax.set_yscale("log")
    else:  # differences of 1e-10 are one optimum: no "1e-10+1" offset over the axis
        ax.set_ylim(0.9, 1.0 + max(float(gap.max()), 1.0) * 1.1)
    ax.set_xlabel("start (sorted by objective)", fontsize=9)
    ax.set_ylabel("objective - best + 1", fontsize=9)
    ax.set_title("waterfall: a plateau at 1 = starts that found the best optimum", fontsize=9, loc="left")
    ax.grid(alpha=0.3)
    return fig


def _grid(n: int, *, height: float) -> tuple[Figure, list[Axes]]:
    """``n`` panels, three to a row; the unused ones of the last row hidden."""
    ncols = min(3, n)
    nrows = -(-n // ncols)
    fig = Figure(figsize=(3.8 * ncols, height * nrows), layout="constrained")
    axes = list(fig.subplots(nrows, ncols, squeeze=False).ravel())
    for ax in axes[n:]:
        ax.set_visible(False)
    return fig, axes[:n]


def _fits(result: FitResult) -> Figure:
    data = result.fitted.copy()
    data["observable"] = data["observableId"].str.removeprefix("obs_")
    panels = list(dict.fromkeys(zip(data["observable"], data["simulationConditionId"])))
    fig, axes = _grid(len(panels), height=2.9)
    for ax, (obs, cid) in zip(axes, panels):
        d = data[(data["observable"] == obs) & (data["simulationConditionId"] == cid)].sort_values("time")
        sd = d["noiseParameters"].to_numpy(dtype=float) if "noiseParameters" in d else None
        ax.errorbar(d["time"], d["measurement"], yerr=sd, fmt="o", ms=3, color="0.3", capsize=2, label="data ± sd")
        ax.plot(d["time"], d["simulation"], "-", color="tab:blue", lw=1.4, label="best fit")
        ax.set_title(f"{obs}: {cid}", fontsize=8, loc="left")
        ax.set_xlabel("time [h]", fontsize=8)
        ax.tick_params(labelsize=7)
        ax.grid(alpha=0.3)
    handles, labels = axes[0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="outside lower center", ncols=2, fontsize=8, frameon=False)
    return fig


def _profiles(result: FitResult) -> Figure | None:
    names = list(dict.fromkeys(result.profiles["parameter"])) if len(result.profiles) else []
    if not names:
        return None
    fig, axes = _grid(len(names), height=2.8)
    estimates = result.estimates.set_index("parameter")
    for ax, name in zip(axes, names):
        p = result.profiles[result.profiles["parameter"] == name]
        ax.plot(p["value"], p["ratio"], "-", color="tab:blue")
        ax.axhline(THRESHOLD_RATIO, color="tab:red", lw=0.8, ls="--")
        ax.axvline(float(estimates.loc[name, "estimate"]), color="0.4", lw=0.8)
        wide = p["value"].max() > 10.0 * p["value"].min() > 0  # a log axis only across a decade or more
        ax.set_xscale("log" if wide and estimates.loc[name, "scale"] in ("log10", "log") else "linear")
        ax.set_ylim(0, 1.05)
        ax.set_title(f"{name}: {estimates.loc[name, 'identifiability'] or 'not profiled'}", fontsize=8, loc="left")
        ax.set_ylabel("likelihood ratio", fontsize=8)
        ax.tick_params(labelsize=7)
        ax.grid(alpha=0.3)
    return fig


def fit_report_html(result: FitResult) -> str:
    """The report page of a fit (figures embedded)."""
    prov = result.provenance
    fvals = np.sort(result.starts["fval"].to_numpy(dtype=float))
    found = int(np.sum(fvals - fvals[0] < SAME_OPTIMUM))
    parts = [f"<p>{prov.get('starts')} starts (seed {prov.get('seed')}) of {html.escape(str(prov.get('optimizer')))}"
             f" on {html.escape(str(prov.get('simulator')))} (CVODE rtol {prov.get('rtol')}); {found} of them reached "
             f"the best objective value ({format_number(float(fvals[0]), digits=6)}, the negative log-likelihood); "
             f"wall time {prov.get('wall_time_s')} s.</p>",
             "<h2>Estimates</h2>",
             table_html(["parameter", "estimate", "95 % profile interval", "identifiability", "search range"],
                        [(r["parameter"], format_number(r["estimate"]),
                          "not profiled" if np.isnan(r["lower95"]) else
                          f"{format_number(r['lower95'])} to {format_number(r['upper95'])}",
                          r["identifiability"] or "-",
                          f"{format_number(r['lower_bound'])} to {format_number(r['upper_bound'])}")
                         for r in result.estimates.to_dict("records")]),
             "<p class='small'>Intervals: where the profile likelihood ratio stays above the chi-square threshold "
             f"({format_number(THRESHOLD_RATIO)}, 95 %, one degree of freedom). An interval side at the search "
             "range's bound is open: the data do not bound the parameter there (practically non-identifiable); a "
             "flat profile means only a combination with another parameter is determined (structurally "
             "non-identifiable).</p>",
             "<h2>Fit to the data</h2>", figure_tag(_fits(result), "fit against the data"),
             "<h2>Starts (waterfall)</h2>", figure_tag(_waterfall(result), "waterfall")]
    profiles = _profiles(result)
    if profiles is not None:
        parts += ["<h2>Profiles</h2>", figure_tag(profiles, "profile likelihoods")]
    parts.append(provenance_html(prov))
    return page("crosstalk fit", "\n".join(parts))


def write_fit_report(result: FitResult, outdir: str | Path) -> Path:
    """Write :func:`fit_report_html` to ``outdir/report.html`` atomically."""
    return write_text_atomic(Path(outdir) / "report.html", fit_report_html(result))


def rebuild_fit_report(run_dir: str | Path, *, outdir: str | Path | None = None) -> Path:
    """Write the report of the finished fit in ``run_dir`` again from its files (no fitting)."""
    return write_fit_report(read_fit(run_dir), run_dir if outdir is None else outdir)
