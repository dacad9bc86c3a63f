"""The shapes pass: ``shape NAME = ...`` statements, a domain built from shapes
(``domain (x, y) in outer - hole``) and ``periodic x`` → the shape tree of the IR
(:mod:`mpinn.ir.shapes`), checked against the exact geometry (:mod:`mpinn.shapes`, loaded
only by problems that use shapes) so a bad radius or a degenerate polygon is a diagnostic at
its statement."""

from __future__ import annotations

import sympy as sp

from ..ir import to_float
from ..ir.shapes import OPERATORS, PRIMITIVES, Combine, Named, Primitive
from ..lang import ast
from ..lang.diagnostics import MpError, did_you_mean
from . import data
from .builtins import is_vector
from .scope import PARAM_SCOPE


def shape_stmt(low, st: ast.ShapeStmt) -> None:
    """``shape NAME = EXPR``: a named shape, usable in the domain and in selectors."""
    tree = shape_tree(low, st.shape)
    low.define(st.name, "shape")
    node = Named(st.name.name, tree)
    _check_solid(low, node, st.shape.span)
    low.shapes[st.name.name] = node


def domain_shape(low, st: ast.DomainStmt):
    """The shape of ``domain (x, y) in SHAPE``; returns ``(tree, bounds)`` with ``bounds``
    the bounding box as sympy numbers."""
    tree = shape_tree(low, st.shape)
    if tree.dim != len(st.coords):
        raise MpError(
            f"the domain has {len(st.coords)} coordinates but the shape is {tree.dim}D",
            st.shape.span,
            "use 2D shapes (rect, disk, ellipse, polygon) with (x, y), 3D shapes "
            "(box, ball, cylinder) with (x, y, z), interval with x",
        )
    solid = _check_solid(low, tree, st.shape.span)
    lo, hi = solid.bbox()
    return tree, tuple((sp.Float(a), sp.Float(b)) for a, b in zip(lo, hi))


def shape_tree(low, node):
    """One shape expression → an IR shape tree."""
    if isinstance(node, ast.ShapeRef):
        if node.name in low.shapes:
            return low.shapes[node.name]
        kind = low.names.get(node.name, (None,))[0]
        if kind is not None:
            raise MpError(f"'{node.name}' is a {kind}, not a shape", node.span)
        later = _declared_later(low, node.name)
        raise MpError(
            f"unknown shape '{node.name}'",
            node.span,
            f"'{node.name}' is declared further down; declare a shape before using it"
            if later
            else did_you_mean(node.name, list(low.shapes) + list(PRIMITIVES))
            or "declare it with e.g. 'shape hole = disk((0, 0), 0.5)'",
        )
    if isinstance(node, ast.ShapeCall):
        return _primitive(low, node)
    left, right = shape_tree(low, node.left), shape_tree(low, node.right)
    if left.dim != right.dim:
        raise MpError(
            f"cannot combine a {left.dim}D shape with a {right.dim}D shape",
            node.span,
            "both sides of + - & must have the same dimension",
        )
    return Combine(OPERATORS[node.op], left, right)


def _declared_later(low, name: str) -> bool:
    return any(isinstance(st, ast.ShapeStmt) and st.name.name == name for st in low.statements)


def _primitive(low, node: ast.ShapeCall) -> Primitive:
    if node.func not in PRIMITIVES:
        raise MpError(
            f"unknown shape '{node.func}'",
            node.span,
            did_you_mean(node.func, PRIMITIVES) or f"shapes: {', '.join(PRIMITIVES)}",
        )
    dim, kinds, usage = PRIMITIVES[node.func]
    if kinds == ("points",):
        if len(node.args) < 3:
            raise MpError(
                f"{node.func} needs at least three vertices, got {len(node.args)}",
                node.span,
                usage,
            )
        kinds = ("point",) * len(node.args)
    if len(node.args) != len(kinds):
        raise MpError(
            f"{node.func} takes {len(kinds)} arguments, got {len(node.args)}", node.span, usage
        )
    args = []
    for arg, kind in zip(node.args, kinds):
        value = low.expr(arg, PARAM_SCOPE)
        if kind == "point":
            if not is_vector(value) or value.shape[0] != dim:
                raise MpError(f"expected a point with {dim} coordinates here", arg.span, usage)
            items = tuple(value[i] for i in range(dim))
        else:
            if is_vector(value):
                raise MpError("expected a number here, got a point", arg.span, usage)
            items = (value,)
        data.check_fixed_geometry(low, items, arg.span)
        _finite(low, items, arg.span)
        args.append(items if kind == "point" else items[0])
    return Primitive(node.func, tuple(args))


def _finite(low, items, span) -> None:
    values = low.param_values()
    for item in items:
        try:
            to_float(item, values)
        except (ValueError, TypeError) as exc:
            raise MpError(f"shape argument is not a finite number: {exc}", span) from None


def _check_solid(low, tree, span):
    """Build the exact geometry once (numbers from the parameters' values) so a bad shape
    is reported at its statement."""
    from ..shapes import ShapeError, build

    try:
        return build(tree, low.param_values())
    except ShapeError as exc:
        raise MpError(str(exc), span) from None


def periodic(low, st: ast.PeriodicStmt) -> None:
    """``periodic x``: the box direction x carries periodic conditions, imposed exactly by
    the networks' inputs (no boundary on its two ends)."""
    low.need_domain(st)
    names = [s.name for s in low.space]
    for ident in st.names:
        name = ident.name
        if low.time is not None and name == low.time.name:
            raise MpError("time cannot be periodic", ident.span, "periodic names a space axis")
        if name not in names:
            raise MpError(
                f"'{name}' is not a spatial coordinate",
                ident.span,
                did_you_mean(name, names) or f"coordinates: {', '.join(names)}",
            )
        if low.shape is not None:
            raise MpError(
                f"'{name}' is not a box direction: the domain is built from shapes",
                ident.span,
                "periodic directions need a box domain, e.g. 'domain (x, y) in [0, 2*pi] x [0, 1]'",
            )
        axis = names.index(name)
        if axis in low.periodic:
            raise MpError(f"'{name}' is already periodic", ident.span)
        low.periodic.append(axis)
