"""Problem (sympy) → torch: residual functions over batches of points.

Two pieces:

* :class:`TorchExpr` turns a sympy expression into a torch computation by walking the
  expression tree through the table :data:`TORCH_FUNCTIONS` (no code strings, no eval);
  common subexpressions are shared with ``sympy.cse``.
* :class:`ResidualProgram` plans every derivative the residuals need (from the sympy
  ``Derivative`` atoms), computes each once per batch with autograd and shares it between
  all terms evaluated on that batch.

A derivative ``u_{x_i x_j ...}`` is obtained by repeated ``autograd.grad`` of the previous
order w.r.t. the input points; one ``grad`` call returns the derivatives along every input
column at once, and every intermediate order is cached, so ``u_xx`` and ``u_xy`` share the
gradient of ``u_x``. The sum trick (grad of ``sum(u_x)``) is exact because the networks act
pointwise (row i of the output depends only on row i of the input).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import sympy as sp
import torch
from sympy.core.function import AppliedUndef

from .symbolic import NET, Problem, Term, normal_symbols, output_fields


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
            return base ** e if e > 0 else 1.0 / base ** (-e)
    if isinstance(base, (int, float)) and not isinstance(exponent, (int, float)):
        return torch.exp(math.log(base) * exponent) if base > 0 else base ** exponent
    return base ** exponent


#: sympy head → torch implementation. One entry per supported function.
TORCH_FUNCTIONS = {
    sp.sin: torch.sin, sp.cos: torch.cos, sp.tan: torch.tan,
    sp.asin: torch.asin, sp.acos: torch.acos, sp.atan: torch.atan,
    sp.exp: torch.exp, sp.log: torch.log,
    sp.sinh: torch.sinh, sp.cosh: torch.cosh, sp.tanh: torch.tanh,
    sp.asinh: torch.asinh, sp.acosh: torch.acosh, sp.atanh: torch.atanh,
    sp.Abs: torch.abs, sp.erf: torch.erf,
    sp.sec: lambda a: 1.0 / torch.cos(a), sp.csc: lambda a: 1.0 / torch.sin(a),
    sp.cot: lambda a: 1.0 / torch.tan(a),
    sp.sign: torch.sign,
}


def _as_tensor(value, like: torch.Tensor) -> torch.Tensor:
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
        replacements, reduced = sp.cse(exprs, symbols=sp.numbered_symbols("_cse"),
                                       optimizations=None)
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


@dataclass(frozen=True)
class DerivativeKey:
    """``field`` differentiated along input columns ``columns`` (sorted)."""

    field: str
    columns: tuple

    @property
    def symbol(self) -> sp.Symbol:
        if not self.columns:
            return sp.Symbol(f"_f_{self.field}")
        return sp.Symbol(f"_d_{self.field}_" + "_".join(map(str, self.columns)))


def derivative_keys(expr, problem: Problem) -> dict:
    """Map each field value / Derivative atom of ``expr`` to its :class:`DerivativeKey`."""
    index = {c: i for i, c in enumerate(problem.coords)}
    out = {}
    for f in expr.atoms(AppliedUndef):
        out[f] = DerivativeKey(f.func.__name__, ())
    for d in expr.atoms(sp.Derivative):
        cols = []
        for var, count in d.variable_count:
            cols.extend([index[var]] * int(count))
        out[d] = DerivativeKey(d.expr.func.__name__, tuple(sorted(cols)))
    return out


class Batch:
    """Field values and their derivatives at one set of points, computed on demand."""

    def __init__(self, fields: dict, points: torch.Tensor, create_graph: bool = True):
        self.points = points
        self.create_graph = create_graph
        self._cache: dict = {}
        self._grads: dict = {}
        for name, value in fields.items():
            self._cache[DerivativeKey(name, ())] = value

    def get(self, key: DerivativeKey) -> torch.Tensor:
        if key in self._cache:
            return self._cache[key]
        parent = DerivativeKey(key.field, key.columns[:-1])
        grads = self._grads.get(parent)
        if grads is None:
            value = self.get(parent)
            grads = None
            if value.requires_grad:
                (grads,) = torch.autograd.grad(value.sum(), self.points,
                                               create_graph=self.create_graph,
                                               allow_unused=True)
            if grads is None:  # the parent does not depend on the input (a constant)
                grads = torch.zeros_like(self.points)
            self._grads[parent] = grads
        value = grads[:, key.columns[-1]]
        self._cache[key] = value
        return value


class StackedBatch:
    """Like :class:`Batch`, for networks evaluated as one ensemble (``nets.stackable``).

    Each network sees its own copy of the points (``X[s]``), so one ``autograd.grad`` of
    the summed outputs w.r.t. ``X`` returns every field's input gradient at once: the
    derivative plan costs one call per distinct parent derivative (``1 + d`` calls for
    second derivatives in d dimensions) instead of one per field and parent.
    """

    def __init__(self, nets, points: torch.Tensor, keys, create_graph: bool = True):
        self.fields = nets.fields
        self.index = {f: s for s, f in enumerate(self.fields)}
        self.create_graph = create_graph
        n_fields = len(self.fields)
        self.X = points.detach().unsqueeze(0).expand(n_fields, -1, -1).clone()
        self.X.requires_grad_(True)
        raw = nets.forward_stacked(self.X)
        self._cache = {DerivativeKey(f, ()): nets.transform(f, raw[s], self.X[s])
                       for s, f in enumerate(self.fields)}
        self._grads: dict = {}
        parents: dict = {}
        for key in keys:
            for j in range(len(key.columns)):
                parents.setdefault(key.columns[:j], set()).add(key.field)
        for cols in sorted(parents, key=len):
            self._gradients(cols, sorted(parents[cols]))

    def _gradients(self, cols: tuple, fields: list) -> None:
        values = [self.get(DerivativeKey(f, cols)) for f in fields]
        live = [v for v in values if v.requires_grad]
        grads = None
        if live:
            total = torch.stack([v.sum() for v in live]).sum()
            (grads,) = torch.autograd.grad(total, self.X, create_graph=self.create_graph,
                                           allow_unused=True)
        for f in fields:
            g = grads[self.index[f]] if grads is not None else None
            self._grads[(f, cols)] = g if g is not None else torch.zeros_like(self.X[0])

    def get(self, key: DerivativeKey) -> torch.Tensor:
        if key not in self._cache:
            self._cache[key] = self._grads[(key.field, key.columns[:-1])][:, key.columns[-1]]
        return self._cache[key]


class ResidualProgram:
    """All residual terms of a problem, compiled once; parameters bound per call.

    ``evaluate(nets, points, terms, params, normals)`` evaluates the named terms that share
    ``points`` and returns ``{term name: residual [n]}``.
    """

    def __init__(self, problem: Problem):
        self.problem = problem
        self.coords = problem.coords
        self.param_symbols = tuple(sp.Symbol(p, real=True) for p in problem.params)
        self.normal = normal_symbols(problem.space)
        self.terms: dict[str, Term] = {t.name: t for t in problem.terms}
        self._compiled = {name: self._compile(t) for name, t in self.terms.items()}
        self._needed: dict = {}
        self.exact = None
        if problem.exact:
            names = list(problem.exact)
            fn = TorchExpr([problem.exact[f] for f in names],
                           self.coords + self.param_symbols)
            self.exact = (names, fn)

    def _compile(self, term: Term):
        residual = term.residual
        keys = derivative_keys(residual, self.problem)
        # replace derivatives before field values: u(x) also occurs inside Derivative(u(x), x)
        ordered = sorted(keys.items(), key=lambda kv: -len(kv[1].columns))
        plain = residual
        for atom, key in ordered:
            plain = plain.xreplace({atom: key.symbol})
        leaves = tuple(k.symbol for k in keys.values())
        fn = TorchExpr([plain], self.coords + self.param_symbols + self.normal + leaves)
        return fn, tuple(keys.values())

    def compiled(self, name: str):
        """``(TorchExpr, derivative keys)`` of one term (for functional re-evaluation)."""
        return self._compiled[name]

    def needed(self, names) -> frozenset:
        """Derivative keys the named terms need (the plan; cached per group of terms)."""
        names = tuple(names)
        if names not in self._needed:
            self._needed[names] = frozenset(k for n in names for k in self._compiled[n][1])
        return self._needed[names]

    def leaf_values(self, points: torch.Tensor, params: dict, normals=None) -> dict:
        values = {c: points[:, i] for i, c in enumerate(self.coords)}
        for sym in self.param_symbols:
            values[sym] = params[sym.name]
        if normals is not None:
            values.update({n: normals[:, i] for i, n in enumerate(self.normal)})
        return values

    def evaluate(self, nets, points: torch.Tensor, names, params: dict, normals=None,
                 create_graph: bool = True) -> dict:
        if getattr(nets, "stackable", False):
            batch = StackedBatch(nets, points, self.needed(names), create_graph=create_graph)
            points = batch.X[0]
        else:
            if not points.requires_grad:
                points = points.detach().requires_grad_(True)
            batch = Batch(nets(points), points, create_graph=create_graph)
        values = self.leaf_values(points, params, normals)
        out = {}
        for name in names:
            fn, keys = self._compiled[name]
            env = dict(values)
            env.update({k.symbol: batch.get(k) for k in keys})
            out[name] = _as_tensor(fn(env)[0], points)
        return out

    def exact_values(self, points: torch.Tensor, params: dict) -> dict:
        """Exact solution at points, or {} when the problem has none."""
        if self.exact is None:
            return {}
        names, fn = self.exact
        vals = fn(self.leaf_values(points, params))
        return {n: _as_tensor(v, points) for n, v in zip(names, vals)}


#: Output transforms a config file may name (``outputs: {c: exp, Pi: 100}``); a number is a
#: scale. The problem file can declare any expression instead (``output c = exp(net)``).
NAMED_OUTPUTS = {
    "identity": NET,
    "exp": sp.exp(NET),
    "softplus": sp.log(1 + sp.exp(NET)),
    "square": NET ** 2,
}


def output_expression(spec):
    """A config output spec (a name of NAMED_OUTPUTS or a number) as an expression in NET."""
    if isinstance(spec, (int, float)) and not isinstance(spec, bool):
        return sp.Float(spec) * NET
    if isinstance(spec, str) and spec in NAMED_OUTPUTS:
        return NAMED_OUTPUTS[spec]
    raise ValueError(f"output transform {spec!r}: use a number (a scale) or one of "
                     f"{', '.join(NAMED_OUTPUTS)}")


def field_value_symbol(name: str) -> sp.Symbol:
    """The symbol that stands for a field's value inside another field's output transform."""
    return sp.Symbol(f"_value_{name}", real=True)


def output_transform(problem: Problem, field: str, override=None):
    """``(TorchExpr in (net, coords, params, used field values), used fields)``, or
    ``(None, ())`` when the field is its raw network output.

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
    return TorchExpr([expr], (NET,) + problem.coords + params + values), uses


def feature_program(problem: Problem):
    """All input features as one TorchExpr over (coords, params), or None."""
    if not problem.features:
        return None
    params = tuple(sp.Symbol(p, real=True) for p in problem.params)
    return TorchExpr(list(problem.features.values()), problem.coords + params)
