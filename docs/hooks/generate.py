"""MkDocs hook: the reference pages, generated at every build from the definitions the package itself uses, so
they cannot drift from the code (the command line from its argparse parser, scenario keys from the dataclasses
the loader builds and their numpydoc docstrings, observables and endpoints from their registries, parameters from
the models' tables, built-in scenarios and studies from their files, the Python API from ``crosstalk.__all__``,
and the validation table by running every calibration target).
"""

from __future__ import annotations

import math
import os
import re
import tomllib
import typing
from collections.abc import Iterable, Sequence
from dataclasses import MISSING, fields, is_dataclass, replace
from pathlib import Path
from typing import Any

from griffe import Docstring
from mkdocs.config.defaults import MkDocsConfig
from mkdocs.structure.files import File, Files

REPO = Path(__file__).resolve().parents[2]


def _cell(text: object) -> str:
    """Text safe inside a Markdown table cell (Sphinx roles such as :mod:`x` shown as code)."""
    return re.sub(r":\w+:`~?([^`]+)`", r"`\1`", " ".join(str(text).split())).replace("|", "\\|")


def _table(header: Sequence[str], rows: Iterable[Sequence[object]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(_cell(c) for c in row) + " |" for row in rows]
    return "\n".join(lines) + "\n"


def cli_page() -> str:
    """Every command's ``--help``, as argparse prints it."""
    os.environ["COLUMNS"] = "110"  # argparse wraps to the terminal: fix it so the page does not depend on one
    from crosstalk.cli import command_parser

    parser = command_parser()
    commands = next(a for a in parser._actions if a.__class__.__name__ == "_SubParsersAction")
    parts = ["# Command line\n",
             "Generated from the parser of `crosstalk` itself. A scenario argument is a TOML file or a built-in "
             "scenario's name. Bad input gives one line naming the field, the value and what is allowed, and exit "
             "code 2.\n", "```text", parser.format_help().rstrip(), "```\n"]
    for name, sub in commands.choices.items():
        parts += [f"## crosstalk {name}\n", "```text", sub.format_help().rstrip(), "```\n"]
    return "\n".join(parts)


def _documented(cls: type) -> dict[str, tuple[str, str]]:
    """Field name -> (type, description) from the class's numpydoc Parameters/Attributes sections."""
    out: dict[str, tuple[str, str]] = {}
    for section in Docstring(cls.__doc__ or "", parser="numpy").parse(warn_missing_types=False):
        if section.kind.value in ("parameters", "attributes"):
            for item in section.value:
                for name in item.name.split(","):
                    out[name.strip()] = (str(item.annotation or ""), item.description)
    return out


def _default(f: Any) -> str:
    if f.default is not MISSING:
        return repr(f.default)
    if f.default_factory is not MISSING:
        return repr(f.default_factory())
    return "required"


#: Values no field accepts: each validator rejects them with its own statement of what is allowed.
_PROBES = {"float": math.nan, "int": math.nan, "str": "\u2400"}


def checked_as(examples: Sequence[Any], name: str) -> str:
    """What the validator of field ``name`` allows, in its own words: the ``allowed`` of the
    :class:`~crosstalk.errors.InputError` it raises when the field of a valid example is set to a value no field
    accepts (NaN, or a control character). Two examples that get different answers mean the range depends on other
    keys; the first is shown as an example. Empty when nothing is checked or the field is not a number or text."""
    from crosstalk.errors import InputError

    kind = str(typing.get_type_hints(type(examples[0]))[name])
    said = []
    for example in examples:
        for key, probe in _PROBES.items():
            if key not in kind:
                continue
            try:
                replace(example, **{name: probe})
            except InputError as e:
                said.append(e.allowed)
                break
            except (TypeError, AttributeError):  # a container the probe cannot stand in for
                continue
    if not said:
        return ""
    text = said[0] if len(said[0]) <= 120 else said[0][:117].rsplit(",", 1)[0] + ", ..."
    return text if len(set(said)) == 1 else f"depends on other keys; e.g. {text}"


def fields_table(cls: type, *, prefix: str = "", skip: Sequence[str] = (), examples: Sequence[Any] = ()) -> str:
    """One row per dataclass field: key, type, default, meaning (from the docstring) and, given valid
    ``examples`` of ``cls``, what the validator allows (:func:`checked_as`)."""
    assert is_dataclass(cls)
    documented = _documented(cls)
    rows = []
    for f in fields(cls):
        if f.name in skip or f.name.startswith("_"):
            continue
        kind, meaning = documented.get(f.name, (str(f.type), ""))
        allowed = checked_as(examples, f.name) if examples else ""
        rows.append((f"`{prefix}{f.name}`", kind or f.type, f"`{_default(f)}`", meaning, allowed))
    return _table(("key", "type", "default", "meaning", "checked as (the validator's words)"), rows)


def scenario_file_page() -> str:
    from crosstalk.spec.blocks import DoseSchedule, ExerciseRegime, Patient
    from crosstalk.spec.ranges import ParameterRange
    from crosstalk.spec.scenario import Scenario, load_scenario
    from crosstalk.studies.analysis_spec import AnalysisSpec, load_analysis
    from crosstalk.studies.optimise.spec import OptimisationSpec, load_optimisation

    # two valid examples of each (built-in files that differ), so a range that depends on other keys shows as such
    scenarios = [load_scenario(n) for n in ("aerobic_during_ac", "cohort_aerobic_during_ac")]
    ranges = [ParameterRange("x", 0.0, 1.0), ParameterRange("x", 1.0, 0.5, distribution="lognormal")]
    analysis = [load_analysis(REPO / "analysis" / f) for f in ("regimes_during_ac.toml", "bench_20_parameters.toml")]
    optimise = [load_optimisation(REPO / "analysis" / "prescriptions_during_ac.toml")]
    sections = [
        ("Scenario: top-level keys", Scenario, "", ("patient", "dose", "exercise", "blockade", "cohort"), scenarios),
        ("`[patient]`", Patient, "patient.", (), [s.patient for s in scenarios]),
        ("`[[dose]]`", DoseSchedule, "", (), [s.dose[0] for s in scenarios]),
        ("`[[exercise]]`", ExerciseRegime, "", (), [s.exercise[0] for s in scenarios]),
        ("`[[cohort.parameter]]`, population rows, `[[uncertain]]` and `[[parameter]]` ranges of studies",
         ParameterRange, "", (), ranges),
        ("Sensitivity analysis files (`crosstalk sensitivity`)", AnalysisSpec, "", (), analysis),
        ("Optimisation files (`crosstalk optimise`)", OptimisationSpec, "", (), optimise),
    ]
    parts = ["# Scenario and study files\n",
             "Generated from the dataclasses the loaders build and their docstrings. The last column is what each "
             "validator allows in its own words, read by giving it a value no field accepts, so it cannot drift "
             "from the checks (`crosstalk check FILE.toml` applies them without running anything). Keys are "
             "a contract: they are extended, never renamed. See [Write a scenario](../howto/scenario.md) for a "
             "commented example.\n"]
    for title, cls, prefix, skip, examples in sections:
        parts += [f"## {title}\n", fields_table(cls, prefix=prefix, skip=skip, examples=examples)]
    from crosstalk.model.registry import all_blockades

    parts += ["## `[blockade]`\n", "Switches declared in the models' manifests, each `false` unless set to `true`.\n",
              _table(("key", "what it blocks", "sets"),
                     ((f"`blockade.{b.name}`", b.description, ", ".join(f"{k} = {v:g}" for k, v in b.values.items()))
                      for b in all_blockades().values()))]
    return "\n".join(parts)


def observables_page() -> str:
    from crosstalk.model.echo import MEASURED_ENDPOINTS
    from crosstalk.model.observables import DEPRECATED_ENDPOINTS, ENDPOINTS, OBSERVABLES

    parts = ["# Observables and endpoints\n",
             "Generated from the models' manifests and the endpoint registry. Names are a contract: extended, "
             "never renamed. Model time is in hours; `timeseries.csv` has one column per observable.\n",
             f"## Observables ({len(OBSERVABLES)})\n",
             _table(("name", "unit", "meaning", "model"),
                    ((f"`{o.name}`", o.unit, o.description, o.module) for o in OBSERVABLES)),
             f"## Endpoints of one simulation ({len(ENDPOINTS)})\n",
             _table(("name", "unit", "meaning"), ((f"`{k}`", u, m) for k, (u, m) in ENDPOINTS.items())),
             "## Endpoints of a cohort's patients as echocardiography sees them\n",
             _table(("name", "the true-LVEF endpoint it reads with the reading error"),
                    ((f"`{k}`", f"`{v}`") for k, v in MEASURED_ENDPOINTS.items())),
             "## Deprecated\n",
             _table(("name", "why, what to use and when it goes"),
                    ((f"`{k}`", v) for k, v in DEPRECATED_ENDPOINTS.items()))]
    return "\n".join(parts)


def parameters_page() -> str:
    from crosstalk.model.parameters import SPECIES, parameter_table
    from crosstalk.model.registry import model_names

    parts = ["# Parameters\n",
             "Generated from each model's parameter table (`crosstalk/models/<model>/parameters.toml`, the single "
             "truth; `crosstalk parameters --model M` prints the same). Basis: *cited* (a source that was read), "
             "*fitted* (a calibration, see [Calibration and validation](../science/validation.md)) or *assumed* "
             "(with its reason). The uncertainty column is the range the ensemble (`--uncertainty N`) draws from.\n"]
    for model in model_names():
        table = parameter_table(model)
        counts = {b: sum(p.basis == b for p in table) for b in ("cited", "fitted", "assumed")}
        rows = []
        for p in table:
            values = ", ".join(f"{sp} {p.value_for(sp):.4g}" for sp in SPECIES if p.value_for(sp) != p.value)
            value = f"{p.value:.4g}" + (f" ({values})" if values else "")
            u = p.uncertainty
            spread = ("" if u is None else
                      f"{u.distribution} {u.central_interval()[0]:.3g} to {u.central_interval()[1]:.3g}"
                      if u.uncertain else "none")
            rows.append((f"`{p.id}`", value, p.unit, p.basis, spread,
                         f"{p.description}. Source: {p.source}" + (f" Range: {u.basis}" if u and u.uncertain else "")))
        parts += [f"## {model}\n",
                  f"{len(table)} rows: {counts['cited']} cited, {counts['fitted']} fitted, {counts['assumed']} "
                  "assumed (unit constants and switches included).\n",
                  _table(("id", "value", "unit", "basis", "95 % range", "meaning and source"), rows)]
    return "\n".join(parts)


def builtins_page() -> str:
    from crosstalk.spec.scenario import builtin_scenario_names, load_scenario

    scenarios = [(name, load_scenario(name)) for name in builtin_scenario_names()]
    specs = sorted((REPO / "analysis").glob("*.toml"))
    parts = ["# Built-in scenarios and studies\n",
             f"Generated from the files. The {len(scenarios)} built-in scenarios run by name "
             "(`crosstalk simulate aerobic_during_ac`); `crosstalk new NAME --from BUILTIN` copies one to edit.\n",
             _table(("name", "model", "species", "days", "question"),
                    ((f"`{stem}`", s.model, s.species, f"{s.duration_days:g}", s.description)
                     for stem, s in scenarios)),
             f"## Study specifications (`analysis/`, {len(specs)})\n",
             "Sensitivity studies run with `crosstalk sensitivity FILE --out DIR`, optimisations (those with "
             "`[[decision]]` tables) with `crosstalk optimise FILE --out DIR`.\n"]
    rows = []
    for path in specs:
        data = tomllib.loads(path.read_text())
        kind = "optimise" if "decision" in data else "sensitivity"
        rows.append((f"`analysis/{path.name}`", kind, data.get("question", data.get("description", ""))))
    parts.append(_table(("file", "command", "question"), rows))
    return "\n".join(parts)


def api_page() -> str:
    import crosstalk

    by_module: dict[str, list[str]] = {}
    for name in crosstalk.__all__:
        module = crosstalk._WHERE.get(name)
        if module is not None:
            by_module.setdefault(module, []).append(name)
    parts = ["# Python API\n",
             "Generated from the docstrings of every name `crosstalk` exports (`from crosstalk import ...`). "
             "Studies return DataFrames in memory and write files only when given a directory.\n"]
    for module, names in sorted(by_module.items()):
        parts.append(f"## `{module}`\n")
        parts += [f"::: {module}.{name}\n" for name in names]
    return "\n".join(parts)


def validation_page() -> str:
    """Every calibration target simulated now (``crosstalk validate``, about half a minute): observed band against
    the model's value, fitted or predicted."""
    from crosstalk.validation import run_validation

    validation = run_validation()
    table = validation.table()
    n_pass = sum(c.passed for c in validation.checks)

    def verdict(row: dict[str, Any]) -> str:
        if row["low"] <= row["model_value"] <= row["high"]:
            return "pass"
        return "known deviation" if isinstance(row["known_deviation"], str) and row["known_deviation"] else "FAIL"

    rows = [(f"`{r['target']}`", r["criterion"], verdict(r), f"{r['model_value']:.3g}",
             f"{r['low']:.3g} to {r['high']:.3g}", r["unit"]) for r in table.to_dict("records")]
    parts = ["# The validation table\n",
             "Generated at this build by running every calibration target's protocol on the model, as "
             "`crosstalk validate --out DIR` does (it also writes the figures). The band is the published value "
             "with its acceptance range (`crosstalk/validation/bands.toml`); a known deviation is a band the model "
             "misses for a stated reason, listed under the table. Which of these the model was fitted to and which "
             "it predicts: [calibration and validation](validation.md).\n",
             f"{n_pass} of {len(validation.checks)} targets pass every criterion or deviate for a stated reason.\n",
             _table(("target", "criterion", "verdict", "model", "band", "unit"), rows),
             "## Known deviations\n"]
    for c in validation.checks:
        for name, why in c.known_deviations.items():
            value, low, high = c.criteria[name]
            if not low <= value <= high:
                parts.append(f"- `{c.target_id}.{name}` = {value:.3g} (band {low:.3g} to {high:.3g}): {why}")
    parts += ["\n## Sources\n",
              _table(("target", "model", "source"),
                     ((f"`{c.target_id}`", c.model, c.source) for c in validation.checks)),
              "## Targets not reproduced by a simulation\n",
              _table(("target", "how the model uses it"), sorted(validation.not_simulated.items())),
              "## Targets not yet modelled\n",
              _table(("target", "status"), sorted(validation.not_yet_modelled.items()))]
    return "\n".join(parts)


PAGES = {
    "reference/cli.md": cli_page,
    "reference/scenario-file.md": scenario_file_page,
    "reference/observables.md": observables_page,
    "reference/parameters.md": parameters_page,
    "reference/builtins.md": builtins_page,
    "reference/api.md": api_page,
    "science/validation-table.md": validation_page,
}


#: Pages of wide tables: without the table of contents on the right, their columns fit the window.
WIDE = {"reference/parameters.md", "reference/scenario-file.md", "reference/observables.md",
        "reference/builtins.md", "science/validation-table.md"}


def on_files(files: Files, config: MkDocsConfig) -> Files:
    for uri, page in PAGES.items():
        content = ("---\nhide:\n  - toc\n---\n\n" if uri in WIDE else "") + page()
        files.append(File.generated(config, uri, content=content))
    return files
