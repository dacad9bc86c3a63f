"""The compiled residuals of a problem: :class:`ResidualProgram`, and
:func:`compile_options` (the config keys ``compile`` and ``derivatives`` → how it runs)."""

from __future__ import annotations

import weakref

import sympy as sp
import torch

from ..ir import Problem, Term, normal_symbols
from .derivatives import Batch, StackedBatch, derivative_keys
from .fx_expr import FxExpr
from .jets import JetBatch, forward_support
from .torch_expr import TorchExpr, as_tensor

COMPILE_MODES = ("auto", "on", "off")
DERIVATIVE_ENGINES = ("auto", "reverse", "forward")


def quantity_key(name: str) -> str:
    """The program's name for the integrand of quantity ``name``."""
    return f"quantity:{name}"


def compile_options(compile_mode: str, derivatives: str, device_type: str) -> dict:
    """Keyword arguments of :class:`ResidualProgram` for the config keys.

    ``compile``: ``off`` = the tree walker; ``auto`` = fx graphs, handed to
    ``torch.compile`` on cuda only; ``on`` = fx graphs and ``torch.compile`` everywhere.
    ``derivatives``: ``reverse`` (nested autograd), ``forward`` (Taylor mode, where
    :func:`~mpinn.compile.jets.forward_support` allows; reverse elsewhere) or ``auto`` —
    forward on the CPU (measured faster there: docs/performance.md), reverse on cuda (not
    measured there yet; ``benchmarks/gpu_check.sh`` measures both).
    """
    if compile_mode not in COMPILE_MODES:
        raise ValueError(f"compile must be auto, on or off, not {compile_mode!r}")
    if derivatives not in DERIVATIVE_ENGINES:
        raise ValueError(f"derivatives must be auto, reverse or forward, not {derivatives!r}")
    if derivatives == "auto":
        derivatives = "forward" if device_type == "cpu" else "reverse"
    return {
        "graphs": compile_mode != "off",
        "torch_compile": compile_mode == "on" or (compile_mode == "auto" and device_type == "cuda"),
        "derivatives": derivatives,
    }


class ResidualProgram:
    """All residual terms of a problem, compiled once; parameters bound per call.

    ``evaluate(nets, points, terms, params, normals)`` evaluates the named terms that share
    ``points`` and returns ``{term name: residual [n]}``.

    ``graphs``: evaluate each group of terms (the names of one ``evaluate`` call) as one fx
    graph sharing its common subexpressions (:class:`~mpinn.compile.fx_expr.FxExpr`),
    handed to ``torch.compile`` with ``torch_compile``; otherwise each term is walked as a
    :class:`TorchExpr` (the reference). ``derivatives``: ``"reverse"`` (nested autograd,
    :class:`Batch`/:class:`StackedBatch`, the reference) or ``"forward"``
    (:class:`~mpinn.compile.jets.JetBatch`; a group it does not support falls back to
    reverse, and :attr:`fallbacks` says why).
    """

    def __init__(
        self,
        problem: Problem,
        graphs: bool = False,
        torch_compile: bool = False,
        derivatives: str = "reverse",
    ):
        if derivatives not in ("reverse", "forward"):
            raise ValueError(f"derivatives must be reverse or forward, not {derivatives!r}")
        self.problem = problem
        self.graphs = graphs
        self.torch_compile = torch_compile
        self.derivatives = derivatives
        self.coords = problem.coords
        self.param_symbols = tuple(sp.Symbol(p, real=True) for p in problem.params)
        self.normal = normal_symbols(problem.space)
        self.terms: dict[str, Term] = {t.name: t for t in problem.terms}
        self._plain = {name: self._prepare(t.residual) for name, t in self.terms.items()}
        # quantities (``quantity Q = integral(EXPR, ...)``): their integrands, compiled like
        # residuals under names no term can have
        for name, q in getattr(problem, "quantities", {}).items():
            self._plain[quantity_key(name)] = self._prepare(q.expr)
        self._compiled: dict = {}
        self._groups: dict = {}
        self._needed: dict = {}
        self._support = weakref.WeakKeyDictionary()  # nets -> {keys: reason or None}
        self.fallbacks: dict = {}  # reason -> groups of terms that fell back to reverse
        self.exact = None
        if problem.exact:
            names = list(problem.exact)
            fn = TorchExpr([problem.exact[f] for f in names], self.coords + self.param_symbols)
            self.exact = (names, fn)

    def _prepare(self, residual) -> tuple:
        """``(expression in leaf symbols, derivative keys, data symbols)`` of a residual."""
        keys = derivative_keys(residual, self.problem)
        # replace derivatives before field values: u(x) also occurs inside Derivative(u(x), x)
        ordered = sorted(keys.items(), key=lambda kv: -len(kv[1].columns))
        plain = residual
        for atom, key in ordered:
            plain = plain.xreplace({atom: key.symbol})
        # measured values of a data term (``data obs: u from ...``): leaves given per call
        data = tuple(sorted((s for s in plain.free_symbols if s.name.startswith("data:")), key=str))
        known = {*self.coords, *self.param_symbols, *self.normal, *data}
        known |= {k.symbol for k in keys.values()}
        missing = plain.free_symbols - known
        if missing:  # found here, when the problem is compiled, not at the first step
            raise ValueError(f"unbound symbols {sorted(map(str, missing))}")
        return plain, tuple(keys.values()), data

    def compiled(self, name: str):
        """``(TorchExpr, derivative keys)`` of one term (the tree walker: for functional
        re-evaluation, e.g. the NTK analysis, and for ``compile: off``)."""
        if name not in self._compiled:
            plain, keys, data = self._plain[name]
            leaves = tuple(k.symbol for k in keys)
            symbols = self.coords + self.param_symbols + self.normal + leaves + data
            self._compiled[name] = (TorchExpr([plain], symbols), keys)
        return self._compiled[name]

    def group(self, names) -> FxExpr:
        """One fx-graph evaluator for the terms ``names`` together (cached)."""
        names = tuple(names)
        if names not in self._groups:
            keys = sorted(self.needed(names), key=lambda k: (k.field, k.columns))
            data = sorted({s for n in names for s in self._plain[n][2]}, key=str)
            leaves = tuple(k.symbol for k in keys) + tuple(data)
            symbols = self.coords + self.param_symbols + self.normal + leaves
            exprs = [self._plain[n][0] for n in names]
            self._groups[names] = FxExpr(exprs, symbols, torch_compile=self.torch_compile)
        return self._groups[names]

    def needed(self, names) -> frozenset:
        """Derivative keys the named terms need (the plan; cached per group of terms)."""
        names = tuple(names)
        if names not in self._needed:
            self._needed[names] = frozenset(k for n in names for k in self._plain[n][1])
        return self._needed[names]

    def leaf_values(self, points: torch.Tensor, params: dict, normals=None) -> dict:
        values = {c: points[:, i] for i, c in enumerate(self.coords)}
        for sym in self.param_symbols:
            values[sym] = params[sym.name]
        if normals is not None:
            values.update({n: normals[:, i] for i, n in enumerate(self.normal)})
        return values

    def engine(self, nets, names) -> str:
        """``"forward"``, ``"stacked"``, ``"reverse"`` or ``"values"`` (no derivatives
        needed: one plain forward pass): how ``evaluate`` computes the field values and
        derivatives of ``names`` on ``nets``."""
        keys = self.needed(names)
        stacked = getattr(nets, "stackable", False)
        if not stacked and not any(k.columns for k in keys):
            return "values"
        if self.derivatives == "forward":
            try:
                known = self._support.setdefault(nets, {})
            except TypeError:  # not weakly referenceable: check every time
                known = {}
            if keys not in known:
                known[keys] = forward_support(nets, keys)
                if known[keys] is not None:
                    self.fallbacks.setdefault(known[keys], set()).add(tuple(names))
            if known[keys] is None:
                return "forward"
        return "stacked" if stacked else "reverse"

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
        names = tuple(names)
        engine = self.engine(nets, names)
        if engine == "forward":
            batch = JetBatch(nets, points.detach(), self.needed(names))
            points = batch.points
        elif engine == "values":
            points = points.detach()
            batch = Batch(nets(points), points, create_graph=create_graph)
        elif engine == "stacked":
            batch = StackedBatch(nets, points, self.needed(names), create_graph=create_graph)
            points = batch.X[0]
        else:
            if not points.requires_grad:
                points = points.detach().requires_grad_(True)
            batch = Batch(nets(points), points, create_graph=create_graph)
        # the coordinates enter the residuals as values: no gradient with respect to them
        values = self.leaf_values(points.detach(), params, normals)
        values.update(data or {})
        if self.graphs:
            values.update({k.symbol: batch.get(k) for k in self.needed(names)})
            outs = self.group(names)(values)
            return {name: as_tensor(v, points) for name, v in zip(names, outs)}
        out = {}
        for name in names:
            fn, keys = self.compiled(name)
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
