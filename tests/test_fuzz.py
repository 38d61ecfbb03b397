"""Bad input, fuzzed (hypothesis): every generated scenario or analysis input ends in a valid object or in the
package's own InputError naming a field; never another exception."""

from __future__ import annotations

import math
import tomllib

import tomli_w
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from crosstalk.errors import InputError
from crosstalk.scenario import Scenario

from conftest import REPO

SCALARS = st.one_of(
    st.none(), st.booleans(), st.integers(min_value=-10**20, max_value=10**20),
    st.floats(allow_nan=True, allow_infinity=True), st.text(max_size=12),
    st.lists(st.integers(min_value=-5, max_value=400), max_size=4),
)
KEYS = ["name", "description", "model", "duration_days", "output_step_hours", "seed", "exercise", "dose", "patient",
        "blockade", "parameters", "cohort", "colour"]
REGIME_KEYS = ["modality", "intensity", "minutes", "session_days", "sessions_per_week", "start_day", "end_day",
               "start_hour", "adherence", "adherence_pattern", "before_each_dose", "hours_before", "speed"]
DOSE_KEYS = ["drug", "amount", "unit", "start_day", "interval_days", "count", "infusion_minutes", "route"]
GOOD = tomllib.loads((REPO / "scenarios" / "aerobic_during_ac.toml").read_text(encoding="utf-8"))


def _mutated(base: dict, keys: list[str]) -> st.SearchStrategy:
    return st.dictionaries(st.sampled_from(keys), SCALARS, max_size=4).map(lambda extra: {**base, **extra})


@st.composite
def scenario_dicts(draw) -> dict:
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


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(scenario_dicts())
def test_scenario_input_is_valid_or_an_input_error(data):
    try:
        s = Scenario.from_dict(data, source="fuzz.toml")
    except InputError as err:
        assert err.field and "allowed" in str(err)
        return
    assert Scenario.from_toml(s.to_toml()) == s  # whatever is accepted round-trips
    assert math.isfinite(s.duration_days) and s.duration_days > 0


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=300))
def test_arbitrary_bytes_are_not_a_scenario(raw):
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        return
    try:
        Scenario.from_toml(text, source="bytes.toml")
    except InputError as err:
        assert err.field


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(changes=st.dictionaries(st.sampled_from(["n", "seed", "method", "outputs", "time_resolved", "second_order",
                                                "max_failure_fraction", "output_step_hours", "rtol", "extra_key"]),
                               SCALARS, max_size=3))
def test_analysis_input_is_valid_or_an_input_error(tmp_path_factory, changes):
    from crosstalk.sensitivity import load_analysis

    data = tomllib.loads((REPO / "analysis" / "regimes_during_ac.toml").read_text(encoding="utf-8"))
    data["base_scenario"] = str(REPO / "scenarios" / "aerobic_during_ac.toml")
    data.update({k: v for k, v in changes.items() if v is not None})
    path = tmp_path_factory.mktemp("spec") / "spec.toml"
    try:
        path.write_text(tomli_w.dumps(data), encoding="utf-8")
    except (TypeError, ValueError):
        return  # not representable in TOML
    try:
        load_analysis(path)
    except InputError as err:
        assert err.field and "allowed" in str(err)


COHORT = tomllib.loads((REPO / "scenarios" / "cohort_aerobic_during_ac.toml").read_text(encoding="utf-8"))
RANGE_KEYS = ["name", "low", "high", "distribution", "mode", "sigma"]


@st.composite
def cohort_dicts(draw) -> dict:
    data = dict(COHORT)
    rows = [dict(r) for r in COHORT["cohort"]["parameter"]]
    for _ in range(draw(st.integers(min_value=1, max_value=3))):
        i = draw(st.integers(min_value=0, max_value=len(rows) - 1))
        rows[i] = draw(_mutated(rows[i], RANGE_KEYS))
    if draw(st.booleans()):
        rows.append(dict(rows[0]))  # a duplicate name
    section = draw(st.sampled_from(["ranges", "ranges", "not a table", "empty", "rows not a list"]))
    data["cohort"] = {"ranges": {"parameter": rows}, "not a table": 3, "empty": {},
                      "rows not a list": {"parameter": rows[0]}}[section]
    return data


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(cohort_dicts())
def test_cohort_input_is_valid_or_an_input_error(data):
    try:
        s = Scenario.from_dict(data, source="cohort.toml")
    except InputError as err:
        assert err.field and "allowed" in str(err)
        return
    assert Scenario.from_toml(s.to_toml()) == s
    names = [r.name for r in s.cohort]
    assert len(names) == len(set(names))


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(kind=st.sampled_from(["scenario", "cohort", "bytes"]), scenario=scenario_dicts(), cohort=cohort_dicts(),
       raw=st.binary(max_size=200))
def test_cli_check_exits_0_or_2_without_a_traceback(tmp_path_factory, kind, scenario, cohort, raw):
    """The command line on fuzzed files: exit 0 (valid) or 2 with one line naming the field; nothing escapes."""
    import contextlib
    import io

    from crosstalk.cli import main

    path = tmp_path_factory.mktemp("cli") / "input.toml"
    if kind == "bytes":
        path.write_bytes(raw)
    else:
        try:
            path.write_text(tomli_w.dumps(scenario if kind == "scenario" else cohort), encoding="utf-8")
        except (TypeError, ValueError):
            return  # not representable in TOML
    err = io.StringIO()
    with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
        code = main(["check", str(path)])
    assert code in (0, 2), err.getvalue()
    if code == 2:
        assert err.getvalue().startswith("crosstalk: error: ") and err.getvalue().count("\n") == 1
        assert "Traceback" not in err.getvalue()
