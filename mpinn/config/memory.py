"""Memory estimates of a configuration, checked before anything is built or written.

The estimates are *lower bounds* of what a run holds at once, so a refusal is never
wrong by more than the estimate's optimism:

* the networks: parameters x (value, gradient, two optimizer moments);
* one training step: collocation points x width x depth x fields x
  :data:`ACTIVATION_VALUES` values (the forward pass and the graph of the input
  derivatives; measured 16-50 per unit for 1D and 2D second-order problems in float32);
* the evaluation grid: points x (coordinates + prediction, truth and error per field),
  float64 as written to ``fields.npz``;
* the numerical reference: grid cells x :data:`REFERENCE_BYTES_PER_CELL`.

Without the problem (``problem=None``) the dimension, the number of fields and the input
features are unknown: one field, one input and a one-dimensional grid are assumed, which
still refuses the absurd (``net.width: 100000``). With the problem (anything with
``fields``, ``coords``, ``features``, ``dim``, ``time`` and ``conditions``, e.g. an
:class:`mpinn.ir.Problem`) the estimate counts every network and grid axis.

The limit is the machine's physical memory (``os.sysconf``); a CUDA run is bounded by
:data:`CUDA_LIMIT_BYTES` or the host's memory, whichever is larger (the configuration
stage does not import torch to ask the device).
"""

from __future__ import annotations

import os
import re

from .build import net_for
from .errors import ConfigError
from .schema import NetConfig, SolveConfig

ACTIVATION_VALUES = 16
OPTIMIZER_VALUES = 4  # value, gradient, first and second moments
REFERENCE_BYTES_PER_CELL = 6 * 8 * 16  # six unknowns, float64, a sparse Jacobian's rows
CUDA_LIMIT_BYTES = 256 << 30
DEFAULT_GRID = {1: 1001, 2: 161, 3: 41}  # as mpinn.train.evaluate
EVAL_TIME_POINTS = 21
_GRID = re.compile(r"^\s*(\d+)\s*[xX]\s*(\d+)\s*$")


def physical_bytes() -> int:
    """The machine's physical memory (0 where the platform does not tell)."""
    try:
        return int(os.sysconf("SC_PAGE_SIZE")) * int(os.sysconf("SC_PHYS_PAGES"))
    except (AttributeError, ValueError, OSError):
        return 0


def available_bytes() -> int:
    """Memory available now (Linux ``MemAvailable``; else free pages; else physical)."""
    try:
        with open("/proc/meminfo", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    try:
        return int(os.sysconf("SC_PAGE_SIZE")) * int(os.sysconf("SC_AVPHYS_PAGES"))
    except (AttributeError, ValueError, OSError):
        return physical_bytes()


def human(n: float) -> str:
    """Bytes as text: 1.5 GiB, 300 MiB, 2.1e+04 TiB."""
    for unit, size in (("TiB", 1 << 40), ("GiB", 1 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10)):
        if n >= size:
            value = n / size
            return f"{value:.3g} {unit}" if value < 1e4 else f"{value:.2g} {unit}"
    return f"{int(n)} B"


def limit_bytes(cfg: SolveConfig) -> int:
    """What a run of ``cfg`` may use: physical memory (more for a CUDA device)."""
    host = physical_bytes()
    if cfg.device.startswith("cuda"):
        return max(host, CUDA_LIMIT_BYTES)
    return host


def net_params(net: NetConfig, n_inputs: int) -> int:
    """Weights and biases of one field's MLP (:class:`mpinn.model.MLP`)."""
    width, depth = net.width, net.depth
    n_in = 2 * net.fourier_features if net.fourier_features > 0 else n_inputs
    return (n_in + 1) * width + (depth - 1) * (width + 1) * width + width + 1


def _shape(cfg: SolveConfig, problem) -> tuple:
    """(networks by field name, inputs per network, eval grid points, has conditions)."""
    if problem is None:
        nets = {"net": cfg.net}
        nets.update({f"nets.{f}": net_for(cfg, f) for f in cfg.nets})
        n = cfg.eval.grid or DEFAULT_GRID[1]
        return nets, 1, n, None
    nets = {f: net_for(cfg, f) for f in problem.fields}
    n_inputs = len(problem.coords) + len(getattr(problem, "periodic", ()))
    n_inputs += len(getattr(problem, "features", ()))
    dim = min(max(problem.dim, 1), 3)
    n = (cfg.eval.grid or DEFAULT_GRID[dim]) ** problem.dim
    if problem.time is not None:
        n *= EVAL_TIME_POINTS
    return nets, n_inputs, n, problem


def _per_point(nets: dict, bytes_per_value: int) -> int:
    return sum(n.width * n.depth for n in nets.values()) * ACTIVATION_VALUES * bytes_per_value


def estimates(cfg: SolveConfig, problem=None) -> dict:
    """{what: (bytes, description)} for the networks with one training step, each point
    count alone, the evaluation grid and the reference grid."""
    nets, n_inputs, n_eval, prob = _shape(cfg, problem)
    value = 8 if cfg.dtype == "float64" else 4
    params = {name: net_params(net, n_inputs) for name, net in nets.items()}
    s = cfg.sampling
    out = {}
    if prob is None:  # fields unknown: every network alone must fit
        groups = {name: {name: net} for name, net in nets.items()}
        points = s.interior
    else:
        groups = {"networks": nets}
        points = s.interior
        if any(t.kind == "bc" for t in prob.conditions):
            points += s.boundary
        if prob.time is not None:
            points += s.initial
    for name, group in groups.items():
        p = sum(params[k] for k in group)
        total = p * OPTIMIZER_VALUES * value + points * _per_point(group, value)
        if prob is None:
            shape = f"{name}.width={group[name].width}, {name}.depth={group[name].depth}"
        else:
            keys: list = []
            for k, n in group.items():
                key = f"nets.{k}" if k in cfg.nets else "net"
                text = f"{key}.width={n.width}, {key}.depth={n.depth}"
                keys += [text] if text not in keys else []
            shape = f"networks {', '.join(group)} ({'; '.join(keys)})"
        out[f"train:{name}"] = (
            total,
            f"{shape}: {p:.3g} parameters trained on {points} points per step",
        )
    per_point = _per_point(nets, value) if prob is not None else _per_point({"n": cfg.net}, value)
    counts = {
        "sampling.interior": s.interior,
        "sampling.boundary": s.boundary,
        "sampling.initial": s.initial,
    }
    counts.update({f"sampling.per_term.{k}": v for k, v in s.per_term.items()})
    for key, n in counts.items():
        out[key] = (n * per_point, f"{key}={n} points per step")
    n_fields = len(nets) if prob is not None else 1
    n_coords = len(prob.coords) if prob is not None else 1
    out["eval.grid"] = (
        n_eval * (n_coords + 3 * n_fields) * 8,
        f"an evaluation grid of {n_eval:.3g} points (eval.grid={cfg.eval.grid})",
    )
    match = _GRID.match(str(cfg.reference.grid))
    if cfg.reference.solver and match:
        cells = int(match[1]) * int(match[2])
        out["reference.grid"] = (
            cells * REFERENCE_BYTES_PER_CELL,
            f"a reference grid of {cells:.3g} cells (reference.grid={cfg.reference.grid})",
        )
    return out


def check_memory(cfg: SolveConfig, problem=None) -> None:
    """ConfigError with the estimate when a run of ``cfg`` cannot fit in memory."""
    limit = limit_bytes(cfg)
    if limit <= 0:
        return
    for need, what in estimates(cfg, problem).values():
        if need > limit:
            raise ConfigError(
                f"{what} would need at least {human(need)} of memory; this machine has "
                f"{human(limit)}"
            )
