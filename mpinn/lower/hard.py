"""Hard Dirichlet conditions: ``bc wall on hole: u = g hard``.

Instead of a loss term, the field's output becomes ``u = g + phi * net`` where ``phi`` is
a smooth function that vanishes (to first order) exactly on the condition's pieces and is
positive inside the domain: the product of one approximate distance function per piece
(a box face or coordinate plane: the scaled distance to it; a disk, ellipse or ball: the
scaled ``(r^2 - R^2)``), with the sign chosen so it is positive in the domain. ``g`` is
taken everywhere from the condition's right-hand side, so it must be a formula of the
coordinates and parameters (``exact`` is one). A field's own output transform ``T``
shapes the correction: ``u = g + phi * T(net)``. Every hard condition of a field must give
the same ``g``; pieces of other kinds (polygons, combined shapes, a whole curved
boundary) are refused with a hint to make the condition soft.
"""

from __future__ import annotations

import sympy as sp

from ..ir import NET, CoordPiece, Face, ShapePiece, to_float
from ..ir.shapes import Named, Primitive
from ..lang.diagnostics import MpError

ROUND = ("disk", "ellipse", "ball")


def condition(low, cond, region, sides) -> None:
    """Record ``u = g hard`` on ``region`` (checked: one Dirichlet value of one field)."""
    if len(sides) != 1:
        raise MpError("a hard condition is one scalar 'u = g'", cond.span)
    _, lhs, rhs = sides[0]
    fields = low.fields_in(lhs)
    if len(fields) != 1 or lhs != low.func(fields[0]):
        raise MpError(
            "only a value 'u = g' can be hard",
            cond.span,
            "derivative (Neumann, Robin) conditions stay soft: drop 'hard'",
        )
    bad = (
        rhs.atoms(sp.Derivative)
        or low.fields_in(rhs)
        or (rhs.free_symbols & set(_normal_symbols(low)))
    )
    if bad:
        raise MpError(
            "the value of a hard condition must be a formula of the coordinates and parameters",
            cond.rhs.span,
            "it is used inside the domain too (u = g + phi*net); make this condition soft",
        )
    low.hard.setdefault(fields[0], []).append((region, rhs, cond.span))


def _normal_symbols(low):
    return [sp.Symbol(f"_n_{s.name}", real=True) for s in low.space]


def outputs(low) -> None:
    for field, items in low.hard.items():
        _, g, span = items[0]
        for _, other, other_span in items[1:]:
            if sp.expand(other - g) != 0:
                raise MpError(
                    f"the hard conditions of '{field}' give different values",
                    other_span,
                    "one field's hard conditions must share one formula (e.g. 'exact'); "
                    "make the others soft",
                )
        phi = sp.Integer(1)
        for pieces, _, piece_span in items:
            for piece in pieces:
                phi *= _distance(low, piece, piece_span)
        # an output transform of the field's own (`output psi = Q*net`) is kept: it shapes
        # the correction, u = g + phi * transform(net)
        low.outputs[field] = g + phi * low.outputs.get(field, NET)
        low.output_spans.setdefault(field, span)


def _distance(low, piece, span):
    x = low.space
    values = low.param_values()
    if isinstance(piece, Face):
        lo, hi = low.bounds[piece.axis]
        d = (x[piece.axis] - lo) if piece.side == 0 else (hi - x[piece.axis])
        return d / (hi - lo)
    if isinstance(piece, CoordPiece):
        lo, hi = low.bounds[piece.axis]
        return _positive_inside(low, (x[piece.axis] - piece.value) / (hi - lo), span)
    if isinstance(piece, ShapePiece):
        node = low.shapes[piece.name]
        prim = node.shape if isinstance(node, Named) else node
        if isinstance(prim, Primitive) and prim.kind in ROUND:
            return _positive_inside(low, _round(prim, x, values), span)
    raise MpError(
        "a hard condition here needs a distance function mpinn does not have",
        span,
        "hard conditions work on box faces, coordinate planes and disk, ellipse or ball "
        "shapes; drop 'hard' for this one",
    )


def _round(prim: Primitive, x, values):
    centre = prim.args[0]
    if prim.kind == "ellipse":
        a, b = prim.args[1], prim.args[2]
        q = ((x[0] - centre[0]) / a) ** 2 + ((x[1] - centre[1]) / b) ** 2
        return (1 - q) * sp.Float(min(to_float(a, values), to_float(b, values))) / 2
    r = prim.args[1]
    q = sum((xi - ci) ** 2 for xi, ci in zip(x, centre))
    return (r**2 - q) / (2 * r)


def _positive_inside(low, phi, span):
    """``phi`` or ``-phi``, whichever is positive at points inside the domain."""
    import numpy as np

    from ..shapes import build

    values = low.param_values()
    if low.shape is None:
        lo = [to_float(a, values) for a, _ in low.bounds]
        hi = [to_float(b, values) for _, b in low.bounds]
        pts = np.random.default_rng(0).uniform(lo, hi, size=(64, len(lo)))
    else:
        pts = build(low.shape, values).sample_interior(64, np.random.default_rng(0))
    at = phi.xreplace({sp.Symbol(k, real=True): sp.Float(v) for k, v in values.items()})
    mean = float(np.mean([float(at.xreplace(dict(zip(low.space, map(sp.Float, p))))) for p in pts]))
    if mean == 0.0:
        raise MpError("the hard condition's piece cuts through the domain", span)
    return phi if mean > 0 else -phi
