"""What a sweep runs: :class:`SweepSpec` (parameter values x optimizers x seeds), its
validation against the problem and the combinations in a fixed order."""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from ...config import ConfigError
from ...ir.numeric import format_value as fmt_value
from ...lang.diagnostics import did_you_mean

EXECUTORS = ("local", "dask", "inline")
FORMAT = "mpinn-sweep-1"
# Columns of sweep.csv around the swept parameters (which follow "run_dir").
HEAD = ("run_dir",)
FIXED = ("optimizer", "seed", "steps", "status", "wall_time_s", "l2_mean")
TAIL = ("final_loss", "error")
FINISHED = ("ok", "stopped")  # statuses a rerun skips


class SweepError(ConfigError):
    """A sweep definition or directory the user can fix (the CLI exits with code 2)."""


@dataclass
class SweepSpec:
    """What to run: ``params`` x ``optimizers`` x seeds ``0 .. seeds-1``.

    ``params``: swept problem parameters and their values, in order (the first one is the
    axis of the degradation table). ``optimizers``: schedule names (``soap``, ``adam``,
    ``soap+lbfgs`` ...); empty = the configured optimizer. ``steps``: None = configured.
    ``config``: a YAML config file; ``overrides``: nested config overrides (as for
    :func:`mpinn.config.resolve`), applied to every run. ``run_plots``: draw each run's own
    plots (``mpinn plot RUN_DIR`` redraws them later if off).
    """

    params: dict = field(default_factory=dict)
    optimizers: list = field(default_factory=list)
    seeds: int = 1
    steps: int | None = None
    config: str | None = None
    overrides: dict = field(default_factory=dict)
    run_plots: bool = True


# --- planning ----------------------------------------------------------------------------
def combos(spec: SweepSpec, optimizers: list) -> list:
    """[(run name, {param: value}, optimizer, seed)] in a fixed order."""
    combos = [((), {})]
    for name, values in spec.params.items():
        combos = [
            (parts + (f"{name}={fmt_value(v)}",), {**vals, name: float(v)})
            for parts, vals in combos
            for v in values
        ]
    out = []
    for parts, vals in combos:
        for opt in optimizers:
            for seed in range(spec.seeds):
                out.append(("/".join(parts + (opt, f"seed{seed}")), vals, opt, seed))
    return out


def validate(spec: SweepSpec, problem) -> None:
    if not isinstance(spec.params, dict):
        raise SweepError("params must map parameter names to lists of values")
    for name, values in spec.params.items():
        if name not in problem.params:
            hint = (
                did_you_mean(name, problem.params)
                or f"parameters: {', '.join(problem.params) or 'none'}"
            )
            raise SweepError(f"'{problem.name}' has no parameter '{name}' ({hint})")
        if name in HEAD + FIXED + TAIL:
            raise SweepError(
                f"cannot sweep a parameter named '{name}': the name is taken by "
                "a column of sweep.csv"
            )
        if not values:
            raise SweepError(f"no values given for parameter '{name}'")
        for v in values:
            if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v):
                raise SweepError(f"parameter '{name}': values must be finite numbers, got {v!r}")
        if len({float(v) for v in values}) != len(values):
            raise SweepError(f"parameter '{name}': repeated values in {list(values)}")
    fixed = set((spec.overrides or {}).get("params") or {}) & set(spec.params)
    if fixed:
        raise SweepError(f"'{sorted(fixed)[0]}' is both swept and set to a fixed value")
    if int(spec.seeds) != spec.seeds or spec.seeds < 1:
        raise SweepError(f"seeds must be a positive integer, got {spec.seeds!r}")
    if spec.steps is not None and (int(spec.steps) != spec.steps or spec.steps < 0):
        raise SweepError(f"steps must be a non-negative integer, got {spec.steps!r}")
    if len(set(spec.optimizers)) != len(spec.optimizers):
        raise SweepError(f"repeated optimizers in {spec.optimizers}")
    if spec.optimizers:
        from ...train.optim import parse_schedule  # torch: not at import (the CLI's --help)

        for name in spec.optimizers:
            try:
                parse_schedule(name)
            except ValueError as exc:
                raise SweepError(str(exc)) from None
            if "/" in name or name.startswith("seed"):
                raise SweepError(f"optimizer name {name!r} cannot be a directory name")
