"""The discrete EOF system: unknown layout, Scharfetter--Gummel fluxes, the residual and
its complex-step Jacobian (:mod:`mpinn.reference.eof_fv` describes the discretisation)."""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from .eof_grid import EOFParams, Grid
from .gouy_chapman import gc_layer, psi0


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
        for a, b in self.shapes:
            I, J = np.meshgrid(np.arange(a), np.arange(b), indexing="ij")
            ii.append(I.ravel())
            jj.append(J.ravel())
        self.ri = np.concatenate(ii)
        self.rj = np.concatenate(jj)

    def split(self, z):
        return [z[self.offsets[k] : self.offsets[k + 1]].reshape(self.shapes[k]) for k in range(6)]

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
                "in": (p.dV + z_in, z_in),
                "out": (z_out, z_out),
            }
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
        eps2 = p.eps**2
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
        dphx = np.diff(PHx, axis=0)  # (nx+1, ny)
        dphy = np.diff(phi, axis=1)  # (nx, ny-1) interior y-faces
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
        net_yv = np.diff(syy, axis=1) * dx  # (nx, ny-1)
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
            t = Xc / p.L
            phi = (1 - t) * self.phi_in[None, :] + t * self.phi_out[None, :]
            gp = (1 - t) * self.gp_in[None, :] + t * self.gp_out[None, :]
            gm = (1 - t) * self.gm_in[None, :] + t * self.gm_out[None, :]
            u = np.zeros_like(Xu)
        else:
            phi = psi + p.dV * (1 - Xc / p.L)
            gp, gm = -psi, psi
            u = p.E * (psiu - zu)
        return self.lay.join([phi, gp, gm, np.zeros_like(Xc), u, np.zeros((g.nx, g.ny + 1))])
