"""Equilibrium double layer (Gouy--Chapman) and the exact straight-channel solution.

Nondimensional Poisson--Boltzmann problem across the channel y in [-1, 1]::

    eps^2 psi''(y) = sinh(psi),   psi(-1) = psi(+1) = zeta.

For thin layers (eps <= 0.05) the superposition of two semi-infinite Gouy--Chapman
profiles ``G(1 - y) + G(1 + y)`` with ``G(d) = 4 artanh(tanh(zeta/4) exp(-d/eps))`` is
exact to ~1e-8 (the overlap error is O(exp(-2/eps))).  For thicker layers the
two-point boundary value problem is solved with :func:`scipy.integrate.solve_bvp`.

``channel_exact`` returns variant A of the electroosmotic benchmark (straight channel,
uniform zeta): phi = psi0(y) + dV (1 - x/L), c+- = exp(-+psi0), u = E (psi0 - zeta),
v = 0, Pi = 0 with E = dV/L.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np
from scipy.integrate import solve_bvp

__all__ = ["gc_layer", "psi0", "channel_exact", "GC_EPS_MAX"]

#: Largest eps for which ``psi0(method="auto")`` uses the closed form.
GC_EPS_MAX = 0.05


def gc_layer(d, eps, zeta):
    """Semi-infinite Gouy--Chapman profile G(d) = 4 artanh(tanh(zeta/4) exp(-d/eps)).

    ``d`` (distance from the wall) and ``zeta`` broadcast against each other.
    """
    d = np.asarray(d, dtype=float)
    return 4.0 * np.arctanh(np.tanh(np.asarray(zeta, dtype=float) / 4.0) * np.exp(-d / eps))


def _psi0_gc(y, eps, zeta):
    y = np.asarray(y, dtype=float)
    return gc_layer(1.0 - y, eps, zeta) + gc_layer(1.0 + y, eps, zeta)


@lru_cache(maxsize=64)
def _psi0_bvp_solution(eps: float, zeta: float, tol: float):
    # Initial mesh clustered towards both walls.  The initial guess is the linearised
    # (Debye-Hueckel) profile, deliberately independent of the Gouy--Chapman formula.
    s = np.linspace(-1.0, 1.0, 401)
    k = 3.0
    y = np.tanh(k * s) / np.tanh(k)
    er, el = np.exp(-(1.0 - y) / eps), np.exp(-(1.0 + y) / eps)
    psi = zeta * (er + el)
    dpsi = zeta * (er - el) / eps

    def rhs(yy, p):
        return np.vstack([p[1], np.sinh(p[0]) / eps**2])

    def bc(pa, pb):
        return np.array([pa[0] - zeta, pb[0] - zeta])

    sol = solve_bvp(rhs, bc, y, np.vstack([psi, dpsi]), tol=tol, max_nodes=200000)
    if not sol.success:  # pragma: no cover - defensive
        raise RuntimeError(f"solve_bvp failed for eps={eps}, zeta={zeta}: {sol.message}")
    return sol


def psi0(y, eps: float, zeta: float, *, method: str = "auto", tol: float = 1e-10):
    """Equilibrium potential across the channel, eps^2 psi'' = sinh(psi), psi(+-1) = zeta.

    Parameters
    ----------
    y : array_like
        Points in [-1, 1] (any shape; vectorised).
    eps : float
        Debye length / half-width.
    zeta : float
        Wall potential (same at both walls).
    method : {"auto", "gc", "bvp"}
        "gc": closed-form superposition; "bvp": scipy solve_bvp; "auto": "gc" when
        eps <= 0.05, else "bvp".
    tol : float
        solve_bvp tolerance (bvp branch only).
    """
    y = np.asarray(y, dtype=float)
    if method == "auto":
        method = "gc" if eps <= GC_EPS_MAX else "bvp"
    if method == "gc":
        return _psi0_gc(y, eps, zeta)
    if method == "bvp":
        if zeta == 0.0:
            return np.zeros_like(y)
        sol = _psi0_bvp_solution(float(eps), float(zeta), float(tol))
        return sol.sol(y.ravel())[0].reshape(y.shape)
    raise ValueError(f"unknown method {method!r}")


def channel_exact(
    x, y, *, eps: float = 0.02, zeta: float = -2.0, dV: float = 8.0, L: float = 4.0
) -> dict[str, np.ndarray]:
    """Variant A (straight channel, uniform zeta): exact fields at points (x, y).

    Returns a dict with keys phi, cp, cm, u, v, Pi (arrays of the broadcast shape).
    """
    x, y = np.broadcast_arrays(np.asarray(x, dtype=float), np.asarray(y, dtype=float))
    p = psi0(y, eps, zeta)
    E = dV / L
    return {
        "phi": p + dV * (1.0 - x / L),
        "cp": np.exp(-p),
        "cm": np.exp(p),
        "u": E * (p - zeta),
        "v": np.zeros_like(x),
        "Pi": np.zeros_like(x),
    }
