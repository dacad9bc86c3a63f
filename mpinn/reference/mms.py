"""Variant C: manufactured solution for the electroosmotic PNP--Stokes system.

The fields are smooth, built with sympy from Python expressions (no strings), and satisfy
the *physical* boundary conditions of the benchmark by construction:

* walls y = +-1: u = v = 0 and zero ion flux (c+- = exp(-+phi) h+-(x, y) with
  d_y h+- = 0 at y = +-1, so that d_y c+- +- c+- d_y phi = 0 there);
* inlet/outlet x = 0, L: v = 0, du/dx = 0 and Pi = 0;
* u = psi_y, v = -psi_x with a stream function, so div u = 0 exactly.

Manufactured fields (s = pi x / L)::

    phi = dV (1/2 - x/L) + y^2/2 + 3/10 cos(s) sin(pi y / 2)
    cp  = exp(-phi) (1 + 1/5 sin(s) cos(pi y))
    cm  = exp(+phi) (1 - 1/5 sin(s) cos(pi y))
    u   = (1 - y^2) - 2 y (1 - y^2) cos(s)          # = d/dy [y - y^3/3 + 1/2 (1-y^2)^2 cos(s)]
    v   = (pi / (2L)) (1 - y^2)^2 sin(s)
    Pi  = 1/2 sin(s) (1 + y/2)

Sources (equation written as Op(fields) = S)::

    S_phi  = -eps^2 lap(phi) - (cp - cm)/2
    S_cp   = div(Pe u cp - grad cp - cp grad phi)
    S_cm   = div(Pe u cm - grad cm + cm grad phi)
    S_u    = Pi_x - lap(u) + (1/(2 eps^2)) (d_x(cp + cm) + (cp - cm) phi_x)
    S_v    = Pi_y - lap(v) + (1/(2 eps^2)) (d_y(cp + cm) + (cp - cm) phi_y)
    S_cont = u_x + v_y  (= 0)

Everything is parametrised by eps, Pe, dV, L (from :class:`EOFParams`).
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np
import sympy as sp

__all__ = ["symbolic_fields", "symbolic_sources", "manufactured", "MMS_DEFAULTS"]

#: parameters used for the verification in tests/docs
MMS_DEFAULTS = dict(eps=0.3, dV=1.0, L=2.0, Pe=0.5, zeta0=0.0, zetap=0.0)

X, Y = sp.symbols("x y", real=True)
EPS, PE, DV, LL = sp.symbols("eps Pe dV L", positive=True)


def symbolic_fields():
    """Dict of sympy expressions in x, y, eps, Pe, dV, L for phi, cp, cm, u, v, Pi."""
    s = sp.pi * X / LL
    phi = (
        DV * (sp.Rational(1, 2) - X / LL)
        + Y**2 / 2
        + sp.Rational(3, 10) * sp.cos(s) * sp.sin(sp.pi * Y / 2)
    )
    hp = 1 + sp.Rational(1, 5) * sp.sin(s) * sp.cos(sp.pi * Y)
    hm = 1 - sp.Rational(1, 5) * sp.sin(s) * sp.cos(sp.pi * Y)
    cp = sp.exp(-phi) * hp
    cm = sp.exp(phi) * hm
    stream = Y - Y**3 / 3 + sp.Rational(1, 2) * (1 - Y**2) ** 2 * sp.cos(s)
    u = sp.diff(stream, Y)
    v = -sp.diff(stream, X)
    Pi = sp.Rational(1, 2) * sp.sin(s) * (1 + Y / 2)
    return dict(phi=phi, cp=cp, cm=cm, u=u, v=v, Pi=Pi)


def symbolic_sources():
    f = symbolic_fields()
    phi, cp, cm, u, v, Pi = (f[k] for k in ("phi", "cp", "cm", "u", "v", "Pi"))

    def lap(q):
        return sp.diff(q, X, 2) + sp.diff(q, Y, 2)

    def div(ax, ay):
        return sp.diff(ax, X) + sp.diff(ay, Y)

    k = 1 / (2 * EPS**2)
    S = {
        "phi": -(EPS**2) * lap(phi) - (cp - cm) / 2,
        "cp": div(
            PE * u * cp - sp.diff(cp, X) - cp * sp.diff(phi, X),
            PE * v * cp - sp.diff(cp, Y) - cp * sp.diff(phi, Y),
        ),
        "cm": div(
            PE * u * cm - sp.diff(cm, X) + cm * sp.diff(phi, X),
            PE * v * cm - sp.diff(cm, Y) + cm * sp.diff(phi, Y),
        ),
        "u": sp.diff(Pi, X) - lap(u) + k * (sp.diff(cp + cm, X) + (cp - cm) * sp.diff(phi, X)),
        "v": sp.diff(Pi, Y) - lap(v) + k * (sp.diff(cp + cm, Y) + (cp - cm) * sp.diff(phi, Y)),
        "cont": sp.simplify(div(u, v)),
    }
    return S


@lru_cache(maxsize=8)
def _lambdified(eps, Pe, dV, L):
    subs = {EPS: eps, PE: Pe, DV: dV, LL: L}
    f = {k: sp.lambdify((X, Y), e.subs(subs), "numpy") for k, e in symbolic_fields().items()}
    S = {k: sp.lambdify((X, Y), e.subs(subs), "numpy") for k, e in symbolic_sources().items()}
    return f, S


def manufactured(params):
    """Return (exact, sources) callables (X, Y) -> dict of numpy arrays for EOFParams."""
    f, S = _lambdified(float(params.eps), float(params.Pe), float(params.dV), float(params.L))

    def _ev(fs, Xa, Ya):
        Xa, Ya = np.broadcast_arrays(np.asarray(Xa, float), np.asarray(Ya, float))
        return {k: np.broadcast_to(fn(Xa, Ya), Xa.shape).astype(float) for k, fn in fs.items()}

    return (lambda Xa, Ya: _ev(f, Xa, Ya)), (lambda Xa, Ya: _ev(S, Xa, Ya))
