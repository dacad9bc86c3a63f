"""The sweep plot: mean L2 against each swept parameter, one line per optimizer."""

from __future__ import annotations

import statistics
from pathlib import Path

from ..ir.numeric import format_value as fmt_value
from .figure import new_figure


def plot_l2(rows: list, params: list, out_dir, title: str = "") -> list:
    """``out_dir/l2_vs_<param>.png`` from the rows of sweep.csv; returns the written paths.

    One plot per swept parameter: the mean L2 against the parameter, one line per optimizer
    (and per combination of the other swept parameters), the median over seeds with a band
    from the min to the max. Log-log where every value is positive.
    """
    out_dir = Path(out_dir)
    rows = [r for r in rows if r.get("l2_mean") is not None]
    paths: list = []
    if not params or not rows:
        return paths
    out_dir.mkdir(exist_ok=True)
    for p in params:
        others = [q for q in params if q != p]
        lines: dict = {}
        for r in rows:
            key = (r["optimizer"],) + tuple(r[q] for q in others)
            lines.setdefault(key, {}).setdefault(r[p], []).append(r["l2_mean"])
        fig, ax = new_figure(figsize=(6, 4.2))
        nseeds = max(len(v) for line in lines.values() for v in line.values())
        for key, pts in lines.items():
            xs = sorted(pts)
            med = [statistics.median(pts[x]) for x in xs]
            label = key[0] + "".join(f", {q}={fmt_value(v)}" for q, v in zip(others, key[1:]))
            (ln,) = ax.plot(xs, med, "o-", label=label)
            if nseeds > 1:
                ax.fill_between(
                    xs,
                    [min(pts[x]) for x in xs],
                    [max(pts[x]) for x in xs],
                    color=ln.get_color(),
                    alpha=0.2,
                    lw=0,
                )
        if all(r[p] > 0 for r in rows):
            ax.set_xscale("log")
        if all(r["l2_mean"] > 0 for r in rows):
            ax.set_yscale("log")
        ax.set_xlabel(p)
        ax.set_ylabel("relative L2 (mean over fields)")
        band = f"median of {nseeds} seeds, band min–max" if nseeds > 1 else "one seed"
        ax.set_title(f"{title + ': ' if title else ''}L2 vs {p} ({band})", fontsize=10)
        ax.grid(True, which="both", alpha=0.3)
        ax.legend(fontsize=8)
        fig.tight_layout()
        path = out_dir / f"l2_vs_{p}.png"
        fig.savefig(path, dpi=110)
        paths.append(path)
    return paths
