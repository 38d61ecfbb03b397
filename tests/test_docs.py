"""The documentation: the site `make docs` built (opened in a real browser), the README's size and example, and
the numbers that describe the package (counts of scenarios, parameters, observables) where the text states them.

The browser tests read ``site/`` (built by ``make docs``, which ``make test`` runs first) and are marked ``docs``:
``make test-fast`` skips them. Without a built site they fail rather than skip, so CI cannot pass them silently.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from test_reports_render import browser  # noqa: F401  (the Debian-chromium fixture)

from conftest import REPO

SITE = REPO / "site"
DOCS = REPO / "docs"
README = REPO / "README.md"


def _pages() -> list[Path]:
    if not (SITE / "index.html").is_file():
        pytest.fail("no site/index.html: run `make docs` (make test does) before the docs tests")
    return sorted(p for p in SITE.rglob("*.html") if "assets" not in p.parts and p.name != "404.html")


@pytest.fixture(scope="module")
def page(browser: Any) -> Iterator[Any]:  # noqa: F811
    context = browser.new_context(viewport={"width": 1300, "height": 2000})
    tab = context.new_page()
    yield tab
    context.close()


@pytest.mark.docs
def test_every_page_opens_without_console_errors_and_every_image_loads(page: Any, tmp_path: Path) -> None:
    pages = _pages()
    expected = {"index.html", "quickstart.html", "reference/cli.html", "reference/parameters.html",
                "reference/api.html", "tutorials/scenarios_and_comparisons.html", "tutorials/calibration.html",
                "science/validation-table.html"}
    assert expected <= {p.relative_to(SITE).as_posix() for p in pages}
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    for path in pages:
        errors.clear()
        page.goto(path.as_uri(), wait_until="load")
        broken = page.evaluate("[...document.images].filter(i => !(i.complete && i.naturalWidth > 0))"
                               ".map(i => i.src)")
        assert not broken, (path, broken)
        assert not errors, (path, errors)
    page.goto((SITE / "quickstart.html").as_uri())
    page.screenshot(path=str(tmp_path / "quickstart.png"), full_page=True)


@pytest.mark.docs
def test_the_quick_start_shows_its_figure_and_the_tutorials_ran(page: Any) -> None:
    page.goto((SITE / "quickstart.html").as_uri(), wait_until="load")
    sizes = page.evaluate("[...document.images].map(i => [i.src, i.naturalWidth])")
    assert any(src.endswith("aerobic_vs_sedentary_ac.png") and width > 500 for src, width in sizes), sizes
    for name in ("scenarios_and_comparisons", "cohorts_and_risk", "sensitivity", "optimiser", "export",
                 "calibration", "dask"):
        html = (SITE / "tutorials" / f"{name}.html").read_text(encoding="utf-8")
        assert "jp-OutputArea-output" in html, f"tutorial {name} has no outputs: it was not executed"
        assert "Traceback" not in html, f"tutorial {name} raised"
    calibration = (SITE / "tutorials" / "calibration.html").read_text(encoding="utf-8")
    assert "identifiable" in calibration
    validation = (SITE / "science" / "validation-table.html").read_text(encoding="utf-8")
    assert re.search(r"\d+ of \d+ targets pass", validation) and "FAIL" not in validation


def test_the_readme_is_short_and_points_to_the_docs() -> None:
    text = README.read_text(encoding="utf-8")
    assert len(text.splitlines()) <= 150
    assert "make docs" in text and "site/index.html" in text
    assert not re.search(r"\bissues? \d", text, re.IGNORECASE), "users never see issue numbers"


def test_the_readme_example_runs() -> None:
    """The README's ten lines, as written (plotting to a temporary file)."""
    text = README.read_text(encoding="utf-8")
    code = text[text.index("```python") + len("```python"):]
    code = code[:code.index("```")]
    assert len(code.strip().splitlines()) <= 10
    namespace: dict[str, Any] = {}
    exec(compile(code.replace('"exercise.png"', 'str(__import__("tempfile").mkdtemp()) + "/exercise.png"'),
                 "README.md", "exec"), namespace)
    comparison = namespace["comparison"]
    assert len(comparison.results) == 2


def _counts() -> dict[str, int]:
    from crosstalk.model.observables import ENDPOINTS, OBSERVABLES
    from crosstalk.spec.scenario import builtin_scenario_names

    return {"built-in scenarios": len(builtin_scenario_names()), "observables": len(OBSERVABLES),
            "endpoints": len(ENDPOINTS)}


def test_counts_stated_in_the_docs_are_the_packages() -> None:
    """A count of the package's own things typed in a page ("all 27 scenarios") must be the count."""
    counts = _counts()
    texts = {p: p.read_text(encoding="utf-8") for p in [README, *DOCS.rglob("*.md")]}
    wrong = []
    for path, text in texts.items():
        for number, what in re.findall(r"\b(\d+) (built-in scenarios|observables|endpoints)\b", text):
            if int(number) != counts[what]:
                wrong.append(f"{path.relative_to(REPO)}: {number} {what} (there are {counts[what]})")
    assert not wrong, wrong


def test_the_performance_summary_quotes_the_benchmark_results() -> None:
    """Every figure the performance page's summary states is one the benchmarks recorded (RESULTS.md, written
    from the benchmarks' JSON): a rounded or retyped number fails here."""
    summary = (DOCS / "performance.md").read_text(encoding="utf-8").split("## The full results")[0]
    recorded = (REPO / "benchmarks" / "RESULTS.md").read_text(encoding="utf-8") + " ".join(
        p.read_text(encoding="utf-8") for p in (REPO / "benchmarks").glob("results*.json"))
    numbers = set(re.findall(r"(?<![\w.])(\d+\.\d+|\d{2,}(?:,\d{3})*)(?![\w.])", summary))
    assert numbers, "the summary states no figure: the pattern no longer reads it"
    assert not sorted(n for n in numbers if n not in recorded)


def _results_report() -> Any:
    import importlib.util

    spec = importlib.util.spec_from_file_location("results_report", REPO / "benchmarks" / "results_report.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_benchmark_page_is_written_from_the_benchmarks_records() -> None:
    """RESULTS.md is what ``benchmarks/results_report.py`` renders from the committed records: a figure typed or
    edited by hand, or a record re-measured without re-rendering, fails here."""
    assert (REPO / "benchmarks" / "RESULTS.md").read_text(encoding="utf-8") == _results_report().render()


def test_the_benchmark_page_follows_its_records(tmp_path: Path) -> None:
    """A changed record changes the page, and a missing one is named with the script that writes it."""
    import json
    import shutil

    report = _results_report()
    for path in (REPO / "benchmarks").glob("results_*.json"):
        shutil.copy(path, tmp_path / path.name)
    record = json.loads((tmp_path / "results_explorer.json").read_text(encoding="utf-8"))
    record["change_median_s"] = 12.345
    (tmp_path / "results_explorer.json").write_text(json.dumps(record), encoding="utf-8")
    page = report.render(tmp_path)
    assert "| a change, median (simulation and figure) | 12.35 |" in page
    assert "(`results.json` is missing: `python benchmarks/bench_throughput.py` writes it.)" in page


def _public_objects() -> list[tuple[str, Any]]:
    """Every function and class a module of the package exports in its ``__all__`` and defines itself."""
    import importlib
    import inspect
    import pkgutil

    import crosstalk

    out = []
    for info in pkgutil.walk_packages(crosstalk.__path__, "crosstalk."):
        if info.name.endswith("__main__") or info.name.startswith("crosstalk._"):
            continue
        module = importlib.import_module(info.name)
        for name in getattr(module, "__all__", ()):
            obj = getattr(module, name, None)
            if (inspect.isfunction(obj) or inspect.isclass(obj)) and obj.__module__ == info.name:
                out.append((f"{info.name}.{name}", obj))
    return out


def test_every_public_function_and_class_has_a_docstring() -> None:
    import inspect

    objects = _public_objects()
    assert len(objects) > 300
    assert not [name for name, obj in objects if not inspect.getdoc(obj)]


def _undocumented_parameters(name: str, obj: Any) -> list[str]:
    """Parameters (or dataclass fields) of ``obj`` not named in a numpydoc Parameters/Attributes section that
    griffe (the docs' reader) parses."""
    import inspect

    from griffe import Docstring

    try:
        signature = inspect.signature(obj)
    except ValueError:  # an exception class that keeps the built-in constructor
        return []
    params = [p.lstrip("*") for p in signature.parameters if p not in ("self", "cls")]
    documented = set()
    for section in Docstring(inspect.getdoc(obj) or "", parser="numpy").parse(warn_missing_types=False):
        if section.kind.value in ("parameters", "attributes", "other_parameters"):
            documented |= {n.strip().lstrip("*") for item in section.value for n in item.name.split(",")}
    return [f"{name}({p})" for p in params if p not in documented]


def test_the_top_level_api_documents_every_parameter_in_numpydoc() -> None:
    """What ``from crosstalk import ...`` gives a user: each parameter named in its docstring."""
    import inspect

    import crosstalk

    missing = [m for name in crosstalk.__all__ if inspect.isfunction(obj := getattr(crosstalk, name))
               or inspect.isclass(obj) for m in _undocumented_parameters(name, obj)]
    assert not missing, missing


def test_the_layers_a_study_uses_document_every_parameter_of_their_larger_calls() -> None:
    """In the packages a study is built from (calibrate, export, plan, sim, spec, studies), every public function
    or class taking three or more arguments names each in its docstring (short calls say it in their sentence)."""
    import inspect

    layers = ("crosstalk.calibrate.", "crosstalk.export", "crosstalk.plan.", "crosstalk.sim.", "crosstalk.spec.",
              "crosstalk.studies.")
    missing = []
    for name, obj in _public_objects():
        if name.startswith(layers):
            try:
                n = len([p for p in inspect.signature(obj).parameters if p not in ("self", "cls")])
            except ValueError:
                continue
            if n >= 3:
                missing += _undocumented_parameters(name, obj)
    assert not missing, missing


def test_the_scenario_reference_states_what_each_validator_allows() -> None:
    """The reference's allowed values are the validators' own words (read by giving a value no field accepts), and
    every number a scenario file can set is checked by some validator."""
    import sys
    import typing
    from dataclasses import fields

    from crosstalk.errors import InputError
    from crosstalk.spec.scenario import load_scenario

    sys.path.insert(0, str(DOCS / "hooks"))
    from generate import checked_as, scenario_file_page

    example = load_scenario("aerobic_during_ac")
    with pytest.raises(InputError) as said:
        type(example.patient)(weight_kg=20.0)
    assert checked_as([example.patient], "weight_kg") == said.value.allowed == "a number in [30, 250]"
    unchecked = [f"{type(block).__name__}.{f.name}" for block in (example.patient, example.dose[0], example.exercise[0])
                 for f in fields(block) if str(typing.get_type_hints(type(block))[f.name]).startswith(("float", "int"))
                 and not checked_as([block], f.name)]
    assert not unchecked, unchecked
    page = scenario_file_page()
    assert "| `patient.trainability` |" in page and "a number in [0, 10]" in page


def test_the_explorer_page_quotes_its_benchmark() -> None:
    """The explorer's speed on its docs page is the benchmark's (benchmarks/results_explorer.json), rounded."""
    import json

    text = " ".join((DOCS / "explore.md").read_text(encoding="utf-8").split())
    figures = json.loads((REPO / "benchmarks" / "results_explorer.json").read_text(encoding="utf-8"))
    assert f"about {figures['change_median_s']:.1f} s" in text
    assert f"median of {figures['changes']} changes" in text
    assert f"slowest about {figures['change_max_s']:.0f} s" in text
