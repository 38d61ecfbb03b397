"""What a comparison's reader sees: the overlaid time courses (``compare.png``), the paired differences of a
cohort comparison (``paired_differences.png``) and each comparison's ``report.html``.

Drawn on a :class:`matplotlib.figure.Figure` (no pyplot, no backend change); the data of a comparison (endpoint
table, risks, paired differences) is :mod:`crosstalk.studies.compare`'s.
"""

from __future__ import annotations

import html
import math
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from crosstalk.calibrate.uncertainty import UncertaintyResult
from crosstalk.files import write_atomic, write_text_atomic
from crosstalk.model.observables import ENDPOINTS, OBSERVABLES
from crosstalk.report.html import figure_tag, page, provenance_html, schedule_html, table_html, warnings_html
from crosstalk.report.layout import scale_axis
from crosstalk.report.numbers import denoise, format_difference, format_nnt, format_number, pretty_unit
from crosstalk.report.plots import Band
from crosstalk.report.tables import (
    cohort_cells,
    endpoint_cells,
    write_cohort_table,
    write_endpoint_table,
    write_risk_table,
)
from crosstalk.report.uncertainty import bands_of, uncertainty_html
from crosstalk.sim.result import Result
from crosstalk.studies.compare import CohortComparison, Comparison

__all__ = ["COMPARE_OBSERVABLES", "cohort_comparison_report_html", "compare_figure", "comparison_report_html",
           "paired_figure", "write_cohort_comparison_report", "write_compare_figure", "write_comparison_report",
           "write_paired_figure"]

#: Panels of the comparison figure, top to bottom; an observable one of the results lacks is left out.
COMPARE_OBSERVABLES: tuple[str, ...] = ("tumour_volume_mm3", "lvef_percent", "nk_blood_per_ul", "nk_tumour_cells",
                                        "il6_pg_per_ml", "exev_per_ml")
#: One colour per scenario: the reference (first) grey, then the usual cycle.
LINE_COLOURS: tuple[str, ...] = ("0.45", "tab:blue", "tab:orange", "tab:green", "tab:red", "tab:purple")


def compare_figure(results: Sequence[Result], *, bands: Mapping[str, Mapping[str, Band]] | None = None
                   ) -> Figure | None:
    """The observables of :data:`COMPARE_OBSERVABLES` that every result has, one panel each, one line per
    scenario against time (the first scenario, the reference, in grey dashes), with each scenario's exercise
    sessions in a strip on top; None when the results share none of them. ``bands`` (scenario name ->
    observable -> (time_h, lower, upper)) are drawn behind each scenario's line in its colour."""
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
            band = (bands or {}).get(r.scenario.name, {}).get(name)
            if band is not None:
                ax.fill_between(band[0] / unit, band[1], band[2], color=colour, alpha=0.15, lw=0)
                values += [band[1], band[2]]
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
    rows = paired[(paired["better"].astype(str) != "") & np.isfinite(paired["mean_difference"].astype(float))] \
        if len(paired) else paired
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


def comparison_report_html(comparison: Comparison, *, warnings: Sequence[str] = (),
                           ensemble: UncertaintyResult | None = None) -> str:
    """The report page of scenarios compared side by side (``crosstalk compare``): each scenario's schedule, the
    overlaid time courses, the endpoint table with units and differences from the first, provenance; with an
    ``ensemble`` (``--uncertainty``), 95 % bands, the interval of each difference and the deciding parameters."""
    results = comparison.results
    bands = None if ensemble is None else {r.scenario.name: bands_of(ensemble, r.scenario.name) for r in results}
    first = results[0].scenario.name
    header, rows = endpoint_cells(comparison.endpoints)
    parts = [f"<p>{len(results)} scenarios; differences are from the first, <b>{html.escape(first)}</b>, one "
             "simulated patient each (a cohort comparison, <code>--cohort N</code>, gives risks and intervals).</p>",
             warnings_html(warnings), "<h2>What was simulated</h2>"]
    for r in results:
        parts += [f"<h3>{html.escape(r.scenario.name)}</h3>",
                  f"<p class='small'>{html.escape(r.scenario.description)}</p>" if r.scenario.description else "",
                  schedule_html(r.scenario)]
    fig = compare_figure(results, bands=bands)
    if fig is not None:
        parts += ["<h2>Time courses</h2>",
                  ("<p class='small'>Shaded: 95 % of the parameter sets at each time (over parameter sets, not "
                   "patients; overlapping bands do not mean no difference: each set's own difference is in the "
                   "table below).</p>" if bands else ""),
                  figure_tag(fig, "time courses of the compared scenarios")]
    parts += ["<h2>Endpoints</h2>", table_html(header, rows),
              uncertainty_html(ensemble) if ensemble is not None else "",
              "<p class='small'>Meanings: " + "; ".join(f"<b>{k}</b>: {html.escape(v[1])}" for k, v in
                                                           ENDPOINTS.items() if k in comparison.endpoints.index)
              + ".</p>",
              "<h2>Files</h2><p><code>endpoints.csv</code> (full precision), <code>endpoints.md</code>, "
              "<code>compare.png</code>, one folder per scenario with its time series.</p>",
              provenance_html(results[0].provenance)]
    return page(f"crosstalk compare: {' vs '.join(r.scenario.name for r in results)}",
                "\n".join(p for p in parts if p))


def write_comparison_report(comparison: Comparison, outdir: str | Path, *, warnings: Sequence[str] = (),
                            ensemble: UncertaintyResult | None = None) -> list[Path]:
    """Write what a comparison's reader reads beside its data: ``endpoints.md``, ``compare.png`` (when the results
    share an observable to draw) and ``report.html``; returns the paths written."""
    written = [write_endpoint_table(comparison.endpoints, outdir)]
    figure = write_compare_figure(comparison.results, outdir)
    written += [figure] if figure is not None else []
    written.append(write_text_atomic(Path(outdir) / "report.html",
                                     comparison_report_html(comparison, warnings=warnings, ensemble=ensemble)))
    return written


def cohort_comparison_report_html(comparison: CohortComparison, *, n: int, seed: int, n_boot: int,
                                  warnings: Sequence[str] = ()) -> str:
    """The report page of cohorts compared on the same virtual patients (``crosstalk compare --cohort``): absolute
    risk differences with NNT, paired differences of every continuous endpoint with the fraction of patients better
    off, each cohort's distributions, provenance."""
    names = list(comparison.cohorts)
    parts = [f"<p>{len(names)} cohorts of the same {n} virtual patients (seed {seed}); differences are from the "
             f"first, <b>{html.escape(names[0])}</b>. Intervals are 95 % percentile bootstrap intervals over patients "
             f"({n_boot} resamples): the Monte Carlo uncertainty of this cohort with the model's parameters fixed, "
             "not the uncertainty of the effect.</p>", warnings_html(warnings)]
    risks = comparison.risks
    if len(risks):
        parts += ["<h2>Risks</h2>", table_html(
            ["outcome", "scenario", "risk", "reference risk", "difference (95 % interval)", "NNT"],
            [(r["outcome"], r["scenario"], format_number(r["risk"]), format_number(r["reference_risk"]),
              f"{format_difference(r['risk_difference'])} ({format_difference(r['ci_low'])} to "
              f"{format_difference(r['ci_high'])})", format_nnt(r["nnt"], r["nnt_kind"]))
             for r in risks.to_dict("records")])]
    paired = comparison.paired
    if len(paired):
        parts += ["<h2>Paired differences</h2>",
                  "<p class='small'>Each patient's endpoint in the scenario minus the same patient's in the "
                  "reference; 'better off': the patients whose difference goes the endpoint's better way.</p>"]
        fig = paired_figure(paired)
        parts += [figure_tag(fig, "paired differences")] if fig is not None else []
        parts.append(table_html(
            ["endpoint", "unit", "scenario", "mean (reference)", "mean (scenario)", "difference (95 % interval)",
             "better off", "better"], [_paired_row(r) for r in paired.fillna({"better": ""}).to_dict("records")]))
    parts.append("<h2>Each cohort</h2>")
    for name, cohort in comparison.cohorts.items():
        header, rows = cohort_cells(cohort.summary)
        parts += [f"<h3>{html.escape(name)}</h3>", table_html(header, rows)]
    parts += ["<h2>Files</h2><p><code>risk_differences.csv</code>, <code>paired_differences.csv</code> (full "
              "precision), their Markdown and figure, and one cohort run directory per scenario.</p>",
              provenance_html(next(iter(comparison.cohorts.values())).provenance)]
    return page(f"crosstalk compare (cohorts of {n}): {' vs '.join(names)}", "\n".join(p for p in parts if p))


def _paired_row(r: dict[str, Any]) -> tuple[str, ...]:
    mean_a, mean_b = float(r["mean_a"]), float(r["mean_b"])
    scale = max(abs(mean_a), abs(mean_b))
    diff = [format_difference(denoise(float(r[k]), scale)) for k in ("mean_difference", "lower95", "upper95")]
    fraction = float(r["fraction_better"])
    better = str(r["better"])
    return (str(r["endpoint"]), pretty_unit(str(r["unit"])), str(r["scenario"]), format_number(mean_a),
            format_number(mean_b), "n/a" if diff[0] == "n/a" else f"{diff[0]} ({diff[1]} to {diff[2]})",
            f"{fraction:.0%}" if better and math.isfinite(fraction) else "", better)


def write_cohort_comparison_report(comparison: CohortComparison, outdir: str | Path, *, n: int, seed: int,
                                   n_boot: int, warnings: Sequence[str] = ()) -> list[Path]:
    """Write what a cohort comparison's reader reads beside its data: ``risk_differences.md``, each cohort's
    ``summary.md``, ``paired_differences.png`` and ``report.html``; returns the paths written."""
    outdir = Path(outdir)
    written = [write_risk_table(comparison.risks, outdir, n=n, seed=seed, n_boot=n_boot)]
    written += [write_cohort_table(cohort, outdir / name) for name, cohort in comparison.cohorts.items()]
    figure = write_paired_figure(comparison.paired, outdir)
    written += [figure] if figure is not None else []
    written.append(write_text_atomic(outdir / "report.html", cohort_comparison_report_html(
        comparison, n=n, seed=seed, n_boot=n_boot, warnings=warnings)))
    return written
