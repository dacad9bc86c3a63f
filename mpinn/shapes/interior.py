"""The inside of a solid: volume, uniform and clustered sampling, quadrature over the
solid and over sections.

**Line rules.** Integrals over the solid (and over a section) use parallel lines (along
y in 2D, x in 3D, the last free axis of a section): an outer composite Gauss–Legendre
rule over the bounding box picks the lines, the runs of each line inside the solid are
bisected to float64 resolution (a grid of cells first: features thinner than a cell can
be missed), and a composite Gauss rule on each run gives the inner nodes. The outer
panels break at every place where a patch starts, ends or turns along that axis (planes
of faces, vertices, extremes of arcs; in 2D also where the boundary's pieces meet), so
chord lengths are smooth inside the panels in 2D and without jumps in 3D: smooth
integrands converge fast in 2D (areas to ~1e-10 with 4096 nodes; chords shorter than a
grid cell, next to a vertex, can be missed: ~1e-7); in 3D chord lengths keep kinks inside
panels (volumes to ~5e-5, 20000-node rules to ~1e-3).
"""

from __future__ import annotations

import math

import numpy as np

from ..ir.regions import Plane, Section
from . import boundary, rules

OUTER_ORDER = 3  # Gauss nodes per outer panel in 3D (kinks inside panels)
MAX_ROUNDS = 1000  # rejection rounds of clustered points before giving up
MAX_DRAWS = 1 << 24  # candidates of uniform interior points before giving up


def is_section(region) -> bool:
    return isinstance(region, Section)


def _box(solid):
    lo, hi = solid.bbox()
    return np.asarray(lo, float), np.asarray(hi, float)


def breakpoints(solid, axis: int) -> np.ndarray:
    """Coordinates along ``axis`` where the boundary's patches start, end or turn."""
    if ("breaks", axis) in solid.cache:
        return solid.cache[("breaks", axis)]
    out = [x for _, patch in boundary.leaf_patches(solid) for x in patch.features(axis)]
    if solid.dim == 2:  # where the kept parts of curves end (e.g. a circle meets a wall)
        for pl in boundary.plan(solid, boundary.WholeBoundary()):
            ends = np.concatenate([pl.runs[0], pl.runs[1]])
            out.extend(pl.patch.at(ends)[0][:, axis].tolist())
    solid.cache[("breaks", axis)] = np.unique(np.asarray(out, float))
    return solid.cache[("breaks", axis)]


def outer_rule(lo: float, hi: float, breaks: np.ndarray, h: float, graded: bool):
    """Composite Gauss on ``[lo, hi]`` with panel edges at ``breaks`` and spacing ~h;
    ``graded``: nodes crowded towards the breaks (for kinks at the breaks)."""
    edges = np.unique(np.r_[lo, breaks[(breaks > lo) & (breaks < hi)], hi])
    edges = edges[np.r_[True, np.diff(edges) > 1e-12 * (hi - lo)]]
    edges[-1] = hi
    if not graded:  # kinks inside panels: many low-order panels do better
        return rules.on_runs(edges[:-1], edges[1:], 1.0 / (OUTER_ORDER * h), OUTER_ORDER)[:2]
    x, w, r = rules.on_runs(edges[:-1], edges[1:], 1.0 / (rules.GAUSS_ORDER * h))
    # In 2D every kink of a chord length, such as sqrt(x - x0) near the extreme of a
    # circle, is at a break: t -> 3t^2 - 2t^3 between two breaks makes it analytic.
    a, b = edges[:-1][r], edges[1:][r]
    t = (x - a) / (b - a)
    return a + (b - a) * t * t * (3 - 2 * t), w * 6 * t * (1 - t)


def line_rule(solid, fixed: dict, inner: int, h: float, cells: int, nodes: bool = True):
    """Lines along axis ``inner`` through the bounding box; ``fixed`` maps the other axes to
    a value (a float, or None: composite Gauss over the box with node spacing ~h).

    ``nodes=True``: ``(points, weights)``; ``nodes=False``: the total measure only."""
    lo, hi = _box(solid)
    q = rules.GAUSS_ORDER
    dim = solid.dim
    grids, wgrids = [], []
    for axis in range(dim):
        if axis == inner:
            continue
        if fixed.get(axis) is not None:
            grids.append(np.array([fixed[axis]]))
            wgrids.append(np.ones(1))
        else:
            x, w = outer_rule(lo[axis], hi[axis], breakpoints(solid, axis), h, dim == 2)
            grids.append(x)
            wgrids.append(w)
    others = [a for a in range(dim) if a != inner]
    if others:
        mesh = np.meshgrid(*grids, indexing="ij")
        base = np.zeros((mesh[0].size, dim))
        for a, m in zip(others, mesh):
            base[:, a] = m.ravel()
        w_out = np.prod(np.meshgrid(*wgrids, indexing="ij"), axis=0).ravel()
    else:
        base, w_out = np.zeros((1, dim)), np.ones(1)

    def label(li, s):
        p = base[li].copy()
        p[:, inner] = s
        return solid.contains(p).astype(int)

    line, s0, s1, _ = rules.runs(label, base.shape[0], lo[inner], hi[inner], cells)
    if not nodes:
        return float(np.sum(w_out[line] * (s1 - s0)))
    s, w, r = rules.on_runs(s0, s1, 1.0 / (q * h))
    points = base[line[r]].copy()
    points[:, inner] = s
    return points, w_out[line[r]] * w


def volume(solid) -> float:
    """Measure of the solid. 1D and 2D: the divergence theorem, ``V = sum over the boundary
    of (p - c) . n / dim`` with the boundary's Gauss rule (exact to rounding); 3D: a fine
    line rule (see the module doc)."""
    lo, hi = _box(solid)
    if solid.dim < 3:
        if boundary.measure(solid, boundary.WholeBoundary()) == 0:
            return 0.0  # e.g. a shape minus itself
        p, w, n = boundary.quadrature(solid, boundary.WholeBoundary(), 4096)
        return float(np.sum(w * np.sum((p - (lo + hi) / 2) * n, axis=1)) / solid.dim)
    ext = hi - lo
    cells = solid.cells(float(ext[0]), 128, 512)
    return line_rule(solid, {}, 0, max(ext[1:]) / 128, cells, nodes=False)


def domain_rule(solid, n: int = 4096):
    """``(points, weights)`` of about ``n * volume / box volume`` nodes over the solid."""
    lo, hi = _box(solid)
    h = (float(np.prod(hi - lo)) / max(int(n), 1)) ** (1.0 / solid.dim)
    length = float(np.max(hi - lo))
    cells = solid.cells(length, max(128, 4 * math.ceil(length / h)), 2048)
    inner = 0 if solid.dim == 3 else solid.dim - 1
    return line_rule(solid, {}, inner, h, cells)


def section_rule(solid, section: Section, n: int = 1024):
    """``(points, weights)`` on the cut ``x[axis] = value`` of the solid (a point in 1D
    with weight 1, a line in 2D, a plane in 3D)."""
    axis = int(section.axis)
    if not 0 <= axis < solid.dim:
        raise ValueError(f"section axis {axis} does not exist in {solid.dim}D")
    v = solid.resolve(section.value)
    lo, hi = _box(solid)
    if solid.dim == 1:
        p = np.array([[v]])
        points, weights = (p, np.ones(1)) if solid.contains(p)[0] else (p[:0], np.zeros(0))
    else:
        free = [a for a in range(solid.dim) if a != axis]
        area = float(np.prod([hi[a] - lo[a] for a in free]))
        h = (area / max(int(n), 1)) ** (1.0 / len(free))
        inner = free[-1]
        length = float(hi[inner] - lo[inner])
        cells = solid.cells(length, max(256, 4 * math.ceil(length / h)), 4096)
        points, weights = line_rule(solid, {axis: v}, inner, h, cells)
    if weights.size == 0:
        raise ValueError(f"the section x{axis} = {v:g} does not cut the domain")
    return points, weights


def _split(n: int, fractions) -> list:
    edges = [0] + [round(n * f) for f in np.cumsum(fractions)]
    return [min(b, n) - min(a, n) for a, b in zip(edges[:-1], edges[1:])]


def sample(solid, n: int, rng: np.random.Generator, method: str = "uniform", clusters=()):
    """``[n, dim]`` points in the solid. ``clusters`` are ``(targets, fraction, width)``:
    ``fraction`` of the points with density ~ exp(-distance / width) from ``targets``
    (boundary pieces: a point of them uniformly, then an exponential step along the inward
    normal, kept if inside; a :class:`~mpinn.ir.regions.Plane`: two-sided along its axis;
    a target chosen uniformly per point); the rest uniform (``method``)."""
    clusters = [(tuple(t) if isinstance(t, (tuple, list)) else (t,), f, w) for t, f, w in clusters]
    counts = _split(int(n), [f for _, f, _ in clusters])
    parts = [_uniform(solid, int(n) - sum(counts), rng, method)]
    for (targets, _, width), m in zip(clusters, counts):
        parts.append(_clustered(solid, m, targets, float(width), rng))
    out = np.concatenate(parts)
    return out[rng.permutation(out.shape[0])] if len(parts) > 1 else out


def _uniform(solid, n: int, rng, method: str) -> np.ndarray:
    """Rejection from the bounding box, in batches until n points are inside."""
    lo, hi = _box(solid)
    got, have, drawn = [np.zeros((0, solid.dim))], 0, 0
    engine = None
    if method == "sobol" and n:
        engine = rules.sobol(solid.dim, rng)
    elif method not in ("uniform", "sobol"):
        raise ValueError(f"method must be 'uniform' or 'sobol', got {method!r}")
    while have < n:
        if drawn >= MAX_DRAWS:
            raise RuntimeError(
                f"could not sample the domain: {have} of {drawn} candidates fell inside "
                "(it fills too little of its bounding box, or nothing)"
            )
        if engine is not None:  # doubling keeps the Sobol' points a power of two
            size = engine.num_generated or 2 ** math.ceil(math.log2(1.3 * n + 1))
            u = engine.random_base2(int(math.log2(size)))
        else:
            accept = max(have / drawn, 1e-3) if drawn else 0.5
            u = rng.random((min(int((n - have) / accept * 1.1) + 16, 1 << 20), solid.dim))
        x = lo + (hi - lo) * u
        x = x[solid.contains(x)]
        got.append(x)
        have, drawn = have + x.shape[0], drawn + u.shape[0]
    return np.concatenate(got)[:n]


def _two_sided(u, side, c, width, lo, hi):
    """Density ~ exp(-|x - c| / width) on [lo, hi]."""
    mass_lo, mass_hi = -math.expm1(-(c - lo) / width), -math.expm1(-(hi - c) / width)
    upper = side < mass_hi / (mass_lo + mass_hi)
    return np.where(
        upper,
        c + rules.truncated_exponential(u, width, hi - c),
        c - rules.truncated_exponential(u, width, c - lo),
    )


def _clustered(solid, m: int, targets: tuple, width: float, rng) -> np.ndarray:
    pieces = tuple(t for t in targets if not isinstance(t, Plane))
    groups = ([pieces] if pieces else []) + [t for t in targets if isinstance(t, Plane)]
    counts = np.bincount(rng.integers(len(groups), size=m), minlength=len(groups))
    lo, hi = _box(solid)
    reach = float(np.linalg.norm(hi - lo))
    out = [np.zeros((0, solid.dim))]
    for group, k in zip(groups, counts):
        have = 0
        for _ in range(MAX_ROUNDS):
            if have >= k:
                break
            size = int((k - have) * 1.3) + 8
            if isinstance(group, Plane):
                x = lo + (hi - lo) * rng.random((size, solid.dim))
                a = group.axis
                x[:, a] = _two_sided(
                    rng.random(size), rng.random(size), group.value, width, lo[a], hi[a]
                )
            else:
                p, normal = solid.sample_boundary(group, size, rng)
                d = rules.truncated_exponential(rng.random(size), width, reach)
                x = p - d[:, None] * normal
            x = x[solid.contains(x)][: k - have]
            out.append(x)
            have += x.shape[0]
        else:
            raise RuntimeError("could not place the clustered points inside the domain")
    return np.concatenate(out)
