"""How quickly the explorer answers a change: one tab's session on ``aerobic_during_ac`` (180 days, 36 bouts, AC).

Run from the repository root (``make bench`` runs it, ~1 min)::

    python benchmarks/bench_explorer.py

Measures, in one process as the served page runs it: the first answer (compiling the composed model and the
sedentary reference), then 20 changes of the controls (sessions a week, minutes, intensity, modality, window,
each a re-simulation on the warm simulator with the cached sedentary run), building and serialising the plots
the page sends (the browser draws them), and a change of regimen (which re-runs the sedentary reference too).
The target is well under a second per change on this machine. Writes ``benchmarks/results_explorer.json``.
"""

from __future__ import annotations

import json
import statistics
import time
import warnings
from pathlib import Path

from bokeh.document import Document
from bokeh.models import ColumnDataSource

from crosstalk.explore.app import _panels
from crosstalk.explore.figures import TimeCourses
from crosstalk.explore.prescription import Prescription
from crosstalk.explore.session import ExplorerSession
from crosstalk.sim.result import versions

REPO = Path(__file__).resolve().parent.parent


def main() -> None:
    warnings.simplefilter("ignore")
    t0 = time.perf_counter()
    session = ExplorerSession("aerobic_during_ac")
    session.run()
    first = time.perf_counter() - t0
    changes = [Prescription(sessions_per_week=n, window="as in the scenario") for n in (1, 2, 4, 5, 6, 7)]
    changes += [Prescription(minutes=m, window="as in the scenario") for m in (20, 30, 60, 90)]
    changes += [Prescription(intensity=i, window="as in the scenario") for i in (0.4, 0.5, 0.8, 0.9)]
    changes += [Prescription(modality=m, window="as in the scenario") for m in ("resistance", "hiit")]
    changes += [Prescription(window=w) for w in ("during chemotherapy", "after chemotherapy", "before each dose",
                                                   "throughout")]
    simulate_s, figure_s = [], []
    courses, shown = TimeCourses(), None
    for p in changes:
        t = time.perf_counter()
        outcome = session.update(p)
        simulate_s.append(time.perf_counter() - t)
        t = time.perf_counter()
        layout = courses.show(outcome.result, outcome.reference, _panels(outcome))
        if layout is not shown:  # a new figure: its whole model is serialised; else only the new data
            Document().add_root(layout)
            shown = layout
        for source in layout.select({"type": ColumnDataSource}):
            json.dumps({k: list(v) for k, v in source.data.items()}, default=float)
        figure_s.append(time.perf_counter() - t)
    t = time.perf_counter()
    session.update(regimen="AC + dexrazoxane")
    regimen = time.perf_counter() - t
    total = [a + b for a, b in zip(simulate_s, figure_s)]
    fig = {"date": time.strftime("%Y-%m-%d"), "versions": versions(), "scenario": "aerobic_during_ac",
           "changes": len(changes), "first_answer_s": first, "simulate_median_s": statistics.median(simulate_s),
           "simulate_max_s": max(simulate_s), "figure_median_s": statistics.median(figure_s),
           "change_median_s": statistics.median(total), "change_max_s": max(total),
           "regimen_change_s": regimen}
    out = REPO / "benchmarks" / "results_explorer.json"
    out.write_text(json.dumps(fig, indent=2, default=str), encoding="utf-8")
    for k, v in fig.items():
        print(f"{k}: {v:.3f}" if isinstance(v, float) else f"{k}: {v}")


if __name__ == "__main__":
    main()
