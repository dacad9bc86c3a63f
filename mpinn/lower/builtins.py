"""The names every problem file may use: functions, constants, keywords. Adding a function
is one entry of :data:`FUNCTIONS` (and of ``mpinn.compile.torch_expr.TORCH_FUNCTIONS``)."""

from __future__ import annotations

from collections.abc import Callable

import sympy as sp

from ..lang.parser import STATEMENT_KEYWORDS

FUNCTIONS: dict[str, Callable] = {
    "sin": sp.sin,
    "cos": sp.cos,
    "tan": sp.tan,
    "asin": sp.asin,
    "acos": sp.acos,
    "atan": sp.atan,
    "exp": sp.exp,
    "log": sp.log,
    "sqrt": sp.sqrt,
    "sinh": sp.sinh,
    "cosh": sp.cosh,
    "tanh": sp.tanh,
    "asinh": sp.asinh,
    "acosh": sp.acosh,
    "artanh": sp.atanh,
    "atanh": sp.atanh,
    "abs": sp.Abs,
    "erf": sp.erf,
}
CONSTANTS = {"pi": sp.pi, "e": sp.E}
BOUNDARY_ALL = ("all", "boundary")
KEYWORDS = {
    *STATEMENT_KEYWORDS,
    *("in", "on", "or", "manufactured", "net", "normal", "integral", "expect", "hard"),
}


def is_vector(value) -> bool:
    return isinstance(value, sp.MatrixBase)
