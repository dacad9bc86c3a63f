"""``mpinn sweep``: a problem over parameter values x optimizers x seeds."""

from __future__ import annotations

from .common import (
    UsageError,
    add_solve_options,
    load_problem,
    overrides_from_args,
    param_list,
    problem_path,
)

#: Where runs execute; mpinn.analysis.sweep.EXECUTORS, written out so that building the
#: parser imports no sympy (test_sweep checks the two agree).
EXECUTORS = ("local", "dask", "inline")


def cmd_sweep(args, console) -> int:
    from ..analysis.sweep import SweepSpec, run_sweep

    path = problem_path(args.file)
    problem = load_problem(path)
    params: dict = {}
    for item in args.param or []:
        name, values = param_list("--param", item, problem)
        if name in params:
            raise UsageError(f"--param {name} given twice")
        params[name] = values
    overrides = overrides_from_args(args, problem)
    steps = overrides.pop("steps", None)
    threads = overrides.pop("threads", None)
    optimizers = [s.strip() for s in (args.optimizer or "").split(",") if s.strip()]
    if args.seeds < 1:
        raise UsageError("--seeds must be at least 1")
    if args.address and args.executor != "dask":
        raise UsageError("--address needs --executor dask")
    spec = SweepSpec(
        params=params,
        optimizers=optimizers,
        seeds=args.seeds,
        steps=steps,
        config=args.config,
        overrides=overrides,
        run_plots=not args.no_run_plots,
    )
    from ..runs.signals import RaiseOnSignals, SignalExit, exit_code_of

    try:
        with RaiseOnSignals():
            rows = run_sweep(
                path,
                spec,
                args.out,
                executor=args.executor,
                workers=args.workers,
                threads_per_worker=args.threads_per_worker or threads,
                address=args.address,
                progress=not args.quiet,
                console=console,
            )
    except (KeyboardInterrupt, SignalExit) as exc:
        name = exc.name if isinstance(exc, SignalExit) else "SIGINT"
        console.print(
            f"[red]interrupted ({name})[/red]; the runs in progress saved their state: "
            "run the same command again to resume them"
        )
        return exit_code_of(name)
    failed = [r for r in rows if r["status"] == "failed"]
    for r in failed:
        console.print(f"[red]failed[/red] {r['run_dir']}: {r['error']}", highlight=False)
    return 1 if failed else 0


def register(subparsers) -> None:
    p = subparsers.add_parser(
        "sweep",
        help="run a problem over parameter values x optimizers x seeds",
        description="Every combination is a run directory under the sweep directory; "
        "sweep.csv, degradation.csv and plots/ summarise them. Rerunning the "
        "same command resumes an interrupted sweep.",
    )
    p.add_argument("file", help="problem file (.mp) or shipped problem name")
    p.add_argument(
        "--param",
        action="append",
        metavar="NAME=V1,V2,...",
        help="a swept parameter and its values (repeatable; the first is the "
        "axis of the degradation table)",
    )
    p.add_argument(
        "--optimizer",
        metavar="OPT1,OPT2",
        help="optimizer schedules, comma separated (default: the configured one)",
    )
    p.add_argument("--seeds", type=int, default=1, help="seeds 0 .. N-1 (default 1)")
    add_solve_options(p, sweep=True)
    p.add_argument("--workers", type=int, help="parallel runs (default: number of cores)")
    p.add_argument(
        "--threads-per-worker", type=int, help="torch threads per run (default: cores // workers)"
    )
    p.add_argument(
        "--executor",
        choices=EXECUTORS,
        default="local",
        help="local: processes on this machine; dask: a Dask cluster; "
        "inline: one after another in this process",
    )
    p.add_argument(
        "--address",
        help="Dask scheduler address, e.g. tcp://host:8786 "
        "(default with --executor dask: a local cluster)",
    )
    p.add_argument(
        "--out",
        help="sweep directory (default runs/<problem>-sweep/<timestamp>/, "
        "or the latest unfinished identical sweep there)",
    )
    p.add_argument(
        "--no-run-plots",
        action="store_true",
        help="skip each run's own plots (redraw with mpinn plot RUN_DIR)",
    )
    p.add_argument("--quiet", action="store_true", help="no progress bar or table")
    p.set_defaults(run=cmd_sweep)
