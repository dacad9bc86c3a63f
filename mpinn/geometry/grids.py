"""Tensor grids and Gauss rules shared by the domains: the evaluation grid of a bounding box
(:func:`bbox_grid`, behind every ``eval_grid``), the Gauss–Legendre quadrature of a
:class:`~mpinn.geometry.box.Box` (:func:`box_quadrature`) and the numpy-to-torch packing
of quadrature rules (:func:`pack_rule`: time column at the end time t1).

Arithmetic is float64; the results are cast to ``dtype`` at the end.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Sequence

import numpy as np
import torch

from ..ir.numeric import to_float
from ..ir.regions import CoordPiece, Face, Section, WholeBoundary

GAUSS_ORDER = 8  # nodes per panel of the composite Gauss rules


def bbox_grid(domain, n_per_axis, n_time=None, dtype=torch.float32):
    """Tensor-product grid of ``domain``'s bounding box (time included), both ends
    included: ``(points [N, ndim], shape, axes)`` with "ij" ordering."""
    if isinstance(n_per_axis, (int, np.integer)):
        counts = [int(n_per_axis)] * domain.ndim
    else:
        counts = [int(c) for c in n_per_axis]
        if len(counts) != domain.ndim:
            raise ValueError(
                f"need {domain.ndim} counts (one per column {domain.columns}), got {len(counts)}"
            )
    if n_time is not None:
        if domain.time is None:
            raise ValueError("n_time given but the domain has no time")
        counts[-1] = int(n_time)
    if any(c < 2 for c in counts):
        raise ValueError(
            f"each axis needs at least 2 grid points (to include both ends), got {counts}"
        )
    lo, hi = (list(v) for v in domain.bounding_box())
    if domain.time is not None:
        lo.append(domain.time[1])
        hi.append(domain.time[2])
    axes = [np.linspace(float(a), float(b), c) for a, b, c in zip(lo, hi, counts)]
    # Pin the ends exactly: linspace can be off by an ulp at the upper end.
    for ax, a, b in zip(axes, lo, hi):
        ax[0], ax[-1] = float(a), float(b)
    mesh = torch.meshgrid(*(torch.from_numpy(ax) for ax in axes), indexing="ij")
    points = torch.stack([m.reshape(-1) for m in mesh], dim=1).to(dtype)
    return points, tuple(counts), axes


def gauss_box(lo: Sequence[float], hi: Sequence[float], n: int):
    """Tensor composite Gauss–Legendre rule over ``prod [lo_i, hi_i]`` with about ``n``
    nodes (similar spacing on every axis): ``(points [m, d], weights [m])``."""
    lo, hi = np.asarray(lo, float), np.asarray(hi, float)
    d = lo.size
    if d == 0:
        return np.zeros((1, 0)), np.ones(1)
    h = (float(np.prod(hi - lo)) / max(int(n), 1)) ** (1.0 / d)
    x, w = np.polynomial.legendre.leggauss(GAUSS_ORDER)
    grids, weights = [], []
    for a, b in zip(lo, hi):
        panels = max(1, math.ceil((b - a) / (GAUSS_ORDER * h)))
        edges = np.linspace(a, b, panels + 1)
        half = np.diff(edges)[:, None] / 2
        grids.append(((edges[:-1, None] + half) + half * x).ravel())
        weights.append((half * w).ravel())
    mesh = np.meshgrid(*grids, indexing="ij")
    wmesh = np.meshgrid(*weights, indexing="ij")
    return np.stack([m.ravel() for m in mesh], axis=1), np.prod(wmesh, axis=0).ravel()


def _value(value, values: dict | None) -> float:
    if isinstance(value, numbers.Real):
        return float(value)
    return to_float(value, values or {})


def box_faces_of(box, region) -> tuple:
    """The faces a boundary region of a box means: Face pieces, ``WholeBoundary()`` (every
    non-periodic face) or ``CoordPiece(axis, v)`` at a face plane."""
    pieces = (region,) if not isinstance(region, (tuple, list)) else tuple(region)
    faces = []
    for p in pieces:
        if isinstance(p, WholeBoundary):
            faces.extend(box.boundary_pieces())
        elif isinstance(p, CoordPiece):
            v = _value(p.value, None)
            side = [s for s in (0, 1) if (box.hi if s else box.lo)[p.axis] == v]
            if p.axis >= box.dim or not side:
                raise ValueError(f"{p} is not a face of the box")
            faces.append(Face(p.axis, side[0]))
        elif isinstance(p, Face):
            p.check(box)
            faces.append(p)
        else:
            raise TypeError(f"not a boundary piece of a box: {p!r}")
    return tuple(dict.fromkeys(faces))


def box_quadrature(box, region, n: int, values: dict | None = None):
    """numpy ``(points [m, dim], weights [m], normals [m, dim] or None)`` of a box: the box
    (region None), its faces, or a :class:`Section` (a sympy value is resolved with
    ``values``)."""
    lo, hi, d = np.array(box.lo), np.array(box.hi), box.dim
    if region is None:
        return (*gauss_box(lo, hi, n), None)
    if isinstance(region, Section):
        a, v = int(region.axis), _value(region.value, values)
        if not (0 <= a < d and lo[a] <= v <= hi[a]):
            raise ValueError(f"the section x{a} = {v:g} does not cut the box")
        keep = [k for k in range(d) if k != a]
        p, w = gauss_box(lo[keep], hi[keep], n)
        points = np.empty((w.size, d))
        points[:, keep], points[:, a] = p, v
        return points, w, None
    faces = box_faces_of(box, region)
    measures = [f.measure(box) for f in faces]
    out_p, out_w, out_n = [], [], []
    for f, m in zip(faces, measures):
        keep = [k for k in range(d) if k != f.axis]
        p, w = gauss_box(lo[keep], hi[keep], max(1, round(n * m / sum(measures))))
        points = np.empty((w.size, d))
        points[:, keep], points[:, f.axis] = p, f.value(box)
        out_p.append(points)
        out_w.append(w)
        out_n.append(np.broadcast_to(np.array(f.normal(d)), points.shape))
    return np.concatenate(out_p), np.concatenate(out_w), np.concatenate(out_n)


def pack_rule(domain, rule, dtype):
    """A numpy ``(points, weights, normals or None)`` as torch tensors, with the time
    column (if any) set to the end time t1."""
    points, weights, normals = rule
    if domain.time is not None:
        points = np.concatenate([points, np.full((points.shape[0], 1), domain.time[2])], axis=1)
    as_t = lambda a: torch.from_numpy(np.ascontiguousarray(a, dtype=np.float64)).to(dtype)
    return as_t(points), as_t(weights), None if normals is None else as_t(normals)
