"""``mpinn reference FILE``: compute and cache a numerical reference solution."""

from __future__ import annotations

import time

from .. import config
from .common import UsageError, load_problem, overrides_from_args, problem_path


def cmd_reference(args, console) -> int:
    from .. import reference
    from .progress import StatusLog

    path = problem_path(args.file)
    problem = load_problem(path)
    cfg = config.resolve(path, args.config, overrides_from_args(args, problem), problem=problem)
    solver = args.solver or cfg.reference.solver
    if not solver:
        raise UsageError(
            f"no reference solver configured for {problem.name}; pass --solver "
            f"({', '.join(reference.SOLVERS)}) or set reference.solver in its "
            "config"
        )
    try:
        grid = reference.parse_grid(args.grid or cfg.reference.grid)
        values = problem.param_values(cfg.params)
        start = time.perf_counter()
        title = f"reference: solving the {solver} reference on a {grid[0]}x{grid[1]} grid"
        with StatusLog(console, title) as log:  # a spinner, or lines when not a terminal
            out = reference.compute(problem, values, solver, grid, args.out, log=log)
    except (ValueError, KeyError) as exc:
        raise UsageError(str(exc)) from None
    console.print(f"reference written to {out} ({time.perf_counter() - start:.1f} s)")
    if args.out:
        console.print(f"use it with: mpinn solve {args.file} --set reference.file={out}")
    else:
        console.print("cached: `mpinn solve` with the same parameters and grid uses it")
    return 0


def register(sub) -> None:
    p = sub.add_parser("reference", help="compute and cache a numerical reference solution")
    p.add_argument("file", help="problem file (.mp) or shipped problem name")
    p.add_argument("--grid", help="NXxNY, e.g. 160x96 (default: the config's reference.grid)")
    p.add_argument("--solver", help="reference solver (default: the config's reference.solver)")
    p.add_argument("--config", help="YAML file with settings")
    p.add_argument("--set", action="append", metavar="NAME=VALUE", help="parameter override")
    p.add_argument("--out", help="write the .npz here instead of the cache")
    p.set_defaults(run=cmd_reference)
