"""Float values of parameter expressions: a walk over the sympy tree with Python floats.

It cannot hang (no arbitrary precision: exp(exp(exp(1000))) overflows at once instead of
asking mpmath for a number with 10^434 digits) and it needs no parsing of any text.
"""

from __future__ import annotations

import math
from fractions import Fraction

import sympy as sp

_FLOAT_FUNCS: dict = {
    sp.sin: math.sin,
    sp.cos: math.cos,
    sp.tan: math.tan,
    sp.asin: math.asin,
    sp.acos: math.acos,
    sp.atan: math.atan,
    sp.exp: math.exp,
    sp.log: math.log,
    sp.sinh: math.sinh,
    sp.cosh: math.cosh,
    sp.tanh: math.tanh,
    sp.asinh: math.asinh,
    sp.acosh: math.acosh,
    sp.atanh: math.atanh,
    sp.Abs: abs,
    sp.erf: math.erf,
}


def _float_of(expr, values: dict) -> float:
    if isinstance(expr, sp.Symbol):
        if expr.name not in values:
            raise ValueError(f"'{expr.name}' has no numeric value here")
        return float(values[expr.name])
    if expr.is_infinite or expr is sp.nan:
        raise ZeroDivisionError("infinite or undefined (division by zero, log(0), ...)")
    if expr is sp.I:
        raise ValueError("complex")
    if expr.is_Rational:
        return float(Fraction(int(expr.p), int(expr.q)))  # OverflowError beyond 1e308
    if expr.is_Float or isinstance(expr, sp.NumberSymbol):
        return float(expr)
    if expr.is_Add:
        return math.fsum(_float_of(a, values) for a in expr.args)
    if expr.is_Mul:
        out = 1.0
        for a in expr.args:
            out *= _float_of(a, values)
        return out
    if expr.is_Pow:
        base, exponent = (_float_of(a, values) for a in expr.args)
        out = base**exponent
        if isinstance(out, complex):
            raise ValueError(f"{base:g}^{exponent:g} is not real")
        return out
    fn = _FLOAT_FUNCS.get(expr.func)
    if fn is not None and len(expr.args) == 1:
        return fn(_float_of(expr.args[0], values))
    raise ValueError(f"{expr} has no numeric value")


def to_float(expr, values: dict) -> float:
    """The value of a parameter expression (a sympy object) at numeric parameter values;
    ValueError says why there is none (overflow, division by zero, not real, ...)."""
    try:
        val = _float_of(expr, values)
    except OverflowError:
        raise ValueError("it overflows (beyond 1e308)") from None
    except ZeroDivisionError as exc:
        raise ValueError(f"it is {exc or 'a division by zero'}") from None
    except RecursionError:
        raise ValueError("it is nested too deeply") from None
    except ValueError as exc:
        raise ValueError(f"it is not a real number: {exc}") from None
    if not math.isfinite(val):
        raise ValueError("it is not finite")
    return val


def format_value(v: float) -> str:
    """A parameter value as written in run-directory names and labels: exact and short."""
    v = float(v)
    if v.is_integer() and abs(v) < 1e15:
        return str(int(v))
    return repr(v)
