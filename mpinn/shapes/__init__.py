"""Exact numeric geometry of shaped domains (constructive solid geometry), numpy only.

The plain-data shape tree of :mod:`mpinn.ir.shapes` (``disk``, ``rect``, ``polygon``, ...
combined by union, difference and intersection, declared names) becomes a :class:`Solid`
at given parameter values. The lowering uses it for diagnostics (a selector that matches
nothing has measure 0), the plots for outlines, and :mod:`mpinn.geometry` (the torch
side, ``ShapeDomain``) for sampling and quadrature. No torch, no matplotlib here.

API
---
``build(tree, values) -> Solid``
    Floats from the sympy arguments; :class:`ShapeError` (a ValueError, one-line message)
    for bad arguments: non-positive sizes, unordered rect/box corners, polygons with fewer
    than 3 vertices, zero area or crossing edges, points of the wrong dimension, shapes of
    different dimensions combined, an empty intersection.
``Solid`` (every primitive, combination and named sub-solid)
    ``dim``; ``bbox() -> (lo, hi)``; ``sdf(p [n, dim]) -> [n]`` (negative inside; exact for
    primitives, min/max/negation for combinations, exact zero set); ``contains(p, tol=0)``
    (closed: ``sdf <= tol``); ``normal(p)``; ``named() -> {name: Solid}``; ``leaves()``;
    ``volume()`` (exact for a primitive; else the divergence theorem on the boundary in
    1D/2D, exact to rounding, and a fine deterministic line rule in 3D, ~5e-5);
    ``boundary_measure(pieces)``; ``sample_boundary(pieces, n, rng, method="uniform") ->
    (points, normals)``; ``sample_interior(n, rng, method="uniform"|"sobol", clusters=())``
    (``clusters``: ``(targets, fraction, width)`` with targets boundary pieces or Planes);
    ``quadrature(region=None, n=4096) -> (points, weights, normals or None)`` with region
    None (the solid), boundary pieces or a ``Section``; ``outline(n) -> [(k, 2) arrays]``
    (2D); ``resolve(value)`` (a sympy parameter expression -> float, with the build's
    ``values``); ``scale`` and ``tol = 1e-9 * scale``.

Conventions
-----------
* Points are float64 ``[n, dim]`` arrays; ``rng`` is a ``numpy.random.Generator``.
* Boundary pieces are those of :mod:`mpinn.ir.regions`: ``WholeBoundary()``,
  ``ShapePiece(name)`` (boundary points with ``|sdf_name| <= tol``), ``CoordPiece(axis,
  value)`` (the patches lying in the plane ``x[axis] = value``) and ``Face(axis, side)``
  (the bounding box's lo/hi plane); a tuple of pieces is their union, each point once.
* Every primitive's boundary is a list of patches (:mod:`.patches`); a patch point belongs
  to the solid's boundary by the CSG rules (:mod:`.boundary`), normals are outward of the
  solid (a hole's point towards the hole's centre).
* Sampling on the boundary is uniform by measure with no corner bias: counts split over
  the patches in proportion to their selected measure, exact inverse maps on curves,
  rejection on surfaces. Inside: rejection from the bounding box.
* A new kind of primitive is one entry of :data:`mpinn.ir.shapes.PRIMITIVES` and one class
  in :data:`mpinn.shapes.primitives.PRIMITIVE_TYPES` (docs/architecture.md).
"""

from .csg import Combined, NamedSolid, build
from .primitives import PRIMITIVE_TYPES, Primitive
from .solid import ShapeError, Solid

__all__ = [
    "PRIMITIVE_TYPES",
    "Combined",
    "NamedSolid",
    "Primitive",
    "ShapeError",
    "Solid",
    "build",
]
