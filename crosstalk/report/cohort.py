"""The cohort figure: distributions of key endpoints and the outcome fractions (``cohort.png``).

Drawn on a :class:`matplotlib.figure.Figure` (no pyplot, no backend change); the cohort's data is
:mod:`crosstalk.studies.cohort`'s. :func:`rebuild_cohort_report` draws the figure and writes the table
(``summary.md``) again from a cohort's run directory, without simulating.
"""

from __future__ import annotations

from pathlib import Path

from matplotlib.figure import Figure

from crosstalk.files import write_atomic
from crosstalk.report.tables import write_cohort_table
from crosstalk.studies.cohort import CohortResult, read_cohort

__all__ = ["COHORT_ENDPOINTS", "cohort_figure", "rebuild_cohort_report", "write_cohort_figure", "write_cohort_report"]

#: Endpoints shown as histograms, left to right; an endpoint the model lacks is left out.
COHORT_ENDPOINTS: tuple[str, ...] = ("tumour_volume_change_percent", "lvef_drop_points", "lvef_nadir_percent",
                                     "il6_peak_fold", "nk_tumour_cells_mean", "exev_auc_particles_h_per_ml")


def cohort_figure(result: CohortResult) -> Figure | None:
    """A histogram per endpoint of :data:`COHORT_ENDPOINTS` the cohort has, and a bar chart of its fractions;
    None when it has none of those endpoints."""
    cols = [c for c in COHORT_ENDPOINTS if c in result.patients]
    if not cols:
        return None
    fig = Figure(figsize=(3.2 * (len(cols) + 1), 3))
    axes = fig.subplots(1, len(cols) + 1, squeeze=False)
    for ax, c in zip(axes[0], cols):
        ax.hist(result.patients[c].dropna(), bins=30, color="tab:blue", alpha=0.8)
        ax.set_title(c, fontsize=8)
    fractions = result.fractions_dict()
    ax = axes[0][-1]
    ax.bar(list(fractions), list(fractions.values()), color="tab:orange")
    ax.set_ylim(0, 1)
    ax.set_title("fractions", fontsize=8)
    ax.tick_params(axis="x", labelsize=6)
    fig.tight_layout()
    return fig


def write_cohort_figure(result: CohortResult, outdir: str | Path) -> Path | None:
    """Write :func:`cohort_figure` to ``outdir/cohort.png`` atomically; None (nothing written) without endpoints."""
    fig = cohort_figure(result)
    if fig is None:
        return None
    return write_atomic(Path(outdir) / "cohort.png", lambda tmp: fig.savefig(tmp, format="png", dpi=100))


def write_cohort_report(result: CohortResult, outdir: str | Path) -> list[Path]:
    """What a cohort's reader reads, beside its data: ``summary.md``
    (:func:`~crosstalk.report.tables.write_cohort_table`) and, when it has the endpoints to draw, ``cohort.png``."""
    figure = write_cohort_figure(result, outdir)
    return [write_cohort_table(result, outdir), *([figure] if figure is not None else [])]


def rebuild_cohort_report(run_dir: str | Path, *, outdir: str | Path | None = None) -> list[Path]:
    """Write :func:`write_cohort_report` again for the cohort in ``run_dir``, from its files only
    (:func:`~crosstalk.studies.cohort.read_cohort`), into ``outdir`` (default: ``run_dir``).

    Raises
    ------
    InputError
        If ``run_dir`` is not a finished cohort run (naming what is missing).
    """
    return write_cohort_report(read_cohort(run_dir), run_dir if outdir is None else outdir)
