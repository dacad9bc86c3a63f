"""One field's network: a fully connected MLP with an optional fixed Fourier-feature
embedding. Adding an activation is one entry of :data:`ACTIVATIONS`."""

from __future__ import annotations

import math

import torch
from torch import nn

from ..config.schema import NetConfig

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
