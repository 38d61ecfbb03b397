"""The explorer's time courses as interactive Bokeh plots, drawn in the browser.

The report figures (:func:`crosstalk.report.plots.result_figure`) are matplotlib images; laying out and drawing
one takes about a second here, more than the simulation it shows, so the page sends the series instead and the
browser draws them (zoom into a bout to see its peak). Every point the simulation recorded is sent (the series
resolves each session and infusion), so each peak is the one the endpoints report.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd
from bokeh.layouts import column, row
from bokeh.models import ColumnDataSource, FactorRange, Range1d
from bokeh.models.annotations import Title
from bokeh.plotting import figure

from crosstalk.model.observables import OBSERVABLES
from crosstalk.report.numbers import pretty_unit
from crosstalk.sim.result import Result

__all__ = ["TimeCourses", "front_plot"]

_SESSION = "#ff7f0e"
_DOSES = ("#9467bd", "#d62728", "#2ca02c", "#8c564b", "#e377c2")
_LINE = "#1f77b4"
#: Left border of every plot and strip (px): wide enough for the longest drug name, so the time axes line up.
_LEFT_BORDER = 110


class TimeCourses:
    """The schedule strip and one plot per observable, the sedentary reference dashed behind.

    Built once per set of panels; a new result only replaces the plots' data (the browser redraws them), which is
    what keeps a change of the controls well under a second.

    Parameters
    ----------
    width : int
        Width of the whole figure in pixels (two plots a row).
    """

    def __init__(self, *, width: int = 920) -> None:
        self.width = width
        self._key: tuple[object, ...] = ()
        self._sources: dict[str, ColumnDataSource] = {}
        self.layout: object = None

    def show(self, result: Result, reference: Result, panels: Sequence[str]) -> object:
        """The figure of ``result`` against ``reference``: the same layout object with new data when the panels,
        their axis types and the schedule's rows are unchanged, else a new one.

        Parameters
        ----------
        result, reference : Result
            The explored scenario and sedentary care.
        panels : sequence of str
            Observables to plot (log axes where the observable's manifest asks for one and every value is
            positive).

        Returns
        -------
        bokeh.models.Column
            The strip above the grid of plots (their time axes linked).
        """
        meta = {o.name: o for o in OBSERVABLES}
        ts, ref = result.timeseries, reference.timeseries
        logs = tuple(meta[n].log_scale and bool((ts[n] > 0).any()) for n in panels)
        compiled = result.compiled
        drugs = tuple(sorted({a.drug for a in compiled.administrations}))
        rows = (("exercise",) if compiled.sessions else ()) + drugs
        key = (tuple(panels), logs, rows)
        if key != self._key:
            self._build(panels, logs, rows)
            self._key = key
        self._x_range.start, self._x_range.end = float(ts["time_h"].iloc[0] / 24), float(ts["time_h"].iloc[-1] / 24)
        for name, log in zip(panels, logs):
            shown = []
            for key_, frame in ((name, ts), ("ref:" + name, ref)):
                y = frame[name].to_numpy(dtype=float)
                if log:  # a log axis leaves out what it cannot show (a drug before its first dose) as a gap
                    y = np.where(y > 0, y, np.nan)
                self._sources[key_].data = {"x": frame["time_h"].to_numpy() / 24.0, "y": y}
                shown.append(y)
            if log:  # as the report figures: at most four decades below the peak (solver-level tails are not news)
                positive = np.concatenate(shown)
                positive = positive[positive > 0]
                top = float(positive.max())
                self._y_ranges[name].start = max(float(positive.min()) * 0.8, top * 1e-4)
                self._y_ranges[name].end = top * 1.6
        for name in panels:  # a band was of the result before this one
            self._sources["band:" + name].data = {"x": [], "lower": [], "upper": []}
        sessions = compiled.sessions
        self._sources["sessions"].data = {"x": [x.start_h / 24 for x in sessions], "y": ["exercise"] * len(sessions)}
        for drug in drugs:
            at = [a.start_h / 24 for a in compiled.administrations if a.drug == drug]
            self._sources["dose:" + drug].data = {"x": at, "y": [drug] * len(at)}
        title = self._strip.title
        if isinstance(title, Title):  # changed in place: a new Title object is not sent to a page already open
            title.text = f"{result.scenario.name}: schedule"
        return self.layout

    def show_bands(self, bands: Mapping[str, tuple[Any, Any, Any]]) -> None:
        """Draw 95 % bands behind the plotted lines: observable -> (time in hours, lower, upper)."""
        for name, (time_h, lower, upper) in bands.items():
            if "band:" + name in self._sources:
                self._sources["band:" + name].data = {"x": np.asarray(time_h) / 24.0, "lower": np.asarray(lower),
                                                      "upper": np.asarray(upper)}

    def _build(self, panels: Sequence[str], logs: Sequence[bool], rows: tuple[str, ...]) -> None:
        meta = {o.name: o for o in OBSERVABLES}
        self._x_range = Range1d(start=0.0, end=1.0)
        self._sources = {"sessions": ColumnDataSource({"x": [], "y": []})}
        self._y_ranges: dict[str, Range1d] = {}
        # one strip above each column of plots, with the plots' width and left border, so a dose sits above its
        # effect in both columns
        strips = [figure(height=40 + 22 * max(len(rows), 1), width=self.width // 2, x_range=self._x_range,
                         y_range=FactorRange(factors=list(reversed(rows)) or ["none"]), toolbar_location=None,
                         title="schedule" if k == 0 else "sedentary care dashed", min_border_left=_LEFT_BORDER)
                  for k in range(2)]
        for drug in (d for d in rows if d != "exercise"):
            self._sources["dose:" + drug] = ColumnDataSource({"x": [], "y": []})
        for strip in strips:
            # each session a vertical tick of fixed pixel size: a 45-minute bout is 0.02 % of a 180-day axis
            strip.scatter("x", "y", source=self._sources["sessions"], marker="dash", angle=math.pi / 2, size=14,
                          line_width=2, color=_SESSION)
            for k, drug in enumerate(d for d in rows if d != "exercise"):
                strip.scatter("x", "y", source=self._sources["dose:" + drug], marker="inverted_triangle", size=9,
                              color=_DOSES[k % len(_DOSES)])
            strip.xaxis.visible = False
            strip.ygrid.grid_line_color = None
        plots = []
        for name, log in zip(panels, logs):
            o = meta[name]
            p = figure(height=210, width=self.width // 2, x_range=self._x_range,
                       y_axis_type="log" if log else "linear", title=f"{o.short_label} [{pretty_unit(o.unit)}]",
                       tools="xpan,xwheel_zoom,box_zoom,reset,save", min_border_left=_LEFT_BORDER,
                       toolbar_location="above")  # beside the title: a toolbar at the side narrows the frame
            if log:  # set from the data at every update
                p.y_range = self._y_ranges[name] = Range1d(start=1.0, end=10.0)
            p.toolbar.autohide = True
            self._sources["ref:" + name] = ColumnDataSource({"x": [], "y": []})
            self._sources[name] = ColumnDataSource({"x": [], "y": []})
            self._sources["band:" + name] = ColumnDataSource({"x": [], "lower": [], "upper": []})
            p.varea(x="x", y1="lower", y2="upper", source=self._sources["band:" + name], fill_color=_LINE,
                    fill_alpha=0.18)
            p.line("x", "y", source=self._sources["ref:" + name], line_dash="dashed", color="#888888",
                   line_width=1.2)
            p.line("x", "y", source=self._sources[name], color=_LINE, line_width=1.4)
            p.xaxis.axis_label = "time [days]"
            plots.append(p)
        self._strip = strips[0]
        # rows of plain plots: Panel's Bokeh pane lays a gridplot out at zero size
        self.layout = column(row(*strips), *(row(*plots[i:i + 2]) for i in range(0, len(plots), 2)))


def front_plot(front: pd.DataFrame, *, x: str, y: str, labels: Sequence[str], width: int = 600) -> tuple[figure,
                                                                                                    ColumnDataSource]:
    """The Pareto front of an optimisation as a scatter to pick from (tap a point; hover shows the prescription).

    Parameters
    ----------
    front : DataFrame
        ``front.csv`` of the run.
    x, y : str
        Columns on the axes (objectives, or a decision when there is one objective).
    labels : sequence of str
        Each row's prescription in words.
    width : int
        Width in pixels.

    Returns
    -------
    (figure, ColumnDataSource)
        The plot and its data; the source's ``selected.indices`` is the picked row.
    """
    source = ColumnDataSource({"x": front[x].to_numpy(dtype=float), "y": front[y].to_numpy(dtype=float),
                               "label": list(labels)})
    plot = figure(width=width, height=320, tools="tap,hover,box_zoom,reset", title="Pareto front: tap a prescription",
                  tooltips=[("prescription", "@label"), (x, "@x{0.000}"), (y, "@y{0.000}")])
    plot.scatter("x", "y", source=source, size=11, color=_LINE, selection_color="#d62728",
                 nonselection_alpha=0.4)
    plot.xaxis.axis_label, plot.yaxis.axis_label = x, y
    return plot, source
