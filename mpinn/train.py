"""The training loop: sample points, evaluate residual terms, balance, step.

:func:`build` assembles a :class:`Setup` (compiled program, networks, sampler, term groups)
from a Problem and a SolveConfig; :func:`train` runs the optimizer schedule on it with a
progress bar, a history, checkpoints and a NaN guard; :func:`evaluate` computes predictions
and errors on the evaluation grid.
"""

from __future__ import annotations

import copy
import math
import pickle
import time
from dataclasses import dataclass, field

import numpy as np
import torch

from . import geometry
from .balance import make_balancer
from .compile import ResidualProgram, output_expression
from .config import ConfigError, SolveConfig
from .nets import FieldNets
from .optim import make_lr_schedule, make_optimizer, needs_closure, parse_schedule
from .symbolic import Problem

DTYPES = {"float32": torch.float32, "float64": torch.float64}
DEFAULT_GRID = {1: 1001, 2: 161, 3: 41}


@dataclass
class Group:
    """Terms evaluated on the same points: the equations, one bc's faces, or the ic."""

    kind: str  # "interior" | "faces" | "initial"
    terms: list
    faces: tuple = ()
    n: int | None = None  # points per step (None: the sampler's count for this kind)


@dataclass
class Setup:
    problem: Problem
    cfg: SolveConfig
    values: dict  # parameter values
    box: geometry.Box
    program: ResidualProgram
    nets: FieldNets
    sampler: geometry.Sampler
    groups: list
    device: torch.device
    dtype: torch.dtype
    reference: object = None  # callable(points) -> {field: values} or None

    @property
    def term_names(self) -> list:
        return [t for g in self.groups for t in g.terms]


@dataclass
class TrainResult:
    history: list = field(default_factory=list)
    steps_done: int = 0
    wall_time_s: float = 0.0
    stopped: str | None = None  # why training stopped early, or None
    final_losses: dict = field(default_factory=dict)
    final_weights: dict = field(default_factory=dict)
    time_limited: bool = False  # stopped by cfg.time_limit_s (a budget, not a failure)


def resolve_faces(problem: Problem, names) -> tuple:
    """Face names for clustering: user boundaries, built-in side names or 'all'."""
    box = problem.box()
    faces = []
    for name in names:
        if name in problem.boundaries:
            faces.extend(problem.boundaries[name])
        elif name in ("all", "boundary"):
            faces.extend(geometry.all_faces(box))
        else:
            try:
                faces.append(geometry.face_by_name(box, name))
            except ValueError as exc:
                raise ConfigError(f"sampling.cluster: {exc}") from None
    return tuple(dict.fromkeys(faces))


def resolve_planes(problem: Problem, at: dict, values: dict, box: geometry.Box) -> tuple:
    """``{x: [a, 2.5]}`` → the planes x = a and x = 2.5 inside the domain (numbers or
    parameter names, so that ``--set a=...`` moves them with the problem)."""
    axes = list(box.names)
    planes = []
    for axis, where in dict(at).items():
        if axis not in axes:
            raise ValueError(f"'{axis}' is not a coordinate of {problem.name} ({', '.join(axes)})")
        for v in where if isinstance(where, (list, tuple)) else [where]:
            if isinstance(v, str) and v not in values:
                raise ValueError(f"'{v}' is neither a number nor a parameter of {problem.name}")
            plane = geometry.Plane(axes.index(axis), float(values[v] if isinstance(v, str) else v))
            plane.check(box)
            planes.append(plane)
    return tuple(planes)


def warm_start(nets, path) -> None:
    """Start from a saved run's networks (model.pt, loaded with weights_only=True). The
    problem's parameters may differ, so a solution at one eps can start the next."""
    from .results import load_model  # results imports this module: a local import

    try:
        load_model(path, nets)
    except (OSError, RuntimeError, KeyError, TypeError, pickle.UnpicklingError) as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise ConfigError(f"init: cannot start from {path}: {first} (a model.pt of a run of "
                          "the same problem with the same network shapes)") from None


def build(problem: Problem, cfg: SolveConfig, reference=None) -> Setup:
    try:
        values = problem.param_values(cfg.params)
    except KeyError as exc:
        raise ConfigError(exc.args[0]) from None
    if cfg.threads > 0:
        torch.set_num_threads(cfg.threads)
    device = torch.device(cfg.device)
    if device.type == "cuda" and not torch.cuda.is_available():
        raise ConfigError("device 'cuda' requested but torch sees no CUDA device")
    dtype = DTYPES[cfg.dtype]
    box = problem.box(values)
    program = ResidualProgram(problem)
    try:
        outputs = {f: output_expression(spec) for f, spec in cfg.outputs.items()}
    except ValueError as exc:
        raise ConfigError(f"outputs: {exc}") from None
    unknown = sorted(set(outputs) - set(problem.fields))
    if unknown:
        raise ConfigError(f"outputs: '{unknown[0]}' is not a field of {problem.name}")
    try:
        nets = FieldNets(problem, box, values, cfg.net,
                         per_field={f: cfg.net_for(f) for f in problem.fields}, seed=cfg.seed,
                         normalize_inputs=cfg.normalize_inputs, outputs=outputs)
    except ValueError as exc:
        raise ConfigError(f"net: {exc}") from None
    if cfg.init:
        warm_start(nets, cfg.init)
    nets = nets.to(device, dtype)
    if cfg.ensemble not in ("auto", "on", "off"):
        raise ConfigError(f"ensemble must be auto, on or off, not {cfg.ensemble!r}")
    # measured (docs/performance.md): 2.1x faster on a GPU, 0.9-1.0x on a CPU
    nets.ensemble = cfg.ensemble == "on" or (cfg.ensemble == "auto" and device.type == "cuda")
    clusters = []
    for item in cfg.sampling.cluster:
        try:
            width = float(item["width"])
            if item.get("scale_param"):  # width in units of a parameter, e.g. Debye lengths
                width *= values[item["scale_param"]]
            targets = resolve_faces(problem, item.get("faces", ()))
            targets += resolve_planes(problem, item.get("at", {}), values, box)
            clusters.append(geometry.Cluster(targets, float(item["fraction"]), width))
        except (KeyError, TypeError, ValueError) as exc:
            raise ConfigError("sampling.cluster entries are {faces: [...] and/or at: {x: [...]}, "
                              f"fraction: F, width: W[, scale_param: NAME]}}: {exc}") from None
    s = cfg.sampling
    sampler = geometry.Sampler(box, n_interior=s.interior, n_boundary=s.boundary,
                               n_initial=s.initial if box.time else 0, method=s.method,
                               clusters=tuple(clusters),
                               resample_every=s.resample_every, seed=cfg.seed, dtype=dtype)
    groups = [Group("interior", [t.name for t in problem.equations])]
    per_term = dict(s.per_term)
    by_key: dict = {}
    for t in problem.conditions:
        statement = t.name.split(".")[0]
        n = per_term.pop(t.name, None) or per_term.get(statement)
        by_key.setdefault((t.kind, t.faces, n), []).append(t.name)
    per_term = {k: v for k, v in per_term.items() if k not in
                {t.name.split(".")[0] for t in problem.conditions}}
    if per_term:
        raise ConfigError(f"sampling.per_term: '{next(iter(per_term))}' is not a condition of "
                          f"{problem.name}")
    groups += [Group("faces" if kind == "bc" else "initial", names, faces, n)
               for (kind, faces, n), names in by_key.items()]
    return Setup(problem, cfg, values, box, program, nets, sampler, groups, device, dtype,
                 reference)


def points_for(setup: Setup, group: Group, step: int):
    """The batch of ``group`` at ``step``: (points, normals or None)."""
    if group.kind == "interior":
        return setup.sampler.interior(step), None
    if group.kind == "faces":
        return setup.sampler.faces(group.faces, group.n, step)
    return setup.sampler.initial(step, group.n), None


def losses_at(setup: Setup, step: int) -> dict:
    """Mean squared residual of every term, on the batch of ``step``."""
    out = {}
    for group in setup.groups:
        points, normals = points_for(setup, group, step)
        points = points.to(setup.device)
        normals = normals.to(setup.device) if normals is not None else None
        res = setup.program.evaluate(setup.nets, points, group.terms, setup.values, normals)
        out.update({name: (r ** 2).mean() for name, r in res.items()})
    return out


# --- evaluation --------------------------------------------------------------------------
def eval_points(setup: Setup):
    n = setup.cfg.eval.grid or DEFAULT_GRID[setup.box.dim]
    n_time = 21 if setup.box.time else None
    points, shape, axes = geometry.eval_grid(setup.box, n, n_time=n_time, dtype=setup.dtype)
    return points.to(setup.device), shape, axes


def predict(setup: Setup, points: torch.Tensor, chunk: int = 20000) -> dict:
    outs = []
    with torch.no_grad():
        for i in range(0, points.shape[0], chunk):
            outs.append({k: v.detach() for k, v in setup.nets(points[i:i + chunk]).items()})
    return {f: torch.cat([o[f] for o in outs]) for f in setup.problem.fields}


def truth(setup: Setup, points: torch.Tensor) -> dict:
    """Exact solution (from the problem) or reference solution values at points."""
    if setup.reference is not None:
        return setup.reference(points)
    with torch.no_grad():
        return {k: v.detach() for k, v in setup.program.exact_values(points, setup.values).items()}


def relative_l2(pred: dict, ref: dict) -> dict:
    """Relative L2 per field; fields without a reference map to None.

    A reference that is identically zero (e.g. v = 0 in a straight channel) has no relative
    error; its value is the RMS error instead (see metrics.json ``l2_kind``).
    """
    out = {}
    for f, p in pred.items():
        if f not in ref:
            out[f] = None
            continue
        r = ref[f].to(torch.float64)
        p = p.to(torch.float64)
        den = torch.linalg.vector_norm(r)
        num = torch.linalg.vector_norm(p - r)
        if den <= 1e-12 * math.sqrt(r.numel()):
            out[f] = float(num / math.sqrt(r.numel()))
        else:
            out[f] = float(num / den)
    return out


def l2_kinds(ref: dict) -> dict:
    return {f: ("absolute_rms" if float(torch.linalg.vector_norm(r.to(torch.float64)))
                <= 1e-12 * math.sqrt(r.numel()) else "relative") for f, r in ref.items()}


def current_l2(setup: Setup, points) -> dict:
    ref = truth(setup, points)
    if not ref:
        return {}
    pred = predict(setup, points)
    return {f: v for f, v in relative_l2(pred, ref).items() if v is not None}


# --- training ----------------------------------------------------------------------------
def train(setup: Setup, progress=None, checkpoint=None,
          result: TrainResult | None = None) -> TrainResult:
    """Run the optimizer schedule.

    ``progress``: an object with ``update(step, info: dict)`` (the CLI's rich bar) or None.
    ``checkpoint``: callable(step, history) that saves the model and the history so far,
    or None. ``result``: filled in as training goes (so an interrupted caller keeps the
    history); a new one by default.
    """
    cfg = setup.cfg
    try:
        phases = parse_schedule(cfg.optimizer.name)
    except ValueError as exc:
        raise ConfigError(str(exc)) from None
    steps = cfg.steps
    lbfgs_steps = min(cfg.optimizer.lbfgs_steps, steps) if len(phases) == 2 else 0
    if len(phases) == 2 and lbfgs_steps == 0:
        lbfgs_steps = max(1, steps // 10)
    plan = [(phases[0], steps - lbfgs_steps)] + ([("lbfgs", lbfgs_steps)] if lbfgs_steps else [])
    params = list(setup.nets.parameters())
    balancer = make_balancer(cfg.balance.name, setup.term_names, alpha=cfg.balance.alpha,
                             every=cfg.balance.every)
    eval_pts = eval_points(setup)[0]
    result = result if result is not None else TrainResult()
    last_good = copy.deepcopy(setup.nets.state_dict())
    last_good_step = 0
    l2: dict = {}
    start = time.perf_counter()
    step = 0
    for name, n_steps in plan:
        if n_steps <= 0:
            continue
        try:
            options = dict(cfg.optimizer.options) if name != "lbfgs" else {}
            optimizer = make_optimizer(name, params, lr=cfg.optimizer.lr if name != "lbfgs"
                                       else 1.0, **options)
        except ValueError as exc:
            raise ConfigError(f"optimizer: {exc}") from None
        schedule = None
        if not needs_closure(optimizer):
            schedule = make_lr_schedule(optimizer, warmup_steps=cfg.optimizer.warmup_steps,
                                        decay_rate=cfg.optimizer.decay_rate,
                                        decay_steps=cfg.optimizer.decay_steps)
        fixed_step = step  # L-BFGS keeps one batch: line searches need a fixed objective
        for _ in range(n_steps):
            if needs_closure(optimizer):
                def closure():
                    optimizer.zero_grad()
                    loss_ = balancer.combine(losses_at(setup, fixed_step))
                    loss_.backward()
                    return loss_
                optimizer.step(closure)
                losses = losses_at(setup, fixed_step)
                total = balancer.combine(losses)
            else:
                losses = losses_at(setup, step)
                balancer.maybe_update(step, losses, params)
                total = balancer.combine(losses)
                optimizer.zero_grad(set_to_none=True)
                total.backward()
            if not torch.isfinite(total.detach()).item():  # one sync: any bad term shows here
                setup.nets.load_state_dict(last_good)
                result.stopped = (f"loss became non-finite at step {step}; restored the "
                                  f"networks of step {last_good_step}")
                break
            if not needs_closure(optimizer):
                optimizer.step()
                schedule.step()
            step += 1
            result.steps_done = step  # kept current so that an interrupted run reports both
            result.wall_time_s = time.perf_counter() - start
            fresh_l2 = (cfg.eval.every and step % cfg.eval.every == 0) or step == steps
            if fresh_l2:
                l2 = current_l2(setup, eval_pts)
            log_now = step % max(cfg.log_every, 1) == 0 or step == steps or fresh_l2
            if log_now:
                last_good = copy.deepcopy(setup.nets.state_dict())
                last_good_step = step
                row = {"step": step, "time_s": time.perf_counter() - start,
                       "optimizer": name, "lr": optimizer.param_groups[0]["lr"],
                       "loss": float(total.detach())}
                row.update({f"loss[{k}]": float(v.detach()) for k, v in losses.items()})
                row.update({f"weight[{k}]": w for k, w in balancer.weights.items()})
                if fresh_l2:
                    row.update({f"l2[{k}]": v for k, v in l2.items()})
                result.history.append(row)
            if progress is not None:
                progress.update(step, {"loss": float(total.detach()),
                                       "losses": {k: v.detach() for k, v in losses.items()}, "l2": l2})
            if checkpoint is not None and cfg.checkpoint_every and \
                    step % cfg.checkpoint_every == 0:
                checkpoint(step, result.history)
            if cfg.time_limit_s and time.perf_counter() - start > cfg.time_limit_s:
                result.time_limited = True
                break
        if result.stopped or result.time_limited:
            break
    if result.time_limited and (not result.history or result.history[-1]["step"] != step):
        l2 = current_l2(setup, eval_pts)  # the final row of a run cut short by its budget
        result.history.append({"step": step, "time_s": time.perf_counter() - start,
                               "loss": float(total.detach()),
                               **{f"l2[{k}]": v for k, v in l2.items()}})
    result.steps_done = step
    result.wall_time_s = time.perf_counter() - start
    if step == 0 or result.stopped:  # no step taken, or networks restored: evaluate anew
        losses = losses_at(setup, max(step - 1, 0))
    result.final_losses = {k: float(v.detach()) for k, v in losses.items()}
    result.final_weights = balancer.weights
    return result


def grid_fields(setup: Setup):
    """Predictions and truth on the evaluation grid, as numpy arrays for fields.npz.

    Returns ``(arrays, l2, l2_kind)``.
    """
    points, shape, axes = eval_points(setup)
    pred = predict(setup, points)
    ref = truth(setup, points)
    out = {"points": points.cpu().double().numpy(), "shape": np.array(shape)}
    for name, axis in zip(setup.box.columns, axes):
        out[f"axis_{name}"] = np.asarray(axis, dtype=float)
    for f, v in pred.items():
        out[f"pred_{f}"] = v.cpu().double().numpy().reshape(shape)
    for f, v in ref.items():
        out[f"exact_{f}"] = v.cpu().double().numpy().reshape(shape)
    return out, relative_l2(pred, ref) if ref else {f: None for f in pred}, l2_kinds(ref)
