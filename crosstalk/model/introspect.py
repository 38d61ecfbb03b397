"""What the simulator needs to know about an SBML document before compiling it (read with libSBML), and the one
evaluator of expressions: initial assignments, and formulas given as input (:func:`parse_formula`, e.g. an
optimisation's constraints), read by libSBML's own formula parser.

AST nodes are tested with ``isName()``, never ``getType() == libsbml.AST_NAME``: once python-libsedml is imported
(crosstalk.export, tellurium), libSBML hands out libSEDML's ASTNode class whose ``getType()`` is an opaque SWIG
pointer, and the comparison is silently False (tests/test_simulate.py).
"""

from __future__ import annotations

import operator
import re
from collections.abc import Callable, Collection, Mapping
from math import copysign, inf, isfinite
from typing import Literal, TypeAlias, Union

import libsbml

__all__ = ["Document", "Expression", "FormulaError", "arithmetic_initial_states", "direct_initial_states", "evaluate",
           "expression_names", "init_dependencies", "parse_formula", "rate_rule_count", "read_document",
           "species_kinds"]

#: An expression as nested tuples: ``("n", number)``, ``("p", name)`` (a parameter id, or a name of
#: :func:`parse_formula`), ``(op, *operands)`` with op one of ``+ - * /``, or a comparison ``(op, left, right)``
#: with op one of ``<= < >= > == !=`` (1.0 where it holds, else 0.0, as in SBML).
Expression = tuple[Union[str, float, "Expression"], ...]

_COMPARISONS: dict[str, Callable[[float, float], bool]] = {
    "<=": operator.le, "<": operator.lt, ">=": operator.ge, ">": operator.gt, "==": operator.eq, "!=": operator.ne}


#: SBML text, or a document already parsed (the simulator parses its model once and asks every question of it).
Document: TypeAlias = "str | libsbml.SBMLDocument"


def read_document(sbml: Document) -> libsbml.SBMLDocument:
    """``sbml`` parsed (text) or as given (a document)."""
    return sbml if isinstance(sbml, libsbml.SBMLDocument) else libsbml.readSBMLFromString(sbml)


def direct_initial_states(sbml: Document) -> dict[str, str]:
    """Initial assignments ``state = p`` (a species or rate-rule state set to one parameter): parameter -> state.

    The simulator applies these by setting the state after ``reset()`` (cheap), not through ``init(p)``
    (which regenerates the model: measured 0.2 s for the exercise module, 0.8 s for the composed model).
    A parameter also used by any other initial assignment is not listed.
    """
    doc = read_document(sbml)
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


def rate_rule_count(sbml: Document) -> int:
    """Number of rate rules (states that CVODE integrates besides the floating species)."""
    doc = read_document(sbml)
    return sum(1 for r in doc.getModel().getListOfRules() if r.isRate())


def species_kinds(sbml: Document) -> dict[str, str]:
    """Species id -> ``"cell"`` (Cell Ontology annotation), ``"input"`` (SBO:0000285) or ``"molecule"``."""
    doc = read_document(sbml)
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


def arithmetic_initial_states(sbml: Document, parameters: Collection[str]) -> dict[str, Expression]:
    """Initial assignments that are arithmetic (+ - * /) in constant ``parameters``, each as an expression in them.

    Covers species, rate-rule states, parameters set by an initial assignment (resting levels in model units,
    unit conversions) and constant compartments sized from table parameters (plasma and blood volumes, drug
    distribution volumes); an assignment that uses another one (or a fixed-size compartment) has it inlined.
    The simulator evaluates these itself and sets them after ``reset()`` (cheap), rather than through
    ``init(p)``, which regenerates the model (measured 0.2 s for the exercise module, 0.8 s for the composed model).
    The mapping is ordered so that every compartment comes before the states in it.
    """
    doc = read_document(sbml)
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


def evaluate(expr: Expression, values: Mapping[str, float], *,
             zero_division: Literal["raise", "infinity"] = "raise") -> float:
    """The value of an :data:`Expression` given the values of its names.

    Parameters
    ----------
    expr : Expression
    values : mapping of str to float
        A value for every name ``expr`` uses (:func:`expression_names`).
    zero_division : {"raise", "infinity"}
        ``"raise"``: ``x / 0`` raises ZeroDivisionError (an initial assignment that divides by zero is a broken
        parameter set, never a value). ``"infinity"``: ``x / 0`` is infinite with the sign of ``x`` and ``0 / 0``
        is 0, so that a constraint has a value for every candidate, however extreme.

    Raises
    ------
    KeyError
        For a name without a value (the message names it).
    """
    op = expr[0]
    if op == "n":
        return float(expr[1])  # type: ignore[arg-type]
    if op == "p":
        try:
            return float(values[str(expr[1])])
        except KeyError:
            raise KeyError(f"no value for the name {expr[1]!r}") from None
    args = [evaluate(e, values, zero_division=zero_division) for e in expr[1:]]  # type: ignore[arg-type]
    if op == "+":
        return sum(args)
    if op == "-":
        return -args[0] if len(args) == 1 else args[0] - sum(args[1:])
    if op == "*":
        out = 1.0
        for a in args:
            out *= a
        return out
    if op == "/":
        if zero_division == "infinity" and args[1] == 0:
            return copysign(inf, args[0]) if args[0] else 0.0
        return args[0] / args[1]
    return 1.0 if _COMPARISONS[str(op)](args[0], args[1]) else 0.0


def expression_names(expr: Expression) -> set[str]:
    """The names an :data:`Expression` uses."""
    if expr[0] == "p":
        return {str(expr[1])}
    if expr[0] == "n":
        return set()
    return set().union(*(expression_names(e) for e in expr[1:]))  # type: ignore[arg-type]


class FormulaError(ValueError):
    """A formula that :func:`parse_formula` does not accept; the message says what was found and where."""


#: A name with dots (``exercise.minutes``): not an SBML identifier, so it is given one before libSBML reads it.
_DOTTED = re.compile(r"(?<![A-Za-z0-9_.])[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)+")
_RELATIONAL = {"leq": "<=", "lt": "<", "geq": ">=", "gt": ">", "eq": "==", "neq": "!="}
_SYMBOLS = {"and": "&&", "or": "||", "not": "!", "rem": "%"}


def parse_formula(text: str) -> Expression:
    """A formula in SBML Level 3 infix syntax (read by libSBML's ``parseL3Formula``) as an :data:`Expression`.

    Accepted: finite numbers, names (SBML identifiers, or identifiers joined by dots such as
    ``exercise.sessions_per_week``), ``+ - * /`` (and a leading minus), parentheses, and comparisons of two sides
    (``<= < >= > == !=``), with the usual precedence (``a + b * c`` is ``a + (b * c)``). Everything else libSBML
    reads (functions, ``^``, ``%``, logic, constants such as ``pi`` or ``true``, numbers with units, chains such
    as ``a <= b <= c``) is refused: a formula given as input is data, never code.

    Parameters
    ----------
    text : str

    Returns
    -------
    Expression
        Names as ``("p", name)`` with their dots.

    Raises
    ------
    FormulaError
        Where the text cannot be read, or what it uses outside the accepted grammar.
    """
    aliased, spans = _alias_dotted_names(text)
    names = {alias: name for alias, _, name in spans}
    settings = libsbml.L3ParserSettings()
    settings.setParseUnits(False)  # "5 mL" would be 5 with a unit, which nothing here converts
    settings.setParseAvogadroCsymbol(False)
    settings.setComparisonCaseSensitivity(True)  # only lower-case pi, inf, ... are libSBML's; "Pi" is a name
    settings.setParseModuloL3v2(True)
    ast = libsbml.parseL3FormulaWithSettings(aliased, settings)
    if ast is None:
        raise FormulaError(_syntax_error(text, libsbml.getLastParseL3Error(), spans))

    def convert(node: libsbml.ASTNode) -> Expression:
        if node.isNumber():
            value = _number(node)
            if not isfinite(value):
                raise FormulaError(f"the number {value} (numbers are finite)")
            return ("n", value)
        if node.isName():  # csymbols (time) included: here a name means what the caller's values say
            return ("p", names.get(node.getName(), node.getName()))
        kids = [node.getChild(i) for i in range(node.getNumChildren())]
        if node.isOperator() and node.getCharacter() in "+-*/":
            return (node.getCharacter(), *(convert(k) for k in kids))
        if node.isRelational() and node.getName() in _RELATIONAL:
            if len(kids) != 2:
                raise FormulaError(f"a chain of {len(kids)} sides (a comparison has two: a <= b, not a <= b <= c)")
            return (_RELATIONAL[node.getName()], convert(kids[0]), convert(kids[1]))
        what = node.getName() or node.getCharacter()
        what = names.get(what, _SYMBOLS.get(what, what))
        raise FormulaError(f"{what!r} (only numbers, names, + - * / ( ) and comparisons)")

    return convert(ast)


def _number(node: libsbml.ASTNode) -> float:
    """A number node's value as Python reads its decimal text: libSBML's ``getValue()`` of ``67.153e8`` is
    mantissa x 10^exponent, one rounding away from the decimal value (6715300000.000001)."""
    if node.getExponent() != 0:
        return float(f"{node.getMantissa()!r}e{node.getExponent()}")
    return float(node.getValue())


def _alias_dotted_names(text: str) -> tuple[str, list[tuple[str, int, str]]]:
    """``text`` with each dotted name replaced by an SBML identifier found nowhere in the text, and the
    replacements as ``(alias, position of the alias, name)``."""
    stem = "_dotted"
    while stem in text:
        stem += "_"
    out: list[str] = []
    spans: list[tuple[str, int, str]] = []
    aliases: dict[str, str] = {}
    end = 0
    length = 0
    for match in _DOTTED.finditer(text):
        alias = aliases.setdefault(match.group(), f"{stem}{len(aliases)}")
        out.append(text[end:match.start()])
        length += match.start() - end
        spans.append((alias, length, match.group()))
        out.append(alias)
        length += len(alias)
        end = match.end()
    out.append(text[end:])
    return "".join(out), spans


def _syntax_error(text: str, message: str, spans: list[tuple[str, int, str]]) -> str:
    """libSBML's parse error as a reason in terms of ``text`` (its positions count the aliased text)."""
    if "end of string" in message:
        return "it ends too early"
    found = re.search(r"at position (\d+)", message)
    if found is None:
        return message.strip()
    at = int(found.group(1))  # 1-based: the last character of the token that could not be read
    shift = 0  # how much longer the text is than the aliased text, up to this point
    for alias, start, name in spans:
        if at <= start:
            break
        if at <= start + len(alias):  # inside an alias: point at the end of its name
            shift = start + shift + len(name) - at
            break
        shift += len(name) - len(alias)
    at += shift
    return f"unreadable at character {at}: {text[:at]!r}"


def init_dependencies(sbml: Document, *, computed: Collection[str] = ()) -> set[str]:
    """Parameters that initial values depend on (through initial assignments and assignment rules).

    RoadRunner evaluates initial assignments at ``reset()`` from parameters' *initial* values, which only
    ``RoadRunner.setValue("init(p)")`` changes (``setGlobalParameterValues`` does not, and the model-level
    ``setValue`` is ignored at reset). Only these parameters need that slower path (~0.2 ms per call).
    States in ``computed``, whose initial values the caller evaluates and sets itself
    (:func:`arithmetic_initial_states`), are left out.
    """
    doc = read_document(sbml)  # keep the document alive while its model is used
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
