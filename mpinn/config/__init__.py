"""Training configuration: plain dataclasses (:mod:`.schema`) filled from YAML layers
(:mod:`.layers`), read safely (:mod:`.yamlio`), typed (:mod:`.build`) and checked, memory
included (:mod:`.checks`, :mod:`.memory`). No torch: `mpinn check` and `mpinn --help`
import this."""

from .layers import (
    ConfigError,
    default_dict,
    merge,
    net_for,
    parse_scalar,
    read_yaml,
    resolve,
    save,
    set_dotted,
    validate,
)
from .memory import available_bytes, human, physical_bytes
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
    "parse_scalar",
    "read_yaml",
    "resolve",
    "save",
    "set_dotted",
    "validate",
    "available_bytes",
    "human",
    "physical_bytes",
    "BalanceConfig",
    "EvalConfig",
    "NetConfig",
    "OptimizerConfig",
    "ReferenceConfig",
    "SamplingConfig",
    "SolveConfig",
]
