"""Predictions and errors on the evaluation grid: relative L2 against the exact solution
(from the problem) or a reference solution; the arrays of ``fields.npz``."""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import torch

from ..compile import quantity_key
from .setup import Setup, losses_at

DEFAULT_GRID = {1: 1001, 2: 161, 3: 41}


def eval_points(setup: Setup):
    n = setup.cfg.eval.grid or DEFAULT_GRID[setup.domain.dim]
    n_time = 21 if setup.domain.time else None
    points, shape, axes = setup.domain.eval_grid(n, n_time=n_time, dtype=setup.dtype)
    return points.to(setup.device), shape, axes


def inside(setup: Setup, points: torch.Tensor) -> torch.Tensor:
    """Mask of the grid points that lie in the domain (all of them for a box)."""
    lo, hi = setup.domain.bounding_box()
    scale = max(b - a for a, b in zip(lo, hi))
    # grid points on the boundary stay in (float32 rounds 2.2 to 2.2000000477)
    return setup.domain.contains(points, tol=1e-6 * scale).to(points.device)


def eval_inside(setup: Setup) -> torch.Tensor:
    """The evaluation grid's points inside the domain (where errors are measured)."""
    points = eval_points(setup)[0]
    return points[inside(setup, points)]


#: quadrature points per quantity (boundary pieces and cuts: per patch/line; the domain:
#: in all), enough for ~1e-4 relative accuracy on smooth integrands
QUADRATURE_POINTS = {"domain": 40000, "boundary": 2048, "section": 1024}


def quantities(setup: Setup) -> dict:
    """Every ``quantity`` of the problem: ``{name: value}`` (a float) from the current
    networks, by quadrature on the domain, a boundary part or a cut."""
    out = {}
    for name, q in setup.problem.quantities.items():
        if q.region is None:
            n = QUADRATURE_POINTS["domain"]
        elif isinstance(q.region, tuple):
            n = QUADRATURE_POINTS["boundary"]
        else:
            n = QUADRATURE_POINTS["section"]
        points, weights, normals = setup.domain.quadrature(q.region, n, dtype=setup.dtype)
        points, weights = points.to(setup.device), weights.to(setup.device)
        if normals is not None:
            normals = normals.to(setup.device, setup.dtype)
        key = quantity_key(name)
        total = 0.0
        for i in range(0, points.shape[0], 8192):
            part = setup.program.evaluate(
                setup.nets,
                points[i : i + 8192],
                [key],
                setup.values,
                None if normals is None else normals[i : i + 8192],
                create_graph=True,  # several fields' derivatives share one forward graph
            )[key]
            total += float((part.detach().to(torch.float64) * weights[i : i + 8192]).sum())
        out[name] = total
    return out


def quantity_report(problem, values: dict) -> dict:
    """``metrics.json`` "quantities": value, and the expected value and relative error
    where the problem gives ``expect``."""
    out = {}
    for name, value in values.items():
        entry = {"value": value}
        expect = problem.quantities[name].expect
        if expect is not None:
            entry["expect"] = expect
            entry["error"] = abs(value - expect) / abs(expect) if expect else abs(value)
        out[name] = entry
    return out


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
    mask = inside(setup, points)
    shaped = not bool(mask.all())
    pred = predict(setup, points)
    ref = truth(setup, points[mask] if shaped else points)
    out = {"points": points.cpu().double().numpy(), "shape": np.array(shape)}
    if shaped:  # a domain built from shapes: values outside it are NaN, `mask` says where
        out["mask"] = mask.cpu().numpy().reshape(shape)
    for name, axis in zip(setup.domain.columns, axes):
        out[f"axis_{name}"] = np.asarray(axis, dtype=float)
    for f, v in pred.items():
        out[f"pred_{f}"] = _on_grid(v, mask, shape, shaped)
    for f, v in ref.items():
        out[f"exact_{f}"] = _on_grid(v, mask, shape, shaped, given_inside=shaped)
    pred_in = {f: v[mask] for f, v in pred.items()} if shaped else pred
    return out, relative_l2(pred_in, ref) if ref else {f: None for f in pred}, l2_kinds(ref)


def _on_grid(values, mask, shape, shaped: bool, given_inside: bool = False):
    v = values.detach().cpu().double()
    if not shaped:
        return v.numpy().reshape(shape)
    full = torch.full((mask.numel(),), float("nan"), dtype=torch.float64)
    full[mask.cpu()] = v if given_inside else v[mask.cpu()]
    return full.numpy().reshape(shape)
