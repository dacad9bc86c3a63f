"""``mpinn plot DIR``: redraw the plots of a run or sweep directory."""

from __future__ import annotations

from pathlib import Path

from .common import UsageError


def cmd_plot(args, console) -> int:
    root = Path(args.dir)
    if not root.is_dir():
        raise UsageError(f"no such directory: {root}")
    paths = []
    if (root / "sweep.csv").is_file():
        from ..analysis.sweep import plot_sweep

        paths += plot_sweep(root)
    elif (root / "metrics.json").is_file():
        from ..runs.directory import replot

        paths += replot(root)
    else:
        raise UsageError(
            f"{root} is neither a run directory (metrics.json) nor a sweep directory (sweep.csv)"
        )
    for p in paths:
        console.print(str(p))
    return 0


def register(sub) -> None:
    p = sub.add_parser("plot", help="redraw the plots of a run or sweep directory")
    p.add_argument("dir")
    p.set_defaults(run=cmd_plot)
