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
GOOD = tomllib.loads((REPO / "scenarios" / "aerobic_during_ac.toml").read_text())


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
                                                "max_failure_fraction", "output_step_hours", "extra_key"]),
                               SCALARS, max_size=3))
def test_analysis_input_is_valid_or_an_input_error(tmp_path_factory, changes):
    from crosstalk.sensitivity import load_analysis

    data = tomllib.loads((REPO / "analysis" / "regimes_during_ac.toml").read_text())
    data["base_scenario"] = str(REPO / "scenarios" / "aerobic_during_ac.toml")
    data.update({k: v for k, v in changes.items() if v is not None})
    path = tmp_path_factory.mktemp("spec") / "spec.toml"
    try:
        path.write_text(tomli_w.dumps(data))
    except (TypeError, ValueError):
        return  # not representable in TOML
    try:
        load_analysis(path)
    except InputError as err:
        assert err.field and "allowed" in str(err)
