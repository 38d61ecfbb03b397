"""What the simulator needs to know about an SBML document before compiling it (read with libSBML).

AST nodes are tested with ``isName()``, never ``getType() == libsbml.AST_NAME``: once python-libsedml is imported
(crosstalk.export, tellurium), libSBML hands out libSEDML's ASTNode class whose ``getType()`` is an opaque SWIG
pointer, and the comparison is silently False (tests/test_simulate.py).
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from typing import Union

import libsbml

__all__ = ["Expression", "arithmetic_initial_states", "direct_initial_states", "evaluate", "init_dependencies",
           "rate_rule_count", "species_kinds"]

#: An arithmetic expression as nested tuples: ``("n", number)``, ``("p", parameter id)`` or ``(op, *operands)``
#: with op one of ``+ - * /``.
Expression = tuple[Union[str, float, "Expression"], ...]


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


def _arithmetic(node: libsbml.ASTNode, parameters: Collection[str],
                inline: Mapping[str, Expression] | None = None) -> Expression | None:
    """``node`` as an :data:`Expression` if it is arithmetic in ``parameters`` only, else None; a name in
    ``inline`` (a constant compartment) is replaced by its own expression."""
    if node.isNumber():
        return ("n", float(node.getValue()))
    if node.isName():
        name = node.getName()
        if inline is not None and name in inline:
            return inline[name]
        return ("p", name) if name in parameters else None
    if node.isOperator() and node.getCharacter() in "+-*/":
        kids = [_arithmetic(node.getChild(i), parameters, inline) for i in range(node.getNumChildren())]
        if any(k is None for k in kids):
            return None
        return (node.getCharacter(), *kids)
    return None


def arithmetic_initial_states(sbml: str, parameters: Collection[str]) -> dict[str, Expression]:
    """Initial assignments that are arithmetic (+ - * /) in constant ``parameters``, each as an expression in them.

    Covers species, rate-rule states, parameters set by an initial assignment (resting levels in model units,
    unit conversions) and constant compartments sized from table parameters (plasma and blood volumes, drug
    distribution volumes); an assignment that uses another one (or a fixed-size compartment) has it inlined.
    The simulator evaluates these itself and sets them after ``reset()`` (cheap), rather than through
    ``init(p)``, which regenerates the model (measured 0.2 s for the exercise module, 0.8 s for the composed model).
    The mapping is ordered so that every compartment comes before the states in it.
    """
    doc = libsbml.readSBMLFromString(sbml)
    model = doc.getModel()
    ruled = {r.getVariable() for r in model.getListOfRules()}
    rate_states = {r.getVariable() for r in model.getListOfRules() if r.isRate()}
    pending = {ia.getSymbol(): ia.getMath() for ia in model.getListOfInitialAssignments()}
    constants = {p for p in parameters if p not in ruled and p not in pending and model.getParameter(p) is not None}
    inline: dict[str, Expression] = {}
    for p in model.getListOfParameters():  # fixed constants outside the table (unit conversions of a submodel)
        if p.getId() not in constants and p.getId() not in ruled and p.getId() not in pending and p.isSetValue():
            inline[p.getId()] = ("n", float(p.getValue()))
    for c in model.getListOfCompartments():
        if c.getConstant() and c.getId() not in ruled and c.getId() not in pending and c.isSetSize():
            inline[c.getId()] = ("n", float(c.getSize()))
    for sym in list(pending):
        # an assignment rule overrides its initial assignment at every step; a varying compartment is a state
        compartment = model.getCompartment(sym)
        if (sym in ruled and sym not in rate_states) or (compartment is not None and not compartment.getConstant()):
            del pending[sym]
    computed: dict[str, Expression] = {}
    progress = True
    while progress:  # to a fixed point: an assignment may use another one defined later in the document
        progress = False
        for sym, math in list(pending.items()):
            expr = _arithmetic(math, constants, inline)
            if expr is not None:
                inline[sym] = computed[sym] = expr
                del pending[sym]
                progress = True
    compartments = [s for s in computed if model.getCompartment(s) is not None]
    return {s: computed[s] for s in compartments + [s for s in computed if s not in compartments]}


def evaluate(expr: Expression, values: Mapping[str, float]) -> float:
    """The value of an :data:`Expression` given parameter ``values``."""
    op = expr[0]
    if op == "n":
        return float(expr[1])  # type: ignore[arg-type]
    if op == "p":
        return float(values[str(expr[1])])
    args = [evaluate(e, values) for e in expr[1:]]  # type: ignore[arg-type]
    if op == "+":
        return sum(args)
    if op == "-":
        return -args[0] if len(args) == 1 else args[0] - sum(args[1:])
    if op == "*":
        out = 1.0
        for a in args:
            out *= a
        return out
    return args[0] / args[1]


def init_dependencies(sbml: str, *, computed: Collection[str] = ()) -> set[str]:
    """Parameters that initial values depend on (through initial assignments and assignment rules).

    RoadRunner evaluates initial assignments at ``reset()`` from parameters' *initial* values, which only
    ``RoadRunner.setValue("init(p)")`` changes (``setGlobalParameterValues`` does not, and the model-level
    ``setValue`` is ignored at reset). Only these parameters need that slower path (~0.2 ms per call).
    States in ``computed``, whose initial values the caller evaluates and sets itself
    (:func:`arithmetic_initial_states`), are left out.
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
             if not (sym in direct.values() and math.isName()) and sym not in computed]
    while stack:
        n = stack.pop()
        if n in seen:
            continue
        seen.add(n)
        for table in (rules, inits):
            if n in table:
                stack.extend(names(table[n]))
    return {n for n in seen if model.getParameter(n) is not None}
