"""Field plots of time-dependent problems (the time is the last dimension of the grid).

1D in space: ``<field>.png``, snapshots at a few times from the start to the final time
(PINN coloured by time, reference dashed; ``|error|`` at the same times on a log axis),
and ``<field>_spacetime.png``, maps over (x, t) — x horizontal, t vertical — of the PINN,
the reference and the signed error. 2D in space: ``<field>.png``, a grid of heat maps with
one column per time and one row each for the PINN, the reference and the signed error.
Every title says which times it shows.
"""

from __future__ import annotations

import numpy as np

from .fields import map_panel, map_panels, maps_figure
from .figure import new_figure
from .grid import Grid, fmt, time_levels
from .scales import ERROR_CMAP, VALUES_CMAP, max_abs, set_log_y, shared_norm, signed_norm

SNAPSHOTS_1D = 5
SNAPSHOTS_2D = 5


def _times(grid: Grid, levels: list) -> str:
    return f"{grid.time} = " + ", ".join(fmt(grid.t[i]) for i in levels)


def _colours(n: int) -> list:
    from matplotlib import colormaps

    cmap = colormaps["viridis"]
    return [cmap(0.85 * i / max(n - 1, 1)) for i in range(n)]


def snapshots_1d(grid: Grid, field: str):
    """1D in space: the field at a few times, and ``|error|`` at the same times."""
    pred, ref = grid.pred(field), grid.ref(field)
    x, xn = grid.axis(grid.space[0]), grid.space[0]
    levels = time_levels(len(grid.t), SNAPSHOTS_1D)
    fig, axs = new_figure(
        1, 1 if ref is None else 2, figsize=(11, 3.9), squeeze=False, layout="tight"
    )
    for i, colour in zip(levels, _colours(len(levels))):
        axs[0, 0].plot(x, pred[:, i], color=colour, label=f"{grid.time} = {fmt(grid.t[i])}")
        if ref is not None:
            axs[0, 0].plot(x, ref[:, i], "k--", lw=0.8)
            axs[0, 1].plot(x, np.abs(pred[:, i] - ref[:, i]), color=colour)
    if ref is not None:
        axs[0, 0].plot([], [], "k--", lw=0.8, label="reference")
        err = np.abs(pred - ref)[:, levels]
        set_log_y(axs[0, 1], err)
        axs[0, 1].set_title(f"|error| of {field} (max {max_abs(err):.2e})", fontsize=9)
        axs[0, 1].set_xlabel(xn)
    axs[0, 0].set_title(f"{field} at {_times(grid, levels)}{grid.step_note()}", fontsize=9)
    axs[0, 0].set_xlabel(xn), axs[0, 0].legend(fontsize=7)
    return fig


def spacetime_1d(grid: Grid, field: str):
    """1D in space: maps over (x, t), x horizontal and t vertical."""
    xn, t = grid.space[0], grid.t
    span = f"{grid.time} = {fmt(t[0])} to {fmt(t[-1])}"
    title = f"{field}: PINN over {xn} and {span}{grid.step_note()}"
    panels = map_panels(field, grid.pred(field), grid.ref(field), title)
    return maps_figure(panels, grid.axis(xn), t, xn, grid.time)


def _rows(field: str, pred, ref) -> list:
    """``[(label, data, norm, cmap)]`` of the snapshot grid, one norm per row kind."""
    norm = shared_norm(pred, *([] if ref is None else [ref]))
    rows = [("PINN", pred, norm, VALUES_CMAP)]
    if ref is not None:
        err = pred - ref
        rows.append(("reference", ref, norm, VALUES_CMAP))
        rows.append(("PINN − reference", err, signed_norm(err), ERROR_CMAP))
    return rows


def snapshots_2d(grid: Grid, field: str):
    """2D in space: one column per time, rows PINN / reference / signed error."""
    levels = time_levels(len(grid.t), SNAPSHOTS_2D)
    pred, ref = grid.pred(field)[..., levels], grid.ref(field)
    rows = _rows(field, pred, None if ref is None else ref[..., levels])
    (xn, yn), x, y = grid.space[:2], grid.axis(grid.space[0]), grid.axis(grid.space[1])
    fig, axs = new_figure(
        len(rows),
        len(levels),
        figsize=(3.0 * len(levels) + 1.2, 2.8 * len(rows) + 0.5),
        squeeze=False,
        layout="constrained",
    )
    for r, (label, data, norm, cmap) in enumerate(rows):
        for c, i in enumerate(levels):
            title = f"{label}, {grid.time} = {fmt(grid.t[i])}"
            im = map_panel(None, axs[r, c], x, y, data[..., c], norm, cmap, title)
        fig.colorbar(im, ax=list(axs[r]))
        axs[r, 0].set_ylabel(yn)
    for ax in axs[-1]:
        ax.set_xlabel(xn)
    where = f"{grid.plane_note()} at {_times(grid, levels)}{grid.step_note()}"
    fig.suptitle(f"{field}{where}", fontsize=10)
    return fig
