"""The compiled residual path: sympy expressions → a ``torch.fx`` graph, built node by node.

:class:`FxExpr` takes the expressions of :class:`~mpinn.compile.torch_expr.TorchExpr` (the
same ``sympy.cse``) and builds a ``torch.fx.Graph``: one placeholder per leaf the
expressions use (coordinates, parameters, normal components, field values and derivatives,
measured data), one ``call_function`` node per operation — ``operator.add``/``mul``/
``truediv``/``pow`` and the torch functions of :data:`~mpinn.compile.torch_expr.
TORCH_FUNCTIONS` (the one table; nothing is copied) — and numbers as Python floats. No code
text is written or evaluated by mpinn; ``torch.fx.GraphModule`` generates the Python of the
graph itself, which removes the per-node dispatch of the tree walker, and that module may
be handed to ``torch.compile``.

Conventions, chosen so that both evaluators give identical results:

* sums and products fold left to right in sympy's argument order;
* powers follow :func:`~mpinn.compile.torch_expr.pow_steps` (sqrt, rsqrt, reciprocal,
  integer powers);
* a leaf may be a tensor or a Python number (a fixed parameter is a float, an unknown one
  a 0-dim tensor), and operations on numbers stay Python numbers, as in the tree walker.
  A graph is therefore specialised to which leaves are tensors: one graph per such
  signature, built on first use and cached (in training there is one). Sub-expressions of
  constants only are folded while building, with the same Python float arithmetic the tree
  walker does at run time; those of numeric leaves are computed at run time by the same
  helpers (:func:`~mpinn.compile.torch_expr.pow_value`, :func:`scalar_call`).
"""

from __future__ import annotations

import math
import operator
import warnings

import sympy as sp
import torch
import torch.fx

from .torch_expr import (
    BASE,
    TorchExpr,
    pow_steps,
    pow_value,
    scalar_call,
    torch_function,
)

_SCALAR_TARGETS: dict = {}


def _scalar_target(fn):
    """A named graph target applying table function ``fn`` to a number (see scalar_call)."""
    target = _SCALAR_TARGETS.get(fn)
    if target is None:

        def target(value, _fn=fn):
            return scalar_call(_fn, value)

        name = f"scalar_{getattr(fn, '__name__', 'function').strip('_')}"
        target.__name__ = target.__qualname__ = name
        _SCALAR_TARGETS[fn] = target
    return target


class _Value:
    """A value while building: a Python number known now (``node`` is that number), or a
    graph node holding a tensor or a number at run time."""

    __slots__ = ("node", "tensor")

    def __init__(self, node, tensor: bool):
        self.node = node
        self.tensor = tensor

    @property
    def constant(self) -> bool:
        return not isinstance(self.node, torch.fx.Node)


class _Builder:
    def __init__(self, graph: torch.fx.Graph, env: dict):
        self.graph = graph
        self.env = env  # sympy symbol / subexpression -> _Value

    def call(self, fn, args, tensor: bool) -> _Value:
        if not any(isinstance(a, _Value) and not a.constant for a in args):
            plain = [a.node if isinstance(a, _Value) else a for a in args]
            return _Value(fn(*plain), False)  # all numbers known now: fold, as Python would
        nodes = tuple(a.node if isinstance(a, _Value) else a for a in args)
        return _Value(self.graph.call_function(fn, nodes), tensor)

    def value(self, expr) -> _Value:
        hit = self.env.get(expr)
        if hit is not None:
            return hit
        if expr.is_Number or expr.is_NumberSymbol:
            return _Value(float(expr), False)
        if expr.is_Add:
            out = self._sum(expr.args)
        elif expr.is_Mul:
            out = self._negated(expr)
            if out is None:
                out = self._product(expr.args)
        elif expr.is_Pow:
            out = self._pow(*[self.value(a) for a in expr.args])
        else:
            fn = torch_function(expr.func)
            arg = self.value(expr.args[0])
            if arg.tensor:
                out = self.call(fn, (arg,), True)
            else:
                out = self.call(_scalar_target(fn), (arg,), False)
        self.env[expr] = out
        return out

    def _product(self, factors) -> _Value:
        out = self.value(factors[0])
        for f in factors[1:]:
            a = self.value(f)
            out = self.call(operator.mul, (out, a), out.tensor or a.tensor)
        return out

    def _negated(self, expr) -> _Value | None:
        """``-t`` for ``Mul(-1, ...)`` of a tensor (the tree walker's ``-1.0 * t``, the
        same bits), else None."""
        if expr.args[0] != sp.S.NegativeOne:
            return None
        rest = self._product(expr.args[1:])
        return self.call(operator.neg, (rest,), True) if rest.tensor else None

    def _sum(self, terms) -> _Value:
        """Left to right; ``a + (-1 * t)`` of a tensor t as ``a - t`` (the same bits)."""
        out = None
        for term in terms:
            if out is not None and term.is_Mul and term.args[0] == sp.S.NegativeOne:
                rest = self._product(term.args[1:])
                if rest.tensor:
                    out = self.call(operator.sub, (out, rest), True)
                    continue
            a = self.value(term)
            out = a if out is None else self.call(operator.add, (out, a), out.tensor or a.tensor)
        return out

    def _pow(self, base: _Value, exponent: _Value) -> _Value:
        if exponent.constant and base.tensor:
            out = base
            for fn, args in pow_steps(exponent.node):
                out = self.call(fn, tuple(out if a is BASE else a for a in args), True)
            return out
        if base.constant and exponent.tensor and base.node > 0:
            log = self.call(operator.mul, (math.log(base.node), exponent), True)
            return self.call(torch.exp, (log,), True)
        if base.tensor and exponent.tensor:
            return self.call(operator.pow, (base, exponent), True)
        # what remains depends on a number known only at run time: the tree walker's rule
        return self.call(pow_value, (base, exponent), base.tensor or exponent.tensor)


def build_graph(tree: TorchExpr, leaves: tuple, tensors: tuple) -> torch.fx.GraphModule:
    """The graph of ``tree``'s cse'd expressions: one placeholder per leaf (``tensors[i]``:
    whether leaf i is a tensor), returning a tuple with one value per expression."""
    graph = torch.fx.Graph()
    env = {
        sym: _Value(graph.placeholder(f"leaf{i}"), bool(t))
        for i, (sym, t) in enumerate(zip(leaves, tensors))
    }
    builder = _Builder(graph, env)
    for sym, expr in tree.replacements:
        env[sym] = builder.value(expr)
    outs = [builder.value(e).node for e in tree.reduced]
    graph.output(tuple(outs))
    graph.lint()
    return torch.fx.GraphModule(torch.nn.Module(), graph, class_name="Residuals")


class _Compiled:
    """``torch.compile`` of a graph; if compiling fails, a warning and the plain graph from
    then on (a genuine error in the residual then shows from the plain graph)."""

    def __init__(self, module: torch.fx.GraphModule):
        self.module = module
        self.fn = torch.compile(module, dynamic=None)

    def __call__(self, *args):
        if self.fn is not self.module:
            try:
                return self.fn(*args)
            except Exception as exc:  # noqa: BLE001 - any compiler failure: run uncompiled
                warnings.warn(
                    f"torch.compile failed ({type(exc).__name__}: {exc}); the residuals run "
                    "as plain fx graphs",
                    RuntimeWarning,
                    stacklevel=2,
                )
                self.fn = self.module
        return self.module(*args)


class FxExpr:
    """Like :class:`TorchExpr` (``fn(values) -> list``), evaluated through fx graphs.

    ``torch_compile``: hand each graph to ``torch.compile`` (``compile: on``, and ``auto``
    on cuda); without it the plain ``GraphModule`` runs.
    """

    def __init__(self, exprs, symbols, torch_compile: bool = False):
        self.tree = TorchExpr(exprs, symbols)
        self.symbols = self.tree.symbols
        self.exprs = self.tree.exprs
        used = set()
        for e in self.tree.reduced:
            used |= e.free_symbols
        for _, e in self.tree.replacements:
            used |= e.free_symbols
        #: the leaves the graph reads, in the order of ``symbols``
        self.leaves = tuple(s for s in self.symbols if s in used)
        self.torch_compile = torch_compile
        self._graphs: dict = {}

    def graph(self, tensors: tuple):
        """The callable for one signature (which leaves are tensors), built on first use."""
        fn = self._graphs.get(tensors)
        if fn is None:
            fn = build_graph(self.tree, self.leaves, tensors)
            if self.torch_compile:
                fn = _Compiled(fn)
            self._graphs[tensors] = fn
        return fn

    def __call__(self, values: dict) -> list:
        args = [values[s] for s in self.leaves]
        tensors = tuple(isinstance(a, torch.Tensor) for a in args)
        return list(self.graph(tensors)(*args))
