"""The boundary of a solid: which points of the primitives' patches lie on it, selection by
boundary pieces, uniform sampling, measures, quadrature rules and 2D outlines.

**Which patch points are boundary points.** A point ``p`` of a leaf's patch with the
leaf's outward normal ``n`` is on the solid's boundary when the solid holds ``p - eps n``
but not ``p + eps n`` (the normal is kept) or the other way round (the normal is flipped,
e.g. the hole of a difference), with ``eps = 1e-12 * scale``. This is the usual CSG rule
(union: not strictly inside the other operand; intersection: inside the other; A - B: A's
boundary not strictly inside B, B's boundary strictly inside A, flipped) made exact where
operands share a surface: the seam between two touching rectangles of a union is not
boundary, and a surface shared by several leaves with the same orientation (the common
edge of ``rect + rect``) is counted once, by the first leaf (left to right). Near a point
where two surfaces are tangent a stretch of about ``sqrt(scale * 1e-12)`` may be lost.

**Pieces.** ``WholeBoundary()`` selects everything; ``ShapePiece(name)`` the boundary
points with ``|sdf_name(p)| <= tol`` (``tol = 1e-9 * scale``); ``CoordPiece(axis, v)`` the
patches lying in the plane ``x[axis] = v`` (a curve touching the plane has measure 0);
``Face(axis, side)`` is ``CoordPiece`` on the bounding box's lo/hi plane. A tuple of pieces
is their union (each point once).

**Plans.** For a tuple of pieces the kept part of every patch is found once and cached on
the solid: the runs of a curve's parameter (bisected to float64 resolution, so lengths
are exact up to features shorter than 1/1024 of a patch), or the measure of a surface patch
(a Gauss rule over its parameter square, runs bisected along one parameter).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from ..ir.regions import CoordPiece, Face, ShapePiece, WholeBoundary
from . import rules
from .patches import Segment

EPS = 1e-12  # offset of the inside/outside test, relative to the solid's scale
TIE = 1e-11  # two leaves' surfaces closer than this (relative) coincide
CURVE_CELLS = 1024  # least grid cells per curve patch before bisection
MAX_ROUNDS = 200  # rejection rounds before giving up on a surface patch


def as_pieces(pieces) -> tuple:
    """One piece or an iterable of them, as a non-empty tuple of known piece types."""
    if isinstance(pieces, (ShapePiece, CoordPiece, WholeBoundary, Face)):
        pieces = (pieces,)
    pieces = tuple(pieces)
    if not pieces:
        raise ValueError("no boundary pieces given")
    for p in pieces:
        if not isinstance(p, (ShapePiece, CoordPiece, WholeBoundary, Face)):
            raise TypeError(f"not a boundary piece of a shaped domain: {p!r}")
    return pieces


def describe(pieces) -> str:
    """Readable text of pieces, e.g. ``hole, x0 = 0``."""
    out = []
    for p in as_pieces(pieces):
        out.append(f"face {p.axis}/{p.side}" if isinstance(p, Face) else p.label())
    return ", ".join(out)


def selectors(solid, pieces) -> list:
    """The pieces resolved: ``("all",)``, ``("shape", named solid)``, ``("coord", axis, v)``."""
    out = []
    named = None
    lo, hi = solid.bbox()
    for p in as_pieces(pieces):
        if isinstance(p, WholeBoundary):
            out.append(("all",))
        elif isinstance(p, ShapePiece):
            named = solid.named() if named is None else named
            if p.name not in named:
                known = ", ".join(named) or "none"
                raise ValueError(f"unknown shape {p.name!r}; declared shapes: {known}")
            out.append(("shape", named[p.name]))
        else:
            if not 0 <= p.axis < solid.dim:
                raise ValueError(f"{p!r}: axis {p.axis} does not exist in {solid.dim}D")
            if isinstance(p, Face):
                out.append(("coord", p.axis, (hi if p.side else lo)[p.axis]))
            else:
                out.append(("coord", p.axis, solid.resolve(p.value)))
    return out


def leaf_patches(solid) -> list:
    """``[(leaf index, patch)]`` over all leaves, in order (cached)."""
    if "patches" not in solid.cache:
        solid.cache["patches"] = [
            (i, patch) for i, leaf in enumerate(solid.leaves()) for patch in leaf.patches()
        ]
    return solid.cache["patches"]


def classify(solid, leaf: int, points: np.ndarray, normals: np.ndarray) -> np.ndarray:
    """``[n]`` labels of patch points of leaf number ``leaf``: +1 on the boundary with the
    leaf's normal outward, -1 on it with the normal flipped, 0 not on it (module doc)."""
    scale = solid.scale
    eps = EPS * scale
    outer, inner = solid.sdf(points + eps * normals), solid.sdf(points - eps * normals)
    lab = np.where((outer > 0) & (inner < 0), 1, np.where((outer < 0) & (inner > 0), -1, 0))
    h = 1e-6 * scale
    for earlier in solid.leaves()[:leaf]:
        idx = np.flatnonzero(lab)
        if idx.size == 0:
            break
        near = np.abs(earlier.sdf(points[idx])) <= TIE * scale
        k = idx[near]
        if k.size:
            p, n = points[k], normals[k]
            slope = earlier.sdf(p + h * n) - earlier.sdf(p - h * n)
            lab[k[np.abs(slope) > h]] = 0  # the same surface: the earlier leaf has it
    return lab


def _selection(solid, sels, patch):
    """True (every point of the patch is selected), None (none is) or a point test."""
    tol = solid.tol
    shapes = []
    for sel in sels:
        if sel[0] == "all":
            return True
        if sel[0] == "coord":
            plane = patch.plane
            if plane is not None and plane[0] == sel[1] and abs(plane[1] - sel[2]) <= tol:
                return True
        if sel[0] == "shape":
            shapes.append(sel[1])
    if not shapes:
        return None
    return lambda p: np.any([np.abs(s.sdf(p)) <= tol for s in shapes], axis=0)


@dataclass
class PatchPlan:
    """The selected part of one patch: ``measure``; for a curve its parameter ``runs``
    ``(start, end, label)``; ``label(points, normals)`` classifies any of its points."""

    leaf: int
    patch: object
    measure: float
    runs: tuple | None
    label: object


def _labeller(solid, leaf, select):
    def label(points, normals):
        lab = classify(solid, leaf, points, normals)
        if select is not True:
            idx = np.flatnonzero(lab)
            lab[idx[~select(points[idx])]] = 0
        return lab

    return label


def _u1_breaks(patch, label, cells: int, probes: int = 33) -> np.ndarray:
    """Values of u1 where the selected part of a surface patch has an edge along u2 (a
    box face cut by another box's face): the run ends along u1 met on two or more of
    ``probes`` lines u2 = const. They are the jumps of the run length along u2."""

    u2 = (np.arange(probes) + 0.5) / probes

    def lab_fn(li, s):
        pts, nrm, _ = patch.natural(np.stack([s, u2[li]], axis=1))
        return label(pts, nrm)

    _, s0, s1, _ = rules.runs(lab_fn, probes, 0.0, 1.0, cells)
    ends = np.sort(np.concatenate([s0, s1]))
    ends = ends[(ends > 1e-12) & (ends < 1.0 - 1e-12)]
    return np.unique(ends[:-1][np.diff(ends) <= 1e-9])


def surface_rule(patch, label, per_axis: int, cells: int = 64):
    """Gauss rule on the selected part of a surface patch (natural parameters): outer
    composite Gauss in u1 (panels break at the edges found by :func:`_u1_breaks`), runs of
    u2 bisected per line; when the part spans less than half the u1 range, a second pass
    zooms in on it. ``(points, weights, normals)``."""
    panels = max(1, math.ceil(per_axis / rules.GAUSS_ORDER))
    breaks = _u1_breaks(patch, label, cells)

    def lab_fn(u1, li, s):
        pts, nrm, _ = patch.natural(np.stack([u1[li], s], axis=1))
        return label(pts, nrm)

    def sweep(lo, hi):
        edges = np.unique(np.r_[lo, breaks[(breaks > lo) & (breaks < hi)], hi])
        u1, w1, _ = rules.on_runs(edges[:-1], edges[1:], panels / (hi - lo))
        found = rules.runs(
            lambda li, s: lab_fn(u1, li, s), u1.size, 0.0, 1.0, max(cells, 4 * panels)
        )
        return u1, w1, found

    u1, w1, (line, s0, s1, lab) = sweep(0.0, 1.0)
    if line.size and u1[line.max()] - u1[line.min()] < 0.5:
        lo = u1[line.min() - 1] if line.min() > 0 else 0.0
        hi = u1[line.max() + 1] if line.max() < u1.size - 1 else 1.0
        u1, w1, (line, s0, s1, lab) = sweep(lo, hi)
    s, w2, r = rules.on_runs(s0, s1, panels)
    points, normals, jac = patch.natural(np.stack([u1[line[r]], s], axis=1))
    return points, w1[line[r]] * w2 * jac, normals * lab[r][:, None]


def plan(solid, pieces) -> list:
    """The :class:`PatchPlan` of every patch that can meet ``pieces`` (cached per tuple)."""
    pieces = as_pieces(pieces)
    key = ("plan", pieces)
    if key in solid.cache:
        return solid.cache[key]
    sels = selectors(solid, pieces)
    out = []
    for leaf, patch in leaf_patches(solid):
        select = _selection(solid, sels, patch)
        if select is None:
            continue
        label = _labeller(solid, leaf, select)
        runs = None
        if patch.pdim == 0:
            lab = int(label(*patch.at(np.zeros((1, 0))))[0])
            runs = (np.zeros(1), np.ones(1), np.array([lab])) if lab else None
            measure = float(lab != 0)
        elif patch.pdim == 1:
            _, s0, s1, lab = rules.runs(
                lambda li, s, patch=patch, label=label: label(*patch.at(s)),
                1,
                0.0,
                1.0,
                solid.cells(patch.measure, CURVE_CELLS),
            )
            runs = (s0, s1, lab)
            measure = patch.measure * float(np.sum(s1 - s0))
        else:
            cells = solid.cells(math.sqrt(patch.measure), 64, 1024)
            measure = float(surface_rule(patch, label, 256, cells)[1].sum())
        if measure > 0:
            out.append(PatchPlan(leaf, patch, measure, runs, label))
    solid.cache[key] = out
    return out


def measure(solid, pieces) -> float:
    """Length/area (1D: number of end points) of the selected boundary."""
    return float(sum(p.measure for p in plan(solid, pieces)))


def _checked_plan(solid, pieces):
    plans = plan(solid, pieces)
    total = sum(p.measure for p in plans)
    if total <= 0:
        raise ValueError(f"boundary piece(s) {describe(pieces)} match nothing (measure 0)")
    return plans, total


def _on_runs(runs, u):
    """Map ``u`` in [0, 1) to the runs' parameters, uniformly by length: ``(s, run)``."""
    s0, s1, _ = runs
    length = s1 - s0
    cum = np.cumsum(length)
    t = u * cum[-1]
    k = np.minimum(np.searchsorted(cum, t, side="right"), length.size - 1)
    s = np.clip(s0[k] + t - (cum[k] - length[k]), s0[k], s1[k])
    return s, k


def sample(solid, pieces, n: int, rng: np.random.Generator, method: str = "uniform"):
    """``(points [n, dim], outward normals [n, dim])`` uniform by measure on the union of
    ``pieces``: split over the patches in proportion to measure (largest remainder), exact
    inverse maps on curves, rejection on surfaces; rows shuffled."""
    plans, _ = _checked_plan(solid, pieces)
    counts = rules.largest_remainder([p.measure for p in plans], int(n))
    pts, nrms = [np.zeros((0, solid.dim))], [np.zeros((0, solid.dim))]
    for pl, m in zip(plans, counts):
        if m == 0:
            continue
        patch = pl.patch
        if patch.pdim == 0:
            p, q = patch.at(np.zeros((m, 0)))
            q = q * pl.runs[2][0]
        elif patch.pdim == 1:
            s, k = _on_runs(pl.runs, rules.unit(m, 1, rng, method)[:, 0])
            p, q = patch.at(s)
            q = q * pl.runs[2][k][:, None]
        else:
            p, q = _reject(solid, pl, m, rng)
        pts.append(p)
        nrms.append(q)
    order = rng.permutation(int(n))
    return np.concatenate(pts)[order], np.concatenate(nrms)[order]


def _reject(solid, pl, m: int, rng):
    accept = pl.measure / pl.patch.measure
    got_p, got_n, have = [], [], 0
    for _ in range(MAX_ROUNDS):
        k = int(math.ceil((m - have) / accept * 1.2)) + 8
        p, q = pl.patch.at(rng.random((k, 2)))
        lab = pl.label(p, q)
        ok = np.flatnonzero(lab)
        got_p.append(p[ok])
        got_n.append(q[ok] * lab[ok][:, None])
        have += ok.size
        if have >= m:
            return np.concatenate(got_p)[:m], np.concatenate(got_n)[:m]
    raise RuntimeError(f"could not sample a boundary patch (acceptance {accept:.2g})")


def quadrature(solid, pieces, n: int = 4096):
    """``(points, weights, normals)`` on the selected boundary: composite Gauss–Legendre on
    the runs of each curve, the surface rule on each surface patch, weight 1 at an end
    point; about ``n`` points split by measure; normals outward of the solid."""
    plans, total = _checked_plan(solid, pieces)
    pts, wts, nrms = [], [], []
    q = rules.GAUSS_ORDER
    for pl in plans:
        patch, share = pl.patch, max(q, n * pl.measure / total)
        if patch.pdim == 0:
            p, nr = patch.at(np.zeros((1, 0)))
            w, nr = np.ones(1), nr * pl.runs[2][0]
        elif patch.pdim == 1:
            s0, s1, lab = pl.runs
            s, w, r = rules.on_runs(s0, s1, share / q / float(np.sum(s1 - s0)))
            p, nr = patch.at(s)
            w, nr = w * patch.measure, nr * lab[r][:, None]
        else:
            cells = solid.cells(math.sqrt(patch.measure), 64, 1024)
            p, w, nr = surface_rule(patch, pl.label, int(math.ceil(math.sqrt(share))), cells)
        pts.append(p)
        wts.append(w)
        nrms.append(nr)
    return np.concatenate(pts), np.concatenate(wts), np.concatenate(nrms)


def outline(solid, n: int = 400) -> list:
    """2D: the boundary as ``(k, 2)`` polylines (segments by their ends, arcs by about
    ``n * share of length`` points), joined where one ends where the next starts."""
    if solid.dim != 2:
        raise ValueError(f"outline is for 2D solids, this one is {solid.dim}D")
    plans, total = _checked_plan(solid, WholeBoundary())
    lines = []
    for pl in plans:
        straight = isinstance(pl.patch, Segment)
        for a, b, _ in zip(*pl.runs):
            k = 2 if straight else max(8, int(round(n * pl.patch.measure * (b - a) / total)))
            lines.append(pl.patch.at(np.linspace(a, b, k))[0])
    return _join(lines, 1e-9 * solid.scale)


def _join(lines: list, tol: float) -> list:
    """Chain polylines whose ends meet (greedy), closing loops where they close."""
    out, rest = [], list(lines)
    while rest:
        chain = rest.pop(0)
        grown = True
        while grown:
            grown = False
            for i, other in enumerate(rest):
                if np.abs(other[0] - chain[-1]).max() <= tol:
                    chain = np.concatenate([chain, other[1:]])
                elif np.abs(other[-1] - chain[0]).max() <= tol:
                    chain = np.concatenate([other[:-1], chain])
                else:
                    continue
                rest.pop(i)
                grown = True
                break
        out.append(chain)
    return out
