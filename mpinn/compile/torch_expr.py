"""sympy → torch without code strings: :class:`TorchExpr` walks an expression tree through
the table :data:`TORCH_FUNCTIONS` (one entry per supported function; no eval), common
subexpressions shared with ``sympy.cse``.

The compiled path (:class:`~mpinn.compile.fx_expr.FxExpr`, ``compile: auto|on``) turns the
same cse'd expressions into a ``torch.fx`` graph with the same table, the same powers
(:func:`pow_steps`) and the same constants; the two give identical results. TorchExpr
remains the evaluator of output transforms and input features (a few operations on the
network outputs), of exact solutions, of the per-term residuals that the NTK analysis
re-evaluates point by point under ``torch.func`` (``ResidualProgram.compiled``), and of all
residuals with ``compile: off``.
"""

from __future__ import annotations

import math
import operator

import sympy as sp
import torch

#: Marks where the running value goes in a step of :func:`pow_steps`.
BASE = object()


def pow_steps(exponent: float) -> tuple:
    """How a tensor is raised to the constant ``exponent``: ``((fn, args), ...)`` applied in
    turn, ``BASE`` in ``args`` standing for the value so far. The tree walker and the fx
    builder both follow these steps, so they compute powers with the same operations."""
    if exponent == 0.5:
        return ((torch.sqrt, (BASE,)),)
    if exponent == -0.5:
        return ((torch.rsqrt, (BASE,)),)
    if exponent == 1:
        return ()
    if exponent == -1:
        return ((operator.truediv, (1.0, BASE)),)
    if float(exponent).is_integer():
        e = int(exponent)
        if e > 0:
            return ((operator.pow, (BASE, e)),)
        return ((operator.pow, (BASE, -e)), (operator.truediv, (1.0, BASE)))
    return ((operator.pow, (BASE, exponent)),)


def run_steps(value, steps):
    for fn, args in steps:
        value = fn(*(value if a is BASE else a for a in args))
    return value


def float_pow(base, exponent):
    """A number to a number, as a float (NaN where the real power is undefined)."""
    if exponent == 1:
        return base
    if exponent == -1:
        return 1.0 / base
    value = base**exponent
    return float("nan") if isinstance(value, complex) else value


def pow_value(base, exponent):
    """``base ** exponent`` for a tensor or a number each (the semantics of both paths)."""
    if isinstance(exponent, (int, float)):
        if isinstance(base, torch.Tensor):
            return run_steps(base, pow_steps(exponent))
        return float_pow(base, exponent)
    if isinstance(base, (int, float)):
        return torch.exp(math.log(base) * exponent) if base > 0 else base**exponent
    return base**exponent


def _sec(a):
    return 1.0 / torch.cos(a)


def _csc(a):
    return 1.0 / torch.sin(a)


def _cot(a):
    return 1.0 / torch.tan(a)


#: sympy head → torch implementation. One entry per supported function (module-level
#: functions, no lambdas: the fx graphs refer to them by name).
TORCH_FUNCTIONS = {
    sp.sin: torch.sin,
    sp.cos: torch.cos,
    sp.tan: torch.tan,
    sp.asin: torch.asin,
    sp.acos: torch.acos,
    sp.atan: torch.atan,
    sp.exp: torch.exp,
    sp.log: torch.log,
    sp.sinh: torch.sinh,
    sp.cosh: torch.cosh,
    sp.tanh: torch.tanh,
    sp.asinh: torch.asinh,
    sp.acosh: torch.acosh,
    sp.atanh: torch.atanh,
    sp.Abs: torch.abs,
    sp.erf: torch.erf,
    sp.sec: _sec,
    sp.csc: _csc,
    sp.cot: _cot,
    sp.sign: torch.sign,
}


def torch_function(head):
    fn = TORCH_FUNCTIONS.get(head)
    if fn is None:
        raise NotImplementedError(f"no torch implementation for {head}")
    return fn


def scalar_call(fn, value) -> float:
    """A table function of a number: evaluated in float64, kept a Python float."""
    return float(fn(torch.tensor(float(value), dtype=torch.float64)))


def as_tensor(value, like: torch.Tensor) -> torch.Tensor:
    if isinstance(value, torch.Tensor):
        return value
    return torch.full(like.shape[:1], float(value), dtype=like.dtype, device=like.device)


def common_subexpressions(exprs) -> tuple:
    """``(replacements, reduced)`` of ``sympy.cse``, as both evaluators use them."""
    exprs = [e if isinstance(e, sp.Basic) else sp.Float(e) for e in exprs]  # plain numbers
    return sp.cse(exprs, symbols=sp.numbered_symbols("_cse"), optimizations=None)


class TorchExpr:
    """A list of sympy expressions, evaluated with torch given values for their symbols.

    ``symbols`` are the leaves the caller provides (coordinates, parameters, derivative
    placeholders...). Numbers become Python floats, so they broadcast and keep the dtype
    of the tensors they meet. ``exprs`` keeps the expressions (the forward-mode engine
    differentiates output transforms and features symbolically).
    """

    def __init__(self, exprs, symbols):
        self.exprs = [e if isinstance(e, sp.Basic) else sp.Float(e) for e in exprs]
        self.symbols = tuple(symbols)
        replacements, reduced = common_subexpressions(self.exprs)
        self.replacements = replacements
        self.reduced = reduced
        known = set(self.symbols) | {s for s, _ in replacements}
        free = set().union(*[e.free_symbols for e in reduced]) if reduced else set()
        for _, e in replacements:
            free |= e.free_symbols
        missing = free - known
        if missing:
            raise ValueError(f"unbound symbols {sorted(map(str, missing))}")

    def __call__(self, values: dict) -> list:
        env = dict(values)
        for sym, expr in self.replacements:
            env[sym] = self._eval(expr, env)
        return [self._eval(e, env) for e in self.reduced]

    def _eval(self, expr, env):
        if expr in env:
            return env[expr]
        if expr.is_Number or expr.is_NumberSymbol:
            return float(expr)
        args = [self._eval(a, env) for a in expr.args]
        if expr.is_Add:
            out = args[0]
            for a in args[1:]:
                out = out + a
            return out
        if expr.is_Mul:
            out = args[0]
            for a in args[1:]:
                out = out * a
            return out
        if expr.is_Pow:
            return pow_value(*args)
        fn = torch_function(expr.func)
        arg = args[0]
        if not isinstance(arg, torch.Tensor):  # a constant: evaluate in float64, stay a float
            return scalar_call(fn, arg)
        return fn(arg)
