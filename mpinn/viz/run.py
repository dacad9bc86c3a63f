"""The plots of a run, drawn from the files of its directory (so `mpinn plot` can redraw).

Line plots in 1D, heat maps in 2D (the last time slice for time-dependent problems; the
middle z slice in 3D). Drawn on :func:`~mpinn.viz.figure.new_figure` figures: no pyplot,
no global backend switch.
"""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np

from .figure import new_figure


def read_history(path: Path) -> list:
    with open(path, newline="") as fh:
        return list(csv.DictReader(fh))


def _series(steps: list, history: list, column: str) -> tuple:
    """(steps, values) of the rows where ``column`` has a value (L2 is not on every row)."""
    pts = [(s, float(r[column])) for s, r in zip(steps, history) if r.get(column) not in ("", None)]
    return tuple(zip(*pts)) if pts else ((), ())


def plot_history(history: list, out: Path) -> Path:
    """Total and per-term losses (and L2 errors when present) against the step."""
    steps = [float(r["step"]) for r in history]
    cols = list(history[0]) if history else []
    loss_cols = [c for c in cols if c.startswith("loss[")]
    l2_cols = [c for c in cols if c.startswith("l2[")]
    ncols = 2 if l2_cols else 1
    fig, axes = new_figure(1, ncols, figsize=(6 * ncols, 4), squeeze=False)
    ax = axes[0, 0]
    ax.semilogy(*_series(steps, history, "loss"), "k", lw=2, label="weighted total")
    for c in loss_cols:
        ax.semilogy(*_series(steps, history, c), lw=1, label=c[5:-1])
    ax.set_xlabel("step"), ax.set_ylabel("mean squared residual"), ax.set_title("losses")
    ax.legend(fontsize=7)
    if l2_cols:
        ax = axes[0, 1]
        for c in l2_cols:
            ax.semilogy(*_series(steps, history, c), label=c[3:-1])
        ax.set_xlabel("step"), ax.set_ylabel("relative L2 error"), ax.set_title("error")
        ax.legend(fontsize=7)
    fig.tight_layout()
    path = out / "loss.png"
    fig.savefig(path, dpi=110)
    return path


def _slice(arr: np.ndarray, ndim_space: int) -> np.ndarray:
    """Reduce a grid array to 1D/2D for plotting: last time slice, middle z slice."""
    while arr.ndim > max(ndim_space, 1) or arr.ndim > 2:
        arr = arr[..., -1] if arr.ndim > ndim_space else arr[..., arr.shape[-1] // 2]
    return arr


def plot_fields(fields: dict, out: Path, space_names: list) -> list:
    """Prediction vs exact/reference and the error, one PNG per field."""
    paths = []
    names = sorted(k[5:] for k in fields if k.startswith("pred_"))
    dim = len(space_names)
    axes_vals = [fields[f"axis_{n}"] for n in space_names]
    for f in names:
        pred = _slice(fields[f"pred_{f}"], dim)
        ref = fields.get(f"exact_{f}")
        ref = _slice(ref, dim) if ref is not None else None
        if dim == 1:
            fig, axs = new_figure(1, 2 if ref is not None else 1, figsize=(10, 3.5), squeeze=False)
            x = axes_vals[0]
            axs[0, 0].plot(x, pred, label="PINN")
            if ref is not None:
                axs[0, 0].plot(x, ref, "--", label="exact/reference")
                axs[0, 1].semilogy(x, np.abs(pred - ref) + 1e-300)
                axs[0, 1].set_title(f"|error| of {f}"), axs[0, 1].set_xlabel(space_names[0])
            axs[0, 0].set_title(f), axs[0, 0].set_xlabel(space_names[0]), axs[0, 0].legend()
        else:
            x, y = axes_vals[0], axes_vals[1]
            panels = [("PINN", pred)]
            if ref is not None:
                panels += [("exact/reference", ref), ("error", pred - ref)]
            fig, axs = new_figure(1, len(panels), figsize=(4.2 * len(panels), 3.4), squeeze=False)
            for ax, (title, data) in zip(axs[0], panels):
                im = ax.pcolormesh(
                    x, y, data.T, shading="auto", cmap="RdBu_r" if title == "error" else "viridis"
                )
                fig.colorbar(im, ax=ax)
                ax.set_title(f"{f}: {title}"), ax.set_xlabel(space_names[0])
                ax.set_ylabel(space_names[1]), ax.set_aspect("auto")
        fig.tight_layout()
        path = out / f"{f}.png"
        fig.savefig(path, dpi=110)
        paths.append(path)
    return paths


def plot_profiles(fields: dict, out: Path, space_names: list) -> Path | None:
    """2D runs with an exact/reference solution: each field along the centreline (middle of
    the second coordinate) and across it at three stations of the first, PINN against
    reference — where a heat map hides a double layer, a profile shows it."""
    if len(space_names) != 2:
        return None
    names = sorted(k[5:] for k in fields if k.startswith("pred_") and f"exact_{k[5:]}" in fields)
    if not names:
        return None
    x, y = fields[f"axis_{space_names[0]}"], fields[f"axis_{space_names[1]}"]
    stations = [len(x) // 4, len(x) // 2, 3 * len(x) // 4]
    fig, axs = new_figure(len(names), 2, figsize=(10, 2.4 * len(names)), squeeze=False)
    for row, f in zip(axs, names):
        pred, ref = _slice(fields[f"pred_{f}"], 2), _slice(fields[f"exact_{f}"], 2)
        mid = len(y) // 2
        row[0].plot(x, pred[:, mid], label="PINN")
        row[0].plot(x, ref[:, mid], "k--", label="reference")
        row[0].set_title(f"{f} at {space_names[1]} = {y[mid]:.3g}")
        row[0].set_xlabel(space_names[0])
        for i, colour in zip(stations, ("C0", "C1", "C2")):
            row[1].plot(y, pred[i, :], color=colour, label=f"{space_names[0]} = {x[i]:.3g}")
            row[1].plot(y, ref[i, :], "k--", lw=0.8)
        row[1].set_title(f"{f} across {space_names[1]} (dashed: reference)")
        row[1].set_xlabel(space_names[1])
    axs[0, 0].legend(fontsize=8), axs[0, 1].legend(fontsize=8)
    fig.tight_layout()
    path = out / "profiles.png"
    fig.savefig(path, dpi=100)
    return path


def plot_run(run_dir: str | Path, dest: str | Path | None = None) -> list:
    """(Re)draw every plot of a run directory from its history.csv and fields.npz into
    ``dest`` (default ``RUN_DIR/plots``)."""
    run_dir = Path(run_dir)
    out = Path(dest) if dest is not None else run_dir / "plots"
    out.mkdir(parents=True, exist_ok=True)
    paths = []
    hist = run_dir / "history.csv"
    if hist.is_file():
        rows = read_history(hist)
        if rows:
            paths.append(plot_history(rows, out))
    npz = run_dir / "fields.npz"
    if npz.is_file():
        with np.load(npz, allow_pickle=False) as data:
            fields = {k: data[k] for k in data.files}
        space = [str(s) for s in fields.get("space_names", [])]
        paths += plot_fields(fields, out, space)
        profiles = plot_profiles(fields, out, space)
        paths += [profiles] if profiles else []
    return paths
