"""Numeric geometry of box domains: faces, collocation sampling, evaluation grids.

The symbolic layer resolves parameters and hands plain numbers to this module, so
everything here is numbers, frozen dataclasses and pure functions.

Conventions
-----------
* A point set is a tensor ``[n, box.ndim]``: the spatial columns in the order of
  ``box.names``, then time (if the box has one) as the last column.
* Boundary pieces are box faces, ``Face(axis, side)`` with side 0 = lo end, 1 = hi end.
  Built-in names: ``left/right`` (axis 0), ``bottom/top`` (axis 1), ``back/front`` (axis 2).
* Randomness always comes from an explicit ``seed_or_generator`` (an int or a CPU
  ``torch.Generator``); there is no global RNG use. Pass one Generator to several
  calls when they must be independent, since equal int seeds give correlated draws.
* ``method="sobol"`` uses a scrambled ``torch.quasirandom.SobolEngine`` seeded from
  the generator; it covers the domain more evenly than ``"uniform"``. Power-of-two
  counts keep its balance properties exact.
* Arithmetic is done in float64 and cast to ``dtype`` (default float32) at the end,
  so face coordinates are exactly the face value in any dtype.

Functions
---------
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
sides, truncated at the box.

Sampler
-------
``Sampler(box, n_interior, n_boundary, n_initial, method, clusters, resample_every,
seed, dtype)`` bundles the sampling config of a training run:

* ``sampler.interior(step)`` -> ``[n_interior, ndim]``
* ``sampler.faces(faces, n, step)`` -> ``(points, normals)``; ``n=None`` uses
  ``n_boundary`` (per boundary condition).
* ``sampler.initial(step)`` -> ``[n_initial, ndim]``
* ``sampler.is_resample_step(step)``

A batch is a pure function of ``(seed, step // resample_every, kind, faces, n)``, so
runs are reproducible and a fresh batch appears exactly when
``step % resample_every == 0``; ``resample_every=0`` keeps one fixed batch. The last
batch per request is cached: treat returned tensors as read-only (clone before
modifying them in place).
"""

from __future__ import annotations

import math
import zlib
from dataclasses import dataclass, field, replace
from typing import Sequence, Union

import numpy as np
import torch

__all__ = [
    "Box",
    "Face",
    "Plane",
    "Cluster",
    "Sampler",
    "FACE_NAMES",
    "all_faces",
    "face_by_name",
    "sample_interior",
    "sample_faces",
    "sample_initial",
    "eval_grid",
]

SeedOrGenerator = Union[int, torch.Generator]
METHODS = ("uniform", "sobol")

#: Built-in face names -> (axis, side).
FACE_NAMES: dict[str, tuple[int, int]] = {
    "left": (0, 0),
    "right": (0, 1),
    "bottom": (1, 0),
    "top": (1, 1),
    "back": (2, 0),
    "front": (2, 1),
}


# --------------------------------------------------------------------------- domain


@dataclass(frozen=True)
class Box:
    """Axis-aligned box ``prod [lo_i, hi_i]``, optionally times ``[t0, t1]``."""

    names: tuple[str, ...]
    lo: tuple[float, ...]
    hi: tuple[float, ...]
    time: tuple[str, float, float] | None = None

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
            raise ValueError(f"names, lo and hi must have equal length, got {d}, {len(self.lo)}, {len(self.hi)}")
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
                raise ValueError(f"time name {tname!r} must be non-empty and differ from the spatial names")
            if not (math.isfinite(t0) and math.isfinite(t1) and t0 < t1):
                raise ValueError(f"need finite t0 < t1, got [{t0}, {t1}]")
            object.__setattr__(self, "time", (tname, t0, t1))

    @property
    def dim(self) -> int:
        """Number of spatial coordinates."""
        return len(self.names)

    @property
    def ndim(self) -> int:
        """Number of point columns (spatial + time)."""
        return self.dim + (self.time is not None)

    @property
    def columns(self) -> tuple[str, ...]:
        """Column names of a point tensor, time last."""
        return self.names + ((self.time[0],) if self.time is not None else ())

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


def _axis_index(axis, what: str) -> int:
    """A coordinate index given to a Face or Plane, checked and made a plain int."""
    if not isinstance(axis, (int, np.integer)) or axis < 0:
        raise ValueError(f"{what} axis must be a non-negative int, got {axis!r}")
    return int(axis)


def _check_axis_in(box: Box, target) -> None:
    if target.axis >= box.dim:
        raise ValueError(f"{target} does not exist in a {box.dim}D box")


@dataclass(frozen=True)
class Face:
    """One face of a box: ``axis`` index, ``side`` 0 (lo end) or 1 (hi end)."""

    axis: int
    side: int

    def __post_init__(self) -> None:
        axis = _axis_index(self.axis, "face")
        if self.side not in (0, 1):
            raise ValueError(f"face side must be 0 (lo) or 1 (hi), got {self.side!r}")
        object.__setattr__(self, "axis", axis)
        object.__setattr__(self, "side", int(self.side))

    def check(self, box: Box) -> None:
        """Raise ValueError if the face does not exist in ``box``."""
        _check_axis_in(box, self)

    def normal(self, dim: int) -> tuple[float, ...]:
        """Outward unit normal in ``dim`` spatial dimensions."""
        if self.axis >= dim:
            raise ValueError(f"{self} does not exist in {dim}D")
        return tuple((1.0 if self.side else -1.0) if i == self.axis else 0.0 for i in range(dim))

    def value(self, box: Box) -> float:
        """The coordinate value of the face plane."""
        self.check(box)
        return (box.hi if self.side else box.lo)[self.axis]

    def measure(self, box: Box) -> float:
        """Face measure: product of the other spatial extents (1 for a 1D end point)."""
        self.check(box)
        return math.prod(e for i, e in enumerate(box.extents) if i != self.axis)

    def label(self, box: Box) -> str:
        """Readable label such as ``"x = 0"``."""
        value = self.value(box)  # validates the axis first
        return f"{box.names[self.axis]} = {value:g}"


def all_faces(box: Box) -> tuple[Face, ...]:
    """All 2*dim faces, ordered by axis then side (lo first)."""
    return tuple(Face(a, s) for a in range(box.dim) for s in (0, 1))


def face_by_name(box: Box, name: str) -> Face:
    """Face for a built-in name (left/right, bottom/top, back/front)."""
    key = name.strip().lower()
    if key not in FACE_NAMES:
        raise ValueError(f"unknown face name {name!r}; known: {', '.join(FACE_NAMES)}")
    face = Face(*FACE_NAMES[key])
    if face.axis >= box.dim:
        valid = [n for n, (a, _) in FACE_NAMES.items() if a < box.dim]
        raise ValueError(f"face {name!r} does not exist in a {box.dim}D box; valid: {', '.join(valid)}")
    return face


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

    def check(self, box: Box) -> None:
        """Raise ValueError unless the plane cuts ``box``."""
        _check_axis_in(box, self)
        if not box.lo[self.axis] <= self.value <= box.hi[self.axis]:
            raise ValueError(f"{self} lies outside the box [{box.lo[self.axis]}, "
                             f"{box.hi[self.axis]}] along axis {self.axis}")


@dataclass(frozen=True)
class Cluster:
    """Put ``fraction`` of the points within a few ``width`` of ``faces`` (each a
    :class:`Face`, or a :class:`Plane` inside the box)."""

    faces: tuple[Face | Plane, ...]
    fraction: float
    width: float

    def __post_init__(self) -> None:
        faces = (self.faces,) if isinstance(self.faces, (Face, Plane)) else tuple(self.faces)
        if not faces or not all(isinstance(f, (Face, Plane)) for f in faces):
            raise ValueError("a cluster needs at least one Face or Plane")
        if len(set(faces)) != len(faces):
            raise ValueError(f"duplicate faces in cluster: {faces}")
        object.__setattr__(self, "faces", faces)
        if not 0.0 <= self.fraction <= 1.0:
            raise ValueError(f"cluster fraction must be in [0, 1], got {self.fraction}")
        if not (math.isfinite(self.width) and self.width > 0):
            raise ValueError(f"cluster width must be positive, got {self.width}")


# --------------------------------------------------------------------------- sampling


def _generator(seed_or_generator: SeedOrGenerator) -> torch.Generator:
    if isinstance(seed_or_generator, torch.Generator):
        return seed_or_generator
    if isinstance(seed_or_generator, (bool, float)) or not isinstance(seed_or_generator, (int, np.integer)):
        raise TypeError(f"seed_or_generator must be an int or torch.Generator, got {seed_or_generator!r}")
    return torch.Generator().manual_seed(int(seed_or_generator))


def _unit(n: int, d: int, method: str, gen: torch.Generator) -> torch.Tensor:
    """``[n, d]`` float64 points in the unit cube."""
    if n == 0 or d == 0:
        return torch.zeros(n, d, dtype=torch.float64)
    if method == "uniform":
        return torch.rand(n, d, generator=gen, dtype=torch.float64)
    seed = int(torch.randint(0, 2**62, (1,), generator=gen))
    return torch.quasirandom.SobolEngine(d, scramble=True, seed=seed).draw(n, dtype=torch.float64)


def _truncated_exponential(u: torch.Tensor, width: float, extent: float) -> torch.Tensor:
    """Inverse CDF of Exp(scale=width) truncated to [0, extent]."""
    return -width * torch.log1p(u * math.expm1(-extent / width))


def _two_sided(u: torch.Tensor, side: torch.Tensor, c: float, width: float,
               lo: float, hi: float) -> torch.Tensor:
    """Density ~ exp(-|x - c|/width) on [lo, hi]: ``side`` (uniform on [0, 1)) picks the
    side in proportion to its probability mass, ``u`` the distance within it."""
    mass_lo, mass_hi = -math.expm1(-(c - lo) / width), -math.expm1(-(hi - c) / width)
    upper = side < mass_hi / (mass_lo + mass_hi)
    out = torch.empty_like(u)
    out[upper] = c + _truncated_exponential(u[upper], width, hi - c)
    out[~upper] = c - _truncated_exponential(u[~upper], width, c - lo)
    return out


def _split_counts(n: int, fractions: Sequence[float]) -> list[int]:
    """Integer counts for cumulative fractions; never sums above n."""
    edges = [0] + [round(n * f) for f in np.cumsum(fractions)]
    return [min(b, n) - min(a, n) for a, b in zip(edges[:-1], edges[1:])]


def _points(
    box: Box, n: int, clusters: Sequence[Cluster], method: str, gen: torch.Generator
) -> torch.Tensor:
    """float64 ``[n, ndim]`` points in the box (time included), clustered as requested."""
    lo, hi = box._bounds()
    d = box.ndim
    counts = _split_counts(n, [c.fraction for c in clusters])
    parts = [lo + (hi - lo) * _unit(n - sum(counts), d, method, gen)]
    for cluster, m in zip(clusters, counts):
        if m == 0:
            continue
        # One extra column picks the face, so sobol stays balanced over the choice too.
        u = _unit(m, d + 1, method, gen)
        x = lo + (hi - lo) * u[:, :d]
        k = len(cluster.faces)
        pick = torch.clamp((u[:, d] * k).long(), max=k - 1)
        for j, face in enumerate(cluster.faces):
            rows = pick == j
            a = face.axis
            if isinstance(face, Plane):
                x[rows, a] = _two_sided(u[rows, a], u[rows, d] * k - j, face.value,
                                        cluster.width, float(lo[a]), float(hi[a]))
                continue
            dist = _truncated_exponential(u[rows, a], cluster.width, box.extents[a])
            x[rows, a] = hi[a] - dist if face.side else lo[a] + dist
        parts.append(x)
    out = torch.cat(parts)
    if len(parts) > 1:  # do not leave the clustered points as a contiguous block
        out = out[torch.randperm(n, generator=gen)]
    return out


def _check_common(box: Box, n: int, method: str, clusters: Sequence[Cluster]) -> tuple[Cluster, ...]:
    if not isinstance(box, Box):
        raise TypeError(f"expected a Box, got {type(box).__name__}")
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 0:
        raise ValueError(f"number of points must be a non-negative int, got {n!r}")
    if method not in METHODS:
        raise ValueError(f"method must be one of {METHODS}, got {method!r}")
    clusters = (clusters,) if isinstance(clusters, Cluster) else tuple(clusters)
    for c in clusters:
        if not isinstance(c, Cluster):
            raise TypeError(f"expected Cluster objects, got {type(c).__name__}")
        for f in c.faces:
            f.check(box)
    if sum(c.fraction for c in clusters) > 1.0 + 1e-12:
        raise ValueError("cluster fractions sum to more than 1")
    return clusters


def sample_interior(
    box: Box,
    n: int,
    *,
    seed_or_generator: SeedOrGenerator,
    method: str = "uniform",
    clusters: Sequence[Cluster] = (),
    dtype: torch.dtype = torch.float32,
) -> torch.Tensor:
    """``[n, ndim]`` collocation points in the box; time uniform in [t0, t1]."""
    clusters = _check_common(box, n, method, clusters)
    return _points(box, n, clusters, method, _generator(seed_or_generator)).to(dtype)


def _face_counts(box: Box, faces: Sequence[Face], n: int) -> list[int]:
    """Split n proportionally to face measure (largest remainder), each face >= 1."""
    measures = np.array([f.measure(box) for f in faces])
    exact = n * measures / measures.sum()
    counts = np.floor(exact).astype(int)
    order = np.argsort(-(exact - counts), kind="stable")
    counts[order[: n - counts.sum()]] += 1
    for i in np.flatnonzero(counts == 0):  # tiny faces still get a point
        counts[int(np.argmax(counts))] -= 1
        counts[i] = 1
    return counts.tolist()


def sample_faces(
    box: Box,
    faces: Face | Sequence[Face],
    n: int,
    *,
    seed_or_generator: SeedOrGenerator,
    method: str = "uniform",
    clusters: Sequence[Cluster] = (),
    dtype: torch.dtype = torch.float32,
) -> tuple[torch.Tensor, torch.Tensor]:
    """Points on ``faces`` ``[n, ndim]`` and their outward unit normals ``[n, dim]``.

    Points are split over the faces in proportion to face measure (deterministically,
    which removes the variance of a random split); each face gets at least one point.
    The face coordinate is set exactly to the face value.
    """
    clusters = _check_common(box, n, method, clusters)
    faces = (faces,) if isinstance(faces, Face) else tuple(faces)
    if not faces:
        raise ValueError("no faces given")
    for f in faces:
        if not isinstance(f, Face):
            raise TypeError(f"expected Face objects, got {type(f).__name__}")
        f.check(box)
    if len(set(faces)) != len(faces):
        raise ValueError(f"duplicate faces: {faces}")
    if n < len(faces):
        raise ValueError(f"need at least one point per face: n={n} < {len(faces)} faces")
    gen = _generator(seed_or_generator)
    points, normals = [], []
    for face, m in zip(faces, _face_counts(box, faces, n)):
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
    seed_or_generator: SeedOrGenerator,
    method: str = "uniform",
    clusters: Sequence[Cluster] = (),
    dtype: torch.dtype = torch.float32,
) -> torch.Tensor:
    """``[n, ndim]`` points in the spatial box with time set exactly to t0."""
    if isinstance(box, Box) and box.time is None:
        raise ValueError("sample_initial needs a box with a time interval")
    clusters = _check_common(box, n, method, clusters)
    x = _points(box, n, clusters, method, _generator(seed_or_generator))
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
    if isinstance(n_per_axis, (int, np.integer)):
        counts = [int(n_per_axis)] * box.ndim
    else:
        counts = [int(c) for c in n_per_axis]
        if len(counts) != box.ndim:
            raise ValueError(
                f"need {box.ndim} counts (one per column {box.columns}), got {len(counts)}"
            )
    if n_time is not None:
        if box.time is None:
            raise ValueError("n_time given but the box has no time")
        counts[-1] = int(n_time)
    if any(c < 2 for c in counts):
        raise ValueError(f"each axis needs at least 2 grid points (to include both ends), got {counts}")
    lo, hi = box._bounds()
    axes = [np.linspace(float(a), float(b), c) for a, b, c in zip(lo, hi, counts)]
    # Pin the ends exactly: linspace can be off by an ulp at the upper end.
    for ax, a, b in zip(axes, lo, hi):
        ax[0], ax[-1] = float(a), float(b)
    mesh = torch.meshgrid(*(torch.from_numpy(ax) for ax in axes), indexing="ij")
    points = torch.stack([m.reshape(-1) for m in mesh], dim=1).to(dtype)
    return points, tuple(counts), axes


# --------------------------------------------------------------------------- sampler


def _derive_seed(seed: int, epoch: int, tag: str) -> int:
    """Stable (cross-process) seed from the run seed, resample epoch and request."""
    state = np.random.SeedSequence([seed, epoch, zlib.crc32(tag.encode())]).generate_state(2, np.uint32)
    return int(state[0]) << 31 | int(state[1]) >> 1


@dataclass(frozen=True)
class Sampler:
    """Training-run sampling config; batches are a pure function of (seed, step).

    ``resample_every=k`` draws a fresh batch at steps 0, k, 2k, ... and reuses it in
    between; ``k=0`` keeps one fixed batch for the whole run.
    """

    box: Box
    n_interior: int
    n_boundary: int = 0
    n_initial: int = 0
    method: str = "uniform"
    clusters: tuple[Cluster, ...] = ()
    resample_every: int = 1
    seed: int = 0
    dtype: torch.dtype = torch.float32
    _cache: dict = field(default_factory=dict, init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "clusters", _check_common(self.box, self.n_interior, self.method, self.clusters))
        for name in ("n_boundary", "n_initial", "resample_every", "seed"):
            v = getattr(self, name)
            if isinstance(v, bool) or not isinstance(v, (int, np.integer)) or v < 0:
                raise ValueError(f"{name} must be a non-negative int, got {v!r}")
        if self.n_initial and self.box.time is None:
            raise ValueError("n_initial > 0 needs a box with a time interval")

    def epoch(self, step: int) -> int:
        """Index of the batch in use at ``step``."""
        if isinstance(step, bool) or not isinstance(step, (int, np.integer)) or step < 0:
            raise ValueError(f"step must be a non-negative int, got {step!r}")
        return 0 if self.resample_every == 0 else int(step) // self.resample_every

    def is_resample_step(self, step: int) -> bool:
        """True where a fresh batch is drawn (step % resample_every == 0)."""
        self.epoch(step)
        return step == 0 if self.resample_every == 0 else step % self.resample_every == 0

    def _get(self, key: tuple, step: int, make):
        epoch = self.epoch(step)
        hit = self._cache.get(key)
        if hit is not None and hit[0] == epoch:
            return hit[1]
        batch = make(_derive_seed(self.seed, epoch, repr(key)))
        self._cache[key] = (epoch, batch)
        return batch

    def interior(self, step: int) -> torch.Tensor:
        """``[n_interior, ndim]`` interior points for ``step``."""
        return self._get(
            ("interior", self.n_interior),
            step,
            lambda s: sample_interior(
                self.box, self.n_interior, seed_or_generator=s, method=self.method,
                clusters=self.clusters, dtype=self.dtype,
            ),
        )

    def faces(self, faces: Face | Sequence[Face], n: int | None, step: int) -> tuple[torch.Tensor, torch.Tensor]:
        """``(points, normals)`` on ``faces`` for ``step``; ``n=None`` means ``n_boundary``."""
        faces = (faces,) if isinstance(faces, Face) else tuple(faces)
        n = self.n_boundary if n is None else n
        key = ("faces", tuple((f.axis, f.side) for f in faces), n)
        return self._get(
            key,
            step,
            lambda s: sample_faces(
                self.box, faces, n, seed_or_generator=s, method=self.method,
                clusters=self.clusters, dtype=self.dtype,
            ),
        )

    def initial(self, step: int, n: int | None = None) -> torch.Tensor:
        """``[n, ndim]`` points at t = t0 for ``step`` (``n=None`` uses ``n_initial``)."""
        if self.box.time is None:
            raise ValueError("initial points need a box with a time interval")
        n = self.n_initial if n is None else n
        return self._get(
            ("initial", n),
            step,
            lambda s: sample_initial(
                self.box, n, seed_or_generator=s, method=self.method,
                clusters=self.clusters, dtype=self.dtype,
            ),
        )
