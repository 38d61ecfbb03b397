"""Constraints on a prescription's decisions, e.g. ``exercise.sessions_per_week * exercise.minutes <= 300``.

A constraint is read by libSBML's Level 3 formula parser and evaluated by the same evaluator as the models'
initial assignments (:func:`crosstalk.model.introspect.parse_formula` and
:func:`~crosstalk.model.introspect.evaluate`): one grammar and one evaluator for every formula in the package.
A spec is input, and input never runs code.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from crosstalk.errors import InputError
from crosstalk.model.introspect import Expression, FormulaError, evaluate, expression_names, parse_formula

__all__ = ["COMPARISONS", "Constraint"]

#: The comparisons a constraint may make (strict ``<`` and ``>`` are refused: see :class:`Constraint`).
COMPARISONS = ("<=", ">=", "==")
#: Tolerance of ``==``: integer decisions meet it exactly, a real decision almost never would.
EQUALITY_TOLERANCE = 1e-9
_GRAMMAR = "numbers, decision names, + - * / ( ) and one comparison <=, >= or =="
_STRICT = ("<= or >= (a strict bound is not enforceable on a real decision; for integers write e.g. "
           "exercise.sessions_per_week <= 4)")
_ONE_COMPARISON = "one comparison (<=, >=, ==) between two sides"


@dataclass(frozen=True)
class Constraint:
    """A constraint on decisions, e.g. ``exercise.sessions_per_week * exercise.minutes <= 300``.

    The grammar: numbers, names of integer or real decisions, ``+ - * /`` with the usual precedence (a leading
    minus or plus allowed), parentheses, and exactly one comparison ``<=``, ``>=`` or ``==`` (within 1e-9: for
    integer decisions; a real decision almost never equals a value exactly). Strict ``<``/``>`` are refused, as
    is everything else libSBML's formula syntax has (functions, ``^``, logic, constants such as ``pi``). A
    division by zero is infinite with the sign of the dividend (``0 / 0`` is 0). Sedentary care (0 sessions per
    week) is never constrained.

    Parameters
    ----------
    expression : str

    Raises
    ------
    InputError
        ``constraint.expression``, naming the expression and what is allowed, for an expression outside the
        grammar.
    """

    expression: str
    tree: Expression = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if not isinstance(self.expression, str) or not self.expression.strip():
            raise InputError("constraint.expression", self.expression, "a comparison of decisions")
        object.__setattr__(self, "tree", _comparison(self.expression))

    @property
    def names(self) -> set[str]:
        """Decision names the expression uses."""
        return expression_names(self.tree)

    def violation(self, values: Mapping[str, float]) -> float:
        """How far ``values`` are from satisfying the constraint (<= 0: satisfied), in the expression's units.

        Raises
        ------
        InputError
            ``constraint.expression``, naming the names without a value in ``values``.
        """
        op, left, right = self.tree
        try:
            lhs = evaluate(left, values, zero_division="infinity")  # type: ignore[arg-type]
            rhs = evaluate(right, values, zero_division="infinity")  # type: ignore[arg-type]
        except KeyError:
            missing = sorted(self.names - set(values))
            raise InputError("constraint.expression", self.expression,
                             "values for every name it uses; missing: " + ", ".join(missing)) from None
        if op == "<=":
            return lhs - rhs
        if op == ">=":
            return rhs - lhs
        return abs(lhs - rhs) - EQUALITY_TOLERANCE


def _comparison(text: str) -> Expression:
    """``text`` as a comparison ``(op, left, right)`` with op in :data:`COMPARISONS` and no comparison inside."""
    try:
        tree = parse_formula(text)
    except FormulaError as err:
        raise InputError("constraint.expression", text, f"{_GRAMMAR} ({err})") from None
    op = tree[0]
    if op in ("<", ">"):
        raise InputError("constraint.expression", text, _STRICT)
    if op not in COMPARISONS:
        raise InputError("constraint.expression", text, _ONE_COMPARISON)
    if any(_has_comparison(side) for side in tree[1:]):  # type: ignore[arg-type]
        raise InputError("constraint.expression", text, f"{_ONE_COMPARISON}, not a comparison inside a side")
    return tree


def _has_comparison(expr: Expression) -> bool:
    if expr[0] in ("n", "p"):
        return False
    return expr[0] in ("<=", "<", ">=", ">", "==", "!=") or any(
        _has_comparison(e) for e in expr[1:])  # type: ignore[arg-type]
