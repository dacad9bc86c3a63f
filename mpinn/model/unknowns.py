"""Unknown parameters (``unknown k = 0.5 in [0.01, 10]``): trained with the networks.

Each unknown is one raw trainable number θ. Without bounds its value is θ itself; with
bounds [a, b] it is ``a + (b - a) * sigmoid(θ)``, a smooth reparametrisation that keeps it
strictly inside whatever the optimizer does (θ starts at the logit of the initial guess).
"""

from __future__ import annotations

import math

import torch
from torch import nn

from ..ir import Problem, to_float


class Unknowns(nn.Module):
    def __init__(self, problem: Problem, values: dict):
        """``values``: numeric parameter values; an unknown's entry is its initial guess."""
        super().__init__()
        self.names = tuple(problem.unknowns)
        self.bounds: dict = {}
        raw = {}
        for name, par in problem.unknowns.items():
            guess = float(values[name])
            if par.bounds is None:
                theta = guess
            else:
                lo, hi = (to_float(b, values) for b in par.bounds)
                if not lo < guess < hi:
                    raise ValueError(
                        f"the initial guess {guess:g} of '{name}' is not inside [{lo:g}, {hi:g}]"
                    )
                self.bounds[name] = (lo, hi)
                s = (guess - lo) / (hi - lo)
                theta = math.log(s / (1 - s))
            raw[name] = nn.Parameter(torch.tensor([theta]))
        self.raw = nn.ParameterDict(raw)
        self.initial = {n: float(values[n]) for n in self.names}

    def values(self) -> dict:
        """{name: 0-dim tensor}, differentiable with respect to the raw parameters."""
        out = {}
        for name in self.names:
            theta = self.raw[name][0]
            if name in self.bounds:
                lo, hi = self.bounds[name]
                out[name] = lo + (hi - lo) * torch.sigmoid(theta)
            else:
                out[name] = theta
        return out

    def floats(self) -> dict:
        with torch.no_grad():
            return {k: float(v) for k, v in self.values().items()}
