"""Verification of the EOF reference: grid refinement, the manufactured-solution
convergence study, and the command line ``python -m mpinn.reference.eof_fv``."""

from __future__ import annotations

import numpy as np

from .eof_grid import FIELDS, EOFParams
from .eof_solution import Solution
from .eof_solver import solve


def relative_l2_difference(coarse: Solution, fine: Solution) -> dict[str, float]:
    """Relative L2 difference per field, evaluated at the coarse cell centres (fine
    solution linearly interpolated there), weighted by the coarse cell areas:
    sqrt(sum w (f_c - f_f)^2 / sum w f_f^2)."""
    g = coarse.grid
    X, Y = np.meshgrid(g.xc, g.yc, indexing="ij")
    w = np.outer(g.dx, g.dy)
    ff = fine.interpolate(X, Y)
    out = {}
    for k in FIELDS:
        fc = coarse.fields[k][1:-1, 1:-1]
        out[k] = float(np.sqrt((w * (fc - ff[k]) ** 2).sum() / (w * ff[k] ** 2).sum()))
    return out


def refinement_study(params: EOFParams, grids, *, stretch=2.5, save=None, verbose=True, **kw):
    """Solve on a sequence of grids (each started from the previous one), print the
    relative L2 differences between successive grids, the observed order and the
    Richardson estimate of the finest grid's error, d_last / (2^p - 1)."""
    sols, rows = [], []
    prev = None
    for nx, ny in grids:
        s = solve(params, nx, ny, stretch=stretch, initial=prev, **kw)
        sols.append(s)
        row = {"grid": f"{nx}x{ny}", "time": s.solve_time, "newton": len(s.newton_history)}
        if prev is not None:
            row["diff"] = relative_l2_difference(prev, s)
        rows.append(row)
        if verbose:
            d = row.get("diff")
            ds = " ".join(f"{k}={d[k]:.2e}" for k in FIELDS) if d else ""
            print(
                f"{row['grid']:>9s} newton={row['newton']:2d} time={row['time']:7.1f}s  {ds}",
                flush=True,
            )
        prev = s
    if len(rows) >= 3 and verbose:
        d1, d2 = rows[-2]["diff"], rows[-1]["diff"]
        print("observed order p and Richardson error estimate of the finest grid:")
        for k in FIELDS:
            pk = np.log2(d1[k] / d2[k]) if d2[k] > 0 else float("nan")
            est = d2[k] / (2.0**pk - 1.0) if pk > 0 else float("nan")
            print(
                f"  {k:3s} p={pk:5.2f}  est. rel. L2 error {est:.2e}  (with p=2: {d2[k] / 3:.2e})"
            )
    if save:
        sols[-1].save_npz(save)
    return sols, rows


def _mms_study(ns, stretch=1.0):
    from .mms import MMS_DEFAULTS, manufactured

    p = EOFParams(**MMS_DEFAULTS)
    ex, S = manufactured(p)
    prev = None
    print(f"MMS (variant C) {MMS_DEFAULTS}, stretch={stretch}; relative L2 error at cell centres")
    print("  grid   " + " ".join(f"{k:>9s}" for k in FIELDS))
    for n in ns:
        s = solve(p, n, n, stretch=stretch, sources=S, exact_bc=ex)
        err = mms_errors(s, ex)
        print(
            f"  {n:3d}x{n:<3d}"
            + " ".join(f"{err[k]:9.3e}" for k in FIELDS)
            + f"   ({s.solve_time:.1f}s)"
        )
        if prev is not None:
            print("   order " + " ".join(f"{np.log2(prev[k] / err[k]):9.2f}" for k in FIELDS))
        prev = err


def mms_errors(sol: Solution, exact) -> dict[str, float]:
    """Relative (area-weighted) L2 error of each field at the cell centres."""
    g = sol.grid
    X, Y = np.meshgrid(g.xc, g.yc, indexing="ij")
    w = np.outer(g.dx, g.dy)
    e = exact(X, Y)
    return {
        k: float(
            np.sqrt((w * (sol.fields[k][1:-1, 1:-1] - e[k]) ** 2).sum() / (w * e[k] ** 2).sum())
        )
        for k in FIELDS
    }


def main(argv=None):
    import argparse

    ap = argparse.ArgumentParser(prog="python -m mpinn.reference.eof_fv")
    sub = ap.add_subparsers(dest="cmd", required=True)
    a = sub.add_parser("mms", help="convergence study on the manufactured variant C")
    a.add_argument("--n", default="8,16,32,64")
    a.add_argument("--stretch", type=float, default=1.0)
    b = sub.add_parser("study", help="grid refinement study for variant A/B")
    b.add_argument("--eps", type=float, default=0.02)
    b.add_argument("--uniform", action="store_true", help="variant A (zetap = zeta0)")
    b.add_argument("--grids", default="40x24,80x48,160x96")
    b.add_argument("--stretch", type=float, default=2.5)
    b.add_argument("--save", default=None)
    c = sub.add_parser("channel", help="variant A: max-norm error vs the exact solution")
    c.add_argument("--eps", type=float, default=0.02)
    c.add_argument("--nx", type=int, default=8)
    c.add_argument("--ny", default="16,32,64,128")
    c.add_argument("--stretch", type=float, default=2.5)
    args = ap.parse_args(argv)
    if args.cmd == "channel":
        from .gouy_chapman import channel_exact

        p = EOFParams.uniform(eps=args.eps)
        print(f"variant A, {p}, nx={args.nx}, stretch={args.stretch}; max |error| on the node grid")
        print("   ny " + " ".join(f"{k:>9s}" for k in FIELDS))
        for ny in [int(n) for n in args.ny.split(",")]:
            s = solve(p, args.nx, ny, stretch=args.stretch)
            ex = channel_exact(s.x[:, None], s.y[None, :], eps=p.eps, zeta=p.zeta0, dV=p.dV, L=p.L)
            print(f"  {ny:3d} " + " ".join(f"{np.max(np.abs(s[k] - ex[k])):9.2e}" for k in FIELDS))
    elif args.cmd == "mms":
        _mms_study([int(n) for n in args.n.split(",")], args.stretch)
    else:
        p = EOFParams.uniform(eps=args.eps) if args.uniform else EOFParams(eps=args.eps)
        grids = [tuple(int(t) for t in g.split("x")) for g in args.grids.split(",")]
        print(f"refinement study {p}, stretch={args.stretch}")
        refinement_study(p, grids, stretch=args.stretch, save=args.save)
