"""Every field of every spec with a TOML form survives the round trip through a scenario file.

``Scenario.__eq__`` compares ``to_dict()``, so a field that ``to_dict`` leaves out would be invisible to it; these
tests compare the objects themselves, field by field (``dataclasses.fields``), after ``to_toml`` -> file ->
``load_scenario``. The specs: :class:`Scenario` and what it holds (:class:`ExerciseRegime`, :class:`DoseSchedule`,
:class:`Patient`, :class:`Blockade`, the cohort's :class:`ParameterRange`). Populations are read from packaged
files and never written, so they have no round trip.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest

from crosstalk.model.registry import all_blockades
from crosstalk.spec.ranges import ParameterRange
from crosstalk.spec.scenario import Blockade, DoseSchedule, ExerciseRegime, Patient, Scenario, load_scenario

from conftest import REPO

BUILTIN = sorted((REPO / "crosstalk" / "scenarios").glob("*.toml"))

#: A scenario of the composed model with every field it can hold set away from its default: three exercise blocks
#: (explicit days; sessions per week in a window with random adherence; a bout before each doxorubicin dose), two
#: drugs with every dosing field set, every patient field, every blockade switch, a population and cohort ranges
#: that use every field of a range.
EVERYTHING = Scenario(
    "every-field",
    duration_days=120.0,
    output_step_hours=12.0,
    exercise=(
        ExerciseRegime(modality="hiit", intensity=0.9, minutes=25.0, session_days=(1, 3)),
        ExerciseRegime(modality="resistance", intensity=0.8, minutes=40.0, sessions_per_week=2, start_day=7.0,
                       end_day=100.0, start_hour=17.5, adherence=0.75, adherence_pattern="random"),
        ExerciseRegime(before_each_dose="doxorubicin", hours_before=48.0, minutes=30.0),
    ),
    parameters={"k_il6_clearance": 0.9, "tumour_growth_rate": 0.004},
    description="Every field of every spec away from its default (round-trip test).",
    seed=7,
    dose=(
        DoseSchedule("doxorubicin", 60.0, "mg/m2", start_day=14.0, interval_days=14.0, count=4, infusion_minutes=15.0),
        DoseSchedule("cyclophosphamide", 1100.0, "mg", start_day=14.25, interval_days=14.0, count=4,
                     infusion_minutes=45.0),
    ),
    patient=Patient(weight_kg=61.5, body_surface_area_m2=1.65, tumour_cells=2.0e9, baseline_lvef_percent=66.0,
                    fitness=0.3, chemosensitivity=1.25, cardiac_sensitivity=0.8, trainability=1.3),
    blockade=Blockade(**{name: True for name in all_blockades()}),
    cohort=(
        ParameterRange("patient.fitness", 0.1, 0.9, distribution="triangular", mode=0.4),
        ParameterRange("k_il6_clearance", 0.5, 0.1, distribution="normal", minimum=0.2, maximum=0.9),
    ),
    population="neoadjuvant_breast_ac",
    tumour_assessment_day=84.0,
    uncertainty=20,
)

#: The fields EVERYTHING cannot set away from the default together with the others: another model (its module,
#: without the composed model's population) and the mouse parameter set.
MOUSE_MODULE = Scenario(
    "mouse-module",
    model="immune",
    species="mouse",
    duration_days=30.0,
    dose=(DoseSchedule("pembrolizumab", 10.0, "mg/kg", start_day=3.0, interval_days=7.0, count=3),),
    patient=Patient(tumour_cells=1.0e6, weight_kg=30.0),
    parameters={"body_weight_kg": 0.025},  # an animal's mg/kg dose needs its weight (the patient field is human)
)

FULL = (EVERYTHING, MOUSE_MODULE)


def _through_a_file(scenario: Scenario, tmp_path: Path) -> Scenario:
    path = tmp_path / f"{scenario.name}.toml"
    path.write_text(scenario.to_toml(), encoding="utf-8")
    return load_scenario(path)


def _differences(a: Any, b: Any, where: str) -> Iterator[str]:
    """Where ``a`` and ``b`` differ, comparing dataclasses field by field (not through ``__eq__`` or
    ``to_dict``), sequences and mappings item by item, and leaves by value and type (60 and 60.0 differ)."""
    if dataclasses.is_dataclass(a) and not isinstance(a, type):
        if type(a) is not type(b):
            yield f"{where}: {type(a).__name__} became {type(b).__name__}"
            return
        for f in dataclasses.fields(a):
            yield from _differences(getattr(a, f.name), getattr(b, f.name), f"{where}.{f.name}")
    elif isinstance(a, Blockade):
        if not isinstance(b, Blockade) or a.active != b.active:
            yield f"{where}: {a!r} became {b!r}"
    elif isinstance(a, tuple):
        if not isinstance(b, tuple) or len(a) != len(b):
            yield f"{where}: {a!r} became {b!r}"
            return
        for i, (x, y) in enumerate(zip(a, b)):
            yield from _differences(x, y, f"{where}[{i}]")
    elif isinstance(a, Mapping):
        if not isinstance(b, Mapping) or set(a) != set(b):
            yield f"{where}: {dict(a)!r} became {b!r}"
            return
        for key in a:
            yield from _differences(a[key], b[key], f"{where}[{key!r}]")
    elif type(a) is not type(b) or a != b:
        yield f"{where}: {a!r} ({type(a).__name__}) became {b!r} ({type(b).__name__})"


def _default(f: dataclasses.Field[Any]) -> Any:
    if f.default is not dataclasses.MISSING:
        return f.default
    if f.default_factory is not dataclasses.MISSING:
        return f.default_factory()
    return dataclasses.MISSING  # a required field: any value is "set"


def _instances(cls: type) -> list[Any]:
    """Every instance of ``cls`` in the FULL scenarios."""
    found: list[Any] = []
    for s in FULL:
        found += {Scenario: [s], ExerciseRegime: list(s.exercise), DoseSchedule: list(s.dose),
                  Patient: [s.patient], ParameterRange: list(s.cohort)}[cls]
    return found


@pytest.mark.parametrize("cls", [Scenario, ExerciseRegime, DoseSchedule, Patient, ParameterRange],
                         ids=lambda c: c.__name__)
def test_the_full_scenarios_set_every_field_away_from_its_default(cls: type) -> None:
    """The guard of the round-trip test below: a field no FULL scenario sets would pass it unseen (a field added
    to a spec fails here until the scenarios set it)."""
    instances = _instances(cls)
    unset = [f.name for f in dataclasses.fields(cls)
             if all(getattr(x, f.name) == _default(f) for x in instances)]
    assert unset == [], f"{cls.__name__} fields left at their default in every FULL scenario"


def test_the_full_scenarios_switch_every_blockade_on() -> None:
    assert EVERYTHING.blockade.active == frozenset(all_blockades())


@pytest.mark.parametrize("scenario", FULL, ids=lambda s: s.name)
def test_every_field_survives_the_toml_round_trip(scenario: Scenario, tmp_path: Path) -> None:
    again = _through_a_file(scenario, tmp_path)
    assert list(_differences(scenario, again, "scenario")) == []
    assert again == scenario  # and the scenario's own equality agrees


@pytest.mark.parametrize("path", BUILTIN, ids=lambda p: p.stem)
def test_builtin_scenario_survives_the_toml_round_trip(path: Path, tmp_path: Path) -> None:
    scenario = load_scenario(path)
    again = _through_a_file(scenario, tmp_path)
    assert list(_differences(scenario, again, path.stem)) == []
    assert again == scenario


def test_a_lost_field_is_seen() -> None:
    """The comparison sees what ``to_dict`` equality would miss: a different value of one nested field."""
    moved = dataclasses.replace(EVERYTHING, patient=dataclasses.replace(EVERYTHING.patient, fitness=0.31))
    assert list(_differences(EVERYTHING, moved, "s")) == ["s.patient.fitness: 0.3 (float) became 0.31 (float)"]
    assert list(_differences(EVERYTHING.dose[0], dataclasses.replace(EVERYTHING.dose[0], count=5), "d")) == [
        "d.count: 4 (int) became 5 (int)"]
