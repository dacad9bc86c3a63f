"""Stage 4, symbolic problem → compiled residuals (torch): :class:`ResidualProgram`
(one residual per term, derivatives planned once per batch), the fx-graph evaluator
:class:`FxExpr` and the expression walker :class:`TorchExpr`, the derivative engines
(reverse: :class:`Batch`, :class:`StackedBatch`; forward: :class:`JetBatch`), output
transforms and input features."""

from .derivatives import Batch, DerivativeKey, StackedBatch, derivative_keys
from .fx_expr import FxExpr
from .jets import JetBatch, forward_support
from .outputs import (
    NAMED_OUTPUTS,
    feature_program,
    field_value_symbol,
    output_expression,
    output_transform,
)
from .program import ResidualProgram, compile_options, quantity_key
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
    "FxExpr",
    "JetBatch",
    "forward_support",
    "ResidualProgram",
    "compile_options",
    "quantity_key",
    "TORCH_FUNCTIONS",
    "TorchExpr",
]
