"""Parameters and the wall-stretched tensor grid of the EOF finite-volume reference
(:mod:`mpinn.reference.eof_fv`)."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

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
    def uniform(cls, **kw) -> EOFParams:
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
    dx: np.ndarray = field(init=False)  # (nx,)  cell widths
    dy: np.ndarray = field(init=False)  # (ny,)
    dxc: np.ndarray = field(init=False)  # (nx+1,) centre-to-centre distances (half at ends)
    dyc: np.ndarray = field(init=False)  # (ny+1,)

    def __post_init__(self):
        self.xc = 0.5 * (self.xf[1:] + self.xf[:-1])
        self.yc = 0.5 * (self.yf[1:] + self.yf[:-1])
        self.dx = np.diff(self.xf)
        self.dy = np.diff(self.yf)
        self.dxc = np.diff(np.concatenate([[self.xf[0]], self.xc, [self.xf[-1]]]))
        self.dyc = np.diff(np.concatenate([[self.yf[0]], self.yc, [self.yf[-1]]]))


def make_grid(
    nx: int,
    ny: int,
    L: float,
    stretch: float = 2.5,
    xcluster: float = 0.0,
    centres=(),
    width: float = 0.2,
) -> Grid:
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
