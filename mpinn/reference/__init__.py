"""Reference solutions for problems without a closed form.

A reference *solver* is one entry of :data:`SOLVERS`: a function (problem, parameter values,
grid) -> object with ``interpolate(x, y) -> {field: values}`` and ``save_npz(path)``. The
problem's config names it (``reference: {solver: eof, grid: 160x96}``); `mpinn reference`
computes it and caches the ``.npz`` under ``$MPINN_CACHE`` (default ``~/.cache/mpinn``),
keyed by the problem, its parameter values and the grid, so ``mpinn solve`` reuses it.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

import numpy as np
import torch


def _eof(problem, values: dict, grid: tuple):
    """The Poisson–Nernst–Planck–Stokes finite-volume solver (mpinn.reference.eof_fv)."""
    from .eof_fv import EOFParams, solve

    names = ("eps", "zeta0", "zetap", "a", "b", "w", "dV", "L", "Pe")
    missing = [n for n in names if n not in values]
    if missing:
        raise ValueError(
            f"the eof reference solver needs the parameters {', '.join(names)}; "
            f"{problem.name} lacks {', '.join(missing)}"
        )
    params = EOFParams(**{n: float(values[n]) for n in names})
    return solve(params, nx=grid[0], ny=grid[1])


SOLVERS = {"eof": _eof}


def parse_grid(text: str) -> tuple:
    try:
        nx, ny = (int(v) for v in str(text).lower().split("x"))
    except ValueError:
        raise ValueError(f"grid '{text}': expected NXxNY, e.g. 160x96") from None
    if nx < 4 or ny < 4:
        raise ValueError(f"grid '{text}' is too small")
    return nx, ny


def cache_dir() -> Path:
    return Path(os.environ.get("MPINN_CACHE", Path.home() / ".cache" / "mpinn")) / "reference"


def cache_path(problem, values: dict, solver: str, grid: tuple) -> Path:
    key = json.dumps(
        {
            "problem": problem.name,
            "solver": solver,
            "grid": list(grid),
            "params": {k: float(v) for k, v in sorted(values.items())},
        },
        sort_keys=True,
    )
    digest = hashlib.sha256(key.encode()).hexdigest()[:12]
    return cache_dir() / f"{problem.name}-{solver}-{grid[0]}x{grid[1]}-{digest}.npz"


def compute(problem, values: dict, solver: str, grid: tuple, out: Path | None = None) -> Path:
    """Solve and save the reference (to the cache unless ``out`` is given)."""
    if solver not in SOLVERS:
        raise ValueError(f"unknown reference solver '{solver}'; known: {', '.join(SOLVERS)}")
    solution = SOLVERS[solver](problem, values, grid)
    path = Path(out) if out else cache_path(problem, values, solver, grid)
    path.parent.mkdir(parents=True, exist_ok=True)
    solution.save_npz(path)
    return path


class Reference:
    """Reference values at arbitrary 2D points, from a saved ``.npz`` solution."""

    def __init__(self, path: str | Path, fields):
        from .eof_fv import load_npz

        self.path = Path(path)
        self.solution = load_npz(self.path)
        self.fields = [f for f in fields if f in self.solution.fields]

    def __call__(self, points: torch.Tensor) -> dict:
        pts = points.detach().cpu().double().numpy()
        vals = self.solution.interpolate(pts[:, 0], pts[:, 1])
        return {
            f: torch.as_tensor(np.asarray(vals[f]), dtype=points.dtype, device=points.device)
            for f in self.fields
        }


def load_reference(ref_cfg, problem, values: dict, *, compute_missing: bool = True, log=None):
    """The reference callable a solve run uses, or None when none is configured."""
    if ref_cfg.file:
        path = Path(ref_cfg.file)
        if not path.is_file():
            raise FileNotFoundError(f"reference file {path} does not exist")
        return Reference(path, problem.fields)
    if not ref_cfg.solver:
        return None
    grid = parse_grid(ref_cfg.grid)
    path = cache_path(problem, values, ref_cfg.solver, grid)
    if not path.is_file():
        if not compute_missing:
            return None
        if log:
            log(
                f"computing the {ref_cfg.solver} reference on a {grid[0]}x{grid[1]} grid "
                f"(cached in {path}) ..."
            )
        compute(problem, values, ref_cfg.solver, grid)
    return Reference(path, problem.fields)
