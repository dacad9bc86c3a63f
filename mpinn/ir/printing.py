"""Expressions in the notation of the problem files (``u_xx``, not
``Derivative(u(x), (x, 2))``): what ``mpinn check`` and the docs print."""

from __future__ import annotations

import sympy as sp
from sympy.core.function import AppliedUndef
from sympy.printing.str import StrPrinter

__all__ = ["MathPrinter", "format_expr"]


class MathPrinter(StrPrinter):
    """sympy's str printer, with the notation of the problem files.

    * a field ``u(x, y)`` prints as ``u``;
    * a derivative of a field prints with subscripts: ``u_xx``, ``u_xy``, ``c_t``;
    * the outward normal components ``_n_x`` print as ``n_x``;
    * ``atanh`` prints as ``artanh`` (both are accepted in problem files).
    """

    def _print_Function(self, expr):
        if isinstance(expr, AppliedUndef):
            return expr.func.__name__
        if expr.func is sp.atanh:
            return f"artanh({self._print(expr.args[0])})"
        return super()._print_Function(expr)

    def _print_Derivative(self, expr):
        inner = expr.expr
        variables = "".join(v.name * int(n) for v, n in expr.variable_count)
        if isinstance(inner, AppliedUndef):
            return f"{inner.func.__name__}_{variables}"
        args = ", ".join(v.name for v, n in expr.variable_count for _ in range(int(n)))
        return f"d({self._print(inner)}, {args})"

    def _print_Symbol(self, expr):
        if expr.name.startswith("_n_"):
            return "n_" + expr.name[3:]
        return expr.name

    _print_Dummy = _print_Symbol

    def _print_Exp1(self, expr):
        return "e"

    def _print_ImmutableDenseMatrix(self, expr):
        return "(" + ", ".join(self._print(c) for c in expr) + ")"

    _print_MutableDenseMatrix = _print_ImmutableDenseMatrix
    _print_Matrix = _print_ImmutableDenseMatrix


_PRINTER = MathPrinter()
_PRINTER_UNSORTED = MathPrinter({"order": "none"})


def format_expr(expr) -> str:
    """One expression (or a vector of them) in the notation of the problem files."""
    try:
        text = _PRINTER.doprint(expr)
    except (RecursionError, OverflowError, ValueError, TypeError):
        # sorting the terms of a sum can evaluate its numbers; fall back on source order
        try:
            text = _PRINTER_UNSORTED.doprint(expr)
        except (RecursionError, OverflowError, ValueError, TypeError):
            return "<expression too large to print>"
    return text.replace("**", "^")  # the language's power operator
