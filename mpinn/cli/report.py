"""``mpinn report RUN_DIR [-o FILE]``: a run's results as one self-contained HTML page
(``RUN_DIR/report.html``; docs/export.md)."""

from __future__ import annotations

import os
from pathlib import Path

from .common import UsageError

#: A directory without any of these is not a run directory.
RUN_FILES = ("metrics.json", "config.yaml", "problem.mp")


def write_atomic(path: Path, text: str) -> None:
    """Temporary file beside ``path``, fsync, rename: a reader sees the old page or the new
    one. (Not ``mpinn.runs.files.atomic_write``: importing ``mpinn.runs`` loads torch,
    which a page of HTML does not need.)"""
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    try:
        with open(tmp, "w", encoding="utf-8") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def cmd_report(args, console) -> int:
    run_dir = Path(args.dir)
    if not run_dir.is_dir():
        raise UsageError(f"no such run directory: {run_dir}")
    if not any((run_dir / f).is_file() for f in RUN_FILES):
        raise UsageError(f"{run_dir} is not a run directory (no {', '.join(RUN_FILES)})")
    from ..viz.report import render_report

    out = Path(args.output) if args.output else run_dir / "report.html"
    if out.is_dir():
        out = out / "report.html"
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        write_atomic(out, render_report(run_dir))
    except OSError as exc:
        raise UsageError(f"cannot write {out}: {exc.strerror or exc}") from None
    console.print(str(out), highlight=False, markup=False, soft_wrap=True)
    return 0


def register(sub) -> None:
    p = sub.add_parser(
        "report",
        help="write a run's results as one HTML page (RUN_DIR/report.html)",
        description="Write one self-contained HTML page with a run's problem, configuration, "
        "metrics and plots (embedded), for a browser.",
    )
    p.add_argument("dir", metavar="RUN_DIR")
    p.add_argument(
        "-o", "--output", metavar="FILE", help="output file (default RUN_DIR/report.html)"
    )
    p.set_defaults(run=cmd_report)
