"""``mpinn export RUN_DIR --format vtu [-o FILE]``: a run's fields as VTK files for
ParaView (docs/export.md)."""

from __future__ import annotations

from pathlib import Path

from .common import UsageError

FORMATS = ("vtu",)


def cmd_export(args, console) -> int:
    run_dir = Path(args.dir)
    if not run_dir.is_dir():
        raise UsageError(f"no such run directory: {run_dir}")
    from ..runs.export import export_vtu  # meshio, numpy (and torch, through mpinn.runs)

    paths = export_vtu(run_dir, args.output)
    console.print(str(paths[0]), highlight=False, markup=False, soft_wrap=True)
    if len(paths) > 1:
        console.print(
            f"a time series: {len(paths) - 1} time levels ({paths[1].name}, ...) beside it",
            highlight=False,
            markup=False,
        )
    return 0


def register(sub) -> None:
    p = sub.add_parser(
        "export",
        help="write a run's fields, exact values and errors as VTK files for ParaView",
        description="Write the evaluation grid of a run (fields.npz) as VTK: one .vtu for a "
        "steady problem, a .pvd time series (one .vtu per time level) for a time-dependent "
        "one. Default: RUN_DIR/export/fields.vtu (or .pvd).",
    )
    p.add_argument("dir", metavar="RUN_DIR")
    p.add_argument("--format", choices=FORMATS, default="vtu", help="output format (vtu)")
    p.add_argument(
        "-o", "--output", metavar="FILE", help="output file (default RUN_DIR/export/fields.vtu)"
    )
    p.set_defaults(run=cmd_export)
