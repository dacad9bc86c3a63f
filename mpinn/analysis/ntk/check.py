"""The whole NTK check on a built training setup (:func:`ntk_check`) and its report."""

from __future__ import annotations

import copy
import time
from dataclasses import dataclass, field

import torch

from .jacobian import jacobian_blocks
from .points import point_sets
from .spectra import BOUND_RTOL, EQUALITY_ATOL, fit_exponent, kernel_spectra, summarize


@dataclass
class NtkReport:
    problem: str
    S: int
    sweep_name: str | None
    results: list
    fit: tuple = (None, None, [])
    info: dict = field(default_factory=dict)

    def to_json(self) -> dict:
        slope, intercept, used = self.fit
        return {
            "problem": self.problem,
            "S": self.S,
            "sweep": self.sweep_name,
            "fit_exponent": slope,
            "fit_intercept": intercept,
            "fit_values": used,
            "fit_rule": "least squares of log lambda_max(K) vs log param, values >= "
            "sqrt(min*max) of the sweep",
            "rank_rule": "rank = #{sigma > max(rows, params) * eps64 * sigma_max}",
            "bound_rule": f"lambda_max(K_P) <= S * (1 + {BOUND_RTOL:g})",
            "equality_rule": f"|lambda_max(K_P) - S| < {EQUALITY_ATOL:g}",
            **self.info,
            "results": self.results,
        }


def float64_nets(nets):
    """A float64 copy of FieldNets (the original is left alone)."""
    out = copy.deepcopy(nets).to(torch.float64)
    for p in out.parameters():
        p.requires_grad_(True)
    return out


def ntk_check(
    setup,
    sweep: tuple | None = None,
    include_conditions: bool = False,
    chunk: int = 128,
    method: str = "func",
    basis: str = "auto",
    progress=None,
    log=None,
) -> NtkReport:
    """Run the check on a built Setup (its networks, its sampler at step 0).

    ``sweep``: (name, [values]) — the same networks and points, residual parameters
    changed (the networks' parameter environment, used by features/output transforms, is
    updated too). Without a sweep the setup's parameter values are used.
    ``progress(summary)``, if given, is called with each case's results as it finishes;
    ``log(text)`` with a line at each stage of a case, e.g. ``ntk-check: gamma=10 (2/4):
    Jacobian 3/6 chunks, 12.3 s``.
    """
    nets = float64_nets(setup.nets)
    sets = point_sets(setup, include_conditions)
    rows_by_set = [
        {"kind": s.kind, "terms": s.terms, "points": int(s.points.shape[0]), "rows": s.rows}
        for s in sets
    ]
    base = dict(setup.values)
    if sweep is None:
        cases = [base]
    else:
        name, values = sweep
        cases = [setup.problem.param_values({**setup.cfg.params, name: v}) for v in values]
    results = []
    t0 = time.perf_counter()
    for i, values in enumerate(cases):
        note = _case_log(log, t0, sweep, i, len(cases))
        nets.params = dict(values)
        tj = time.perf_counter()
        blocks = jacobian_blocks(
            setup.program,
            nets,
            sets,
            values,
            chunk=chunk,
            method=method,
            progress=_chunks(note),
        )
        ts = time.perf_counter()
        spectra = kernel_spectra(blocks, basis, progress=note)
        del blocks
        summary = summarize(spectra, values, rows_by_set)
        summary["time_jacobian_s"] = ts - tj
        summary["time_spectra_s"] = time.perf_counter() - ts
        summary["timings"] = spectra["timings"]
        results.append(summary)
        if progress is not None:
            progress(summary)
    fit = (None, None, [])
    if sweep is not None and len(sweep[1]) >= 2:
        fit = fit_exponent(sweep[1], [r["lambda_max_K"] for r in results])
    info = {
        "include_conditions": include_conditions,
        "jacobian": method,
        "basis": basis,
        "time_total_s": time.perf_counter() - t0,
    }
    return NtkReport(
        setup.problem.name, len(nets.fields), sweep[0] if sweep else None, results, fit, info
    )


def _case_log(log, t0: float, sweep, i: int, n: int):
    """``log`` for case ``i`` of ``n``: each line names the case and the time so far."""
    if log is None:
        return None
    case = f"{sweep[0]}={sweep[1][i]:g} ({i + 1}/{n}): " if sweep is not None else ""

    def note(text: str) -> None:
        log(f"ntk-check: {case}{text}, {time.perf_counter() - t0:.1f} s")

    return note


def _chunks(note):
    """``progress(done, total)`` for :func:`jacobian_blocks` writing to ``note``."""
    if note is None:
        return None
    return lambda done, total: note(f"Jacobian {done}/{total} chunks")
