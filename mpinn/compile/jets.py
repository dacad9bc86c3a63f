"""Forward-mode (Taylor-mode) input derivatives: :class:`JetBatch`, the ``derivatives:
forward`` engine, and :func:`forward_support` (whether it applies).

Instead of differentiating the network outputs backwards with respect to the points
(nested ``autograd.grad`` with ``create_graph``, :class:`~mpinn.compile.derivatives.Batch`),
each field's value is pushed through its network together with the first and second
derivatives along the input columns the residuals need (the rules of :mod:`.jet_rules`),
in plain torch operations. The loss then needs one ordinary backward pass to reach the
parameters, instead of a backward pass through a double-backward graph.

What it covers (otherwise a group falls back to the reverse engine, see
:func:`forward_support`): networks of ``Linear`` layers and the activations of
:data:`~mpinn.compile.jet_rules.ACTIVATION_RULES`, optional Fourier embeddings, the
scaled and periodic inputs and ``feature`` inputs of :class:`~mpinn.model.FieldNets`,
output transforms of any kind (also those using other fields, ``output cp = exp(net -
phi)``, and unknown parameters: their jets are derived symbolically), derivatives up to
second order. It reads the networks through the attributes FieldNets has
(:data:`_ATTRIBUTES`: the per-field MLPs ``nets``, ``order``, ``uses``, ``transforms``,
``inputs``, ``features``, ``center``, ``scale``, ``periodic``, ``params``...); compile does
not import the model. The value of every field is the model's own (``nets.inputs``, each
layer module, ``nets.transform``); only the derivatives follow the rules.
"""

from __future__ import annotations

import math
import weakref

import sympy as sp
import torch
from torch import nn

from .derivatives import DerivativeKey
from .fx_expr import FxExpr
from .jet_rules import (
    activation_rule,
    expression_jets,
    jet_symbol,
    through_activation,
    through_cos_sin,
    through_linear,
)

MAX_ORDER = 2
_ATTRIBUTES = (
    "nets",
    "order",
    "uses",
    "transforms",
    "transform",
    "inputs",
    "features",
    "center",
    "scale",
    "periodic",
    "coords",
    "params",
)


def forward_support(nets, keys) -> str | None:
    """None when :class:`JetBatch` can compute ``keys`` on ``nets``, else the reason."""
    if any(len(k.columns) > MAX_ORDER for k in keys):
        return f"derivatives of order above {MAX_ORDER}"
    missing = [a for a in _ATTRIBUTES if not hasattr(nets, a)]
    if missing:
        return f"the networks have no {missing[0]}"
    for name in nets.order:
        layers = getattr(nets.nets[name], "layers", None)
        if not isinstance(layers, nn.Sequential):
            return f"the network of {name} is not a sequence of layers"
        for m in layers:
            if not isinstance(m, nn.Linear) and activation_rule(m) is None:
                return f"no forward-mode rule for {type(m).__name__}"
    return None


def field_needs(nets, keys) -> dict:
    """``{field: (first columns, second column pairs)}`` each network must carry, including
    what the output transforms of other fields use."""
    first = {f: set() for f in nets.order}
    second = {f: set() for f in nets.order}
    wanted = {k.field for k in keys}
    for k in keys:
        if len(k.columns) == 1:
            first[k.field].add(k.columns[0])
        elif len(k.columns) == 2:
            second[k.field].add(k.columns)
            first[k.field].update(k.columns)
    for f in reversed(nets.order):  # used fields come first in the order
        for g in nets.uses.get(f, ()):
            if f in wanted:
                wanted.add(g)
            first[g] |= first[f]
            second[g] |= second[f]
    return {
        f: (tuple(sorted(first[f])), tuple(sorted(second[f]))) for f in nets.order if f in wanted
    }


class _Symbolic:
    """Compiled symbolic jets of an output transform or of the features (a
    :class:`~mpinn.compile.TorchExpr`), cached per expression object and needs."""

    def __init__(self):
        self._cache = weakref.WeakKeyDictionary()

    def get(self, program, inputs: tuple, coords: tuple, first: tuple, second: tuple):
        known = self._cache.setdefault(program, {})
        key = (inputs, first, second)
        if key not in known:
            leaves = list(program.symbols)
            parts = [expression_jets(e, coords, inputs, first, second) for e in program.exprs]
            for base in inputs:
                leaves += [jet_symbol(base, (i,)) for i in first]
                leaves += [jet_symbol(base, p) for p in second]
            cols = [(i,) for i in first] + list(second)
            flat = [part[c] for part in parts for c in cols]
            known[key] = (FxExpr(flat, leaves) if flat else None, cols)
        return known[key]


_SYMBOLIC = _Symbolic()


class JetBatch:
    """Field values and input derivatives (order <= 2) at ``points``, by forward mode.

    ``get(key)`` like :class:`~mpinn.compile.derivatives.Batch`; every key of ``keys`` is
    computed in the constructor.
    """

    def __init__(self, nets, points: torch.Tensor, keys):
        self.points = points
        self.nets = nets
        self.coords = tuple(nets.coords)
        self.params = nets.params
        needs = field_needs(nets, keys)
        first = tuple(sorted({i for a, _ in needs.values() for i in a}))
        second = tuple(sorted({p for _, b in needs.values() for p in b}))
        self._inputs = self._input_jet(points, first, second)
        self._cache: dict = {}
        jets: dict = {}
        for f in nets.order:
            if f in needs:
                jets[f] = self._field(f, needs[f], jets)
                value, d1, d2 = jets[f]
                self._cache[DerivativeKey(f, ())] = value
                for i, t in d1.items():
                    self._cache[DerivativeKey(f, (i,))] = _full(t, value)
                for p, t in d2.items():
                    self._cache[DerivativeKey(f, p)] = _full(t, value)

    def get(self, key: DerivativeKey) -> torch.Tensor:
        return self._cache[key]

    def _leaves(self, points) -> dict:
        env = {c: points[:, i] for i, c in enumerate(self.coords)}
        env.update({sp.Symbol(p, real=True): v for p, v in self.params.items()})
        return env

    def _input_jet(self, points, first, second) -> tuple:
        """The network input (``nets.inputs``) and its jets, one column list per part."""
        nets = self.nets
        value = nets.inputs(points)
        n, dim = points.shape
        inv = 1.0 / nets.scale.to(points.dtype)
        cols_first = {i: [None] * dim for i in first}
        cols_second = {p: [None] * dim for p in second}
        for i in first:
            cols_first[i][i] = inv[i]
        extra_first = {i: [] for i in first}
        extra_second = {p: [] for p in second}
        for axis, lo, period in nets.periodic:
            w = 2 * math.pi / period
            phase = (points[:, axis] - lo) * w
            c, s = torch.cos(phase), torch.sin(phase)
            for i in first:
                cols_first[i][axis] = -s * w if i == axis else None
                extra_first[i].append(c * w if i == axis else None)
            for p in second:
                cols_second[p][axis] = -c * (w * w) if p == (axis, axis) else None
                extra_second[p].append(-s * (w * w) if p == (axis, axis) else None)
        feat = self._feature_jets(points, first, second) if nets.features is not None else None
        for i in first:
            cols_first[i] += extra_first[i] + (feat[(i,)] if feat else [])
        for p in second:
            cols_second[p] += extra_second[p] + (feat[p] if feat else [])
        d1 = {i: _columns(cols_first[i], value) for i in first}
        d2 = {p: _columns(cols_second[p], value) for p in second}
        return value, d1, d2

    def _feature_jets(self, points, first, second) -> dict:
        fn, cols = _SYMBOLIC.get(self.nets.features, (), self.coords, first, second)
        if fn is None:
            return {}
        values = fn(self._leaves(points))
        k = len(cols)
        return {c: values[j::k] for j, c in enumerate(cols)}

    def _field(self, f: str, need: tuple, jets: dict) -> tuple:
        first, second = need
        value, d1, d2 = self._inputs
        jet = (value, {i: d1[i] for i in first}, {p: d2[p] for p in second})
        mlp = self.nets.nets[f]
        fourier = getattr(mlp, "fourier", None)
        if fourier is not None:
            scale = 2 * math.pi
            z = (scale * jet[0] @ fourier, {}, {})
            z[1].update({i: None if t is None else scale * t @ fourier for i, t in jet[1].items()})
            z[2].update({p: None if t is None else scale * t @ fourier for p, t in jet[2].items()})
            jet = through_cos_sin(z)
        for m in mlp.layers:
            jet = through_linear(m, jet) if isinstance(m, nn.Linear) else through_activation(m, jet)
        raw = (jet[0].squeeze(-1), _squeeze(jet[1]), _squeeze(jet[2]))
        transform = self.nets.transforms[f]
        if transform is None:
            return raw
        return self._transform(f, transform, raw, jets, first, second)

    def _transform(self, f, transform, raw, jets, first, second) -> tuple:
        uses = tuple(self.nets.uses[f])
        values = {g: jets[g][0] for g in uses}
        out = self.nets.transform(f, raw[0], self.points, values)
        inputs = transform.symbols[:1] + transform.symbols[len(transform.symbols) - len(uses) :]
        fn, cols = _SYMBOLIC.get(transform, inputs, self.coords, first, second)
        env = self._leaves(self.points)
        for sym, jet in zip(inputs, (raw,) + tuple(jets[g] for g in uses)):
            env[sym] = jet[0]
            for i in first:
                env[jet_symbol(sym, (i,))] = _zero(jet[1].get(i))
            for p in second:
                env[jet_symbol(sym, p)] = _zero(jet[2].get(p))
        parts = fn(env) if fn is not None else []
        d1 = {c[0]: v for c, v in zip(cols, parts) if len(c) == 1}
        d2 = {c: v for c, v in zip(cols, parts) if len(c) == 2}
        return out, d1, d2


def _zero(t):
    return 0.0 if t is None else t


def _full(t, like: torch.Tensor) -> torch.Tensor:
    if isinstance(t, torch.Tensor):
        return t.expand_as(like) if t.shape != like.shape else t
    return torch.full_like(like, 0.0 if t is None else float(t))


def _squeeze(parts: dict) -> dict:
    return {k: None if t is None else t.squeeze(-1) for k, t in parts.items()}


def _columns(cols: list, like: torch.Tensor):
    """One part of the input jet as a tensor: None when every column is zero, a broadcast
    row ``[1, m]`` when every column is a constant, else ``[n, m]``."""
    kw = {"dtype": like.dtype, "device": like.device}
    cols = [torch.tensor(float(c), **kw) if isinstance(c, (int, float)) else c for c in cols]
    if all(c is None for c in cols):
        return None
    n = like.shape[0]
    if all(c is None or c.dim() == 0 for c in cols):
        row = [torch.zeros((), **kw) if c is None else c for c in cols]
        return torch.stack(row).unsqueeze(0)
    full = [
        torch.zeros(n, **kw) if c is None else (c.expand(n) if c.dim() == 0 else c) for c in cols
    ]
    return torch.stack(full, dim=-1)
