"""The run plots (mpinn/viz): drawn from synthetic run directories (no training) and read
back from their figures — log-axis limits, colour norms, titles, marker lines — plus one
small real run redrawn through ``mpinn plot``."""

from __future__ import annotations

import csv
import json

import numpy as np
import pytest

from mpinn.cli import main
from mpinn.viz import scales
from mpinn.viz.grid import Grid, time_levels
from mpinn.viz.history import history_figure, marks
from mpinn.viz.run import plot_run, run_figures

X = np.linspace(0.0, 1.0, 41)
T = np.linspace(0.0, 0.2, 11)
Y = np.linspace(-1.0, 1.0, 21)


def write_run(path, arrays=None, history=None, metrics=None):
    """A run directory with whichever of fields.npz / history.csv / metrics.json given."""
    path.mkdir(parents=True, exist_ok=True)
    if arrays is not None:
        np.savez(path / "fields.npz", **arrays)
    if history is not None:
        with open(path / "history.csv", "w", newline="") as fh:
            writer = csv.DictWriter(fh, fieldnames=list(history[0]))
            writer.writeheader()
            writer.writerows(history)
    if metrics is not None:
        (path / "metrics.json").write_text(json.dumps(metrics))
    return path


def steady_1d(zero_at: int = 7) -> dict:
    exact = np.sin(np.pi * X)
    pred = exact + 1e-3 * np.cos(3 * X) + 2e-3
    pred[zero_at] = exact[zero_at]  # an error of exactly 0 at one grid point
    pred[zero_at + 5] = exact[zero_at + 5] + 5e-324  # and a denormal one
    return {
        "axis_x": X,
        "pred_u": pred,
        "exact_u": exact,
        "space_names": np.array(["x"]),
        "step": np.array(100),
    }


def history_rows(n: int = 10, validation: bool = False, zero_loss: bool = False) -> list:
    rows = []
    for i in range(1, n + 1):
        step = 10 * i
        row = {"step": step, "time_s": 0.1 * i, "loss": 10.0 ** (1 - i / 3)}
        row["loss[eq_u]"] = 0.0 if (zero_loss and i == n) else 10.0 ** (-i / 3)
        row["l2[u]"] = 10.0 ** (-i / 4) if i % 2 == 0 else ""
        if validation:
            row["validation"] = 10.0 ** (0.5 - i / 3) if i % 2 == 0 else ""
        rows.append(row)
    return rows


def figures(run_dir) -> dict:
    return dict(run_figures(run_dir))


def vertical_lines(ax) -> dict:
    """{label: x} of the axvlines of ``ax`` (two equal x data, axes-spanning y)."""
    out = {}
    for line in ax.get_lines():
        xs = np.asarray(line.get_xdata(), dtype=float)
        if len(xs) == 2 and xs[0] == xs[1] and list(line.get_ydata()) == [0, 1]:
            out[line.get_label()] = float(xs[0])
    return out


# --- log axes ---------------------------------------------------------------------------
def test_log_limits_come_from_positive_finite_values_only():
    v = np.array([0.0, 5e-324, 1e-310, np.nan, np.inf, -np.inf, -3.0, 1e-3, 2e-3, 5e-2])
    lo, hi = scales.log_limits(v)
    assert 1e-12 < lo < 1e-3 and 5e-2 < hi < 1e-1
    assert scales.log_limits(np.zeros(5)) is None
    assert scales.log_limits([np.array([]), np.array([np.nan])]) is None
    lo, hi = scales.log_limits(np.full(4, 1e-2))  # all equal: still an interval around it
    assert lo < 1e-2 < hi


def test_1d_error_axis_ignores_an_exact_zero(tmp_path):
    run = write_run(tmp_path / "run", steady_1d(), history_rows(), {"model_step": 100})
    fig = figures(run)["u.png"]
    err_ax = fig.axes[1]
    lo, hi = err_ax.get_ylim()
    err = np.abs(steady_1d()["pred_u"] - steady_1d()["exact_u"])
    assert err_ax.get_yscale() == "log"
    assert lo > 1e-20 and lo > err.max() / 1e7, (lo, hi)
    assert hi >= err.max()
    assert "max 3.00e-03" in err_ax.get_title()


def test_history_axes_ignore_a_zero_loss(tmp_path):
    fig = history_figure(history_rows(zero_loss=True), {})
    for ax in fig.axes:
        assert ax.get_yscale() == "log" and ax.get_ylim()[0] > 1e-20


# --- time-dependent problems ---------------------------------------------------------------
def heat_1d() -> dict:
    exact = np.exp(-(np.pi**2) * T)[None, :] * np.sin(np.pi * X)[:, None]
    pred = exact + 1e-2 * X[:, None] * (1 + T[None, :])
    return {
        "axis_x": X,
        "axis_t": T,
        "pred_u": pred,
        "exact_u": exact,
        "space_names": np.array(["x"]),
        "step": np.array(50),
    }


def test_time_levels_include_the_start_and_the_end():
    assert time_levels(11, 5) == [0, 2, 5, 8, 10]
    assert time_levels(21, 5) == [0, 5, 10, 15, 20]
    assert time_levels(3, 5) == [0, 1, 2]


def test_time_dependent_1d_gives_snapshots_and_space_time_maps(tmp_path):
    run = write_run(tmp_path / "run", heat_1d(), history_rows())
    drawn = {p.name for p in plot_run(run)}
    assert {"loss.png", "u.png", "u_spacetime.png"} <= drawn
    assert all((run / "plots" / name).stat().st_size > 1000 for name in drawn)
    figs = figures(run)
    snap, err = figs["u.png"].axes[:2]
    assert "t = 0, 0.04, 0.1, 0.16, 0.2" in snap.get_title()
    labels = [t.get_text() for t in snap.get_legend().get_texts()]
    assert labels[0] == "t = 0" and labels[4] == "t = 0.2" and "reference" in labels
    assert err.get_yscale() == "log" and err.get_ylim()[0] > 1e-20

    pinn, ref, diff = figs["u_spacetime.png"].axes[:3]
    assert "t = 0 to 0.2" in pinn.get_title()
    assert (pinn.get_xlabel(), pinn.get_ylabel()) == ("x", "t")  # x across, t up
    coords = pinn.collections[0].get_coordinates()  # (nt + 1, nx + 1, 2) cell corners
    assert coords.shape[:2] == (len(T) + 1, len(X) + 1)
    assert pinn.collections[0].norm.vmax == ref.collections[0].norm.vmax  # one scale
    norm = diff.collections[0].norm
    assert norm.vmin == -norm.vmax
    assert norm.vmax == pytest.approx(np.abs(heat_1d()["pred_u"] - heat_1d()["exact_u"]).max())


def test_time_dependent_2d_gives_a_row_of_snapshots_per_kind(tmp_path):
    xx, yy, tt = np.meshgrid(X, Y, T, indexing="ij")
    exact = np.exp(-tt) * np.sin(np.pi * xx) * np.cos(np.pi * yy / 2)
    arrays = {
        "axis_x": X,
        "axis_y": Y,
        "axis_t": T,
        "pred_u": exact + 0.01 * xx,
        "exact_u": exact,
        "space_names": np.array(["x", "y"]),
    }
    figs = figures(write_run(tmp_path / "run", arrays))
    assert set(figs) == {"u.png", "profiles.png"}
    fig = figs["u.png"]
    maps = [ax for ax in fig.axes if ax.get_title()]  # not the colour bars
    assert len(maps) == 3 * 5  # PINN, reference, error at five times
    titles = [ax.get_title() for ax in maps]
    assert titles[0] == "PINN, t = 0" and titles[4] == "PINN, t = 0.2"
    assert titles[-1] == "PINN − reference, t = 0.2"
    assert "t = 0, 0.04, 0.1, 0.16, 0.2" in fig.get_suptitle()
    for ax in maps[10:]:
        assert ax.collections[0].norm.vmin == -ax.collections[0].norm.vmax
    assert "t = 0.2 (final)" in figs["profiles.png"].axes[0].get_title()


# --- 2D error maps -----------------------------------------------------------------------
def test_2d_error_map_is_signed_and_centred_at_zero(tmp_path):
    xx, yy = np.meshgrid(X, Y, indexing="ij")
    exact = np.sin(np.pi * xx) * yy
    pred = exact + 0.03 * xx - 0.01  # errors from -0.01 to 0.02: asymmetric on purpose
    arrays = {
        "axis_x": X,
        "axis_y": Y,
        "pred_u": pred,
        "exact_u": exact,
        "space_names": np.array(["x", "y"]),
    }
    figs = figures(write_run(tmp_path / "run", arrays))
    pinn, ref, diff = [ax for ax in figs["u.png"].axes if ax.get_title()]
    mesh = diff.collections[0]
    assert mesh.norm.vmin == -mesh.norm.vmax == pytest.approx(-0.02)
    assert mesh.get_cmap().name == "RdBu_r"
    assert pinn.collections[0].get_cmap().name == "viridis"
    assert (pinn.collections[0].norm.vmin, pinn.collections[0].norm.vmax) == (
        ref.collections[0].norm.vmin,
        ref.collections[0].norm.vmax,
    )
    assert float(np.ma.min(mesh.get_array())) == pytest.approx(-0.01)  # signed, not |e|


# --- history marks -----------------------------------------------------------------------
def test_history_marks_the_reported_best_and_last_steps(tmp_path):
    metrics = {
        "reported_step": 60,
        "best": {"step": 60, "validation": 0.1},
        "last": {"step": 100},
        "model_step": 100,
        "l2": {"u": 0.02},
    }
    run = write_run(tmp_path / "run", history=history_rows(validation=True), metrics=metrics)
    loss_ax, l2_ax = figures(run)["loss.png"].axes
    assert vertical_lines(loss_ax) == {"reported = best (step 60)": 60.0, "last (step 100)": 100.0}
    assert sorted(vertical_lines(l2_ax).values()) == [60.0, 100.0]
    labels = [line.get_label() for line in loss_ax.get_lines()]
    assert "validation residual" in labels
    steps, values = next(
        (line.get_xdata(), line.get_ydata())
        for line in loss_ax.get_lines()
        if line.get_label() == "validation residual"
    )
    assert list(steps) == [20, 40, 60, 80, 100] and len(values) == 5
    legend = [t.get_text() for t in l2_ax.get_legend().get_texts()]
    assert legend == ["u (reported 2.00e-02)"]

    apart = marks({"reported_step": 60, "best": {"step": 40}, "last": {"step": 100}})
    assert apart == [
        (40, "best (step 40)", False),
        (60, "reported (step 60)", True),
        (100, "last (step 100)", False),
    ]


def test_old_run_directories_still_plot(tmp_path):
    # no validation column, no reported_step/best/last; the step of the fields is marked
    old = write_run(tmp_path / "old", steady_1d(), history_rows(), {"model_step": 100})
    assert {p.name for p in plot_run(old)} == {"loss.png", "u.png"}
    loss_ax = figures(old)["loss.png"].axes[0]
    assert vertical_lines(loss_ax) == {"reported (step 100)": 100.0}
    assert "validation residual" not in [line.get_label() for line in loss_ax.get_lines()]
    # no metrics.json at all, no step in fields.npz, no L2 column
    arrays = {k: v for k, v in steady_1d().items() if k != "step"}
    rows = [{k: v for k, v in r.items() if k != "l2[u]"} for r in history_rows()]
    bare = write_run(tmp_path / "bare", arrays, rows)
    assert {p.name for p in plot_run(bare, tmp_path / "elsewhere")} == {"loss.png", "u.png"}
    (loss_ax,) = figures(bare)["loss.png"].axes
    assert vertical_lines(loss_ax) == {}
    assert Grid.from_arrays(arrays).step is None


# --- end to end ----------------------------------------------------------------------------
def test_mpinn_plot_redraws_a_real_run(tmp_path, monkeypatch):
    monkeypatch.setenv("OMP_NUM_THREADS", "1")
    run = tmp_path / "run"
    args = ["solve", "coupled_sym", "--steps", "20", "--threads", "1", "--quiet"]
    assert main(args + ["--out", str(run), "--set", "net.width=8"]) == 0
    for png in (run / "plots").glob("*.png"):
        png.unlink()
    assert main(["plot", str(run)]) == 0
    assert {p.name for p in (run / "plots").glob("*.png")} >= {"loss.png", "u.png", "v.png"}
    figs = figures(run)
    assert figs["u.png"].axes[1].get_ylim()[0] > 1e-20
    metrics = json.loads((run / "metrics.json").read_text())
    reported = metrics.get("reported_step", metrics.get("model_step"))
    assert reported in vertical_lines(figs["loss.png"].axes[0]).values()
