"""Combinations of solids (union, difference, intersection), named sub-solids, and
:func:`build`, which turns a plain-data shape tree of :mod:`mpinn.ir.shapes` into a
:class:`~mpinn.shapes.solid.Solid` at given parameter values."""

from __future__ import annotations

import numbers

import numpy as np

from ..ir import shapes as ir_shapes
from ..ir.numeric import to_float
from .primitives import PRIMITIVE_TYPES
from .solid import ShapeError, Solid

OPS = ("union", "difference", "intersection")


class Combined(Solid):
    """``left op right``; the signed distance is min (union), max (intersection) or
    ``max(left, -right)`` (difference): exact zero set, a bound elsewhere."""

    def __init__(self, op: str, left: Solid, right: Solid, values: dict | None = None):
        if op not in OPS:
            raise ShapeError(f"unknown shape operation {op!r}; known: {', '.join(OPS)}")
        if left.dim != right.dim:
            raise ShapeError(f"cannot combine a {left.dim}D shape with a {right.dim}D shape ({op})")
        self.op, self.left, self.right, self.dim = op, left, right, left.dim
        self.values = dict(values or {})
        if op == "intersection":
            lo, hi = self.bbox()
            if any(a >= b for a, b in zip(lo, hi)):
                raise ShapeError("the intersection is empty (the shapes' boxes do not overlap)")

    def sdf(self, p):
        a, b = self.left.sdf(p), self.right.sdf(p)
        if self.op == "union":
            return np.minimum(a, b)
        if self.op == "intersection":
            return np.maximum(a, b)
        return np.maximum(a, -b)

    def bbox(self):
        (llo, lhi), (rlo, rhi) = self.left.bbox(), self.right.bbox()
        if self.op == "union":
            return tuple(map(min, llo, rlo)), tuple(map(max, lhi, rhi))
        if self.op == "intersection":
            return tuple(map(max, llo, rlo)), tuple(map(min, lhi, rhi))
        return llo, lhi

    def leaves(self):
        return self.left.leaves() + self.right.leaves()

    def named(self):
        out = dict(self.left.named())
        for name, solid in self.right.named().items():
            out.setdefault(name, solid)  # the first occurrence, left to right, wins
        return out

    def __repr__(self) -> str:
        return f"{self.op}({self.left!r}, {self.right!r})"


class NamedSolid(Solid):
    """A declared shape (``shape NAME = ...``): the same region as ``solid``."""

    def __init__(self, name: str, solid: Solid, values: dict | None = None):
        self.name, self.solid, self.dim = name, solid, solid.dim
        self.values = dict(values or {})

    def sdf(self, p):
        return self.solid.sdf(p)

    def bbox(self):
        return self.solid.bbox()

    def leaves(self):
        return self.solid.leaves()

    def volume(self) -> float:
        return self.solid.volume()  # exact when the named shape is a primitive

    def named(self):
        return {self.name: self, **{k: v for k, v in self.solid.named().items() if k != self.name}}

    def __repr__(self) -> str:
        return f"{self.name}={self.solid!r}"


def _number(expr, values: dict, what: str) -> float:
    try:
        if isinstance(expr, numbers.Real):
            out = float(expr)
        else:
            out = to_float(expr, values)
    except (ValueError, TypeError, AttributeError) as exc:
        raise ShapeError(f"{what}: {exc}") from None
    if out != out or out in (float("inf"), float("-inf")):
        raise ShapeError(f"{what}: it is not finite")
    return out


def _args(node: ir_shapes.Primitive, values: dict) -> list:
    """The float arguments of a primitive, checked against its signature."""
    if node.kind not in ir_shapes.PRIMITIVES:
        known = ", ".join(ir_shapes.PRIMITIVES)
        raise ShapeError(f"unknown shape {node.kind!r}; known: {known}")
    dim, kinds, usage = ir_shapes.PRIMITIVES[node.kind]
    args = list(node.args)
    usage = usage.split(":")[0]
    if kinds == ("points",):
        kinds = ("point",) * len(args)
    if len(args) != len(kinds):
        raise ShapeError(f"{usage} takes {len(kinds)} arguments, got {len(args)}")
    out = []
    for i, (kind, arg) in enumerate(zip(kinds, args), 1):
        what = f"{node.kind} argument {i}"
        if kind == "point":
            if not isinstance(arg, tuple) or len(arg) != dim:
                got = f"{len(arg)} numbers" if isinstance(arg, tuple) else "a number"
                raise ShapeError(f"{what} must be a point of {dim} numbers, got {got} ({usage})")
            out.append(tuple(_number(a, values, what) for a in arg))
        else:
            if isinstance(arg, tuple):
                raise ShapeError(f"{what} must be a number, got a point ({usage})")
            out.append(_number(arg, values, what))
    return out


def build(tree, values: dict | None = None) -> Solid:
    """The :class:`Solid` of a shape tree (:class:`mpinn.ir.shapes.Primitive`, ``Combine``,
    ``Named``) with its sympy arguments evaluated at ``values`` (parameter name -> float).
    Raises :class:`ShapeError` (a ValueError) with a one-line message for bad arguments."""
    values = dict(values or {})
    solid = _build(tree, values)
    solid.values = values
    return solid


def _build(node, values: dict) -> Solid:
    if isinstance(node, ir_shapes.Named):
        return NamedSolid(node.name, _build(node.shape, values), values)
    if isinstance(node, ir_shapes.Combine):
        return Combined(node.op, _build(node.left, values), _build(node.right, values), values)
    if isinstance(node, ir_shapes.Primitive):
        args = _args(node, values)
        if node.kind not in PRIMITIVE_TYPES:
            raise ShapeError(f"shape {node.kind!r} has no geometry in mpinn.shapes")
        solid = PRIMITIVE_TYPES[node.kind](*args)
        solid.values = values
        return solid
    raise ShapeError(f"not a shape: {type(node).__name__}")
