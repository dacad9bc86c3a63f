"""Assembling a training run: :func:`build` turns a Problem and a SolveConfig into a
:class:`Setup` (compiled program, networks, sampler, term groups); :func:`losses_at` is
the mean squared residual of every term at one step."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from ..compile import ResidualProgram, compile_options, output_expression
from ..config import ConfigError, SolveConfig, net_for
from ..geometry import Cluster, Domain, Sampler, derive_seed, domain_of
from ..ir import Plane, Problem, ShapePiece, WholeBoundary, box_faces, data_symbol, face_by_name
from ..model import FieldNets
from ..model.checkpoint import warm_start
from .distributed import local_rows, world

DTYPES = {"float32": torch.float32, "float64": torch.float64}


@dataclass
class Group:
    """Terms evaluated on the same points: the equations, one bc's faces, or the ic."""

    kind: str  # "interior" | "faces" | "initial" | "data"
    terms: list
    region: tuple = ()  # the boundary pieces of a "faces" group
    n: int | None = None  # points per step (None: the sampler's count for this kind)


@dataclass
class Setup:
    problem: Problem
    cfg: SolveConfig
    domain: Domain
    program: ResidualProgram
    nets: FieldNets
    sampler: Sampler
    groups: list
    device: torch.device
    dtype: torch.dtype
    reference: object = None  # callable(points) -> {field: values} or None
    rank: int = 0  # data parallel (train/distributed.py): this process's rows of each batch
    world_size: int = 1

    @property
    def values(self) -> dict:
        """The numeric parameter values (owned by the model: ``nets.params``)."""
        return self.nets.params

    @property
    def term_names(self) -> list:
        return [t for g in self.groups for t in g.terms]


def resolve_faces(problem: Problem, names) -> tuple:
    """Face names for clustering: user boundaries, built-in side names or 'all'."""
    dim = problem.dim
    faces = []
    for name in names:
        if getattr(problem, "shape", None) is not None and name not in problem.boundaries:
            faces.append(_shape_target(problem, name))
        elif name in problem.boundaries:
            faces.extend(problem.boundaries[name])
        elif name in ("all", "boundary"):
            faces.extend(box_faces(dim))
        else:
            try:
                faces.append(face_by_name(dim, name))
            except ValueError as exc:
                raise ConfigError(f"sampling.cluster: {exc}") from None
    return tuple(dict.fromkeys(faces))


def _shape_target(problem: Problem, name: str):
    """A clustering target on a domain built from shapes: a shape of the domain or all."""
    if name in ("all", "boundary"):
        return WholeBoundary()
    if name in problem.shape.named():
        return ShapePiece(name)
    known = ", ".join([*problem.shape.named(), *problem.boundaries, "all"])
    raise ConfigError(f"sampling.cluster: '{name}' is not a shape of the domain (known: {known})")


def resolve_planes(problem: Problem, at: dict, values: dict, box: Domain) -> tuple:
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
            plane = Plane(axes.index(axis), float(values[v] if isinstance(v, str) else v))
            plane.check(box)
            planes.append(plane)
    return tuple(planes)


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
    domain = domain_of(problem, values)
    try:  # compiled residuals and the derivative engine (docs/performance.md)
        options = compile_options(cfg.compile, cfg.derivatives, device.type)
    except ValueError as exc:
        raise ConfigError(str(exc)) from None
    program = ResidualProgram(problem, **options)
    try:
        outputs = {f: output_expression(spec) for f, spec in cfg.outputs.items()}
    except ValueError as exc:
        raise ConfigError(f"outputs: {exc}") from None
    unknown = sorted(set(outputs) - set(problem.fields))
    if unknown:
        raise ConfigError(f"outputs: '{unknown[0]}' is not a field of {problem.name}")
    try:
        nets = FieldNets(
            problem,
            domain,
            values,
            cfg.net,
            per_field={f: net_for(cfg, f) for f in problem.fields},
            seed=cfg.seed,
            normalize_inputs=cfg.normalize_inputs,
            outputs=outputs,
            graphs=options["graphs"],  # features and transforms as fx graphs too
        )
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
            targets += resolve_planes(problem, item.get("at", {}), values, domain)
            clusters.append(Cluster(targets, float(item["fraction"]), width))
        except (KeyError, TypeError, ValueError) as exc:
            raise ConfigError(
                "sampling.cluster entries are {faces: [...] and/or at: {x: [...]}, "
                f"fraction: F, width: W[, scale_param: NAME]}}: {exc}"
            ) from None
    s = cfg.sampling
    sampler = Sampler(
        domain,
        n_interior=s.interior,
        n_boundary=s.boundary,
        n_initial=s.initial if domain.time else 0,
        method=s.method,
        clusters=tuple(clusters),
        resample_every=s.resample_every,
        seed=cfg.seed,
        dtype=dtype,
    )
    groups = [Group("interior", [t.name for t in problem.equations])]
    per_term = dict(s.per_term)
    by_key: dict = {}
    for t in problem.conditions:
        statement = t.name.split(".")[0]
        n = per_term.pop(t.name, None) or per_term.get(statement)
        by_key.setdefault((t.kind, t.region, n), []).append(t.name)
    per_term = {
        k: v
        for k, v in per_term.items()
        if k not in {t.name.split(".")[0] for t in problem.conditions}
    }
    if per_term:
        raise ConfigError(
            f"sampling.per_term: '{next(iter(per_term))}' is not a condition of {problem.name}"
        )
    groups += [
        Group("faces" if kind == "bc" else "initial", names, region, n)
        for (kind, region, n), names in by_key.items()
    ]
    for ds in problem.data.values():  # one group per data statement, region = its name
        names = [ds.term_name(f) for f in ds.fields]
        groups.append(Group("data", names, (ds.name,), min(s.data, len(ds.points))))
    rank, size = world()
    return Setup(
        problem, cfg, domain, program, nets, sampler, groups, device, dtype, reference, rank, size
    )


def points_for(setup: Setup, group: Group, step: int, sampler: Sampler | None = None):
    """The batch of ``group`` at ``step``: (points, normals or None). ``sampler``: another
    stream than the training one (the validation points)."""
    sampler = sampler or setup.sampler
    if group.kind == "interior":
        return sampler.interior(step), None
    if group.kind == "faces":
        return sampler.faces(group.region, group.n, step)
    return sampler.initial(step, group.n), None


def data_batch(setup: Setup, group: Group, step: int | None):
    """(points, {data symbol: values}) of a data group at ``step``: a mini-batch of
    ``group.n`` rows, a pure function of (seed, resample epoch) like the collocation points;
    every row when the data set is that small, or when ``step`` is None (validation)."""
    ds = setup.problem.data[group.region[0]]
    rows = np.arange(len(ds.points))
    if step is not None and group.n < len(rows):
        epoch = setup.sampler.epoch(step)
        rng = np.random.default_rng(derive_seed(setup.cfg.seed, epoch, f"data:{ds.name}"))
        rows = np.sort(rng.choice(len(rows), group.n, replace=False))
    points = torch.as_tensor(ds.points[rows], dtype=setup.dtype, device=setup.device)
    values = {
        data_symbol(ds.name, f): torch.as_tensor(ds.values[f][rows], dtype=setup.dtype).to(
            setup.device
        )
        for f in ds.fields
    }
    return points, values


def losses_at(setup: Setup, step: int, sampler: Sampler | None = None) -> dict:
    """Mean squared residual of every term, on the batch of ``step`` (``sampler``: the
    validation points, on which data terms use all their rows).

    Data parallel (``setup.world_size > 1``, training batches only): this rank's share of
    the mean, the sum over its rows ``rank::world`` of the global batch divided by the
    global row count; the sum over ranks is the mean over the global batch."""
    out = {}
    split = sampler is None and setup.world_size > 1
    for group in setup.groups:
        data = None
        if group.kind == "data":
            points, data = data_batch(setup, group, step if sampler is None else None)
            normals = None
        else:
            points, normals = points_for(setup, group, step, sampler)
        points = points.to(setup.device)
        normals = normals.to(setup.device) if normals is not None else None
        if split:
            n_global = len(points)
            rank, size = setup.rank, setup.world_size
            points, normals = local_rows(points, rank, size), local_rows(normals, rank, size)
            if data is not None:
                data = {k: local_rows(v, rank, size) for k, v in data.items()}
        res = setup.program.evaluate(
            setup.nets, points, group.terms, setup.values, normals, data=data
        )
        if split:  # (a constant or parameter-only residual broadcasts like the mean)
            share = len(points) / n_global
            out.update(
                {
                    n: (r**2).sum() * 0.0 if not share else (r**2).mean() * share
                    for n, r in res.items()
                }
            )
        else:
            out.update({name: (r**2).mean() for name, r in res.items()})
    return out
