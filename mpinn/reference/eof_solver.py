"""Solving the EOF system: one coupled Newton iteration with a sparse LU, from a
Gouy--Chapman initial guess or a coarser solution (grid continuation)."""

from __future__ import annotations

import time
import warnings
from collections.abc import Callable
from dataclasses import asdict

import numpy as np
from scipy.sparse.linalg import splu

from .eof_assembly import _Layout, _Problem
from .eof_grid import FIELDS, EOFParams, Grid, make_grid
from .eof_solution import Solution


# --------------------------------------------------------------------------- Newton
def _newton(prob: _Problem, z, tol, max_newton, max_step, verbose, log=None):
    """Newton's method from ``z``; returns (z, history, converged). ``log(text)``, if
    given, hears of every iteration."""
    hist = []
    lay = prob.lay
    nconc = lay.offsets[3]  # phi, gp, gm are the first three blocks
    for it in range(max_newton):
        R = prob.residual(z)
        if not np.all(np.isfinite(R)):
            return z, hist, False
        J = prob.jacobian(z)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            lu = splu(J, permc_spec="COLAMD")
        dz = lu.solve(-R)
        if not np.all(np.isfinite(dz)):
            return z, hist, False
        big = np.max(np.abs(dz[:nconc]))
        alpha = min(1.0, max_step / big) if big > 0 else 1.0
        z = z + alpha * dz
        step = float(np.max(np.abs(dz)))
        hist.append((float(np.max(np.abs(R))), step, alpha))
        if verbose:
            print(
                f"  newton {it:2d}: |R|_inf={hist[-1][0]:.3e} |dz|_inf={step:.3e} alpha={alpha:.2f}"
            )
        if log is not None:
            log(
                f"Newton iteration {it + 1}, residual {hist[-1][0]:.1e}, step {step:.1e}"
                + ("" if alpha == 1.0 else f" (damped {alpha:.2f})")
            )
        if alpha == 1.0 and step <= tol * max(1.0, float(np.max(np.abs(z)))):
            return z, hist, True
    return z, hist, False


def _prefixed(log, prefix: str):
    """``log`` with ``prefix`` before every line (None stays None)."""
    return None if log is None else (lambda text: log(prefix + text))


def _build_solution(prob: _Problem, z, hist, t) -> Solution:
    g, p = prob.g, prob.p
    phi, gp, gm, Pi, u, v = prob.lay.split(z)
    nx, ny = g.nx, g.ny
    x = np.concatenate([[0.0], g.xc, [p.L]])
    y = np.concatenate([[-1.0], g.yc, [1.0]])
    F = {k: np.zeros((nx + 2, ny + 2)) for k in FIELDS}
    I = slice(1, -1)
    F["phi"][I, I] = phi
    F["cp"][I, I] = np.exp(gp)
    F["cm"][I, I] = np.exp(gm)
    F["Pi"][I, I] = Pi
    F["u"][:, I] = np.concatenate([u[:1], 0.5 * (u[1:] + u[:-1]), u[-1:]], axis=0)
    F["v"][I, I] = 0.5 * (v[:, 1:] + v[:, :-1])
    # walls
    F["phi"][I, 0], F["phi"][I, -1] = prob.phi_bot, prob.phi_top
    F["cp"][I, 0] = np.exp(gp[:, 0] + phi[:, 0] - prob.phi_bot)
    F["cp"][I, -1] = np.exp(gp[:, -1] + phi[:, -1] - prob.phi_top)
    F["cm"][I, 0] = np.exp(gm[:, 0] - phi[:, 0] + prob.phi_bot)
    F["cm"][I, -1] = np.exp(gm[:, -1] - phi[:, -1] + prob.phi_top)
    for k, j0, j1 in (("Pi", 0, 1), ("Pi", -1, -2)):
        j2 = 2 if j0 == 0 else -3
        yy = (y[j0] - y[j1]) / (y[j1] - y[j2])
        F[k][I, j0] = F[k][I, j1] + yy * (F[k][I, j1] - F[k][I, j2])
    # inlet / outlet (rows 0 and -1 incl. corners)
    F["phi"][0, I], F["phi"][-1, I] = prob.phi_in, prob.phi_out
    F["cp"][0, I], F["cp"][-1, I] = np.exp(prob.gp_in), np.exp(prob.gp_out)
    F["cm"][0, I], F["cm"][-1, I] = np.exp(prob.gm_in), np.exp(prob.gm_out)
    if prob.exact_bc is not None:
        for ix, xv in ((0, 0.0), (-1, p.L)):
            e = prob.exact_bc(np.array([xv, xv]), np.array([-1.0, 1.0]))
            for k in ("phi", "cp", "cm", "Pi"):
                F[k][ix, [0, -1]] = e[k]
        Pi_in = prob.exact_bc(np.zeros_like(g.yc), g.yc)["Pi"]
        Pi_out = prob.exact_bc(np.full_like(g.yc, p.L), g.yc)["Pi"]
        F["Pi"][0, I], F["Pi"][-1, I] = Pi_in, Pi_out
    else:
        for ix, (ph, zz) in ((0, prob.corner["in"]), (-1, prob.corner["out"])):
            F["phi"][ix, [0, -1]] = ph
            F["cp"][ix, [0, -1]] = np.exp(-zz)
            F["cm"][ix, [0, -1]] = np.exp(zz)
        # Pi = 0 at inlet/outlet (boundary condition); the wall corners too.
    raw = dict(phi=phi, cp=np.exp(gp), cm=np.exp(gm), Pi=Pi, u=u, v=v)
    return Solution(p, g, x, y, F, raw, hist, t)


def _interp_initial(sol: Solution, grid: Grid, lay: _Layout):
    """Grid sequencing: interpolate a solution onto the staggered unknowns of ``grid``."""

    def at(xs, ys, k):
        X_, Y_ = np.meshgrid(xs, ys, indexing="ij")
        return sol.interpolate(X_, Y_)[k]

    xc, yc, xf, yf = grid.xc, grid.yc, grid.xf, grid.yf
    return lay.join(
        [
            at(xc, yc, "phi"),
            np.log(np.maximum(at(xc, yc, "cp"), 1e-300)),
            np.log(np.maximum(at(xc, yc, "cm"), 1e-300)),
            at(xc, yc, "Pi"),
            at(xf, yc, "u"),
            at(xc, yf, "v"),
        ]
    )


# --------------------------------------------------------------------------- driver
def solve(
    params: EOFParams | None = None,
    nx: int = 160,
    ny: int = 96,
    *,
    stretch: float = 2.5,
    xcluster: float | None = None,
    sources: Callable | None = None,
    exact_bc: Callable | None = None,
    tol: float = 1e-10,
    max_newton: int = 30,
    max_step: float = 2.0,
    continuation: int | None = None,
    initial: np.ndarray | Solution | None = None,
    verbose: bool = False,
    log: Callable[[str], None] | None = None,
) -> Solution:
    """Solve the steady coupled PNP--Stokes system with Newton's method.

    Parameters
    ----------
    params : EOFParams (default: variant B at eps = 0.02).
    nx, ny : number of cells in x (uniform) and y (tanh-clustered).
    stretch : tanh clustering parameter of the y-grid (0: uniform).
    xcluster : amplitude of the x-clustering around the patch edges x = a, b (width 2w);
        default 3 for a patterned wall, 0 for uniform zeta or manufactured sources.
    sources : optional callable (X, Y) -> dict with any of the keys phi, cp, cm, u, v,
        cont; each value is the manufactured source of that equation written as
        ``Op(fields) = S`` with
        ``Op_phi = -eps^2 lap phi - (cp-cm)/2``, ``Op_c+- = div J+-``,
        ``Op_u = Pi_x - lap u + (1/2eps^2)(d_x(cp+cm) + (cp-cm) phi_x)`` (same for v, y),
        ``Op_cont = u_x + v_y``.
    exact_bc : optional callable (X, Y) -> dict with phi, cp, cm (and Pi) used as
        Dirichlet data instead of the physical boundary conditions.
    tol : Newton stops when max|dz| <= tol * max(1, max|z|) with a full step.
    continuation : if Newton fails from the Gouy--Chapman initial guess, the patch
        potential is ramped from zeta0 to zetap in this many steps (default: try 4, 8).
    initial : optional start vector (internal layout) or a Solution (any grid; it is
        interpolated -- grid sequencing).
    log : optional callable given one line of progress per Newton iteration and per
        continuation step, e.g. ``reference 160x96: Newton iteration 3, residual 1.2e-06,
        step 3.4e-04, 12 s``, and a last one when the solve converged.
    """
    params = EOFParams() if params is None else params
    if xcluster is None:
        xcluster = 0.0 if params.is_uniform or sources is not None else 3.0
    grid = make_grid(
        nx,
        ny,
        params.L,
        stretch,
        xcluster,
        centres=() if params.is_uniform else (params.a, params.b),
        width=2.0 * params.w,
    )
    t0 = time.perf_counter()
    note = None
    if log is not None:

        def note(text: str) -> None:
            log(f"reference {nx}x{ny}: {text}, {time.perf_counter() - t0:.1f} s")

        note("assembling")
    prob = _Problem(params, grid, sources, exact_bc)
    if isinstance(initial, Solution):
        z0 = _interp_initial(initial, grid, prob.lay)
    elif initial is not None:
        z0 = np.asarray(initial, float)
    else:
        z0 = prob.initial_guess()
    z, hist, ok = _newton(prob, z0, tol, max_newton, max_step, verbose, note)
    if not ok and sources is None and not params.is_uniform:
        for nsteps in [continuation] if continuation else [4, 8]:
            if verbose:
                print(f"continuation in zetap with {nsteps} steps")
            if note is not None:
                note(f"no convergence from the initial guess; continuation in {nsteps} steps")
            zc = None
            ok = True
            for s in range(nsteps + 1):
                ps = EOFParams(**asdict(params))
                ps.zetap = params.zeta0 + (params.zetap - params.zeta0) * s / nsteps
                pr = _Problem(ps, grid)
                step_note = _prefixed(note, f"continuation {s}/{nsteps} (zetap={ps.zetap:g}): ")
                zc, h2, ok = _newton(
                    pr,
                    pr.initial_guess() if zc is None else zc,
                    tol,
                    max_newton,
                    max_step,
                    verbose,
                    step_note,
                )
                hist += h2
                if not ok:
                    break
            if ok:
                z = zc
                break
    if not ok:
        raise RuntimeError(f"Newton did not converge (history: {hist[-3:]})")
    if note is not None:
        note(f"converged after {len(hist)} Newton iterations")
    return _build_solution(prob, z, hist, time.perf_counter() - t0)


# --------------------------------------------------------------------------- studies
