"""Bad input, fuzzed (hypothesis): every generated scenario or analysis input ends in a valid object or in the
package's own InputError naming a field; never another exception.

Every generated value is one TOML can hold (no None, no surrogate characters, integers within TOML's 64 bits;
NaN and infinities are TOML floats and stay in), and every input goes through real TOML text, so each example
tests the loader a user's file would meet instead of being skipped as "not representable".
"""

from __future__ import annotations

import contextlib
import io
import math
import re
import tomllib
from pathlib import Path
from typing import Any

import pytest
import tomli_w
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from crosstalk.errors import InputError
from crosstalk.plan.timeline import administrations, exercise_sessions
from crosstalk.spec.scenario import Scenario, load_scenario

from conftest import REPO

#: TOML integers are signed 64-bit; beyond that other TOML readers reject the file.
TOML_INT = st.integers(min_value=-(2**63), max_value=2**63 - 1)
#: Text a UTF-8 file (hence a TOML file) can hold: no surrogate characters.
TOML_TEXT = st.text(alphabet=st.characters(codec="utf-8"), max_size=12)
SCALARS = st.one_of(
    st.booleans(), TOML_INT, st.floats(allow_nan=True, allow_infinity=True), TOML_TEXT,
    st.lists(st.integers(min_value=-5, max_value=400), max_size=4),
    # plausible magnitudes too, so that a fair share of inputs is accepted and round-trips
    st.integers(min_value=0, max_value=30), st.floats(min_value=0.0, max_value=30.0),
)
#: Top-level keys of a scenario; "colour" is the one the loader does not know.
KEYS = ["name", "description", "model", "duration_days", "output_step_hours", "seed", "exercise", "dose", "patient",
        "blockade", "parameters", "cohort", "colour"]
#: [[exercise]] keys; "speed" is unknown.
REGIME_KEYS = ["modality", "intensity", "minutes", "session_days", "sessions_per_week", "start_day", "end_day",
               "start_hour", "adherence", "adherence_pattern", "before_each_dose", "hours_before", "speed"]
#: [[dose]] keys; "route" is unknown.
DOSE_KEYS = ["drug", "amount", "unit", "start_day", "interval_days", "count", "infusion_minutes", "route"]
#: Scalar top-level fields that an accepted scenario must keep exactly as given.
SCALAR_FIELDS = ("name", "description", "model", "duration_days", "output_step_hours", "seed")
GOOD = tomllib.loads((REPO / "scenarios" / "aerobic_during_ac.toml").read_text(encoding="utf-8"))


def _root(field: str) -> str:
    """First component of an error's field (``exercise[0].intensity`` -> ``exercise``)."""
    return re.split(r"[.\[]", field, maxsplit=1)[0]


def _assert_names_a_field(err: InputError, *, source: str | None, roots: set[str]) -> None:
    """The error is the package's own: a known field, the allowed values, the file it came from."""
    assert isinstance(err.field, str) and _root(err.field) in roots, err
    assert isinstance(err.allowed, str) and err.allowed.strip(), err
    assert err.source == source, err
    assert f"{err.field}: got " in str(err) and str(err).endswith(f"allowed: {err.allowed}")


def _timeline_or_input_error(s: Scenario, *, source: str | None) -> None:
    """Expanding an accepted scenario's timeline (where regimes meet each other) gives sessions and
    administrations inside the scenario, or an InputError naming exercise or dose."""
    try:
        sessions, doses = exercise_sessions(s), administrations(s)
    except InputError as err:
        _assert_names_a_field(err, source=source, roots={"exercise", "dose"})
        return
    assert all(0 <= x.start_h < s.duration_hours and x.end_h > x.start_h for x in sessions)
    assert all(0 <= a.start_h < s.duration_hours and a.items > 0 for a in doses)


def _through_toml(data: dict[str, Any]) -> str:
    """TOML text of ``data`` (the strategies only generate what TOML holds, so this never fails)."""
    text = tomli_w.dumps(data)
    text.encode("utf-8")  # a surrogate would fail here, not pass silently
    return text


def _mutated(base: dict[str, Any], keys: list[str]) -> st.SearchStrategy[dict[str, Any]]:
    return st.dictionaries(st.sampled_from(keys), SCALARS, max_size=4).map(lambda extra: {**base, **extra})


@st.composite
def scenario_dicts(draw: st.DrawFn) -> dict[str, Any]:
    data = dict(GOOD)
    for key, value in draw(st.dictionaries(st.sampled_from(KEYS), SCALARS, max_size=3)).items():
        data[key] = value
    if draw(st.booleans()):
        data["exercise"] = [draw(_mutated(GOOD["exercise"][0], REGIME_KEYS))]
    if draw(st.booleans()):
        data["dose"] = [draw(_mutated(GOOD["dose"][0], DOSE_KEYS))]
    if draw(st.booleans()):
        data["patient"] = draw(_mutated(GOOD["patient"], ["weight_kg", "body_surface_area_m2", "tumour_cells",
                                                           "baseline_lvef_percent", "fitness", "height"]))
    if draw(st.booleans()):
        data["parameters"] = draw(st.dictionaries(st.sampled_from(["k_il6_clearance", "nk_homing_gain", "bogus"]),
                                                  SCALARS, max_size=2))
    return data


def _expected_field(data: dict[str, Any]) -> str | None:
    """The field the loader must name first, where the input makes it certain (unknown keys are checked first:
    the top level, then the first [[exercise]] block)."""
    if "colour" in data:
        return "colour"
    blocks = data.get("exercise")
    if isinstance(blocks, list) and blocks and isinstance(blocks[0], dict) and "speed" in blocks[0]:
        return "exercise[0].speed"
    return None


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(scenario_dicts())
def test_scenario_input_is_valid_or_an_input_error(data: dict[str, Any]) -> None:
    expected = _expected_field(data)
    try:
        s = Scenario.from_toml(_through_toml(data), source="fuzz.toml")
    except InputError as err:
        event(f"rejected: {_root(err.field)}")  # `pytest --hypothesis-show-statistics` shows the mix
        _assert_names_a_field(err, source="fuzz.toml", roots=set(KEYS) | {"parameter"})
        if expected is not None:
            assert err.field == expected, err
        return
    event("accepted")
    assert expected is None, f"accepted an unknown key ({expected})"
    assert Scenario.from_toml(s.to_toml()) == s  # whatever is accepted round-trips (a NaN accepted would not)
    assert math.isfinite(s.duration_days) and s.duration_days > 0
    _timeline_or_input_error(s, source=None)
    kept = s.to_dict()
    for key in SCALAR_FIELDS:
        if key in data:
            assert kept[key] == data[key] and type(kept[key]) is not bool, (key, data[key], kept[key])


def _check_loaded_or_named(raw: bytes, err: InputError | None, *, source: str) -> None:
    """Bytes that are not a scenario file get an InputError naming the file or a key of the text."""
    try:
        data: dict[str, Any] | None = tomllib.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, tomllib.TOMLDecodeError):
        data = None
    if err is None:  # accepted: only a TOML table with a name can be a scenario
        assert data is not None and "name" in data, raw
        event("accepted")
        return
    event(f"rejected: {err.field if err.field in ('file', 'name') else 'another field'}")
    _assert_names_a_field(err, source=source, roots=set(KEYS) | {"parameter", "file"} | set(data or {}))
    if data is None:
        assert err.field == "file"
        assert "UTF-8" in err.allowed or "valid TOML" in err.allowed, err
    elif "name" not in data and set(data) <= set(KEYS) - {"colour"}:
        assert err.field == "name"  # only known keys: the missing name is the first problem


#: Lines of `key = value` (well-formed or not), so that a good share parses and reaches the scenario checks.
TOMLISH = st.lists(
    st.tuples(st.sampled_from([*KEYS, "x", "[exercise]", "[[dose]]", ""]), st.sampled_from(["=", " = ", "", "=="]),
              st.sampled_from(['"a"', "1", "-1.5", "true", "[1, 2]", "nan", "inf", '"', "[", "{}", ""]))
    .map(lambda kv: kv[0] if kv[0].startswith("[") else "".join(kv)),
    max_size=6,
).map("\n".join)


@settings(max_examples=200, deadline=None)
@given(st.one_of(st.binary(max_size=300), TOMLISH.map(lambda t: t.encode("utf-8"))))
def test_arbitrary_bytes_in_a_file_load_or_name_the_problem(tmp_path_factory: pytest.TempPathFactory,
                                                             raw: bytes) -> None:
    """Any bytes (UTF-8 or not, TOML or not) read from a file: a scenario, or an InputError naming the file or a
    field."""
    path = tmp_path_factory.mktemp("bytes") / "input.toml"
    path.write_bytes(raw)
    try:
        load_scenario(path)
        error = None
    except InputError as err:
        error = err
    _check_loaded_or_named(raw, error, source=str(path))


@settings(max_examples=200, deadline=None)
@given(st.one_of(st.text(alphabet=st.characters(codec="utf-8"), max_size=300), TOMLISH))
def test_arbitrary_text_loads_or_names_the_problem(text: str) -> None:
    try:
        Scenario.from_toml(text, source="text.toml")
        error = None
    except InputError as err:
        error = err
    _check_loaded_or_named(text.encode("utf-8"), error, source="text.toml")


ANALYSIS_KEYS = ["n", "seed", "method", "outputs", "time_resolved", "second_order", "max_failure_fraction",
                 "output_step_hours", "rtol", "extra_key"]
#: A value each key accepts, mixed in so that accepted specs (whose values must be kept) are generated too.
ANALYSIS_GOOD: dict[str, list[Any]] = {
    "n": [16, 256], "seed": [1, 2**32 - 1], "method": ["morris", "sobol"], "outputs": [["lvef_drop_points"]],
    "time_resolved": [["lvef_percent"], []], "second_order": [True, False], "max_failure_fraction": [0.0, 0.5],
    "output_step_hours": [12.0, 1], "rtol": [1e-6, 1e-9], "extra_key": [1],
}


@st.composite
def analysis_changes(draw: st.DrawFn) -> dict[str, Any]:
    keys = draw(st.lists(st.sampled_from(ANALYSIS_KEYS), max_size=3, unique=True))
    return {k: draw(st.sampled_from(ANALYSIS_GOOD[k]) if draw(st.booleans()) else SCALARS) for k in keys}


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(changes=analysis_changes())
def test_analysis_input_is_valid_or_an_input_error(tmp_path_factory: pytest.TempPathFactory,
                                                   changes: dict[str, Any]) -> None:
    from crosstalk.studies.sensitivity import load_analysis

    data = tomllib.loads((REPO / "analysis" / "regimes_during_ac.toml").read_text(encoding="utf-8"))
    data["base_scenario"] = str(REPO / "scenarios" / "aerobic_during_ac.toml")
    data.update(changes)
    path = tmp_path_factory.mktemp("spec") / "spec.toml"
    path.write_text(_through_toml(data), encoding="utf-8")
    try:
        spec = load_analysis(path)
    except InputError as err:
        event(f"rejected: {_root(err.field)}")
        _assert_names_a_field(err, source=str(path), roots=set(ANALYSIS_KEYS) | {"parameter"})
        if "extra_key" in changes:  # unknown keys are reported before any value is looked at
            assert err.field == "extra_key", err
        return
    event("accepted")
    assert "extra_key" not in changes, "accepted an unknown key"
    for key, value in changes.items():  # what is accepted is kept as given
        kept = getattr(spec, key)
        assert (tuple(value) if isinstance(value, list) else value) == kept, (key, value, kept)


COHORT = tomllib.loads((REPO / "scenarios" / "cohort_aerobic_during_ac.toml").read_text(encoding="utf-8"))
# the built-in cohort takes everything from its population; fuzz a [cohort] with ranges of its own as well
COHORT["cohort"]["parameter"] = [
    {"name": "patient.fitness", "low": 0.0, "high": 0.6},
    {"name": "nk_homing_gain", "low": 10.0, "high": 100.0, "distribution": "loguniform"},
    {"name": "patient.baseline_lvef_percent", "low": 63.7, "high": 5.6, "distribution": "normal", "minimum": 50.0},
]
#: [[cohort.parameter]] keys; "sigma" is unknown.
RANGE_KEYS = ["name", "low", "high", "distribution", "mode", "minimum", "maximum", "sigma"]
#: Shapes of the [cohort] section; only "ranges" holds rows to check.
SECTIONS = ["ranges", "ranges", "not a table", "empty", "rows not a list"]


@st.composite
def cohort_dicts(draw: st.DrawFn) -> tuple[str, dict[str, Any]]:
    data = dict(COHORT)
    rows = [dict(r) for r in COHORT["cohort"]["parameter"]]
    for _ in range(draw(st.integers(min_value=1, max_value=3))):
        i = draw(st.integers(min_value=0, max_value=len(rows) - 1))
        rows[i] = draw(_mutated(rows[i], RANGE_KEYS))
    if draw(st.booleans()):
        rows.append(dict(rows[0]))  # a duplicate name
    section = draw(st.sampled_from(SECTIONS))
    data["cohort"] = {"ranges": {"parameter": rows}, "not a table": 3, "empty": {},
                      "rows not a list": {"parameter": rows[0]}}[section]
    return section, data


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(cohort_dicts())
def test_cohort_input_is_valid_or_an_input_error(drawn: tuple[str, dict[str, Any]]) -> None:
    section, data = drawn
    # the rest of the file is the valid built-in cohort scenario, so only the [cohort] section can be wrong
    expected = {"not a table": "cohort", "rows not a list": "cohort.parameter"}.get(section)
    try:
        s = Scenario.from_toml(_through_toml(data), source="cohort.toml")
    except InputError as err:
        event(f"{section}: rejected")
        _assert_names_a_field(err, source="cohort.toml", roots={"cohort", "parameter"})
        assert section != "empty", err  # no [cohort] ranges: the built-in scenario is valid
        if expected is not None:
            assert err.field == expected, err
        return
    event(f"{section}: accepted")
    assert expected is None, f"accepted a [cohort] that is {section}"
    assert Scenario.from_toml(s.to_toml()) == s
    _timeline_or_input_error(s, source=None)
    names = [r.name for r in s.cohort]
    assert len(names) == len(set(names))
    assert len(s.cohort) == (len(data["cohort"]["parameter"]) if section == "ranges" else 0)


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(kind=st.sampled_from(["scenario", "cohort", "bytes"]), scenario=scenario_dicts(), cohort=cohort_dicts(),
       raw=st.binary(max_size=200))
def test_cli_check_agrees_with_the_library(tmp_path_factory: pytest.TempPathFactory, kind: str,
                                           scenario: dict[str, Any], cohort: tuple[str, dict[str, Any]],
                                           raw: bytes) -> None:
    """The command line on fuzzed files: exit 0 exactly when the library accepts the file, else 2 with one line
    naming the library's field; nothing escapes."""
    from crosstalk.cli import main

    path: Path = tmp_path_factory.mktemp("cli") / "input.toml"
    if kind == "bytes":
        path.write_bytes(raw)
    else:
        path.write_text(_through_toml(scenario if kind == "scenario" else cohort[1]), encoding="utf-8")
    library_error: InputError | None = None
    try:  # what `check` promises: the file loads and its timeline expands
        s = load_scenario(path)
        exercise_sessions(s)
        administrations(s)
    except InputError as err:
        library_error = err
    err_out = io.StringIO()
    with contextlib.redirect_stderr(err_out), contextlib.redirect_stdout(io.StringIO()):
        code = main(["check", str(path)])
    message = err_out.getvalue()
    if library_error is None:
        assert code == 0 and "crosstalk: error" not in message, message
    else:
        assert code == 2, message
        assert message.startswith("crosstalk: error: ") and message.count("\n") == 1, message
        assert library_error.field in message and library_error.allowed in message, message
