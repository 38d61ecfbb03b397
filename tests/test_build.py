"""The model pipeline: committed SBML is current, valid (units included), annotated and traceable."""

from __future__ import annotations

import libsbml
import pytest

from crosstalk.model.build import build_all, document_names, stale_documents, validate_sbml
from crosstalk.model.parameters import model_sbml, parameter_table
from crosstalk.model.registry import model_names, sbml_dir

from conftest import REPO

MODELS = model_names()
DOCUMENTS = document_names()


def test_documents_cover_modules_composed_and_flattened():
    assert set(DOCUMENTS) == {"exercise", "immune", "anthracycline", "cyclophosphamide", "crosstalk",
                              "crosstalk_flat"}
    assert (REPO / "models" / "sbml").resolve() == sbml_dir().resolve()  # the top-level path users know


@pytest.fixture(scope="module")
def built() -> dict[str, str]:
    return build_all()


@pytest.mark.parametrize("name", DOCUMENTS)
def test_committed_sbml_is_current(name, built):
    """Fails when crosstalk/models/sbml/<name>.xml is stale with respect to its sources, tables or manifests."""
    assert built[name] == (sbml_dir() / f"{name}.xml").read_text(encoding="utf-8"), (
        f"crosstalk/models/sbml/{name}.xml is stale: run `crosstalk build`"
    )


@pytest.mark.parametrize("name", DOCUMENTS)
def test_zero_libsbml_errors_and_warnings(name):
    problems = validate_sbml((sbml_dir() / f"{name}.xml").read_text(encoding="utf-8"))
    assert problems == [], "\n".join(problems)


@pytest.mark.slow  # builds and validates every document twice; the fast tier compares each with a fresh build above
def test_build_check_sees_every_document_including_composed_and_flattened(tmp_path):
    """``crosstalk build --check`` (stale_documents) reports a stale or missing composed and flattened document."""
    for name in DOCUMENTS:
        (tmp_path / f"{name}.xml").write_text((sbml_dir() / f"{name}.xml").read_text(encoding="utf-8"),
                                              encoding="utf-8")
    assert stale_documents(tmp_path) == {}
    comp = tmp_path / "crosstalk.xml"
    comp.write_text(comp.read_text(encoding="utf-8").replace("crosstalk composed model", "edited"), encoding="utf-8")
    (tmp_path / "crosstalk_flat.xml").unlink()
    problems = stale_documents(tmp_path)
    assert set(problems) == {"crosstalk", "crosstalk_flat"}
    assert "differs from a fresh build" in problems["crosstalk"][0]
    assert "is missing" in problems["crosstalk_flat"][0]


@pytest.mark.parametrize("module", MODELS)
def test_level_version_and_time_unit(module):
    doc = libsbml.readSBMLFromString(model_sbml(module))
    assert (doc.getLevel(), doc.getVersion()) == (3, 2)
    model = doc.getModel()
    assert model.getTimeUnits() == "hour"
    ud = model.getUnitDefinition("hour")
    assert libsbml.UnitDefinition.printUnits(ud, True) == "(3600 second)^1"


@pytest.mark.parametrize("module", MODELS)
def test_sbo_terms_and_units_everywhere(module):
    model = libsbml.readSBMLFromString(model_sbml(module)).getModel()
    for r in model.getListOfReactions():
        assert r.isSetSBOTerm(), f"reaction {r.getId()} has no SBO term"
    for p in model.getListOfParameters():
        assert p.isSetUnits(), f"parameter {p.getId()} has no units"
    for s in model.getListOfSpecies():
        assert s.isSetSBOTerm(), f"species {s.getId()} has no SBO term"
        assert s.isSetSubstanceUnits() or model.isSetSubstanceUnits(), f"species {s.getId()} has no units"
    for c in model.getListOfCompartments():
        assert c.isSetUnits(), f"compartment {c.getId()} has no units"


@pytest.mark.parametrize("module", MODELS)
def test_biological_species_have_miriam_annotations(module):
    model = libsbml.readSBMLFromString(model_sbml(module)).getModel()
    allowed = ("http://identifiers.org/ncbigene/", "http://identifiers.org/CHEBI:", "http://identifiers.org/CL:",
               "http://identifiers.org/GO:", "http://identifiers.org/mirbase.mature/", "http://identifiers.org/uniprot/",
               "http://identifiers.org/drugbank/")
    for s in model.getListOfSpecies():
        if s.getSBOTerm() == 285:  # schedule inputs (material entity of unspecified nature)
            continue
        uris = [cv.getResourceURI(i) for cv in s.getCVTerms() for i in range(cv.getNumResources())]
        assert uris, f"species {s.getId()} has no MIRIAM annotation"
        assert all(u.startswith(allowed) for u in uris), f"{s.getId()}: {uris}"


def test_expected_gene_annotations():
    model = libsbml.readSBMLFromString(model_sbml("exercise")).getModel()
    def uris(sid):
        s = model.getSpecies(sid)
        return {cv.getResourceURI(i) for cv in s.getCVTerms() for i in range(cv.getNumResources())}
    assert "http://identifiers.org/ncbigene/3569" in uris("il6")
    assert "http://identifiers.org/ncbigene/3600" in uris("il15")
    assert "http://identifiers.org/ncbigene/252995" in uris("irisin")
    assert "http://identifiers.org/ncbigene/6678" in uris("sparc")
    assert "http://identifiers.org/CHEBI:28918" in uris("epinephrine")
    assert "http://identifiers.org/CL:0000623" in uris("nk_blood")


@pytest.mark.parametrize("module", MODELS)
def test_every_parameter_has_value_unit_and_source_in_sbml_notes(module):
    model = libsbml.readSBMLFromString(model_sbml(module)).getModel()
    for p in parameter_table(module):
        sp = model.getParameter(p.id)
        assert sp.getValue() == pytest.approx(p.value, rel=1e-15)
        assert sp.getUnits() == p.unit
        assert "Source:" in sp.getNotesString()
        if p.fit:
            assert "models/fits/" in p.source, f"{p.id} is fitted but its source does not name the fit script"
