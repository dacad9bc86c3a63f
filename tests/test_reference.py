"""Verification of the reference solutions (mpinn.reference).

Small grids only: the whole module runs in well under a minute on one core.
"""

import numpy as np
import pytest
import sympy as sp

from mpinn.reference.eof_fv import (
    FIELDS,
    EOFParams,
    _Problem,
    load_npz,
    make_grid,
    mms_errors,
    solve,
)
from mpinn.reference.gouy_chapman import channel_exact, gc_layer, psi0
from mpinn.reference.mms import MMS_DEFAULTS, manufactured, symbolic_fields


# --------------------------------------------------------------------------- Gouy-Chapman
@pytest.mark.parametrize("eps", [0.02, 0.05])
def test_gc_satisfies_pb_and_bc(eps):
    y = np.linspace(-1.0, 1.0, 40001)
    h = y[1] - y[0]
    p = psi0(y, eps, -2.0)
    assert p.shape == y.shape
    assert abs(p[0] + 2.0) < 1e-12 and abs(p[-1] + 2.0) < 1e-12
    res = eps**2 * (p[2:] - 2 * p[1:-1] + p[:-2]) / h**2 - np.sinh(p[1:-1])
    # FD truncation error ~ h^2 psi''''/12; relative to the size of sinh(psi) at the wall
    assert np.max(np.abs(res)) < 1e-4 * np.sinh(2.0)
    # equilibrium centreline value is ~0 for thin layers
    assert abs(psi0(np.array(0.0), eps, -2.0)) < 1e-6


def test_gc_vs_bvp_and_thick_layer():
    y = np.linspace(-1.0, 1.0, 2001)
    a = psi0(y, 0.05, -2.0, method="gc")
    b = psi0(y, 0.05, -2.0, method="bvp")
    assert np.max(np.abs(a - b)) < 1e-8
    # thick layer (auto -> solve_bvp): ODE and BCs
    eps = 0.3
    y = np.linspace(-1.0, 1.0, 4001)
    h = y[1] - y[0]
    p = psi0(y, eps, 1.5)
    assert abs(p[0] - 1.5) < 1e-10 and abs(p[-1] - 1.5) < 1e-10
    res = eps**2 * (p[2:] - 2 * p[1:-1] + p[:-2]) / h**2 - np.sinh(p[1:-1])
    assert np.max(np.abs(res)) < 1e-5
    # GC superposition is not valid there (overlap), the BVP must differ
    assert np.max(np.abs(p - psi0(y, eps, 1.5, method="gc"))) > 1e-3
    # symmetric layer
    assert np.allclose(gc_layer(0.0, 0.02, -2.0), -2.0)


def test_channel_exact_fields():
    x = np.linspace(0, 4, 7)[:, None]
    y = np.linspace(-1, 1, 9)[None, :]
    f = channel_exact(x, y, eps=0.02, zeta=-2.0, dV=8.0, L=4.0)
    assert set(f) == set(FIELDS)
    assert f["phi"].shape == (7, 9)
    assert np.allclose(f["u"][:, [0, -1]], 0.0, atol=1e-12)
    assert np.allclose(f["phi"][:, 0], -2.0 + 8.0 * (1 - x[:, 0] / 4.0))
    assert np.allclose(f["cp"] * f["cm"], 1.0)
    assert np.all(f["u"][:, 4] > 3.9)  # slip velocity -E zeta = 4


# --------------------------------------------------------------------------- FV solver
def test_jacobian_matches_finite_differences():
    p = EOFParams(eps=0.2, zetap=0.5, w=0.3, L=2.0, a=0.7, b=1.3, dV=2.0)
    g = make_grid(5, 4, p.L, 1.5)
    pr = _Problem(p, g)
    rng = np.random.default_rng(0)
    z = pr.initial_guess() + 0.05 * rng.standard_normal(pr.lay.n)
    J = pr.jacobian(z)
    d = rng.standard_normal(pr.lay.n)
    h = 1e-6
    fd = (pr.residual(z + h * d) - pr.residual(z - h * d)) / (2 * h)
    assert np.max(np.abs(J @ d - fd)) < 1e-6 * max(1.0, np.max(np.abs(fd)))


def _errors_A(nx, ny, eps):
    p = EOFParams.uniform(eps=eps)
    s = solve(p, nx, ny, stretch=2.5)
    ex = channel_exact(s.x[:, None], s.y[None, :], eps=eps, zeta=p.zeta0, dV=p.dV, L=p.L)
    return s, {k: np.max(np.abs(s[k] - ex[k])) for k in ("phi", "cp", "cm", "u")}


@pytest.mark.parametrize("eps", [0.02, 0.05])
def test_variant_A_converges(eps):
    errs = [_errors_A(8, ny, eps)[1] for ny in (16, 32, 64)]
    for k in errs[0]:
        r1 = errs[0][k] / errs[1][k]
        r2 = errs[1][k] / errs[2][k]
        # ny = 16 is pre-asymptotic for eps = 0.02 (cp ratios 2.1, 3.0, 3.5 for ny = 16..128)
        assert r1 > 1.8 and r2 > 2.9, (k, errs)
    # small at a modest grid (max-norm errors; u ~ 4, cp <= e^2)
    assert errs[-1]["phi"] < 1e-2 and errs[-1]["u"] < 2e-2 and errs[-1]["cp"] < 5e-2


def test_manufactured_order_two():
    p = EOFParams(**MMS_DEFAULTS)
    ex, S = manufactured(p)
    errs = []
    for n in (8, 16, 32):
        s = solve(p, n, n, stretch=1.0, sources=S, exact_bc=ex)
        assert len(s.newton_history) <= 8
        errs.append(mms_errors(s, ex))
    for k in FIELDS:
        order = np.polyfit(np.log([8, 16, 32]), np.log([e[k] for e in errs]), 1)[0]
        assert -2.3 < order < -1.7, (k, order, errs)
    assert errs[-1]["phi"] < 1e-3


def test_manufactured_fields_satisfy_physical_bcs():
    f = symbolic_fields()
    from mpinn.reference.mms import LL, X, Y

    for wall in (-1, 1):
        assert sp.simplify(f["u"].subs(Y, wall)) == 0
        assert sp.simplify(f["v"].subs(Y, wall)) == 0
        for c, s in (("cp", 1), ("cm", -1)):
            flux = sp.diff(f[c], Y) + s * f[c] * sp.diff(f["phi"], Y)
            assert sp.simplify(flux.subs(Y, wall)) == 0
    for end in (0, LL):
        assert sp.simplify(f["v"].subs(X, end)) == 0
        assert sp.simplify(f["Pi"].subs(X, end)) == 0
        assert sp.simplify(sp.diff(f["u"], X).subs(X, end)) == 0
    assert sp.simplify(sp.diff(f["u"], X) + sp.diff(f["v"], Y)) == 0


def test_variant_B_small_grid(tmp_path):
    p = EOFParams(eps=0.05)
    s = solve(p, 40, 24)
    g = s.grid
    u, v = s.raw["u"], s.raw["v"]
    # discrete mass conservation: flow rate identical through every x-face
    Q = u @ g.dy
    assert np.max(np.abs(Q - Q[0])) < 1e-9 * abs(Q[0])
    # symmetry about the centreline
    assert np.allclose(u, u[:, ::-1], atol=1e-8)
    assert np.allclose(v, -v[:, ::-1], atol=1e-8)
    # reversed flow over the patch, forward flow elsewhere, salt enrichment in the bulk
    assert u.min() < -0.1 and u.max() > 3.0
    salt = 0.5 * (s["cp"] + s["cm"])
    j = np.argmin(np.abs(s.y))
    assert 1.03 < salt[:, j].max() < 1.2
    # npz round trip and interpolation at the node points
    path = tmp_path / "b.npz"
    s.save_npz(path)
    t = load_npz(path)
    for k in FIELDS:
        assert np.array_equal(t[k], s[k])
    assert t.params == p
    Xn, Yn = np.meshgrid(s.x[::3], s.y[::2], indexing="ij")
    it = t.interpolate(Xn, Yn)
    for k in FIELDS:
        assert np.allclose(it[k], s[k][::3, ::2])
    # interpolation between nodes stays within the data range
    mid = s.interpolate(np.array([2.0, 0.3]), np.array([0.0, -0.99]))
    assert mid["u"].shape == (2,)
