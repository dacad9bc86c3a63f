"""Field plots of steady problems: the prediction against the exact/reference solution
and the error, one figure per field (``<field>.png``), plus the 2D profiles.

1D: the curves, and ``|error|`` on a log axis whose limits come from the positive errors.
2D (the middle slice in 3D): heat maps of the prediction and the reference on one
sequential colour scale, and the signed error ``PINN − reference`` on a diverging map
centred at zero.
"""

from __future__ import annotations

import numpy as np

from .figure import new_figure
from .grid import Grid, fmt
from .scales import ERROR_CMAP, VALUES_CMAP, max_abs, set_log_y, shared_norm, signed_norm


def error_title(field: str, error: np.ndarray) -> str:
    return f"{field}: PINN − reference (max |e| {max_abs(error):.2e})"


def line_figure(grid: Grid, field: str):
    """1D: PINN and reference, and ``|PINN − reference|`` on a log axis."""
    pred, ref = grid.pred(field), grid.ref(field)
    x, name = grid.axis(grid.space[0]), grid.space[0]
    fig, axs = new_figure(
        1, 1 if ref is None else 2, figsize=(11, 3.8), squeeze=False, layout="tight"
    )
    ax = axs[0, 0]
    ax.plot(x, pred, label="PINN")
    if ref is not None:
        ax.plot(x, ref, "k--", lw=1, label="exact/reference")
        err = np.abs(pred - ref)
        axs[0, 1].plot(x, err)
        set_log_y(axs[0, 1], err)
        axs[0, 1].set_title(f"|error| of {field} (max {max_abs(err):.2e})")
        axs[0, 1].set_xlabel(name)
    ax.set_title(f"{field}{grid.step_note()}"), ax.set_xlabel(name), ax.legend(fontsize=8)
    return fig


def map_panel(fig, ax, x, y, data, norm, cmap: str, title: str):
    """One heat map of ``data[ix, iy]`` (x horizontal), with its colour bar unless ``fig``
    is None (the caller draws one bar for a row)."""
    im = ax.pcolormesh(x, y, np.asarray(data).T, shading="auto", cmap=cmap, norm=norm)
    if fig is not None:
        fig.colorbar(im, ax=ax, fraction=0.046, pad=0.04)
    ax.set_title(title, fontsize=9)
    return im


def map_panels(field: str, pred, ref, title: str) -> list:
    """``[(data, norm, cmap, title)]``: PINN and reference on one sequential scale, then
    the signed error on a diverging scale symmetric about zero."""
    norm = shared_norm(pred, *([] if ref is None else [ref]))
    panels = [(pred, norm, VALUES_CMAP, title)]
    if ref is not None:
        err = pred - ref
        panels.append((ref, norm, VALUES_CMAP, f"{field}: reference"))
        panels.append((err, signed_norm(err), ERROR_CMAP, error_title(field, err)))
    return panels


def maps_figure(panels: list, x, y, xlabel: str, ylabel: str, equal: bool = False):
    """One row of heat maps (:func:`map_panels`) over the axes ``x`` and ``y``; ``equal``:
    true proportions (a domain built from shapes), the figure sized to fit them."""
    height = 3.6
    if equal:
        ratio = (y[-1] - y[0]) / (x[-1] - x[0]) if x[-1] != x[0] else 1.0
        height = min(6.0, max(2.0, 3.6 * ratio + 1.0))
    fig, axs = new_figure(
        1, len(panels), figsize=(4.4 * len(panels), height), squeeze=False, layout="tight"
    )
    for ax, (data, norm, cmap, title) in zip(axs[0], panels):
        if equal:
            ax.set_aspect("equal")
        map_panel(fig, ax, x, y, data, norm, cmap, title)
        ax.set_xlabel(xlabel), ax.set_ylabel(ylabel)
    return fig


def map_figure(grid: Grid, field: str):
    """2D: PINN, reference (one sequential scale) and the signed error (diverging, ±max)."""
    xn, yn = grid.space[:2]
    title = f"{field}: PINN{grid.plane_note()}{grid.step_note()}"
    panels = map_panels(field, grid.pred(field), grid.ref(field), title)
    # a domain built from shapes: true proportions, so a disk looks like one
    return maps_figure(panels, grid.axis(xn), grid.axis(yn), xn, yn, equal=grid.shaped)


def profiles_figure(grid: Grid):
    """2D with a reference: each field along the centreline (middle of the second
    coordinate) and across it at three stations of the first, PINN against reference —
    where a heat map hides a double layer, a profile shows it. Time-dependent problems
    are shown at the final time. None when there is nothing to draw."""
    names = [f for f in grid.fields if grid.ref(f) is not None]
    if grid.dim < 2 or not names:
        return None
    (xn, yn), when = grid.space[:2], grid.plane_note()
    x, y = grid.axis(xn), grid.axis(yn)
    if grid.time is not None:
        when += f", {grid.time} = {fmt(grid.t[-1])} (final)"
    stations, mid = [len(x) // 4, len(x) // 2, 3 * len(x) // 4], len(y) // 2
    fig, axs = new_figure(
        len(names), 2, figsize=(10, 2.5 * len(names) + 0.4), squeeze=False, layout="tight"
    )
    for row, f in zip(axs, names):
        pred, ref = _final(grid, grid.pred(f)), _final(grid, grid.ref(f))
        row[0].plot(x, pred[:, mid], label="PINN")
        row[0].plot(x, ref[:, mid], "k--", label="reference")
        row[0].set_title(f"{f} at {yn} = {fmt(y[mid])}{when}", fontsize=9)
        row[0].set_xlabel(xn)
        for i, colour in zip(stations, ("C0", "C1", "C2")):
            row[1].plot(y, pred[i, :], color=colour, label=f"{xn} = {fmt(x[i])}")
            row[1].plot(y, ref[i, :], "k--", lw=0.8)
        row[1].set_title(f"{f} across {yn}{when} (dashed: reference)", fontsize=9)
        row[1].set_xlabel(yn)
    axs[0, 0].legend(fontsize=8), axs[0, 1].legend(fontsize=8)
    return fig


def _final(grid: Grid, a: np.ndarray) -> np.ndarray:
    return a[..., -1] if grid.time is not None else a
