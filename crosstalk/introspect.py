"""What the simulator needs to know about an SBML document before compiling it (read with libSBML).

AST nodes are tested with ``isName()``, never ``getType() == libsbml.AST_NAME``: once python-libsedml is imported
(crosstalk.export, tellurium), libSBML hands out libSEDML's ASTNode class whose ``getType()`` is an opaque SWIG
pointer, and the comparison is silently False (tests/test_simulate.py).
"""

from __future__ import annotations

import libsbml

__all__ = ["direct_initial_states", "init_dependencies", "rate_rule_count", "species_kinds"]


def direct_initial_states(sbml: str) -> dict[str, str]:
    """Initial assignments ``state = p`` (a species or rate-rule state set to one parameter): parameter -> state.

    The simulator applies these by setting the state after ``reset()`` (cheap), not through ``init(p)``
    (which regenerates the model: measured 0.2 s for the exercise module, 0.8 s for the composed model).
    A parameter also used by any other initial assignment is not listed.
    """
    doc = libsbml.readSBMLFromString(sbml)
    model = doc.getModel()
    rate_vars = {r.getVariable() for r in model.getListOfRules() if r.isRate()}
    out: dict[str, str] = {}
    uses: dict[str, int] = {}
    for ia in model.getListOfInitialAssignments():
        stack = [ia.getMath()]
        while stack:
            n = stack.pop()
            if n.isName():
                uses[n.getName()] = uses.get(n.getName(), 0) + 1
            stack.extend(n.getChild(i) for i in range(n.getNumChildren()))
        math = ia.getMath()
        sym = ia.getSymbol()
        if math.isName() and model.getParameter(math.getName()) is not None and (
                model.getSpecies(sym) is not None or sym in rate_vars):
            out[math.getName()] = sym
    return {p: x for p, x in out.items() if uses.get(p, 0) == 1}


def rate_rule_count(sbml: str) -> int:
    """Number of rate rules (states that CVODE integrates besides the floating species)."""
    doc = libsbml.readSBMLFromString(sbml)
    return sum(1 for r in doc.getModel().getListOfRules() if r.isRate())


def species_kinds(sbml: str) -> dict[str, str]:
    """Species id -> ``"cell"`` (Cell Ontology annotation), ``"input"`` (SBO:0000285) or ``"molecule"``."""
    doc = libsbml.readSBMLFromString(sbml)
    kinds = {}
    for sp in doc.getModel().getListOfSpecies():
        uris = [cv.getResourceURI(i) for cv in sp.getCVTerms() for i in range(cv.getNumResources())]
        if sp.getSBOTerm() == 285:
            kinds[sp.getId()] = "input"
        elif any("identifiers.org/CL:" in u for u in uris):
            kinds[sp.getId()] = "cell"
        else:
            kinds[sp.getId()] = "molecule"
    return kinds


def init_dependencies(sbml: str) -> set[str]:
    """Parameters that initial values depend on (through initial assignments and assignment rules).

    RoadRunner evaluates initial assignments at ``reset()`` from parameters' *initial* values, which only
    ``RoadRunner.setValue("init(p)")`` changes (``setGlobalParameterValues`` does not, and the model-level
    ``setValue`` is ignored at reset). Only these parameters need that slower path (~0.2 ms per call).
    """
    doc = libsbml.readSBMLFromString(sbml)  # keep the document alive while its model is used
    model = doc.getModel()
    rules = {r.getVariable(): r.getMath() for r in model.getListOfRules() if r.isAssignment()}
    inits = {ia.getSymbol(): ia.getMath() for ia in model.getListOfInitialAssignments()}

    def names(ast: libsbml.ASTNode) -> set[str]:
        out = {ast.getName()} if ast.isName() else set()
        for i in range(ast.getNumChildren()):
            out |= names(ast.getChild(i))
        return out

    direct = direct_initial_states(sbml)
    seen: set[str] = set()
    stack = [n for sym, math in inits.items() for n in names(math)
             if not (sym in direct.values() and math.isName())]
    while stack:
        n = stack.pop()
        if n in seen:
            continue
        seen.add(n)
        for table in (rules, inits):
            if n in table:
                stack.extend(names(table[n]))
    return {n for n in seen if model.getParameter(n) is not None}
