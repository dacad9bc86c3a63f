"""One network per field.

Each field gets its own MLP (so the optimizer — and the block-diagonal Gauss–Newton theory —
sees per-network, per-layer 2D weights). Inputs are the coordinates scaled to [-1, 1] over
the domain box, optionally followed by Fourier features and by the problem's declared
``feature`` inputs (e.g. boundary-layer coordinates exp(-(1 - y)/eps)); the raw output goes
through the field's ``output`` transform (e.g. exp(net) for a log-concentration network).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import sympy as sp
import torch
from torch import nn

from .compile import feature_program, field_value_symbol, output_transform
from .geometry import Box
from .symbolic import NET, Problem, output_order

ACTIVATIONS = {
    "tanh": nn.Tanh,
    "sin": None,  # handled by Sine below
    "gelu": nn.GELU,
    "silu": nn.SiLU,
    "softplus": nn.Softplus,
}


class Sine(nn.Module):
    def forward(self, x):
        return torch.sin(x)


def make_activation(name: str) -> nn.Module:
    if name not in ACTIVATIONS:
        raise ValueError(f"unknown activation '{name}'; known: {', '.join(ACTIVATIONS)}")
    return Sine() if name == "sin" else ACTIVATIONS[name]()


@dataclass
class NetConfig:
    """Architecture of one field's network."""

    width: int = 64
    depth: int = 3  # hidden layers
    activation: str = "tanh"
    fourier_features: int = 0  # number of random Fourier frequencies (0 = off)
    fourier_sigma: float = 1.0
    output_init_scale: float = 1.0  # < 1: the network starts near net = 0 (see MLP)


class MLP(nn.Module):
    """Plain fully connected network with an optional fixed Fourier-feature embedding."""

    def __init__(self, in_dim: int, cfg: NetConfig, generator: torch.Generator):
        super().__init__()
        self.cfg = cfg
        if cfg.fourier_features > 0:
            freqs = torch.randn(in_dim, cfg.fourier_features, generator=generator)
            self.register_buffer("fourier", freqs * cfg.fourier_sigma)
            in_dim = 2 * cfg.fourier_features
        else:
            self.fourier = None
        layers: list[nn.Module] = []
        dims = [in_dim] + [cfg.width] * cfg.depth
        for a, b in zip(dims[:-1], dims[1:]):
            layers += [nn.Linear(a, b), make_activation(cfg.activation)]
        layers.append(nn.Linear(dims[-1], 1))
        self.layers = nn.Sequential(*layers)
        for m in self.layers:
            if isinstance(m, nn.Linear):  # Glorot, as customary for tanh PINNs
                bound = math.sqrt(6.0 / (m.in_features + m.out_features))
                with torch.no_grad():
                    m.weight.uniform_(-bound, bound, generator=generator)
                    m.bias.zero_()
        if not 0 < cfg.output_init_scale <= 1:
            raise ValueError(f"output_init_scale must be in (0, 1], not {cfg.output_init_scale!r}")
        with torch.no_grad():
            # Why: where an output transform carries an ansatz (a known double layer, a
            # Boltzmann factor), net = 0 is the informed start, and a random O(1) output
            # scaled by e.g. ``output Pi = 100*net`` starts far from it. Not exactly 0:
            # conditions the ansatz already meets would then have residuals at round-off,
            # and inverse-gradient-norm balancing would give them huge weights that pin
            # the networks.
            self.layers[-1].weight.mul_(cfg.output_init_scale)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.fourier is not None:
            z = 2 * math.pi * x @ self.fourier
            x = torch.cat([torch.cos(z), torch.sin(z)], dim=-1)
        return self.layers(x).squeeze(-1)


class FieldNets(nn.Module):
    """``nets(points) -> {field: values [n]}``, one MLP per field."""

    def __init__(self, problem: Problem, box: Box, params: dict, cfg: NetConfig,
                 per_field: dict | None = None, seed: int = 0, normalize_inputs: bool = True,
                 outputs: dict | None = None):
        super().__init__()
        self.fields = tuple(problem.fields)
        self.params = dict(params)
        lo = list(box.lo) + ([box.time[1]] if box.time else [])
        hi = list(box.hi) + ([box.time[2]] if box.time else [])
        center = torch.tensor([(a + b) / 2 for a, b in zip(lo, hi)])
        half = torch.tensor([(b - a) / 2 for a, b in zip(lo, hi)])
        if not normalize_inputs:
            center, half = torch.zeros_like(center), torch.ones_like(half)
        self.register_buffer("center", center)
        self.register_buffer("scale", half)
        self.features = feature_program(problem)
        n_in = len(lo) + len(problem.features)
        generator = torch.Generator().manual_seed(seed)
        per_field = per_field or {}
        self.nets = nn.ModuleDict({
            f: MLP(n_in, per_field.get(f, cfg), generator) for f in self.fields})
        outputs = outputs or {}
        self.transforms, self.uses = {}, {}
        for f in self.fields:
            self.transforms[f], self.uses[f] = output_transform(problem, f, outputs.get(f))
        self.order = tuple(output_order(self.fields, self.uses))  # used fields come first
        self.coords = problem.coords
        self.param_symbols = {p: sp.Symbol(p, real=True) for p in problem.params}

    def _env(self, points: torch.Tensor) -> dict:
        env = {c: points[..., i] for i, c in enumerate(self.coords)}
        env.update({self.param_symbols[p]: v for p, v in self.params.items()})
        return env

    def inputs(self, points: torch.Tensor) -> torch.Tensor:
        x = (points - self.center.to(points.dtype)) / self.scale.to(points.dtype)
        if self.features is None:
            return x
        feats = self.features(self._env(points))
        feats = [f if isinstance(f, torch.Tensor) else torch.full_like(points[..., 0], f)
                 for f in feats]
        return torch.cat([x, torch.stack(feats, dim=-1)], dim=-1)

    def transform(self, field_name: str, raw: torch.Tensor, points: torch.Tensor,
                  values: dict | None = None) -> torch.Tensor:
        """The field's output transform applied to its raw network output; ``values`` holds
        the fields the transform uses (``exp(net - phi)`` needs phi)."""
        transform = self.transforms[field_name]
        if transform is None:
            return raw
        env = {**self._env(points), NET: raw}
        env.update({field_value_symbol(f): values[f] for f in self.uses[field_name]})
        value = transform(env)[0]
        return value if isinstance(value, torch.Tensor) else torch.full_like(raw, value)

    def forward(self, points: torch.Tensor) -> dict:
        x = self.inputs(points)
        values: dict = {}
        for f in self.order:
            values[f] = self.transform(f, self.nets[f](x), points, values)
        return {f: values[f] for f in self.fields}

    ensemble = False  # evaluate as one stacked ensemble when possible (set by train.build)

    @property
    def stackable(self) -> bool:
        """True when the ensemble path is on, every field's network has the same
        architecture (no Fourier layer) and no output uses another field (each network
        sees its own copy of the points), so :meth:`forward_stacked` can run them at once."""
        cfgs = [self.nets[f].cfg for f in self.fields]
        return self.ensemble and all(c == cfgs[0] for c in cfgs) and \
            cfgs[0].fourier_features == 0 and not any(self.uses.values())

    def forward_stacked(self, points: torch.Tensor) -> torch.Tensor:
        """Raw outputs ``[S, n]`` of the S networks on per-network copies ``[S, n, d]`` of
        the points: one batched matmul per layer instead of S small ones.

        The parameters stay separate 2D tensors per network (stacked afresh each call, so
        gradients reach each network's own weights and the optimizer's per-layer
        preconditioners never couple networks). Why per-network copies of the points: the
        gradient of all outputs w.r.t. the copies gives every field's input derivatives
        in one autograd call.
        """
        h = self.inputs(points)
        linears = [[m for m in self.nets[f].layers if isinstance(m, nn.Linear)]
                   for f in self.fields]
        activation = self.nets[self.fields[0]].layers[1]
        last = len(linears[0]) - 1
        for i in range(last + 1):
            weight = torch.stack([layers[i].weight for layers in linears])  # [S, out, in]
            bias = torch.stack([layers[i].bias for layers in linears])  # [S, out]
            h = torch.baddbmm(bias.unsqueeze(1), h, weight.transpose(1, 2))
            if i < last:
                h = activation(h)
        return h.squeeze(-1)

    def param_groups(self) -> list:
        """Parameters per network, for per-network diagnostics (NTK blocks)."""
        return [list(self.nets[f].parameters()) for f in self.fields]
