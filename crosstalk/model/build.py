"""Model sources and parameter tables -> validated, annotated SBML Level 3 Version 2.

Each biological module is authored as Antimony (``crosstalk/models/<module>/model.ant``: species, reactions,
rules, with MIRIAM ``identity`` annotations and SBO terms) plus a parameter table
(``crosstalk/models/<module>/parameters.toml``: id, value, unit, description, source) and a manifest read by
:mod:`crosstalk.model.registry` (description, submodel alias, coupling sources, observables). Antimony was chosen
over hand-written libSBML calls because a QSP modeller can read and review the reactions as equations;
the table stays the single truth for numbers and their provenance. This module merges both, converts to
SBML with antimony, adds each parameter's description and source as SBML notes with libSBML, and checks
the result with libSBML's full consistency check including units.

Run ``crosstalk build`` (or ``python -m crosstalk.model.build``) to regenerate ``crosstalk/models/sbml/`` (a source
checkout links it as ``models/sbml``), also from an installed package; ``crosstalk build --check`` compares every
document, the composed and flattened ones included, with a fresh build.
"""

from __future__ import annotations

import html
import logging
import re
from pathlib import Path

import antimony
import libsbml

from crosstalk.errors import ModelBuildError
from crosstalk.files import write_text_atomic
from crosstalk.model.observables import observables_for
from crosstalk.model.parameters import Parameter, flat_id, parameter_table
from crosstalk.model.registry import (
    composed_models,
    model_dir,
    model_ids,
    model_info,
    models_root,
    module_names,
    sbml_dir,
)

log = logging.getLogger(__name__)

__all__ = ["build_all", "build_comp_sbml", "build_sbml", "check_manifest", "composed_antimony", "document_names",
           "flatten",
           "stale_documents", "validate_sbml", "write_models"]


def _units_source() -> str:
    return (models_root() / "units.ant").read_text(encoding="utf-8")


def _antimony_source(module: str, table: list[Parameter] | None = None) -> str:
    table = parameter_table(module) if table is None else table
    body = (model_dir(module) / "model.ant").read_text(encoding="utf-8")
    units = _units_source()
    params = "\n".join(
        f"  {p.id} = {p.value!r} {p.unit}\n  {p.id}.sboTerm = {p.sbo}" for p in table
    )
    header = f"model {module}\n"
    if header not in body:
        raise ModelBuildError(f"{module}/model.ant must contain a line 'model {module}'")
    indented_units = "\n".join("  " + line for line in units.splitlines())
    return body.replace(
        header,
        header + indented_units + "\n  // parameters from the table\n" + params + "\n",
        1,
    )


def _notes(description: str, source: str | None = None, parameter: Parameter | None = None) -> str:
    text = f"<p>{html.escape(description)}</p>"
    if source:
        text += f"<p>Source: {html.escape(source)}</p>"
    if parameter is not None:
        for species, value, where in parameter.other_species:
            text += f"<p>{html.escape(species)} set: {value!r} {html.escape(parameter.unit)} ({html.escape(where)})</p>"
        if parameter.translation:
            text += f"<p>Translation between species: {html.escape(parameter.translation)}</p>"
    return f'<body xmlns="http://www.w3.org/1999/xhtml">{text}</body>'


def build_sbml(module: str) -> str:
    """Build one module's SBML L3V2 document from its Antimony source and parameter table.

    Parameters
    ----------
    module : str
        A model of the registry (a composed model is built and flattened).

    Returns
    -------
    str
        The SBML document as a string (deterministic for given sources and library versions).
    """
    if model_info(module).composed:
        return flatten(build_comp_sbml(module))
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
    _set_notes(model, _notes(model_info(module).description))
    for p in table:
        sp = model.getParameter(p.id)
        if sp is None:  # a table entry the equations never use
            raise ModelBuildError(f"{module}: parameter {p.id} is in the table but not in the model")
        _set_notes(sp, _notes(p.description, p.source, p))
        sp.setSBOTerm(p.sbo)
    text = libsbml.writeSBMLToString(doc)
    # drop the generator comment, which carries library versions and would make the file look stale
    return re.sub(r"<!-- Created by libAntimony.*?-->\n", "", text, count=1)


def _module_document(module: str) -> libsbml.SBMLDocument:
    return libsbml.readSBMLFromString(build_sbml(module))


def _lifting(module: str, lifted: set[str], coupled_inputs: frozenset[str]) -> list[str]:
    """Antimony lines lifting a module's parameters, observables and coupling sources to top-level ids.

    A constant shared by several modules (e.g. ``avogadro_constant``) is lifted from the first module only:
    antimony scopes unit ids per model and refuses to merge two modules' copies; the other copies stay
    module-local with the identical value (the composed table checks they agree).
    """
    info = model_info(module)
    alias = info.alias
    doc = _module_document(module)
    model = doc.getModel()
    lines = []
    for p in parameter_table(module):
        if p.id not in coupled_inputs and p.id not in lifted:
            lines.append(f"  {alias}.{p.id} is {p.id}")
            lifted.add(p.id)
    quantities = [o.name for o in observables_for(module)] + list(info.coupling_sources)
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


def composed_antimony(composed: str = "crosstalk") -> str:
    """Antimony text of a composed model: its submodels, then the top model with lifting and couplings."""
    info = model_info(composed)
    sources = [_antimony_source(m) for m in info.submodels]
    top = (model_dir(composed) / "model.ant").read_text(encoding="utf-8")
    units = "\n".join("  " + line for line in _units_source().splitlines())
    lifted = [units, *(f"  {model_info(m).alias}: {m}()" for m in info.submodels)]
    module_params: dict[str, Parameter] = {}
    lifted_ids: set[str] = set()
    for m in info.submodels:
        lifted += _lifting(m, lifted_ids, info.coupled_inputs)
        module_params.update({p.id: p for p in parameter_table(m) if p.id not in info.coupled_inputs})
    own = [p for p in parameter_table(composed) if p.id not in module_params]
    lifted += [f"  {p.id} = {p.value!r} {p.unit}\n  {p.id}.sboTerm = {p.sbo}" for p in own]
    lifted += [f"  {p.id} = {p.value!r}" for p in module_params.values()]
    if "  // @lifted" not in top:
        raise ModelBuildError(f"{composed}/model.ant must contain the line '  // @lifted'")
    return "\n".join(sources) + "\n" + top.replace("  // @lifted", "\n".join(lifted), 1)


def build_comp_sbml(composed: str = "crosstalk") -> str:
    """The hierarchical (SBML comp) composed model: modules as submodels, lifted ids, couplings.

    Returns
    -------
    str
        SBML L3V2 with the comp package; see :func:`flatten` for the simulatable form.
    """
    info = model_info(composed)
    text = composed_antimony(composed)
    antimony.clearPreviousLoads()
    if antimony.loadAntimonyString(text) < 0:
        raise ModelBuildError(f"{composed}: antimony: {antimony.getLastError()}")
    doc = libsbml.readSBMLFromString(antimony.getCompSBMLString(composed))
    model = doc.getModel()
    model.setName(f"{composed} composed model")
    _set_notes(model, _notes(info.description))
    # lifted placeholders whose values come from submodel rules: give them the module's value (or 0 when a
    # rule defines it) and units, so that the comp document itself is complete (libSBML modelling practice)
    module_models = {m: _module_document(m) for m in info.submodels}
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
    for p in parameter_table(composed):
        sp = model.getParameter(p.id)
        if sp is None:
            raise ModelBuildError(f"{composed}: parameter {p.id} is in a table but not in the model")
        _set_notes(sp, _notes(p.description, p.source, p))
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
    return str(libsbml.writeSBMLToString(doc))


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


def check_manifest(model: str, sbml: str) -> list[str]:
    """Every id the model's manifest names (drug input and dosed species, molecular-weight, patient and blockade
    parameters, observables) exists in ``sbml`` with the right kind: one line per problem (empty when sound)."""
    doc = libsbml.readSBMLFromString(sbml)
    m = doc.getModel()
    species = {s.getId() for s in m.getListOfSpecies()}
    params = {p.getId() for p in m.getListOfParameters()}
    table = {p.id for p in parameter_table(model)}
    ids = species | params
    problems = []
    named = model_ids(model_info(model))
    for sid in named["species"]:
        if flat_id(sid, ids) not in species:
            problems.append(f"{model}/manifest.toml names species {sid!r}, which the model does not have")
    for pid in named["parameter"]:
        if pid not in table:
            problems.append(f"{model}/manifest.toml names parameter {pid!r}, which is not in its parameter table")
    for oid in named["observable"]:
        if flat_id(oid, ids) not in ids:
            problems.append(f"{model}/manifest.toml names observable {oid!r}, which the model does not define")
    return problems


def _manifest_problems(document: str, sbml: str) -> list[str]:
    """Manifest check of a simulated document (modules and flattened composed models; the comp form is skipped)."""
    model = document.removesuffix("_flat")
    if model in composed_models() and not document.endswith("_flat"):
        return []
    return check_manifest(model, sbml)


def document_names() -> tuple[str, ...]:
    """Every generated document: each module, each composed model (comp) and its flattened form."""
    return module_names() + tuple(x for c in composed_models() for x in (c, f"{c}_flat"))


def build_all() -> dict[str, str]:
    """Build every document of :func:`document_names` (name -> SBML text), unvalidated."""
    documents = {m: build_sbml(m) for m in module_names()}
    for c in composed_models():
        comp = build_comp_sbml(c)
        documents[c] = comp
        documents[f"{c}_flat"] = flatten(comp)
    return documents


def stale_documents(outdir: Path | None = None) -> dict[str, list[str]]:
    """Check the written documents against a fresh build: name -> problems (missing, differs from a fresh build,
    libSBML errors or warnings); empty when every document, composed and flattened ones included, is current."""
    outdir = sbml_dir() if outdir is None else outdir
    out: dict[str, list[str]] = {}
    for name, sbml in build_all().items():
        path = outdir / f"{name}.xml"
        problems = validate_sbml(sbml) + _manifest_problems(name, sbml)
        if not path.is_file():
            problems.insert(0, f"{path} is missing")
        elif path.read_text(encoding="utf-8") != sbml:
            problems.insert(0, f"{path} differs from a fresh build (run `crosstalk build`)")
        if problems:
            out[name] = problems
    return out


def write_models(outdir: Path | None = None) -> list[Path]:
    """Build, validate and write every document (atomically) into ``outdir`` (default: the package's
    ``crosstalk/models/sbml``, which works from an installed package too).

    Raises
    ------
    ModelBuildError
        If any document has a libSBML error or warning.
    """
    outdir = sbml_dir() if outdir is None else outdir
    documents = build_all()
    for name, sbml in documents.items():
        problems = validate_sbml(sbml) + _manifest_problems(name, sbml)
        if problems:
            raise ModelBuildError(f"{name}: libSBML reports {len(problems)} problems:\n" + "\n".join(problems))
    written = []
    for name, sbml in documents.items():
        path = write_text_atomic(outdir / f"{name}.xml", sbml)
        log.info("wrote %s", path)
        written.append(path)
    return written


if __name__ == "__main__":  # pragma: no cover
    logging.basicConfig(level=logging.INFO)
    for p in write_models():
        print(p)
