"""The composed model: comp structure, independent flattening, module equivalence, couplings, calibration."""

from __future__ import annotations

import antimony
import libsbml
import numpy as np
import pytest

from crosstalk.errors import InputError
from crosstalk.model.build import composed_antimony
from crosstalk.model.registry import module_names
from crosstalk.plan import Plan, plan
from crosstalk.sim.simulator import Simulator
from crosstalk.spec.scenario import Blockade, DoseSchedule, ExerciseRegime, Patient, Scenario
from crosstalk.validation import run_check

from conftest import REPO, assert_no_negative_amounts

AC = (DoseSchedule("doxorubicin", 60.0, "mg/m2", interval_days=21, count=4, infusion_minutes=15),)
RUN = (ExerciseRegime(modality="aerobic", intensity=0.65, minutes=45, sessions_per_week=5),)
COUPLINGS_OFF = {k: 0.0 for k in ("coupling_il6_homing", "coupling_il15_activation", "coupling_exev_activation",
                                  "coupling_mirna_growth", "coupling_training_antioxidant",
                                  "coupling_hsp70_antioxidant", "coupling_dox_tumour_kill",
                                  "coupling_dox_lymphotoxicity", "coupling_cp_tumour_kill",
                                  "coupling_cp_lymphotoxicity", "coupling_training_cd8")}


@pytest.fixture(scope="module")
def csim() -> Simulator:
    return Simulator("crosstalk")


def test_hierarchical_model_has_one_submodel_per_module():
    doc = libsbml.readSBMLFromFile(str(REPO / "models" / "sbml" / "crosstalk.xml"))
    assert doc.getPackageRequired("comp")
    comp = doc.getModel().getPlugin("comp")
    assert sorted(comp.getSubmodel(i).getModelRef() for i in range(comp.getNumSubmodels())) == sorted(module_names())


def test_flat_model_equals_antimonys_own_flattening(csim):
    """libSBML's CompFlatteningConverter (what we simulate) vs antimony's flattener: same trajectories."""
    antimony.clearPreviousLoads()
    assert antimony.loadAntimonyString(composed_antimony()) >= 0
    antimony_flat = antimony.getSBMLString("crosstalk")  # antimony's flattening: "ex_il6", not "ex__il6"
    assert "ex_il6" in antimony_flat and "ex__il6" not in antimony_flat
    other = Simulator("crosstalk", sbml=antimony_flat)
    sc = Scenario("x", model="crosstalk", duration_days=30, output_step_hours=12.0, exercise=RUN, dose=AC)
    a = csim.run(sc).timeseries.to_numpy()
    b = other.run(sc).timeseries.to_numpy()
    scale = np.abs(b).max(axis=0)
    assert (np.abs(a - b) <= 1e-6 * np.abs(b) + 1e-9 * scale).all()


def test_with_couplings_off_the_composed_model_equals_the_modules(csim):
    """No exercise and couplings off: tumour/immune and heart trajectories equal the modules run alone."""
    sc = dict(duration_days=84, output_step_hours=24.0, dose=AC, patient=Patient())
    tight = 1e-9  # both sides solved tightly, so the comparison is of models, not of solver error
    def grid(scenario: Scenario) -> Plan:  # on the output grid alone: the immune run has no infusions to resolve
        return plan(scenario, resolve_events=False)

    full = Simulator("crosstalk", rtol=tight).run(grid(Scenario("c", model="crosstalk", parameters=COUPLINGS_OFF,
                                                                **sc))).timeseries
    heart = Simulator("anthracycline", rtol=tight).run(grid(Scenario("a", model="anthracycline", **sc))).timeseries
    for col in ("lvef_percent", "doxorubicin_plasma_ng_per_ml", "chf_risk", "cardiac_ros"):
        np.testing.assert_allclose(full[col], heart[col], rtol=1e-6, atol=1e-12)
    tumour = Simulator("immune", rtol=tight).run(grid(Scenario("i", model="immune", duration_days=84,
                                                              output_step_hours=24.0))).timeseries
    for col in ("tumour_volume_mm3", "cd8_tumour_cells", "nk_tumour_cells"):
        np.testing.assert_allclose(full[col], tumour[col], rtol=1e-6)


@pytest.mark.parametrize("target_id", ["il6_prolonged_run", "nk_mobilisation", "epinephrine_exercise",
                                       "exev_release_cycling", "muscle_ev_share", "ac_lvef_decline",
                                       "swain_chf_dose_response"])
def test_module_calibrations_hold_in_the_composed_model(csim, target_id):
    check = run_check(target_id, csim)
    assert check.passed, check.describe()


def test_exercise_slows_tumour_growth_through_nk_epinephrine_and_il6(csim):
    """Pedersen 2016: benefit ~60%; beta-blockade, IL-6 blockade and NK depletion each remove most of it."""
    check = run_check("exercise_tumour_growth", csim)
    assert check.passed, check.describe()


def test_exercise_cardioprotection_and_exev_share(csim):
    """Concurrent exercise: LVEF decline 0.3-0.6 of sedentary; with ExEV release blocked protection shrinks."""
    check = run_check("exercise_cardioprotection_rat", csim)
    assert check.passed, check.describe()


@pytest.mark.parametrize(
    ("switch", "observable", "how"),
    [
        ("coupling_il6_homing", "nk_infiltration_drive", "max"),
        ("coupling_exev_activation", "nk_activation", "max"),
        ("coupling_training_antioxidant", "antioxidant_boost", "max"),
        ("coupling_dox_tumour_kill", "tumour_volume_mm3", "last"),
    ],
)
def test_each_coupling_switch_removes_its_mechanism(csim, switch, observable, how):
    sc = dict(model="crosstalk", duration_days=42, output_step_hours=1.0, exercise=RUN, dose=AC)
    on = csim.run(Scenario("on", **sc)).timeseries[observable]
    off = csim.run(Scenario("off", parameters={switch: 0.0}, **sc)).timeseries[observable]
    pick = (lambda s: s.max()) if how == "max" else (lambda s: s.iloc[-1])
    assert pick(on) != pytest.approx(pick(off), rel=1e-3)
    if observable in ("nk_infiltration_drive", "nk_activation"):
        assert off.max() == pytest.approx(1.0)
    if observable == "antioxidant_boost":
        assert pick(off) < pick(on)


def test_exev_therapy_delivers_vesicles_and_protects_the_heart(csim):
    """ExEV therapy instead of exercise: IV vesicles raise plasma ExEVs, deliver HSP70 and cut cardiac injury."""
    sc = dict(model="crosstalk", duration_days=112, output_step_hours=6.0)
    none = csim.run(Scenario("ac", dose=AC, **sc))
    exev = (DoseSchedule("exev", 5e13, "particles", interval_days=3.5, count=32, infusion_minutes=30),)
    therapy = csim.run(Scenario("exev", dose=AC + exev, **sc))
    infusion = DoseSchedule("exev", 5e13, "particles", count=1, infusion_minutes=30)
    first = csim.run(Scenario("peak", model="crosstalk", duration_days=0.5, output_step_hours=0.05, dose=(infusion,)))
    peak = first.timeseries["exev_per_ml"].max()  # ~ infused / (plasma volume x clearance x 0.5 h)
    assert 5e9 < peak < 5e13 / 3000.0
    assert therapy.timeseries["hsp_boost"].max() > 0.0  # HSP70 cargo joins the heat-shock pool
    # less myocyte loss (the median patient's LVEF does not fall after AC with the fitted reserve, so the loss is
    # what shows the protection)
    loss = {k: 1.0 - r.timeseries["cardiomyocyte_viable_fraction"].iloc[-1] for k, r in (("none", none),
                                                                                       ("therapy", therapy))}
    assert 0.0 < loss["therapy"] < loss["none"]


def test_exev_cargo_per_tumour_cell_does_not_depend_on_tumour_size(csim):
    """Tumour uptake of ExEVs scales with tumour mass, so the miRNA copies per cell (and the growth modifier they
    set) are the same in a small and a large tumour, and do not rise as a tumour shrinks (the feedback of a fixed
    share of uptake divided by a shrinking cell count is gone)."""
    def modifier(cells: float) -> np.ndarray:
        sc = Scenario("m", duration_days=28, output_step_hours=6.0, exercise=RUN, patient=Patient(tumour_cells=cells))
        return csim.run(sc).timeseries["tumour_growth_modifier"].to_numpy()

    small, large = modifier(1.0e7), modifier(3.0e8)
    assert small.min() < 1.0  # the cargo acts
    assert small == pytest.approx(large, rel=1e-9, abs=1e-12)


def test_blockades_need_a_model_with_the_mechanism():
    with pytest.raises(InputError) as info:
        Scenario("x", model="exercise", blockade=Blockade(il6=True))
    assert info.value.field == "blockade.il6" and "crosstalk" in info.value.allowed
    s = Scenario("x", model="crosstalk", blockade=Blockade(il6=True, nk_depletion=True))
    assert s.parameter_overrides()["il6_blocked"] == 1.0 and s.parameter_overrides()["nk_kill_on"] == 0.0
    assert Scenario.from_toml(s.to_toml()) == s


def test_long_course_runs_fast_enough(csim):
    """Not a timing assertion: the 180-day AC + exercise course completes and has no NaN or negative values."""
    sc = Scenario("long", model="crosstalk", duration_days=180, output_step_hours=24.0, dose=AC,
                  exercise=(ExerciseRegime(intensity=0.7, minutes=60, sessions_per_week=3),))
    assert_no_negative_amounts(csim, sc)
