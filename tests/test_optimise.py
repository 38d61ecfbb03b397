"""The prescription optimiser: a known Pareto front, common random numbers, constraints, resume,
reproducibility across executors, and clear errors for bad specs."""

from __future__ import annotations

import json
import math
import re
from dataclasses import replace

import numpy as np
import pandas as pd
import pytest

from crosstalk.cli import main
from crosstalk.errors import CrosstalkError, InputError
from crosstalk.sim.simulator import Simulator
from crosstalk.spec.ranges import ParameterRange
from crosstalk.spec.scenario import ExerciseRegime, Scenario
from crosstalk.studies.optimise import (
    ADDED_REGIME,
    Constraint,
    Decision,
    Objective,
    OptimisationSpec,
    benefit_drivers,
    chosen_prescriptions,
    holdout_cohort,
    load_optimisation,
    prescribe,
    run_optimisation,
)
from crosstalk.studies.optimise.readback import read_optimisation

import sa_functions as saf
from conftest import REPO

TOY = Scenario("toy", duration_days=1.0, exercise=(ExerciseRegime(sessions_per_week=3),))


def zdt1_spec(**kw) -> OptimisationSpec:
    decisions = tuple(Decision(f"x{i + 1}", 0.0, 1.0) for i in range(5))
    return OptimisationSpec("zdt1", TOY, decisions, (Objective("f1"), Objective("f2")), patients=1, n_boot=0,
                            **{"population_size": 40, "generations": 60, "seed": 3, **kw})


def test_zdt1_front_is_found_within_a_stated_distance():
    """NSGA-II through the study engine on ZDT1 (5 variables): every true-front point has a found point within
    0.02 (inverted generational distance < 0.01), and every found point lies within 0.05 of the true front."""
    res = run_optimisation(zdt1_spec(), workers=1, prescribe_fn=saf.zdt1, progress=False)
    found = res.front[["mean_f1", "mean_f2"]].to_numpy()
    f1 = np.linspace(0, 1, 500)
    true = np.column_stack([f1, 1 - np.sqrt(f1)])
    to_found = np.min(np.linalg.norm(true[:, None, :] - found[None, :, :], axis=2), axis=1)
    to_true = np.min(np.linalg.norm(found[:, None, :] - true[None, :, :], axis=2), axis=1)
    assert to_found.mean() < 0.01 and to_found.max() < 0.05, (to_found.mean(), to_found.max())
    assert to_true.max() < 0.05
    assert len(res.front) >= 20


def test_constraints_are_respected_and_common_patients_make_the_front_reproducible(tmp_path):
    spec = OptimisationSpec(
        "toy", TOY,
        (Decision("exercise.sessions_per_week", 0, 7, "integer"), Decision("exercise.minutes", 10, 90),
         Decision("exercise.modality", kind="category", choices=("aerobic", "resistance", "hiit"))),
        (Objective("lvef_drop_points"), Objective("exercise_minutes_total")),
        (Constraint("exercise.sessions_per_week * exercise.minutes <= 300"),),
        population_size=16, generations=8, patients=10, seed=5, n_boot=200)
    one = run_optimisation(spec, tmp_path / "one", workers=1, prescribe_fn=saf.dose_response, progress=False)
    two = run_optimisation(spec, tmp_path / "two", workers=2, prescribe_fn=saf.dose_response, progress=False)
    pd.testing.assert_frame_equal(one.front, two.front)
    exercising = one.front[one.front["exercise.sessions_per_week"] > 0]
    assert (exercising["exercise.sessions_per_week"] * exercising["exercise.minutes"] <= 300 + 1e-9).all()
    assert set(exercising["exercise.modality"]) <= {"aerobic", "resistance", "hiit"}
    # sedentary care is one prescription, whatever the other decisions of a 0-session candidate were
    assert (one.candidates["exercise.sessions_per_week"] == 0).sum() == 0 or \
        one.candidates.loc[one.candidates["exercise.sessions_per_week"] == 0, "key"].nunique() == 1
    # the front is exactly the non-dominated set of every feasible prescription evaluated
    ok = one.candidates[one.candidates.violation <= 0].drop_duplicates("key")
    f = ok[["mean_lvef_drop_points", "mean_exercise_minutes_total"]].to_numpy()
    dominated = [bool(((f <= p).all(axis=1) & (f < p).any(axis=1)).any()) for p in f]
    assert sorted(ok.candidate[~np.array(dominated)]) == sorted(one.front.candidate)
    lo, hi = one.front["mean_lvef_drop_points_low"], one.front["mean_lvef_drop_points_high"]
    assert (lo <= one.front["mean_lvef_drop_points"]).all() and (one.front["mean_lvef_drop_points"] <= hi).all()
    infeasible = one.candidates[one.candidates.violation > 0]
    assert len(infeasible) and infeasible["mean_lvef_drop_points"].isna().all()  # never simulated
    assert (tmp_path / "one" / "front.csv").exists() and (tmp_path / "one" / "evaluations.parquet").exists()


def interrupt_at_generation(monkeypatch, generation: int) -> None:
    """Make the search stop (as Ctrl-C would) when it asks for this generation's evaluations."""
    from crosstalk.studies.optimise import search as optimise

    calls = {"n": 0}
    original = optimise._Evaluator.__call__

    def interrupted(self, x):
        calls["n"] += 1
        if calls["n"] == generation:
            raise KeyboardInterrupt
        return original(self, x)

    monkeypatch.setattr(optimise._Evaluator, "__call__", interrupted)


def resume_spec() -> OptimisationSpec:
    """Few distinct prescriptions (so they repeat across generations), a quantile objective and intervals: what
    makes a resumed run differ if a prescription's patients were stored twice."""
    return OptimisationSpec(
        "repeats", TOY,
        (Decision("exercise.sessions_per_week", 0, 3, "integer"), Decision("exercise.minutes", 10, 12, "integer"),
         Decision("exercise.modality", kind="category", choices=("aerobic", "resistance", "hiit"))),
        (Objective("lvef_drop_points", "p90"), Objective("exercise_minutes_total")),
        population_size=8, generations=6, patients=5, seed=2, n_boot=100)


def test_resume_after_an_interruption_gives_the_same_front(tmp_path, monkeypatch):
    spec = resume_spec()
    full = run_optimisation(spec, tmp_path / "full", workers=1, prescribe_fn=saf.dose_response, progress=False)
    assert full.candidates.key.duplicated().any()  # prescriptions do repeat
    assert len(full.evaluations) == full.evaluations.key.nunique() * spec.patients  # each stored once
    with monkeypatch.context() as patch, pytest.raises(KeyboardInterrupt):
        interrupt_at_generation(patch, 4)
        run_optimisation(spec, tmp_path / "part", workers=1, prescribe_fn=saf.dose_response, progress=False)
    saved = pd.read_parquet(tmp_path / "part" / "evaluations.parquet")
    assert 0 < saved.key.nunique() < full.candidates.key.nunique()
    with pytest.raises(InputError, match="resume"):
        run_optimisation(spec, tmp_path / "part", workers=1, prescribe_fn=saf.dose_response, progress=False)
    resumed = run_optimisation(spec, tmp_path / "part", workers=1, prescribe_fn=saf.dose_response, progress=False,
                               resume=True)
    pd.testing.assert_frame_equal(full.front, resumed.front)
    pd.testing.assert_frame_equal(full.candidates, resumed.candidates)
    again = run_optimisation(spec, tmp_path / "part", workers=1, prescribe_fn=saf.dose_response, progress=False,
                             resume=True)  # resuming a finished run changes nothing
    pd.testing.assert_frame_equal(full.front, again.front)
    with pytest.raises(InputError, match="another spec"):
        run_optimisation(replace(spec, seed=4), tmp_path / "part", workers=1, prescribe_fn=saf.dose_response,
                         progress=False, resume=True)


def test_maximise_fraction_and_threshold_objectives():
    """Fewer patients with a drop above 5 points and *more* minutes both favour the most exercise: the front is the
    prescription(s) with the largest weekly minutes, and none of its patients crosses the threshold."""
    spec = OptimisationSpec(
        "max", TOY, (Decision("exercise.sessions_per_week", 1, 7, "integer"), Decision("exercise.minutes", 10, 90)),
        (Objective("lvef_drop_points", "fraction", threshold=5.0), Objective("exercise_minutes_total",
                                                                           sense="maximise")),
        population_size=12, generations=10, patients=5, seed=1, n_boot=0)
    res = run_optimisation(spec, workers=1, prescribe_fn=saf.dose_response, progress=False)
    ok = res.candidates[res.candidates.violation <= 0]
    assert res.front["mean_exercise_minutes_total"].max() == ok["mean_exercise_minutes_total"].max()
    assert res.front["fraction_lvef_drop_points_above_5"].min() == ok["fraction_lvef_drop_points_above_5"].min()
    assert len(res.front) == 1 and res.front["fraction_lvef_drop_points_above_5"].iloc[0] == 0.0


def test_a_prescription_with_a_failed_patient_is_infeasible_and_all_infeasible_stops_clearly():
    spec = OptimisationSpec(
        "fails", TOY, (Decision("exercise.sessions_per_week", 1, 7, "integer"), Decision("exercise.minutes", 10, 90)),
        (Objective("lvef_drop_points"), Objective("exercise_minutes_total")),
        population_size=12, generations=5, patients=6, seed=1, n_boot=0)
    res = run_optimisation(spec, workers=1, prescribe_fn=saf.dose_response_failing, progress=False)
    failing = res.candidates[res.candidates["exercise.sessions_per_week"] >= 6]
    assert len(failing) and (failing.failed_patients > 0).all() and (failing.violation > 0).all()
    assert (res.front["exercise.sessions_per_week"] < 6).all()
    impossible = replace(spec, constraints=(Constraint("exercise.minutes >= 100"),))
    with pytest.raises(CrosstalkError, match="no feasible prescription"):
        run_optimisation(impossible, workers=1, prescribe_fn=saf.dose_response, progress=False)


def lucky_spec(**kw) -> OptimisationSpec:
    return OptimisationSpec("lucky", TOY, (Decision("exercise.minutes", 20.0, 75.0),),
                            (Objective("f1"), Objective("f2", sense="maximise"), Objective("pid")),
                            **{"population_size": 24, "generations": 10, "patients": 5, "seed": 11, "n_boot": 500,
                               "holdout_patients": 400, **kw})


def test_holdout_patients_undo_the_winners_curse():
    """Every prescription's true mean outcome f1 is 0; on 5 patients the search picks the luckiest, whose in-sample
    mean is well below 0 (selection bias). On 400 new patients (the holdout) the chosen prescriptions' means are
    back at 0 within 4 standard errors, with intervals of the bootstrap's width that cover it."""
    res = run_optimisation(lucky_spec(), workers=1, prescribe_fn=saf.lucky, progress=False)
    hold = res.holdout
    f1 = hold[hold.objective == "mean_f1"]
    best = f1[f1.why.str.contains("best mean_f1")].iloc[0]
    assert best.in_sample < -0.8, best.in_sample  # the luckiest of ~240 prescriptions on 5 patients
    assert best.in_sample_rank == 1
    assert (f1.holdout.abs() < 4 / np.sqrt(400)).all(), f1.holdout.tolist()
    assert ((f1.holdout_low <= 0) & (f1.holdout_high >= 0)).all()
    width = f1.holdout_high - f1.holdout_low  # 2 x 1.96 standard errors of a mean of 400 standard normals
    assert width.between(0.75 * 0.196, 1.25 * 0.196).all(), width.tolist()
    # the holdout patients are 5..404, none of the search's 0..4
    pid = hold[hold.objective == "mean_pid"]
    np.testing.assert_allclose(pid.in_sample, 2.0)
    np.testing.assert_allclose(pid.holdout, 5 + 399 / 2)
    assert (hold.patients == 400).all() and (hold.failed == 0).all()
    assert res.provenance["holdout_simulations"] == 400 * hold.candidate.nunique() == 400 * len(f1)
    # f2 (maximised) is the prescription itself: no luck, in sample equals holdout, the longest ranks first
    f2 = hold[hold.objective == "mean_f2"]
    np.testing.assert_allclose(f2.holdout, f2.in_sample, rtol=1e-12)
    top = f2[f2.why.str.contains("best mean_f2")].iloc[0]
    assert top.in_sample_rank == top.holdout_rank == 1 and top["exercise.minutes"] == f2["exercise.minutes"].max()


def test_holdout_leaves_a_failed_patient_out_of_every_arm():
    """Holdout patient 7 fails for every prescription: each statistic uses the other 49 patients (common patients),
    and the row says so."""
    res = run_optimisation(lucky_spec(holdout_patients=50, generations=3), workers=1,
                           prescribe_fn=saf.lucky_failing, progress=False)
    hold = res.holdout
    assert (hold.failed == 1).all() and (hold.patients == 50).all()
    ids = [i for i in range(5, 55) if i != 7]
    np.testing.assert_allclose(hold[hold.objective == "mean_pid"].holdout, np.mean(ids))
    f2 = hold[hold.objective == "mean_f2"]
    np.testing.assert_allclose(f2.holdout, f2.in_sample, rtol=1e-12)
    assert np.isfinite(hold[["holdout", "holdout_low", "holdout_high"]].to_numpy()).all()


@pytest.mark.parametrize(("expression", "values", "violation"), [
    ("exercise.sessions_per_week * exercise.minutes <= 300", {"exercise.sessions_per_week": 5,
                                                              "exercise.minutes": 70}, 50.0),
    ("a + 2 * (b - 1) >= -a / 4", {"a": 2.0, "b": 0.0}, -0.5),  # 0 >= -0.5: satisfied by 0.5
    ("a == 3", {"a": 3.0}, -1e-9),
])
def test_constraint_grammar_evaluates_without_code(expression, values, violation):
    assert math.isclose(Constraint(expression).violation(values), violation, abs_tol=1e-12)


@pytest.mark.parametrize("expression", ["__import__('os').system('true') <= 1", "a <= 1 <= 2", "a + <= 2",
                                        "(a <= 2", "a", "a ** 2 <= 1", "a < 2"])
def test_constraint_expressions_that_are_not_the_grammar_are_refused(expression):
    with pytest.raises(InputError) as info:
        Constraint(expression)
    assert info.value.field == "constraint.expression"


@pytest.mark.parametrize(("expression", "values", "violation"), [
    ("exercise.minutes <= 60", {"exercise.minutes": 75}, 15.0),   # broken by 15 minutes
    ("exercise.minutes <= 60", {"exercise.minutes": 45}, -15.0),  # met with 15 to spare
    ("exercise.minutes >= 60", {"exercise.minutes": 45}, 15.0),
    ("a == 3", {"a": 4.0}, 1.0 - 1e-9),
    ("a + b * c <= 0", {"a": 1.0, "b": 2.0, "c": 3.0}, 7.0),      # a + (b * c), not (a + b) * c = 9
    ("a - b - c <= 0", {"a": 10.0, "b": 3.0, "c": 2.0}, 5.0),     # (a - b) - c, not a - (b - c) = 9
    ("a / b / c <= 0", {"a": 12.0, "b": 3.0, "c": 2.0}, 2.0),     # (a / b) / c, not a / (b / c) = 8
    ("-a * 2 >= -a - 1", {"a": 3.0}, 2.0),
    ("a <= 67.153e8", {"a": 0.0}, -6715300000.0),                 # the decimal value, as Python reads it
    ("a / b <= 1", {"a": 2.0, "b": 0.0}, math.inf),               # x / 0: infinite, with the sign of x
    ("a / b <= 1", {"a": 0.0, "b": 0.0}, -1.0),                   # 0 / 0: 0
])
def test_a_constraint_is_violated_by_the_right_amount(expression, values, violation):
    assert Constraint(expression).violation(values) == violation


def test_constraint_names_keep_their_dots_and_do_not_collide_with_the_names_given_to_them():
    c = Constraint("_dotted0 + exercise.minutes * 2 <= exercise.sessions_per_week")
    assert c.names == {"_dotted0", "exercise.minutes", "exercise.sessions_per_week"}
    assert c.violation({"_dotted0": 1.0, "exercise.minutes": 10.0, "exercise.sessions_per_week": 3.0}) == 18.0


def test_a_name_without_a_value_is_refused_by_name():
    with pytest.raises(InputError, match=r"missing: exercise\.minutes") as info:
        Constraint("exercise.sessions_per_week * exercise.minutes <= 300").violation({"exercise.sessions_per_week": 3})
    assert info.value.field == "constraint.expression"
    with pytest.raises(InputError, match=r"names of integer or real decisions \(x1\); not: exercise.minutes"):
        OptimisationSpec("unknown", TOY, (Decision("x1"),), (Objective("f1"),),
                         (Constraint("x1 + exercise.minutes <= 1"),))


@pytest.mark.parametrize(("expression", "allowed"), [
    ("sin(a) <= 1", "'sin'"),
    ("a ^ 2 <= 1", "'^'"),
    ("a <= pi", "'pi'"),
    ("a <= 1 && a >= 0", "'&&'"),
    ("a <= inf", "the number inf"),
    ("5 mL <= a", "unreadable at character 4: '5 mL'"),
    ("exercise.minutes ** 2 <= 1", "unreadable at character 19: 'exercise.minutes **'"),
    ("(a <= 2", "it ends too early"),
    ("a < 2", "strict bound"),
    ("a != 2", "one comparison (<=, >=, ==) between two sides"),
    ("a + (b <= 2) <= 3", "not a comparison inside a side"),
    ("a <= 1 <= 2", "a chain of 3 sides"),
])
def test_a_refused_constraint_says_what_is_allowed_and_what_was_found(expression, allowed):
    with pytest.raises(InputError) as info:
        Constraint(expression)
    assert info.value.field == "constraint.expression" and info.value.value == expression
    assert allowed in info.value.allowed, info.value.allowed


def test_constraints_and_initial_assignments_share_one_evaluator():
    """The evaluator of the models' initial assignments evaluates a constraint's sides; it still refuses a division
    by zero (a broken parameter set) unless asked for the constraints' limits."""
    from crosstalk.model.introspect import evaluate, parse_formula

    tree = parse_formula("a + b * c <= 6")
    assert tree == Constraint("a + b * c <= 6").tree
    assert evaluate(tree, {"a": 1.0, "b": 2.0, "c": 2.0}) == 1.0 and evaluate(tree, {"a": 1, "b": 2, "c": 3}) == 0.0
    with pytest.raises(ZeroDivisionError):
        evaluate(parse_formula("a / b"), {"a": 1.0, "b": 0.0})
    assert evaluate(parse_formula("a / b"), {"a": -1.0, "b": 0.0}, zero_division="infinity") == -math.inf
    with pytest.raises(KeyError, match="no value for the name 'b'"):
        evaluate(parse_formula("a + b"), {"a": 1.0})


def test_prescribe_applies_decisions_and_zero_sessions_means_no_exercise():
    sc = prescribe(TOY, {"exercise.sessions_per_week": 5, "exercise.intensity": 0.8})
    assert sc.exercise[0].sessions_per_week == 5 and sc.exercise[0].intensity == 0.8
    assert prescribe(TOY, {"exercise.sessions_per_week": 0}).exercise == ()
    with pytest.raises(InputError, match="intensity"):
        prescribe(TOY, {"exercise.intensity": 3.0})


def test_a_sedentary_base_gets_a_prescription_to_add():
    """"Which prescription should I add to this AC course?": a base without exercise takes ADDED_REGIME, which the
    decisions change; the spec validates without a placeholder block."""
    sedentary = replace(TOY, exercise=())
    sc = prescribe(sedentary, {"exercise.sessions_per_week": 2, "exercise.minutes": 30})
    assert sc.exercise == (replace(ADDED_REGIME, sessions_per_week=2, minutes=30),)
    assert prescribe(sedentary, {"exercise.sessions_per_week": 0}).exercise == ()
    spec = OptimisationSpec("add", sedentary, (Decision("exercise.sessions_per_week", 0, 5, "integer"),),
                            (Objective("exercise_minutes_total"),), population_size=4, generations=1, patients=1)
    spec.check_contract()


SPEC = """name = "prescriptions"
base_scenario = "scenarios/aerobic_during_ac.toml"
population_size = 8
generations = 2
patients = 4
seed = 7
[[decision]]
name = "exercise.sessions_per_week"
low = 0
high = 7
kind = "integer"
[[objective]]
output = "lvef_drop_points"
statistic = "mean"
sense = "minimise"
"""


@pytest.mark.parametrize(("old", "new", "field"), [
    ('kind = "integer"', 'kind = "whole"', "decision[exercise.sessions_per_week].kind"),
    ('name = "exercise.sessions_per_week"', 'name = "exercise.speed"', "decision.name"),
    ('output = "lvef_drop_points"', 'output = "tumour_response"', "objective[tumour_response].output"),
    ('statistic = "mean"', 'statistic = "mode"', "objective[lvef_drop_points].statistic"),
    ("patients = 4", "patients = 0", "patients"),
    ("generations = 2", "generations = 2\nmutation = 0.1", "mutation"),
    ('sense = "minimise"', 'sense = "minimise"\n[[constraint]]\nexpression = "exercise.minutes <= 60"',
     "constraint.expression"),
])
def test_bad_optimisation_specs_name_the_field(tmp_path, old, new, field):
    assert old in SPEC
    path = tmp_path / "bad.toml"
    path.write_text(SPEC.replace(old, new, 1), encoding="utf-8")
    (tmp_path / "scenarios").mkdir()
    (tmp_path / "scenarios" / "aerobic_during_ac.toml").write_text(
        (REPO / "scenarios" / "aerobic_during_ac.toml").read_text(encoding="utf-8"), encoding="utf-8")
    with pytest.raises(InputError) as info:
        load_optimisation(path)
    assert info.value.field == field and "bad.toml" in str(info.value)


@pytest.mark.slow
def test_a_small_optimisation_on_the_model(tmp_path):
    """The real model: 2 generations of 8 prescriptions on 4 virtual patients of the base scenario's population,
    the same patients for every prescription (the no-exercise candidate is simulated once)."""
    path = tmp_path / "spec.toml"
    path.write_text(SPEC.replace('base_scenario = "scenarios/aerobic_during_ac.toml"',
                                 f'base_scenario = "{REPO}/scenarios/aerobic_during_ac.toml"'), encoding="utf-8")
    spec = replace(load_optimisation(path), uncertain=(ParameterRange("nk_homing_gain", 20.0, 150.0),
                                                          ParameterRange("k_cardiomyocyte_loss", 4e-4, 1.8e-3)),
                   uncertain_n=4, holdout_patients=3)
    res = run_optimisation(spec, tmp_path / "out", workers=2, progress=False)
    # the uncertainty study: one summary row per chosen prescription (one objective) over the 4 draws
    summary = res.uncertainty_summary
    exercising = chosen_prescriptions(res)["exercise.sessions_per_week"] > 0
    assert len(summary) == exercising.sum() and summary.fraction_benefit.between(0, 1).all()
    assert (tmp_path / "out" / "uncertainty_summary.csv").exists()
    # sedentary care on the same patients: patient 0's own simulation without exercise
    from crosstalk.sim.simulator import simulate
    from crosstalk.spec.scenario import apply_values

    patient = {k: v for k, v in res.patients.iloc[0].items() if k != "patient"}
    alone = simulate(apply_values(replace(spec.base_scenario, exercise=()), patient)).endpoints
    assert math.isclose(res.sedentary_outputs.lvef_drop_points.iloc[0], alone["lvef_drop_points"], rel_tol=1e-6)
    beats = res.front["mean_lvef_drop_points_beats_sedentary"]
    assert beats.between(0, 1).all() and (tmp_path / "out" / "sedentary.csv").exists()
    paired = res.front.filter(like="mean_lvef_drop_points_vs_sedentary")
    assert (paired.iloc[:, 1] <= paired.iloc[:, 0] + 1e-12).all() and (paired.iloc[:, 1] <= paired.iloc[:, 2]).all()
    assert res.front["exercise.sessions_per_week"].between(0, 7).all()
    assert np.isfinite(res.front["mean_lvef_drop_points"]).all()
    # the holdout: new patients (not the search's), sedentary care on them simulated as a patient alone would be
    new = holdout_cohort(spec)
    assert len(new) == 3 and new.merge(res.patients.drop(columns="patient"), how="inner").empty
    hold = res.holdout
    assert len(hold) == exercising.sum() and (tmp_path / "out" / "holdout.csv").exists()
    alone = [simulate(apply_values(replace(spec.base_scenario, exercise=()), p)).endpoints["lvef_drop_points"]
             for p in new.to_dict("records")]
    np.testing.assert_allclose(hold.holdout_sedentary, np.mean(alone), rtol=1e-6)
    assert ((hold.holdout_vs_sedentary_low <= hold.holdout_vs_sedentary)
            & (hold.holdout_vs_sedentary <= hold.holdout_vs_sedentary_high)).all()
    assert hold.holdout_beats_sedentary.between(0, 1).all()
    assert res.provenance["holdout_simulations"] == 3 * (len(hold) + 1)  # each prescription and sedentary care
    # the whole result, read back from the run directory without simulating
    back = read_optimisation(tmp_path / "out")
    assert back.spec == spec and back.provenance["spec_hash"] == spec.spec_hash()
    for name in ("front", "candidates", "evaluations", "sedentary", "patients", "sedentary_outputs", "uncertainty",
                 "uncertainty_summary", "holdout"):
        pd.testing.assert_frame_equal(getattr(back, name), getattr(res, name), check_dtype=False, obj=name)
    pd.testing.assert_frame_equal(benefit_drivers(back), benefit_drivers(res))


@pytest.mark.slow
def test_cli_optimise_writes_the_front_and_a_report_with_its_figures(tmp_path, monkeypatch):
    """``crosstalk optimise`` end to end on the model: front.csv, sedentary.csv, the report (parsed for its
    figures and tables: the front, the chosen prescriptions in words, trajectories), --resume, and the report
    rebuilt from the run directory by ``crosstalk report`` with the simulator made unavailable."""
    import subprocess
    import sys
    from html.parser import HTMLParser

    path = tmp_path / "spec.toml"
    path.write_text(SPEC.replace('base_scenario = "scenarios/aerobic_during_ac.toml"',
                                 f'base_scenario = "{REPO}/scenarios/aerobic_during_ac.toml"')
                    .replace("generations = 2", "generations = 1\nholdout_patients = 2"), encoding="utf-8")
    out = tmp_path / "out"
    cmd = [sys.executable, "-m", "crosstalk", "optimise", str(path), "--out", str(out), "--workers", "2", "--quiet"]
    proc = subprocess.run(cmd, capture_output=True, encoding="utf-8")
    assert proc.returncode == 0, proc.stderr
    front = pd.read_csv(out / "front.csv")
    assert {"exercise.sessions_per_week", "mean_lvef_drop_points", "mean_lvef_drop_points_low",
            "mean_lvef_drop_points_beats_sedentary"} <= set(front.columns)
    drivers = pd.read_csv(out / "benefit_drivers.csv")
    assert len(pd.read_csv(out / "patients.csv")) == 4
    assert drivers.empty or drivers.spearman_rho.between(-1, 1).all()

    class Page(HTMLParser):
        def __init__(self) -> None:
            super().__init__()
            self.images: list[str] = []
            self.tables = 0
            self.text: list[str] = []

        def handle_starttag(self, tag, attrs):
            if tag == "img":
                self.images.append(dict(attrs)["alt"])
            self.tables += tag == "table"

        def handle_data(self, data):
            self.text.append(data)

    parsed = Page()
    parsed.feed((out / "report.html").read_text(encoding="utf-8"))
    assert {"front in objective space", "trajectories of the chosen prescriptions"} <= set(parsed.images)
    text = " ".join(parsed.text)
    assert parsed.tables >= 2 and "Sedentary care" in text and ("min/week" in text or "no exercise" in text)
    assert "On new patients (holdout)" in text and len(pd.read_csv(out / "holdout.csv"))
    again = subprocess.run(cmd, capture_output=True, encoding="utf-8")
    assert again.returncode == 2 and "--resume" in again.stderr
    resumed = subprocess.run([*cmd, "--resume"], capture_output=True, encoding="utf-8")
    assert resumed.returncode == 0, resumed.stderr
    pd.testing.assert_frame_equal(front, pd.read_csv(out / "front.csv"))
    written = (out / "report.html").read_text(encoding="utf-8")
    assert json.loads((out / "manifest.json").read_text(encoding="utf-8"))["kind"] == "optimise"
    assert not (out / "chunks").exists()  # the evaluations are its store of work
    (out / "report.html").unlink()

    def refuse(self, *args, **kwargs):
        raise AssertionError("a report was rebuilt by simulating")

    monkeypatch.setattr(Simulator, "run", refuse)
    assert main(["report", str(out)]) == 0
    rebuilt = (out / "report.html").read_text(encoding="utf-8")
    assert re.findall(r"<table>.*?</table>", rebuilt, flags=re.S) == re.findall(r"<table>.*?</table>", written,
                                                                                 flags=re.S)
    assert re.findall(r'<img alt="([^"]*)"', rebuilt) == re.findall(r'<img alt="([^"]*)"', written)


@pytest.mark.parametrize("path", sorted((REPO / "analysis").glob("*.toml")), ids=lambda p: p.stem)
def test_every_built_in_spec_loads(path):
    """Optimisation specs (with [[decision]]) and analysis specs alike load and pass their checks."""
    import tomllib

    from crosstalk.studies.sensitivity import load_analysis

    data = tomllib.loads(path.read_text(encoding="utf-8"))
    spec = load_optimisation(path) if "decision" in data else load_analysis(path)
    assert spec.name == data["name"]


@pytest.mark.slow
def test_the_built_in_ac_spec_scaled_down_is_reproducible_across_executors_and_after_an_interruption(
        tmp_path, monkeypatch):
    """analysis/prescriptions_during_ac.toml on the model (its decisions, objectives and constraint; 3 generations
    of 6 prescriptions on 3 patients): one worker, two workers and a Dask LocalCluster give the same front, and a
    run interrupted in its second generation resumes to it."""
    from crosstalk.studies.executors import dask_executor

    spec = replace(load_optimisation(REPO / "analysis" / "prescriptions_during_ac.toml"), population_size=6,
                   generations=3, patients=3, n_boot=50, uncertain=())
    one = run_optimisation(spec, tmp_path / "one", workers=1, progress=False)
    two = run_optimisation(spec, tmp_path / "two", workers=2, progress=False)
    with dask_executor(n_workers=2) as ex:
        dask = run_optimisation(spec, tmp_path / "dask", executor=ex, progress=False)
    pd.testing.assert_frame_equal(one.front, two.front)
    pd.testing.assert_frame_equal(one.front, dask.front)
    with monkeypatch.context() as patch, pytest.raises(KeyboardInterrupt):
        interrupt_at_generation(patch, 2)
        run_optimisation(spec, tmp_path / "part", workers=2, progress=False)
    resumed = run_optimisation(spec, tmp_path / "part", workers=2, progress=False, resume=True)
    pd.testing.assert_frame_equal(one.front, resumed.front)
