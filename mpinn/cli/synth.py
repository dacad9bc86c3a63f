"""``mpinn synth FILE.mp --fields u --points 50 --noise 0.01 -o u_obs.csv``: sample the
exact or reference solution at seeded random points (synthetic data for inverse problems)."""

from __future__ import annotations

from pathlib import Path

from .. import config
from .common import UsageError, load_problem, overrides_from_args, problem_path


def cmd_synth(args, console) -> int:
    from ..analysis.synth import synth, write_csv

    path = problem_path(args.file)
    problem = load_problem(path)
    cfg = config.resolve(path, args.config, overrides_from_args(args, problem), problem=problem)
    fields = [f.strip() for f in args.fields.split(",") if f.strip()]
    if not fields:
        raise UsageError("--fields needs at least one field name")
    out = Path(args.out or f"{'_'.join(fields)}_obs.csv")
    if out.suffix.lower() != ".csv":
        raise UsageError(f"-o {out}: the output is a .csv file")
    table = synth(problem, cfg, fields, args.points, args.noise, args.seed)
    write_csv(out, table)
    console.print(
        f"{args.points} samples of {', '.join(fields)} with {args.noise:g} relative noise "
        f"(seed {args.seed}) → {out}",
        highlight=False,
        markup=False,
    )
    return 0


def register(sub) -> None:
    p = sub.add_parser("synth", help="sample the exact/reference solution as synthetic data")
    p.add_argument("file", help="problem file (.mp) or the name of a shipped problem")
    p.add_argument("--fields", required=True, help="comma-separated fields to sample")
    p.add_argument("--points", type=int, default=50, help="number of points (default 50)")
    p.add_argument("--noise", type=float, default=0.0, help="relative Gaussian noise (0.01 = 1 %%)")
    p.add_argument("--seed", type=int, default=0, help="seed of points and noise")
    p.add_argument("-o", "--out", help="output CSV (default FIELDS_obs.csv)")
    p.add_argument("--config", help="YAML config (parameters, reference solver)")
    p.add_argument("--set", action="append", metavar="NAME=VALUE", help="override a parameter")
    p.set_defaults(run=cmd_synth)
