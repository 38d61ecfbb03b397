"""A study run off the page's thread (a cohort, an ensemble): its size and seed, run and cancel buttons, a progress
bar, a status line and the result, while the rest of the page stays usable."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import panel as pn

from crosstalk.errors import CrosstalkError
from crosstalk.studies.executors import Cancelled, Watch

__all__ = ["BackgroundRun"]


class BackgroundRun:
    """One kind of background study on the page.

    Parameters
    ----------
    key : str
        Names the widgets' CSS classes (``ct-run-<key>``, ``ct-cancel-<key>``, ``ct-<key>-status``,
        ``ct-<key>-size``), which the browser tests use.
    title : str
        Markdown heading of the section.
    size_label : str
        Label of the size input (e.g. "Virtual patients per arm").
    size, size_max : int
        Its default and largest value.
    job : callable
        ``job(size, seed, watch)``, called on the page's thread when the run starts (read the current scenario
        there), returns the work to do in the background: a callable of no argument.
    render : callable
        ``render(result, size, seed)`` -> (status line, HTML of the result).
    fail : callable
        Shows an error on the page.
    done : callable, optional
        Also called with the result (e.g. to draw bands on the plots).
    """

    def __init__(self, *, key: str, title: str, size_label: str, size: int, size_max: int,
                 job: Callable[[int, int, Watch], Callable[[], Any]],
                 render: Callable[[Any, int, int], tuple[str, str]], fail: Callable[[Exception], None],
                 done: Callable[[Any], None] | None = None) -> None:
        self.job, self.render, self.fail, self.done = job, render, fail, done
        self.doc = pn.state.curdoc
        self.size = pn.widgets.IntInput(name=size_label, value=size, start=2, end=size_max, step=10, width=180,
                                        css_classes=[f"ct-{key}-size"])
        self.seed = pn.widgets.IntInput(name="Seed", value=1, start=0, width=100)
        self.run = pn.widgets.Button(name="Run", button_type="primary", css_classes=[f"ct-run-{key}"], width=100)
        self.cancel = pn.widgets.Button(name="Cancel", disabled=True, css_classes=[f"ct-cancel-{key}"], width=100)
        self.bar = pn.indicators.Progress(value=0, max=100, visible=False, width=400)
        self.said = pn.pane.Markdown("", css_classes=[f"ct-{key}-status"])
        self.result = pn.pane.HTML("", sizing_mode="stretch_width")
        self.watch: Watch | None = None
        self.run.on_click(self.start)
        self.cancel.on_click(self.stop)
        if self.doc is not None:  # a closed tab stops its run
            pn.state.on_session_destroyed(lambda _context: self.stop(None))
        self.view = pn.Column(pn.pane.Markdown(title), pn.Row(self.size, self.seed, self.run, self.cancel), self.bar,
                              self.said, self.result, sizing_mode="stretch_width")

    def later(self, fn: Callable[[], None]) -> None:
        """Run ``fn`` on the page's own thread (widgets are not changed from the worker thread)."""
        if self.doc is not None:
            self.doc.add_next_tick_callback(fn)
        else:  # a notebook: no document loop to hand it to
            fn()

    def clear(self) -> None:
        """Forget the result shown (the controls changed); a running study goes on for the scenario it started."""
        if self.watch is None:
            self.result.object, self.said.object = "", ""

    def start(self, _event: Any) -> None:
        if self.watch is not None:  # one at a time
            return
        watch = Watch(report=lambda done, total: self.later(lambda: self.progress(watch, done, total)))
        try:
            size, seed = int(self.size.value or 0), int(self.seed.value or 0)
            work = self.job(size, seed, watch)
        except CrosstalkError as err:
            self.fail(err)
            return
        self.watch = watch
        self.run.disabled, self.cancel.disabled, self.bar.visible, self.bar.value = True, False, True, 0
        self.result.object, self.said.object = "", "Starting the workers..."

        def background() -> None:
            try:
                result = work()
            except Exception as err:  # shown in the page; the server keeps serving
                failure = err
                self.later(lambda: self.finished(None, failure, size, seed))
            else:
                self.later(lambda: self.finished(result, None, size, seed))

        threading.Thread(target=background, daemon=True, name="crosstalk-background").start()

    def progress(self, watch: Watch, done: int, total: int) -> None:
        if watch is self.watch and not watch.stop.is_set():
            self.bar.value = int(100 * done / total)
            self.said.object = f"Step {watch.runs}: {done} of {total} simulations."

    def stop(self, _event: Any) -> None:
        if self.watch is not None:
            self.watch.stop.set()
            self.said.object = "Cancelling after the running simulations finish..."

    def finished(self, result: Any, error: Exception | None, size: int, seed: int) -> None:
        self.watch = None
        self.run.disabled, self.cancel.disabled, self.bar.visible = False, True, False
        if isinstance(error, Cancelled):
            self.said.object = "Cancelled."
        elif error is not None:
            self.said.object = ""
            self.fail(error)
        else:
            self.said.object, self.result.object = self.render(result, size, seed)
            if self.done is not None:
                self.done(result)
