"""Training configuration, filled from YAML layers.

Layers, later wins: the package defaults (``mpinn/config/defaults.yaml``), a YAML file next
to the problem (``problems/NAME.yaml``), ``--config FILE``, command-line options. The
resolved configuration is written with every run (``config.yaml``) and rerunning with it
reproduces the run. Unknown keys are errors, never silently ignored; so are values of the
wrong type (:mod:`.build`) or out of range (:mod:`.checks`), and files are read safely
(:mod:`.yamlio`).
"""

from __future__ import annotations

import copy
from importlib import resources
from pathlib import Path

from .build import build, net_for
from .checks import validate
from .errors import ConfigError
from .schema import SolveConfig
from .yamlio import dump, loads, parse_scalar, read_yaml

__all__ = [
    "ConfigError",
    "default_dict",
    "merge",
    "net_for",
    "parse_scalar",
    "read_yaml",
    "resolve",
    "save",
    "set_dotted",
    "validate",
]

MAPPINGS = (
    "params",
    "nets",
    "outputs",
    "per_term",
    "options",
    "quick",
)  # user-keyed, merged shallowly


def default_dict() -> dict:
    text = resources.files(__package__).joinpath("defaults.yaml").read_text(encoding="utf-8")
    return loads(text, "defaults.yaml")


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
    if not all(parts):
        raise ConfigError(f"'{dotted}' is not a config key (empty part)")
    for part in parts[:-1]:
        if not isinstance(node.get(part), dict):
            node[part] = {}
        node = node[part]
    node[parts[-1]] = value
    return out


def resolve(
    problem_path: str | Path | None = None,
    config_path: str | Path | None = None,
    overrides: dict | None = None,
    quick: bool = False,
    *,
    problem=None,
) -> SolveConfig:
    """Defaults ← problem's sibling YAML ← --config ← ``quick`` section ← overrides.

    The result is validated (:func:`validate`; with ``problem``, per-field keys and the
    memory estimate use its fields and dimensions). The ``quick`` section is checked
    whether or not it is applied, so a typo in it is found before the demo run.
    """
    data = default_dict()
    if problem_path is not None:
        sibling = Path(problem_path).with_suffix(".yaml")
        if sibling.is_file():
            data = merge(data, read_yaml(sibling))
    if config_path is not None:
        data = merge(data, read_yaml(config_path))
    section = data.get("quick") or {}
    if not isinstance(section, dict):
        raise ConfigError(f"quick: expected a mapping, got {section!r}")
    layers = merge(data, section) if quick else data
    cfg = build(SolveConfig, merge(layers, overrides or {}))
    validate(cfg, problem)
    if section and not quick:
        try:
            validate(build(SolveConfig, merge(merge(data, section), overrides or {})), problem)
        except ConfigError as exc:
            raise ConfigError(f"quick (the settings of --quick): {exc}") from None
    return cfg


def save(cfg: SolveConfig, path: str | Path) -> None:
    Path(path).write_text(dump(cfg.to_dict()), encoding="utf-8")
