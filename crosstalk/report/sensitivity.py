"""The sensitivity report: one self-contained HTML page (``report.html``) with its figures embedded.

Figures are drawn on :class:`matplotlib.figure.Figure` objects (no pyplot, no backend change). The data files
(``indices.csv`` and the other CSVs) are written by :func:`crosstalk.studies.sensitivity.write_sensitivity`;
:func:`rebuild_sensitivity_report` draws the page again from a finished run's directory, without simulating.
"""

from __future__ import annotations

import html
from pathlib import Path

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from crosstalk.files import strict_json, write_text_atomic
from crosstalk.report.html import figure_tag, page, table_html
from crosstalk.report.numbers import format_number
from crosstalk.report.plots import result_figure
from crosstalk.sim.result import Result
from crosstalk.studies.sensitivity import SensitivityResult, read_base_run, read_sensitivity

__all__ = ["rebuild_sensitivity_report", "write_sensitivity_report"]


def _outside_note(d: pd.DataFrame) -> str:
    """What an index outside [0, 1] or a wide interval means, where one is shown: estimation error, not biology."""
    values = pd.concat([d.S1, d.ST])
    widths = pd.concat([d.S1_conf, d.ST_conf])
    if not ((values > 1.0) | (values < 0.0)).any() and not (widths > 0.1).any():
        return ""
    return ("<p class='small'>Sobol indices lie between 0 and 1. Here the estimates run from "
            f"{format_number(float(values.min()))} to {format_number(float(values.max()))} and their 95 % intervals "
            f"reach ±{format_number(float(widths.max()))}: an estimate outside [0, 1] or an interval wider than ±0.1 "
            "is sampling error of this n, not biology. Read only the ranking of the large indices, and raise n (or "
            "use <code>method = \"pce\"</code>) until the convergence plots below level off.</p>")


def _bars(ind: pd.DataFrame, output: str, note: str = "") -> str:
    d = ind[ind.output == output]
    x = np.arange(len(d))
    fig = Figure(figsize=(7, 2.8 + 0.1 * len(d)))
    ax = fig.subplots()
    ax.bar(x - 0.2, d.S1, 0.4, yerr=d.S1_conf, capsize=3, label="S1 (first order)")
    ax.bar(x + 0.2, d.ST, 0.4, yerr=d.ST_conf, capsize=3, label="ST (total)")
    ax.set_xticks(x, d.parameter, rotation=30, ha="right", fontsize=8)
    ax.set_ylabel("Sobol index (95% CI)")
    ax.set_title(output + note, fontsize=10, color="firebrick" if note else "black")
    ax.axhline(0, color="k", lw=0.5)
    ax.legend(fontsize=8)
    ax.grid(alpha=0.3, axis="y")
    fig.tight_layout()
    return figure_tag(fig, f"indices of {output}") + _outside_note(d)


def _morris(ind: pd.DataFrame, output: str) -> str:
    d = ind[ind.output == output]
    fig = Figure(figsize=(5.5, 4))
    ax = fig.subplots()
    ax.scatter(d.mu_star, d.sigma)
    for _, r in d.iterrows():
        ax.annotate(r.parameter, (r.mu_star, r.sigma), fontsize=7)
    ax.set_xlabel("mu* (mean |elementary effect|)")
    ax.set_ylabel("sigma (interaction / non-linearity)")
    ax.set_title(output, fontsize=10)
    ax.grid(alpha=0.3)
    return figure_tag(fig, f"Morris {output}")


def _heatmap(s2: pd.DataFrame, output: str, names: list[str]) -> str:
    d = s2[s2.output == output]
    m = np.full((len(names), len(names)), np.nan)
    for _, r in d.iterrows():
        i, j = names.index(r.parameter_1), names.index(r.parameter_2)
        m[i, j] = m[j, i] = r.S2
    fig = Figure(figsize=(5.5, 4.5))
    ax = fig.subplots()
    im = ax.imshow(m, cmap="viridis")
    ax.set_xticks(range(len(names)), names, rotation=45, ha="right", fontsize=7)
    ax.set_yticks(range(len(names)), names, fontsize=7)
    fig.colorbar(im, ax=ax, label="S2")
    ax.set_title(f"second-order indices: {output}", fontsize=10)
    return figure_tag(fig, f"S2 {output}")


def _time_resolved(tr: pd.DataFrame, observable: str) -> str:
    d = tr[tr.observable == observable]
    fig = Figure(figsize=(11, 3.3))
    axes = fig.subplots(1, 2, sharey=True)
    for ax, idx in zip(axes, ("S1", "ST")):
        for name, g in d.groupby("parameter"):
            ax.plot(g.time_h / 24.0, g[idx], label=name, lw=1.3)
        ax.set_xlabel("day of the course")
        ax.set_title(f"{idx} of {observable}", fontsize=10)
        ax.grid(alpha=0.3)
    axes[0].set_ylabel("Sobol index")
    axes[1].legend(fontsize=7, loc="upper left", bbox_to_anchor=(1, 1))
    return figure_tag(fig, f"time-resolved {observable}")


def _convergence(conv: pd.DataFrame, output: str) -> str:
    d = conv[conv.output == output]
    fig = Figure(figsize=(11, 3))
    axes = fig.subplots(1, 2, sharey=True)
    for ax, idx in zip(axes, ("S1", "ST")):
        for name, g in d.groupby("parameter"):
            ax.plot(g.n, g[idx], "o-", label=name, lw=1.2, ms=3)
        ax.set_xscale("log", base=2)
        ax.set_xlabel("base samples n")
        ax.set_title(f"convergence of {idx}: {output}", fontsize=10)
        ax.grid(alpha=0.3)
    axes[1].legend(fontsize=7, loc="upper left", bbox_to_anchor=(1, 1))
    return figure_tag(fig, f"convergence {output}")


def _trajectories(base: Result) -> str:
    cols = [c for c in ("tumour_volume_mm3", "lvef_percent", "il6_pg_per_ml", "nk_tumour_cells", "chf_risk",
                        "antioxidant_capacity") if c in base.timeseries]
    if not cols:
        return "<p>none of the usual observables in this model</p>"
    return figure_tag(result_figure(base, panels=cols), "base scenario")


def _surrogate(result: SensitivityResult) -> list[str]:
    """``pce``: how well each output's expansion reproduces the simulations, and which indices not to trust."""
    sur = result.surrogate
    if not len(sur):
        return []
    spec = result.spec
    parts = ["<h2>Surrogate quality (polynomial chaos)</h2>",
             f"<p>A sparse Legendre expansion per output (total degree {spec.degree}, q-norm {spec.q_norm:g}, "
             "least-angle regression) fitted to the simulations; Q2 is its 5-fold cross-validated coefficient of "
             "determination (each fold refits the selection). Indices are read from the expansion's coefficients; "
             f"intervals from {result.provenance.get('pce', {}).get('n_boot', '')} bootstrap refits. An output with "
             f"Q2 below {spec.q2_threshold:g} is not reproduced well enough to trust its indices.</p>",
             table_html(["output", "Q2", "degree", "terms kept", "simulations", "reliable"],
                        [(r.output, f"{r.q2:.3f}", r.degree, r.terms, r.n, "yes" if r.reliable else "NO")
                         for r in sur.itertuples()])]
    for r in sur[~sur.reliable].itertuples():
        parts.append(f"<p class='fail'>{html.escape(str(r.output))}: unreliable (Q2 {r.q2:.2f} &lt; "
                     f"{spec.q2_threshold:g}). The expansion does not reproduce this output; do not read its indices. "
                     "Raise <code>n</code> or <code>degree</code>, or run <code>sobol</code> for it.</p>")
    return parts


def write_sensitivity_report(result: SensitivityResult, outdir: str | Path, *, base: Result | None = None) -> Path:
    """Write ``report.html`` into ``outdir`` (atomically); ``base``, the base scenario's result, adds its
    trajectories."""
    outdir = Path(outdir)
    spec = result.spec
    names = [p.name for p in spec.parameters]
    ind = result.indices
    prov = result.provenance
    parts = [
        f"<p><b>Question.</b> {html.escape(spec.question or spec.name)}</p>",
        f"<p>Method: {spec.method}; n = {spec.n}; {prov['simulations']} simulations of "
        f"<code>{html.escape(spec.base_scenario.name)}</code> ({spec.base_scenario.duration_days:g} days); "
        f"seed {spec.seed}; failure fraction {prov['failure_fraction']:.2%} ({prov['failed']} failed, "
        + ("dropped" if spec.method == "pce" else f"{prov['groups_dropped']} {spec.method} groups dropped")
        + f"; {prov.get('retried', 0)} retried once at rtol/100 after a "
        f"solver failure); CVODE rtol {prov.get('rtol', 'n/a')}; wall time {prov['wall_time_s']} s.</p>",
        "<h2>Uncertain inputs</h2>",
        table_html(["name", "distribution", "5th to 95th percentile"],
                   [(p.name, p.describe(), " to ".join(format_number(v) for v in p.central_interval()))
                    for p in spec.parameters]),
        "<p class='small'>Whole-number regime fields (sessions per week) are rounded to the nearest allowed value "
        "when applied; their indices describe the rounded choice.</p>",
    ]
    parts += _surrogate(result)
    if result.constant_outputs:
        parts.append(f"<p class='fail'>Constant outputs, not analysed: {', '.join(result.constant_outputs)}</p>")
    parts.append("<h2>Indices by output</h2>")
    q2 = result.surrogate.set_index("output").q2 if len(result.surrogate) else pd.Series(dtype=float)
    for out in ind.output.unique() if len(ind) else []:
        note = f" (unreliable: Q2 {q2[out]:.2f})" if out in q2 and q2[out] < spec.q2_threshold else ""
        parts.append(_morris(ind, out) if spec.method == "morris" else _bars(ind, out, note))
        if spec.method != "morris" and spec.second_order and len(result.second_order):
            parts.append(_heatmap(result.second_order, out, names))
    if len(result.time_resolved):
        parts.append("<h2>Time-resolved indices over the treatment course</h2>")
        for obs in result.time_resolved.observable.unique():
            parts.append(_time_resolved(result.time_resolved, obs))
    if len(result.convergence):
        parts.append("<h2>Convergence (same run, first n/4, n/2, n simulations)</h2>" if spec.method == "pce" else
                     "<h2>Convergence (same run, first n/8, n/4, n/2, n base samples)</h2>")
        for out in result.convergence.output.unique():
            parts.append(_convergence(result.convergence, out))
    if base is not None:
        parts += ["<h2>Base scenario trajectories</h2>", _trajectories(base)]
    parts += ["<h2>Table of indices</h2>", table_html(list(ind.columns), ind.itertuples(index=False)) if len(ind)
              else "<p>none</p>"]
    if len(result.failures):
        parts += ["<h2>Failed simulations</h2>", table_html(list(result.failures.columns),
                                                           result.failures.head(50).itertuples(index=False))]
    parts += ["<h2>Spec</h2>", f"<pre>{html.escape(spec.source_text or repr(spec))}</pre>",
              "<h2>Provenance</h2>", f"<pre>{html.escape(strict_json(prov))}</pre>"]
    path = outdir / "report.html"
    return write_text_atomic(path, page(f"crosstalk sensitivity: {spec.name}", "\n".join(parts)))


def rebuild_sensitivity_report(run_dir: str | Path, *, outdir: str | Path | None = None) -> Path:
    """Write the ``report.html`` of the finished sensitivity run in ``run_dir`` again, from its files only
    (:func:`~crosstalk.studies.sensitivity.read_sensitivity`; the base scenario's trajectories when the run kept
    them, :func:`~crosstalk.studies.sensitivity.read_base_run`), into ``outdir`` (default: ``run_dir``).

    Raises
    ------
    InputError
        If ``run_dir`` is not a finished sensitivity run (naming what is missing).
    """
    result = read_sensitivity(run_dir)
    return write_sensitivity_report(result, run_dir if outdir is None else outdir, base=read_base_run(run_dir))
