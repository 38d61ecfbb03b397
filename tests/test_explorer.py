"""The prescription explorer (`crosstalk explore`): its scenario building and session logic without a browser, and
the served page in Debian's chromium driven by Playwright (the page loads cleanly, a control changes the LVEF
shown to what `crosstalk simulate` gives for the downloaded TOML, a bad upload shows its one-line message and the
server keeps serving, tabs do not share state). Screenshots of each view are kept in build/screenshots/."""

from __future__ import annotations

import random
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from test_reports_render import browser  # noqa: F401  (the Debian-chromium fixture)

from crosstalk.cli import command_parser
from crosstalk.errors import InputError
from crosstalk.explore.figures import TimeCourses
from crosstalk.explore.prescription import (
    PREHABILITATION_DAYS,
    REGIMENS,
    WINDOWS,
    Prescription,
    build_scenario,
    chemotherapy_span,
    prescription_of,
)
from crosstalk.explore.session import MAX_UPLOAD_BYTES, ExplorerSession, read_upload, run_ensemble_pair
from crosstalk.report.uncertainty import bands_of
from crosstalk.sim.simulator import simulate
from crosstalk.spec.blocks import ExerciseRegime
from crosstalk.spec.scenario import Scenario, load_scenario

from conftest import REPO

SHOTS = REPO / "build" / "screenshots"
AC = load_scenario("ac_sedentary")


# ------------------------------------------------------------------------------------------ scenarios from controls
def test_the_scenarios_own_prescription_rebuilds_the_scenario_unchanged() -> None:
    for name in ("aerobic_during_ac", "ac_sedentary", "tumour_running", "bout_before_each_dose", "prehab_then_ac"):
        base = load_scenario(name)
        assert build_scenario(base, prescription_of(base)) == base, name


def test_each_window_places_the_sessions_relative_to_chemotherapy() -> None:
    first, last = chemotherapy_span(AC.dose)
    assert (first, last) == (0.0, 63.0)

    def regime(window: str) -> Any:
        return build_scenario(AC, Prescription(window=window, sessions_per_week=5)).exercise

    assert [(r.start_day, r.end_day) for r in regime("during chemotherapy")] == [(0.0, 84.0)]
    assert [(r.start_day, r.end_day) for r in regime("after chemotherapy")] == [(84.0, AC.duration_days)]
    assert regime("before each dose")[0].before_each_dose == "doxorubicin"
    assert regime("throughout")[0].end_day is None and regime("none (sedentary)") == ()
    prehab = build_scenario(AC, Prescription(window="prehabilitation"))
    assert [(r.start_day, r.end_day) for r in prehab.exercise] == [(0.0, PREHABILITATION_DAYS)]
    assert chemotherapy_span(prehab.dose) == (PREHABILITATION_DAYS, 63.0 + PREHABILITATION_DAYS)
    assert prehab.duration_days == AC.duration_days + PREHABILITATION_DAYS


def test_exercise_before_the_course_moves_the_course_and_keeps_the_follow_up() -> None:
    timed = build_scenario(AC, Prescription(window="before each dose", minutes=60.0))
    lead = (24 + 1) / 24  # the 60-min session ends 24 h before the first infusion, which moves back to make room
    assert chemotherapy_span(timed.dose) == pytest.approx((lead, 63 + lead))
    assert timed.duration_days == pytest.approx(AC.duration_days + lead)
    assert timed.exercise[0].before_each_dose == "doxorubicin"
    prehab = load_scenario("prehab_then_ac")  # its course already starts on day 42: nothing moves
    again = build_scenario(prehab, Prescription(window="prehabilitation", sessions_per_week=5))
    assert chemotherapy_span(again.dose) == chemotherapy_span(prehab.dose) == (42.0, 105.0)
    assert [(r.start_day, r.end_day) for r in again.exercise] == [(0.0, 42.0)]
    own = load_scenario("bout_before_each_dose")  # the scenario's own timed bout with another course
    moved = build_scenario(own, prescription_of(own), regimen="AC")
    assert chemotherapy_span(moved.dose)[0] == pytest.approx(lead) and moved.exercise == own.exercise
    assert build_scenario(own, prescription_of(own)) == own  # its own course: nothing moves


def test_windows_around_chemotherapy_need_chemotherapy_and_changes_are_described() -> None:
    for window in ("during chemotherapy", "after chemotherapy", "prehabilitation", "before each dose"):
        with pytest.raises(InputError, match="window: got"):
            build_scenario(AC, Prescription(window=window), regimen="no drug")
    bout = load_scenario("single_bout")  # a module's own scenario: exercise only
    assert build_scenario(bout, Prescription(window="throughout", minutes=30)).exercise[0].minutes == 30
    changed = build_scenario(AC, Prescription(window="during chemotherapy", sessions_per_week=5))
    assert changed.name == "ac-sedentary-explored" and "5 x 45 min/week" in changed.description
    two = replace(AC, exercise=(ExerciseRegime(sessions_per_week=2, modality="resistance"),
                                ExerciseRegime(sessions_per_week=3, modality="aerobic", start_day=100.0)))
    kept = build_scenario(two, replace(prescription_of(two), minutes=20.0))
    assert kept.exercise[0].minutes == 20.0 and kept.exercise[1] == two.exercise[1]


def test_regimens_are_the_builtin_courses_and_refuse_an_animal() -> None:
    drugs = {r: sorted({d.drug for d in build_scenario(AC, Prescription(window="throughout"), regimen=r).dose})
             for r in REGIMENS}
    assert drugs["AC"] == ["cyclophosphamide", "doxorubicin"]
    assert drugs["AC + dexrazoxane"] == ["cyclophosphamide", "dexrazoxane", "doxorubicin"]
    assert drugs["AC then pembrolizumab"] == ["cyclophosphamide", "doxorubicin", "pembrolizumab"]
    assert drugs["no drug"] == []
    with pytest.raises(InputError, match=r"regimen: got 'AC'; allowed: 'as in the scenario' for a mouse"):
        build_scenario(load_scenario("tumour_running"), Prescription(), regimen="AC")
    with pytest.raises(InputError, match="window: got 'before each dose'"):
        build_scenario(AC, Prescription(window="before each dose"), regimen="no drug")
    with pytest.raises(InputError, match="window: got 'weekends'"):
        Prescription(window="weekends")
    assert set(WINDOWS) >= {"during chemotherapy", "after chemotherapy", "before each dose", "prehabilitation"}


def test_a_bad_choice_changes_nothing_in_the_session() -> None:
    session = ExplorerSession("aerobic_during_ac")
    before = session.scenario()
    with pytest.raises(InputError, match="cardiac_sensitivity"):
        session.update(Prescription(sessions_per_week=6), cardiac_sensitivity=-1.0)
    assert session.scenario() == before
    # a file that parses but cannot be planned (a bout before a dose on day 0) is refused as a whole
    unplannable = replace(AC, exercise=(ExerciseRegime(before_each_dose="doxorubicin"),))
    with pytest.raises(InputError, match="hours_before"):
        session.load(unplannable)
    assert session.base == load_scenario("aerobic_during_ac") and session.scenario() == before


def test_the_tumour_can_be_read_before_surgery_while_the_heart_is_followed() -> None:
    """The page's "tumour read on day" control: the day the tumour endpoints are read, 0 at the end; it moves with
    a course that prehabilitation moves, a day beyond the simulated ones is refused in one line naming the field,
    and a bad value leaves the session's choices as they were."""
    base = load_scenario("aerobic_during_ac")  # read at the end
    followed = build_scenario(base, prescription_of(base), duration_days=429.0, tumour_assessment_day=84.0)
    assert (followed.tumour_assessment_day, followed.duration_days) == (84.0, 429.0)
    assert "tumour read on day 84" in followed.description
    cohort = load_scenario("cohort_ac_sedentary")  # read on day 84
    assert build_scenario(cohort, prescription_of(cohort), tumour_assessment_day=0.0).tumour_assessment_day is None
    assert build_scenario(cohort, prescription_of(cohort), tumour_assessment_day=84.0) == cohort
    prehab = build_scenario(AC, Prescription(window="prehabilitation"), tumour_assessment_day=84.0)
    assert prehab.tumour_assessment_day == 84.0 + PREHABILITATION_DAYS
    with pytest.raises(InputError, match=r"tumour_assessment_day: got 200.*\[0, 180\]"):
        build_scenario(base, prescription_of(base), tumour_assessment_day=200.0)
    session = ExplorerSession("aerobic_during_ac")
    out = session.update(duration_days=429.0, tumour_assessment_day=84.0)
    assert out.scenario.tumour_assessment_day == 84.0 and session.tumour_assessment_day == 84.0
    at_end = session.update(tumour_assessment_day=0.0)
    assert at_end.scenario.tumour_assessment_day is None
    assert (at_end.result.endpoints["tumour_volume_change_percent"]
            != out.result.endpoints["tumour_volume_change_percent"])
    before = session.scenario()
    with pytest.raises(InputError, match="tumour_assessment_day"):
        session.update(duration_days=60.0, tumour_assessment_day=84.0)
    assert session.scenario() == before


def test_the_session_simulates_what_the_command_line_simulates() -> None:
    session = ExplorerSession("aerobic_during_ac")
    out = session.update(Prescription(sessions_per_week=5, window="as in the scenario"), cardiac_sensitivity=3.0,
                         duration_days=430.0)
    again = simulate(Scenario.from_toml(session.scenario_toml()))
    assert out.result.endpoints["lvef_nadir_percent"] == pytest.approx(again.endpoints["lvef_nadir_percent"],
                                                                       rel=1e-12)
    assert out.reference.scenario.exercise == () and out.reference.scenario.dose == out.scenario.dose
    differences = out.endpoints[f"{out.result.scenario.name} - {out.reference.scenario.name}"]
    assert differences["exercise_sessions_total"] == out.result.endpoints["exercise_sessions_total"]


def test_the_schedule_sits_above_each_column_of_plots_on_the_same_time_axis() -> None:
    outcome = ExplorerSession("aerobic_during_ac").update(Prescription(sessions_per_week=3,
                                                                       window="as in the scenario"))
    layout = TimeCourses().show(outcome.result, outcome.reference,
                                ["tumour_volume_mm3", "lvef_percent", "nk_blood_per_ul"])
    strips, *rows = layout.children
    assert len(strips.children) == 2 and [len(r.children) for r in rows] == [2, 1]
    for column_ in range(2):  # the same width, left border and time range as every plot below it
        strip = strips.children[column_]
        for plot in (r.children[column_] for r in rows if len(r.children) > column_):
            assert (strip.width, strip.min_border_left) == (plot.width, plot.min_border_left)
            assert strip.x_range is plot.x_range
    ticks = strip.renderers[0].data_source.data
    assert len(ticks["x"]) == len(outcome.result.compiled.sessions) > 0


@pytest.mark.slow  # an ensemble: worker processes and re-calibrations
def test_intervals_pair_each_parameter_set_with_its_own_sedentary_run_and_give_bands() -> None:
    session = ExplorerSession("aerobic_during_ac")
    outcome = session.update(Prescription(sessions_per_week=5, window="as in the scenario"))
    result = run_ensemble_pair(outcome, 4, seed=3, series=["lvef_percent", "tumour_volume_mm3"], workers=2)
    assert list(result.runs) == [outcome.reference.scenario.name, outcome.scenario.name]
    assert result.differences is not None and "exercise_sessions_total" in set(result.differences["endpoint"])
    courses = TimeCourses()
    courses.show(outcome.result, outcome.reference, ["lvef_percent", "tumour_volume_mm3"])
    courses.show_bands(bands_of(result, outcome.scenario.name))
    band = courses._sources["band:tumour_volume_mm3"].data
    assert len(band["x"]) > 10 and (np.asarray(band["lower"]) <= np.asarray(band["upper"])).all()
    courses.show(outcome.result, outcome.reference, ["lvef_percent", "tumour_volume_mm3"])  # a new result
    assert len(courses._sources["band:tumour_volume_mm3"].data["x"]) == 0  # its old band is gone


def test_uploads_are_checked_like_files_and_fuzz_gives_one_line_errors() -> None:
    good = load_scenario("aerobic_during_ac").to_toml().encode()
    assert read_upload(good, "x.toml") == load_scenario("aerobic_during_ac")
    cases = {b"\xff\xfe\x00": "a UTF-8 text file", b"name = ": "valid TOML",
             good.replace(b"weight_kg = 70.0", b"weight_kg = 20.0"): r"patient.weight_kg: got 20.0",
             b"x" * (MAX_UPLOAD_BYTES + 1): "at most"}
    for data, said in cases.items():
        with pytest.raises(InputError, match=said):
            read_upload(data, "x.toml")
    rng = random.Random(7)
    for _ in range(200):  # cut, mutated and random files: an InputError every time, never a crash
        kind = rng.randrange(3)
        if kind == 0:
            data = good[:rng.randrange(len(good))]
        elif kind == 1:
            raw = bytearray(good)
            for _ in range(rng.randrange(1, 8)):
                raw[rng.randrange(len(raw))] = rng.randrange(256)
            data = bytes(raw)
        else:
            data = bytes(rng.randrange(256) for _ in range(rng.randrange(1, 400)))
        try:
            read_upload(data, "fuzz.toml")
        except InputError as err:
            assert "\n" not in str(err).strip()


def test_the_page_takes_a_file_beyond_the_sliders_and_refuses_a_bad_one() -> None:
    """Without a browser: the page's objects for a file whose values lie outside the sliders' usual ranges."""
    import panel as pn

    from crosstalk.explore.app import create_app

    odd = replace(load_scenario("aerobic_during_ac"), duration_days=1000.0, output_step_hours=24.0,
                  patient=replace(AC.patient, cardiac_sensitivity=8.0))
    odd = replace(odd, name="odd", exercise=(replace(odd.exercise[0], minutes=150.0),))
    page = create_app("ac_sedentary")
    upload = page.select(pn.widgets.FileInput)[0]
    upload.param.update(filename="odd.toml", value=odd.to_toml().encode())
    (alert,) = page.select(pn.pane.Alert)
    assert not alert.visible, alert.object
    assert any("**odd**" in str(m.object) for m in page.select(pn.pane.Markdown))
    days = next(w for w in page.select(pn.widgets.IntSlider) if w.name == "Days simulated")
    assert (days.value, days.end) == (1000, 1000)
    upload.param.update(filename="bad.toml", value=b"name = ")  # a bad file: its message, nothing else changes
    assert alert.visible and "valid TOML" in alert.object and days.value == 1000


def test_the_command_binds_this_machine_unless_told_otherwise() -> None:
    args = command_parser().parse_args(["explore", "--no-browser"])
    assert (args.host, args.port, args.scenario, args.no_browser) == ("127.0.0.1", 5006, None, True)


# ------------------------------------------------------------------------------------------ the page in a browser
def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


OPTIMISATION = f"""name = "sessions"
base_scenario = "{REPO / 'crosstalk' / 'scenarios' / 'aerobic_during_ac.toml'}"
population_size = 4
generations = 1
patients = 2
seed = 7
[[decision]]
name = "exercise.sessions_per_week"
low = 1
high = 7
kind = "integer"
[[objective]]
output = "tumour_volume_change_percent"
statistic = "mean"
sense = "minimise"
"""


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    runs = tmp_path_factory.mktemp("optimise")
    (runs / "spec.toml").write_text(OPTIMISATION, encoding="utf-8")
    made = subprocess.run([sys.executable, "-m", "crosstalk", "optimise", str(runs / "spec.toml"), "--out",
                           str(runs / "run"), "--workers", "2", "--quiet"], capture_output=True, text=True)
    assert made.returncode == 0, made.stderr
    port = _free_port()
    proc = subprocess.Popen([sys.executable, "-m", "crosstalk", "explore", "--no-browser", "--port", str(port),
                             "--optimise-run", str(runs / "run")],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    url = f"http://127.0.0.1:{port}/"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(url, timeout=5) as r:
                    if r.status == 200:
                        break
            except OSError as err:
                if proc.poll() is not None or time.monotonic() > deadline:
                    said = proc.stdout.read() if proc.stdout else ""
                    raise AssertionError(f"the explorer did not start: {said}") from err
                time.sleep(0.5)
        yield url
    finally:
        proc.terminate()
        proc.wait(timeout=20)


def _wait_for(predicate: Any, what: str, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.1)


def _lvef(page: Any) -> str:
    return str(page.locator(".ct-card[data-endpoint=lvef_nadir_percent]").get_attribute("data-value"))


@pytest.mark.slow  # a served app and a browser: ~1 min
def test_the_page_in_a_browser(server: str, browser: Any, tmp_path: Path) -> None:  # noqa: F811
    SHOTS.mkdir(parents=True, exist_ok=True)
    context = browser.new_context(viewport={"width": 1300, "height": 1800}, accept_downloads=True)
    page = context.new_page()
    problems: list[str] = []
    page.on("console", lambda m: problems.append(f"console {m.type}: {m.text}") if m.type == "error" else None)
    page.on("requestfailed", lambda r: problems.append(f"request failed: {r.url}"))
    page.goto(server)
    page.wait_for_selector("#endpoints", timeout=90_000)
    page.screenshot(path=str(SHOTS / "explorer-start.png"), full_page=True)

    # the optimisation run's front: picking a prescription loads it (its sessions a week in the controls)
    choice = page.locator(".ct-front-choice select")
    first = choice.locator("option").all_inner_texts()[1]
    weekly = int(first.split(" x ")[0].split()[-1])
    start = _lvef(page)
    tumour = page.locator(".ct-card[data-endpoint=tumour_volume_change_percent]")
    before = tumour.get_attribute("data-value")
    choice.select_option(index=1)
    if weekly != 3:  # the base scenario's own 3 a week gives the same numbers
        _wait_for(lambda: tumour.get_attribute("data-value") != before, "the front prescription's results")
    chosen = page.locator(".ct-sessions button.bk-active")
    _wait_for(lambda: chosen.count() == 1 and chosen.first.inner_text().strip() == str(weekly),
              "the front prescription in the controls")
    # the page says which prescription it shows, not the base scenario's own description
    about = page.locator(".ct-about div").first
    _wait_for(lambda: "of the front of optimisation" in about.inner_text(), "the front prescription's description")
    page.screenshot(path=str(SHOTS / "explorer-front.png"), full_page=False)

    # a sensitive patient followed for a year, uploaded as a user would
    base = load_scenario("aerobic_during_ac")
    patient = replace(base, name="sensitive-patient", duration_days=430.0, output_step_hours=24.0,
                      patient=replace(base.patient, cardiac_sensitivity=3.0))
    upload = tmp_path / "patient.toml"
    upload.write_text(patient.to_toml(), encoding="utf-8")
    page.locator("input[type=file]").set_input_files(str(upload))
    _wait_for(lambda: _lvef(page) != start, "the uploaded scenario's LVEF")
    uploaded = _lvef(page)

    page.locator(".ct-sessions button", has_text="5").click()
    _wait_for(lambda: _lvef(page) != uploaded, "the LVEF after choosing 5 sessions a week")
    shown = float(_lvef(page))
    with page.expect_download() as download:
        page.locator(".ct-download-toml button").click()
    text = Path(download.value.path()).read_text(encoding="utf-8")
    scenario = Scenario.from_toml(text)  # what `crosstalk check` applies
    assert scenario.exercise[0].sessions_per_week == 5 and scenario.patient.cardiac_sensitivity == 3.0
    assert shown == pytest.approx(simulate(scenario).endpoints["lvef_nadir_percent"], rel=1e-9)
    assert scenario == Scenario.from_toml(scenario.to_toml())
    page.screenshot(path=str(SHOTS / "explorer-five-sessions.png"), full_page=True)

    bad = tmp_path / "bad.toml"
    bad.write_text(base.to_toml().replace("weight_kg = 70.0", "weight_kg = 20.0"), encoding="utf-8")
    page.locator("input[type=file]").set_input_files(str(bad))
    message = page.locator(".ct-message div")
    _wait_for(lambda: "patient.weight_kg" in message.first.inner_text(), "the bad upload's message")
    assert "got 20.0; allowed: a number in [30, 250]" in message.first.inner_text()
    page.screenshot(path=str(SHOTS / "explorer-bad-upload.png"))
    page.locator(".ct-sessions button", has_text="4").click()  # the server still serves this tab
    _wait_for(lambda: _lvef(page) != str(shown), "the LVEF after the bad upload")

    # intervals over the parameters' uncertainty, in the background
    sets = page.locator(".ct-intervals-size input").first
    sets.fill("6")
    sets.press("Enter")
    page.locator(".ct-run-intervals button").click()
    _wait_for(lambda: page.locator("#intervals tr[data-endpoint=lvef_nadir_percent] td").count() == 6,
              "the intervals over 6 parameter sets", timeout=300)
    assert "6 parameter sets (seed 1)" in page.locator(".ct-intervals-status div").first.inner_text()
    page.screenshot(path=str(SHOTS / "explorer-intervals.png"), full_page=True)

    # a cohort in the background: progress, then risks with intervals; a second one cancelled
    patients = page.locator(".ct-cohort-size input").first
    patients.fill("12")
    patients.press("Enter")
    page.locator(".ct-run-cohort button").click()
    said = page.locator(".ct-cohort-status div").first
    _wait_for(lambda: "of 12 simulations" in said.inner_text(), "the cohort's progress", timeout=120)
    _wait_for(lambda: page.locator("#risks tr[data-outcome=ctrcd] td").count() == 5, "the cohort's risks",
              timeout=240)
    assert "12 virtual patients per arm" in said.inner_text()
    page.screenshot(path=str(SHOTS / "explorer-cohort.png"), full_page=True)
    patients.fill("400")
    patients.press("Enter")
    page.locator(".ct-run-cohort button").click()
    _wait_for(lambda: "of 400 simulations" in said.inner_text(), "the second cohort's progress", timeout=120)
    page.locator(".ct-cancel-cohort button").click()
    _wait_for(lambda: said.inner_text().strip() == "Cancelled.", "the cancelled cohort", timeout=120)
    assert page.locator(".ct-run-cohort button").is_enabled()  # ready for the next one
    assert page.locator("#risks").count() == 0  # the cancelled run shows no risks

    other = context.new_page()  # a second tab starts from the default, not from this tab's state
    other.goto(server)
    other.wait_for_selector("#endpoints", timeout=90_000)
    assert _lvef(other) == start
    assert not problems, problems
    context.close()
