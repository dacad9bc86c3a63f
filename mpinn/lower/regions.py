"""The regions pass: boundary selectors (``x = 0 or top``, a named ``boundary``, ``all``)
→ a tuple of boundary pieces of the IR (:mod:`mpinn.ir.regions`)."""

from __future__ import annotations

import math

from ..ir import FACE_NAMES, Face, box_faces, face_by_name, to_float
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
    name = piece.name.name
    dim = len(low.space)
    if piece.value is None:
        if name in BOUNDARY_ALL:
            return box_faces(dim)
        if name in low.boundaries:
            return low.boundaries[name]
        if name in FACE_NAMES:
            try:
                return (face_by_name(dim, name),)
            except ValueError as exc:
                raise MpError(str(exc), piece.span) from None
        known = list(low.boundaries) + [n for n, (a, _) in FACE_NAMES.items() if a < dim] + ["all"]
        raise MpError(
            f"unknown boundary '{name}'",
            piece.span,
            did_you_mean(name, known) or f"known boundaries: {', '.join(known)}",
        )
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
    lo, hi = (to_float(b, vals) for b in low.bounds[axis])
    for side, (sym_b, num_b) in enumerate(zip(low.bounds[axis], (lo, hi))):
        if value == sym_b or math.isclose(v, num_b, rel_tol=1e-12, abs_tol=1e-12):
            return (Face(axis, side),)
    raise MpError(
        f"selector '{name} = {v:g}' matches no boundary",
        piece.span,
        f"the boundary pieces on this axis are {name} = {lo:g} and {name} = {hi:g}",
    )
