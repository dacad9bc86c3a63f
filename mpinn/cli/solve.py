"""``mpinn solve``: train one network per field and report the errors."""

from __future__ import annotations

from pathlib import Path

from rich.console import Console

from .. import config
from ..lang.diagnostics import printable
from .common import (
    DEFAULT_PROBLEM,
    add_solve_options,
    load_problem,
    overrides_from_args,
    problem_path,
)


def _safe(value) -> str:
    """User-provided text (names, paths, reasons) for a rich console: control characters
    escaped visibly, rich markup neutralised."""
    from rich.markup import escape

    return escape(printable(str(value)))


def cmd_solve(args, console: Console) -> int:
    from .. import runs  # torch: imported when a run starts, not by `mpinn --help`
    from ..runs.directory import check_out

    path = problem_path(args.file)
    problem = load_problem(path)
    for w in problem.warnings:
        console.print(w.format(), highlight=False, markup=False, style="yellow")
    cfg = config.resolve(
        path, args.config, overrides_from_args(args, problem), quick=args.quick, problem=problem
    )
    out = Path(args.out) if args.out else runs.default_run_dir(problem.name)
    check_out(out, args.overwrite)  # before anything is printed, computed or written
    if not args.quiet:
        values = problem.param_values(cfg.params)
        params = ", ".join(f"{k}={v:g}" for k, v in values.items())
        console.print(
            f"[bold]{_safe(problem.name)}[/bold] ({params}) · {len(problem.fields)} "
            f"networks · {cfg.optimizer.name}+{cfg.balance.name} · {cfg.steps} "
            f"steps · {cfg.dtype} on {cfg.device} → {_safe(out)}"
        )
    return run_with_progress(
        lambda **kw: runs.solve(path, cfg, out, problem=problem, overwrite=args.overwrite, **kw),
        cfg.steps,
        out,
        args.quiet,
        console,
    )


def run_with_progress(start, steps: int, out, quiet: bool, console: Console) -> int:
    """Run ``start(progress=..., log=..., should_stop=...)`` (a solve or a resume) under
    the signal handlers, print the summary and return the exit code: 0 finished (or time
    limited), 1 diverged or stopped, 128 + signal number when a signal paused it."""
    from ..runs.signals import StopSignals, exit_code_of
    from .progress import RichProgress

    with StopSignals() as signals:
        try:
            if quiet:
                metrics = start(should_stop=signals.requested)
            else:
                with RichProgress(steps, console) as bar:
                    metrics = start(progress=bar, log=console.print, should_stop=signals.requested)
        except KeyboardInterrupt:
            console.print(
                f"[red]interrupted twice[/red]; {_safe(out)} keeps its last checkpoint "
                f"(`mpinn resume {_safe(out)}` continues from it)"
            )
            return 130
    print_summary(metrics, out, console)
    if metrics.get("interrupted"):
        console.print(
            f"[yellow]paused by {metrics['interrupted']}[/yellow] at step "
            f"{metrics['steps_done']}; continue with `mpinn resume {_safe(out)}`"
        )
        return exit_code_of(metrics["interrupted"])
    return 1 if metrics.get("stopped") else 0


def print_summary(metrics: dict, out: Path, console: Console) -> None:
    from rich.table import Table

    table = Table(
        title=f"{_safe(metrics['problem'])}: {metrics['steps_done']} steps in "
        f"{metrics['wall_time_s']:.1f} s"
    )
    table.add_column("field")
    table.add_column("L2 error", justify="right")
    for f, v in metrics["l2"].items():
        kind = metrics["l2_kind"].get(f, "relative")
        table.add_row(
            _safe(f), "—" if v is None else f"{v:.3e}" + (" (rms)" if kind != "relative" else "")
        )
    if metrics["l2_mean"] is not None:
        table.add_row("[bold]mean[/bold]", f"[bold]{metrics['l2_mean']:.3e}[/bold]")
    console.print(table)
    unknowns = metrics.get("unknowns") or {}
    if unknowns:
        found = Table(title="unknowns")
        found.add_column("name")
        found.add_column("estimate", justify="right")
        found.add_column("initial", justify="right")
        for name, u in unknowns.items():
            found.add_row(_safe(name), f"{u['value']:.6g}", f"{u['initial']:.6g}")
        console.print(found)
    if metrics.get("stopped"):
        console.print(f"[red]stopped early:[/red] {_safe(metrics['stopped'])}")
        if metrics.get("model_step", metrics["steps_done"]) != metrics["steps_done"]:
            console.print(f"model.pt holds the networks of step {metrics['model_step']}")
    if metrics.get("time_limited"):
        console.print(
            f"reached the time limit after {metrics['steps_done']} of {metrics['steps']} steps"
        )
    console.print(f"results in {_safe(out)}")


def register(sub) -> None:
    p = sub.add_parser("solve", help="train one network per field and report errors")
    p.add_argument(
        "file",
        nargs="?",
        help=f"problem file (.mp) or shipped problem name (default: {DEFAULT_PROBLEM})",
    )
    add_solve_options(p)
    p.add_argument("--out", help="run directory (default runs/<problem>/<timestamp>/)")
    p.add_argument(
        "--overwrite",
        action="store_true",
        help="replace the run directory given as --out if it exists (otherwise refused)",
    )
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.add_argument(
        "--quick", action="store_true", help="a short demo run (the config's `quick` settings)"
    )
    p.set_defaults(run=cmd_solve)
