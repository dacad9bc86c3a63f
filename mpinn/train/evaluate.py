"""Predictions and errors on the evaluation grid: relative L2 against the exact solution
(from the problem) or a reference solution; the arrays of ``fields.npz``."""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import torch

from .setup import Setup, losses_at

DEFAULT_GRID = {1: 1001, 2: 161, 3: 41}


def eval_points(setup: Setup):
    n = setup.cfg.eval.grid or DEFAULT_GRID[setup.domain.dim]
    n_time = 21 if setup.domain.time else None
    points, shape, axes = setup.domain.eval_grid(n, n_time=n_time, dtype=setup.dtype)
    return points.to(setup.device), shape, axes


def predict(setup: Setup, points: torch.Tensor, chunk: int = 20000) -> dict:
    outs = []
    with torch.no_grad():
        for i in range(0, points.shape[0], chunk):
            outs.append({k: v.detach() for k, v in setup.nets(points[i : i + chunk]).items()})
    return {f: torch.cat([o[f] for o in outs]) for f in setup.problem.fields}


def truth(setup: Setup, points: torch.Tensor) -> dict:
    """Exact solution (from the problem) or reference solution values at points."""
    if setup.reference is not None:
        return setup.reference(points)
    with torch.no_grad():
        return {k: v.detach() for k, v in setup.program.exact_values(points, setup.values).items()}


def relative_l2(pred: dict, ref: dict) -> dict:
    """Relative L2 per field; fields without a reference map to None.

    A reference that is identically zero (e.g. v = 0 in a straight channel) has no relative
    error; its value is the RMS error instead (see metrics.json ``l2_kind``).
    """
    out = {}
    for f, p in pred.items():
        if f not in ref:
            out[f] = None
            continue
        r = ref[f].to(torch.float64)
        p = p.to(torch.float64)
        den = torch.linalg.vector_norm(r)
        num = torch.linalg.vector_norm(p - r)
        if den <= 1e-12 * math.sqrt(r.numel()):
            out[f] = float(num / math.sqrt(r.numel()))
        else:
            out[f] = float(num / den)
    return out


def l2_kinds(ref: dict) -> dict:
    return {
        f: (
            "absolute_rms"
            if float(torch.linalg.vector_norm(r.to(torch.float64))) <= 1e-12 * math.sqrt(r.numel())
            else "relative"
        )
        for f, r in ref.items()
    }


def validation_sampler(setup: Setup):
    """Fixed validation points: the training sampler's sizes, clustering and domain, drawn
    once from a stream of their own (never a training batch)."""
    return dataclasses.replace(
        setup.sampler, seed=(setup.sampler.seed + 1) * 1_000_003, resample_every=0
    )


def validation_residual(setup: Setup, sampler) -> float:
    """The unweighted sum of every term's mean squared residual on the validation points:
    how well the networks solve the problem, measured without the solution."""
    losses = losses_at(setup, 0, sampler)
    return float(sum(float(v.detach()) for v in losses.values()))


def current_l2(setup: Setup, points) -> dict:
    ref = truth(setup, points)
    if not ref:
        return {}
    pred = predict(setup, points)
    return {f: v for f, v in relative_l2(pred, ref).items() if v is not None}


def grid_fields(setup: Setup):
    """Predictions and truth on the evaluation grid, as numpy arrays for fields.npz.

    Returns ``(arrays, l2, l2_kind)``.
    """
    points, shape, axes = eval_points(setup)
    pred = predict(setup, points)
    ref = truth(setup, points)
    out = {"points": points.cpu().double().numpy(), "shape": np.array(shape)}
    for name, axis in zip(setup.domain.columns, axes):
        out[f"axis_{name}"] = np.asarray(axis, dtype=float)
    for f, v in pred.items():
        out[f"pred_{f}"] = v.cpu().double().numpy().reshape(shape)
    for f, v in ref.items():
        out[f"exact_{f}"] = v.cpu().double().numpy().reshape(shape)
    return out, relative_l2(pred, ref) if ref else {f: None for f in pred}, l2_kinds(ref)
