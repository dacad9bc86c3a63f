"""Merged YAML data → the configuration dataclasses, key by key and type by type.

Every key's type comes from its default in :mod:`.schema`: a boolean is ``true`` or
``false`` (never ``yes`` or text), an integer is an integer (``1e3`` and ``1000.0`` are
accepted as 1000), a number is a finite number, text is text, an optional path is text or
``null``, and mappings and lists are what they say. Unknown keys are errors with a
suggestion. Ranges are :mod:`.checks`' business.
"""

from __future__ import annotations

import dataclasses
import difflib
import math

from .errors import ConfigError
from .schema import NetConfig, SolveConfig


def _show(value) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def coerce(value, default, where: str):
    """``value`` as the type of ``default`` (a bool, int, float or str), or ConfigError."""
    if isinstance(default, bool):
        if isinstance(value, bool):
            return value
        raise ConfigError(f"{where}: expected true or false, got {_show(value)}")
    if isinstance(default, int):
        if isinstance(value, int) and not isinstance(value, bool):
            return value
        if isinstance(value, float) and math.isfinite(value) and value.is_integer():
            return int(value)
        raise ConfigError(f"{where}: expected an integer, got {_show(value)}")
    if isinstance(default, float):
        number = value
        if isinstance(value, str):  # a number given as text, e.g. by a Python caller
            try:
                number = float(value)
            except ValueError:
                number = None
        if isinstance(number, (int, float)) and not isinstance(number, bool):
            if not math.isfinite(number):
                raise ConfigError(f"{where}: expected a finite number, got {_show(value)}")
            return float(number)
        raise ConfigError(f"{where}: expected a number, got {_show(value)}")
    if isinstance(default, str):
        if isinstance(value, str):
            return value
        raise ConfigError(f"{where}: expected text, got {_show(value)}")
    return value


def build(cls, data, where: str = ""):
    """An instance of the dataclass ``cls`` from a (partial) mapping; defaults fill in."""
    if not isinstance(data, dict):
        raise ConfigError(f"{where or 'config'}: expected a mapping, got {_show(data)}")
    fields = {f.name: f for f in dataclasses.fields(cls)}
    bad_keys = [k for k in data if not isinstance(k, str)]
    if bad_keys:
        raise ConfigError(f"{where or 'config'}: keys are text, not {_show(bad_keys[0])}")
    unknown = sorted(set(data) - set(fields))
    if unknown:
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
            kwargs[name] = build(type(default), value, here)
        elif default is None:  # every optional key is text (a path, a solver name)
            if value is not None and not isinstance(value, str):
                raise ConfigError(f"{here}: expected text or null, got {_show(value)}")
            kwargs[name] = value
        elif isinstance(default, dict):
            if not isinstance(value, dict):
                raise ConfigError(f"{here}: expected a mapping, got {_show(value)}")
            keys = [k for k in value if not isinstance(k, str)]
            if keys:
                raise ConfigError(f"{here}: keys are text, not {_show(keys[0])}")
            kwargs[name] = value
        elif isinstance(default, list):
            if not isinstance(value, list):
                raise ConfigError(f"{here}: expected a list, got {_show(value)}")
            kwargs[name] = value
        else:
            kwargs[name] = coerce(value, default, here)
    return cls(**kwargs)


def net_for(cfg: SolveConfig, field_name: str) -> NetConfig:
    """The network architecture of one field: ``net`` with its ``nets.FIELD`` overrides."""
    override = cfg.nets.get(field_name)
    if not override:
        return cfg.net
    if not isinstance(override, dict):
        raise ConfigError(
            f"nets.{field_name}: expected a mapping of net keys, got {_show(override)}"
        )
    return build(NetConfig, {**dataclasses.asdict(cfg.net), **override}, f"nets.{field_name}")
