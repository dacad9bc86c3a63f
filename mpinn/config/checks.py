"""Ranges of every configuration key, checked before anything is built or written.

:func:`validate` checks types too, so a :class:`~.schema.SolveConfig` made in Python
(not through :func:`~.layers.resolve`) is held to the same rules. Names of optimizers,
balancers, activations and output transforms belong to their registries (``train``,
``model``, ``compile``), which check them when the run is set up, still before its
directory is written.
"""

from __future__ import annotations

import math
import re

from .build import net_for
from .errors import ConfigError
from .memory import check_memory
from .schema import NetConfig, SolveConfig

MAX_SEED = 2**63 - 1
MAX_THREADS = 1024
CLUSTER_KEYS = ("faces", "at", "fraction", "width", "scale_param")
_DEVICE = re.compile(r"^(cpu|cuda|cuda:\d+)$")
_GRID = re.compile(r"^\s*(\d+)\s*[xX]\s*(\d+)\s*$")


def _show(value) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _int(where: str, value, lo: int = 0, hi: int | None = None) -> None:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ConfigError(f"{where}: expected an integer, got {_show(value)}")
    if value < lo or (hi is not None and value > hi):
        bound = f"between {lo} and {hi}" if hi is not None else f">= {lo}"
        raise ConfigError(f"{where} must be an integer {bound}, got {value}")


def _number(where: str, value, lo=None, hi=None, lo_open=False, hi_open=False) -> None:
    """A finite number in [lo, hi] (or with open ends)."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ConfigError(f"{where}: expected a number, got {_show(value)}")
    if not math.isfinite(value):
        raise ConfigError(f"{where} must be a finite number, got {value}")
    low_bad = lo is not None and (value <= lo if lo_open else value < lo)
    high_bad = hi is not None and (value >= hi if hi_open else value > hi)
    if low_bad or high_bad:
        left = "(" if lo_open else "["
        right = ")" if hi_open else "]"
        if hi is None:
            span = f"> {lo:g}" if lo_open else f">= {lo:g}"
        else:
            span = f"in {left}{lo:g}, {hi:g}{right}"
        raise ConfigError(f"{where} must be {span}, got {value:g}")


def _text(where: str, value, choices=None, optional: bool = False) -> None:
    if optional and value is None:
        return
    if not isinstance(value, str) or not value.strip():
        raise ConfigError(
            f"{where}: expected {'text or null' if optional else 'text'}, got {_show(value)}"
        )
    if choices is not None and value not in choices:
        raise ConfigError(f"{where} must be {' or '.join(choices)}, not {value!r}")


def _bool(where: str, value) -> None:
    if not isinstance(value, bool):
        raise ConfigError(f"{where}: expected true or false, got {_show(value)}")


def _mapping(where: str, value) -> None:
    if not isinstance(value, dict):
        raise ConfigError(f"{where}: expected a mapping, got {_show(value)}")
    for key in value:
        if not isinstance(key, str):
            raise ConfigError(f"{where}: keys are text, not {_show(key)}")


def _finite_numbers(where: str, value) -> None:
    """No NaN or infinity anywhere inside an options value (lists and mappings too)."""
    if isinstance(value, float) and not math.isfinite(value):
        raise ConfigError(f"{where} must be a finite number, got {value}")
    if isinstance(value, (list, tuple)):
        for i, item in enumerate(value):
            _finite_numbers(f"{where}[{i}]", item)
    elif isinstance(value, dict):
        for k, item in value.items():
            _finite_numbers(f"{where}.{k}", item)


def _param_value(where: str, value) -> None:
    number = value
    if isinstance(value, str):  # float("5e-4") is what Problem.param_values does
        try:
            number = float(value)
        except ValueError:
            raise ConfigError(f"{where}: expected a number, got {_show(value)}") from None
    _number(where, number)


def check_net(where: str, net: NetConfig) -> None:
    _int(f"{where}.width", net.width, 1)
    _int(f"{where}.depth", net.depth, 1)
    _text(f"{where}.activation", net.activation)
    _int(f"{where}.fourier_features", net.fourier_features, 0)
    _number(f"{where}.fourier_sigma", net.fourier_sigma, 0, lo_open=True)
    _number(f"{where}.output_init_scale", net.output_init_scale, 0, 1, lo_open=True)


def _check_cluster(items) -> None:
    if not isinstance(items, list):
        raise ConfigError(f"sampling.cluster: expected a list, got {_show(items)}")
    for i, item in enumerate(items):
        where = f"sampling.cluster[{i}]"
        _mapping(where, item)
        unknown = sorted(set(item) - set(CLUSTER_KEYS))
        if unknown:
            raise ConfigError(
                f"unknown key '{where}.{unknown[0]}'; known: {', '.join(CLUSTER_KEYS)}"
            )
        for key in ("fraction", "width"):
            if key not in item:
                raise ConfigError(f"{where}: '{key}' is missing")
        _number(f"{where}.fraction", item["fraction"], 0, 1)
        _number(f"{where}.width", item["width"], 0, lo_open=True)
        faces = item.get("faces", [])
        faces = [faces] if isinstance(faces, str) else faces
        if not isinstance(faces, list) or not all(isinstance(f, str) for f in faces):
            raise ConfigError(f"{where}.faces: expected a list of face names, got {_show(faces)}")
        at = item.get("at", {})
        _mapping(f"{where}.at", at)
        for axis, spots in at.items():
            for v in spots if isinstance(spots, list) else [spots]:
                if isinstance(v, str):
                    continue  # a parameter name, checked against the problem by train
                _number(f"{where}.at.{axis}", v)
        if not faces and not at:
            raise ConfigError(f"{where}: give 'faces' and/or 'at'")
        if "scale_param" in item:
            _text(f"{where}.scale_param", item["scale_param"])


def validate(cfg: SolveConfig, problem=None) -> None:
    """ConfigError (one line) for the first key out of range. With ``problem`` (an
    :class:`mpinn.ir.Problem`), per-field keys are checked against its fields and the
    memory estimate counts its networks and dimensions."""
    _int("steps", cfg.steps, 0)
    _int("seed", cfg.seed, 0, MAX_SEED)
    _text("dtype", cfg.dtype, ("float32", "float64"))
    _text("device", cfg.device)
    if not _DEVICE.match(cfg.device):
        raise ConfigError(f"device must be cpu, cuda or cuda:N, not {cfg.device!r}")
    _int("threads", cfg.threads, 0, MAX_THREADS)
    _mapping("params", cfg.params)
    for name, value in cfg.params.items():
        _param_value(f"params.{name}", value)
    check_net("net", cfg.net)
    _mapping("nets", cfg.nets)
    for name in cfg.nets:
        check_net(f"nets.{name}", net_for(cfg, name))
    _mapping("outputs", cfg.outputs)
    for name, spec in cfg.outputs.items():
        if isinstance(spec, bool) or not isinstance(spec, (str, int, float)):
            raise ConfigError(f"outputs.{name}: expected a name or a number, got {_show(spec)}")
        if not isinstance(spec, str):
            _number(f"outputs.{name}", spec)
    _bool("normalize_inputs", cfg.normalize_inputs)
    _text("ensemble", cfg.ensemble, ("auto", "on", "off"))
    _text("compile", cfg.compile, ("auto", "on", "off"))
    _text("derivatives", cfg.derivatives, ("auto", "reverse", "forward"))
    _text("eval.report", cfg.eval.report, ("best", "last"))

    s = cfg.sampling
    _int("sampling.interior", s.interior, 1)
    _int("sampling.boundary", s.boundary, 1)
    _int("sampling.initial", s.initial, 1)
    _int("sampling.data", s.data, 1)
    _text("sampling.method", s.method, ("uniform", "sobol"))
    _int("sampling.resample_every", s.resample_every, 0)  # 0: one fixed batch
    _check_cluster(s.cluster)
    _mapping("sampling.per_term", s.per_term)
    for name, n in s.per_term.items():
        _int(f"sampling.per_term.{name}", n, 1)

    o = cfg.optimizer
    _text("optimizer.name", o.name)
    _number("optimizer.lr", o.lr, 0, lo_open=True)
    _mapping("optimizer.options", o.options)
    for name, value in o.options.items():
        _finite_numbers(f"optimizer.options.{name}", value)
    _int("optimizer.warmup_steps", o.warmup_steps, 0)
    _number("optimizer.decay_rate", o.decay_rate, 0, 1, lo_open=True)
    _int("optimizer.decay_steps", o.decay_steps, 1)
    _int("optimizer.lbfgs_steps", o.lbfgs_steps, 0)

    b = cfg.balance
    _text("balance.name", b.name)
    _number("balance.alpha", b.alpha, 0, 1, hi_open=True)  # 1 would never update
    _int("balance.every", b.every, 1)

    _int("eval.grid", cfg.eval.grid, 0)
    if cfg.eval.grid == 1:
        raise ConfigError("eval.grid must be 0 (by dimension) or at least 2 (both ends)")
    _int("eval.every", cfg.eval.every, 0)
    r = cfg.reference
    _text("reference.solver", r.solver, optional=True)
    _text("reference.file", r.file, optional=True)
    _text("reference.grid", r.grid)
    if not _GRID.match(r.grid):
        raise ConfigError(f"reference.grid: expected NXxNY, e.g. 160x96, not {r.grid!r}")
    _int("log_every", cfg.log_every, 0)
    _int("checkpoint_every", cfg.checkpoint_every, 0)
    _number("time_limit_s", cfg.time_limit_s, 0)
    _text("init", cfg.init, optional=True)
    _mapping("quick", cfg.quick)

    if problem is not None:
        fields = tuple(problem.fields)
        for key, mapping in (("nets", cfg.nets), ("outputs", cfg.outputs)):
            for name in mapping:
                if name not in fields:
                    raise ConfigError(
                        f"{key}: '{name}' is not a field of {problem.name} "
                        f"(fields: {', '.join(fields)})"
                    )
    check_memory(cfg, problem)
