"""Synthetic measurements for inverse problems (``mpinn synth``): the exact (or reference)
solution of a problem sampled at seeded random points in its domain, with optional noise.

Noise is Gaussian and relative: each field gets ``noise * rms(field) * N(0, 1)``, its RMS
taken over the sampled points, so ``--noise 0.01`` is "1 % noise" whatever the field's
scale. The same seed gives the same points and the same noise.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

import numpy as np
import torch

from ..compile import ResidualProgram
from ..config import ConfigError
from ..geometry import domain_of
from ..ir import Problem
from ..reference import load_reference
from ..runs.files import atomic_write


def synth(
    problem: Problem,
    cfg,
    fields: list,
    n_points: int,
    noise: float = 0.0,
    seed: int = 0,
) -> dict:
    """{column: float64 array}: the coordinates and the (noisy) values of ``fields``."""
    unknown = [f for f in fields if f not in problem.fields]
    if unknown:
        raise ConfigError(f"'{unknown[0]}' is not a field of {problem.name}")
    if n_points < 1:
        raise ConfigError("--points must be at least 1")
    if not (noise >= 0 and np.isfinite(noise)):
        raise ConfigError("--noise must be a finite number >= 0")
    values = problem.param_values(cfg.params)
    domain = domain_of(problem, values)
    gen = torch.Generator().manual_seed(seed)
    pts = domain.sample_interior(n_points, seed_or_generator=gen, dtype=torch.float64)
    truth = _truth(problem, cfg, values, pts)
    missing = [f for f in fields if f not in truth]
    if missing:
        raise ConfigError(
            f"{problem.name} has no exact solution or reference for '{missing[0]}' to sample"
        )
    rng = np.random.default_rng(seed)
    table = {str(c): pts[:, i].numpy() for i, c in enumerate(problem.coords)}
    for f in fields:
        clean = truth[f].detach().to(torch.float64).numpy().reshape(-1)
        rms = float(np.sqrt(np.mean(clean**2)))
        table[f] = clean + noise * rms * rng.standard_normal(clean.shape)
    return table


def _truth(problem: Problem, cfg, values: dict, pts: torch.Tensor) -> dict:
    try:
        ref = load_reference(cfg.reference, problem, values)
    except (ValueError, FileNotFoundError, KeyError) as exc:
        raise ConfigError(f"reference: {exc}") from None
    if ref is not None:
        return ref(pts)
    params = {k: torch.tensor(float(v), dtype=torch.float64) for k, v in values.items()}
    return ResidualProgram(problem).exact_values(pts, params)


def write_csv(path: str | Path, table: dict) -> Path:
    buf = io.StringIO(newline="")
    writer = csv.writer(buf)
    cols = list(table)
    writer.writerow(cols)
    for row in zip(*(table[c] for c in cols)):
        writer.writerow([repr(float(v)) for v in row])
    return atomic_write(path, buf.getvalue())
