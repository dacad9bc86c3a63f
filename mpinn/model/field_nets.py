"""One network per field: :class:`FieldNets`, the model of a run.

Each field gets its own MLP (so the optimizer — and the block-diagonal Gauss–Newton theory —
sees per-network, per-layer 2D weights). Inputs are the coordinates scaled to [-1, 1] over
the domain's bounding box (a periodic direction as the cosine and sine of its phase),
optionally followed by Fourier features and by the problem's
declared ``feature`` inputs (e.g. boundary-layer coordinates exp(-(1 - y)/eps)); the raw
output goes through the field's ``output`` transform (e.g. exp(net) for a
log-concentration network).

The model owns the numeric parameter values of the problem (:attr:`FieldNets.params`):
features, output transforms and the residuals all read them from here.
"""

from __future__ import annotations

import sympy as sp
import torch
from torch import nn

from ..compile import feature_program, field_value_symbol, output_transform
from ..config.schema import NetConfig
from ..ir import NET, Problem, output_order
from .mlp import MLP
from .unknowns import Unknowns


class FieldNets(nn.Module):
    """``nets(points) -> {field: values [n]}``, one MLP per field."""

    def __init__(
        self,
        problem: Problem,
        domain,
        params: dict,
        cfg: NetConfig,
        per_field: dict | None = None,
        seed: int = 0,
        normalize_inputs: bool = True,
        outputs: dict | None = None,
        graphs: bool = False,
    ):
        super().__init__()
        self.fields = tuple(problem.fields)
        self.fixed = {k: v for k, v in params.items() if k not in problem.unknowns}
        self.param_order = tuple(params)
        box_lo, box_hi = domain.bounding_box()
        lo = list(box_lo) + ([domain.time[1]] if domain.time else [])
        hi = list(box_hi) + ([domain.time[2]] if domain.time else [])
        center = torch.tensor([(a + b) / 2 for a, b in zip(lo, hi)])
        half = torch.tensor([(b - a) / 2 for a, b in zip(lo, hi)])
        if not normalize_inputs:
            center, half = torch.zeros_like(center), torch.ones_like(half)
        self.register_buffer("center", center)
        self.register_buffer("scale", half)
        # periodic directions: the coordinate enters as (cos, sin) of its phase, so every
        # field is exactly periodic with all its derivatives (no penalty term)
        self.periodic = tuple(
            (a, float(box_lo[a]), float(box_hi[a] - box_lo[a]))
            for a in getattr(problem, "periodic", ())
        )
        self.features = feature_program(problem, graphs)
        n_in = len(lo) + len(self.periodic) + len(problem.features)
        generator = torch.Generator().manual_seed(seed)
        per_field = per_field or {}
        self.nets = nn.ModuleDict(
            {f: MLP(n_in, per_field.get(f, cfg), generator) for f in self.fields}
        )
        outputs = outputs or {}
        self.transforms, self.uses = {}, {}
        for f in self.fields:
            self.transforms[f], self.uses[f] = output_transform(problem, f, outputs.get(f), graphs)
        self.order = tuple(output_order(self.fields, self.uses))  # used fields come first
        self.coords = problem.coords
        self.param_symbols = {p: sp.Symbol(p, real=True) for p in problem.params}
        self.unknowns = Unknowns(problem, params)  # registered after the networks

    @property
    def params(self) -> dict:
        """Every parameter's value: floats, and 0-dim tensors for the unknowns (trained)."""
        if not self.unknowns.names:
            return self.fixed
        current = {**self.fixed, **self.unknowns.values()}
        return {k: current[k] for k in self.param_order}

    @params.setter
    def params(self, values: dict) -> None:
        """Set the fixed parameters' values (e.g. an NTK sweep over gamma); unknowns stay
        the model's."""
        self.fixed = {k: v for k, v in values.items() if k not in self.unknowns.names}

    def param_floats(self) -> dict:
        """The parameter values as plain floats (for files and tables)."""
        return {**self.fixed, **self.unknowns.floats()} if self.unknowns.names else self.fixed

    def _env(self, points: torch.Tensor) -> dict:
        env = {c: points[..., i] for i, c in enumerate(self.coords)}
        env.update({self.param_symbols[p]: v for p, v in self.params.items()})
        return env

    def inputs(self, points: torch.Tensor) -> torch.Tensor:
        x = (points - self.center.to(points.dtype)) / self.scale.to(points.dtype)
        if self.periodic:
            x = self._periodic(points, x)
        if self.features is None:
            return x
        feats = self.features(self._env(points))
        feats = [
            f if isinstance(f, torch.Tensor) else torch.full_like(points[..., 0], f) for f in feats
        ]
        return torch.cat([x, torch.stack(feats, dim=-1)], dim=-1)

    def _periodic(self, points: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
        cols = list(x.unbind(-1))
        for axis, lo, period in self.periodic:
            phase = (points[..., axis] - lo) * (2 * torch.pi / period)
            cols[axis] = torch.cos(phase)
            cols.append(torch.sin(phase))
        return torch.stack(cols, dim=-1)

    def transform(
        self, field_name: str, raw: torch.Tensor, points: torch.Tensor, values: dict | None = None
    ) -> torch.Tensor:
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
        return (
            self.ensemble
            and all(c == cfgs[0] for c in cfgs)
            and cfgs[0].fourier_features == 0
            and not any(self.uses.values())
        )

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
        linears = [
            [m for m in self.nets[f].layers if isinstance(m, nn.Linear)] for f in self.fields
        ]
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
