"""Network inputs and outputs in torch: output transforms (``output c = exp(net)``, or a
name/scale from the config) and input features (``feature ...``)."""

from __future__ import annotations

import sympy as sp

from ..ir import NET, Problem, output_fields
from .fx_expr import FxExpr
from .torch_expr import TorchExpr

#: Output transforms a config file may name (``outputs: {c: exp, Pi: 100}``); a number is a
#: scale. The problem file can declare any expression instead (``output c = exp(net)``).
NAMED_OUTPUTS = {
    "identity": NET,
    "exp": sp.exp(NET),
    "softplus": sp.log(1 + sp.exp(NET)),
    "square": NET**2,
}


def output_expression(spec):
    """A config output spec (a name of NAMED_OUTPUTS or a number) as an expression in NET."""
    if isinstance(spec, (int, float)) and not isinstance(spec, bool):
        return sp.Float(spec) * NET
    if isinstance(spec, str) and spec in NAMED_OUTPUTS:
        return NAMED_OUTPUTS[spec]
    raise ValueError(
        f"output transform {spec!r}: use a number (a scale) or one of {', '.join(NAMED_OUTPUTS)}"
    )


def field_value_symbol(name: str) -> sp.Symbol:
    """The symbol that stands for a field's value inside another field's output transform."""
    return sp.Symbol(f"_value_{name}", real=True)


def output_transform(problem: Problem, field: str, override=None, graphs: bool = False):
    """``(program in (net, coords, params, used field values), used fields)``, or
    ``(None, ())`` when the field is its raw network output. The program is an
    :class:`FxExpr` with ``graphs`` (``compile`` not ``off``), else a :class:`TorchExpr`
    (bit-identical results).

    ``override`` (an expression in NET, from the config) wins over the problem's own. An
    output may use other fields' values (``output cp = exp(net - phi)``): they become
    plain symbols here, and the networks evaluate the fields in dependency order.
    """
    expr = override if override is not None else problem.outputs.get(field)
    if expr is None:
        return None, ()
    uses = tuple(output_fields(expr))
    expr = expr.subs({problem.funcs[f]: field_value_symbol(f) for f in uses})
    params = tuple(sp.Symbol(p, real=True) for p in problem.params)
    values = tuple(field_value_symbol(f) for f in uses)
    program = FxExpr if graphs else TorchExpr
    return program([expr], (NET,) + problem.coords + params + values), uses


def feature_program(problem: Problem, graphs: bool = False):
    """All input features as one program over (coords, params) (an :class:`FxExpr` with
    ``graphs``, else a :class:`TorchExpr`), or None."""
    if not problem.features:
        return None
    params = tuple(sp.Symbol(p, real=True) for p in problem.params)
    program = FxExpr if graphs else TorchExpr
    return program(list(problem.features.values()), problem.coords + params)
