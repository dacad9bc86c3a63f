"""Reference solutions for problems without a closed form.

A reference *solver* is one entry of :data:`SOLVERS`: a function (problem, parameter values,
grid, log=None) -> object with ``interpolate(x, y) -> {field: values}`` and
``save_npz(path)``; ``log``, if given, is called with one line of progress at a time (e.g.
``reference 160x96: Newton iteration 3, residual 1.2e-06, step 3.4e-04, 12.0 s``). The
problem's config names it (``reference: {solver: eof, grid: 160x96}``); `mpinn reference`
computes it and caches the ``.npz`` under ``$MPINN_CACHE`` (default ``~/.cache/mpinn``),
keyed by the problem, its parameter values and the grid, so ``mpinn solve`` reuses it.
"""

from __future__ import annotations

import hashlib
import json
import os
import time
from pathlib import Path

import numpy as np
import torch

#: Seconds between two progress lines of a reference solve passed to a ``log``.
LOG_EVERY_S = 5.0


def _eof(problem, values: dict, grid: tuple, log=None):
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
    return solve(params, nx=grid[0], ny=grid[1], log=log)


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


def compute(
    problem, values: dict, solver: str, grid: tuple, out: Path | None = None, *, log=None
) -> Path:
    """Solve and save the reference (to the cache unless ``out`` is given); ``log(text)``
    hears of the solver's progress (every Newton iteration: throttle it with
    :class:`Throttled` if needed)."""
    if solver not in SOLVERS:
        raise ValueError(f"unknown reference solver '{solver}'; known: {', '.join(SOLVERS)}")
    solution = SOLVERS[solver](problem, values, grid, log=log)
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
        throttled = Throttled(log) if log else None
        compute(problem, values, ref_cfg.solver, grid, log=throttled)
        if throttled is not None:
            throttled.flush()
    return Reference(path, problem.fields)


class Throttled:
    """``log`` passed the first message, then at most one every ``every_s`` seconds (the
    latest at that moment); :meth:`flush` passes a message still held back (the last
    one, e.g. "converged")."""

    def __init__(self, log, every_s: float = LOG_EVERY_S, clock=time.monotonic):
        self.log, self.every_s, self.clock = log, every_s, clock
        self.last = None
        self.pending = None

    def __call__(self, message: str) -> None:
        now = self.clock()
        if self.last is None or now - self.last >= self.every_s:
            self.log(message)
            self.last, self.pending = now, None
        else:
            self.pending = message

    def flush(self) -> None:
        if self.pending is not None:
            self.log(self.pending)
            self.pending = None
