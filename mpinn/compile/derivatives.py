"""Derivative planning and evaluation: which field derivatives a set of residuals needs
(:func:`derivative_keys`, from the sympy ``Derivative`` atoms) and computing each once
per batch with autograd (:class:`Batch`; :class:`StackedBatch` for networks evaluated as
one ensemble).

A derivative ``u_{x_i x_j ...}`` is obtained by repeated ``autograd.grad`` of the previous
order w.r.t. the input points; one ``grad`` call returns the derivatives along every input
column at once, and every intermediate order is cached, so ``u_xx`` and ``u_xy`` share the
gradient of ``u_x``. The sum trick (grad of ``sum(u_x)``) is exact because the networks act
pointwise (row i of the output depends only on row i of the input).
"""

from __future__ import annotations

from dataclasses import dataclass

import sympy as sp
import torch
from sympy.core.function import AppliedUndef

from ..ir import Problem


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
                (grads,) = torch.autograd.grad(
                    value.sum(), self.points, create_graph=self.create_graph, allow_unused=True
                )
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
        self._cache = {
            DerivativeKey(f, ()): nets.transform(f, raw[s], self.X[s])
            for s, f in enumerate(self.fields)
        }
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
            (grads,) = torch.autograd.grad(
                total, self.X, create_graph=self.create_graph, allow_unused=True
            )
        for f in fields:
            g = grads[self.index[f]] if grads is not None else None
            self._grads[(f, cols)] = g if g is not None else torch.zeros_like(self.X[0])

    def get(self, key: DerivativeKey) -> torch.Tensor:
        if key not in self._cache:
            self._cache[key] = self._grads[(key.field, key.columns[:-1])][:, key.columns[-1]]
        return self._cache[key]
