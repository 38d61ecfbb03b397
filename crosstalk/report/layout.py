"""What every figure shares: units as people write them, axis scales, the schedule strip, and a check that no
drawn text overlaps another.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence

import numpy as np
import numpy.typing as npt
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.text import Text
from matplotlib.ticker import EngFormatter

from crosstalk.plan.timeline import Administration, Session
from crosstalk.report.numbers import pretty_unit

__all__ = ["SESSION_COLOUR", "draw_schedule", "overlapping_texts", "pretty_unit", "scale_axis"]

SESSION_COLOUR = "tab:orange"
DOSE_COLOURS = ("tab:purple", "tab:red", "tab:green", "tab:brown", "tab:pink")

def scale_axis(ax: Axes, values: npt.ArrayLike, *, log: bool, decades: float = 4.0) -> None:
    """A log axis for ``log`` observables, showing ``decades`` below the peak (or down to the smallest positive
    value, when that is higher): solver-level tails are not clinically meaningful."""
    y = np.asarray(values, dtype=float)
    if not log:
        if y.size and float(np.nanmax(np.abs(y))) >= 1e4:  # 12.5M, not 1.25 with a "1e7" over the title
            ax.yaxis.set_major_formatter(EngFormatter(sep=""))
        return
    positive = y[y > 0]
    if positive.size == 0:
        return
    top = float(positive.max())
    ax.set_yscale("log")
    ax.set_ylim(max(float(positive.min()) * 0.8, top * 10.0**-decades), top * 1.6)


def draw_schedule(ax: Axes, sessions: Sequence[Session], doses: Sequence[Administration], *, days: bool) -> None:
    """The schedule strip: one row of exercise sessions and one per drug, each event a mark wide enough to see on
    a 180-day axis (a 45-minute bout is 0.02 % of it)."""
    scale = 24.0 if days else 1.0
    drugs = sorted({a.drug for a in doses})
    rows = (["exercise"] if sessions else []) + drugs  # top to bottom
    level = {name: len(rows) - 1 - k for k, name in enumerate(rows)}
    if sessions:
        y = level["exercise"]
        ax.vlines([s.start_h / scale for s in sessions], y - 0.35, y + 0.35, color=SESSION_COLOUR, lw=1.2)
    for k, drug in enumerate(drugs):
        at = [a.start_h / scale for a in doses if a.drug == drug]
        ax.plot(at, [level[drug]] * len(at), ls="none", marker="v", ms=5, color=DOSE_COLOURS[k % len(DOSE_COLOURS)])
    ax.set_yticks([level[r] for r in rows], rows, fontsize=7)
    ax.set_ylim(-0.6, len(rows) - 0.4)
    ax.tick_params(axis="y", length=0)
    for side in ("top", "right", "left"):
        ax.spines[side].set_visible(False)
    ax.grid(axis="x", alpha=0.3)


def overlapping_texts(fig: Figure, *, pad: float = 0.0) -> list[tuple[str, str]]:
    """Pairs of visible, non-empty texts whose drawn boxes overlap (in display pixels), after drawing ``fig``.

    Tick labels are compared with the other texts and with the other labels of their own axis (crowded labels, e.g.
    "556.197G" six times on one axis), not with another axis's (the x and y labels meeting at a corner)."""
    canvas = FigureCanvasAgg(fig)
    canvas.draw()  # type: ignore[no-untyped-call]
    renderer = canvas.get_renderer()  # type: ignore[no-untyped-call]
    texts = [t for t in fig.findobj(Text) if isinstance(t, Text) and t.get_visible() and t.get_text().strip()
             and _shown(t)]
    boxes = [(t, t.get_window_extent(renderer).expanded(1.0 + pad, 1.0 + pad)) for t in texts]
    ticks = {id(t): id(axis) for ax in fig.axes for axis in (ax.xaxis, ax.yaxis) for t in
             [*axis.get_ticklabels(), *axis.get_ticklabels(minor=True)]}
    out = []
    for (a, box_a), (b, box_b) in itertools.combinations(boxes, 2):
        if id(a) in ticks and id(b) in ticks and ticks[id(a)] != ticks[id(b)]:
            continue
        if box_a.width and box_b.width and box_a.overlaps(box_b):
            out.append((a.get_text(), b.get_text()))
    return out


def _shown(text: Text) -> bool:
    """False for the texts of an axes that is hidden (unused panels of a grid keep their tick labels)."""
    ax = text.axes
    return ax is None or ax.get_visible()
