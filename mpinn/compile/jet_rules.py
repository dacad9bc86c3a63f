"""The rules of forward (Taylor-mode) input derivatives, used by :mod:`.jets`.

A *jet* of a quantity q at every point is its value, its first derivatives ``q_i`` along
the input columns i a group of residuals needs, and its second derivatives ``q_ij``
(i <= j). Through ``h = act(z)``::

    h_i  = act'(z) z_i
    h_ij = act'(z) z_ij + act''(z) z_i z_j

and through a linear map each part is mapped alone (the bias only enters the value).
``None`` stands for a part that is exactly zero (e.g. the second derivatives of the scaled
inputs), so no work is done for it.

Output transforms (``output cp = exp(net - phi)``) and input features
(``feature w = exp(-(1 - y)/eps)``) are sympy expressions: their jets are derived
symbolically by the chain rule (:func:`expression_jets`) and evaluated by the compiled path.
"""

from __future__ import annotations

import math

import sympy as sp
import torch
from torch import nn

_INV_SQRT_2PI = 1.0 / math.sqrt(2.0 * math.pi)


def _tanh(module, z):
    h = module(z)
    s1 = 1 - h * h
    return h, s1, -2 * h * s1


def _sine(module, z):
    h = module(z)
    return h, torch.cos(z), -h


def _silu(module, z):
    s = torch.sigmoid(z)
    s1 = s * (1 + z * (1 - s))
    return module(z), s1, s * (1 - s) * (2 + z * (1 - 2 * s))


def _gelu(module, z):
    if module.approximate != "none":
        raise NotImplementedError("tanh-approximated GELU")
    pdf = torch.exp(-0.5 * z * z) * _INV_SQRT_2PI
    cdf = 0.5 * (1 + torch.erf(z * (1 / math.sqrt(2.0))))
    return module(z), cdf + z * pdf, pdf * (2 - z * z)


def _softplus(module, z):
    bz = z * module.beta
    s = torch.sigmoid(bz)
    # torch's softplus is the identity above the threshold; its second derivative is 0
    # from the threshold on (autograd's double backward), matched here to the point
    s1 = torch.where(bz > module.threshold, torch.ones_like(s), s)
    s2 = torch.where(bz < module.threshold, module.beta * s * (1 - s), torch.zeros_like(s))
    return module(z), s1, s2


#: activation module class name → ``rule(module, z) -> (act(z), act'(z), act''(z))``.
#: (``Sine`` is mpinn's own module, named here because compile may not import the model.)
ACTIVATION_RULES = {
    "Tanh": _tanh,
    "Sine": _sine,
    "SiLU": _silu,
    "GELU": _gelu,
    "Softplus": _softplus,
}


def activation_rule(module):
    """The rule for ``module``, or None when forward mode does not support it."""
    rule = ACTIVATION_RULES.get(type(module).__name__)
    if rule is _gelu and getattr(module, "approximate", "none") != "none":
        return None
    return rule


def add(a, b):
    if a is None:
        return b
    if b is None:
        return a
    return a + b


def mul(a, b):
    return None if a is None or b is None else a * b


def linear(part, weight):
    """``part @ weight.T`` (a tangent part through a linear layer: no bias)."""
    return None if part is None else torch.nn.functional.linear(part, weight)


def through_linear(layer: nn.Linear, jet: tuple) -> tuple:
    value, first, second = jet
    w = layer.weight
    return (
        layer(value),
        {i: linear(t, w) for i, t in first.items()},
        {p: linear(t, w) for p, t in second.items()},
    )


def _through_tanh(module, jet: tuple) -> tuple:
    """tanh in fewer operations: ``h_i = (1 - h^2) z_i`` and ``h_ij = (1 - h^2)(z_ij -
    2 h z_i z_j)``, each ``(1 - h^2) *`` one ``tanh_backward`` (the kernel reverse mode
    uses)."""
    z, first, second = jet
    h = module(z)
    scale = torch.ops.aten.tanh_backward
    out_first = {i: None if t is None else scale(t, h) for i, t in first.items()}
    out_second = {}
    for (i, j), t in second.items():
        q = mul(first[i], first[j])
        if q is None:
            inner = t
        elif t is None:
            inner = -2 * h * q
        else:
            inner = torch.addcmul(t, h, q, value=-2)
        out_second[(i, j)] = None if inner is None else scale(inner, h)
    return h, out_first, out_second


def through_activation(module, jet: tuple) -> tuple:
    if type(module).__name__ == "Tanh":
        return _through_tanh(module, jet)
    z, first, second = jet
    h, s1, s2 = activation_rule(module)(module, z)
    out_first = {i: mul(s1, t) for i, t in first.items()}
    out_second = {
        (i, j): add(mul(s1, t), mul(s2, mul(first[i], first[j]))) for (i, j), t in second.items()
    }
    return h, out_first, out_second


def through_cos_sin(z_jet: tuple) -> tuple:
    """The jets of ``cat(cos z, sin z)`` (a Fourier embedding) from that of z."""
    z, first, second = z_jet
    c, s = torch.cos(z), torch.sin(z)
    cat = torch.cat

    def part_first(t):
        return None if t is None else cat([-s * t, c * t], dim=-1)

    def part_second(i, j, t):
        zi_zj = mul(first[i], first[j])
        cos_part = add(mul(-s, t), mul(-c, zi_zj))
        sin_part = add(mul(c, t), mul(-s, zi_zj))
        if cos_part is None:
            return None
        return cat([cos_part, sin_part], dim=-1)

    return (
        cat([c, s], dim=-1),
        {i: part_first(t) for i, t in first.items()},
        {(i, j): part_second(i, j, t) for (i, j), t in second.items()},
    )


def jet_symbol(base: sp.Symbol, cols: tuple) -> sp.Symbol:
    """The symbol of the derivative of ``base`` along ``cols`` (sorted) in jet expressions."""
    if not cols:
        return base
    return sp.Symbol(f"_j_{base.name}_" + "_".join(map(str, cols)), real=True)


def expression_jets(expr, coords: tuple, inputs: tuple, first: tuple, second: tuple) -> dict:
    """``{cols: expression}`` for the first derivatives ``(i,)`` in ``first`` and the second
    ``(i, j)`` in ``second`` of ``expr``, a function of the coordinates and of ``inputs``
    (symbols standing for quantities whose own jets are the :func:`jet_symbol` symbols),
    by the chain rule: ``D_i e = de/dx_i + sum_s de/ds * s_i`` over the input symbols and
    their jet symbols."""
    origin = {s: (s, ()) for s in inputs}

    def total(e, i):
        out = sp.diff(e, coords[i])
        for sym in sorted(e.free_symbols & set(origin), key=str):
            base, cols = origin[sym]
            nxt = jet_symbol(base, tuple(sorted(cols + (i,))))
            origin.setdefault(nxt, (base, tuple(sorted(cols + (i,)))))
            out += sp.diff(e, sym) * nxt
        return out

    out = {}
    firsts = {}
    for i in sorted(set(first) | {k for p in second for k in p}):
        firsts[i] = total(expr, i)
        if i in first:
            out[(i,)] = firsts[i]
    for i, j in second:
        out[(i, j)] = total(firsts[i], j)
    return out
