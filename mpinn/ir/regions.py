"""Where a condition holds: pieces of the domain's boundary, as plain data.

A boundary condition carries a tuple of *pieces*; the geometry stage
(:class:`mpinn.geometry.Domain`) samples points and outward normals on them. Every piece
type is a frozen dataclass, so terms can be grouped by the pieces they share. The box
domains of today have one kind of piece, :class:`Face` (``axis``, ``side``); a new kind of
domain adds its own piece type here and implements it in :mod:`mpinn.geometry` (see
docs/architecture.md, "add a shape").

:class:`Plane` is not a boundary piece: it marks a plane inside the domain (a target for
clustering collocation points).
"""

from __future__ import annotations

import math
import numbers
from dataclasses import dataclass

#: Built-in face names -> (axis, side).
FACE_NAMES: dict[str, tuple[int, int]] = {
    "left": (0, 0),
    "right": (0, 1),
    "bottom": (1, 0),
    "top": (1, 1),
    "back": (2, 0),
    "front": (2, 1),
}


def _axis_index(axis, what: str) -> int:
    """A coordinate index given to a Face or Plane, checked and made a plain int."""
    if not isinstance(axis, numbers.Integral) or axis < 0:  # numpy ints are Integral
        raise ValueError(f"{what} axis must be a non-negative int, got {axis!r}")
    return int(axis)


def _check_axis_in(box, target) -> None:
    if target.axis >= box.dim:
        raise ValueError(f"{target} does not exist in a {box.dim}D box")


class BoundaryPiece:
    """Base of every kind of boundary piece (a marker: the pieces are plain data)."""


@dataclass(frozen=True)
class Face(BoundaryPiece):
    """One face of a box: ``axis`` index, ``side`` 0 (lo end) or 1 (hi end).

    The methods that take a ``box`` read only its ``dim``, ``lo``, ``hi``, ``names`` and
    ``extents`` (a :class:`mpinn.geometry.Box`)."""

    axis: int
    side: int

    def __post_init__(self) -> None:
        axis = _axis_index(self.axis, "face")
        if self.side not in (0, 1):
            raise ValueError(f"face side must be 0 (lo) or 1 (hi), got {self.side!r}")
        object.__setattr__(self, "axis", axis)
        object.__setattr__(self, "side", int(self.side))

    def check(self, box) -> None:
        """Raise ValueError if the face does not exist in ``box``."""
        _check_axis_in(box, self)

    def normal(self, dim: int) -> tuple[float, ...]:
        """Outward unit normal in ``dim`` spatial dimensions."""
        if self.axis >= dim:
            raise ValueError(f"{self} does not exist in {dim}D")
        return tuple((1.0 if self.side else -1.0) if i == self.axis else 0.0 for i in range(dim))

    def value(self, box) -> float:
        """The coordinate value of the face plane."""
        self.check(box)
        return (box.hi if self.side else box.lo)[self.axis]

    def measure(self, box) -> float:
        """Face measure: product of the other spatial extents (1 for a 1D end point)."""
        self.check(box)
        return math.prod(e for i, e in enumerate(box.extents) if i != self.axis)

    def label(self, box) -> str:
        """Readable label such as ``"x = 0"``."""
        value = self.value(box)  # validates the axis first
        return f"{box.names[self.axis]} = {value:g}"


def box_faces(dim: int) -> tuple[Face, ...]:
    """All 2*dim faces of a box in ``dim`` dimensions, by axis then side (lo first)."""
    return tuple(Face(a, s) for a in range(dim) for s in (0, 1))


def face_by_name(dim: int, name: str) -> Face:
    """Face for a built-in name (left/right, bottom/top, back/front) in ``dim`` dimensions."""
    key = name.strip().lower()
    if key not in FACE_NAMES:
        raise ValueError(f"unknown face name {name!r}; known: {', '.join(FACE_NAMES)}")
    face = Face(*FACE_NAMES[key])
    if face.axis >= dim:
        valid = [n for n, (a, _) in FACE_NAMES.items() if a < dim]
        raise ValueError(f"face {name!r} does not exist in a {dim}D box; valid: {', '.join(valid)}")
    return face


@dataclass(frozen=True)
class ShapePiece(BoundaryPiece):
    """The part of the domain's boundary lying on the boundary of the declared shape
    ``name`` (``bc rim on outer``), for domains built from shapes."""

    name: str

    def label(self, domain=None) -> str:
        return self.name


@dataclass(frozen=True)
class CoordPiece(BoundaryPiece):
    """The boundary points of a shaped domain on the plane ``x[axis] = value`` (``bc inlet
    on x = 0``), whatever the shape; ``value`` is a sympy expression of parameters
    (resolved by the numeric domain with its parameter values)."""

    axis: int
    value: object  # sympy expression

    def label(self, domain=None) -> str:
        name = domain.names[self.axis] if domain is not None else f"x{self.axis}"
        return f"{name} = {self.value}"


@dataclass(frozen=True)
class WholeBoundary(BoundaryPiece):
    """Every point of a shaped domain's boundary (``all``)."""

    def label(self, domain=None) -> str:
        return "all"


@dataclass(frozen=True)
class Section:
    """The cut ``x[axis] = value`` through the domain (not its boundary): where a line or
    surface integral such as a flow rate ``integral(u, x = 2)`` is taken. ``value`` is a
    sympy expression of parameters."""

    axis: int
    value: object


@dataclass(frozen=True)
class Plane:
    """The plane ``x[axis] = value`` inside a box: a target for clustering (an interface,
    the edge of a patterned wall) that, unlike a :class:`Face`, has points on both sides."""

    axis: int
    value: float

    def __post_init__(self) -> None:
        axis = _axis_index(self.axis, "plane")
        if not math.isfinite(self.value):
            raise ValueError(f"plane value must be finite, got {self.value!r}")
        object.__setattr__(self, "axis", axis)
        object.__setattr__(self, "value", float(self.value))

    def check(self, box) -> None:
        """Raise ValueError unless the plane cuts ``box``."""
        _check_axis_in(box, self)
        if not box.lo[self.axis] <= self.value <= box.hi[self.axis]:
            raise ValueError(
                f"{self} lies outside the box [{box.lo[self.axis]}, "
                f"{box.hi[self.axis]}] along axis {self.axis}"
            )
