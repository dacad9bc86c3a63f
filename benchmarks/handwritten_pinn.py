"""The `coupled_sym` PINN written by hand in plain torch, as a careful user would: the
baseline that mpinn's step rate is measured against (benchmarks/speed.py).

    -u'' + gamma (u - v) = f1,   -v'' + gamma (v - u) = f2   on 0 < x < 1
    u = sin(pi x) + x/2,  v = sin(2 pi x)/2 + (1 - x)^2        (exact; Dirichlet at both ends)

Two 3x64 tanh MLPs (Glorot-uniform weights, zero biases, input scaled to [-1, 1]), 256
uniform interior points drawn afresh every step plus the 2 end points, second derivatives
by nested ``torch.autograd.grad`` with ``create_graph=True``, four loss terms (two equations,
two boundary values) weighted by inverse gradient norms refreshed every 100 steps (the rule
of mpinn/train/balance.py: lambda_i = sum_j g_j / g_i, set directly the first time, then a
moving average with alpha = 0.9), mpinn's SOAP settings (or Adam) with lr 2e-3 decayed by
0.8 every 2000 steps. Nothing is deliberately slow; nothing of mpinn's pipeline is used
except the optimizer factory.

    python benchmarks/handwritten_pinn.py [--steps 2000] [--optimizer soap|adam] [--dtype float32]
"""

from __future__ import annotations

import argparse
import math
import time

import torch
from torch import nn

from mpinn.train.optim import make_optimizer

PI = math.pi


def mlp(width: int = 64, depth: int = 3, generator: torch.Generator | None = None) -> nn.Module:
    dims = [1] + [width] * depth + [1]
    layers: list[nn.Module] = []
    for i, (a, b) in enumerate(zip(dims[:-1], dims[1:])):
        lin = nn.Linear(a, b)
        bound = math.sqrt(6.0 / (a + b))
        with torch.no_grad():
            lin.weight.uniform_(-bound, bound, generator=generator)
            lin.bias.zero_()
        layers.append(lin)
        if i < depth:
            layers.append(nn.Tanh())
    return nn.Sequential(*layers)


def exact(x: torch.Tensor) -> tuple:
    return torch.sin(PI * x) + x / 2, torch.sin(2 * PI * x) / 2 + (1 - x) ** 2


def forcing(x: torch.Tensor, gamma: float) -> tuple:
    u, v = exact(x)
    u_xx = -(PI**2) * torch.sin(PI * x)
    v_xx = -2 * PI**2 * torch.sin(2 * PI * x) + 2
    return -u_xx + gamma * (u - v), -v_xx + gamma * (v - u)


class HandwrittenPINN:
    """One training run; :meth:`step` is one optimizer step."""

    def __init__(
        self,
        optimizer: str = "soap",
        dtype: torch.dtype = torch.float32,
        device: str = "cpu",
        seed: int = 0,
        gamma: float = 1.0,
        n_interior: int = 256,
        lr: float = 2e-3,
        balance_every: int = 100,
        alpha: float = 0.9,
    ):
        gen = torch.Generator().manual_seed(seed)
        self.u, self.v = mlp(generator=gen), mlp(generator=gen)
        self.u.to(device, dtype)
        self.v.to(device, dtype)
        self.params = list(self.u.parameters()) + list(self.v.parameters())
        self.opt = make_optimizer(optimizer, self.params, lr=lr)
        self.schedule = torch.optim.lr_scheduler.ExponentialLR(self.opt, 0.8 ** (1 / 2000))
        self.gamma, self.n, self.dtype, self.device = gamma, n_interior, dtype, device
        self.points = torch.Generator(device=device).manual_seed(seed + 1)
        self.xb = torch.tensor([[0.0], [1.0]], dtype=dtype, device=device)
        self.ub, self.vb = exact(self.xb)
        self.every, self.alpha = balance_every, alpha
        self.weights = [1.0] * 4
        self.updated = False
        self.steps = 0

    def losses(self) -> list:
        x = torch.rand(self.n, 1, generator=self.points, dtype=self.dtype, device=self.device)
        x.requires_grad_(True)
        u, v = self.u(2 * x - 1), self.v(2 * x - 1)
        u_x = torch.autograd.grad(u.sum(), x, create_graph=True)[0]
        u_xx = torch.autograd.grad(u_x.sum(), x, create_graph=True)[0]
        v_x = torch.autograd.grad(v.sum(), x, create_graph=True)[0]
        v_xx = torch.autograd.grad(v_x.sum(), x, create_graph=True)[0]
        f1, f2 = forcing(x.detach(), self.gamma)
        r_u = -u_xx + self.gamma * (u - v) - f1
        r_v = -v_xx + self.gamma * (v - u) - f2
        xb = 2 * self.xb - 1
        return [
            (r_u**2).mean(),
            (r_v**2).mean(),
            ((self.u(xb) - self.ub) ** 2).mean(),
            ((self.v(xb) - self.vb) ** 2).mean(),
        ]

    def balance(self, losses: list) -> None:
        norms = []
        for loss in losses:
            grads = torch.autograd.grad(loss, self.params, retain_graph=True, allow_unused=True)
            squares = [(g.double() ** 2).sum() for g in grads if g is not None]
            norms.append(float(torch.sqrt(sum(squares))))
        total = sum(norms)
        for i, g in enumerate(norms):
            if g > 1e-12:
                target = total / g
                self.weights[i] = (
                    target
                    if not self.updated
                    else self.alpha * self.weights[i] + (1 - self.alpha) * target
                )
        self.updated = True

    def step(self) -> float:
        losses = self.losses()
        if self.steps % self.every == 0:
            self.balance(losses)
        total = sum(w * loss for w, loss in zip(self.weights, losses))
        self.opt.zero_grad(set_to_none=True)
        total.backward()
        self.opt.step()
        self.schedule.step()
        self.steps += 1
        return float(total.detach())

    def train(self, steps: int, on_step=None) -> None:
        for _ in range(steps):
            self.step()
            if on_step is not None:
                on_step(self.steps)

    @torch.no_grad()
    def l2(self, n: int = 1001) -> dict:
        x = torch.linspace(0, 1, n, dtype=self.dtype, device=self.device).unsqueeze(-1)
        out = {}
        for name, net, ref in zip(("u", "v"), (self.u, self.v), exact(x)):
            out[name] = float(torch.linalg.norm(net(2 * x - 1) - ref) / torch.linalg.norm(ref))
        return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--steps", type=int, default=2000)
    ap.add_argument("--optimizer", default="soap", choices=["soap", "adam"])
    ap.add_argument("--dtype", default="float32", choices=["float32", "float64"])
    ap.add_argument("--device", default="cpu")
    ap.add_argument("--threads", type=int, default=1)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    pinn = HandwrittenPINN(args.optimizer, getattr(torch, args.dtype), args.device)
    start = time.perf_counter()
    pinn.train(args.steps)
    if args.device.startswith("cuda"):
        torch.cuda.synchronize()
    rate = args.steps / (time.perf_counter() - start)
    l2 = ", ".join(f"L2[{k}] {v:.2e}" for k, v in pinn.l2().items())
    print(f"hand-written coupled_sym: {rate:.1f} steps/s over {args.steps} steps; {l2}")


if __name__ == "__main__":
    main()
