"""Numerical building blocks of :mod:`mpinn.shapes`: Gauss–Legendre rules, the runs of a
labelled line found by bisection, unit random numbers and count splitting.

All arrays are float64 numpy arrays. A *line* is parametrised by ``s`` in ``[a, b]``; a
*label* function gives every point of a batch of lines an integer (0 = outside, anything
else = inside with that label, e.g. the orientation +1/-1 of a boundary normal).
"""

from __future__ import annotations

import math

import numpy as np

GAUSS_ORDER = 8  # nodes per panel of the composite rules
BISECTIONS = 54  # halvings of a grid cell: down to the float64 resolution of the cell


def gauss(q: int = GAUSS_ORDER) -> tuple[np.ndarray, np.ndarray]:
    """Gauss–Legendre nodes and weights on ``[0, 1]`` (weights sum to 1)."""
    x, w = np.polynomial.legendre.leggauss(q)
    return (x + 1.0) / 2.0, w / 2.0


def composite(a: float, b: float, panels: int, q: int = GAUSS_ORDER):
    """Composite Gauss–Legendre rule on ``[a, b]``: ``(nodes, weights)``."""
    edges = np.linspace(a, b, int(panels) + 1)
    h = np.diff(edges)
    x, w = gauss(q)
    return (edges[:-1, None] + h[:, None] * x).ravel(), (h[:, None] * w).ravel()


def on_runs(starts, ends, panels_per_unit: float, q: int = GAUSS_ORDER):
    """Composite Gauss–Legendre rule on each run ``[starts[i], ends[i]]`` (at least one panel
    each, about ``panels_per_unit`` panels per unit length): ``(s, weights, run index)``."""
    starts, ends = np.asarray(starts, float), np.asarray(ends, float)
    if starts.size == 0:
        return np.zeros(0), np.zeros(0), np.zeros(0, dtype=int)
    length = ends - starts
    panels = np.maximum(1, np.ceil(length * panels_per_unit - 1e-9)).astype(int)
    run = np.repeat(np.arange(starts.size), panels)
    first = np.cumsum(panels) - panels
    k = np.arange(run.size) - first[run]  # panel index inside its run
    h = length[run] / panels[run]
    x, w = gauss(q)
    s = (starts[run] + k * h)[:, None] + h[:, None] * x
    wt = h[:, None] * w
    return s.ravel(), wt.ravel(), np.repeat(run, q)


CHUNK = 1 << 21  # label evaluations per batch of lines (bounds the memory of runs)


def runs(label_fn, lines: int, a: float, b: float, cells: int):
    """The maximal runs of constant non-zero label on each of ``lines`` lines ``s in [a, b]``.

    ``label_fn(line_index [k], s [k]) -> int [k]``. The label is evaluated on a grid of
    ``cells`` cells per line; where neighbours differ the change point is bisected to
    float64 resolution (features shorter than a cell can be missed). Returns
    ``(line, start, end, label)`` arrays, ordered by line then position; runs of zero
    length are dropped. Lines are processed in batches of about ``CHUNK`` evaluations.
    """
    step = max(1, CHUNK // (cells + 1))
    parts = [
        _runs(label_fn, np.arange(i, min(i + step, lines)), a, b, cells)
        for i in range(0, lines, step)
    ]
    if not parts:
        return np.zeros(0, int), np.zeros(0), np.zeros(0), np.zeros(0, int)
    return tuple(np.concatenate(col) for col in zip(*parts))


def _runs(label_fn, ids: np.ndarray, a: float, b: float, cells: int):
    """:func:`runs` for the lines ``ids``."""
    lines = ids.size
    grid = np.linspace(a, b, cells + 1)
    line = np.repeat(ids, cells + 1)
    lab = np.asarray(label_fn(line, np.tile(grid, lines)), dtype=int).reshape(lines, cells + 1)
    lo_lab, hi_lab = lab[:, :-1], lab[:, 1:]
    change = lo_lab != hi_lab
    li, ci = np.nonzero(change)
    lo, hi = grid[ci].copy(), grid[ci + 1].copy()
    want = lo_lab[li, ci]
    for _ in range(BISECTIONS if li.size else 0):
        mid = 0.5 * (lo + hi)
        same = np.asarray(label_fn(ids[li], mid), dtype=int) == want
        lo = np.where(same, mid, lo)
        hi = np.where(same, hi, mid)
    cut = np.full((lines, cells), np.nan)
    cut[li, ci] = 0.5 * (lo + hi)
    # Every cell gives one piece [s_j, s_j+1] (label unchanged) or two pieces split at the
    # change point; consecutive pieces of one line with one label are then merged.
    left = np.broadcast_to(grid[:-1], (lines, cells))
    right = np.broadcast_to(grid[1:], (lines, cells))
    mid = np.where(change, cut, right)
    p_line = np.stack([np.arange(lines)[:, None].repeat(cells, 1)] * 2, axis=2).reshape(-1)
    p_start = np.stack([left, mid], axis=2).reshape(-1)
    p_end = np.stack([mid, right], axis=2).reshape(-1)
    p_lab = np.stack([lo_lab, hi_lab], axis=2).reshape(-1)
    keep = p_end > p_start  # the second piece of an unchanged cell is empty
    p_line, p_start, p_end, p_lab = p_line[keep], p_start[keep], p_end[keep], p_lab[keep]
    new = np.ones(p_line.size, dtype=bool)
    new[1:] = (p_line[1:] != p_line[:-1]) | (p_lab[1:] != p_lab[:-1])
    idx = np.flatnonzero(new)
    last = np.r_[idx[1:], p_line.size] - 1
    r_line, r_start, r_end, r_lab = p_line[idx], p_start[idx], p_end[last], p_lab[idx]
    ok = (r_lab != 0) & (r_end - r_start > 1e-13 * (b - a))
    return ids[r_line[ok]], r_start[ok], r_end[ok], r_lab[ok]


def unit(n: int, d: int, rng: np.random.Generator, method: str = "uniform") -> np.ndarray:
    """``[n, d]`` numbers in ``[0, 1)``: independent uniforms, or (``method="sobol"``) the
    first n points of a scrambled Sobol' sequence seeded from ``rng``."""
    if n == 0 or d == 0:
        return np.zeros((n, d))
    if method == "sobol":
        return sobol(d, rng).random_base2(max(0, math.ceil(math.log2(n))))[:n]
    if method != "uniform":
        raise ValueError(f"method must be 'uniform' or 'sobol', got {method!r}")
    return rng.random((n, d))


def sobol(d: int, rng: np.random.Generator):
    """A scrambled ``scipy.stats.qmc.Sobol`` engine seeded from ``rng``."""
    from scipy.stats import qmc  # only when asked for: scipy is slow to import

    try:
        return qmc.Sobol(d, scramble=True, rng=rng)
    except TypeError:  # scipy < 1.15 calls it seed
        return qmc.Sobol(d, scramble=True, seed=rng)


def largest_remainder(measures, n: int) -> np.ndarray:
    """Split ``n`` in proportion to ``measures`` (largest remainder; zero measure gets 0)."""
    m = np.asarray(measures, dtype=float)
    if n == 0 or m.sum() <= 0:
        return np.zeros(m.size, dtype=int)
    exact = n * m / m.sum()
    counts = np.floor(exact).astype(int)
    order = np.argsort(-(exact - counts), kind="stable")
    counts[order[: n - counts.sum()]] += 1
    return counts


def truncated_exponential(u: np.ndarray, width: float, extent: float) -> np.ndarray:
    """Inverse CDF of Exp(scale=width) truncated to ``[0, extent]``."""
    return -width * np.log1p(u * math.expm1(-extent / width))
