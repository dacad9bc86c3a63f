"""Shapes of the domain as plain data: what ``shape outer = disk((0, 0), 1)`` and
``domain (x, y) in outer - hole`` mean, before any numbers are drawn.

A shape is a tree: :class:`Primitive` leaves (``disk``, ``rect``, ``polygon``, ...) whose
arguments are sympy expressions of parameters (a point is a tuple of them), combined by
:class:`Combine` (``+`` union, ``-`` difference, ``&`` intersection); :class:`Named` marks
the node a ``shape NAME = ...`` statement declared, so a boundary condition ``on NAME``
can select the part of the domain's boundary lying on it. The exact geometry of each kind
(signed distance, boundary patches, sampling) is :mod:`mpinn.shapes`; a new kind is one
entry of :data:`PRIMITIVES` here and one class there (docs/architecture.md, "add a shape").
"""

from __future__ import annotations

from dataclasses import dataclass

#: kind -> (spatial dimension, argument kinds, meaning). Argument kinds: "point" (a tuple of
#: ``dim`` numbers), "number", "points" (two or more points, the rest of the arguments).
PRIMITIVES: dict[str, tuple[int, tuple[str, ...], str]] = {
    "interval": (1, ("number", "number"), "interval(a, b): the segment [a, b]"),
    "rect": (2, ("point", "point"), "rect((x0, y0), (x1, y1)): opposite corners"),
    "disk": (2, ("point", "number"), "disk((cx, cy), r)"),
    "ellipse": (
        2,
        ("point", "number", "number"),
        "ellipse((cx, cy), a, b): semi-axes a along x and b along y",
    ),
    "polygon": (
        2,
        ("points",),
        "polygon((x1, y1), (x2, y2), (x3, y3), ...): three or more vertices",
    ),
    "box": (3, ("point", "point"), "box((x0, y0, z0), (x1, y1, z1)): opposite corners"),
    "ball": (3, ("point", "number"), "ball((cx, cy, cz), r)"),
    "cylinder": (
        3,
        ("point", "number", "number"),
        "cylinder((cx, cy, z0), r, h): axis along z from z0 to z0 + h",
    ),
}

#: operator symbol in the language -> Combine.op
OPERATORS = {"+": "union", "-": "difference", "&": "intersection"}


class Shape:
    """Base of the shape tree nodes (frozen dataclasses, hashable)."""

    def named(self) -> dict:
        """``{name: Named node}`` of every declared shape inside this tree."""
        out: dict = {}
        _collect(self, out)
        return out


@dataclass(frozen=True)
class Primitive(Shape):
    kind: str  # a key of PRIMITIVES
    args: tuple  # sympy expressions; a point is a tuple of them; "points" flattened in order

    @property
    def dim(self) -> int:
        return PRIMITIVES[self.kind][0]


@dataclass(frozen=True)
class Combine(Shape):
    op: str  # "union" | "difference" | "intersection"
    left: Shape
    right: Shape

    @property
    def dim(self) -> int:
        return self.left.dim


@dataclass(frozen=True)
class Named(Shape):
    name: str
    shape: Shape

    @property
    def dim(self) -> int:
        return self.shape.dim


def _collect(node, out: dict) -> None:
    if isinstance(node, Named):
        out.setdefault(node.name, node)
        _collect(node.shape, out)
    elif isinstance(node, Combine):
        _collect(node.left, out)
        _collect(node.right, out)


def free_symbols(node) -> set:
    """Every sympy symbol the shape's arguments use."""
    if isinstance(node, Named):
        return free_symbols(node.shape)
    if isinstance(node, Combine):
        return free_symbols(node.left) | free_symbols(node.right)
    out: set = set()
    for a in _flat(node.args):
        out |= a.free_symbols
    return out


def _flat(args):
    for a in args:
        if isinstance(a, tuple):
            yield from _flat(a)
        else:
            yield a
