"""Commands a scientist expects: list a model's parameters, write a scenario to edit, read a run in tidy form."""

from __future__ import annotations

import dataclasses
import warnings

import pytest

from crosstalk import DoseSchedule, ExerciseRegime, Patient, Scenario, load_scenario, simulate
from crosstalk.cli import main
from crosstalk.errors import InputError
from crosstalk.plan.timeline import dose_items


def test_parameters_lists_values_per_species_unit_basis_and_source(capsys):
    assert main(["parameters", "--model", "immune", "--search", "nk_kill_rate"]) == 0
    out = capsys.readouterr().out
    assert "nk_kill_rate  [per_item_per_day]  human 6.41e-11, mouse 3.23e-07  (cited)" in out
    assert "source: de Pillis" in out


def test_parameters_refuses_an_unknown_model_and_a_word_found_nowhere(capsys):
    assert main(["parameters", "--model", "liver"]) == 2
    assert "--model: got 'liver'" in capsys.readouterr().err
    assert main(["parameters", "--search", "no-such-word-anywhere"]) == 2


def test_new_writes_a_commented_template_that_checks(tmp_path, capsys):
    assert main(["new", "my_course", "--from", "hiit_during_ac", "--dir", str(tmp_path)]) == 0
    text = (tmp_path / "my_course.toml").read_text(encoding="utf-8")
    assert text.startswith("# Written by `crosstalk new my_course --from hiit_during_ac`")
    assert "# a 3 cm primary" in text  # the built-in file's own comments are kept
    mine = load_scenario(tmp_path / "my_course.toml")
    builtin = load_scenario("hiit_during_ac")
    assert mine.name == "my_course" and mine.exercise == builtin.exercise and mine.dose == builtin.dose
    assert main(["new", "my_course", "--dir", str(tmp_path)]) == 2  # no silent overwrite
    assert main(["new", "other", "--from", "no_such_scenario", "--dir", str(tmp_path)]) == 2


def test_a_builtin_name_works_where_a_file_does_and_a_typo_gets_a_suggestion():
    assert load_scenario("single_bout").name == load_scenario("crosstalk/scenarios/single_bout.toml").name
    with pytest.raises(Exception, match="did you mean 'single_bout'"):
        load_scenario("single_bot")


def test_to_long_is_tidy_with_units_and_days():
    result = simulate(Scenario("bout", model="exercise", duration_days=1.0, output_step_hours=0.25,
                               exercise=(ExerciseRegime(session_days=(0,)),)))
    long = result.to_long()
    assert list(long.columns) == ["time_days", "observable", "value", "unit"]
    assert len(long) == len(result.timeseries) * (result.timeseries.shape[1] - 1)
    nk = long[long.observable == "nk_blood_per_ul"]
    assert set(nk.unit) == {"cells/uL"} and nk.value.max() == pytest.approx(result.timeseries.nk_blood_per_ul.max())


def test_a_mistyped_key_parameter_id_or_choice_gets_the_nearest_name():
    with pytest.raises(InputError, match="did you mean 'sessions_per_week'"):
        Scenario.from_dict({"name": "x", "duration_days": 1.0, "output_step_hours": 1.0,
                            "exercise": [{"sesions_per_week": 3}]})
    with pytest.raises(InputError, match="did you mean 'nk_kill_rate'") as info:
        Scenario("x", duration_days=1.0, output_step_hours=1.0, parameters={"nk_kil_rate": 1.0})
    assert "crosstalk parameters" in info.value.allowed  # where to look the ids up
    with pytest.raises(InputError, match="did you mean 'aerobic'"):
        ExerciseRegime(modality="Aerobic", sessions_per_week=3)
    with pytest.raises(InputError) as info:
        Scenario("x", duration_days=1.0, output_step_hours=1.0, parameters={"zzzz": 1.0})
    assert "did you mean" not in info.value.allowed  # nothing near: no guess


@pytest.mark.parametrize("unit", ["mg/m²", "mg/m^2", " mg/m2 "])
def test_dose_units_are_read_as_people_type_them(unit):
    assert DoseSchedule("doxorubicin", 60.0, unit).unit == "mg/m2"


def test_mg_per_kg_doses_every_drug_by_the_patients_weight():
    """60 mg/m2 for a 1.8 m2 patient is 108 mg; so is 1.5 mg/kg for a 72 kg one: the same molecules."""
    patient = Patient(weight_kg=72.0, body_surface_area_m2=1.8)

    def items(dose: DoseSchedule) -> float:
        return dose_items(dose, Scenario("x", duration_days=1.0, output_step_hours=1.0, dose=(dose,), patient=patient))

    for drug in ("doxorubicin", "cyclophosphamide", "dexrazoxane"):
        assert items(DoseSchedule(drug, 1.5, "mg/kg")) == pytest.approx(items(DoseSchedule(drug, 60.0, "mg/m2")))
        assert items(DoseSchedule(drug, 108.0, "mg")) == pytest.approx(items(DoseSchedule(drug, 60.0, "mg/m2")))


def test_an_animals_mg_per_kg_dose_needs_its_weight_not_a_humans():
    dose = (DoseSchedule("doxorubicin", 5.0, "mg/kg"),)
    with pytest.raises(InputError, match="mg/kg x Km: mouse 3, rat 6") as info:
        Scenario("m", duration_days=1.0, output_step_hours=1.0, species="mouse", dose=dose)
    assert info.value.field == "dose.unit" and "parameters.body_weight_kg" in info.value.allowed
    Scenario("m", duration_days=1.0, output_step_hours=1.0, species="mouse", dose=dose,
             parameters={"body_weight_kg": 0.025})


def test_leaving_out_the_duration_warns_that_its_default_changes():
    with pytest.warns(FutureWarning, match="become the template's .180 days, 6 h. in crosstalk 0.8.0"):
        sc = Scenario("x", model="exercise")
    assert (sc.duration_days, sc.output_step_hours) == (1.0, 0.25)  # unchanged until then
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        given = Scenario("x", model="exercise", duration_days=1.0, output_step_hours=0.25)
        assert dataclasses.replace(given, name="y").duration_days == 1.0
