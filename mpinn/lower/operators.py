"""The differential and vector operators of the language: one entry of :data:`OPERATORS`
each. An operator gets the expression pass (``low``: ``expr``, ``diff``,
``derivative_coords``, ``coords()``, ``space``), the call node and the scope, and returns a
sympy scalar or vector. Adding an operator is one function and one table entry."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import sympy as sp

from ..ir import normal_symbols
from ..lang import ast
from ..lang.diagnostics import MpError
from .builtins import is_vector


@dataclass(frozen=True)
class Operator:
    """A differential/vector operator of the language: one entry of :data:`OPERATORS`."""

    min_args: int
    max_args: int | None
    usage: str
    apply: Callable  # (expression pass, call node, scope) -> sympy value


def _op_d(low, node, scope):
    coords = []
    for arg in node.args[1:]:
        if not isinstance(arg, ast.Name):
            raise MpError(
                "d(u, x, ...) takes coordinate names after the expression",
                arg.span,
                "e.g. d(u, x, y) for the mixed derivative",
            )
        coords.extend(
            low.derivative_coords([arg.id], arg)
            if arg.id not in {c.name for c in low.coords()}
            else [c for c in low.coords() if c.name == arg.id]
        )
    return low.diff(low.expr(node.args[0], scope), coords, node)


def _op_grad(low, node, scope):
    value = low.expr(node.args[0], scope)
    if is_vector(value):
        raise MpError(
            "grad() of a vector",
            node.span,
            "grad takes a scalar; for a vector use div() or take components",
        )
    return sp.Matrix([sp.diff(value, c) for c in low.space])


def _op_div(low, node, scope):
    value = low.expr(node.args[0], scope)
    if not is_vector(value):
        raise MpError("div() of a scalar", node.span, "div takes a vector, e.g. div(grad(u))")
    if value.shape[0] != len(low.space):
        raise MpError(
            f"div() of a {value.shape[0]}-vector in {len(low.space)} dimensions", node.span
        )
    return sp.Add(*[sp.diff(value[i], c) for i, c in enumerate(low.space)])


def _op_lap(low, node, scope):
    value = low.expr(node.args[0], scope)
    lap = lambda s: sp.Add(*[sp.diff(s, c, 2) for c in low.space])  # noqa: E731
    return value.applyfunc(lap) if is_vector(value) else lap(value)


def _op_dot(low, node, scope):
    a, b = (low.expr(arg, scope) for arg in node.args)
    if not (is_vector(a) and is_vector(b)):
        raise MpError("dot() takes two vectors", node.span, "e.g. dot(J, normal)")
    if a.shape != b.shape:
        raise MpError(f"dot() of vectors of sizes {a.shape[0]} and {b.shape[0]}", node.span)
    return sp.Add(*[a[i] * b[i] for i in range(a.shape[0])])


def _op_dn(low, node, scope):
    if not scope.normal:
        raise MpError(
            f"dn() (normal derivative) is not available in {scope.what}",
            node.span,
            "normal derivatives belong in boundary conditions",
        )
    value = low.expr(node.args[0], scope)
    if is_vector(value):
        raise MpError("dn() of a vector", node.span, "dn takes a scalar; use dot(J, normal)")
    return sp.Add(*[n * sp.diff(value, c) for n, c in zip(normal_symbols(low.space), low.space)])


OPERATORS: dict[str, Operator] = {
    "d": Operator(2, None, "d(u, x) or d(u, x, y) for mixed derivatives", _op_d),
    "grad": Operator(1, 1, "grad(u) is the vector of first derivatives", _op_grad),
    "div": Operator(1, 1, "div(J) of a vector J", _op_div),
    "lap": Operator(1, 1, "lap(u) = sum of second derivatives", _op_lap),
    "dot": Operator(2, 2, "dot(a, b) of two vectors", _op_dot),
    "dn": Operator(1, 1, "dn(u) = outward normal derivative, in boundary conditions", _op_dn),
}
