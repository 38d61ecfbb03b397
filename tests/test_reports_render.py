"""Every HTML report the package writes, opened in a real browser (Debian's chromium, driven by Playwright): it
loads with no console error, every embedded figure decodes, nothing runs off the side of a 1300-pixel window; and
no text overlaps other text in any figure saved meanwhile (the reports' figures and the PNGs beside them).

The browser is Debian's (``/usr/bin/chromium``, installed by ``.ci/run``): Playwright's own browser downloads are
not reachable here. Without it the test is skipped on a developer's machine and fails in CI (``CI`` set).
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from matplotlib.figure import Figure

from crosstalk.calibrate.fit import fit_problem
from crosstalk.calibrate.measurements import synthetic_measurements
from crosstalk.calibrate.problem import build_problem, write_problem
from crosstalk.cli import main
from crosstalk.report.cohort import write_cohort_report
from crosstalk.report.compare import write_cohort_comparison_report
from crosstalk.report.fit import write_fit_report
from crosstalk.report.layout import overlapping_texts
from crosstalk.report.optimise import write_optimisation_report
from crosstalk.report.sensitivity import write_sensitivity_report
from crosstalk.report.validation import write_validation
from crosstalk.sim.simulator import simulate, simulator_for
from crosstalk.spec.ranges import ParameterRange
from crosstalk.spec.scenario import ExerciseRegime, Scenario, load_scenario
from crosstalk.studies.cohort import run_cohort
from crosstalk.studies.compare import run_cohort_comparison
from crosstalk.studies.optimise import Decision, Objective, OptimisationSpec, run_optimisation
from crosstalk.studies.optimise.run import chosen_trajectories
from crosstalk.studies.sensitivity import AnalysisSpec, run_sensitivity
from crosstalk.validation.check import CHECKS
from crosstalk.validation.run import Validation

import sa_functions as saf
from conftest import REPO, fast_representatives

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
# as root, without a sandbox; no background connections (this machine's network is closed)
FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--no-first-run",
         "--disable-component-update", "--disable-sync", "--disable-quic"]
BOUT = Scenario("bout", model="exercise", duration_days=1.0, output_step_hours=6.0,
                exercise=(ExerciseRegime(session_days=(0,)),))


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    if os.environ.get("CI"):  # in CI a missing browser is a failure, never a skip
        import playwright.sync_api as playwright
    else:
        playwright = pytest.importorskip("playwright.sync_api")
    if not Path(CHROMIUM).exists():
        if os.environ.get("CI"):
            pytest.fail(f"no chromium at {CHROMIUM}: .ci/run installs Debian's chromium")
        pytest.skip("no chromium on this machine (apt-get install chromium)")
    with playwright.sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        yield b
        b.close()


def _simulate(out: Path) -> Path:
    assert main(["simulate", "single_bout", "--out", str(out / "run")]) == 0
    return out / "run" / "report.html"


def _compare(out: Path) -> Path:
    assert main(["compare", "single_bout", "resistance_bout", "--out", str(out / "cmp"), "--quiet",
                 "--workers", "1"]) == 0
    return out / "cmp" / "report.html"


def _uncertainty(out: Path) -> Path:
    assert main(["compare", "single_bout", "resistance_bout", "--uncertainty", "24", "--out", str(out / "unc"),
                 "--quiet", "--workers", "1"]) == 0
    return out / "unc" / "report.html"


def _cohort(out: Path) -> Path:
    cohort = load_scenario(REPO / "scenarios" / "cohort_aerobic_during_ac.toml")
    result = run_cohort(cohort, 3, seed=3, outdir=out / "cohort", workers=1, progress=False)
    write_cohort_report(result, out / "cohort")
    return out / "cohort" / "report.html"


def _cohort_comparison(out: Path) -> Path:
    sedentary = load_scenario(REPO / "scenarios" / "cohort_ac_sedentary.toml")
    exercise = load_scenario(REPO / "scenarios" / "cohort_aerobic_during_ac.toml")
    cc = run_cohort_comparison([sedentary, exercise], 3, seed=1, n_boot=100, workers=1, progress=False)
    write_cohort_comparison_report(cc, out, n=3, seed=1, n_boot=100)
    return out / "report.html"


def _sensitivity(out: Path) -> Path:
    spec = AnalysisSpec("render", BOUT, tuple(ParameterRange(name, 0.0, 1.0) for name in saf.NAMES), n=64, seed=1,
                        outputs=("il6_peak_fold",), time_resolved=("il6_pg_per_ml",), second_order=True)
    result = run_sensitivity(spec, out, workers=1, evaluate=saf.linear, progress=False)
    return write_sensitivity_report(result, out, base=simulate(spec.scenario_for({})))


def _optimise(out: Path) -> Path:
    toy = Scenario("toy", duration_days=1.0, output_step_hours=6.0, exercise=(ExerciseRegime(sessions_per_week=3),))
    spec = OptimisationSpec(
        "render", toy,
        (Decision("exercise.sessions_per_week", 0, 3, "integer"), Decision("exercise.minutes", 10, 40, "integer"),
         Decision("exercise.modality", kind="category", choices=("aerobic", "resistance", "hiit"))),
        (Objective("lvef_drop_points", "p90"), Objective("exercise_minutes_total")),
        population_size=8, generations=2, patients=4, seed=2, n_boot=50, holdout_patients=3)
    result = run_optimisation(spec, out, workers=1, prescribe_fn=saf.dose_response, progress=False)
    return write_optimisation_report(result, out, trajectories=chosen_trajectories(result))


def _validation(out: Path) -> Path:
    ids = [k for k, v in CHECKS.items() if v.model == "exercise"][:2]
    checks = tuple(CHECKS[k].run(simulator_for("exercise")) for k in ids)
    _, html_path = write_validation(Validation(checks, {}, {}, (), {"checks": ids}), out)
    return html_path


def _fit(out: Path) -> Path:
    scenarios = {"single_bout": load_scenario("single_bout")}
    runs = {"single_bout": simulate(scenarios["single_bout"])}
    data = synthetic_measurements(runs, "il6_pg_per_ml", [float(t) for t in range(0, 25, 2)], cv=0.05, floor=0.1)
    path = write_problem(build_problem(scenarios, data, ["k_il6_clearance"]), out / "problem")
    write_fit_report(fit_problem(path, starts=2, seed=1, outdir=out / "fit"), out / "fit")
    return out / "fit" / "report.html"


REPORTS: dict[str, Callable[[Path], Path]] = {
    "simulate": _simulate, "compare": _compare, "compare-uncertainty": _uncertainty, "cohort": _cohort,
    "compare-cohort": _cohort_comparison,
    "sensitivity": _sensitivity, "optimise": _optimise, "validation": _validation, "fit": _fit,
}


@pytest.fixture
def overlaps(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, list[tuple[str, str]]]]:
    """Every figure saved while the fixture is in use, checked for overlapping text as it is saved."""
    found: list[tuple[str, list[tuple[str, str]]]] = []
    save = Figure.savefig

    def checked(fig: Figure, *args: Any, **kwargs: Any) -> None:
        found.append((" / ".join(ax.get_title(loc="left") or ax.get_title() for ax in fig.axes[:2]),
                      overlapping_texts(fig)))
        save(fig, *args, **kwargs)

    monkeypatch.setattr(Figure, "savefig", checked)
    return found


@pytest.mark.parametrize("kind", fast_representatives(REPORTS, {"simulate"}))
def test_every_report_renders_in_a_real_browser(kind, browser, tmp_path, overlaps):
    path = REPORTS[kind](tmp_path)
    assert overlaps and not [f for f in overlaps if f[1]], [f for f in overlaps if f[1]]
    page = browser.new_page(viewport={"width": 1300, "height": 900})
    problems: list[str] = []
    page.on("console", lambda m: problems.append(f"console {m.type}: {m.text}") if m.type in ("error", "warning")
            else None)
    page.on("pageerror", lambda e: problems.append(f"page error: {e}"))
    page.goto(path.as_uri(), wait_until="load")
    images = page.evaluate("Array.from(document.images).map(i => [i.alt, i.complete, i.naturalWidth])")
    widths = page.evaluate("[document.documentElement.scrollWidth, document.documentElement.clientWidth]")
    title = page.evaluate("document.querySelector('h1') && document.querySelector('h1').textContent")
    page.close()
    assert not problems, problems
    assert title and title.startswith("crosstalk"), title
    assert images and all(done and width > 0 for _, done, width in images), images
    assert widths[0] <= widths[1] + 1, f"{kind}: the page is {widths[0]} px wide in a {widths[1]} px window"
