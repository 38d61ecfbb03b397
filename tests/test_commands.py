"""Commands a scientist expects: list a model's parameters, write a scenario to edit, read a run in tidy form."""

from __future__ import annotations

import pytest

from crosstalk import ExerciseRegime, Scenario, load_scenario, simulate
from crosstalk.cli import main


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
    result = simulate(Scenario("bout", model="exercise", exercise=(ExerciseRegime(session_days=(0,)),)))
    long = result.to_long()
    assert list(long.columns) == ["time_days", "observable", "value", "unit"]
    assert len(long) == len(result.timeseries) * (result.timeseries.shape[1] - 1)
    nk = long[long.observable == "nk_blood_per_ul"]
    assert set(nk.unit) == {"cells/uL"} and nk.value.max() == pytest.approx(result.timeseries.nk_blood_per_ul.max())
