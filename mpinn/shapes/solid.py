"""The :class:`Solid` base class: what every primitive and every combination answers.

A subclass defines ``dim``, ``sdf``, ``bbox``, ``leaves`` and ``named``; everything else
(sampling, measures, quadrature, outlines) is generic and lives in
:mod:`mpinn.shapes.boundary` and :mod:`mpinn.shapes.interior`.
"""

from __future__ import annotations

import math
import numbers

import numpy as np

from ..ir.numeric import to_float
from . import boundary, interior


class ShapeError(ValueError):
    """A shape that cannot be built (bad arguments); the message is one line."""


class Solid:
    """A closed region of R^dim (1 <= dim <= 3) given by a signed distance.

    ``values`` are the parameter values the solid was built with; they resolve the sympy
    values of :class:`~mpinn.ir.regions.CoordPiece` and :class:`~mpinn.ir.regions.Section`.
    Derived data (boundary plans, the volume) is cached on the instance: a solid is
    immutable once built.
    """

    dim: int
    values: dict

    # ---- defined by subclasses
    def sdf(self, p: np.ndarray) -> np.ndarray:
        """``[n]`` signed distance of the points ``p [n, dim]`` (negative inside). Exact for
        primitives (the ellipse's to ~1e-15); min/max/negation for combinations, whose zero
        set is exact."""
        raise NotImplementedError

    def bbox(self) -> tuple:
        """``(lo, hi)`` tuples of floats (tight for primitives and unions)."""
        raise NotImplementedError

    def leaves(self) -> list:
        """The primitives of the tree, left to right (one entry per occurrence)."""
        raise NotImplementedError

    def named(self) -> dict:
        """``{name: Solid}`` of the named sub-solids (the ``shape NAME = ...`` nodes)."""
        raise NotImplementedError

    # ---- generic
    @property
    def cache(self) -> dict:
        if "_cache" not in self.__dict__:
            self.__dict__["_cache"] = {}
        return self.__dict__["_cache"]

    def __getstate__(self) -> dict:  # the cache holds closures: pickle without it
        return {k: v for k, v in self.__dict__.items() if k != "_cache"}

    @property
    def scale(self) -> float:
        """Length scale of the tolerances: the largest bbox extent or coordinate."""
        lo, hi = self.bbox()
        return max(max(abs(v) for v in lo + hi), max(b - a for a, b in zip(lo, hi)))

    @property
    def feature(self) -> float:
        """The smallest extent of any primitive's box: grids that look for the boundary
        use cells a few times finer than this."""
        if "feature" not in self.cache:
            sizes = [b - a for leaf in self.leaves() for a, b in zip(*leaf.bbox())]
            self.cache["feature"] = min(sizes)
        return self.cache["feature"]

    def cells(self, length: float, least: int, most: int = 1 << 16) -> int:
        """Grid cells for a search along ``length``: at least ``least``, and 8 per
        ``feature`` (capped at ``most``)."""
        return int(min(most, max(least, math.ceil(8 * length / self.feature))))

    @property
    def tol(self) -> float:
        """Tolerance of "on the boundary" tests: ``1e-9 * scale``."""
        return 1e-9 * self.scale

    def points(self, p) -> np.ndarray:
        """``p`` as a float64 ``[n, dim]`` array (checked)."""
        p = np.asarray(p, dtype=float)
        if p.ndim != 2 or p.shape[1] != self.dim:
            raise ValueError(f"expected points of shape [n, {self.dim}], got {p.shape}")
        return p

    def contains(self, p, tol: float = 0.0) -> np.ndarray:
        """``[n]`` bool: the points lie in the closed solid (``sdf <= tol``)."""
        return self.sdf(self.points(p)) <= tol

    def normal(self, p) -> np.ndarray:
        """``[n, dim]`` outward unit normals of the solid at boundary points: the gradient of
        the signed distance by central differences (undefined at corners)."""
        p = self.points(p)
        h = 1e-6 * self.scale
        g = np.empty_like(p)
        for a in range(self.dim):
            e = np.zeros(self.dim)
            e[a] = h
            g[:, a] = self.sdf(p + e) - self.sdf(p - e)
        norm = np.linalg.norm(g, axis=1, keepdims=True)
        return g / np.where(norm > 0, norm, 1.0)

    def resolve(self, value) -> float:
        """A float from a number or a sympy expression of the parameters (``values``)."""
        if isinstance(value, numbers.Real):
            out = float(value)
        else:
            out = to_float(value, self.values)
        if not math.isfinite(out):
            raise ValueError(f"{value} is not finite")
        return out

    def volume(self) -> float:
        """Area (2D), volume (3D) or length (1D): exact for a primitive; else by the
        divergence theorem on the boundary in 1D/2D (exact to rounding) and a fine
        deterministic line quadrature in 3D (relative accuracy ~5e-5)."""
        if "volume" not in self.cache:
            self.cache["volume"] = interior.volume(self)
        return self.cache["volume"]

    def boundary_measure(self, pieces) -> float:
        """Length/area of the part of the boundary selected by ``pieces`` (one piece or a
        tuple, their union); 0 when the selector matches nothing. 1D: number of end
        points."""
        return boundary.measure(self, pieces)

    def sample_boundary(self, pieces, n: int, rng: np.random.Generator, method="uniform"):
        """``(points [n, dim], outward normals [n, dim])`` uniform in boundary measure over
        the union of ``pieces`` (split over the patches in proportion to their measure)."""
        return boundary.sample(self, pieces, n, rng, method)

    def sample_interior(
        self, n: int, rng: np.random.Generator, method: str = "uniform", clusters=()
    ) -> np.ndarray:
        """``[n, dim]`` points uniform in the solid (rejection from the bounding box;
        ``method="sobol"``: scrambled Sobol' candidates). ``clusters``: ``(targets,
        fraction, width)`` triples, see :func:`mpinn.shapes.interior.sample`."""
        return interior.sample(self, n, rng, method, clusters)

    def quadrature(self, region=None, n: int = 4096):
        """``(points, weights, normals or None)`` for integrals over ``region``: None (the
        solid), one or more boundary pieces (normals outward) or a
        :class:`~mpinn.ir.regions.Section`. About ``n`` points."""
        if region is None:
            return (*interior.domain_rule(self, n), None)
        if interior.is_section(region):
            return (*interior.section_rule(self, region, n), None)
        return boundary.quadrature(self, region, n)

    def outline(self, n: int = 400) -> list:
        """2D only: the boundary as a list of ``(k, 2)`` polylines (about n points)."""
        return boundary.outline(self, n)
