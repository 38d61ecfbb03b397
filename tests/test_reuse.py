"""Parameter overrides on a reused RoadRunner equal fresh RoadRunners built from SBML with the value edited.

This is the independent check of the simulator's reset rules for *every* table parameter: RoadRunner evaluates
initial assignments from parameters' initial values at reset(), so parameters feeding initial values must be set
with init(); the rest by index. Overrides are applied one after another on the same instance, so a value that
leaked from one run into the next would fail too.
"""

from __future__ import annotations

import libsbml
import numpy as np
import pytest

from crosstalk.model.parameters import model_sbml, parameter_table
from crosstalk.model.registry import all_drugs, all_patient_fields
from crosstalk.sim.simulator import Simulator
from crosstalk.spec.scenario import DoseSchedule, ExerciseRegime, Patient, Scenario

#: parameters the timeline itself reads (mg -> molecules): the override must reach both runs
SCHEDULE_READS = {d.mw_parameter for d in all_drugs().values() if d.mw_parameter}
PATIENT_FIELD = {pid: field for field, pid in all_patient_fields().items()}

SCENARIOS = {
    "exercise": lambda params, patient: Scenario(
        "p", model="exercise", duration_days=1, output_step_hours=1.0, parameters=params, patient=patient,
        exercise=(ExerciseRegime(modality="resistance", intensity=0.8, session_days=(0,)),)),
    "anthracycline": lambda params, patient: Scenario(
        "p", model="anthracycline", duration_days=30, output_step_hours=12.0, parameters=params, patient=patient,
        dose=(DoseSchedule("doxorubicin", 60.0, "mg/m2", count=2, interval_days=14),)),
    "crosstalk": lambda params, patient: Scenario(
        "p", model="crosstalk", duration_days=8, output_step_hours=12.0, parameters=params, patient=patient,
        exercise=(ExerciseRegime(session_days=(0, 2)),),
        dose=(DoseSchedule("doxorubicin", 60.0, "mg/m2", count=1), DoseSchedule("pembrolizumab", 200.0, "mg"))),
    "immune": lambda params, patient: Scenario(
        "p", model="immune", duration_days=8, output_step_hours=12.0, parameters=params, patient=patient,
        dose=(DoseSchedule("pembrolizumab", 200.0, "mg", count=1),)),
}


def _edited(module: str, values: dict[str, float]) -> str:
    doc = libsbml.readSBMLFromString(model_sbml(module))
    for pid, value in values.items():
        assert doc.getModel().getParameter(pid).setValue(value) == libsbml.LIBSBML_OPERATION_SUCCESS
    return libsbml.writeSBMLToString(doc)


#: Parameters changed together per fresh model: one per model for the modules; for the composed model (190
#: parameters, ~2 s per compile) six at a time, disjoint, so every parameter is still set on the reused instance
#: and compared with a fresh model built from SBML with it edited (a wrongly applied one fails its batch).
BATCH = {"crosstalk": 6}


def _mismatched_batches(module: str, batches: list[list[str]]) -> list[list[str]]:
    """Apply each batch of parameters (x 1.2, or 0.3 for a zero) on one reused simulator and compare with a fresh
    simulator built from SBML with the values edited; returns the batches whose runs differ."""
    reused = Simulator(module)
    table = {p.id: p.value for p in parameter_table(module)}
    failures = []
    for batch in batches:
        values = {pid: table[pid] * 1.2 if table[pid] != 0 else 0.3 for pid in batch}
        ours = reused.run(SCENARIOS[module](values, Patient())).timeseries.to_numpy()
        # the fresh run gets the values only from its SBML (or, for patient fields, from the patient)
        patient = Patient(**{PATIENT_FIELD[pid]: v for pid, v in values.items() if pid in PATIENT_FIELD})
        params = {pid: v for pid, v in values.items() if pid in SCHEDULE_READS}
        fresh_sim = Simulator(module, sbml=_edited(module, values))
        fresh = fresh_sim.run(SCENARIOS[module](params, patient)).timeseries.to_numpy()
        # agreement within solver tolerance (rtol 1e-8 per step accumulates to ~1e-6 over the composed model's
        # 33 states), relative to each observable's range; a mis-applied value differs by >= 1e-3
        scale = np.nanmax(np.abs(fresh), axis=0)
        if not (np.abs(ours - fresh) <= 1e-5 * np.abs(fresh) + 1e-6 * scale).all():
            failures.append(sorted(values))
    return failures


@pytest.mark.slow  # every parameter of every model: ~1.5 min per module, ~2 s per compile of the composed model
@pytest.mark.parametrize("module", list(SCENARIOS))
def test_every_parameter_override_equals_an_edited_fresh_model(module):
    ids = [p.id for p in parameter_table(module)]
    size = BATCH.get(module, 1)
    assert _mismatched_batches(module, [ids[k:k + size] for k in range(0, len(ids), size)]) == []


#: One parameter of each way the simulator applies an override, in the anthracycline module: read by the timeline
#: (mg -> molecules), a patient field, one that sizes a compartment (an initial value the simulator computes
#: after reset) and a rate constant.
KINDS = ("mw_doxorubicin", "body_surface_area_m2", "dox_v1_l", "k_cardiomyocyte_loss")


def test_each_kind_of_parameter_override_equals_an_edited_fresh_model():
    """The fast representative of the test above: one parameter per kind, each on the same reused instance."""
    assert "mw_doxorubicin" in SCHEDULE_READS and "body_surface_area_m2" in PATIENT_FIELD
    assert _mismatched_batches("anthracycline", [[pid] for pid in KINDS]) == []


@pytest.mark.parametrize("module", list(SCENARIOS))
def test_no_packaged_parameter_regenerates_the_model(module):
    """Every initial value of the packaged models is arithmetic in table parameters (resting levels, volumes,
    unit conversions, the initial tumour), so the simulator computes it and no override takes roadrunner's
    ~0.8 s ``init()`` path: a study over any parameter costs what one over a rate constant does."""
    assert Simulator(module).regenerating_parameters == ()
