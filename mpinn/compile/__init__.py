"""Stage 4, symbolic problem → compiled residuals (torch): :class:`ResidualProgram`
(one residual per term, derivatives planned once per batch), the expression walker
:class:`TorchExpr`, output transforms and input features."""

from .derivatives import Batch, DerivativeKey, StackedBatch, derivative_keys
from .outputs import (
    NAMED_OUTPUTS,
    feature_program,
    field_value_symbol,
    output_expression,
    output_transform,
)
from .program import ResidualProgram, quantity_key
from .torch_expr import TORCH_FUNCTIONS, TorchExpr

__all__ = [
    "Batch",
    "DerivativeKey",
    "StackedBatch",
    "derivative_keys",
    "NAMED_OUTPUTS",
    "feature_program",
    "field_value_symbol",
    "output_expression",
    "output_transform",
    "ResidualProgram",
    "quantity_key",
    "TORCH_FUNCTIONS",
    "TorchExpr",
]
