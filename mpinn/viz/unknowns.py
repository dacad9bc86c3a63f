"""``unknowns.png`` of an inverse problem: each unknown parameter against the step (from the
``unknown[NAME]`` columns of history.csv), its initial guess dashed and the reported
estimate marked (metrics.json ``unknowns``)."""

from __future__ import annotations

from .figure import new_figure
from .history import series


def unknowns_figure(history: list, metrics: dict | None = None):
    """The figure, or None when the run has no unknowns."""
    names = [c[8:-1] for c in (history[0] if history else {}) if c.startswith("unknown[")]
    if not names:
        return None
    metrics = metrics or {}
    reported = metrics.get("unknowns") or {}
    fig, axes = new_figure(
        1, len(names), figsize=(4.5 * len(names), 3.6), squeeze=False, layout="tight"
    )
    for ax, name in zip(axes[0], names):
        steps, values = series(history, f"unknown[{name}]")
        ax.plot(steps, values, color="C0", label=name)
        info = reported.get(name) or {}
        if isinstance(info.get("initial"), (int, float)):
            ax.axhline(info["initial"], color="grey", ls="--", lw=0.8, label="initial guess")
        step = metrics.get("reported_step")
        if isinstance(info.get("value"), (int, float)) and isinstance(step, int):
            ax.plot(
                [step], [info["value"]], "o", color="crimson", label=f"reported {info['value']:.5g}"
            )
        ax.set_xlabel("step"), ax.set_title(f"unknown {name}")
        ax.legend(fontsize=7)
    return fig
