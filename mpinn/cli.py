"""Command line: ``mpinn check | solve | ...``, thin over the pipeline modules.

Exit codes: 0 success, 1 a run failed (e.g. training diverged), 2 bad input (problem file,
configuration or options) — reported as a diagnostic, never as a traceback.
"""

from __future__ import annotations

import argparse
import dataclasses
import sys
from importlib import resources
from pathlib import Path

import yaml
from rich.console import Console

from . import __version__
from .config import ConfigError, SolveConfig
from .lang.diagnostics import MpError

DEFAULT_PROBLEM = "coupled_sym"
CONFIG_KEYS = tuple(f.name for f in dataclasses.fields(SolveConfig))


class UsageError(Exception):
    """Bad command-line input (exit code 2)."""


def builtin_problems() -> dict:
    try:
        root = resources.files("mpinn.problems")
    except ModuleNotFoundError:  # running from a source tree that is not installed
        root = Path(__file__).resolve().parents[1] / "problems"
    return {Path(p.name).stem: Path(str(p)) for p in root.iterdir() if p.name.endswith(".mp")}


def problem_path(arg: str | None) -> Path:
    """A path to a .mp file, or the name of a problem shipped with mpinn."""
    if arg is None:
        arg = DEFAULT_PROBLEM
    path = Path(arg)
    if path.is_file():
        return path
    shipped = builtin_problems()
    if arg in shipped:
        return shipped[arg]
    if path.suffix == ".mp" and path.stem in shipped and not path.exists():
        return shipped[path.stem]
    raise UsageError(f"no such problem file: {arg} (shipped problems: "
                     f"{', '.join(sorted(shipped))})")


def parse_value(text: str):
    """A --set value: YAML scalar syntax (numbers, true/false, text)."""
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError:
        return text


def overrides_from_args(args, problem) -> dict:
    """Turn solve-style options into a nested config override dict."""
    from .config import set_dotted

    data: dict = {}
    for item in args.set or []:
        if "=" not in item:
            raise UsageError(f"--set expects NAME=VALUE, got '{item}'")
        name, raw = item.split("=", 1)
        name, value = name.strip(), parse_value(raw.strip())
        if "." in name or (name not in problem.params and name in CONFIG_KEYS):
            data = set_dotted(data, name, value)
            continue
        if name not in problem.params:
            from .lang.diagnostics import did_you_mean

            hint = did_you_mean(name, list(problem.params) + list(CONFIG_KEYS)) or \
                f"parameters: {', '.join(problem.params) or 'none'}"
            raise UsageError(f"--set {name}: '{problem.name}' has no parameter '{name}' ({hint})")
        if not isinstance(value, (int, float)) or isinstance(value, bool):
            raise UsageError(f"--set {name}: expected a number, got '{raw}'")
        data.setdefault("params", {})[name] = value
    for flag, key in (("optimizer", "optimizer.name"), ("lr", "optimizer.lr"),
                      ("steps", "steps"), ("balance", "balance.name"), ("seed", "seed"),
                      ("device", "device"), ("dtype", "dtype"), ("threads", "threads")):
        value = getattr(args, flag, None)
        if value is not None:
            data = set_dotted(data, key, value)
    return data


# --- commands ----------------------------------------------------------------------------
def cmd_check(args, console: Console) -> int:
    from . import describe
    from .symbolic import load

    problem = load(problem_path(args.file))
    describe.render(problem, console)
    return 0


class RichProgress:
    """The solve progress bar: step, loss, per-term losses, L2, it/s, ETA."""

    def __init__(self, total: int, console: Console):
        from rich.progress import (BarColumn, MofNCompleteColumn, Progress, TextColumn,
                                   TimeElapsedColumn, TimeRemainingColumn)

        self.progress = Progress(
            TextColumn("[bold]train"), BarColumn(), MofNCompleteColumn(),
            TextColumn("{task.fields[rate]}"), TimeElapsedColumn(), TextColumn("eta"),
            TimeRemainingColumn(), TextColumn("{task.fields[info]}"),
            console=console, transient=False, refresh_per_second=4)
        self.task = self.progress.add_task("train", total=total, rate="", info="")
        self.total = total

    def __enter__(self):
        self.progress.__enter__()
        return self

    def __exit__(self, *exc):
        self.progress.__exit__(*exc)

    def update(self, step: int, info: dict) -> None:
        if step % 10 and step != self.total:
            return
        task = self.progress.tasks[self.task]
        rate = f"{task.speed:.0f} it/s" if task.speed else ""
        terms = " ".join(f"{k}={float(v):.1e}" for k, v in list(info["losses"].items())[:6])
        l2 = " ".join(f"{k}:{v:.1e}" for k, v in info["l2"].items())
        text = f"loss {info['loss']:.2e} | {terms}" + (f" | L2 {l2}" if l2 else "")
        self.progress.update(self.task, completed=step, rate=rate, info=text)


def cmd_solve(args, console: Console) -> int:
    from . import config, results, runner
    from .symbolic import load

    path = problem_path(args.file)
    problem = load(path)
    for w in problem.warnings:
        console.print(w.format(), highlight=False, markup=False, style="yellow")
    cfg = config.resolve(path, args.config, overrides_from_args(args, problem), quick=args.quick)
    out = Path(args.out) if args.out else results.default_run_dir(problem.name)
    if not args.quiet:
        values = problem.param_values(cfg.params)
        params = ", ".join(f"{k}={v:g}" for k, v in values.items())
        console.print(f"[bold]{problem.name}[/bold] ({params}) · {len(problem.fields)} "
                      f"networks · {cfg.optimizer.name}+{cfg.balance.name} · {cfg.steps} "
                      f"steps · {cfg.dtype} on {cfg.device} → {out}")
    try:
        if args.quiet:
            metrics = runner.solve(path, cfg, out, problem=problem)
        else:
            with RichProgress(cfg.steps, console) as bar:
                metrics = runner.solve(path, cfg, out, problem=problem, progress=bar,
                                       log=console.print)
    except KeyboardInterrupt:
        console.print(f"[red]interrupted[/red]; results so far in {out}")
        return 130
    _print_summary(metrics, out, console)
    return 1 if metrics.get("stopped") else 0


def _print_summary(metrics: dict, out: Path, console: Console) -> None:
    from rich.table import Table

    table = Table(title=f"{metrics['problem']}: {metrics['steps_done']} steps in "
                        f"{metrics['wall_time_s']:.1f} s")
    table.add_column("field")
    table.add_column("L2 error", justify="right")
    for f, v in metrics["l2"].items():
        kind = metrics["l2_kind"].get(f, "relative")
        table.add_row(f, "—" if v is None else f"{v:.3e}" + (" (rms)" if kind != "relative"
                                                              else ""))
    if metrics["l2_mean"] is not None:
        table.add_row("[bold]mean[/bold]", f"[bold]{metrics['l2_mean']:.3e}[/bold]")
    console.print(table)
    if metrics.get("stopped"):
        console.print(f"[red]stopped early:[/red] {metrics['stopped']}")
    if metrics.get("time_limited"):
        console.print(f"reached the time limit after {metrics['steps_done']} of "
                      f"{metrics['steps']} steps")
    console.print(f"results in {out}")


def cmd_reference(args, console: Console) -> int:
    import time

    from . import config, reference
    from .symbolic import load

    path = problem_path(args.file)
    problem = load(path)
    cfg = config.resolve(path, args.config, overrides_from_args(args, problem))
    solver = args.solver or cfg.reference.solver
    if not solver:
        raise UsageError(f"no reference solver configured for {problem.name}; pass --solver "
                         f"({', '.join(reference.SOLVERS)}) or set reference.solver in its "
                         "config")
    try:
        grid = reference.parse_grid(args.grid or cfg.reference.grid)
        values = problem.param_values(cfg.params)
        start = time.perf_counter()
        with console.status(f"solving the {solver} reference on a {grid[0]}x{grid[1]} grid"):
            out = reference.compute(problem, values, solver, grid, args.out)
    except (ValueError, KeyError) as exc:
        raise UsageError(str(exc)) from None
    console.print(f"reference written to {out} ({time.perf_counter() - start:.1f} s)")
    if args.out:
        console.print(f"use it with: mpinn solve {args.file} --set reference.file={out}")
    else:
        console.print("cached: `mpinn solve` with the same parameters and grid uses it")
    return 0


def cmd_plot(args, console: Console) -> int:
    from .report import plot_run

    root = Path(args.dir)
    if not root.is_dir():
        raise UsageError(f"no such directory: {root}")
    paths = []
    if (root / "sweep.csv").is_file():
        from .sweep import plot_sweep

        paths += plot_sweep(root)
    elif (root / "metrics.json").is_file():
        paths += plot_run(root)
    else:
        raise UsageError(f"{root} is neither a run directory (metrics.json) nor a sweep "
                         "directory (sweep.csv)")
    for p in paths:
        console.print(str(p))
    return 0


# --- argument parsing --------------------------------------------------------------------
def add_solve_options(p: argparse.ArgumentParser, sweep: bool = False) -> None:
    p.add_argument("--config", help="YAML file with training settings")
    p.add_argument("--set", action="append", metavar="NAME=VALUE",
                   help="override a problem parameter (gamma=10) or a config key "
                        "(optimizer.lr=1e-3); repeatable")
    if not sweep:
        p.add_argument("--optimizer", help="soap | adam | lbfgs | soap+lbfgs | adam+lbfgs")
        p.add_argument("--seed", type=int)
    p.add_argument("--lr", type=float, help="learning rate")
    p.add_argument("--steps", type=int, help="training steps")
    p.add_argument("--balance", choices=["gradnorm", "none"], help="loss balancing")
    p.add_argument("--device", help="cpu | cuda")
    p.add_argument("--dtype", choices=["float32", "float64"])
    p.add_argument("--threads", type=int, help="torch CPU threads")


class _Parser(argparse.ArgumentParser):
    def error(self, message):
        raise UsageError(f"{self.prog}: {message}")


def make_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="mpinn", description="Coupled multiphysics PDEs with PINNs "
                     "(SOAP + gradient-norm balancing).")
    parser.add_argument("--version", action="version", version=f"mpinn {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)

    p = sub.add_parser("check", help="parse a .mp file and print the lowered system")
    p.add_argument("file", help="problem file (.mp) or the name of a shipped problem")
    p.set_defaults(run=cmd_check)

    p = sub.add_parser("solve", help="train one network per field and report errors")
    p.add_argument("file", nargs="?", help=f"problem file (.mp) or shipped problem name "
                   f"(default: {DEFAULT_PROBLEM})")
    add_solve_options(p)
    p.add_argument("--out", help="run directory (default runs/<problem>/<timestamp>/)")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.add_argument("--quick", action="store_true",
                   help="a short demo run (the config's `quick` settings)")
    p.set_defaults(run=cmd_solve)

    p = sub.add_parser("plot", help="redraw the plots of a run or sweep directory")
    p.add_argument("dir")
    p.set_defaults(run=cmd_plot)

    p = sub.add_parser("reference", help="compute and cache a numerical reference solution")
    p.add_argument("file", help="problem file (.mp) or shipped problem name")
    p.add_argument("--grid", help="NXxNY, e.g. 160x96 (default: the config's reference.grid)")
    p.add_argument("--solver", help="reference solver (default: the config's reference.solver)")
    p.add_argument("--config", help="YAML file with settings")
    p.add_argument("--set", action="append", metavar="NAME=VALUE", help="parameter override")
    p.add_argument("--out", help="write the .npz here instead of the cache")
    p.set_defaults(run=cmd_reference)

    from . import ntk, sweep  # their sub-commands live with their code

    ntk.register_cli(sub)
    sweep.register_cli(sub)
    return parser


def main(argv=None) -> int:
    console = Console(stderr=False)
    try:
        args = make_parser().parse_args(argv)
        return args.run(args, console)
    except MpError as exc:
        print(exc.format(), file=sys.stderr)  # plain: a wrapped line would misplace the caret
        return 2
    except (ConfigError, UsageError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":  # pragma: no cover - run as the package module, not __main__
    from mpinn.cli import main as package_main

    sys.exit(package_main())
