"""``mpinn ntk-check``: NTK and preconditioned-NTK spectra of a problem's networks."""

from __future__ import annotations

import json
from pathlib import Path

from .. import config
from ..config import ConfigError
from .common import (
    UsageError,
    count,
    load_problem,
    overrides_from_args,
    param_list,
    positive_count,
    problem_path,
)

#: The share of the memory available now that a check may plan to use.
MEMORY_SHARE = 0.8


def cmd_ntk_check(args, console) -> int:
    from .. import train
    from ..analysis.ntk import memory_estimate, ntk_check, render
    from ..runs import load_model
    from ..viz.ntk import plot
    from .progress import StatusLog

    path = problem_path(args.file)
    problem = load_problem(path)
    sweep = param_list("--sweep", args.sweep, problem) if args.sweep else None
    if args.points is not None and args.points < 1:
        raise UsageError("--points must be at least 1")
    if args.chunk < 1:
        raise UsageError("--chunk must be at least 1")
    run_dir = Path(args.run_dir) if args.run_dir else None
    cfg_path = args.config
    if run_dir is not None:
        if not (run_dir / "config.yaml").is_file() or not (run_dir / "model.pt").is_file():
            raise UsageError(f"{run_dir} is not a run directory (needs config.yaml and model.pt)")
        if cfg_path is not None:
            raise UsageError("--run and --config are exclusive (the run has its config)")
        cfg_path = run_dir / "config.yaml"
    overrides = overrides_from_args(args, problem)
    overrides = config.merge(overrides, {"dtype": "float64", "device": "cpu"})
    if args.points is not None:
        overrides = config.set_dotted(overrides, "sampling.interior", args.points)
    if args.method is not None:
        overrides = config.set_dotted(overrides, "sampling.method", args.method)
    cfg = config.resolve(path, cfg_path, overrides, problem=problem)
    try:
        setup = train.build(problem, cfg)
    except ValueError as exc:
        raise ConfigError(str(exc)) from None
    _check_memory(memory_estimate(setup, args.include_conditions, args.chunk))
    if run_dir is not None:
        try:
            load_model(run_dir / "model.pt", setup.nets)
        except (RuntimeError, KeyError, OSError) as exc:
            raise UsageError(
                f"cannot load {run_dir / 'model.pt'} into the networks of {problem.name}: {exc}"
            ) from None
    with StatusLog(console, f"ntk-check: {problem.name}, {_cases(sweep)}") as log:
        report = ntk_check(
            setup,
            sweep,
            include_conditions=args.include_conditions,
            chunk=args.chunk,
            basis=args.basis,
            progress=_case_done(log, sweep),
            log=log,
        )
    report.info.update(
        {
            "points": cfg.sampling.interior,
            "seed": cfg.seed,
            "sampling": cfg.sampling.method,
            "run": str(run_dir) if run_dir else None,
            "net": {
                "width": cfg.net.width,
                "depth": cfg.net.depth,
                "activation": cfg.net.activation,
            },
        }
    )
    render(report, console)
    if args.json:
        Path(args.json).parent.mkdir(parents=True, exist_ok=True)
        Path(args.json).write_text(json.dumps(report.to_json(), indent=2), encoding="utf-8")
        console.print(f"wrote {args.json}")
    if args.plot:
        console.print(f"wrote {plot(report, args.plot)}")
    return 0


def _cases(sweep) -> str:
    if sweep is None:
        return "one case"
    return f"{len(sweep[1])} values of {sweep[0]}"


def _case_done(log, sweep):
    """A line for each finished case of a sweep (forced: never held back)."""
    if sweep is None:
        return None
    name, values = sweep
    done = []

    def progress(summary: dict) -> None:
        done.append(summary)
        seconds = summary["time_jacobian_s"] + summary["time_spectra_s"]
        log(
            f"ntk-check: {name}={values[len(done) - 1]:g} ({len(done)}/{len(values)}) done: "
            f"λmax(K)={summary['lambda_max_K']:.3e}, "
            f"λmax(K_P)={summary['lambda_max_KP']:.6f}, {seconds:.1f} s",
            force=True,
        )

    return progress


def _check_memory(estimate: dict) -> None:
    """Refuse (exit 2) a check whose Jacobian and kernels cannot fit in memory."""
    available = config.available_bytes()
    if available and estimate["bytes"] > MEMORY_SHARE * available:
        raise UsageError(
            f"ntk-check: {estimate['points']} points x {estimate['params']} parameters "
            f"({estimate['rows']} residual rows) need about {config.human(estimate['bytes'])} "
            f"for the Jacobian and kernels; {config.human(available)} is available "
            "(use fewer --points)"
        )


def register(subparsers) -> None:
    p = subparsers.add_parser(
        "ntk-check",
        help="NTK and block-Gauss–Newton preconditioned NTK spectra "
        "(λmax growth with coupling, λmax(K_P) <= S)",
    )
    p.add_argument("file", help="problem file (.mp) or the name of a shipped problem")
    p.add_argument(
        "--run",
        dest="run_dir",
        metavar="DIR",
        help="run directory: use its config.yaml and trained model.pt",
    )
    p.add_argument(
        "--points",
        type=positive_count,
        help="interior residual points (default: the config's sampling.interior)",
    )
    p.add_argument(
        "--include-conditions",
        action="store_true",
        help="also stack the boundary/initial condition residuals into r",
    )
    p.add_argument(
        "--sweep",
        metavar="NAME=v1,v2,...",
        help="recompute for each value of a parameter (same networks and points)",
    )
    p.add_argument("--json", metavar="FILE", help="write the results as JSON")
    p.add_argument("--plot", metavar="FILE", help="write a PNG (λmax vs swept parameter)")
    p.add_argument("--seed", type=count, help="network initialisation and point seed")
    p.add_argument(
        "--set",
        action="append",
        metavar="NAME=VALUE",
        help="problem parameter or config key override; repeatable",
    )
    p.add_argument("--config", help="YAML file with settings (net architecture, sampling)")
    p.add_argument("--method", choices=["uniform", "sobol"], help="point sampling method")
    p.add_argument("--threads", type=count, help="torch CPU threads")
    p.add_argument(
        "--basis",
        choices=["auto", "svd", "sketch"],
        default="auto",
        help="range basis per network: thin SVD, certified randomized sketch, "
        "or auto (svd up to 1024 rows)",
    )
    p.add_argument("--chunk", type=positive_count, default=128, help="points per vmap chunk")
    p.set_defaults(run=cmd_ntk_check)
