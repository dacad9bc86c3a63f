"""A solved EOF reference on its grid: fields, interpolation to any point, .npz files."""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np
from scipy.interpolate import RegularGridInterpolator

from .eof_grid import FIELDS, EOFParams, Grid


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
            itp = RegularGridInterpolator(
                (self.x, self.y), self.fields[k], method=method, bounds_error=False, fill_value=None
            )
            out[k] = itp(pts).reshape(x.shape)
        return out

    def save_npz(self, path) -> None:
        """Save: arrays x (nx+2,), y (ny+2,), phi, cp, cm, u, v, Pi (nx+2, ny+2) on the node
        grid; xf, yf (cell faces); scalar parameters eps, zeta0, zetap, a, b, w, dV, L, Pe,
        nx, ny, stretch; solve_time."""
        d = dict(
            x=self.x,
            y=self.y,
            xf=self.grid.xf,
            yf=self.grid.yf,
            nx=self.grid.nx,
            ny=self.grid.ny,
            stretch=self.grid.stretch,
            solve_time=self.solve_time,
        )
        d.update({k: self.fields[k] for k in FIELDS})
        d.update({k: float(v) for k, v in asdict(self.params).items()})
        np.savez_compressed(path, **d)


def load_npz(path) -> Solution:
    """Load a file written by :meth:`Solution.save_npz` (raw staggered arrays not kept)."""
    with np.load(path) as f:
        params = EOFParams(**{k: float(f[k]) for k in EOFParams.__dataclass_fields__})
        grid = Grid(
            int(f["nx"]),
            int(f["ny"]),
            params.L,
            float(f["stretch"]),
            np.array(f["xf"]),
            np.array(f["yf"]),
        )
        fields = {k: np.array(f[k]) for k in FIELDS}
        return Solution(
            params, grid, np.array(f["x"]), np.array(f["y"]), fields, {}, [], float(f["solve_time"])
        )
