"""The sampling plan of a training run: :class:`Sampler`.

``Sampler(domain, n_interior, n_boundary, n_initial, method, clusters, resample_every,
seed, dtype)``:

* ``sampler.interior(step)`` -> ``[n_interior, ndim]``
* ``sampler.faces(pieces, n, step)`` -> ``(points, normals)``; ``n=None`` uses
  ``n_boundary`` (per boundary condition). ``pieces`` is one boundary piece or a tuple of
  them (box faces, or the pieces of a domain built from shapes).
* ``sampler.initial(step)`` -> ``[n_initial, ndim]``
* ``sampler.is_resample_step(step)``

A batch is a pure function of ``(seed, step // resample_every, kind, pieces, n)``, so
runs are reproducible (and a resumed run draws the same batches) and a fresh batch
appears exactly when ``step % resample_every == 0``; ``resample_every=0`` keeps one fixed
batch. A boundary batch that is the same for every seed (``domain.boundary_is_fixed``: the
end points of a 1D domain) is built once. The last batch per request is cached: treat
returned tensors as read-only (clone before modifying them in place).
"""

from __future__ import annotations

import zlib
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import torch

from ..ir.regions import BoundaryPiece, Face
from .domain import Domain
from .sampling import Cluster, check_request


def derive_seed(seed: int, epoch: int, tag: str) -> int:
    """Stable (cross-process) seed from the run seed, resample epoch and request."""
    state = np.random.SeedSequence([seed, epoch, zlib.crc32(tag.encode())]).generate_state(
        2, np.uint32
    )
    return int(state[0]) << 31 | int(state[1]) >> 1


def piece_key(pieces: tuple) -> tuple:
    """Stable (cross-process) key of boundary pieces for the batch seed: ``(axis, side)``
    per face when all are faces (the key of every run made before shapes existed), else
    the pieces' ``repr`` (frozen dataclasses of ints, strings and sympy values)."""
    if all(isinstance(p, Face) for p in pieces):
        return tuple((p.axis, p.side) for p in pieces)
    return tuple(repr(p) for p in pieces)


@dataclass(frozen=True)
class Sampler:
    """Training-run sampling config; batches are a pure function of (seed, step).

    ``resample_every=k`` draws a fresh batch at steps 0, k, 2k, ... and reuses it in
    between; ``k=0`` keeps one fixed batch for the whole run.
    """

    domain: Domain
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
        object.__setattr__(
            self,
            "clusters",
            check_request(self.domain, self.n_interior, self.method, self.clusters),
        )
        for name in ("n_boundary", "n_initial", "resample_every", "seed"):
            v = getattr(self, name)
            if isinstance(v, bool) or not isinstance(v, (int, np.integer)) or v < 0:
                raise ValueError(f"{name} must be a non-negative int, got {v!r}")
        if self.n_initial and self.domain.time is None:
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

    def _get(self, key: tuple, step: int, make, fixed: bool = False):
        epoch = 0 if fixed else self.epoch(step)
        hit = self._cache.get(key)
        if hit is not None and hit[0] == epoch:
            return hit[1]
        batch = make(derive_seed(self.seed, epoch, repr(key)))
        self._cache[key] = (epoch, batch)
        return batch

    def interior(self, step: int) -> torch.Tensor:
        """``[n_interior, ndim]`` interior points for ``step``."""
        return self._get(
            ("interior", self.n_interior),
            step,
            lambda s: self.domain.sample_interior(
                self.n_interior,
                seed_or_generator=s,
                method=self.method,
                clusters=self.clusters,
                dtype=self.dtype,
            ),
        )

    def faces(
        self, faces: BoundaryPiece | Sequence[BoundaryPiece], n: int | None, step: int
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """``(points, normals)`` on ``faces`` (boundary pieces) for ``step``; ``n=None``
        means ``n_boundary``."""
        faces = (faces,) if isinstance(faces, BoundaryPiece) else tuple(faces)
        n = self.n_boundary if n is None else n
        key = ("faces", piece_key(faces), n)
        return self._get(
            key,
            step,
            lambda s: self.domain.sample_boundary(
                faces,
                n,
                seed_or_generator=s,
                method=self.method,
                clusters=self.clusters,
                dtype=self.dtype,
            ),
            fixed=self.domain.boundary_is_fixed(faces),
        )

    def initial(self, step: int, n: int | None = None) -> torch.Tensor:
        """``[n, ndim]`` points at t = t0 for ``step`` (``n=None`` uses ``n_initial``)."""
        if self.domain.time is None:
            raise ValueError("initial points need a box with a time interval")
        n = self.n_initial if n is None else n
        return self._get(
            ("initial", n),
            step,
            lambda s: self.domain.sample_initial(
                n,
                seed_or_generator=s,
                method=self.method,
                clusters=self.clusters,
                dtype=self.dtype,
            ),
        )
