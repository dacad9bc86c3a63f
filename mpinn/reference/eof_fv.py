"""Finite-volume reference solver for steady 2D electroosmotic flow (PNP--Stokes).

Nondimensional equations on x in [0, L], y in [-1, 1]::

    -eps^2 lap(phi) = (cp - cm)/2
    div(J+-) = 0,      J+- = Pe u c+- - grad c+- -+ c+- grad phi
    0 = -grad Pi + lap u - 1/(2 eps^2) [grad(cp + cm) + (cp - cm) grad phi]
    div u = 0

Discretisation (see docs/eof_reference.md for the full description):

* tensor grid, uniform in x, tanh-clustered towards the walls y = +-1;
* cell-centred phi, log-concentrations g+- = ln c+-, and Pi; staggered (MAC) velocities,
  u on x-faces, v on y-faces;
* Scharfetter--Gummel fluxes (drift = Pe * face velocity -+ grad phi);
* Stokes body force written as -(1/2eps^2) sum_s c_s grad(mu_s), mu+- = ln c+- +- phi,
  with the logarithmic mean of c on each face, so that the force vanishes *exactly* for a
  discrete Boltzmann distribution (well balanced: no spurious currents in the EDL);
* one coupled Newton iteration for all unknowns; the Jacobian is exact, obtained by
  complex-step differentiation with a 3x3 stencil colouring (54 residual evaluations),
  and solved with SuperLU (``scipy.sparse.linalg.splu``).

Boundary conditions: Dirichlet phi everywhere; zero ion flux at the walls and Dirichlet
c+- = exp(-+psi0) at inlet/outlet; no slip at the walls; at inlet/outlet v = 0 and the
natural (traction) condition -Pi + du/dx = 0, i.e. Pi = 0 together with du/dx = 0.
"""
from __future__ import annotations

import time
import warnings
from dataclasses import asdict, dataclass, field
from typing import Callable

import numpy as np
import scipy.sparse as sp
from scipy.interpolate import RegularGridInterpolator
from scipy.sparse.linalg import splu

from .gouy_chapman import gc_layer, psi0

__all__ = ["EOFParams", "Grid", "Solution", "solve", "load_npz", "make_grid", "FIELDS",
           "refinement_study", "relative_l2_difference", "mms_errors"]

FIELDS = ("phi", "cp", "cm", "u", "v", "Pi")


# --------------------------------------------------------------------------- parameters
@dataclass
class EOFParams:
    """Physical parameters.  Variant A (uniform zeta) is ``zetap == zeta0``."""

    eps: float = 0.02
    zeta0: float = -2.0
    zetap: float = 1.0
    a: float = 1.5
    b: float = 2.5
    w: float = 0.1
    dV: float = 8.0
    L: float = 4.0
    Pe: float = 0.5

    @classmethod
    def uniform(cls, **kw) -> "EOFParams":
        """Variant A: uniform wall potential zeta0 (zetap is set equal to zeta0)."""
        p = cls(**kw)
        p.zetap = p.zeta0
        return p

    @property
    def is_uniform(self) -> bool:
        return self.zetap == self.zeta0

    @property
    def E(self) -> float:
        return self.dV / self.L

    def zeta(self, x):
        """Wall potential zeta(x) (same on both walls)."""
        x = np.asarray(x, dtype=float)
        if self.is_uniform:
            return np.full_like(x, self.zeta0)
        s = 0.5 * (np.tanh((x - self.a) / self.w) - np.tanh((x - self.b) / self.w))
        return self.zeta0 + (self.zetap - self.zeta0) * s


# --------------------------------------------------------------------------- grid
@dataclass
class Grid:
    nx: int
    ny: int
    L: float
    stretch: float
    xf: np.ndarray  # (nx+1,) x-faces
    yf: np.ndarray  # (ny+1,) y-faces
    xc: np.ndarray = field(init=False)
    yc: np.ndarray = field(init=False)
    dx: np.ndarray = field(init=False)   # (nx,)  cell widths
    dy: np.ndarray = field(init=False)   # (ny,)
    dxc: np.ndarray = field(init=False)  # (nx+1,) centre-to-centre distances (half at ends)
    dyc: np.ndarray = field(init=False)  # (ny+1,)

    def __post_init__(self):
        self.xc = 0.5 * (self.xf[1:] + self.xf[:-1])
        self.yc = 0.5 * (self.yf[1:] + self.yf[:-1])
        self.dx = np.diff(self.xf)
        self.dy = np.diff(self.yf)
        self.dxc = np.diff(np.concatenate([[self.xf[0]], self.xc, [self.xf[-1]]]))
        self.dyc = np.diff(np.concatenate([[self.yf[0]], self.yc, [self.yf[-1]]]))


def make_grid(nx: int, ny: int, L: float, stretch: float = 2.5,
              xcluster: float = 0.0, centres=(), width: float = 0.2) -> Grid:
    """Tensor grid.

    y-faces: y_j = tanh(stretch * eta_j) / tanh(stretch), eta uniform in [-1, 1]
    (clustering towards both walls; stretch=0 gives a uniform grid).
    x-faces: equidistributed for the density rho(x) = 1 + xcluster * sum_c sech^2((x-c)/width)
    (smooth clustering around the patch edges ``centres``; xcluster=0: uniform).
    """
    if xcluster > 0 and len(centres):
        xs = np.linspace(0.0, L, 40001)
        cdf = xs.copy()
        for c in centres:
            cdf += xcluster * width * (np.tanh((xs - c) / width) - np.tanh(-c / width))
        xf = np.interp(np.linspace(0.0, cdf[-1], nx + 1), cdf, xs)
    else:
        xf = np.linspace(0.0, L, nx + 1)
    xf[0], xf[-1] = 0.0, L
    eta = np.linspace(-1.0, 1.0, ny + 1)
    yf = eta.copy() if stretch <= 0 else np.tanh(stretch * eta) / np.tanh(stretch)
    yf[0], yf[-1] = -1.0, 1.0
    return Grid(nx, ny, L, stretch, xf, yf)


# --------------------------------------------------------------------------- helpers
def _bern(x):
    """Bernoulli function B(x) = x / (exp(x) - 1); complex-step safe."""
    xr = np.real(x)
    small = np.abs(xr) < 1e-3
    xs = np.where(small, 1.0, x)
    xs = np.where(xr > 600.0, 600.0, xs)
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        big = xs / np.expm1(xs)
    x2 = x * x
    ser = 1.0 - 0.5 * x + x2 / 12.0 - x2 * x2 / 720.0
    return np.where(small, ser, big)


class _Layout:
    """Unknown/residual ordering: phi, gp, gm, Pi (nx,ny); u (nx+1,ny); v (nx,ny+1)."""

    def __init__(self, nx, ny):
        self.shapes = [(nx, ny)] * 4 + [(nx + 1, ny), (nx, ny + 1)]
        sizes = [a * b for a, b in self.shapes]
        self.offsets = np.concatenate([[0], np.cumsum(sizes)])
        self.n = int(self.offsets[-1])
        ii, jj = [], []
        for (a, b) in self.shapes:
            I, J = np.meshgrid(np.arange(a), np.arange(b), indexing="ij")
            ii.append(I.ravel())
            jj.append(J.ravel())
        self.ri = np.concatenate(ii)
        self.rj = np.concatenate(jj)

    def split(self, z):
        return [z[self.offsets[k]:self.offsets[k + 1]].reshape(self.shapes[k]) for k in range(6)]

    def join(self, parts):
        return np.concatenate([np.asarray(p).ravel() for p in parts])


# --------------------------------------------------------------------------- problem
class _Problem:
    def __init__(self, params: EOFParams, grid: Grid, sources=None, exact_bc=None):
        self.p = params
        self.g = grid
        self.lay = _Layout(grid.nx, grid.ny)
        g, p = grid, params
        X, Y = np.meshgrid(g.xc, g.yc, indexing="ij")
        self.vol = np.outer(g.dx, g.dy)
        self.vol_u = np.outer(g.dxc, g.dy)
        self.vol_v = np.outer(g.dx, g.dyc)
        # ---- boundary data
        if exact_bc is None:
            zw = p.zeta(g.xc)
            self.phi_bot = zw + p.dV * (1.0 - g.xc / p.L)
            self.phi_top = self.phi_bot.copy()
            z_in, z_out = float(p.zeta(0.0)), float(p.zeta(p.L))
            ps_in, ps_out = psi0(g.yc, p.eps, z_in), psi0(g.yc, p.eps, z_out)
            self.phi_in, self.phi_out = p.dV + ps_in, ps_out
            self.gp_in, self.gp_out = -ps_in, -ps_out
            self.gm_in, self.gm_out = ps_in, ps_out
            self.corner = {  # phi, cp, cm at the four corners (for the node grid)
                "in": (p.dV + z_in, z_in), "out": (z_out, z_out)}
        else:
            bot = exact_bc(g.xc, np.full_like(g.xc, -1.0))
            top = exact_bc(g.xc, np.full_like(g.xc, 1.0))
            ein = exact_bc(np.zeros_like(g.yc), g.yc)
            eout = exact_bc(np.full_like(g.yc, p.L), g.yc)
            self.phi_bot, self.phi_top = bot["phi"], top["phi"]
            self.phi_in, self.phi_out = ein["phi"], eout["phi"]
            self.gp_in, self.gp_out = np.log(ein["cp"]), np.log(eout["cp"])
            self.gm_in, self.gm_out = np.log(ein["cm"]), np.log(eout["cm"])
        self.exact_bc = exact_bc
        # ---- sources (point values times control volumes)
        zc = np.zeros((g.nx, g.ny))
        self.S = {k: zc for k in ("phi", "cp", "cm", "cont")}
        self.S["u"] = np.zeros((g.nx + 1, g.ny))
        self.S["v"] = np.zeros((g.nx, g.ny + 1))
        if sources is not None:
            sc = sources(X, Y)
            Xu, Yu = np.meshgrid(g.xf, g.yc, indexing="ij")
            Xv, Yv = np.meshgrid(g.xc, g.yf, indexing="ij")
            su = sources(Xu, Yu)
            sv = sources(Xv, Yv)
            for k in ("phi", "cp", "cm", "cont"):
                self.S[k] = np.broadcast_to(sc.get(k, 0.0), X.shape) * self.vol
            self.S["u"] = np.broadcast_to(su.get("u", 0.0), Xu.shape) * self.vol_u
            self.S["v"] = np.broadcast_to(sv.get("v", 0.0), Xv.shape) * self.vol_v
        self._colors = None

    # ----------------------------------------------------------------- residual
    def residual(self, z):
        g, p = self.g, self.p
        phi, gp, gm, Pi, u, v = self.lay.split(z)
        eps2 = p.eps ** 2
        dx, dy, dxc, dyc = g.dx[:, None], g.dy[None, :], g.dxc[:, None], g.dyc[None, :]
        dyc_in = g.dyc[None, 1:-1]
        cp, cm = np.exp(gp), np.exp(gm)

        # padded arrays along x (inlet/outlet Dirichlet values)
        def padx(a, lo, hi):
            return np.concatenate([lo[None, :], a, hi[None, :]], axis=0)

        PHx = padx(phi, self.phi_in, self.phi_out)
        GPx = padx(gp, self.gp_in, self.gp_out)
        GMx = padx(gm, self.gm_in, self.gm_out)
        PHy = np.concatenate([self.phi_bot[:, None], phi, self.phi_top[:, None]], axis=1)

        # ---- Poisson
        Fx = np.diff(PHx, axis=0) / dxc
        Fy = np.diff(PHy, axis=1) / dyc
        lap = np.diff(Fx, axis=0) * dy + np.diff(Fy, axis=1) * dx
        R_phi = -eps2 * lap - 0.5 * (cp - cm) * self.vol - self.S["phi"]

        # ---- Nernst--Planck, Scharfetter--Gummel fluxes
        dphx = np.diff(PHx, axis=0)              # (nx+1, ny)
        dphy = np.diff(phi, axis=1)              # (nx, ny-1) interior y-faces
        vin = v[:, 1:-1]

        def sg_flux(G, dphi_x, dphi_y, sign):
            C = np.exp(G)
            Vh = p.Pe * u * dxc - sign * dphi_x
            Jx = (_bern(-Vh) * C[:-1] - _bern(Vh) * C[1:]) / dxc
            Cy = np.exp(G[1:-1])  # unpadded interior cells
            Wh = p.Pe * vin * dyc_in - sign * dphi_y
            Jy = (_bern(-Wh) * Cy[:, :-1] - _bern(Wh) * Cy[:, 1:]) / dyc_in
            zero = np.zeros((g.nx, 1), dtype=Jy.dtype)
            Jy = np.concatenate([zero, Jy, zero], axis=1)  # no flux through the walls
            return np.diff(Jx, axis=0) * dy + np.diff(Jy, axis=1) * dx

        R_cp = sg_flux(GPx, dphx, dphy, +1.0) - self.S["cp"]
        R_cm = sg_flux(GMx, dphx, dphy, -1.0) - self.S["cm"]

        # ---- continuity
        R_cont = np.diff(u, axis=0) * dy + np.diff(v, axis=1) * dx - self.S["cont"]

        # ---- body force on faces: -(1/2eps^2) sum_s Lmean(c_s) (mu_s,R - mu_s,L)/h
        k = 0.5 / eps2

        def force(phiA, phiB, gpA, gpB, gmA, gmB, h):
            dgp, dgm, dph = gpB - gpA, gmB - gmA, phiB - phiA
            Lp = np.exp(gpA) / _bern(dgp)
            Lm = np.exp(gmA) / _bern(dgm)
            return -k * (Lp * (dgp + dph) + Lm * (dgm - dph)) / h

        # ---- x-momentum on x-faces (natural traction -Pi + u_x = 0 at inlet/outlet)
        sxx = -Pi + np.diff(u, axis=0) / dx
        zrow = np.zeros((1, g.ny), dtype=sxx.dtype)
        net_x = np.diff(np.concatenate([zrow, sxx, zrow], axis=0), axis=0) * dy
        zc = np.zeros((g.nx + 1, 1), dtype=u.dtype)
        Ty = np.diff(np.concatenate([zc, u, zc], axis=1), axis=1) / dyc
        net_y = np.diff(Ty, axis=1) * dxc
        fx = force(PHx[:-1], PHx[1:], GPx[:-1], GPx[1:], GMx[:-1], GMx[1:], dxc)
        R_u = -(net_x + net_y + fx * self.vol_u) - self.S["u"]

        # ---- y-momentum on interior y-faces; v = 0 on walls
        syy = -Pi + np.diff(v, axis=1) / dy
        net_yv = np.diff(syy, axis=1) * dx                       # (nx, ny-1)
        zr = np.zeros((1, g.ny + 1), dtype=v.dtype)
        Tx = np.diff(np.concatenate([zr, v, zr], axis=0), axis=0) / dxc
        net_xv = (np.diff(Tx, axis=0) * dyc)[:, 1:-1]
        fy = force(phi[:, :-1], phi[:, 1:], gp[:, :-1], gp[:, 1:], gm[:, :-1], gm[:, 1:], dyc_in)
        R_v = v.copy()
        R_v[:, 1:-1] = -(net_yv + net_xv + fy * self.vol_v[:, 1:-1]) - self.S["v"][:, 1:-1]

        return self.lay.join([R_phi, R_cp, R_cm, R_cont, R_u, R_v])

    # ----------------------------------------------------------------- Jacobian
    def jacobian(self, z, h=1e-20):
        lay = self.lay
        ri, rj = lay.ri, lay.rj
        rows_all = np.arange(lay.n)
        R_list, C_list, V_list = [], [], []
        zc = z.astype(complex)
        for f in range(6):
            o0, o1 = lay.offsets[f], lay.offsets[f + 1]
            nfx, nfy = lay.shapes[f]
            fi, fj = ri[o0:o1], rj[o0:o1]
            for a in range(3):
                for b in range(3):
                    mask = (fi % 3 == a) & (fj % 3 == b)
                    if not mask.any():
                        continue
                    zz = zc.copy()
                    zz[o0:o1][mask] += 1j * h
                    d = self.residual(zz).imag / h
                    nz = np.nonzero(d)[0]
                    if nz.size == 0:
                        continue
                    ci = ri[nz] - 1 + ((a - (ri[nz] - 1)) % 3)
                    cj = rj[nz] - 1 + ((b - (rj[nz] - 1)) % 3)
                    ok = (ci >= 0) & (ci < nfx) & (cj >= 0) & (cj < nfy)
                    if not ok.all():  # pragma: no cover - would indicate a stencil bug
                        raise RuntimeError("Jacobian colouring violated")
                    R_list.append(rows_all[nz])
                    C_list.append(o0 + ci * nfy + cj)
                    V_list.append(d[nz])
        rows = np.concatenate(R_list)
        cols = np.concatenate(C_list)
        vals = np.concatenate(V_list)
        return sp.csc_matrix((vals, (rows, cols)), shape=(lay.n, lay.n))

    # ----------------------------------------------------------------- initial guess
    def initial_guess(self):
        g, p = self.g, self.p
        eps = min(p.eps, 1.0)
        Xc, Yc = np.meshgrid(g.xc, g.yc, indexing="ij")
        zc = p.zeta(Xc)
        psi = gc_layer(1 - Yc, eps, zc) + gc_layer(1 + Yc, eps, zc)
        Xu, Yu = np.meshgrid(g.xf, g.yc, indexing="ij")
        zu = p.zeta(Xu)
        psiu = gc_layer(1 - Yu, eps, zu) + gc_layer(1 + Yu, eps, zu)
        if self.exact_bc is not None:
            # manufactured case: smooth interpolation of the boundary data in x
            t = (Xc / p.L)
            phi = (1 - t) * self.phi_in[None, :] + t * self.phi_out[None, :]
            gp = (1 - t) * self.gp_in[None, :] + t * self.gp_out[None, :]
            gm = (1 - t) * self.gm_in[None, :] + t * self.gm_out[None, :]
            u = np.zeros_like(Xu)
        else:
            phi = psi + p.dV * (1 - Xc / p.L)
            gp, gm = -psi, psi
            u = p.E * (psiu - zu)
        return self.lay.join([phi, gp, gm, np.zeros_like(Xc), u, np.zeros((g.nx, g.ny + 1))])


# --------------------------------------------------------------------------- Newton
def _newton(prob: _Problem, z, tol, max_newton, max_step, verbose):
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
            print(f"  newton {it:2d}: |R|_inf={hist[-1][0]:.3e} |dz|_inf={step:.3e} alpha={alpha:.2f}")
        if alpha == 1.0 and step <= tol * max(1.0, float(np.max(np.abs(z)))):
            return z, hist, True
    return z, hist, False


# --------------------------------------------------------------------------- solution
@dataclass
class Solution:
    """Converged solution.

    ``x``, ``y`` is the *node grid*: cell centres augmented with the boundary points
    (x = [0, xc..., L], y = [-1, yc..., 1]); ``fields[name]`` has shape (len(x), len(y))
    and is indexed [ix, iy].  Boundary values come from the boundary conditions (phi, c
    at inlet/outlet, velocities), from the zero-flux condition (c at the walls: c e^{+-phi}
    is constant across the half cell, exact for the discrete SG flux) or by linear
    extrapolation (Pi at the walls).  The raw staggered arrays are kept in ``raw``.
    """

    params: EOFParams
    grid: Grid
    x: np.ndarray
    y: np.ndarray
    fields: dict
    raw: dict
    newton_history: list
    solve_time: float

    def __getitem__(self, name):
        return self.fields[name]

    def interpolate(self, x, y, method: str = "linear") -> dict[str, np.ndarray]:
        """Fields at scattered points (x, y) (broadcast), by interpolation on the node grid."""
        x, y = np.broadcast_arrays(np.asarray(x, float), np.asarray(y, float))
        pts = np.stack([x.ravel(), y.ravel()], axis=-1)
        out = {}
        for k in FIELDS:
            itp = RegularGridInterpolator((self.x, self.y), self.fields[k], method=method,
                                          bounds_error=False, fill_value=None)
            out[k] = itp(pts).reshape(x.shape)
        return out

    def save_npz(self, path) -> None:
        """Save: arrays x (nx+2,), y (ny+2,), phi, cp, cm, u, v, Pi (nx+2, ny+2) on the node
        grid; xf, yf (cell faces); scalar parameters eps, zeta0, zetap, a, b, w, dV, L, Pe,
        nx, ny, stretch; solve_time."""
        d = dict(x=self.x, y=self.y, xf=self.grid.xf, yf=self.grid.yf,
                 nx=self.grid.nx, ny=self.grid.ny, stretch=self.grid.stretch,
                 solve_time=self.solve_time)
        d.update({k: self.fields[k] for k in FIELDS})
        d.update({k: float(v) for k, v in asdict(self.params).items()})
        np.savez_compressed(path, **d)


def load_npz(path) -> Solution:
    """Load a file written by :meth:`Solution.save_npz` (raw staggered arrays not kept)."""
    with np.load(path) as f:
        params = EOFParams(**{k: float(f[k]) for k in EOFParams.__dataclass_fields__})
        grid = Grid(int(f["nx"]), int(f["ny"]), params.L, float(f["stretch"]),
                    np.array(f["xf"]), np.array(f["yf"]))
        fields = {k: np.array(f[k]) for k in FIELDS}
        return Solution(params, grid, np.array(f["x"]), np.array(f["y"]), fields, {}, [],
                        float(f["solve_time"]))


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
    return lay.join([at(xc, yc, "phi"), np.log(np.maximum(at(xc, yc, "cp"), 1e-300)),
                     np.log(np.maximum(at(xc, yc, "cm"), 1e-300)), at(xc, yc, "Pi"),
                     at(xf, yc, "u"), at(xc, yf, "v")])


# --------------------------------------------------------------------------- driver
def solve(params: EOFParams | None = None, nx: int = 160, ny: int = 96, *,
          stretch: float = 2.5,
          xcluster: float | None = None,
          sources: Callable | None = None,
          exact_bc: Callable | None = None,
          tol: float = 1e-10,
          max_newton: int = 30,
          max_step: float = 2.0,
          continuation: int | None = None,
          initial: np.ndarray | Solution | None = None,
          verbose: bool = False) -> Solution:
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
    """
    params = EOFParams() if params is None else params
    if xcluster is None:
        xcluster = 0.0 if params.is_uniform or sources is not None else 3.0
    grid = make_grid(nx, ny, params.L, stretch, xcluster,
                     centres=() if params.is_uniform else (params.a, params.b),
                     width=2.0 * params.w)
    t0 = time.perf_counter()
    prob = _Problem(params, grid, sources, exact_bc)
    if isinstance(initial, Solution):
        z0 = _interp_initial(initial, grid, prob.lay)
    elif initial is not None:
        z0 = np.asarray(initial, float)
    else:
        z0 = prob.initial_guess()
    z, hist, ok = _newton(prob, z0, tol, max_newton, max_step, verbose)
    if not ok and sources is None and not params.is_uniform:
        for nsteps in ([continuation] if continuation else [4, 8]):
            if verbose:
                print(f"continuation in zetap with {nsteps} steps")
            zc = None
            ok = True
            for s in range(nsteps + 1):
                ps = EOFParams(**asdict(params))
                ps.zetap = params.zeta0 + (params.zetap - params.zeta0) * s / nsteps
                pr = _Problem(ps, grid)
                zc, h2, ok = _newton(pr, pr.initial_guess() if zc is None else zc,
                                     tol, max_newton, max_step, verbose)
                hist += h2
                if not ok:
                    break
            if ok:
                z = zc
                break
    if not ok:
        raise RuntimeError(f"Newton did not converge (history: {hist[-3:]})")
    return _build_solution(prob, z, hist, time.perf_counter() - t0)


# --------------------------------------------------------------------------- studies
def relative_l2_difference(coarse: Solution, fine: Solution) -> dict[str, float]:
    """Relative L2 difference per field, evaluated at the coarse cell centres (fine
    solution linearly interpolated there), weighted by the coarse cell areas:
    sqrt(sum w (f_c - f_f)^2 / sum w f_f^2)."""
    g = coarse.grid
    X, Y = np.meshgrid(g.xc, g.yc, indexing="ij")
    w = np.outer(g.dx, g.dy)
    ff = fine.interpolate(X, Y)
    out = {}
    for k in FIELDS:
        fc = coarse.fields[k][1:-1, 1:-1]
        out[k] = float(np.sqrt((w * (fc - ff[k]) ** 2).sum() / (w * ff[k] ** 2).sum()))
    return out


def refinement_study(params: EOFParams, grids, *, stretch=2.5, save=None, verbose=True,
                     **kw):
    """Solve on a sequence of grids (each started from the previous one), print the
    relative L2 differences between successive grids, the observed order and the
    Richardson estimate of the finest grid's error, d_last / (2^p - 1)."""
    sols, rows = [], []
    prev = None
    for (nx, ny) in grids:
        s = solve(params, nx, ny, stretch=stretch, initial=prev, **kw)
        sols.append(s)
        row = {"grid": f"{nx}x{ny}", "time": s.solve_time, "newton": len(s.newton_history)}
        if prev is not None:
            row["diff"] = relative_l2_difference(prev, s)
        rows.append(row)
        if verbose:
            d = row.get("diff")
            ds = " ".join(f"{k}={d[k]:.2e}" for k in FIELDS) if d else ""
            print(f"{row['grid']:>9s} newton={row['newton']:2d} time={row['time']:7.1f}s  {ds}",
                  flush=True)
        prev = s
    if len(rows) >= 3 and verbose:
        d1, d2 = rows[-2]["diff"], rows[-1]["diff"]
        print("observed order p and Richardson error estimate of the finest grid:")
        for k in FIELDS:
            pk = np.log2(d1[k] / d2[k]) if d2[k] > 0 else float("nan")
            est = d2[k] / (2.0 ** pk - 1.0) if pk > 0 else float("nan")
            print(f"  {k:3s} p={pk:5.2f}  est. rel. L2 error {est:.2e}  (with p=2: {d2[k] / 3:.2e})")
    if save:
        sols[-1].save_npz(save)
    return sols, rows


def _mms_study(ns, stretch=1.0):
    from .mms import MMS_DEFAULTS, manufactured
    p = EOFParams(**MMS_DEFAULTS)
    ex, S = manufactured(p)
    prev = None
    print(f"MMS (variant C) {MMS_DEFAULTS}, stretch={stretch}; relative L2 error at cell centres")
    print("  grid   " + " ".join(f"{k:>9s}" for k in FIELDS))
    for n in ns:
        s = solve(p, n, n, stretch=stretch, sources=S, exact_bc=ex)
        err = mms_errors(s, ex)
        print(f"  {n:3d}x{n:<3d}" + " ".join(f"{err[k]:9.3e}" for k in FIELDS)
              + f"   ({s.solve_time:.1f}s)")
        if prev is not None:
            print("   order " + " ".join(f"{np.log2(prev[k] / err[k]):9.2f}" for k in FIELDS))
        prev = err


def mms_errors(sol: Solution, exact) -> dict[str, float]:
    """Relative (area-weighted) L2 error of each field at the cell centres."""
    g = sol.grid
    X, Y = np.meshgrid(g.xc, g.yc, indexing="ij")
    w = np.outer(g.dx, g.dy)
    e = exact(X, Y)
    return {k: float(np.sqrt((w * (sol.fields[k][1:-1, 1:-1] - e[k]) ** 2).sum()
                             / (w * e[k] ** 2).sum())) for k in FIELDS}


def _main(argv=None):
    import argparse
    ap = argparse.ArgumentParser(prog="python -m mpinn.reference.eof_fv")
    sub = ap.add_subparsers(dest="cmd", required=True)
    a = sub.add_parser("mms", help="convergence study on the manufactured variant C")
    a.add_argument("--n", default="8,16,32,64")
    a.add_argument("--stretch", type=float, default=1.0)
    b = sub.add_parser("study", help="grid refinement study for variant A/B")
    b.add_argument("--eps", type=float, default=0.02)
    b.add_argument("--uniform", action="store_true", help="variant A (zetap = zeta0)")
    b.add_argument("--grids", default="40x24,80x48,160x96")
    b.add_argument("--stretch", type=float, default=2.5)
    b.add_argument("--save", default=None)
    c = sub.add_parser("channel", help="variant A: max-norm error vs the exact solution")
    c.add_argument("--eps", type=float, default=0.02)
    c.add_argument("--nx", type=int, default=8)
    c.add_argument("--ny", default="16,32,64,128")
    c.add_argument("--stretch", type=float, default=2.5)
    args = ap.parse_args(argv)
    if args.cmd == "channel":
        from .gouy_chapman import channel_exact
        p = EOFParams.uniform(eps=args.eps)
        print(f"variant A, {p}, nx={args.nx}, stretch={args.stretch}; max |error| on the node grid")
        print("   ny " + " ".join(f"{k:>9s}" for k in FIELDS))
        for ny in [int(n) for n in args.ny.split(",")]:
            s = solve(p, args.nx, ny, stretch=args.stretch)
            ex = channel_exact(s.x[:, None], s.y[None, :], eps=p.eps, zeta=p.zeta0, dV=p.dV, L=p.L)
            print(f"  {ny:3d} " + " ".join(f"{np.max(np.abs(s[k] - ex[k])):9.2e}" for k in FIELDS))
    elif args.cmd == "mms":
        _mms_study([int(n) for n in args.n.split(",")], args.stretch)
    else:
        p = EOFParams.uniform(eps=args.eps) if args.uniform else EOFParams(eps=args.eps)
        grids = [tuple(int(t) for t in g.split("x")) for g in args.grids.split(",")]
        print(f"refinement study {p}, stretch={args.stretch}")
        refinement_study(p, grids, stretch=args.stretch, save=args.save)


if __name__ == "__main__":
    _main()
