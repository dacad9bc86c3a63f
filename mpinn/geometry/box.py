"""Axis-aligned boxes: the first :class:`~mpinn.geometry.domain.Domain`.

* Boundary pieces are box faces, ``Face(axis, side)`` with side 0 = lo end, 1 = hi end.
  Built-in names: ``left/right`` (axis 0), ``bottom/top`` (axis 1), ``back/front`` (axis 2).
* ``method="sobol"`` uses a scrambled ``torch.quasirandom.SobolEngine`` seeded from the
  generator; it covers the domain more evenly than ``"uniform"``. Power-of-two counts
  keep its balance properties exact.
* Arithmetic is done in float64 and cast to ``dtype`` (default float32) at the end, so
  face coordinates are exactly the face value in any dtype.

Functions (the same as the methods of :class:`Box`)
---------------------------------------------------
``sample_interior(box, n, *, seed_or_generator, method, clusters, dtype)``
    ``[n, ndim]`` points in the box (time uniform in ``[t0, t1]``).
``sample_faces(box, faces, n, *, seed_or_generator, method, clusters, dtype)``
    ``(points [n, ndim], normals [n, dim])``; n is split over the faces in proportion
    to face measure (largest remainder, every face gets >= 1 point).
``sample_initial(box, n, *, seed_or_generator, method, clusters, dtype)``
    ``[n, ndim]`` points at ``t = t0``.
``eval_grid(box, n_per_axis, *, n_time=None, dtype)``
    ``(points [N, ndim], shape, axes)``; tensor-product grid including the boundary;
    ``points.reshape(*shape, ndim)`` recovers the grid (``"ij"`` indexing).

Clustering
----------
``Cluster(faces, fraction, width)`` places ``fraction`` of the points near ``faces``
(e.g. Debye layers at electrodes): a face is chosen uniformly, the distance from it is
a truncated exponential with scale ``width`` on ``[0, extent]``, other coordinates are
uniform. On ``sample_faces`` a cluster acts along the face, using only its faces that
are perpendicular to the sampled face (e.g. an inlet clustered towards the walls);
clusters with no such face are ignored there and their share is sampled uniformly.
A cluster may also target a ``Plane(axis, value)`` inside the box (an interface, the edge
of a wall patch): the points then have density ~ exp(-|x_axis - value|/width) on both
sides, truncated at the box. Shape pieces (``ShapePiece``, ``CoordPiece``, ...) need a
:class:`~mpinn.geometry.csg.ShapeDomain`: a box refuses them (ValueError).

Periodic axes
-------------
``Box(..., periodic=(0,))`` marks axes whose two ends are tied together (``periodic x``):
their faces are no boundary. ``boundary_pieces()`` leaves them out and sampling them
raises ValueError.

Quadrature
----------
``box.quadrature(region, n, dtype, values=None)``: composite Gauss–Legendre tensor rules
(:mod:`mpinn.geometry.grids`) over the box (region None), faces (a tuple of ``Face``, or
``WholeBoundary()``) with outward normals, or a ``Section(axis, value)`` (a symbolic value
is resolved with ``values`` or the parameter values ``domain_of`` stored in the box);
``(points [m, ndim], weights [m], normals [m, dim] or None)``, time column = t1.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field, replace

import numpy as np
import torch

from ..ir import regions
from ..ir.numeric import to_float
from ..ir.regions import BoundaryPiece, Face, Plane
from ..shapes import build
from .csg import ShapeDomain
from .domain import Domain
from .grids import bbox_grid, box_quadrature, pack_rule
from .sampling import (
    Cluster,
    check_request,
    generator,
    proportional_counts,
    split_counts,
    truncated_exponential,
    two_sided,
    unit,
)


@dataclass(frozen=True)
class Box(Domain):
    """Axis-aligned box ``prod [lo_i, hi_i]``, optionally times ``[t0, t1]``."""

    names: tuple[str, ...]
    lo: tuple[float, ...]
    hi: tuple[float, ...]
    time: tuple[str, float, float] | None = None
    periodic: tuple[int, ...] = ()  # axes whose two ends are tied (no boundary there)
    #: parameter values (resolve a symbolic ``Section`` value); not part of equality
    values: dict | None = field(default=None, compare=False, repr=False)

    def __post_init__(self) -> None:
        if isinstance(self.names, str):
            raise TypeError("names must be a sequence of names, e.g. ('x', 'y'), not a string")
        # Normalise lists/ints so equality and hashing behave as for plain tuples.
        object.__setattr__(self, "names", tuple(str(s) for s in self.names))
        object.__setattr__(self, "lo", tuple(float(v) for v in self.lo))
        object.__setattr__(self, "hi", tuple(float(v) for v in self.hi))
        d = len(self.names)
        if not 1 <= d <= 3:
            raise ValueError(f"a box needs 1 to 3 spatial coordinates, got {d}")
        if len(self.lo) != d or len(self.hi) != d:
            raise ValueError(
                f"names, lo and hi must have equal length, got {d}, {len(self.lo)}, {len(self.hi)}"
            )
        if len(set(self.names)) != d or "" in self.names:
            raise ValueError(f"coordinate names must be distinct and non-empty: {self.names}")
        for name, a, b in zip(self.names, self.lo, self.hi):
            if not (math.isfinite(a) and math.isfinite(b) and a < b):
                raise ValueError(f"need finite lo < hi on axis {name!r}, got [{a}, {b}]")
        if self.time is not None:
            if len(self.time) != 3:
                raise ValueError("time must be (name, t0, t1)")
            tname, t0, t1 = str(self.time[0]), float(self.time[1]), float(self.time[2])
            if not tname or tname in self.names:
                raise ValueError(
                    f"time name {tname!r} must be non-empty and differ from the spatial names"
                )
            if not (math.isfinite(t0) and math.isfinite(t1) and t0 < t1):
                raise ValueError(f"need finite t0 < t1, got [{t0}, {t1}]")
            object.__setattr__(self, "time", (tname, t0, t1))
        periodic = tuple(self.periodic)
        if any(isinstance(a, bool) or not isinstance(a, (int, np.integer)) for a in periodic):
            raise ValueError(f"periodic axes must be axis indices, got {self.periodic!r}")
        if any(not 0 <= a < d for a in periodic):
            raise ValueError(f"periodic axes must be in 0..{d - 1}, got {self.periodic!r}")
        object.__setattr__(self, "periodic", tuple(sorted({int(a) for a in periodic})))

    @property
    def volume(self) -> float:
        """Spatial measure (time excluded)."""
        return math.prod(b - a for a, b in zip(self.lo, self.hi))

    @property
    def extents(self) -> tuple[float, ...]:
        """Side lengths of the spatial box."""
        return tuple(b - a for a, b in zip(self.lo, self.hi))

    def _bounds(self) -> tuple[torch.Tensor, torch.Tensor]:
        """float64 lower/upper bounds of every column (time included)."""
        lo, hi = list(self.lo), list(self.hi)
        if self.time is not None:
            lo.append(self.time[1])
            hi.append(self.time[2])
        return torch.tensor(lo, dtype=torch.float64), torch.tensor(hi, dtype=torch.float64)

    # ---- the Domain interface
    def bounding_box(self) -> tuple:
        return self.lo, self.hi

    def boundary_pieces(self) -> tuple:
        """Every face except those of periodic axes."""
        return tuple(f for f in all_faces(self) if f.axis not in self.periodic)

    def piece_measure(self, piece) -> float:
        return piece.measure(self)

    def contains(self, points, tol: float = 0.0):
        x = points[:, : self.dim].to(torch.float64)
        lo = torch.tensor(self.lo, dtype=torch.float64, device=x.device)
        hi = torch.tensor(self.hi, dtype=torch.float64, device=x.device)
        return ((x >= lo - tol) & (x <= hi + tol)).all(dim=1)

    def distance(self, points, pieces=None):
        pieces = self.boundary_pieces() if pieces is None else tuple(pieces)
        x = points[:, : self.dim].to(torch.float64)
        if not pieces:  # every axis periodic: no boundary at all
            return torch.full((x.shape[0],), math.inf, dtype=torch.float64, device=x.device)
        dists = [(x[:, f.axis] - f.value(self)).abs() for f in pieces]
        return torch.stack(dists, dim=1).amin(dim=1)

    def normals(self, points, piece):
        piece.check(self)
        n = torch.tensor(piece.normal(self.dim), dtype=points.dtype, device=points.device)
        return n.expand(points.shape[0], self.dim)

    def sample_interior(
        self, n, *, seed_or_generator, method="uniform", clusters=(), dtype=torch.float32
    ):
        return sample_interior(
            self,
            n,
            seed_or_generator=seed_or_generator,
            method=method,
            clusters=clusters,
            dtype=dtype,
        )

    def boundary_is_fixed(self, pieces) -> bool:
        """Without a time column a 1D box's faces are its end points: every batch on them
        is the same whatever the seed (the face coordinate is set exactly)."""
        return self.ndim == 1

    def sample_boundary(
        self, pieces, n, *, seed_or_generator, method="uniform", clusters=(), dtype=torch.float32
    ):
        return sample_faces(
            self,
            pieces,
            n,
            seed_or_generator=seed_or_generator,
            method=method,
            clusters=clusters,
            dtype=dtype,
        )

    def sample_initial(
        self, n, *, seed_or_generator, method="uniform", clusters=(), dtype=torch.float32
    ):
        return sample_initial(
            self,
            n,
            seed_or_generator=seed_or_generator,
            method=method,
            clusters=clusters,
            dtype=dtype,
        )

    def eval_grid(self, n_per_axis, *, n_time=None, dtype=torch.float32):
        return eval_grid(self, n_per_axis, n_time=n_time, dtype=dtype)

    def quadrature(self, region=None, n: int = 4096, dtype=torch.float32, values=None):
        """``(points [m, ndim], weights [m], normals [m, dim] or None)``: Gauss–Legendre
        tensor rules over the box (None), faces or a ``Section`` (a sympy value is resolved
        with ``values``, default the box's own from ``domain_of``); the time column is t1."""
        values = self.values if values is None else values
        return pack_rule(self, box_quadrature(self, region, n, values), dtype)

    def check_target(self, target) -> None:
        """Raise ValueError unless ``target`` can be clustered at (a Face or Plane)."""
        if not isinstance(target, (Face, Plane)):
            raise ValueError(
                f"a box clusters points at faces or planes, not at {target!r} "
                "(shape pieces need a domain built from shapes)"
            )
        target.check(self)


def domain_of(problem, values: dict | None = None) -> Domain:
    """The numeric domain of a :class:`~mpinn.ir.Problem` at the given parameter values:
    a :class:`~mpinn.geometry.csg.ShapeDomain` when the problem has a shape, else a
    :class:`Box` (with the problem's periodic axes)."""
    values = problem.param_values() if values is None else values
    names = tuple(s.name for s in problem.space)
    periodic = tuple(getattr(problem, "periodic", ()) or ())  # old pickles lack the field
    shape = getattr(problem, "shape", None)
    if shape is None:
        lo, hi, time = problem.extent(values)
        return Box(names, lo, hi, time, periodic=periodic, values=dict(values))
    if periodic:
        raise ValueError("periodic directions need a box domain, not one built from shapes")
    time = None
    if problem.time is not None:
        t0, t1 = (to_float(v, values) for v in problem.time_bounds)
        time = (problem.time.name, t0, t1)
    return ShapeDomain(names, build(shape, values), time)


def all_faces(box: Box) -> tuple[Face, ...]:
    """All 2*dim faces, ordered by axis then side (lo first)."""
    return regions.box_faces(box.dim)


def face_by_name(box: Box, name: str) -> Face:
    """Face for a built-in name (left/right, bottom/top, back/front)."""
    return regions.face_by_name(box.dim, name)


# --------------------------------------------------------------------------- sampling
def _points(
    box: Box, n: int, clusters: Sequence[Cluster], method: str, gen: torch.Generator
) -> torch.Tensor:
    """float64 ``[n, ndim]`` points in the box (time included), clustered as requested."""
    lo, hi = box._bounds()
    d = box.ndim
    counts = split_counts(n, [c.fraction for c in clusters])
    parts = [lo + (hi - lo) * unit(n - sum(counts), d, method, gen)]
    for cluster, m in zip(clusters, counts):
        if m == 0:
            continue
        # One extra column picks the face, so sobol stays balanced over the choice too.
        u = unit(m, d + 1, method, gen)
        x = lo + (hi - lo) * u[:, :d]
        k = len(cluster.faces)
        pick = torch.clamp((u[:, d] * k).long(), max=k - 1)
        for j, face in enumerate(cluster.faces):
            rows = pick == j
            a = face.axis
            if isinstance(face, Plane):
                x[rows, a] = two_sided(
                    u[rows, a],
                    u[rows, d] * k - j,
                    face.value,
                    cluster.width,
                    float(lo[a]),
                    float(hi[a]),
                )
                continue
            dist = truncated_exponential(u[rows, a], cluster.width, box.extents[a])
            x[rows, a] = hi[a] - dist if face.side else lo[a] + dist
        parts.append(x)
    out = torch.cat(parts)
    if len(parts) > 1:  # do not leave the clustered points as a contiguous block
        out = out[torch.randperm(n, generator=gen)]
    return out


def sample_interior(
    box: Box,
    n: int,
    *,
    seed_or_generator,
    method: str = "uniform",
    clusters: Sequence[Cluster] = (),
    dtype: torch.dtype = torch.float32,
) -> torch.Tensor:
    """``[n, ndim]`` collocation points in the box; time uniform in [t0, t1]."""
    clusters = check_request(box, n, method, clusters)
    return _points(box, n, clusters, method, generator(seed_or_generator)).to(dtype)


def sample_faces(
    box: Box,
    faces: Face | Sequence[Face],
    n: int,
    *,
    seed_or_generator,
    method: str = "uniform",
    clusters: Sequence[Cluster] = (),
    dtype: torch.dtype = torch.float32,
) -> tuple[torch.Tensor, torch.Tensor]:
    """Points on ``faces`` ``[n, ndim]`` and their outward unit normals ``[n, dim]``.

    Points are split over the faces in proportion to face measure (deterministically,
    which removes the variance of a random split); each face gets at least one point.
    The face coordinate is set exactly to the face value.
    """
    clusters = check_request(box, n, method, clusters)
    faces = (faces,) if isinstance(faces, BoundaryPiece) else tuple(faces)
    if not faces:
        raise ValueError("no faces given")
    for f in faces:
        if not isinstance(f, Face):
            raise TypeError(f"expected Face objects, got {type(f).__name__}")
        f.check(box)
        if f.axis in getattr(box, "periodic", ()):
            raise ValueError(
                f"face {f.label(box)} is periodic ('periodic {box.names[f.axis]}'): "
                "it is not a boundary and has no points"
            )
    if len(set(faces)) != len(faces):
        raise ValueError(f"duplicate faces: {faces}")
    if n < len(faces):
        raise ValueError(f"need at least one point per face: n={n} < {len(faces)} faces")
    gen = generator(seed_or_generator)
    points, normals = [], []
    for face, m in zip(faces, proportional_counts([f.measure(box) for f in faces], n)):
        # Only cluster faces perpendicular to this face make sense along it.
        along = []
        for c in clusters:
            kept = tuple(f for f in c.faces if f.axis != face.axis)
            if kept:
                along.append(replace(c, faces=kept))
        x = _points(box, m, along, method, gen)
        x[:, face.axis] = face.value(box)
        points.append(x)
        normals.append(torch.tensor(face.normal(box.dim), dtype=torch.float64).expand(m, box.dim))
    return torch.cat(points).to(dtype), torch.cat(normals).to(dtype)


def sample_initial(
    box: Box,
    n: int,
    *,
    seed_or_generator,
    method: str = "uniform",
    clusters: Sequence[Cluster] = (),
    dtype: torch.dtype = torch.float32,
) -> torch.Tensor:
    """``[n, ndim]`` points in the spatial box with time set exactly to t0."""
    if isinstance(box, Box) and box.time is None:
        raise ValueError("sample_initial needs a box with a time interval")
    clusters = check_request(box, n, method, clusters)
    x = _points(box, n, clusters, method, generator(seed_or_generator))
    x[:, -1] = box.time[1]
    return x.to(dtype)


def eval_grid(
    box: Box,
    n_per_axis: int | Sequence[int],
    *,
    n_time: int | None = None,
    dtype: torch.dtype = torch.float32,
) -> tuple[torch.Tensor, tuple[int, ...], list[np.ndarray]]:
    """Tensor-product grid including the boundary, for plots and L2 errors.

    ``n_per_axis`` is one count for every column (time included) or one count per
    column; ``n_time`` overrides the time count. Returns ``(points [N, ndim], shape,
    axes)`` with "ij" ordering, so ``values.reshape(shape)`` lines up with ``axes``.
    """
    if not isinstance(box, Box):
        raise TypeError(f"expected a Box, got {type(box).__name__}")
    return bbox_grid(box, n_per_axis, n_time, dtype)
