"""The interface every domain implements (DeepXDE's Geometry, in spirit): the training,
evaluation and plotting stages see only this. :class:`~mpinn.geometry.box.Box` is the
first implementation; a new shape is a new subclass (docs/architecture.md, "add a shape").

Conventions: a point set is a tensor ``[n, ndim]`` with the spatial columns in the order
of ``names``, then time (if any) last; boundary pieces are the plain-data pieces of
:mod:`mpinn.ir.regions`; randomness comes from an explicit seed or ``torch.Generator``.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence


class Domain(ABC):
    """A spatial domain (optionally times a time interval [t0, t1])."""

    names: tuple  # spatial coordinate names
    time: tuple | None  # (name, t0, t1) or None

    @property
    def dim(self) -> int:
        """Number of spatial coordinates."""
        return len(self.names)

    @property
    def ndim(self) -> int:
        """Number of point columns (spatial + time)."""
        return self.dim + (self.time is not None)

    @property
    def columns(self) -> tuple:
        """Column names of a point tensor, time last."""
        return tuple(self.names) + ((self.time[0],) if self.time is not None else ())

    @abstractmethod
    def bounding_box(self) -> tuple:
        """``(lo, hi)`` per spatial coordinate (for input scaling and plots)."""

    @abstractmethod
    def boundary_pieces(self) -> tuple:
        """Every piece of the boundary, in a fixed order."""

    @abstractmethod
    def piece_measure(self, piece) -> float:
        """Length/area of a boundary piece (1 for a point in 1D)."""

    @abstractmethod
    def contains(self, points, tol: float = 0.0):
        """Boolean mask ``[n]``: the spatial part of each point lies in the closed domain."""

    @abstractmethod
    def distance(self, points, pieces: Sequence | None = None):
        """``[n]`` distance of each point to the given boundary pieces (all: None)."""

    @abstractmethod
    def normals(self, points, piece):
        """``[n, dim]`` outward unit normals of ``piece`` at points on it."""

    @abstractmethod
    def sample_interior(
        self, n: int, *, seed_or_generator, method="uniform", clusters=(), dtype=None
    ):
        """``[n, ndim]`` collocation points in the domain (time uniform)."""

    @abstractmethod
    def sample_boundary(
        self, pieces, n: int, *, seed_or_generator, method="uniform", clusters=(), dtype=None
    ):
        """``(points [n, ndim], outward normals [n, dim])`` on the given pieces, split in
        proportion to their measure."""

    def boundary_is_fixed(self, pieces) -> bool:
        """True when a boundary batch on ``pieces`` is the same for every seed (e.g. the
        end points of a 1D domain): the sampler then builds it once instead of per step."""
        return False

    @abstractmethod
    def sample_initial(
        self, n: int, *, seed_or_generator, method="uniform", clusters=(), dtype=None
    ):
        """``[n, ndim]`` points in the domain at the start of the time interval."""

    @abstractmethod
    def eval_grid(self, n_per_axis, *, n_time=None, dtype=None):
        """``(points [N, ndim], shape, axes)``: a tensor-product evaluation grid."""
