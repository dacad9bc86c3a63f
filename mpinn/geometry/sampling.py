"""Random primitives shared by every domain: seeded generators, unit-cube draws (uniform
or scrambled Sobol), truncated exponential layers, and :class:`Cluster`, the request to
put a fraction of the points near boundary pieces or planes.

Randomness always comes from an explicit ``seed_or_generator`` (an int or a CPU
``torch.Generator``); there is no global RNG use. Pass one Generator to several calls
when they must be independent, since equal int seeds give correlated draws.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import torch

from ..ir.regions import BoundaryPiece, Face, Plane
from .domain import Domain

SeedOrGenerator = int | torch.Generator
METHODS = ("uniform", "sobol")


@dataclass(frozen=True)
class Cluster:
    """Put ``fraction`` of the points within a few ``width`` of ``faces``: boundary pieces
    (a box: :class:`Face`; a domain built from shapes: ``ShapePiece``, ``CoordPiece``,
    ``WholeBoundary``, ``Face``) or :class:`Plane` s inside the domain. Whether the domain
    supports a target is checked when sampling is requested (``check_request``)."""

    faces: tuple[BoundaryPiece | Plane, ...]
    fraction: float
    width: float

    def __post_init__(self) -> None:
        targets = (BoundaryPiece, Plane)
        faces = (self.faces,) if isinstance(self.faces, targets) else tuple(self.faces)
        if not faces or not all(isinstance(f, targets) for f in faces):
            raise ValueError("a cluster needs at least one boundary piece (e.g. a Face) or Plane")
        if len(set(faces)) != len(faces):
            raise ValueError(f"duplicate faces in cluster: {faces}")
        object.__setattr__(self, "faces", faces)
        if not 0.0 <= self.fraction <= 1.0:
            raise ValueError(f"cluster fraction must be in [0, 1], got {self.fraction}")
        if not (math.isfinite(self.width) and self.width > 0):
            raise ValueError(f"cluster width must be positive, got {self.width}")


def generator(seed_or_generator: SeedOrGenerator) -> torch.Generator:
    if isinstance(seed_or_generator, torch.Generator):
        return seed_or_generator
    if isinstance(seed_or_generator, (bool, float)) or not isinstance(
        seed_or_generator, (int, np.integer)
    ):
        raise TypeError(
            f"seed_or_generator must be an int or torch.Generator, got {seed_or_generator!r}"
        )
    return torch.Generator().manual_seed(int(seed_or_generator))


def unit(n: int, d: int, method: str, gen: torch.Generator) -> torch.Tensor:
    """``[n, d]`` float64 points in the unit cube."""
    if n == 0 or d == 0:
        return torch.zeros(n, d, dtype=torch.float64)
    if method == "uniform":
        return torch.rand(n, d, generator=gen, dtype=torch.float64)
    seed = int(torch.randint(0, 2**62, (1,), generator=gen))
    return torch.quasirandom.SobolEngine(d, scramble=True, seed=seed).draw(n, dtype=torch.float64)


def truncated_exponential(u: torch.Tensor, width: float, extent: float) -> torch.Tensor:
    """Inverse CDF of Exp(scale=width) truncated to [0, extent]."""
    return -width * torch.log1p(u * math.expm1(-extent / width))


def two_sided(
    u: torch.Tensor, side: torch.Tensor, c: float, width: float, lo: float, hi: float
) -> torch.Tensor:
    """Density ~ exp(-|x - c|/width) on [lo, hi]: ``side`` (uniform on [0, 1)) picks the
    side in proportion to its probability mass, ``u`` the distance within it."""
    mass_lo, mass_hi = -math.expm1(-(c - lo) / width), -math.expm1(-(hi - c) / width)
    upper = side < mass_hi / (mass_lo + mass_hi)
    out = torch.empty_like(u)
    out[upper] = c + truncated_exponential(u[upper], width, hi - c)
    out[~upper] = c - truncated_exponential(u[~upper], width, c - lo)
    return out


def split_counts(n: int, fractions: Sequence[float]) -> list[int]:
    """Integer counts for cumulative fractions; never sums above n."""
    edges = [0] + [round(n * f) for f in np.cumsum(fractions)]
    return [min(b, n) - min(a, n) for a, b in zip(edges[:-1], edges[1:])]


def proportional_counts(measures: Sequence[float], n: int) -> list[int]:
    """Split n in proportion to ``measures`` (largest remainder), each part >= 1."""
    measures = np.array(measures, dtype=float)
    exact = n * measures / measures.sum()
    counts = np.floor(exact).astype(int)
    order = np.argsort(-(exact - counts), kind="stable")
    counts[order[: n - counts.sum()]] += 1
    for i in np.flatnonzero(counts == 0):  # tiny pieces still get a point
        counts[int(np.argmax(counts))] -= 1
        counts[i] = 1
    return counts.tolist()


def check_request(
    domain: Domain, n: int, method: str, clusters: Sequence[Cluster]
) -> tuple[Cluster, ...]:
    """Validate a sampling request; returns the clusters as a tuple."""
    if not isinstance(domain, Domain):
        raise TypeError(f"expected a Domain such as a Box, got {type(domain).__name__}")
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 0:
        raise ValueError(f"number of points must be a non-negative int, got {n!r}")
    if method not in METHODS:
        raise ValueError(f"method must be one of {METHODS}, got {method!r}")
    clusters = (clusters,) if isinstance(clusters, Cluster) else tuple(clusters)
    for c in clusters:
        if not isinstance(c, Cluster):
            raise TypeError(f"expected Cluster objects, got {type(c).__name__}")
        check = getattr(domain, "check_target", None)  # Box and ShapeDomain define it
        for f in c.faces:
            if check is not None:
                check(f)
            elif isinstance(f, (Face, Plane)):
                f.check(domain)
            else:
                raise ValueError(f"{type(domain).__name__} cannot cluster points at {f!r}")
    if sum(c.fraction for c in clusters) > 1.0 + 1e-12:
        raise ValueError("cluster fractions sum to more than 1")
    return clusters
