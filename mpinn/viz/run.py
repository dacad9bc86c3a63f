"""The plots of a run, drawn from the files of its directory (so `mpinn plot` can redraw).

``loss.png`` (:mod:`.history`) from history.csv and metrics.json (and ``unknowns.png``,
:mod:`.unknowns`, for an inverse problem); one ``<field>.png`` per
field from fields.npz — steady problems by :mod:`.fields` (curves in 1D, heat maps in 2D,
the middle slice in 3D, ``profiles.png`` for 2D runs with a reference), time-dependent
ones by :mod:`.transient` (snapshots at several times, and ``<field>_spacetime.png`` maps
in 1D). Every plot is built as a :class:`matplotlib.figure.Figure` first
(:func:`run_figures`), so tests can inspect it, then saved by :func:`plot_run`.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np

from .fields import line_figure, map_figure, profiles_figure
from .figure import save
from .grid import Grid
from .history import history_figure, read_history, read_metrics
from .transient import snapshots_1d, snapshots_2d, spacetime_1d
from .unknowns import unknowns_figure

__all__ = ["field_figures", "plot_run", "read_history", "run_figures"]


def load_grid(path: Path) -> Grid:
    with np.load(path, allow_pickle=False) as data:
        return Grid.from_arrays({k: data[k] for k in data.files})


def field_figures(grid: Grid) -> Iterator:
    """``(file name, figure)`` for every field plot of ``grid``."""
    if grid.dim == 0:
        return
    for f in grid.fields:
        if grid.time is None:
            yield f"{f}.png", (line_figure if grid.dim == 1 else map_figure)(grid, f)
        elif grid.dim == 1:
            yield f"{f}.png", snapshots_1d(grid, f)
            yield f"{f}_spacetime.png", spacetime_1d(grid, f)
        else:
            yield f"{f}.png", snapshots_2d(grid, f)
    profiles = profiles_figure(grid)
    if profiles is not None:
        yield "profiles.png", profiles


def run_figures(run_dir: str | Path) -> Iterator:
    """``(file name, figure)`` for every plot of a run directory, one at a time."""
    run_dir = Path(run_dir)
    hist = run_dir / "history.csv"
    rows = read_history(hist) if hist.is_file() else []
    if rows:
        metrics = read_metrics(run_dir / "metrics.json")
        yield "loss.png", history_figure(rows, metrics)
        found = unknowns_figure(rows, metrics)
        if found is not None:
            yield "unknowns.png", found
    npz = run_dir / "fields.npz"
    if npz.is_file():
        yield from field_figures(load_grid(npz))


def plot_run(run_dir: str | Path, dest: str | Path | None = None) -> list:
    """(Re)draw every plot of a run directory from its history.csv, metrics.json and
    fields.npz into ``dest`` (default ``RUN_DIR/plots``); returns the written paths."""
    run_dir = Path(run_dir)
    out = Path(dest) if dest is not None else run_dir / "plots"
    out.mkdir(parents=True, exist_ok=True)
    return [save(fig, out / name) for name, fig in run_figures(run_dir)]
