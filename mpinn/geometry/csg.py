"""Domains built from shapes: :class:`ShapeDomain`, the torch face of a
:class:`mpinn.shapes.Solid` (optionally times a time interval).

* Boundary pieces: ``WholeBoundary()``, ``ShapePiece(name)`` (where the boundary lies on
  the declared shape ``name``), ``CoordPiece(axis, value)`` (the straight edges/faces of
  the boundary in the plane ``x[axis] = value``; a sympy value is resolved with the
  parameter values the solid was built with) and ``Face(axis, side)`` (the plane of the
  bounding box's side). A tuple of pieces means their union.
* Randomness: ``seed_or_generator`` is an int or a ``torch.Generator``; a numpy Generator
  is derived from it deterministically (from a generator: one draw of it, so successive
  calls with one generator differ). Arithmetic is float64, cast to ``dtype`` at the end.
* Time (if any) is the last column, uniform in ``[t0, t1]`` for interior and boundary
  points, exactly t0 for ``sample_initial`` and t1 for ``quadrature``.
* ``method="sobol"`` draws the spatial candidates of the interior rejection from a
  scrambled Sobol' sequence (and the curve parameters of boundary points).
* Clusters (:class:`~mpinn.geometry.sampling.Cluster`) may target any boundary piece or a
  ``Plane``: interior points within ~``width`` of the piece (a step along the inward
  normal of a uniform boundary point, exponential in length) or of the plane (two-sided
  exponential). On ``sample_boundary`` clusters are ignored: boundary points are uniform.
* ``eval_grid`` is the tensor grid of the bounding box, exactly as for a box (points
  outside the domain included: mask them with ``contains``).
* ``distance(points, pieces)`` is a distance-like function: ``|sdf|`` of the domain for
  the whole boundary, and ``max(|sdf of the domain|, |sdf of the shape|)`` (or ``|x_axis -
  value|`` for a coordinate piece) for a piece, so it vanishes exactly on the piece.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import torch

from ..ir.regions import BoundaryPiece, CoordPiece, Face, Plane, ShapePiece, WholeBoundary
from ..shapes import Solid
from .domain import Domain
from .grids import bbox_grid, pack_rule
from .sampling import check_request


def numpy_rng(seed_or_generator) -> np.random.Generator:
    """A numpy Generator from an int seed or (one draw of) a ``torch.Generator``."""
    if isinstance(seed_or_generator, torch.Generator):
        seed = int(torch.randint(0, 2**62, (1,), generator=seed_or_generator))
        return np.random.default_rng(seed)
    if isinstance(seed_or_generator, (bool, float)) or not isinstance(
        seed_or_generator, (int, np.integer)
    ):
        raise TypeError(
            f"seed_or_generator must be an int or torch.Generator, got {seed_or_generator!r}"
        )
    return np.random.default_rng(int(seed_or_generator))


def _np(points) -> np.ndarray:
    return points.detach().to("cpu", torch.float64).numpy()


@dataclass(frozen=True, eq=False)
class ShapeDomain(Domain):
    """The region of ``solid`` with coordinate ``names``, optionally times ``[t0, t1]``."""

    names: tuple[str, ...]
    solid: Solid
    time: tuple[str, float, float] | None = None

    def __post_init__(self) -> None:
        if isinstance(self.names, str):
            raise TypeError("names must be a sequence of names, e.g. ('x', 'y'), not a string")
        object.__setattr__(self, "names", tuple(str(s) for s in self.names))
        if len(self.names) != self.solid.dim:
            raise ValueError(
                f"{len(self.names)} coordinate names for a {self.solid.dim}D shape: {self.names}"
            )
        if len(set(self.names)) != len(self.names) or "" in self.names:
            raise ValueError(f"coordinate names must be distinct and non-empty: {self.names}")
        if self.time is not None:
            tname, t0, t1 = str(self.time[0]), float(self.time[1]), float(self.time[2])
            if not tname or tname in self.names:
                raise ValueError(f"time name {tname!r} must be non-empty and new")
            if not (math.isfinite(t0) and math.isfinite(t1) and t0 < t1):
                raise ValueError(f"need finite t0 < t1, got [{t0}, {t1}]")
            object.__setattr__(self, "time", (tname, t0, t1))

    # ---- box-like read-only views (Face and Plane read lo, hi, extents)
    @property
    def lo(self) -> tuple:
        return self.solid.bbox()[0]

    @property
    def hi(self) -> tuple:
        return self.solid.bbox()[1]

    @property
    def extents(self) -> tuple:
        return tuple(b - a for a, b in zip(self.lo, self.hi))

    @property
    def volume(self) -> float:
        """Spatial measure (time excluded)."""
        return self.solid.volume()

    # ---- the Domain interface
    def bounding_box(self) -> tuple:
        return self.solid.bbox()

    def boundary_pieces(self) -> tuple:
        return (WholeBoundary(),)

    def piece_measure(self, piece) -> float:
        return self.solid.boundary_measure(piece)

    def contains(self, points, tol: float = 0.0):
        inside = self.solid.contains(_np(points[:, : self.dim]), tol)
        return torch.from_numpy(inside).to(points.device)

    def distance(self, points, pieces=None):
        x = _np(points[:, : self.dim])
        whole = np.abs(self.solid.sdf(x))
        if pieces is None:
            return torch.from_numpy(whole).to(points.device)
        pieces = (pieces,) if isinstance(pieces, BoundaryPiece) else tuple(pieces)
        named = self.solid.named()
        out = np.full(x.shape[0], np.inf)
        for p in pieces:
            if isinstance(p, WholeBoundary):
                d = whole
            elif isinstance(p, ShapePiece):
                if p.name not in named:
                    raise ValueError(f"unknown shape {p.name!r}; declared: {', '.join(named)}")
                d = np.maximum(whole, np.abs(named[p.name].sdf(x)))
            elif isinstance(p, (CoordPiece, Face)):
                d = np.maximum(whole, np.abs(x[:, p.axis] - self._plane_value(p)))
            else:
                raise TypeError(f"not a boundary piece of a shaped domain: {p!r}")
            out = np.minimum(out, d)
        return torch.from_numpy(out).to(points.device)

    def _plane_value(self, piece) -> float:
        if not 0 <= piece.axis < self.dim:
            raise ValueError(f"{piece!r}: axis {piece.axis} does not exist in {self.dim}D")
        if isinstance(piece, Face):
            return (self.hi if piece.side else self.lo)[piece.axis]
        return self.solid.resolve(piece.value)

    def normals(self, points, piece):
        self.solid.boundary_measure(piece)  # validates the piece (cached)
        n = self.solid.normal(_np(points[:, : self.dim]))
        return torch.from_numpy(n).to(points.device, points.dtype)

    def check_target(self, target) -> None:
        """Raise ValueError unless ``target`` can be clustered at (a piece with boundary
        measure, or a Plane through the bounding box)."""
        if isinstance(target, Plane):
            target.check(self)
        elif self.solid.boundary_measure(target) <= 0:
            raise ValueError(f"cluster target {target!r} matches no part of the boundary")

    def _with_time(self, x: np.ndarray, rng, t=None) -> np.ndarray:
        if self.time is None:
            return x
        _, t0, t1 = self.time
        col = np.full(x.shape[0], t) if t is not None else rng.uniform(t0, t1, x.shape[0])
        return np.concatenate([x, col[:, None]], axis=1)

    def _interior(self, n, seed_or_generator, method, clusters, t=None):
        clusters = check_request(self, n, method, clusters)
        rng = numpy_rng(seed_or_generator)
        spec = [(c.faces, c.fraction, c.width) for c in clusters]
        return self._with_time(self.solid.sample_interior(int(n), rng, method, spec), rng, t)

    def sample_interior(
        self, n, *, seed_or_generator, method="uniform", clusters=(), dtype=torch.float32
    ):
        return torch.from_numpy(self._interior(n, seed_or_generator, method, clusters)).to(dtype)

    def sample_boundary(
        self, pieces, n, *, seed_or_generator, method="uniform", clusters=(), dtype=torch.float32
    ):
        """Points uniform by measure on the union of ``pieces`` (clusters are ignored)."""
        check_request(self, n, method, clusters)
        rng = numpy_rng(seed_or_generator)
        x, normals = self.solid.sample_boundary(pieces, int(n), rng, method)
        x = self._with_time(x, rng)
        return torch.from_numpy(x).to(dtype), torch.from_numpy(normals).to(dtype)

    def sample_initial(
        self, n, *, seed_or_generator, method="uniform", clusters=(), dtype=torch.float32
    ):
        if self.time is None:
            raise ValueError("sample_initial needs a domain with a time interval")
        x = self._interior(n, seed_or_generator, method, clusters, t=self.time[1])
        return torch.from_numpy(x).to(dtype)

    def eval_grid(self, n_per_axis, *, n_time=None, dtype=torch.float32):
        return bbox_grid(self, n_per_axis, n_time, dtype)

    # ---- beyond the interface
    def quadrature(self, region=None, n: int = 4096, dtype=torch.float32, values=None):
        """``(points [m, ndim], weights [m], normals [m, dim] or None)`` for integrals over
        the domain (None), boundary pieces (normals outward) or a ``Section`` (symbolic
        values are resolved with the solid's parameter values; ``values`` is accepted for
        the Box signature and unused); the time column is t1. About ``n`` points in all.
        See :meth:`mpinn.shapes.Solid.quadrature`."""
        return pack_rule(self, self.solid.quadrature(region, n), dtype)

    def outline(self, n: int = 400) -> list:
        """2D: the boundary as a list of ``(k, 2)`` numpy polylines."""
        return self.solid.outline(n)
