"""What a cohort's reader sees: distributions of key endpoints and the outcome fractions (``cohort.png``), the
table (``summary.md``) and ``report.html``.

Drawn on a :class:`matplotlib.figure.Figure` (no pyplot, no backend change); the cohort's data is
:mod:`crosstalk.studies.cohort`'s. :func:`rebuild_cohort_report` draws the figure and writes the table
(``summary.md``) again from a cohort's run directory, without simulating.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from matplotlib.figure import Figure
from matplotlib.ticker import EngFormatter

from crosstalk.files import write_atomic, write_text_atomic
from crosstalk.model.observables import ENDPOINTS
from crosstalk.report.html import figure_tag, page, provenance_html, table_html
from crosstalk.report.numbers import format_number, pretty_unit
from crosstalk.report.tables import cohort_cells, write_cohort_table
from crosstalk.studies.cohort import CohortResult, read_cohort

__all__ = ["COHORT_ENDPOINTS", "cohort_figure", "cohort_report_html", "rebuild_cohort_report", "write_cohort_figure",
           "write_cohort_report"]

#: Endpoints shown as histograms, left to right; an endpoint the model lacks is left out.
COHORT_ENDPOINTS: tuple[str, ...] = ("tumour_volume_change_percent", "lvef_drop_points", "lvef_nadir_percent",
                                     "il6_peak_fold", "nk_tumour_cells_mean", "exev_auc_particles_h_per_ml")


def cohort_figure(result: CohortResult) -> Figure | None:
    """A histogram per endpoint of :data:`COHORT_ENDPOINTS` the cohort has, and a bar chart of its fractions;
    None when it has none of those endpoints."""
    cols = [c for c in COHORT_ENDPOINTS if c in result.patients]
    if not cols:
        return None
    ncols = min(4, len(cols) + 1)
    nrows = -(-(len(cols) + 1) // ncols)
    fig = Figure(figsize=(2.8 * ncols, 2.6 * nrows), layout="constrained")
    axes = fig.subplots(nrows, ncols, squeeze=False).ravel()
    for ax in axes[len(cols) + 1:]:
        ax.set_visible(False)
    for ax, c in zip(axes, cols):
        values = result.patients[c].dropna().to_numpy(dtype=float)
        ax.set_title(c, fontsize=8)
        ax.set_xlabel(pretty_unit(ENDPOINTS.get(c, ("", ""))[0]), fontsize=8)
        ax.tick_params(labelsize=7)
        if values.size and np.ptp(values) <= 1e-6 * max(float(np.abs(values).max()), 1e-300):
            # the same for every patient: a histogram of solver noise would need a "1e-11+6.46" offset label
            ax.text(0.5, 0.5, f"{format_number(float(values[0]))} for all {values.size}", ha="center",
                    transform=ax.transAxes, fontsize=8)
            ax.set_xticks([])
            continue
        ax.hist(values, bins=30, color="tab:blue", alpha=0.8)
        ax.set_ylabel("patients", fontsize=8)
        ax.xaxis.set_major_formatter(EngFormatter(sep=""))  # 5.6e11 as 560G, not an offset over the axis
    fractions = result.fractions_dict()
    ax = axes[len(cols)]
    names = [k.removeprefix("fraction_") for k in fractions][::-1]  # top to bottom as listed
    ax.barh(names, list(fractions.values())[::-1], color="tab:orange")
    ax.set_xlim(0, 1)
    ax.set_title("fraction of patients", fontsize=8)
    ax.tick_params(labelsize=7)
    return fig


def write_cohort_figure(result: CohortResult, outdir: str | Path) -> Path | None:
    """Write :func:`cohort_figure` to ``outdir/cohort.png`` atomically; None (nothing written) without endpoints."""
    fig = cohort_figure(result)
    if fig is None:
        return None
    return write_atomic(Path(outdir) / "cohort.png", lambda tmp: fig.savefig(tmp, format="png", dpi=100))


def cohort_report_html(result: CohortResult) -> str:
    """The report page of a cohort: outcome fractions, endpoint distributions with units, the figure, failures and
    provenance."""
    prov = result.provenance
    n, failed = len(result.patients), len(result.failures)
    parts = [f"<p>{n} virtual patients (seed {prov.get('seed', 'n/a')}), {failed} failed simulations. Fractions are "
             "of this cohort (its Monte Carlo spread is about ±1/√n); <code>crosstalk compare --cohort</code> gives "
             "differences between scenarios with intervals.</p>",
             "<h2>Outcomes</h2>",
             table_html(["outcome", "fraction of patients"],
                        [(k.removeprefix("fraction_"), format_number(v)) for k, v in result.fractions_dict().items()])]
    fig = cohort_figure(result)
    if fig is not None:
        parts += ["<h2>Distributions</h2>", figure_tag(fig, "cohort endpoint distributions")]
    header, rows = cohort_cells(result.summary)
    parts += ["<h2>Endpoints and sampled inputs</h2>", table_html(header, rows)]
    if failed:
        parts += ["<h2>Failed simulations</h2>",
                  table_html(list(result.failures.columns), result.failures.head(50).itertuples(index=False))]
    parts.append(provenance_html(prov))
    return page(f"crosstalk cohort: {prov.get('scenario', '')} ({n} patients)", "\n".join(parts))


def write_cohort_report(result: CohortResult, outdir: str | Path) -> list[Path]:
    """What a cohort's reader reads, beside its data: ``summary.md``
    (:func:`~crosstalk.report.tables.write_cohort_table`), ``cohort.png`` when it has the endpoints to draw, and
    ``report.html``."""
    figure = write_cohort_figure(result, outdir)
    return [write_cohort_table(result, outdir), *([figure] if figure is not None else []),
            write_text_atomic(Path(outdir) / "report.html", cohort_report_html(result))]


def rebuild_cohort_report(run_dir: str | Path, *, outdir: str | Path | None = None) -> list[Path]:
    """Write :func:`write_cohort_report` again for the cohort in ``run_dir``, from its files only
    (:func:`~crosstalk.studies.cohort.read_cohort`), into ``outdir`` (default: ``run_dir``).

    Raises
    ------
    InputError
        If ``run_dir`` is not a finished cohort run (naming what is missing).
    """
    return write_cohort_report(read_cohort(run_dir), run_dir if outdir is None else outdir)
