"""Compiled residuals against hand-written torch autograd residuals."""

import math

import sympy as sp
import torch

from mpinn import geometry
from mpinn.compile import ResidualProgram, TorchExpr
from mpinn.config import NetConfig
from mpinn.lower import lower_source
from mpinn.model import FieldNets

F64 = torch.float64


def _nets(problem, seed=0):
    box = geometry.domain_of(problem)
    return FieldNets(
        problem, box, problem.param_values(), NetConfig(width=16, depth=2), seed=seed
    ).double()


def _grad(y, x):
    return torch.autograd.grad(y.sum(), x, create_graph=True)[0]


def test_1d_coupled_residual_matches_autograd():
    p = lower_source("""
        param gamma = 7
        domain x in [0, 1]
        field u, v
        pde eq_u: -dxx(u) + gamma*(u - v) = x^2
        pde eq_v: -d(v, x, x) + gamma*sinh(v - u) = 0
        bc ends on all: u = 0, v = 0
    """)
    nets = _nets(p)
    prog = ResidualProgram(p)
    x = torch.rand(40, 1, dtype=torch.float64, requires_grad=True)
    got = prog.evaluate(nets, x, ["eq_u", "eq_v"], p.param_values())
    out = nets(x)
    u, v = out["u"], out["v"]
    uxx = _grad(_grad(u, x)[:, 0], x)[:, 0]
    vxx = _grad(_grad(v, x)[:, 0], x)[:, 0]
    want_u = -uxx + 7 * (u - v) - x[:, 0] ** 2
    want_v = -vxx + 7 * torch.sinh(v - u)
    torch.testing.assert_close(got["eq_u"], want_u, rtol=1e-10, atol=1e-10)
    torch.testing.assert_close(got["eq_v"], want_v, rtol=1e-10, atol=1e-10)


SRC_2D = """
    param D = 0.5
    domain (x, y) in [0, 2] x [-1, 1]
    field c, phi
    let J = -D*grad(c) - c*grad(phi)
    pde np: div(J) = 0
    pde mix: lap(phi) + d(c, x, y) + dxy(phi)*dxx(c) = sin(x)*y
    bc flux on y = -1 or y = 1: dot(J, normal) = 0, dn(phi) + phi = 1
    bc ends on left or right: c = 1, phi = 0
"""


def test_2d_lap_div_mixed_and_normal_derivatives():
    p = lower_source(SRC_2D)
    nets = _nets(p)
    prog = ResidualProgram(p)
    gen = torch.Generator().manual_seed(1)
    X = torch.rand(64, 2, generator=gen, dtype=torch.float64) * torch.tensor(
        [2.0, 2.0], dtype=F64
    ) - torch.tensor([0.0, 1.0], dtype=F64)
    X.requires_grad_(True)
    got = prog.evaluate(nets, X, ["np", "mix"], p.param_values())
    out = nets(X)
    c, phi = out["c"], out["phi"]
    gc, gphi = _grad(c, X), _grad(phi, X)
    cxx = _grad(gc[:, 0], X)[:, 0]
    cxy = _grad(gc[:, 0], X)[:, 1]
    phixx = _grad(gphi[:, 0], X)[:, 0]
    phiyy = _grad(gphi[:, 1], X)[:, 1]
    phixy = _grad(gphi[:, 0], X)[:, 1]
    Jx = -0.5 * gc[:, 0] - c * gphi[:, 0]
    Jy = -0.5 * gc[:, 1] - c * gphi[:, 1]
    divJ = _grad(Jx, X)[:, 0] + _grad(Jy, X)[:, 1]
    torch.testing.assert_close(got["np"], divJ, rtol=1e-9, atol=1e-9)
    want_mix = phixx + phiyy + cxy + phixy * cxx - torch.sin(X[:, 0]) * X[:, 1]
    torch.testing.assert_close(got["mix"], want_mix, rtol=1e-9, atol=1e-9)

    # boundary terms: outward normal (0, +-1) on the walls
    Xb = torch.cat([X.detach()[:10, :1], torch.ones(10, 1, dtype=F64)], dim=1)
    Xb[5:, 1] = -1.0
    normals = torch.zeros(10, 2, dtype=F64)
    normals[:5, 1], normals[5:, 1] = 1.0, -1.0
    Xb.requires_grad_(True)
    got_b = prog.evaluate(nets, Xb, ["flux.1", "flux.phi"], p.param_values(), normals)
    out = nets(Xb)
    gc, gphi = _grad(out["c"], Xb), _grad(out["phi"], Xb)
    ny = normals[:, 1]
    want_flux = (-0.5 * gc[:, 1] - out["c"] * gphi[:, 1]) * ny
    torch.testing.assert_close(got_b["flux.1"], want_flux, rtol=1e-9, atol=1e-9)
    torch.testing.assert_close(
        got_b["flux.phi"], gphi[:, 1] * ny + out["phi"] - 1, rtol=1e-9, atol=1e-9
    )


def test_derivatives_are_planned_once_and_shared(monkeypatch):
    """u_xx, u_xy and u_yy need exactly three gradient calls: of u, of u_x and of u_y."""
    p = lower_source("""
        domain (x, y) in [0, 1] x [0, 1]
        field u
        pde a: dxx(u) + dyy(u) = 0
        pde b: dxy(u) + dx(u)*dxx(u) = 1
        bc all_sides on all: u = 0
    """)
    nets = _nets(p)
    prog = ResidualProgram(p)
    calls = []
    real = torch.autograd.grad
    monkeypatch.setattr(torch.autograd, "grad", lambda *a, **k: calls.append(1) or real(*a, **k))
    X = torch.rand(16, 2, dtype=torch.float64)
    prog.evaluate(nets, X, ["a", "b"], {})
    assert len(calls) == 3


def test_torch_expr_matches_sympy_numerics():
    x, a = sp.symbols("x a", real=True)
    exprs = [
        sp.sin(x) ** 2 + sp.sqrt(x + 1) / a,
        sp.atanh(x / 2) * sp.exp(-x) + x**-3,
        sp.Abs(x - 0.3) + sp.erf(x) + sp.pi * sp.E,
    ]
    fn = TorchExpr(exprs, (x, a))
    xs = torch.linspace(0.1, 0.9, 9, dtype=torch.float64)
    got = fn({x: xs, a: 2.5})
    for expr, g in zip(exprs, got):
        want = [float(expr.subs({x: float(v), a: 2.5})) for v in xs]
        torch.testing.assert_close(g, torch.tensor(want, dtype=F64), rtol=1e-12, atol=1e-12)


def test_exact_solution_makes_manufactured_residuals_vanish():
    from mpinn.lower import load

    for name in ("coupled_sym", "coupled_asym", "coupled_nonlinear"):
        p = load(f"problems/{name}.mp")
        prog = ResidualProgram(p)
        vals = p.param_values({"gamma": 30.0})

        class Exact(torch.nn.Module):
            def __init__(self, prog, vals):
                super().__init__()
                self.prog, self.vals = prog, vals

            def forward(self, X):
                return self.prog.exact_values(X, self.vals)

        X = torch.rand(50, 1, dtype=torch.float64)
        res = prog.evaluate(Exact(prog, vals), X, [t.name for t in p.equations], vals)
        for r in res.values():
            assert r.abs().max() < 1e-9 * max(1.0, 30.0 * math.pi**2)


def test_stacked_ensemble_matches_separate_networks():
    """The batched-ensemble path gives the same residuals as evaluating nets one by one."""
    p = lower_source(SRC_2D)
    prog = ResidualProgram(p)
    X = torch.rand(32, 2, dtype=F64)
    normals = torch.zeros(32, 2, dtype=F64)
    normals[:, 1] = 1.0
    out = {}
    for ensemble in (False, True):
        nets = _nets(p)
        nets.ensemble = ensemble
        assert nets.stackable == ensemble
        res = prog.evaluate(nets, X, ["np", "mix", "flux.1", "flux.phi"], p.param_values(), normals)
        loss = sum((r**2).mean() for r in res.values())
        grads = torch.autograd.grad(loss, list(nets.parameters()))
        out[ensemble] = (res, grads)
    for name in out[False][0]:
        torch.testing.assert_close(out[True][0][name], out[False][0][name], rtol=1e-10, atol=1e-10)
    for a, b in zip(out[True][1], out[False][1]):
        torch.testing.assert_close(a, b, rtol=1e-9, atol=1e-10)


def test_output_using_another_field_and_its_residual():
    """``output c = exp(net - phi)`` (a Boltzmann-factor output): the field is exp(raw - phi)
    with phi evaluated first, whatever the declaration order, and the compiled residual
    differentiates through phi's network too."""
    p = lower_source("""
        param k = 3
        domain x in [0, 1]
        field c, phi
        output c = exp(net - k*phi)
        pde e1: -dxx(c) + c = 0
        pde e2: -dxx(phi) = c
    """)
    nets = _nets(p)
    nets.ensemble = True
    assert nets.order == ("phi", "c") and not nets.stackable
    x = torch.linspace(0, 1, 9, dtype=F64).unsqueeze(-1).requires_grad_(True)
    out = nets(x)
    raw = nets.nets["c"](nets.inputs(x))
    assert torch.allclose(out["c"], torch.exp(raw - 3 * out["phi"]), rtol=1e-14)
    c = torch.exp(raw - 3 * nets.nets["phi"](nets.inputs(x)))
    expected = -_grad(_grad(c, x), x).squeeze(-1) + c
    res = ResidualProgram(p).evaluate(nets, x.detach(), ["e1"], p.param_values())
    assert torch.allclose(res["e1"], expected, rtol=1e-10, atol=1e-12)
