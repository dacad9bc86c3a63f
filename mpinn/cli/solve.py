"""``mpinn solve``: train one network per field and report the errors."""

from __future__ import annotations

from pathlib import Path

from rich.console import Console

from .. import config
from .common import (
    DEFAULT_PROBLEM,
    add_solve_options,
    load_problem,
    overrides_from_args,
    problem_path,
)


def cmd_solve(args, console: Console) -> int:
    from .. import runs  # torch: imported when a run starts, not by `mpinn --help`
    from .progress import RichProgress

    path = problem_path(args.file)
    problem = load_problem(path)
    for w in problem.warnings:
        console.print(w.format(), highlight=False, markup=False, style="yellow")
    cfg = config.resolve(path, args.config, overrides_from_args(args, problem), quick=args.quick)
    out = Path(args.out) if args.out else runs.default_run_dir(problem.name)
    if not args.quiet:
        values = problem.param_values(cfg.params)
        params = ", ".join(f"{k}={v:g}" for k, v in values.items())
        console.print(
            f"[bold]{problem.name}[/bold] ({params}) · {len(problem.fields)} "
            f"networks · {cfg.optimizer.name}+{cfg.balance.name} · {cfg.steps} "
            f"steps · {cfg.dtype} on {cfg.device} → {out}"
        )
    try:
        if args.quiet:
            metrics = runs.solve(path, cfg, out, problem=problem)
        else:
            with RichProgress(cfg.steps, console) as bar:
                metrics = runs.solve(
                    path, cfg, out, problem=problem, progress=bar, log=console.print
                )
    except KeyboardInterrupt:
        console.print(f"[red]interrupted[/red]; results so far in {out}")
        return 130
    print_summary(metrics, out, console)
    return 1 if metrics.get("stopped") else 0


def print_summary(metrics: dict, out: Path, console: Console) -> None:
    from rich.table import Table

    table = Table(
        title=f"{metrics['problem']}: {metrics['steps_done']} steps in "
        f"{metrics['wall_time_s']:.1f} s"
    )
    table.add_column("field")
    table.add_column("L2 error", justify="right")
    for f, v in metrics["l2"].items():
        kind = metrics["l2_kind"].get(f, "relative")
        table.add_row(
            f, "—" if v is None else f"{v:.3e}" + (" (rms)" if kind != "relative" else "")
        )
    if metrics["l2_mean"] is not None:
        table.add_row("[bold]mean[/bold]", f"[bold]{metrics['l2_mean']:.3e}[/bold]")
    console.print(table)
    if metrics.get("stopped"):
        console.print(f"[red]stopped early:[/red] {metrics['stopped']}")
    if metrics.get("time_limited"):
        console.print(
            f"reached the time limit after {metrics['steps_done']} of {metrics['steps']} steps"
        )
    console.print(f"results in {out}")


def register(sub) -> None:
    p = sub.add_parser("solve", help="train one network per field and report errors")
    p.add_argument(
        "file",
        nargs="?",
        help=f"problem file (.mp) or shipped problem name (default: {DEFAULT_PROBLEM})",
    )
    add_solve_options(p)
    p.add_argument("--out", help="run directory (default runs/<problem>/<timestamp>/)")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.add_argument(
        "--quick", action="store_true", help="a short demo run (the config's `quick` settings)"
    )
    p.set_defaults(run=cmd_solve)
