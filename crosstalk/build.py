"""Model sources and parameter tables -> validated, annotated SBML Level 3 Version 2.

Each biological module is authored as Antimony (``crosstalk/modules/<module>.ant``: species, reactions,
rules, with MIRIAM ``identity`` annotations and SBO terms) plus a parameter table
(``crosstalk/modules/<module>_parameters.toml``: id, value, unit, description, source). Antimony was chosen
over hand-written libSBML calls because a QSP modeller can read and review the reactions as equations;
the table stays the single truth for numbers and their provenance. This module merges both, converts to
SBML with antimony, adds each parameter's description and source as SBML notes with libSBML, and checks
the result with libSBML's full consistency check including units.

Run ``python -m crosstalk.build`` (or ``crosstalk build``) to regenerate ``models/sbml/``.
"""

from __future__ import annotations

import html
import logging
import re
from pathlib import Path

import antimony
import libsbml

from crosstalk.errors import ModelBuildError
from crosstalk.observables import observables_for
from crosstalk.parameters import ALIASES, COMPOSED, COUPLED_INPUTS, MODULES, Parameter, module_file, parameter_table

log = logging.getLogger(__name__)

__all__ = ["build_comp_sbml", "build_sbml", "composed_antimony", "flatten", "validate_sbml", "write_models"]

#: Module quantities (besides table parameters and observables) that couplings use, lifted to the top level.
COUPLING_SOURCES: dict[str, tuple[str, ...]] = {
    "exercise": ("training_state", "mirna_tumour_copies", "hsp70_heart_delivered"),
    "immune": ("tumour_cell_count",),
    "anthracycline": ("doxorubicin_kill_rate", "doxorubicin_lymphocyte_kill_rate"),
}


def _antimony_source(module: str, table: list[Parameter] | None = None) -> str:
    table = parameter_table(module) if table is None else table
    body = module_file(f"{module}.ant").read_text(encoding="utf-8")
    units = module_file("units.ant").read_text(encoding="utf-8")
    params = "\n".join(
        f"  {p.id} = {p.value!r} {p.unit}\n  {p.id}.sboTerm = {p.sbo}" for p in table
    )
    header = f"model {module}\n"
    if header not in body:
        raise ModelBuildError(f"{module}.ant must contain a line 'model {module}'")
    indented_units = "\n".join("  " + line for line in units.splitlines())
    return body.replace(
        header,
        header + indented_units + "\n  // parameters from the table\n" + params + "\n",
        1,
    )


def _notes(description: str, source: str | None = None) -> str:
    text = f"<p>{html.escape(description)}</p>"
    if source:
        text += f"<p>Source: {html.escape(source)}</p>"
    return f'<body xmlns="http://www.w3.org/1999/xhtml">{text}</body>'


_MODULE_DESCRIPTIONS = {
    "exercise": (
        "crosstalk exercise module: exercise bouts (intensity as a fraction of VO2max, modality) drive plasma "
        "epinephrine, the myokines IL-6, IL-15, irisin and SPARC, exercise-derived small extracellular vesicles "
        "(ExEVs) with their cargo (miR-206, miR-486, HSP70) delivered to tumour and heart, and the "
        "mobilisation and redistribution of NK cells. Time unit: hour. Substance unit: item (molecules, "
        "vesicles or cells); mass concentrations are observables computed with molecular weights."
    ),
    "immune": (
        "crosstalk immune-surveillance module: logistic tumour growth with effector CD8 T cells as in Kuznetsov "
        "et al. (1994), tumour-resident NK cells fed from blood (de Pillis et al.), tumour PD-L1 induced by "
        "effector activity, PD-1/PD-L1 complexes inhibiting CD8 killing (Hill function), and the anti-PD-1 "
        "antibody pembrolizumab with two-compartment population PK (Ahamadi et al. 2017). Time unit: hour."
    ),
    "crosstalk": (
        "crosstalk composed model: the exercise (ex), immune (im) and anthracycline (ac) modules as SBML comp "
        "submodels, coupled by named mechanisms, each with a switch: (1) epinephrine mobilises NK cells and IL-6 "
        "directs them into the tumour; (2) IL-15 and ExEVs activate NK cytotoxicity; (3) ExEV miRNA cargo slows "
        "tumour proliferation; (4) training and ExEV HSP70 raise cardiac antioxidant capacity; (5) doxorubicin "
        "kills tumour cells and lymphocytes. Module parameters and observables are lifted to top-level ids of "
        "the same name. Time unit: hour."
    ),
    "anthracycline": (
        "crosstalk anthracycline module: doxorubicin three-compartment population PK with doxorubicinol "
        "(Perez-Blanco et al. 2016), a cardiac effect compartment, doxorubicin-driven oxidative burden against "
        "antioxidant capacity, slowly repaired mitochondrial damage, irreversible cardiomyocyte loss, LVEF and a "
        "heart-failure risk calibrated to Swain et al. (2003), and tumour/lymphocyte kill rates. Time unit: hour."
    ),
}


def build_sbml(module: str) -> str:
    """Build one module's SBML L3V2 document from its Antimony source and parameter table.

    Parameters
    ----------
    module : str
        One of :data:`MODULES`.

    Returns
    -------
    str
        The SBML document as a string (deterministic for given sources and library versions).
    """
    if module == COMPOSED:
        return flatten(build_comp_sbml())
    table = parameter_table(module)
    antimony.clearPreviousLoads()
    if antimony.loadAntimonyString(_antimony_source(module, table)) < 0:
        raise ModelBuildError(f"{module}: antimony: {antimony.getLastError()}")
    sbml = antimony.getSBMLString(module)
    doc = libsbml.readSBMLFromString(sbml)
    if doc.getLevel() != 3 or doc.getVersion() != 2:
        raise ModelBuildError(f"{module}: antimony produced SBML L{doc.getLevel()}V{doc.getVersion()}, not L3V2")
    model = doc.getModel()
    model.setName(f"crosstalk {module} module")
    _set_notes(model, _notes(_MODULE_DESCRIPTIONS[module]))
    for p in table:
        sp = model.getParameter(p.id)
        if sp is None:  # a table entry the equations never use
            raise ModelBuildError(f"{module}: parameter {p.id} is in the table but not in the model")
        _set_notes(sp, _notes(p.description, p.source))
        sp.setSBOTerm(p.sbo)
    text = libsbml.writeSBMLToString(doc)
    # drop the generator comment, which carries library versions and would make the file look stale
    return re.sub(r"<!-- Created by libAntimony.*?-->\n", "", text, count=1)


def _module_document(module: str) -> libsbml.SBMLDocument:
    return libsbml.readSBMLFromString(build_sbml(module))


def _lifting(module: str, lifted: set[str]) -> list[str]:
    """Antimony lines lifting a module's parameters, observables and coupling sources to top-level ids.

    A constant shared by several modules (e.g. ``avogadro_constant``) is lifted from the first module only:
    antimony scopes unit ids per model and refuses to merge two modules' copies; the other copies stay
    module-local with the identical value (the composed table checks they agree).
    """
    alias = ALIASES[module]
    doc = _module_document(module)
    model = doc.getModel()
    lines = []
    for p in parameter_table(module):
        if p.id not in COUPLED_INPUTS and p.id not in lifted:
            lines.append(f"  {alias}.{p.id} is {p.id}")
            lifted.add(p.id)
    quantities = [o.name for o in observables_for(module)] + list(COUPLING_SOURCES[module])
    for q in quantities:
        par = model.getParameter(q)
        if par is None:  # species observables keep their prefixed id (mapped by name in the simulator)
            continue
        lines.append(f"  {alias}.{q} is {q}")
        rule = model.getRule(q)
        if rule is not None and rule.isRate():  # a lifted state needs its initial value at the top level
            ia = model.getInitialAssignment(q)
            if ia is None:
                lines.append(f"  {q} = {par.getValue()!r}")
    return lines


def composed_antimony() -> str:
    """Antimony text of the composed model: the module models, then the top model with lifting and couplings."""
    sources = [_antimony_source(m) for m in MODULES]
    top = module_file(f"{COMPOSED}.ant").read_text(encoding="utf-8")
    units = "\n".join("  " + line for line in module_file("units.ant").read_text(encoding="utf-8").splitlines())
    lifted = [units, *(f"  {ALIASES[m]}: {m}()" for m in MODULES)]
    module_params: dict[str, Parameter] = {}
    lifted_ids: set[str] = set()
    for m in MODULES:
        lifted += _lifting(m, lifted_ids)
        module_params.update({p.id: p for p in parameter_table(m) if p.id not in COUPLED_INPUTS})
    own = [p for p in parameter_table(COMPOSED) if p.id not in module_params]
    lifted += [f"  {p.id} = {p.value!r} {p.unit}\n  {p.id}.sboTerm = {p.sbo}" for p in own]
    lifted += [f"  {p.id} = {p.value!r}" for p in module_params.values()]
    if "  // @lifted" not in top:
        raise ModelBuildError("crosstalk.ant must contain the line '  // @lifted'")
    return "\n".join(sources) + "\n" + top.replace("  // @lifted", "\n".join(lifted), 1)


def build_comp_sbml() -> str:
    """The hierarchical (SBML comp) composed model: modules as submodels, lifted ids, couplings.

    Returns
    -------
    str
        SBML L3V2 with the comp package; see :func:`flatten` for the simulatable form.
    """
    text = composed_antimony()
    antimony.clearPreviousLoads()
    if antimony.loadAntimonyString(text) < 0:
        raise ModelBuildError(f"{COMPOSED}: antimony: {antimony.getLastError()}")
    doc = libsbml.readSBMLFromString(antimony.getCompSBMLString(COMPOSED))
    model = doc.getModel()
    model.setName("crosstalk composed model")
    _set_notes(model, _notes(_MODULE_DESCRIPTIONS[COMPOSED]))
    # lifted placeholders whose values come from submodel rules: give them the module's value (or 0 when a
    # rule defines it) and units, so that the comp document itself is complete (libSBML modelling practice)
    module_models = {m: _module_document(m) for m in MODULES}
    for par in model.getListOfParameters():
        if par.isSetValue() or model.getRule(par.getId()) or model.getInitialAssignment(par.getId()):
            continue
        for mdoc in module_models.values():
            src = mdoc.getModel().getParameter(par.getId())
            if src is not None:
                par.setValue(src.getValue() if src.isSetValue() and src.getValue() == src.getValue() else 0.0)
                if not par.isSetUnits() and src.isSetUnits():
                    par.setUnits(src.getUnits())
                break
    for p in parameter_table(COMPOSED):
        sp = model.getParameter(p.id)
        if sp is None:
            raise ModelBuildError(f"{COMPOSED}: parameter {p.id} is in a table but not in the model")
        _set_notes(sp, _notes(p.description, p.source))
        sp.setSBOTerm(p.sbo)
        if not sp.isSetUnits():
            sp.setUnits(p.unit)
    text = libsbml.writeSBMLToString(doc)
    return re.sub(r"<!-- Created by libAntimony.*?-->\n", "", text, count=1)


def flatten(comp_sbml: str) -> str:
    """Flatten an SBML comp document with libSBML's CompFlatteningConverter (roadrunner loads comp empty)."""
    doc = libsbml.readSBMLFromString(comp_sbml)
    props = libsbml.ConversionProperties()
    props.addOption("flatten comp", True)
    props.addOption("leavePorts", False)
    if doc.convert(props) != libsbml.LIBSBML_OPERATION_SUCCESS:
        errors = [doc.getError(i).getMessage() for i in range(doc.getNumErrors())]
        raise ModelBuildError("flattening failed: " + "; ".join(errors))
    return libsbml.writeSBMLToString(doc)


def _set_notes(element: libsbml.SBase, xhtml: str) -> None:
    if element.setNotes(xhtml) != libsbml.LIBSBML_OPERATION_SUCCESS:
        raise ModelBuildError(f"could not set notes on {element.getId()}")
    if not element.isSetMetaId():
        element.setMetaId(f"meta_{element.getId()}")


def validate_sbml(sbml: str) -> list[str]:
    """Run libSBML's full consistency check, units and modelling practice included.

    Returns
    -------
    list of str
        One line per error or warning (empty when the document is clean).
    """
    doc = libsbml.readSBMLFromString(sbml)
    for category in (
        libsbml.LIBSBML_CAT_UNITS_CONSISTENCY,
        libsbml.LIBSBML_CAT_MODELING_PRACTICE,
        libsbml.LIBSBML_CAT_GENERAL_CONSISTENCY,
        libsbml.LIBSBML_CAT_IDENTIFIER_CONSISTENCY,
        libsbml.LIBSBML_CAT_MATHML_CONSISTENCY,
        libsbml.LIBSBML_CAT_SBO_CONSISTENCY,
        libsbml.LIBSBML_CAT_OVERDETERMINED_MODEL,
    ):
        doc.setConsistencyChecks(category, True)
    doc.checkConsistency()
    out = []
    for i in range(doc.getNumErrors()):
        e = doc.getError(i)
        out.append(f"{e.getSeverityAsString()} {e.getErrorId()} line {e.getLine()}: {e.getMessage().strip()}")
    return out


def write_models(outdir: Path | None = None) -> list[Path]:
    """Build, validate and write every module's SBML.

    Raises
    ------
    ModelBuildError
        If any document has a libSBML error or warning.
    """
    outdir = outdir or Path(__file__).resolve().parent.parent / "models" / "sbml"
    outdir.mkdir(parents=True, exist_ok=True)
    documents = {m: build_sbml(m) for m in MODULES}
    comp = build_comp_sbml()
    documents[COMPOSED] = comp
    documents[f"{COMPOSED}_flat"] = flatten(comp)
    written = []
    for name, sbml in documents.items():
        problems = validate_sbml(sbml)
        if problems:
            raise ModelBuildError(f"{name}: libSBML reports {len(problems)} problems:\n" + "\n".join(problems))
    for name, sbml in documents.items():
        path = outdir / f"{name}.xml"
        tmp = path.with_suffix(".xml.tmp")
        tmp.write_text(sbml, encoding="utf-8")
        tmp.replace(path)
        log.info("wrote %s", path)
        written.append(path)
    return written


if __name__ == "__main__":  # pragma: no cover
    logging.basicConfig(level=logging.INFO)
    for p in write_models():
        print(p)
