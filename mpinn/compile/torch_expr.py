"""sympy → torch without code strings: :class:`TorchExpr` walks an expression tree through
the table :data:`TORCH_FUNCTIONS` (one entry per supported function; no eval), common
subexpressions shared with ``sympy.cse``."""

from __future__ import annotations

import math

import sympy as sp
import torch


def _pow(base, exponent):
    if isinstance(exponent, (int, float)):
        if exponent == 0.5:
            return torch.sqrt(base)
        if exponent == -0.5:
            return torch.rsqrt(base)
        if exponent == 1:
            return base
        if exponent == -1:
            return 1.0 / base
        if float(exponent).is_integer() and isinstance(base, torch.Tensor):
            e = int(exponent)
            return base**e if e > 0 else 1.0 / base ** (-e)
    if isinstance(base, (int, float)) and not isinstance(exponent, (int, float)):
        return torch.exp(math.log(base) * exponent) if base > 0 else base**exponent
    return base**exponent


#: sympy head → torch implementation. One entry per supported function.
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
    sp.sec: lambda a: 1.0 / torch.cos(a),
    sp.csc: lambda a: 1.0 / torch.sin(a),
    sp.cot: lambda a: 1.0 / torch.tan(a),
    sp.sign: torch.sign,
}


def as_tensor(value, like: torch.Tensor) -> torch.Tensor:
    if isinstance(value, torch.Tensor):
        return value
    return torch.full(like.shape[:1], float(value), dtype=like.dtype, device=like.device)


class TorchExpr:
    """A list of sympy expressions, evaluated with torch given values for their symbols.

    ``symbols`` are the leaves the caller provides (coordinates, parameters, derivative
    placeholders...). Numbers become Python floats, so they broadcast and keep the dtype
    of the tensors they meet.
    """

    def __init__(self, exprs, symbols):
        exprs = [e if isinstance(e, sp.Basic) else sp.Float(e) for e in exprs]  # plain numbers
        self.symbols = tuple(symbols)
        replacements, reduced = sp.cse(
            exprs, symbols=sp.numbered_symbols("_cse"), optimizations=None
        )
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
            return _pow(*args)
        fn = TORCH_FUNCTIONS.get(expr.func)
        if fn is None:
            raise NotImplementedError(f"no torch implementation for {expr.func}")
        arg = args[0]
        if not isinstance(arg, torch.Tensor):  # a constant: evaluate in float64, stay a float
            return float(fn(torch.tensor(float(arg), dtype=torch.float64)))
        return fn(arg)
