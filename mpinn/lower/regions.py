"""The regions pass: boundary selectors (``x = 0 or top``, a named ``boundary``, ``all``)
→ a tuple of boundary pieces of the IR (:mod:`mpinn.ir.regions`)."""

from __future__ import annotations

import math

from ..ir import (
    FACE_NAMES,
    CoordPiece,
    Face,
    ShapePiece,
    WholeBoundary,
    box_faces,
    face_by_name,
    to_float,
)
from ..lang import ast
from ..lang.diagnostics import MpError, did_you_mean
from .builtins import BOUNDARY_ALL
from .scope import PARAM_SCOPE


def select(low, pieces) -> tuple:
    """The boundary pieces a list of selectors names, in order, each once."""
    faces: list = []
    for piece in pieces:
        for face in _piece(low, piece):
            if face not in faces:
                faces.append(face)
    return tuple(faces)


def _piece(low, piece: ast.Piece) -> tuple:
    if low.shape is not None:
        return _shaped_piece(low, piece)
    name = piece.name.name
    dim = len(low.space)
    if piece.value is None:
        if name in BOUNDARY_ALL:
            return tuple(f for f in box_faces(dim) if f.axis not in low.periodic)
        if name in low.boundaries:
            return low.boundaries[name]
        if name in low.shapes:
            raise MpError(
                f"'{name}' is a shape, but the domain is a box",
                piece.span,
                f"select by shape on a domain built from shapes: 'domain (x, y) in ... - {name}'",
            )
        if name in FACE_NAMES:
            try:
                face = face_by_name(dim, name)
            except ValueError as exc:
                raise MpError(str(exc), piece.span) from None
            if face.axis in low.periodic:
                axis_name = low.space[face.axis].name
                raise MpError(
                    f"'{name}' lies on the periodic direction {axis_name}: it is not a boundary",
                    piece.span,
                    f"'periodic {axis_name}' already ties the two ends together",
                )
            return (face,)
        known = list(low.boundaries) + [n for n, (a, _) in FACE_NAMES.items() if a < dim] + ["all"]
        raise MpError(
            f"unknown boundary '{name}'",
            piece.span,
            did_you_mean(name, known) or f"known boundaries: {', '.join(known)}",
        )
    axis, value, v = _coordinate(low, piece)
    lo, hi = (to_float(b, low.param_values()) for b in low.bounds[axis])
    for side, (sym_b, num_b) in enumerate(zip(low.bounds[axis], (lo, hi))):
        if value == sym_b or math.isclose(v, num_b, rel_tol=1e-12, abs_tol=1e-12):
            return (Face(axis, side),)
    raise MpError(
        f"selector '{name} = {v:g}' matches no boundary",
        piece.span,
        f"the boundary pieces on this axis are {name} = {lo:g} and {name} = {hi:g}",
    )


def _coordinate(low, piece: ast.Piece) -> tuple:
    """``x = value`` → ``(axis, value as sympy, value as float)``."""
    name = piece.name.name
    coord_names = [s.name for s in low.space]
    if low.time is not None and name == low.time.name:
        raise MpError(
            f"'{name} = ...' is the time axis, not a boundary",
            piece.span,
            "initial conditions go in an 'ic' statement",
        )
    if name not in coord_names:
        raise MpError(
            f"'{name}' is not a spatial coordinate",
            piece.name.span,
            did_you_mean(name, coord_names) or f"coordinates: {', '.join(coord_names)}",
        )
    axis = coord_names.index(name)
    value = low.scalar(low.expr(piece.value, PARAM_SCOPE), piece.value)
    vals = low.param_values()
    try:
        v = to_float(value, vals)
    except ValueError as exc:
        raise MpError(f"selector value is not a finite number: {exc}", piece.value.span) from None
    if axis in low.periodic:
        raise MpError(
            f"'{name} = {v:g}' lies on the periodic direction {name}: it is not a boundary",
            piece.span,
            f"'periodic {name}' already ties the two ends together",
        )
    return axis, value, v


def _shaped_piece(low, piece: ast.Piece) -> tuple:
    """A selector on a domain built from shapes: a declared shape, a coordinate plane
    ``x = c`` (the boundary points on it), a named boundary, a box side name (the plane of
    the bounding box's side) or ``all``; a piece with no length/area is refused."""
    name = piece.name.name
    if piece.value is not None:
        axis, value, _ = _coordinate(low, piece)
        return (_nonempty(low, CoordPiece(axis, value), piece),)
    if name in BOUNDARY_ALL:
        return (WholeBoundary(),)
    if name in low.boundaries:
        return low.boundaries[name]
    if name in low.shapes:
        if name not in low.shape.named():
            raise MpError(
                f"shape '{name}' is not part of the domain",
                piece.span,
                "a condition 'on SHAPE' holds where the domain's boundary lies on that "
                "shape; use the shape in the domain statement",
            )
        return (_nonempty(low, ShapePiece(name), piece),)
    if name in FACE_NAMES:
        try:
            face = face_by_name(len(low.space), name)
        except ValueError as exc:
            raise MpError(str(exc), piece.span) from None
        value = low.bounds[face.axis][face.side]
        return (_nonempty(low, CoordPiece(face.axis, value), piece),)
    known = list(low.boundaries) + list(low.shape.named()) + ["all"]
    raise MpError(
        f"unknown boundary '{name}'",
        piece.span,
        did_you_mean(name, known) or f"known boundaries: {', '.join(known)}",
    )


def _nonempty(low, part, piece: ast.Piece):
    from ..shapes import build

    solid = build(low.shape, low.param_values())
    if solid.boundary_measure(part) <= 0.0:
        text = low.text(piece.span) or piece.name.name
        raise MpError(
            f"selector '{text}' matches nothing: no part of the domain's boundary lies there",
            piece.span,
            "a coordinate selector needs a straight edge (a face in 3D) on that line, "
            "a shape selector a shape whose boundary is part of the domain's",
        )
    return part
