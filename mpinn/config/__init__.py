"""Training configuration: plain dataclasses (:mod:`.schema`) filled from YAML layers
(:mod:`.layers`). No torch: `mpinn check` and `mpinn --help` import this."""

from .layers import (
    ConfigError,
    default_dict,
    merge,
    net_for,
    read_yaml,
    resolve,
    save,
    set_dotted,
    validate,
)
from .schema import (
    BalanceConfig,
    EvalConfig,
    NetConfig,
    OptimizerConfig,
    ReferenceConfig,
    SamplingConfig,
    SolveConfig,
)

__all__ = [
    "ConfigError",
    "default_dict",
    "merge",
    "net_for",
    "read_yaml",
    "resolve",
    "save",
    "set_dotted",
    "validate",
    "BalanceConfig",
    "EvalConfig",
    "NetConfig",
    "OptimizerConfig",
    "ReferenceConfig",
    "SamplingConfig",
    "SolveConfig",
]
