"""Size and time budgets of one lowering: a file cannot make sympy build (or
differentiate) an astronomically large expression, nor keep it busy for minutes.

Every intermediate value of the expression pass goes through :meth:`Guard.check`.
"""

from __future__ import annotations

import time

import sympy as sp

from ..lang.diagnostics import MpError
from .builtins import is_vector

MAX_DERIVATIVE_ORDER = 6
MAX_EXPONENT = 1000
MAX_NODES = 20_000  # tree size of any lowered expression (lets compose, so this is not
#                    bounded by the parser's limits on one statement)
MAX_HEIGHT = 100  # tree height of any lowered expression (sympy recurses on it)
MAX_ARGS = 256  # terms of one sum, factors of one product (sympy's flattening is quadratic)
MAX_SECONDS = 20.0  # wall-clock budget of one lowering: the last line of defence
MAX_NUMBER_BITS = 1100  # exact rationals beyond ~1e330 are not physics


class Guard:
    """The budgets of one lowering (its clock starts when it is made)."""

    def __init__(self) -> None:
        self.started = time.monotonic()
        self._sizes: dict = {}  # memo of measure()

    def measure(self, expr) -> tuple:
        """(tree size, tree height) of a sympy expression, memoised over shared subtrees:
        linear in the number of distinct subexpressions even when the tree is exponential."""
        memo = self._sizes
        hit = memo.get(expr)
        if hit is not None:
            return hit
        size, height = 1, 1
        for arg in expr.args:
            s_, h_ = self.measure(arg)
            size += s_
            height = max(height, h_ + 1)
        memo[expr] = (size, height)
        return size, height

    def check(self, value, node) -> None:
        """MpError at ``node`` when ``value`` is too large, too deep or too late."""
        items = list(value) if is_vector(value) else [value]
        if time.monotonic() - self.started > MAX_SECONDS:
            raise MpError(
                f"this file takes too long to lower (more than {MAX_SECONDS:g} s)",
                node.span,
                "simplify the formulas",
            )
        for item in items:
            if len(item.args) > MAX_ARGS:
                raise MpError(
                    f"a sum or product of {len(item.args)} terms (the limit is {MAX_ARGS})",
                    node.span,
                    "simplify the formulas",
                )
            if (
                item.is_Rational
                and max(abs(int(item.p)).bit_length(), int(item.q).bit_length()) > MAX_NUMBER_BITS
            ):
                raise MpError("number too large (beyond 1e330)", node.span, "rescale the problem")
            size, height = self.measure(item)
            if size > MAX_NODES:
                raise MpError(
                    f"expression too large ({size} terms and factors, the limit is {MAX_NODES})",
                    node.span,
                    "a 'let' that uses another let twice doubles in size; simplify the formulas",
                )
            if height > MAX_HEIGHT:
                raise MpError(
                    f"expression nested {height} levels deep (the limit is {MAX_HEIGHT})",
                    node.span,
                    "chains of 'let' bindings nest; simplify the formulas",
                )

    def diff_size(self, expr, memo) -> int:
        """An upper estimate of the tree size of d(expr)/dx (product and chain rules)."""
        hit = memo.get(expr)
        if hit is not None:
            return hit
        if not expr.args or isinstance(expr, (sp.Derivative, sp.core.function.AppliedUndef)):
            out = 2
        elif expr.is_Add:
            out = 1 + sum(self.diff_size(a, memo) for a in expr.args)
        elif expr.is_Mul:
            size = self.measure(expr)[0]
            out = 1 + sum(
                size - self.measure(a)[0] + self.diff_size(a, memo) + 1 for a in expr.args
            )
        else:  # Pow and functions: f'(args) * d(args)
            out = 2 * self.measure(expr)[0] + sum(self.diff_size(a, memo) for a in expr.args)
        memo[expr] = out
        return out

    def check_derivative(self, value, node) -> None:
        """Before one more order of differentiation: would the result be too large?"""
        if self.diff_size(value, {}) > 4 * MAX_NODES:
            raise MpError(
                "this derivative would be too large an expression",
                node.span,
                "differentiate a simpler expression (derivatives of long "
                "products and deep compositions grow fast)",
            )
