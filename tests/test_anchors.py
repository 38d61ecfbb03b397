"""Calibration anchors: each ensemble member re-calibrated to the data its fitted values came from."""

from __future__ import annotations

from dataclasses import replace

import pytest

from crosstalk import load_scenario
from crosstalk.calibrate.ensemble import draw_ensemble
from crosstalk.errors import CrosstalkError
from crosstalk.model.parameters import parameter_ids, parameter_table
from crosstalk.validation.anchors import READINGS, anchor_conditioning, anchors, reading, recalibrate, solve
from crosstalk.validation.check import CHECKS, run_check


def test_anchors_are_calibration_data_never_held_out_predictions():
    fitted_to = {p.fit for p in parameter_table("crosstalk") if p.fit}
    for a in anchors():
        assert a.target in fitted_to, f"{a.target} is not a calibration target of any fitted row"
        assert parameter_ids("crosstalk")[a.parameter].fit, f"{a.parameter} is not a fitted row"
        assert a.why.strip()


@pytest.mark.parametrize("anchor", anchors(), ids=lambda a: a.parameter)
def test_the_table_values_read_inside_each_datum_range(anchor):
    value = parameter_ids(CHECKS[anchor.target].model)[anchor.parameter].value
    assert anchor.range.low <= reading(anchor, {}, value) <= anchor.range.high


@pytest.mark.parametrize(("target", "criterion"), list(READINGS))
def test_a_cheap_reading_equals_its_check(target, criterion):
    anchor = next(a for a in anchors() if (a.target, a.criterion) == (target, criterion))
    value = parameter_ids(CHECKS[target].model)[anchor.parameter].value
    assert reading(anchor, {}, value) == pytest.approx(run_check(target).criteria[criterion][0], rel=1e-9)


def test_a_member_is_re_solved_to_its_drawn_datum_given_its_other_values():
    il6 = next(a for a in anchors() if a.parameter == "il6_release_pg_per_ml_h")
    member = {"k_il6_clearance": 1.2, il6.name: 30.0}
    solved = recalibrate(member)
    assert il6.name not in solved and solved["k_il6_clearance"] == 1.2
    assert reading(il6, solved, solved[il6.parameter]) == pytest.approx(30.0, rel=2e-3)
    # faster clearance needs more release for the same rise
    assert solved[il6.parameter] > parameter_ids("exercise")[il6.parameter].value


def test_an_unreachable_datum_fails_the_member_in_one_line():
    il6 = next(a for a in anchors() if a.parameter == "il6_release_pg_per_ml_h")
    with pytest.raises(CrosstalkError, match="il6_release_pg_per_ml_h: no value within") as err:
        solve(il6, {}, 1e9)
    assert "\n" not in str(err.value)


def test_animal_scenarios_and_parameters_a_scenario_sets_are_not_re_solved():
    assert anchor_conditioning("crosstalk", "mouse") is None
    conditioning = anchor_conditioning("crosstalk", "human")
    assert conditioning is not None and "k_cardiomyocyte_loss" in conditioning.solves.values()
    s = load_scenario("aerobic_during_ac")
    fixed = replace(s, parameters={**s.parameters, "k_cardiomyocyte_loss": 1e-3})
    names = draw_ensemble(fixed, 4, seed=1, conditioning=conditioning).names
    assert "target:ctrcd_incidence.incidence" not in names and "k_cardiomyocyte_loss" not in names
    names = draw_ensemble(s, 4, seed=1, conditioning=conditioning).names
    assert "target:ctrcd_incidence.incidence" in names and "k_cardiomyocyte_loss" not in names
