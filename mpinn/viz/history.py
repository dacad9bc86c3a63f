"""The training history plot (``loss.png``): losses (and the validation residual) on the
left, the L2 errors on the right, against the step, with the step whose state is reported
marked on both (and the best and the last state, when metrics.json names them)."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import numpy as np

from .figure import new_figure
from .scales import set_log_y

#: Log-axis span of the history: a loss falling 12 decades is still shown whole.
HISTORY_SPAN = 1e12


def read_history(path: Path) -> list:
    with open(path, newline="") as fh:
        return list(csv.DictReader(fh))


def read_metrics(path: Path) -> dict:
    """metrics.json as a dict; {} when it is missing or unreadable (plots still draw)."""
    try:
        data = json.loads(Path(path).read_text())
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def series(history: list, column: str) -> tuple:
    """``(steps, values)`` of the rows where ``column`` has a value (L2 and the validation
    residual are not on every row)."""
    pts = [
        (float(r["step"]), float(r[column]))
        for r in history
        if r.get(column) not in ("", None) and r.get("step") not in ("", None)
    ]
    return (np.array([p[0] for p in pts]), np.array([p[1] for p in pts]))


def _plot(ax, steps, values, **style):
    """A history line; a series of one to three points gets markers, or it would not show."""
    if len(steps) <= 3:
        style = {"marker": "o", "ms": 3, **style}
    return ax.plot(steps, values, **style)[0]


def _int_step(entry) -> int | None:
    step = entry.get("step") if isinstance(entry, dict) else entry
    return step if isinstance(step, int) and not isinstance(step, bool) else None


def marks(metrics: dict) -> list:
    """``[(step, label, is_reported)]``: the reported step (``reported_step``; for older
    run directories ``model_step``, the step the reported fields come from), the best and
    the last state. Marks on one step share a label, e.g. ``"reported = best (step 900)"``.
    """
    reported = metrics.get("reported_step", metrics.get("model_step"))
    named: dict = {}
    for name, entry in (
        ("reported", reported),
        ("best", metrics.get("best")),
        ("last", metrics.get("last")),
    ):
        step = _int_step(entry)
        if step is not None:
            named.setdefault(step, []).append(name)
    return [
        (step, " = ".join(names) + f" (step {step})", "reported" in names)
        for step, names in sorted(named.items())
    ]


def _draw_marks(axes, metrics: dict) -> None:
    for step, label, reported in marks(metrics):
        style = (
            {"color": "crimson", "ls": "-", "lw": 1.3}
            if reported
            else {"color": "0.45", "ls": ":", "lw": 1.3}
        )
        for i, ax in enumerate(axes):
            ax.axvline(step, label=label if i == 0 else None, zorder=1, **style)


def _loss_panel(ax, history: list, columns: list) -> None:
    values = []
    lines = [("loss", "weighted total", {"color": "k", "lw": 2})]
    lines += [(c, c[5:-1], {"lw": 1}) for c in columns if c.startswith("loss[")]
    if "validation" in columns:
        lines.append(("validation", "validation residual", {"color": "k", "ls": "--", "lw": 1.5}))
    for column, label, style in lines:
        if column in columns:
            steps, v = series(history, column)
            _plot(ax, steps, v, label=label, **style)
            values.append(v)
    set_log_y(ax, values, span=HISTORY_SPAN, quantile=0.0)
    ax.set_xlabel("step"), ax.set_ylabel("mean squared residual"), ax.set_title("losses")


def _l2_panel(ax, history: list, columns: list, metrics: dict) -> None:
    values = []
    reported = [m[0] for m in marks(metrics) if m[2]]
    final = metrics.get("l2") if isinstance(metrics.get("l2"), dict) else {}
    for c in (c for c in columns if c.startswith("l2[")):
        field = c[3:-1]
        steps, v = series(history, c)
        value = final.get(field)
        known = reported and isinstance(value, (int, float)) and np.isfinite(value)
        label = f"{field} (reported {value:.2e})" if known else field
        line = _plot(ax, steps, v, label=label)
        values.append(v)
        if known:
            ax.plot(reported, [value], "o", mfc="none", color=line.get_color(), zorder=3)
            values.append(np.array([value]))
    set_log_y(ax, values, span=HISTORY_SPAN, quantile=0.0)
    ax.set_xlabel("step"), ax.set_ylabel("relative L2 error"), ax.set_title("error")


def history_figure(history: list, metrics: dict | None = None):
    """The figure of ``loss.png`` from the rows of history.csv and metrics.json."""
    metrics = metrics or {}
    columns = list(history[0]) if history else []
    has_l2 = any(c.startswith("l2[") for c in columns)
    fig, axes = new_figure(
        1,
        2 if has_l2 else 1,
        figsize=(12 if has_l2 else 6.5, 4.2),
        squeeze=False,
        layout="tight",
        sharex=True,
    )
    axes = list(axes[0])
    _loss_panel(axes[0], history, columns)
    if has_l2:
        _l2_panel(axes[1], history, columns, metrics)
    _draw_marks(axes, metrics)
    for ax in axes:
        ax.legend(fontsize=7)
    return fig
