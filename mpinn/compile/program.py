"""The compiled residuals of a problem: :class:`ResidualProgram`."""

from __future__ import annotations

import sympy as sp
import torch

from ..ir import Problem, Term, normal_symbols
from .derivatives import Batch, StackedBatch, derivative_keys
from .torch_expr import TorchExpr, as_tensor


def quantity_key(name: str) -> str:
    """The program's name for the integrand of quantity ``name``."""
    return f"quantity:{name}"


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
        self._compiled = {name: self._compile(t.residual) for name, t in self.terms.items()}
        # quantities (``quantity Q = integral(EXPR, ...)``): their integrands, compiled like
        # residuals under names no term can have
        for name, q in getattr(problem, "quantities", {}).items():
            self._compiled[quantity_key(name)] = self._compile(q.expr)
        self._needed: dict = {}
        self.exact = None
        if problem.exact:
            names = list(problem.exact)
            fn = TorchExpr([problem.exact[f] for f in names], self.coords + self.param_symbols)
            self.exact = (names, fn)

    def _compile(self, residual):
        keys = derivative_keys(residual, self.problem)
        # replace derivatives before field values: u(x) also occurs inside Derivative(u(x), x)
        ordered = sorted(keys.items(), key=lambda kv: -len(kv[1].columns))
        plain = residual
        for atom, key in ordered:
            plain = plain.xreplace({atom: key.symbol})
        leaves = tuple(k.symbol for k in keys.values())
        # measured values of a data term (``data obs: u from ...``): leaves given per call
        data = tuple(sorted((s for s in plain.free_symbols if s.name.startswith("data:")), key=str))
        fn = TorchExpr([plain], self.coords + self.param_symbols + self.normal + leaves + data)
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

    def evaluate(
        self,
        nets,
        points: torch.Tensor,
        names,
        params: dict,
        normals=None,
        create_graph: bool = True,
        data: dict | None = None,
    ) -> dict:
        """``data``: {data symbol: measured values [n]} for data terms."""
        if getattr(nets, "stackable", False):
            batch = StackedBatch(nets, points, self.needed(names), create_graph=create_graph)
            points = batch.X[0]
        else:
            if not points.requires_grad:
                points = points.detach().requires_grad_(True)
            batch = Batch(nets(points), points, create_graph=create_graph)
        values = self.leaf_values(points, params, normals)
        values.update(data or {})
        out = {}
        for name in names:
            fn, keys = self._compiled[name]
            env = dict(values)
            env.update({k.symbol: batch.get(k) for k in keys})
            out[name] = as_tensor(fn(env)[0], points)
        return out

    def exact_values(self, points: torch.Tensor, params: dict) -> dict:
        """Exact solution at points, or {} when the problem has none."""
        if self.exact is None:
            return {}
        names, fn = self.exact
        vals = fn(self.leaf_values(points, params))
        return {n: as_tensor(v, points) for n, v in zip(names, vals)}
