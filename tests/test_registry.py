"""The model registry: manifests are the one place that knows drugs, patient fields, blockades and observables;
a new drug is one manifest entry plus the model source."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest

from crosstalk.errors import InputError, ModelBuildError
from crosstalk.model.build import build_sbml, check_manifest, validate_sbml
from crosstalk.model.registry import all_drugs, model_info, model_names, models_from, models_root, module_names
from crosstalk.plan.timeline import AVOGADRO
from crosstalk.sim.simulator import Simulator
from crosstalk.spec.scenario import Blockade, DoseSchedule, Scenario


def test_composed_model_inherits_its_modules():
    composed = model_info("crosstalk")
    assert composed.submodels == module_names() == ("exercise", "immune", "anthracycline", "cyclophosphamide")
    assert set(composed.drugs) == {"exev", "pembrolizumab", "doxorubicin", "dexrazoxane", "cyclophosphamide"}
    assert set(composed.blockades) == {"beta_adrenergic", "exev_release", "nk_depletion", "il6", "cd8_depletion",
                                       "cxcr3"}
    assert composed.features == {"exercise", "tumour", "exev", "pembrolizumab", "doxorubicin", "dexrazoxane",
                                 "cyclophosphamide"}
    assert [o.name for o in composed.observables][:2] == ["epinephrine_pg_per_ml", "il6_pg_per_ml"]
    assert len({o.name for o in composed.observables}) == len(composed.observables) == 44
    assert model_info("immune").features == {"tumour", "pembrolizumab"}
    assert model_info("anthracycline").drugs["doxorubicin"].cumulative_cap_mg_per_m2 == 550.0


def test_blockades_come_from_manifests():
    assert Blockade(il6=True).il6 and not Blockade(il6=True).nk_depletion
    with pytest.raises(InputError) as err:
        Blockade(propranolol=True)
    assert err.value.field == "blockade.propranolol" and "beta_adrenergic" in err.value.allowed
    with pytest.raises(InputError) as err:  # IL-6 homing is a coupling: only the composed model has it
        Scenario("x", model="exercise", blockade=Blockade(il6=True))
    assert err.value.field == "blockade.il6" and "crosstalk" in err.value.allowed


def test_the_default_model_is_the_composed_model():
    s = Scenario("x", dose=(DoseSchedule("doxorubicin", 60.0, "mg/m2"),))
    assert s.model == "crosstalk"


TOY_MANIFEST = '''
[[drug]]
name = "toyab"
description = "a toy antibody with first-order elimination (test only)"
units = ["mg"]
infusion_input = "toyab_infusion"
bolus_species = ["toyab_plasma"]
mw_parameter = "toyab_mw"
'''
TOY_SOURCE = '''
  // toy antibody (test only)
  substanceOnly species toyab_infusion in tumour_site = 0 item
  toyab_infusion.sboTerm = 285
  substanceOnly species toyab_plasma in tumour_site = 0 item
  toyab_plasma.sboTerm = 252
  toyab_dosing: -> toyab_plasma; toyab_infusion / one_hour
  toyab_elimination: toyab_plasma -> ; toyab_k_elim * toyab_plasma
end
'''
TOY_TABLE = '''
[[parameter]]
id = "toyab_mw"
value = 150000.0
unit = "g_per_mol"
description = "molecular weight of the toy antibody"
source = "assumed: a typical IgG (test only)"

[[parameter]]
id = "toyab_k_elim"
value = 0.01
unit = "per_hour"
description = "elimination rate constant of the toy antibody"
source = "assumed: test only"
'''


def _tree_with_a_toy_drug(tmp_path: Path) -> Path:
    """A copy of the model tree with a toy drug registered: a manifest entry, species and reactions in the immune
    module's source, two table rows."""
    root = tmp_path / "models"
    shutil.copytree(Path(str(models_root())), root, ignore=shutil.ignore_patterns("sbml"))
    (root / "immune" / "manifest.toml").write_text(
        (root / "immune" / "manifest.toml").read_text(encoding="utf-8") + TOY_MANIFEST, encoding="utf-8")
    source = (root / "immune" / "model.ant").read_text(encoding="utf-8")
    head, _, _ = source.rpartition("\nend")
    (root / "immune" / "model.ant").write_text(head + TOY_SOURCE, encoding="utf-8")
    (root / "immune" / "parameters.toml").write_text(
        (root / "immune" / "parameters.toml").read_text(encoding="utf-8") + TOY_TABLE, encoding="utf-8")
    return root


TOY_DOSE = (100.0, "mg")
TOY_ITEMS = 100.0 * 1e-3 / 150000.0 * AVOGADRO


def test_a_new_drug_is_one_manifest_entry_plus_the_model_source(tmp_path: Path):
    """Register a toy drug in a copy of the model tree (manifest entry, species and reactions, two table rows);
    scenarios then validate, dose and simulate it with no change to any Python module."""
    root = _tree_with_a_toy_drug(tmp_path)
    with pytest.raises(InputError):
        DoseSchedule("toyab", *TOY_DOSE)  # unknown outside the edited tree
    with models_from(root):
        assert "toyab" in all_drugs() and "toyab" in model_info("crosstalk").drugs
        sbml = build_sbml("immune")
        assert validate_sbml(sbml) == []
        with pytest.raises(InputError) as err:
            DoseSchedule("toyab", 1.0, "mg/kg")
        assert err.value.field == "dose.unit"
        dose = DoseSchedule("toyab", *TOY_DOSE, infusion_minutes=0.0)
        scenario = Scenario("toy", model="immune", duration_days=4.0, output_step_hours=24.0, dose=(dose,))
        result = Simulator("immune", sbml=sbml).run(scenario, extra=("toyab_plasma",))
    assert "toyab" not in all_drugs()  # the package's own models again
    hours = result.timeseries["time_h"].to_numpy()
    amounts = result.timeseries["toyab_plasma"].to_numpy()
    assert amounts[0] == 0.0  # outputs at a schedule change report the state just before it (the bolus)
    assert amounts[1:] == pytest.approx(TOY_ITEMS * np.exp(-0.01 * hours[1:]), rel=1e-5)  # one-compartment decay


@pytest.mark.slow  # builds and compiles the composed model (the fast test above covers the module)
def test_the_composed_model_inherits_a_new_drug(tmp_path: Path):
    """The composed model inherits the toy drug: built, checked and simulated from the same two edits, it doses
    the drug as the module does."""
    root = _tree_with_a_toy_drug(tmp_path)
    with models_from(root):
        dose = DoseSchedule("toyab", *TOY_DOSE, infusion_minutes=0.0)
        composed = build_sbml("crosstalk")
        assert check_manifest("crosstalk", composed) == []
        in_composed = Simulator("crosstalk", sbml=composed).run(
            Scenario("toy", duration_days=4.0, output_step_hours=24.0, dose=(dose,)), extra=("toyab_plasma",))
        module = Simulator("immune", sbml=build_sbml("immune")).run(
            Scenario("toy", model="immune", duration_days=4.0, output_step_hours=24.0, dose=(dose,)),
            extra=("toyab_plasma",))
    assert "toyab" not in all_drugs()
    amounts = module.timeseries["toyab_plasma"].to_numpy()
    assert amounts[1] == pytest.approx(TOY_ITEMS * np.exp(-0.01 * 24.0), rel=1e-5)
    assert in_composed.timeseries["toyab_plasma"].to_numpy() == pytest.approx(amounts, rel=1e-6)


def test_a_manifest_must_name_its_folder(tmp_path: Path):
    root = tmp_path / "models"
    shutil.copytree(Path(str(models_root())), root, ignore=shutil.ignore_patterns("sbml"))
    manifest = root / "immune" / "manifest.toml"
    manifest.write_text(manifest.read_text(encoding="utf-8").replace('name = "immune"', 'name = "immuno"', 1),
                        encoding="utf-8")
    with models_from(root), pytest.raises(ModelBuildError, match="not the folder name"):
        model_names()


def _copy_models(tmp_path: Path) -> Path:
    root = tmp_path / "models"
    shutil.copytree(Path(str(models_root())), root, ignore=shutil.ignore_patterns("sbml"))
    return root


@pytest.mark.parametrize(("entry", "message"), [
    ('[[drug]]\nname = "x"\nunits = ["mg"]\nbolus_species = ["x"]\n', "lacks infusion_input"),
    ('[[drug]]\nname = "x"\nunits = ["mg"]\ninfusion_input = "a"\nbolus_species = ["x"]\n',
     "dosed by mass but has no mw_parameter"),
    ('[[drug]]\nname = "x"\nunits = ["grains"]\ninfusion_input = "a"\nbolus_species = ["x"]\n', "has units"),
    ('[[observable]]\nname = "x"\nunit = "1"\n', "lacks description"),
])
def test_a_broken_manifest_entry_is_named(tmp_path: Path, entry: str, message: str):
    root = _copy_models(tmp_path)
    manifest = root / "immune" / "manifest.toml"
    manifest.write_text(manifest.read_text(encoding="utf-8") + "\n" + entry, encoding="utf-8")
    with models_from(root), pytest.raises(ModelBuildError, match=message) as err:
        model_info("immune")
    assert "immune/manifest.toml" in str(err.value)


def test_the_build_checks_every_id_a_manifest_names(tmp_path: Path):
    """A drug whose species the model lacks fails `crosstalk build --check`, not a simulation later."""
    root = _copy_models(tmp_path)
    manifest = root / "immune" / "manifest.toml"
    manifest.write_text(manifest.read_text(encoding="utf-8").replace(
        'infusion_input = "pembrolizumab_infusion"', 'infusion_input = "pembrolizumab_infusoin"'), encoding="utf-8")
    with models_from(root):
        problems = check_manifest("immune", build_sbml("immune"))
    assert problems == ["immune/manifest.toml names species 'pembrolizumab_infusoin', which the model does not have"]
