"""The explorer's page: controls in the words of a prescription, time courses against sedentary care, the
endpoint table and downloads (Panel).

Panel was chosen over Dash because the same objects run in a Jupyter notebook and as a served page, its widgets
are plain Python objects (testable without a browser), and it serves its own JavaScript (no CDN: these machines
have no internet). Every browser tab calls :func:`create_app` and gets its own
:class:`~crosstalk.explore.session.ExplorerSession`.
"""

from __future__ import annotations

import html
from collections.abc import Callable
from dataclasses import replace
from typing import Any

import pandas as pd
import panel as pn

from crosstalk.calibrate.uncertainty import UncertaintyResult
from crosstalk.errors import CrosstalkError
from crosstalk.explore.background import BackgroundRun
from crosstalk.explore.figures import TimeCourses, front_plot
from crosstalk.explore.prescription import REGIMENS, WINDOWS, Prescription
from crosstalk.explore.session import (
    MAX_COHORT,
    MAX_ENSEMBLE,
    ExplorerSession,
    Outcome,
    read_upload,
    run_cohort_pair,
    run_ensemble_pair,
)
from crosstalk.report.html import table_html
from crosstalk.report.numbers import denoise, format_difference, format_nnt, pretty_unit
from crosstalk.report.uncertainty import bands_of
from crosstalk.spec.scenario import Scenario, builtin_scenario_names, load_scenario
from crosstalk.studies.compare import CohortComparison
from crosstalk.studies.executors import Watch
from crosstalk.studies.optimise.search import OptimisationResult
from crosstalk.studies.optimise.spec import describe, prescribe

__all__ = ["PANELS", "create_app"]

#: Time courses the page draws (those the scenario's model has).
PANELS: tuple[str, ...] = ("tumour_volume_mm3", "lvef_percent", "nk_blood_per_ul", "nk_tumour_cells",
                           "il6_pg_per_ml", "doxorubicin_plasma_ng_per_ml", "pembrolizumab_plasma_ug_per_ml",
                           "dexrazoxane_plasma_ug_per_ml")

_CSS = """
.ct-endpoints { border-collapse: collapse; font-size: 13px; }
.ct-endpoints th, .ct-endpoints td { padding: 3px 8px; border-bottom: 1px solid #ddd; text-align: right; }
.ct-endpoints th:first-child, .ct-endpoints td:first-child { text-align: left; }
.ct-cards { display: flex; flex-wrap: wrap; gap: 10px; }
.ct-card { border: 1px solid #ccd; border-radius: 6px; padding: 6px 10px; min-width: 150px; }
.ct-label { font-size: 12px; color: #555; }
.ct-value { font-size: 20px; font-weight: 600; }
.ct-ref { font-size: 11px; color: #666; }
"""


def _endpoint_html(header: list[str], rows: list[list[str]]) -> str:
    return table_html(header, rows, table_id="endpoints", css_class="ct-endpoints", row_attribute="data-endpoint")


#: The endpoints the headline shows (label, endpoint), when the scenario has them.
HEADLINE: tuple[tuple[str, str], ...] = (("Tumour volume change", "tumour_volume_change_percent"),
                                         ("LVEF nadir", "lvef_nadir_percent"),
                                         ("LVEF drop", "lvef_drop_points"),
                                         ("Tumour NK cells (mean)", "nk_tumour_cells_mean"),
                                         ("IL-6 peak", "il6_peak_fold"))


def _panels(outcome: Outcome) -> list[str]:
    """The time courses to draw: :data:`PANELS` the model has, flat ones left out except the tumour and LVEF."""
    ts, ref = outcome.result.timeseries, outcome.reference.timeseries
    keep = ("tumour_volume_mm3", "lvef_percent")
    return [c for c in PANELS if c in ts.columns and (c in keep or ts[c].max() > ts[c].min()
                                                      or ref[c].max() > ref[c].min())]


def _headline(outcome: Outcome, table_rows: list[list[str]]) -> str:
    """The answer first: the main endpoints with sedentary care and the difference (``table_rows``: the endpoint
    table's rows for reading)."""
    rows = {r[0]: r for r in table_rows}
    cells = []
    for label, name in HEADLINE:
        if name in rows:
            _, unit, sedentary, explored, difference = rows[name][:5]
            value = outcome.result.endpoints.get(name)
            cells.append(f'<div class="ct-card" data-endpoint="{name}" data-value="{value!r}">'
                         f'<div class="ct-label">{label}</div>'
                         f'<div class="ct-value">{html.escape(explored)} {html.escape(unit)}</div>'
                         f'<div class="ct-ref">sedentary {html.escape(sedentary)}; difference '
                         f'{html.escape(difference)}</div></div>')
    return '<div class="ct-cards">' + "".join(cells) + "</div>"


def create_app(scenario: str | None = None, *, optimisation: OptimisationResult | None = None
               ) -> pn.viewable.Viewable:
    """The explorer page for one browser tab.

    Parameters
    ----------
    scenario : str, optional
        A built-in scenario name to start from (default ``aerobic_during_ac``).
    optimisation : OptimisationResult, optional
        A finished ``crosstalk optimise`` run whose front the page shows; picking a prescription on it loads
        that prescription (on the spec's base scenario).

    Returns
    -------
    panel.viewable.Viewable
        Serve it (:func:`crosstalk.explore.serve`) or show it in a notebook.
    """
    pn.extension(raw_css=[_CSS])
    names = list(builtin_scenario_names())
    start = scenario or "aerobic_during_ac"
    session = ExplorerSession(load_scenario(start))
    p = session.prescription

    pick = pn.widgets.Select(name="Built-in scenario", options=names, value=start if start in names else names[0])
    upload = pn.widgets.FileInput(accept=".toml", name="Or upload a scenario file")
    about = pn.pane.Markdown("", sizing_mode="stretch_width", css_classes=["ct-about"])
    modality = pn.widgets.RadioButtonGroup(name="Modality", options=["aerobic", "resistance", "hiit"],
                                           value=p.modality, css_classes=["ct-modality"])
    sessions = pn.widgets.RadioButtonGroup(name="Sessions a week", options=[1, 2, 3, 4, 5, 6, 7],
                                           value=p.sessions_per_week, css_classes=["ct-sessions"])
    minutes = pn.widgets.IntSlider(name="Minutes per session", start=10, end=120, step=5, value=int(p.minutes))
    intensity = pn.widgets.IntSlider(name="Intensity (% VO2max)", start=30, end=95, step=5,
                                     value=round(p.intensity * 100))
    adherence = pn.widgets.IntSlider(name="Adherence (% of sessions done)", start=0, end=100, step=5,
                                     value=round(p.adherence * 100))
    window = pn.widgets.Select(name="When", options=list(WINDOWS), value=p.window)
    regimen = pn.widgets.Select(name="Regimen", options=list(REGIMENS), value=session.regimen)
    sensitivity = pn.widgets.FloatSlider(name="Cardiac sensitivity (x the median patient)", start=0.25, end=5.0,
                                         step=0.25, value=session.cardiac_sensitivity)
    follow_up = pn.widgets.IntSlider(name="Days simulated", start=1, end=730, step=1,
                                     value=int(session.duration_days))
    # the tumour is read before surgery while the heart is followed for a year (0: at the end)
    assessed = pn.widgets.IntSlider(name="Tumour read on day (0: at the end)", start=0, end=730, step=1,
                                    value=int(session.tumour_assessment_day), css_classes=["ct-assessment"])
    controls = (modality, sessions, minutes, intensity, adherence, window, regimen, sensitivity, follow_up, assessed)
    message = pn.pane.Alert("", alert_type="danger", visible=False, css_classes=["ct-message"])
    status = pn.pane.Markdown("", css_classes=["ct-status"])
    courses = TimeCourses()
    figure = pn.pane.Bokeh(None)
    headline = pn.pane.HTML("", sizing_mode="stretch_width")
    table = pn.pane.HTML("", sizing_mode="stretch_width")
    last: dict[str, Outcome] = {}
    loading: list[bool] = []
    cohort = BackgroundRun(
        key="cohort", title="### Cohort: risks over virtual patients (the scenario's `[cohort]` section, or the "
                            "default population of its species)",
        size_label="Virtual patients per arm", size=100, size_max=MAX_COHORT,
        job=lambda n, seed, watch: _cohort_job(session.scenario(), n, seed, watch), render=_cohort_render,
        fail=lambda err: fail(err))
    intervals = BackgroundRun(
        key="intervals", title="### Intervals over the parameters' uncertainty (each set re-calibrated to the "
                               "anchored data, as `--uncertainty N` does)",
        size_label="Parameter sets", size=40, size_max=MAX_ENSEMBLE,
        job=lambda n, seed, watch: _intervals_job(last["outcome"], n, seed, watch), render=_intervals_render,
        fail=lambda err: fail(err), done=lambda result: show_bands(result))

    def show(outcome: Outcome) -> None:
        last["outcome"] = outcome
        s = outcome.scenario
        lvef = outcome.result.endpoints.get("lvef_nadir_percent")
        about.object = (f"**{html.escape(s.name)}**: {s.species}, model `{s.model}`, {s.duration_days:g} days. "
                        f"{html.escape(s.description)}")
        status.object = ("Simulated in the page: the same as `crosstalk simulate` on the downloaded TOML."
                         + (f" LVEF nadir {lvef:.2f} %." if isinstance(lvef, float) else "")
                         + ("".join(f"<br><small>{html.escape(w)}</small>" for w in outcome.warnings)))
        layout = courses.show(outcome.result, outcome.reference, _panels(outcome))
        if layout is not figure.object:
            figure.object = layout
        header, rows = outcome.endpoint_rows()
        headline.object = _headline(outcome, rows)
        table.object = _endpoint_html(header, rows)
        sessions.disabled = not session.weekly_sessions_apply()
        cohort.clear()  # its results were of the scenario before this change
        intervals.clear()
        message.visible = False

    def show_bands(result: UncertaintyResult) -> None:
        outcome = last["outcome"]
        if outcome.scenario.name in result.runs and result.runs[outcome.scenario.name].scenario == outcome.scenario:
            courses.show_bands(bands_of(result, outcome.scenario.name))

    def fail(err: Exception) -> None:
        message.object = str(err)
        message.visible = True

    def controls_changed(*_: Any) -> None:
        if loading:  # a scenario being loaded sets every control at once: one simulation, not seven
            return
        v: dict[int, Any] = {id(w): w.value for w in controls}
        try:
            chosen = Prescription(modality=v[id(modality)], sessions_per_week=int(v[id(sessions)]),
                                  minutes=float(v[id(minutes)]), intensity=v[id(intensity)] / 100.0,
                                  window=v[id(window)], adherence=v[id(adherence)] / 100.0)
            show(session.update(chosen, regimen=v[id(regimen)], cardiac_sensitivity=float(v[id(sensitivity)]),
                                duration_days=float(v[id(follow_up)]),
                                tumour_assessment_day=float(v[id(assessed)])))
        except CrosstalkError as err:
            fail(err)

    def load_base(scenario_obj: Scenario) -> None:
        outcome = session.load(scenario_obj)  # raises before anything changes
        q = session.prescription
        loading.append(True)
        try:
            for w, v in ((modality, q.modality), (sessions, q.sessions_per_week), (minutes, int(q.minutes)),
                         (intensity, round(q.intensity * 100)), (adherence, round(q.adherence * 100)),
                         (window, q.window), (regimen, session.regimen),
                         (sensitivity, session.cardiac_sensitivity), (follow_up, int(session.duration_days)),
                         (assessed, int(session.tumour_assessment_day))):
                if isinstance(w, (pn.widgets.IntSlider, pn.widgets.FloatSlider)):
                    # a slider widens to show a file's value outside its usual range
                    w.param.update(start=min(w.start, v), end=max(w.end, v))
                w.value = v
        finally:
            loading.clear()
        show(outcome)

    def picked(event: Any) -> None:
        try:
            load_base(load_scenario(event.new))
        except CrosstalkError as err:
            fail(err)

    def uploaded(event: Any) -> None:
        if event.new is None:
            return
        try:
            load_base(read_upload(event.new, upload.filename or ""))
        except CrosstalkError as err:
            fail(err)

    load_base(session.base)
    for w in controls:
        w.param.watch(controls_changed, "value")
    pick.param.watch(picked, "value")
    upload.param.watch(uploaded, "value")

    downloads = pn.Row(
        pn.widgets.FileDownload(callback=lambda: session.as_file(session.scenario_toml()), filename="scenario.toml",
                                label="Scenario (TOML)", button_type="primary", css_classes=["ct-download-toml"]),
        pn.widgets.FileDownload(callback=_csv(last, "timeseries"), filename="timeseries.csv",
                                label="Time courses (CSV)"),
        pn.widgets.FileDownload(callback=_csv(last, "endpoints"), filename="endpoints.csv", label="Endpoints (CSV)"),
    )
    sidebar = pn.Column(
        "## crosstalk explorer", pick, upload, pn.pane.Markdown("### Prescription"), "Modality", modality,
        "Sessions a week", sessions, minutes, intensity, adherence, window, pn.pane.Markdown("### Treatment"),
        regimen, pn.pane.Markdown("### Patient and follow-up"), sensitivity, follow_up, assessed, downloads,
        width=380)
    heading = pn.pane.Markdown("### Endpoints (difference: this prescription minus sedentary care)")
    sections = [] if optimisation is None else [_front_section(optimisation, load_base, fail)]
    main = pn.Column(message, *sections, about, headline, status, figure, heading, table, intervals.view,
                     cohort.view, sizing_mode="stretch_width")
    return pn.Row(sidebar, main, sizing_mode="stretch_width")


def _front_section(result: OptimisationResult, load: Callable[[Scenario], None],
                   fail: Callable[[Exception], None]) -> pn.viewable.Viewable:
    """The run's Pareto front; tapping a point (or choosing it from the list) loads that prescription."""
    spec, front = result.spec, result.front.reset_index(drop=True)
    labels = [describe(spec, row) for row in front.to_dict("records")]
    objectives = [o.label for o in spec.objectives]
    numeric = [d.name for d in spec.decisions if pd.api.types.is_numeric_dtype(front[d.name])]
    x, y = (objectives[0], objectives[1]) if len(objectives) > 1 else ((numeric or ["candidate"])[0], objectives[0])
    plot, source = front_plot(front, x=x, y=y, labels=labels)
    options = {f"{k + 1}. {label}": k for k, label in enumerate(labels)}
    choose = pn.widgets.Select(name="Prescription on the front", options={"(choose)": -1, **options}, value=-1,
                               css_classes=["ct-front-choice"], width=600)

    def picked(event: Any) -> None:
        k = int(event.new)
        if k < 0:
            return
        try:
            row = front.iloc[k].to_dict()
            base = spec.base_scenario
            # the base's own description names its own prescription, not the one picked
            load(replace(prescribe(base, {d.name: row[d.name] for d in spec.decisions}),
                         name=f"{base.name}-front-{k + 1}",
                         description=f"Prescription {k + 1} of the front of optimisation {spec.name}: "
                                     f"{labels[k]}; otherwise as {base.name}."))
        except CrosstalkError as err:
            fail(err)

    def tapped(_attr: str, _old: Any, new: list[int]) -> None:
        if new:
            choose.value = int(new[0])

    choose.param.watch(picked, "value")
    source.selected.on_change("indices", tapped)
    plural = "" if len(front) == 1 else "s"
    title = (f"### Optimisation `{html.escape(spec.name)}`: {len(front)} prescription{plural} on the front\n"
             f"Its values are over the run's {spec.patients} virtual patients; a prescription picked here runs on "
             "the spec's base patient, against sedentary care.")
    return pn.Column(pn.pane.Markdown(title),
                     pn.pane.Bokeh(plot), choose, sizing_mode="stretch_width")


def _risk_html(result: CohortComparison) -> str:
    """Risks in both arms, the difference with its interval and the NNT, one row per outcome."""
    rows = [[r["outcome"], f'{r["reference_risk"]:.3f}', f'{r["risk"]:.3f}',
             f'{r["risk_difference"]:+.3f} ({r["ci_low"]:+.3f} to {r["ci_high"]:+.3f})',
             format_nnt(r["nnt"], r["nnt_kind"])] for r in result.risks.to_dict("records")]
    return table_html(["outcome", "sedentary", "this prescription", "difference (95 % interval)", "NNT"], rows,
                      table_id="risks", css_class="ct-endpoints", row_attribute="data-outcome")


def _cohort_job(scenario: Scenario, n: int, seed: int, watch: Watch) -> Callable[[], CohortComparison]:
    return lambda: run_cohort_pair(scenario, n, seed=seed, watch=watch)


def _cohort_render(result: CohortComparison, n: int, seed: int) -> tuple[str, str]:
    return (f"{n} virtual patients per arm (seed {seed}), the same patients in both arms. Intervals: 95 % bootstrap "
            "over patients with the model's parameters fixed.", _risk_html(result))


def _intervals_job(outcome: Outcome, n: int, seed: int, watch: Watch) -> Callable[[], UncertaintyResult]:
    return lambda: run_ensemble_pair(outcome, n, seed=seed, watch=watch, series=_panels(outcome))


def _intervals_render(result: UncertaintyResult, n: int, seed: int) -> tuple[str, str]:
    ran = len(next(iter(result.runs.values())).members) - result.uncalibrated
    said = (f"{n} parameter sets (seed {seed}); {result.uncalibrated} could not be re-calibrated and "
            f"{result.failed} simulations failed. Each set is its own control, so the difference is paired. The "
            f"band on the plots is the prescription's 95 % band over the {ran} sets.")
    rows: list[list[str]] = []
    scale = {(r["scenario"], r["endpoint"]): abs(float(r["point"])) for r in result.intervals.to_dict("records")}
    if result.differences is not None:
        for r in result.differences.to_dict("records"):
            if r.get("unit") in ("true/false", "class"):  # one patient's yes/no: its share of sets is not a risk
                continue
            size = scale.get((r["reference"], r["endpoint"]), 0.0)
            r = {**r, **{k: denoise(float(r[k]), size) for k in ("point", "median", "lower95", "upper95")}}
            better = r.get("probability_better")
            rows.append([r["endpoint"], pretty_unit(str(r.get("unit", ""))), format_difference(r["point"]),
                         format_difference(r["median"]),
                         f"{format_difference(r['lower95'])} to {format_difference(r['upper95'])}",
                         "" if better is None or better != better else f"{better:.0%}"])
    header = ["difference (prescription - sedentary)", "unit", "at the tables' values", "median", "95 % interval",
              "P(better)"]
    return said, table_html(header, rows, table_id="intervals", css_class="ct-endpoints",
                            row_attribute="data-endpoint")


def _csv(last: dict[str, Outcome], what: str) -> Callable[[], Any]:
    def make() -> Any:
        outcome = last["outcome"]
        text = outcome.timeseries_csv() if what == "timeseries" else outcome.endpoints_csv()
        return ExplorerSession.as_file(text)
    return make
