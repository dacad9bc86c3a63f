"""``mpinn resume RUN_DIR [--steps N]``: continue a run from its last saved state."""

from __future__ import annotations

from pathlib import Path

from .common import UsageError
from .solve import add_nproc_option


def cmd_resume(args, console) -> int:
    from .solve import relaunch, run_distributed

    code = relaunch(args.nproc, "resume")
    if code is not None:
        return code
    return run_distributed(lambda c: _resume(args, c), console)


def _resume(args, console) -> int:
    from .. import runs  # torch: imported when the run starts
    from .solve import launched_world, run_with_progress

    run_dir = Path(args.run_dir)
    if args.steps is not None and args.steps < 0:
        raise UsageError("--steps must be >= 0")
    steps = args.steps
    if steps is None:
        steps_total = _saved_steps(run_dir)
    else:
        steps_total = steps
    return run_with_progress(
        lambda **kw: runs.resume(run_dir, steps=steps, **kw),
        steps_total,
        run_dir,
        args.quiet or launched_world()[0] != 0,
        console,
    )


def _saved_steps(run_dir: Path) -> int:
    """The run's step count, for the progress bar (the safe reader: size, aliases and
    duplicate keys checked); resume itself reports what is wrong with the directory."""
    from ..config import ConfigError, read_yaml

    try:
        return int(read_yaml(run_dir / "config.yaml")["steps"])
    except (ConfigError, ValueError, TypeError, KeyError):
        return 0


def register(sub) -> None:
    p = sub.add_parser(
        "resume",
        help="continue a run (interrupted, time-limited, or for more steps) from its state",
    )
    p.add_argument("run_dir", help="a run directory written by `mpinn solve`")
    p.add_argument("--steps", type=int, help="train to this many steps in all")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    add_nproc_option(p)
    p.set_defaults(run=cmd_resume)
