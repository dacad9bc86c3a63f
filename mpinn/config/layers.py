"""Training configuration, filled from YAML layers.

Layers, later wins: the package defaults (``mpinn/config/defaults.yaml``), a YAML file next
to the problem (``problems/NAME.yaml``), ``--config FILE``, command-line options. The
resolved configuration is written with every run (``config.yaml``) and rerunning with it
reproduces the run. Unknown keys are errors, never silently ignored.
"""

from __future__ import annotations

import copy
import dataclasses
from importlib import resources
from pathlib import Path

import yaml

from .schema import NetConfig, SolveConfig

MAPPINGS = (
    "params",
    "nets",
    "outputs",
    "per_term",
    "options",
    "quick",
)  # user-keyed, merged shallowly


class ConfigError(ValueError):
    """A configuration mistake the user can fix (the CLI exits with code 2)."""


def default_dict() -> dict:
    text = resources.files(__package__).joinpath("defaults.yaml").read_text(encoding="utf-8")
    return yaml.safe_load(text)


def read_yaml(path: str | Path) -> dict:
    try:
        data = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    except OSError as exc:
        raise ConfigError(f"cannot read config {path}: {exc}") from None
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path}: invalid YAML: {exc}") from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: a config file is a mapping of keys to values")
    return data


def merge(base: dict, override: dict) -> dict:
    """Deep merge: mappings merge key by key, everything else is replaced."""
    out = copy.deepcopy(base)
    for key, value in override.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict) and key not in MAPPINGS:
            out[key] = merge(out[key], value)
        elif isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = {**out[key], **copy.deepcopy(value)}
        else:
            out[key] = copy.deepcopy(value)
    return out


def set_dotted(data: dict, dotted: str, value) -> dict:
    """``optimizer.lr`` = value, returning a new dict."""
    out = copy.deepcopy(data)
    node = out
    parts = dotted.split(".")
    for part in parts[:-1]:
        if not isinstance(node.get(part), dict):
            node[part] = {}
        node = node[part]
    node[parts[-1]] = value
    return out


def _coerce(value, default, where: str):
    if isinstance(default, bool):
        if isinstance(value, bool):
            return value
        raise ConfigError(f"{where}: expected true or false, got {value!r}")
    if isinstance(default, int) and not isinstance(default, bool):
        if isinstance(value, int) and not isinstance(value, bool):
            return value
        if isinstance(value, float) and value.is_integer():
            return int(value)
        raise ConfigError(f"{where}: expected an integer, got {value!r}")
    if isinstance(default, float):
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return float(value)
        if isinstance(value, str):  # YAML 1.1 reads 5e-4 (no dot) as text
            try:
                return float(value)
            except ValueError:
                pass
        raise ConfigError(f"{where}: expected a number, got {value!r}")
    if isinstance(default, str):
        if isinstance(value, str):
            return value
        raise ConfigError(f"{where}: expected text, got {value!r}")
    return value


def _build(cls, data: dict, where: str = ""):
    if not isinstance(data, dict):
        raise ConfigError(f"{where or 'config'}: expected a mapping, got {data!r}")
    fields = {f.name: f for f in dataclasses.fields(cls)}
    unknown = sorted(set(data) - set(fields))
    if unknown:
        import difflib

        close = difflib.get_close_matches(unknown[0], fields, n=1)
        hint = f" (did you mean '{close[0]}'?)" if close else ""
        raise ConfigError(
            f"unknown config key '{(where + '.') if where else ''}{unknown[0]}'"
            f"{hint}; known: {', '.join(fields)}"
        )
    defaults = cls()
    kwargs = {}
    for name, value in data.items():
        here = f"{where}.{name}" if where else name
        default = getattr(defaults, name)
        if dataclasses.is_dataclass(default):
            kwargs[name] = _build(type(default), value, here)
        elif default is None or isinstance(default, (dict, list)):
            if isinstance(default, dict) and not isinstance(value, dict):
                raise ConfigError(f"{here}: expected a mapping, got {value!r}")
            if isinstance(default, list) and not isinstance(value, list):
                raise ConfigError(f"{here}: expected a list, got {value!r}")
            kwargs[name] = value
        else:
            kwargs[name] = _coerce(value, default, here)
    return cls(**kwargs)


def net_for(cfg: SolveConfig, field_name: str) -> NetConfig:
    """The network architecture of one field: ``net`` with its ``nets.FIELD`` overrides."""
    override = cfg.nets.get(field_name)
    if not override:
        return cfg.net
    return _build(NetConfig, {**dataclasses.asdict(cfg.net), **override}, f"nets.{field_name}")


def resolve(
    problem_path: str | Path | None = None,
    config_path: str | Path | None = None,
    overrides: dict | None = None,
    quick: bool = False,
) -> SolveConfig:
    """Defaults ← problem's sibling YAML ← --config ← ``quick`` section ← overrides."""
    data = default_dict()
    if problem_path is not None:
        sibling = Path(problem_path).with_suffix(".yaml")
        if sibling.is_file():
            data = merge(data, read_yaml(sibling))
    if config_path is not None:
        data = merge(data, read_yaml(config_path))
    if quick:
        data = merge(data, data.get("quick") or {})
    if overrides:
        data = merge(data, overrides)
    cfg = _build(SolveConfig, data)
    validate(cfg)
    return cfg


def validate(cfg: SolveConfig) -> None:
    if cfg.steps < 0:
        raise ConfigError("steps must be >= 0")
    if cfg.dtype not in ("float32", "float64"):
        raise ConfigError(f"dtype must be float32 or float64, not {cfg.dtype!r}")
    if cfg.device not in ("cpu", "cuda") and not cfg.device.startswith("cuda:"):
        raise ConfigError(f"device must be cpu or cuda, not {cfg.device!r}")
    if cfg.sampling.method not in ("uniform", "sobol"):
        raise ConfigError(f"sampling.method must be uniform or sobol, not {cfg.sampling.method!r}")
    if cfg.optimizer.lr <= 0:
        raise ConfigError("optimizer.lr must be positive")
    for name, value in (
        ("sampling.interior", cfg.sampling.interior),
        ("sampling.boundary", cfg.sampling.boundary),
        ("sampling.initial", cfg.sampling.initial),
        ("net.width", cfg.net.width),
        ("net.depth", cfg.net.depth),
    ):
        if value < 1:
            raise ConfigError(f"{name} must be at least 1")


def save(cfg: SolveConfig, path: str | Path) -> None:
    Path(path).write_text(yaml.safe_dump(cfg.to_dict(), sort_keys=False), encoding="utf-8")
