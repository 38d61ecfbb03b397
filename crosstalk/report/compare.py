"""The comparison figure: key observables of several scenarios overlaid (``compare.png``).

Drawn on a :class:`matplotlib.figure.Figure` (no pyplot, no backend change); the data of a comparison (endpoint
table) is :mod:`crosstalk.studies.compare`'s.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from matplotlib.figure import Figure

from crosstalk.files import write_atomic
from crosstalk.model.observables import OBSERVABLES
from crosstalk.sim.result import Result

__all__ = ["COMPARE_OBSERVABLES", "compare_figure", "write_compare_figure"]

#: Panels of the comparison figure, top to bottom; an observable one of the results lacks is left out.
COMPARE_OBSERVABLES: tuple[str, ...] = ("tumour_volume_mm3", "lvef_percent", "il6_pg_per_ml", "exev_per_ml",
                                        "nk_blood_per_ul")


def compare_figure(results: Sequence[Result]) -> Figure | None:
    """The observables of :data:`COMPARE_OBSERVABLES` that every result has, one panel each, one line per
    scenario against days; None when the results share none of them."""
    meta = {o.name: o for o in OBSERVABLES}
    panels = [c for c in COMPARE_OBSERVABLES if results and all(c in r.timeseries for r in results)]
    if not panels:
        return None
    fig = Figure(figsize=(9, 2.3 * len(panels)))
    axes = fig.subplots(len(panels), 1, sharex=True, squeeze=False)
    for ax, name in zip(axes[:, 0], panels):
        for r in results:
            ts = r.timeseries
            ax.plot(ts["time_h"] / 24.0, ts[name], lw=1.3, label=r.scenario.name)
        ax.set_ylabel(f"{meta[name].description}\n[{meta[name].unit}]", fontsize=8)
        ax.grid(alpha=0.3)
    axes[0, 0].legend(fontsize=7)
    axes[-1, 0].set_xlabel("time [days]")
    fig.tight_layout()
    return fig


def write_compare_figure(results: Sequence[Result], outdir: str | Path) -> Path | None:
    """Write :func:`compare_figure` to ``outdir/compare.png`` atomically; None (nothing written) without panels."""
    fig = compare_figure(results)
    if fig is None:
        return None
    return write_atomic(Path(outdir) / "compare.png", lambda tmp: fig.savefig(tmp, format="png", dpi=100))
