"""The optimisation report: one self-contained HTML page (``report.html``) with its figures embedded.

The front in objective space (pairwise scatter plots: every feasible prescription evaluated in grey, the front
in colour, sedentary care as a black star), the front's prescriptions on parallel coordinates of the objectives,
the chosen prescriptions in words with their intervals and how many patients each beats sedentary care for, their
trajectories against sedentary care (the base scenario's patient), the chosen prescriptions on new patients
(holdout), the spec and the provenance. :func:`rebuild_optimisation_report` draws the page again from a finished
run's directory, without simulating.
"""

from __future__ import annotations

import html
from collections.abc import Mapping
from pathlib import Path

import numpy as np
from matplotlib.figure import Figure

from crosstalk.files import strict_json, write_text_atomic
from crosstalk.model.observables import OBSERVABLES
from crosstalk.report.html import breakable, figure_tag, page, table_html
from crosstalk.report.layout import scale_axis
from crosstalk.report.numbers import pretty_unit
from crosstalk.sim.result import Result
from crosstalk.studies.optimise import OptimisationResult, benefit_drivers, chosen_prescriptions, describe
from crosstalk.studies.optimise.readback import read_optimisation, read_trajectories

__all__ = ["rebuild_optimisation_report", "write_optimisation_report"]

#: Observables drawn for the chosen prescriptions against sedentary care (those the model has).
TRAJECTORIES = ("tumour_volume_mm3", "lvef_percent", "nk_tumour_cells", "training_state")


def _pairs(result: OptimisationResult) -> str:
    spec = result.spec
    labels = [o.label for o in spec.objectives]
    ok = result.candidates[result.candidates.violation <= 0]
    pairs = [(i, j) for i in range(len(labels)) for j in range(i + 1, len(labels))] or [(0, 0)]
    fig = Figure(figsize=(4.2 * min(3, len(pairs)), 3.6 * -(-len(pairs) // 3)))
    axes = fig.subplots(-(-len(pairs) // 3), min(3, len(pairs)), squeeze=False).ravel()
    for ax, (i, j) in zip(axes, pairs):
        x, y = labels[i], labels[j if j != i else i]
        ax.scatter(ok[x], ok[y], s=8, color="0.75", label="evaluated")
        ax.scatter(result.front[x], result.front[y], s=22, color="tab:blue", label="front")
        if len(result.sedentary):
            ax.scatter(result.sedentary[x], result.sedentary[y], marker="*", s=160, color="k",
                       label="sedentary care")
        ax.set_xlabel(f"{x} ({spec.objectives[i].sense})", fontsize=8)
        ax.set_ylabel(f"{y} ({spec.objectives[j].sense})", fontsize=8)
        ax.grid(alpha=0.3)
    for ax in axes[len(pairs):]:
        ax.set_visible(False)
    axes[0].legend(fontsize=7)
    fig.tight_layout()
    return figure_tag(fig, "front in objective space")


def _parallel(result: OptimisationResult) -> str:
    labels = [o.label for o in result.spec.objectives]
    values = result.front[labels].to_numpy(dtype=float)
    lo, hi = values.min(axis=0), values.max(axis=0)
    scaled = (values - lo) / np.where(hi > lo, hi - lo, 1.0)
    fig = Figure(figsize=(1.8 * len(labels) + 3, 3.2))
    ax = fig.subplots()
    for row in scaled:
        ax.plot(range(len(labels)), row, color="tab:blue", alpha=0.5, lw=1)
    ax.set_xticks(range(len(labels)), [f"{x}\n[{a:.3g}, {b:.3g}]" for x, a, b in zip(labels, lo, hi)], fontsize=7)
    ax.set_ylabel("scaled over the front (0 = lowest)", fontsize=8)
    ax.grid(alpha=0.3)
    return figure_tag(fig, "front on parallel coordinates")


def _trajectories(results: Mapping[str, Result]) -> str:
    first = next(iter(results.values()))
    cols = [c for c in TRAJECTORIES if c in first.timeseries]
    if not cols:
        return "<p>none of the usual observables in this model</p>"
    meta = {o.name: o for o in OBSERVABLES}
    fig = Figure(figsize=(3.4 * len(cols), 2.9 + 0.22 * len(results)), layout="constrained")
    axes = fig.subplots(1, len(cols), squeeze=False)[0]
    for ax, col in zip(axes, cols):
        values = []
        for name, res in results.items():
            ts = res.timeseries
            ax.plot(ts.time_h / 24.0, ts[col], lw=1.3, color="k" if name == "sedentary care" else None,
                    ls="--" if name == "sedentary care" else "-", label=name)
            values.append(ts[col].to_numpy())
        o = meta.get(col)
        ax.set_title(f"{o.short_label} [{pretty_unit(o.unit)}]" if o else col, fontsize=8, loc="left")
        scale_axis(ax, np.concatenate(values), log=bool(o and o.log_scale))
        ax.set_xlabel("time [days]", fontsize=8)
        ax.tick_params(labelsize=7)
        ax.grid(alpha=0.3)
    handles, labels = axes[0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="outside lower center", ncols=2, fontsize=7, frameon=False)
    return figure_tag(fig, "trajectories of the chosen prescriptions")


def _holdout(result: OptimisationResult) -> list[str]:
    hold = result.holdout
    vs = "holdout_vs_sedentary" in hold
    return [
        "<h2>On new patients (holdout)</h2>",
        f"<p>The chosen prescriptions{' and sedentary care' if vs else ''} re-run on "
        f"{result.spec.holdout_patients} virtual patients that took no part in the search (seed "
        f"{result.provenance.get('holdout_seed')}); 95 % bootstrap intervals over them. Compare the differences "
        "from sedentary care, not the absolute values (those also differ because the two groups of patients "
        "differ): an in-sample difference outside the holdout's paired interval means the search's patients "
        "flattered the prescription. A changed rank between prescriptions whose intervals overlap means the "
        "choice between them is not settled by this many patients.</p>",
        table_html(["why", "prescription", "objective", "in sample", "holdout [95 %]",
                    *(["in sample minus sedentary", "holdout minus sedentary [paired 95 %]",
                       "holdout patients better than sedentary"] if vs else []),
                    "rank in sample / holdout", "failed"],
                   [(breakable(r["why"]), r["prescription"], breakable(r["objective"]), f"{r['in_sample']:.4g}",
                     f"{r['holdout']:.4g} [{r['holdout_low']:.4g}, {r['holdout_high']:.4g}]",
                     *([f"{r['in_sample_vs_sedentary']:+.4g}",
                        f"{r['holdout_vs_sedentary']:+.4g} [{r['holdout_vs_sedentary_low']:+.4g}, "
                        f"{r['holdout_vs_sedentary_high']:+.4g}]", f"{r['holdout_beats_sedentary']:.0%}"]
                       if vs else []),
                     f"{r['in_sample_rank']:.0f} / {r['holdout_rank']:.0f}", r["failed"])
                    for r in hold.to_dict("records")]),
    ]


def write_optimisation_report(result: OptimisationResult, outdir: str | Path, *,
                              trajectories: Mapping[str, Result] | None = None) -> Path:
    """Write ``report.html`` into ``outdir`` (atomically); ``trajectories``, results of the chosen prescriptions
    and of sedentary care by name, adds their time courses."""
    spec = result.spec
    prov = result.provenance
    labels = [o.label for o in spec.objectives]
    chosen = chosen_prescriptions(result)
    parts = [
        f"<p><b>Question.</b> {html.escape(spec.question or spec.name)}</p>",
        f"<p>{spec.method.upper()} (pymoo), {spec.population_size} prescriptions x {spec.generations} generations, "
        f"each on the same {spec.patients} virtual patients (seed {spec.seed}); {prov['candidates']} candidates, "
        f"{prov['unique_feasible']} distinct feasible prescriptions, {prov['simulations']} simulations, wall time "
        f"{prov['wall_time_s']} s. Intervals: 95 % bootstrap over patients ({spec.n_boot} resamples).</p>",
        "<h2>Chosen prescriptions</h2>",
        table_html(["why", "prescription",
                    *[f"{x} [95 % interval]" for x in labels],
                    *[f"{x} minus sedentary [paired 95 %]" for x in labels if f"{x}_vs_sedentary" in chosen],
                    *[f"patients better than sedentary: {x}" for x in labels if f"{x}_beats_sedentary" in chosen]],
                   [(breakable(r["why"]), r["prescription"],
                     *[f"{r[x]:.4g} [{r[x + '_low']:.4g}, {r[x + '_high']:.4g}]" for x in labels],
                     *[f"{r[x + '_vs_sedentary']:+.4g} [{r[x + '_vs_sedentary_low']:+.4g}, "
                       f"{r[x + '_vs_sedentary_high']:+.4g}]" for x in labels if f"{x}_vs_sedentary" in chosen],
                     *[f"{r[x + '_beats_sedentary']:.0%}" for x in labels if f"{x}_beats_sedentary" in chosen])
                    for r in chosen.to_dict("records")]),
        "<p class='small'>The paired interval (each bootstrap resample of patients gives both the prescription's "
        "statistic and sedentary care's, on the same patients) is the one to read for a difference; the two "
        "separate intervals overlap even when every patient benefits. The front is chosen and its intervals "
        "computed on the same virtual patients, so they are somewhat optimistic (the winner's curse): "
        + ("the holdout below gives the estimate to quote.</p>" if len(result.holdout) else
           "set holdout_patients in the spec to re-run the chosen prescriptions on new patients.</p>"),
    ]
    if len(result.sedentary):
        sed = result.sedentary.iloc[0]
        parts.append("<p>Sedentary care (no exercise, same patients): " + "; ".join(
            f"{x} {sed[x]:.4g} [{sed[x + '_low']:.4g}, {sed[x + '_high']:.4g}]" for x in labels) + ".</p>")
    if len(result.holdout):
        parts += _holdout(result)
    parts += ["<h2>The front</h2>", _pairs(result)]
    if len(labels) > 2:
        parts.append(_parallel(result))
    if trajectories:
        parts += ["<h2>Trajectories (the base scenario's patient)</h2>", _trajectories(trajectories)]
    drivers = benefit_drivers(result)
    if len(drivers):
        top = drivers.assign(size=drivers.spearman_rho.abs()).sort_values("size", ascending=False)
        top = top[top["size"] >= 0.3].head(15)
        parts += ["<h2>Which patients benefit</h2>",
                  "<p>Spearman rank correlation between each population parameter and a patient's benefit over "
                  "sedentary care (own outcome with sedentary care minus with the prescription; positive is better), "
                  f"on the {spec.patients} virtual patients; |rho| >= 0.3 shown, all in benefit_drivers.csv. With few "
                  "patients, read the p-values.</p>",
                  table_html(["prescription", "objective", "parameter", "rho", "p", "mean benefit"],
                             [(breakable(r.why), breakable(r.objective), r.parameter, r.spearman_rho, r.p_value,
                               r.mean_benefit)
                              for r in top.itertuples()]) if len(top) else "<p>no |rho| >= 0.3</p>"]
    if len(result.uncertainty_summary):
        summ = result.uncertainty_summary
        parts += ["<h2>Could uncertain model parameters reorder the front?</h2>",
                  f"<p>The chosen prescriptions and sedentary care re-run on the base scenario's patient for "
                  f"{spec.uncertain_n} Latin-hypercube draws of {', '.join(r.name for r in spec.uncertain)} "
                  "(ranges in the spec). Benefit: sedentary care's outcome minus the prescription's (positive is "
                  "better). 'Order kept': fraction of draws that rank the chosen prescriptions as the nominal model "
                  "does.</p>",
                  table_html(["why", "objective", "nominal benefit", "median [5 %, 95 %] over draws",
                              "draws with benefit", "order kept"],
                             [(breakable(r.why), breakable(r.objective), r.nominal_benefit,
                               f"{r.median_benefit:.4g} [{r.benefit_p05:.4g}, {r.benefit_p95:.4g}]",
                               f"{r.fraction_benefit:.0%}", f"{r.order_kept:.0%}" if r.order_kept == r.order_kept
                               else "n/a") for r in summ.itertuples()])]
        if len(result.uncertainty):
            top = result.uncertainty.assign(size=result.uncertainty.spearman_rho.abs()).sort_values(
                "size", ascending=False).head(12)
            parts.append(table_html(["why", "objective", "parameter", "Spearman rho with the benefit", "p"],
                                    [(breakable(r.why), breakable(r.objective), r.parameter, r.spearman_rho,
                                      r.p_value)
                                     for r in top.itertuples()]))
    front = result.front
    parts += ["<h2>Every prescription on the front</h2>",
              table_html(["prescription", *labels],
                         [(describe(spec, r), *[r[x] for x in labels]) for r in front.to_dict("records")]),
              "<h2>Spec</h2>", f"<pre>{html.escape(spec.source_text or repr(spec))}</pre>",
              "<h2>Provenance</h2>", f"<pre>{html.escape(strict_json(prov))}</pre>"]
    return write_text_atomic(Path(outdir) / "report.html", page(f"crosstalk optimise: {spec.name}", "\n".join(parts)))


def rebuild_optimisation_report(run_dir: str | Path, *, outdir: str | Path | None = None) -> Path:
    """Write the ``report.html`` of the finished optimisation in ``run_dir`` again, from its files only
    (:func:`~crosstalk.studies.optimise.readback.read_optimisation`; the trajectories when the run kept them,
    :func:`~crosstalk.studies.optimise.readback.read_trajectories`), into ``outdir`` (default: ``run_dir``).

    Raises
    ------
    InputError
        If ``run_dir`` is not a finished optimisation (naming what is missing).
    """
    result = read_optimisation(run_dir)
    return write_optimisation_report(result, run_dir if outdir is None else outdir,
                                     trajectories=read_trajectories(run_dir) or None)
