"""The parameter uncertainty behind every answer: the tables' uncertainty rows, the ensemble drawn from them, its
intervals, paired differences and deciding parameters, and ``--uncertainty`` on the command line."""

from __future__ import annotations

import json
import math
from dataclasses import replace

import numpy as np
import pandas as pd
import pytest

from crosstalk import load_scenario
from crosstalk.calibrate.ensemble import (
    INTERVAL_COLUMNS,
    PAIRED_INTERVAL_COLUMNS,
    Ensemble,
    EnsembleRun,
    draw_ensemble,
    endpoint_intervals,
    paired_intervals,
    uncertain_ranges,
)
from crosstalk.calibrate.uncertainty import deciding_parameters
from crosstalk.cli import main
from crosstalk.errors import CrosstalkError, InputError, ModelBuildError
from crosstalk.model.parameters import _uncertainty, parameter_table
from crosstalk.model.registry import model_info, module_names
from crosstalk.spec.ranges import ParameterRange


@pytest.mark.parametrize("module", module_names())
def test_every_parameter_row_says_how_uncertain_it_is(module):
    rows = parameter_table(module)
    assert rows and all(p.uncertainty is not None for p in rows), [p.id for p in rows if p.uncertainty is None]
    for p in rows:
        u = p.uncertainty
        assert u is not None and u.basis.strip()
        if u.uncertain:
            lo, hi = u.central_interval()
            assert lo <= p.value <= hi, p.id
            assert u.basis.split(":")[0] in ("cited", "assumed", "fit"), p.id
            if p.fit:
                assert u.basis.startswith("fit:"), f"{p.id} is fitted: its range's basis starts 'fit:'"


def test_patient_fields_switches_and_constants_carry_no_distribution():
    table = {p.id: p for p in parameter_table("crosstalk")}
    info = model_info("crosstalk")
    fixed = {*info.patient_parameters.values(), *(k for b in info.blockades.values() for k in b.values),
             "avogadro_constant"}
    assert {k for k in fixed if k in table and table[k].uncertainty.uncertain} == set()  # type: ignore[union-attr]


@pytest.mark.parametrize(("raw", "message"), [
    ({"distribution": "normal", "low": 1, "high": 2, "basis": "assumed: x"}, "allowed: uniform"),
    ({"distribution": "loguniform", "low": 2, "high": 3, "basis": "assumed: x"}, "holds the value 1"),
    ({"distribution": "loguniform", "low": 0.5, "high": 2, "basis": "a guess"}, "must start with"),
    ({"distribution": "lognormal", "low": 1, "high": -0.2, "basis": "cited: x"}, "valid lognormal"),
    ({"low": 0.5, "high": 2}, "must be { distribution, low, high, basis }"),
    ({"none": " "}, "must be { distribution, low, high, basis }"),
])
def test_a_bad_uncertainty_row_is_refused_in_one_line_naming_it(raw, message):
    with pytest.raises(ModelBuildError, match=r"^immune parameter table: k_x\.uncertainty") as err:
        _uncertainty("immune", "k_x", 1.0, raw)
    assert message in str(err.value) and "\n" not in str(err.value)


def test_the_ensemble_is_seeded_and_leaves_what_the_scenario_sets_alone():
    s = load_scenario("aerobic_during_ac")
    s = replace(s, parameters={**s.parameters, "k_il6_clearance": 0.5})
    a, b, c = (draw_ensemble(s, 16, seed=seed) for seed in (3, 3, 4))
    assert a.values().equals(b.values()) and not a.values().equals(c.values())
    names = set(a.names)
    assert "k_il6_clearance" not in names and "cardiac_sensitivity" not in names and "body_weight_kg" not in names
    assert "heart_plasma_partition" in names and len(names) > 100
    # each column is its row's distribution: a Latin hypercube puts exactly one member in each 1/16 stratum
    strata = np.sort(np.floor(a.unit * 16), axis=0)
    assert (strata == np.arange(16)[:, None]).all()
    for r in a.ranges[:20]:
        lo, hi = r.central_interval(0.999)
        assert a.values()[r.name].between(lo * 0.999, hi * 1.001).all(), r.name


def test_a_parameter_left_out_of_the_draw_leaves_every_other_draw_as_it_was():
    """Each quantity's column depends only on the seed, n and its name: fixing one parameter (or adding a row to
    the tables) does not reshuffle the others, so answers move only through what changed."""
    s = load_scenario("aerobic_during_ac")
    full = draw_ensemble(s, 12, seed=5).values()
    fewer = draw_ensemble(replace(s, parameters={**s.parameters, "k_il6_clearance": 0.5}), 12, seed=5).values()
    assert "k_il6_clearance" in full.columns and "k_il6_clearance" not in fewer.columns
    pd.testing.assert_frame_equal(full.drop(columns="k_il6_clearance"), fewer[full.columns.drop("k_il6_clearance")])


def test_another_species_range_is_the_same_relative_spread_around_its_own_value():
    mouse_scenario = load_scenario("anti_pd1_with_exercise")
    assert mouse_scenario.species == "mouse"
    human = {r.name: r for r in uncertain_ranges(replace(mouse_scenario, species="human"))[0]}
    mouse = {r.name: r for r in uncertain_ranges(mouse_scenario)[0]}
    table = {p.id: p for p in parameter_table(mouse_scenario.model)}
    moved = [k for k in mouse if table[k].value_for("mouse") != table[k].value]
    assert "tumour_growth_rate" in moved
    off = [k for k in human if table[k].value_for("mouse") == 0]
    assert off and not set(off) & set(mouse), "a term the mouse set switches off is not uncertain there"
    for k in moved:
        ratio = table[k].value_for("mouse") / table[k].value
        assert mouse[k].low == pytest.approx(human[k].low * ratio)
        if mouse[k].distribution == "lognormal":
            assert mouse[k].high == human[k].high  # the sd of ln is a relative spread already
        else:
            assert mouse[k].high == pytest.approx(human[k].high * ratio)


def test_an_ensemble_over_scenarios_of_different_models_is_refused():
    with pytest.raises(InputError, match="one ensemble runs scenarios of one model and species"):
        draw_ensemble(load_scenario("single_bout"), 4, seed=1, also=[load_scenario("aerobic_during_ac")])


def _run(name: str, values: dict[str, list[float]], failed: list[bool]) -> EnsembleRun:
    members = pd.DataFrame({"member": range(len(failed)), **values, "failed": failed})
    return EnsembleRun(scenario=replace(load_scenario("single_bout"), name=name), members=members,
                       failures=pd.DataFrame(columns=["member", "error"]), time_h=np.zeros(0), series={})


def test_intervals_are_the_quantiles_of_the_members_that_ran():
    x = [*np.linspace(0.0, 100.0, 101), 1e9]
    run = _run("a", {"lvef_drop_points": x}, [False] * 101 + [True])
    table = endpoint_intervals(run, {"lvef_drop_points": 42.0})
    assert list(table.columns) == list(INTERVAL_COLUMNS)
    row = table.iloc[0]
    assert [row["point"], row["median"], row["lower95"], row["upper95"]] == pytest.approx([42.0, 50.0, 2.5, 97.5])
    assert (row["n"], row["failed"]) == (101, 1)


def test_a_paired_difference_is_taken_member_by_member():
    rng = np.random.default_rng(1)
    base = rng.normal(8.0, 3.0, 400)
    cut = rng.uniform(0.5, 1.5, 400)  # exercise lowers each member's drop by 0.5-1.5 points
    a = _run("sedentary", {"lvef_drop_points": list(base)}, [False] * 400)
    b = _run("exercise", {"lvef_drop_points": list(base - cut)}, [False] * 400)
    d = paired_intervals(a, b, point_reference={"lvef_drop_points": 8.0}, point_arm={"lvef_drop_points": 7.0})
    assert list(d.columns) == list(PAIRED_INTERVAL_COLUMNS)
    row = d.iloc[0]
    assert row["point"] == -1.0 and row["probability_better"] == 1.0 and row["better"] == "lower"
    # the unpaired spread (sd 3) would swamp the effect; the paired interval is the cut's own range
    assert -1.5 <= row["lower95"] < -1.4 and -0.6 < row["upper95"] <= -0.5


def test_the_deciding_parameters_of_a_known_function_among_many_inputs():
    n, d = 200, 150
    unit = np.asarray(__import__("pydoe").lhs(d, samples=n, seed=2))
    ranges = tuple(ParameterRange(f"p{j}", 0.0, 1.0) for j in range(d))
    e = Ensemble(ranges, {r.name: "assumed: test" for r in ranges}, unit, 2)
    y = 5.0 * unit[:, 40] + 16.0 * (unit[:, 7] - 0.5) ** 2 + 1.5 * unit[:, 99]  # variances 25/12, 256/180, 2.25/12
    table = deciding_parameters(e, {"y": y}, top=3)
    assert table["parameter"].tolist() == ["p40", "p7", "p99"]
    assert table["q2"].iloc[0] > 0.95
    total = 25 / 12 + 256 / 180 + 2.25 / 12
    assert table["total_order"].tolist() == pytest.approx([25 / 12 / total, 256 / 180 / total, 2.25 / 12 / total],
                                                          abs=0.03)


def test_simulate_with_uncertainty_writes_intervals_that_hold_the_point(tmp_path, capsys):
    out = tmp_path / "run"
    assert main(["simulate", "single_bout", "--uncertainty", "24", "--seed", "5", "--out", str(out), "--quiet",
                 "--workers", "1"]) == 0
    table = pd.read_csv(out / "endpoints_uncertainty.csv")
    assert list(table.columns) == ["scenario", *INTERVAL_COLUMNS]
    peak = table.set_index("endpoint").loc["il6_peak_fold"]
    assert peak["lower95"] < peak["median"] < peak["upper95"] and peak["n"] == 24
    assert peak["lower95"] <= peak["point"] <= peak["upper95"]
    meta = json.loads((out / "uncertainty.json").read_text())
    assert meta["n"] == 24 and meta["seed"] == 5 and meta["provenance"]["model_sha256"]
    assert all(p["basis"] for p in meta["parameters"])
    assert len(pd.read_csv(out / "ensemble_parameters.csv")) == 24
    html = (out / "report.html").read_text()
    assert "With parameter uncertainty" in html and "95 % interval" in html
    assert "uncertainty: 24 parameter sets" in capsys.readouterr().out


def test_compare_with_uncertainty_gives_the_interval_of_each_difference(tmp_path):
    out = tmp_path / "cmp"
    assert main(["compare", "single_bout", "resistance_bout", "--uncertainty", "20", "--out", str(out), "--quiet",
                 "--workers", "1"]) == 0
    d = pd.read_csv(out / "differences_uncertainty.csv")
    assert set(d["scenario"]) == {"resistance-bout"} and (d["reference"] == "single-bout").all()
    assert (d["lower95"] <= d["median"]).all() and (d["median"] <= d["upper95"]).all()
    assert (out / "deciding_parameters.csv").exists()


@pytest.mark.parametrize("argv", [["--uncertainty", "1"], ["--uncertainty", "8", "--cohort", "4"]])
def test_bad_uncertainty_options_get_one_line(tmp_path, capsys, argv):
    assert main(["compare", "single_bout", "resistance_bout", *argv, "--out", str(tmp_path / "x"), "--quiet"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("crosstalk: error: --uncertainty") and "\n" not in err


@pytest.mark.slow
def test_aerobic_during_ac_intervals_hold_the_point_value(tmp_path):
    out = tmp_path / "aer"
    assert main(["simulate", "aerobic_during_ac", "--uncertainty", "50", "--out", str(out), "--quiet"]) == 0
    table = pd.read_csv(out / "endpoints_uncertainty.csv").set_index("endpoint")
    for endpoint in ("tumour_volume_change_percent", "lvef_drop_points", "nk_tumour_cells_mean"):
        row = table.loc[endpoint]
        assert row["lower95"] <= row["point"] <= row["upper95"], endpoint
        assert not math.isnan(row["median"])


def _peak_share(scenario) -> dict[str, float]:
    return {"bout_share": 0.5 if scenario.exercise else 0.0}


def test_extra_answers_get_intervals_units_and_a_direction():
    from crosstalk.calibrate.ensemble import ExtraOutputs
    from crosstalk.calibrate.uncertainty import run_uncertainty
    from crosstalk.sim.simulator import simulate

    extra = ExtraOutputs(compute=_peak_share, units={"bout_share": "fraction"}, better={"bout_share": "higher"})
    results = [simulate(load_scenario(n)) for n in ("single_bout", "resistance_bout")]
    u = run_uncertainty(results, 6, seed=2, extra=extra, workers=1, progress=False)
    row = u.intervals.set_index(["scenario", "endpoint"]).loc[("single-bout", "bout_share")]
    assert (row["point"], row["median"], row["unit"]) == (0.5, 0.5, "fraction")
    diff = u.differences.set_index("endpoint").loc["bout_share"]
    assert diff["better"] == "higher" and diff["median"] == 0.0 and u.better == {"bout_share": "higher"}
    assert (diff["ratio_point"], diff["ratio_median"], diff["ratio_lower95"]) == (1.0, 1.0, 1.0)


def test_a_ratio_is_given_only_where_it_means_something():
    """arm / reference set by set (a relative risk for incidences): NaN when a reference is not positive or a value
    is negative (a ratio of signed changes means nothing)."""
    from crosstalk.calibrate.ensemble import _ratio

    risk = _ratio(np.array([0.10, 0.08, 0.09]), np.array([0.02, 0.04, 0.03]), 0.95)
    assert risk[0] == pytest.approx(1 / 3) and 0.2 < risk[1] < risk[2] < 0.5
    assert all(math.isnan(v) for v in _ratio(np.array([-60.0, -50.0]), np.array([-61.0, -52.0]), 0.95))
    assert all(math.isnan(v) for v in _ratio(np.array([0.0, 1.0]), np.array([0.0, 1.0]), 0.95))


def test_the_population_heart_of_an_ensemble_member_is_the_calibrated_incidence():
    from crosstalk.validation.cardiac import cardinale_course
    from crosstalk.validation.check import run_check
    from crosstalk.validation.population_heart import heart_incidences, heart_outputs

    assert heart_outputs(load_scenario("single_bout")) is None
    assert heart_outputs(load_scenario("aerobic_during_ac")) is not None
    incidence = heart_incidences(cardinale_course(model="anthracycline"))["ctrcd_incidence"]
    assert incidence == pytest.approx(run_check("ctrcd_incidence").criteria["incidence"][0], rel=1e-9)


def _spread_echo(scenario, *, spread: float = -1.0) -> dict[str, float]:
    return {"spread_seen": spread}


def _keep(values: dict[str, float]) -> dict[str, float]:
    return dict(values)


def test_a_drawn_population_quantity_reaches_the_extra_outputs_and_never_the_model():
    """``population:`` quantities are drawn like parameters, passed to the outputs that read them, and not applied
    to the scenario (the model has no such parameter: applying it would fail every member)."""
    from crosstalk.calibrate.ensemble import POPULATION, Conditioning, ExtraOutputs
    from crosstalk.calibrate.uncertainty import run_uncertainty
    from crosstalk.sim.simulator import simulate

    spread = ParameterRange(POPULATION + "spread", 0.2, 0.6)
    conditioning = Conditioning(ranges=(spread,), bases={spread.name: "test"}, solves={}, condition=_keep)
    extra = ExtraOutputs(compute=_spread_echo, units={"spread_seen": "-"}, better={}, population=("spread",))
    u = run_uncertainty([simulate(load_scenario("single_bout"))], 8, seed=3, conditioning=conditioning, extra=extra,
                        workers=1, progress=False)
    run = next(iter(u.runs.values()))
    assert not run.members["failed"].any()
    assert run.members["spread_seen"].tolist() == pytest.approx(u.ensemble.values()[spread.name].tolist())
    assert 0.2 <= run.members["spread_seen"].min() < run.members["spread_seen"].max() <= 0.6
    row = u.intervals.set_index("endpoint").loc["spread_seen"]
    assert row["point"] == -1.0  # the point run draws nothing: the output's own default


def _refuse_member_3(values: dict[str, float]) -> dict[str, float]:
    if values["target:probe"] > 0.75:
        raise CrosstalkError("cannot reach the probe datum")
    return {k: v for k, v in values.items() if k != "target:probe"}


def test_a_set_that_cannot_be_calibrated_is_left_out_of_every_scenario_and_counted_apart():
    from crosstalk.calibrate.ensemble import Conditioning
    from crosstalk.calibrate.uncertainty import run_uncertainty
    from crosstalk.sim.simulator import simulate

    probe = ParameterRange("target:probe", 0.0, 1.0)
    conditioning = Conditioning(ranges=(probe,), bases={"target:probe": "datum: test"},
                                solves={"target:probe": "il6_release_pg_per_ml_h"}, condition=_refuse_member_3)
    results = [simulate(load_scenario(n)) for n in ("single_bout", "resistance_bout")]
    u = run_uncertainty(results, 8, seed=4, conditioning=conditioning, workers=1, progress=False)
    assert "il6_release_pg_per_ml_h" not in u.ensemble.names and u.solved == ("il6_release_pg_per_ml_h",)
    refused = set(np.flatnonzero(u.ensemble.values()["target:probe"].to_numpy() > 0.75))
    assert u.uncalibrated == len(refused) == 2 and u.failed == 0  # a Latin hypercube: 2 of 8 above 0.75
    for run in u.runs.values():
        assert set(run.failures["member"]) == refused and set(run.failures["stage"]) == {"calibration"}
    assert u.differences is not None and (u.differences["n"] == 6).all()


def test_heart_incidences_follow_the_course_for_a_year_after_the_last_dose():
    from crosstalk.validation.population_heart import followed

    sedentary = load_scenario("ac_sedentary")
    assert followed(sedentary).duration_days == pytest.approx(63.0 + 365.0)
    long = replace(sedentary, duration_days=500.0)
    assert followed(long) is long


def test_a_scenario_key_asks_for_the_ensemble_without_the_flag(tmp_path):
    from crosstalk.spec.scenario import Scenario

    text = "uncertainty = 6\n" + load_scenario("single_bout").to_toml()  # a top-level key: before the tables
    path = tmp_path / "bout.toml"
    path.write_text(text)
    scenario = Scenario.from_toml(text)
    assert scenario.uncertainty == 6 and Scenario.from_dict(scenario.to_dict()) == scenario
    assert main(["simulate", str(path), "--out", str(tmp_path / "run"), "--quiet", "--workers", "1"]) == 0
    assert len(pd.read_csv(tmp_path / "run" / "ensemble_parameters.csv")) == 6
    with pytest.raises(InputError, match=r"^uncertainty: got 1; allowed: an integer"):
        Scenario.from_toml("uncertainty = 1\n" + load_scenario("single_bout").to_toml())


def test_sets_left_out_are_counted_by_the_parameter_that_could_not_be_solved():
    from crosstalk.calibrate.ensemble import EnsembleRun
    from crosstalk.calibrate.uncertainty import UncertaintyResult

    failures = pd.DataFrame({"member": [0, 1, 2, 3, 4], "stage": ["calibration"] * 4 + ["simulation"],
                             "error": ["CrosstalkError: myocardial_reserve: no reserve in 0-0.5 reproduces Swain",
                                       "CrosstalkError: tumour_growth_rate: no value within 1000-fold",
                                       "CrosstalkError: myocardial_reserve: no reserve in 0-0.5 reproduces Swain",
                                       "ValueError: f(a) and f(b) must have different signs",
                                       "CrosstalkError: CVODE failed"]})
    run = EnsembleRun(load_scenario("single_bout"), pd.DataFrame(), failures, np.zeros(1), {})
    result = UncertaintyResult(ensemble=None, runs={"a": run}, intervals=pd.DataFrame(), differences=None,  # type: ignore[arg-type]
                               deciding=pd.DataFrame(), provenance={}, values=pd.DataFrame(),
                               solved=("myocardial_reserve", "tumour_growth_rate"))
    assert (result.uncalibrated, result.failed) == (4, 1)
    assert result.uncalibrated_by() == {"myocardial_reserve": 2, "tumour_growth_rate": 1, "other": 1}


def _report_slope(values):
    return {**values, "seen_slope": values.get("lvef_points_per_loss", -1.0)}


def test_a_scenarios_own_values_reach_each_members_re_calibration():
    """A scenario that sets a parameter runs every member with it, so each member is re-calibrated with it too
    (not with the table's value); it is not reported as a drawn value."""
    from dataclasses import replace

    from crosstalk.calibrate.ensemble import Conditioning, condition_members

    s = load_scenario("aerobic_during_ac")
    steep = replace(s, parameters={**s.parameters, "lvef_points_per_loss": 150.0})
    e = draw_ensemble(steep, 3, seed=1)
    assert "lvef_points_per_loss" not in e.names
    c = Conditioning(ranges=(), bases={}, solves={}, condition=_report_slope)
    out = condition_members(e, c, workers=1, progress=False, given=dict(steep.parameters))
    assert all(v["seen_slope"] == 150.0 and "lvef_points_per_loss" not in v for v in out)
