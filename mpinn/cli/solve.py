"""``mpinn solve``: train one network per field and report the errors.

Data parallel (docs/scaling.md): under ``torchrun`` (``RANK``/``WORLD_SIZE`` set, more
than one process) the command initialises the process group (gloo on CPU, nccl for CUDA
tensors) and trains its share; ``--nproc N`` relaunches the same command line under
``python -m torch.distributed.run --standalone --nproc-per-node N``.
"""

from __future__ import annotations

import contextlib
import os
import sys
from pathlib import Path

from rich.console import Console

from .. import config
from ..lang.diagnostics import printable
from .common import (
    DEFAULT_PROBLEM,
    UsageError,
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


def launched_world() -> tuple[int, int]:
    """(rank, world size) set by torchrun in the environment; (0, 1) otherwise."""
    try:
        return int(os.environ.get("RANK", 0)), int(os.environ.get("WORLD_SIZE", 1))
    except ValueError:
        return 0, 1


def relaunch(nproc: int, command: str) -> int | None:
    """``--nproc N`` (N > 1, not already under torchrun): run this command line again as N
    processes under torchrun and return its exit code; None to run here."""
    if nproc is None or nproc <= 1 or launched_world()[1] > 1:
        return None
    import subprocess

    argv = sys.argv[1:]
    if command not in argv:
        raise UsageError("--nproc works from the `mpinn` command line only")
    rest, skip = [], False
    for a in argv:
        if skip:
            skip = False
        elif a == "--nproc":
            skip = True
        elif not a.startswith("--nproc="):
            rest.append(a)
    launcher = [sys.executable, "-m", "torch.distributed.run", "--standalone"]
    launcher += ["--nproc-per-node", str(nproc), "-m", "mpinn", *rest]
    env = {"OMP_NUM_THREADS": "1", **os.environ}
    proc = subprocess.Popen(launcher, env=env)
    while True:
        try:
            return proc.wait()
        except KeyboardInterrupt:  # Ctrl-C reached the workers too: they save and stop
            continue


@contextlib.contextmanager
def process_group():
    """Under torchrun with several processes: initialise the process group (gloo, and nccl
    for CUDA tensors when CUDA is there; each process on the GPU of its LOCAL_RANK),
    yield the rank, tear it down after. Without torchrun: yield 0 and do nothing."""
    rank, size = launched_world()
    if size <= 1:
        yield 0
        return
    import torch
    import torch.distributed as dist

    backend = "gloo"
    if torch.cuda.is_available():
        torch.cuda.set_device(int(os.environ.get("LOCAL_RANK", 0)) % torch.cuda.device_count())
        backend = "cpu:gloo,cuda:nccl"
    dist.init_process_group(backend=backend)
    try:
        yield dist.get_rank()
    finally:
        dist.destroy_process_group()


def run_distributed(body, console: Console) -> int:
    """``body(console)`` in the process group of a torchrun launch (rank 0 prints, the
    others are quiet); a failure on any rank ends every rank with one line and exit 1."""
    size = launched_world()[1]
    if size <= 1:
        return body(console)
    import torch.distributed as dist

    from ..config import ConfigError

    with process_group() as rank:
        quiet = console if rank == 0 else Console(quiet=True)
        try:
            return body(quiet)
        except (ConfigError, UsageError):
            raise
        except Exception as exc:  # a failed rank, or a collective cut by another's failure
            first = (str(exc).strip().splitlines() or [""])[0]
            what = f"{type(exc).__name__}: {first[:300]}"
            if isinstance(exc, dist.DistError) or "Connection closed" in first:
                detail = first.split("] ", 1)[-1].split(". ")[0][:160]  # gloo: no source path
                what = f"stopped: another rank failed or was killed ({detail})"
            print(f"error: rank {rank} of {size}: {printable(what)}", file=sys.stderr, flush=True)
            return 1


def cmd_solve(args, console: Console) -> int:
    code = relaunch(args.nproc, "solve")
    if code is not None:
        return code
    return run_distributed(lambda c: _solve(args, c), console)


def _solve(args, console: Console) -> int:
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
    rank, size = launched_world()
    if rank == 0:  # only rank 0 of a data-parallel run touches the directory
        check_out(out, args.overwrite)  # before anything is printed, computed or written
    if not args.quiet:
        values = problem.param_values(cfg.params)
        params = ", ".join(f"{k}={v:g}" for k, v in values.items())
        console.print(
            f"[bold]{_safe(problem.name)}[/bold] ({params}) · {len(problem.fields)} "
            f"networks · {cfg.optimizer.name}+{cfg.balance.name} · {cfg.steps} "
            f"steps · {cfg.dtype} on {cfg.device}"
            + (f" × {size} processes" if size > 1 else "")
            + f" → {_safe(out)}"
        )
    return run_with_progress(
        lambda **kw: runs.solve(path, cfg, out, problem=problem, overwrite=args.overwrite, **kw),
        cfg.steps,
        out,
        args.quiet or rank != 0,
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
    if metrics.get("rank"):  # a rank other than 0 of a data-parallel run: rank 0 reports
        interrupted, stopped = metrics.get("interrupted"), metrics.get("stopped")
        return exit_code_of(interrupted) if interrupted else (1 if stopped else 0)
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
    quantities = metrics.get("quantities") or {}
    if quantities:
        table = Table(title="quantities")
        for column in ("name", "value", "expected", "error"):
            table.add_column(column, justify="left" if column == "name" else "right")
        for name, q in quantities.items():
            expect, err = q.get("expect"), q.get("error")
            table.add_row(
                _safe(name),
                "—" if q["value"] is None else f"{q['value']:.6g}",
                "" if expect is None else f"{expect:.6g}",
                "" if err is None else (f"{100 * err:.3g} %" if expect else f"{err:.2e} (abs)"),
            )
        console.print(table)
    if metrics.get("stopped"):
        console.print(f"[red]stopped early:[/red] {_safe(metrics['stopped'])}")
        if metrics.get("model_step", metrics["steps_done"]) != metrics["steps_done"]:
            console.print(f"model.pt holds the networks of step {metrics['model_step']}")
    if metrics.get("time_limited"):
        console.print(
            f"reached the time limit after {metrics['steps_done']} of {metrics['steps']} steps"
        )
    console.print(f"results in {_safe(out)}")


def add_nproc_option(p) -> None:
    p.add_argument(
        "--nproc",
        type=int,
        metavar="N",
        help="data-parallel training on N processes (runs the command under torchrun; "
        "see docs/scaling.md)",
    )


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
    add_nproc_option(p)
    p.add_argument(
        "--quick", action="store_true", help="a short demo run (the config's `quick` settings)"
    )
    p.set_defaults(run=cmd_solve)
