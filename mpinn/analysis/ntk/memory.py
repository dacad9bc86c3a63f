"""What an NTK check will hold in memory, known before any point is drawn or any
Jacobian row is computed (:func:`memory_estimate`).

With ``R`` residual rows (points x terms), ``P_s`` parameters of network s and
``P = sum P_s``, all float64: the Jacobian blocks ``R x P``; one block's temporary
(the QR/SVD or sketch remainder of :func:`.spectra.range_basis`, ``R x max P_s``); the
kernel ``K`` and its symmetrised copy for the eigensolver (``2 R^2``); and the ``vmap``
chunk's per-point Jacobians (``chunk x terms x P`` a few times over). Measured on
``coupled_sym`` at 4000 points: 2.5 GB used, 2.8 GB estimated.
"""

from __future__ import annotations

CHUNK_COPIES = 4


def memory_estimate(setup, include_conditions: bool = False, chunk: int = 128) -> dict:
    """{"bytes", "rows", "params", "points"} of :func:`.check.ntk_check` on ``setup``
    (condition points counted before deduplication: an upper bound of the rows)."""
    sampler = setup.sampler
    rows = points = widest = 0
    for group in setup.groups:
        if (group.kind != "interior" and not include_conditions) or not group.terms:
            continue
        if group.kind == "interior":
            n = sampler.n_interior
        elif group.kind == "faces":
            n = group.n or sampler.n_boundary
        else:
            n = group.n or sampler.n_initial
        rows += n * len(group.terms)
        points += n
        widest = max(widest, len(group.terms))
    sizes = [sum(p.numel() for p in net.parameters()) for net in setup.nets.nets.values()]
    total = sum(sizes)
    per_chunk = min(chunk, points) * widest * total * CHUNK_COPIES
    need = 8 * (rows * total + rows * max(sizes, default=0) + 2 * rows * rows + per_chunk)
    return {"bytes": need, "rows": rows, "params": total, "points": points}
