"""The report of one simulated scenario (``crosstalk simulate``): a self-contained ``report.html`` beside the
data (``timeseries.csv``, ``endpoints.json``, ``scenario.toml``) and ``summary.png``.

It shows what was simulated (the schedule in words and as a table), the time courses with every session and
infusion resolved (:func:`~crosstalk.report.plots.result_figure`), every endpoint with its unit and meaning, the
warnings raised while planning the run (e.g. a heart endpoint read before the heart could show it), and the
provenance needed to run it again.
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from pathlib import Path

from crosstalk.calibrate.uncertainty import UncertaintyResult
from crosstalk.files import write_text_atomic
from crosstalk.report.html import figure_tag, page, provenance_html, schedule_html, table_html, warnings_html
from crosstalk.report.numbers import endpoint_rows
from crosstalk.report.plots import result_figure
from crosstalk.report.uncertainty import bands_of, uncertainty_html
from crosstalk.sim.result import Result

__all__ = ["simulation_report_html", "write_simulation_report"]


def simulation_report_html(result: Result, *, warnings: Sequence[str] = (), reference: Result | None = None,
                           ensemble: UncertaintyResult | None = None) -> str:
    """The report page of ``result`` as one HTML string (figures embedded).

    Parameters
    ----------
    result : Result
        A finished run (its ``plan`` draws the schedule).
    warnings : sequence of str
        Messages to show above the numbers (the command line passes the warnings raised while loading and
        planning the scenario).
    reference : Result, optional
        Drawn behind in grey in the figure, e.g. sedentary care.
    ensemble : UncertaintyResult, optional
        The scenario over the parameter uncertainty (``--uncertainty``): 95 % bands in the figure, and the
        intervals and deciding parameters after the endpoints.
    """
    scenario = result.scenario
    bands = bands_of(ensemble, scenario.name) if ensemble is not None else None
    parts = [f"<p>{html.escape(scenario.description)}</p>" if scenario.description else "",
             warnings_html(warnings),
             "<h2>What was simulated</h2>", schedule_html(scenario),
             "<h2>Time courses</h2>",
             "<p class='small'>Samples are dense inside every exercise session and infusion and for 6 h after, so "
             "each drawn peak is the one the endpoints report. Orange marks: sessions; other marks: doses."
             + (" The shaded band holds 95 % of the parameter sets at each time (over parameter sets, not "
                "patients; the band of a peak need not hold the peak's interval: sets peak at different times)."
                if bands else "") + "</p>",
             figure_tag(result_figure(result, reference=reference, bands=bands), f"time courses of {scenario.name}"),
             "<h2>Endpoints</h2>",
             "<p class='small'>Folds and nadirs are relative to the value at the start (before any treatment). "
             "true/false endpoints are this one patient's; a cohort (<code>crosstalk cohort</code>) gives their "
             "risk.</p>",
             table_html(["endpoint", "value", "unit", "meaning"], endpoint_rows(result.endpoints)),
             uncertainty_html(ensemble) if ensemble is not None else "",
             "<h2>Files</h2><p><code>timeseries.csv</code> (every observable at every sample), "
             "<code>endpoints.json</code>, <code>scenario.toml</code> (run it again with <code>crosstalk simulate "
             "scenario.toml</code>), <code>summary.png</code>.</p>",
             provenance_html(result.provenance, spec_text=scenario.to_toml())]
    return page(f"crosstalk simulate: {scenario.name}", "\n".join(p for p in parts if p))


def write_simulation_report(result: Result, outdir: str | Path, *, warnings: Sequence[str] = (),
                            reference: Result | None = None, ensemble: UncertaintyResult | None = None) -> Path:
    """Write :func:`simulation_report_html` to ``outdir/report.html`` atomically; returns the path."""
    return write_text_atomic(Path(outdir) / "report.html",
                             simulation_report_html(result, warnings=warnings, reference=reference,
                                                    ensemble=ensemble))
