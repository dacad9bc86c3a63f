"""Where a trained eof2d run's momentum residuals are large: |stokes_x|, |stokes_y| on a
coarse x grid at a few distances from the lower wall. This is how round 3 of docs/eof.md
found the residual sitting on the patch edges at every height. With --reference, also the
flow rate (integral of u over y) and the centreline flow pressure
q = Pi + (sqrt(c+ c-) - 1)/eps^2 along x, PINN against reference: the flow-rate mode.

    python benchmarks/eof_residual_map.py runs/final2/B-eps0.05-soap \
        --reference runs/reference/eof2d_eps0.05.npz
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
import torch

from mpinn import config, results, train
from mpinn.compile import ResidualProgram
from mpinn.symbolic import load


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("run", help="run directory (problem.mp, config.yaml, model.pt)")
    ap.add_argument("--terms", default="stokes_x,stokes_y")
    ap.add_argument("--reference", help="reference .npz: also compare flow rate and q")
    args = ap.parse_args()
    torch.set_num_threads(1)
    run = Path(args.run)
    problem = load(run / "problem.mp")
    cfg = config.resolve(run / "problem.mp", run / "config.yaml", {"reference": {"solver": None}})
    setup = train.build(problem, cfg)
    results.load_model(run / "model.pt", setup.nets)
    values = problem.param_values(cfg.params)
    eps = values["eps"]
    xs = np.linspace(0.0, values["L"], 21)
    ys = np.array([-1 + eps, -1 + 3 * eps, -1 + 10 * eps, -0.6, -0.3, 0.0])
    X = torch.tensor([(a, b) for b in ys for a in xs], dtype=torch.float32)
    res = ResidualProgram(problem).evaluate(setup.nets, X, args.terms.split(","), values)
    print("x      " + " ".join(f"{a:6.2f}" for a in xs))
    for name, r in res.items():
        r = r.detach().reshape(len(X), -1).norm(dim=1).reshape(len(ys), len(xs)).numpy()
        print(name)
        for j, y in enumerate(ys):
            print(f"y={y:5.2f}" + " ".join(f"{v:6.1f}" for v in r[j]))
    if args.reference:
        flow_rate_and_pressure(setup, np.load(args.reference), eps)


def flow_rate_and_pressure(setup, ref, eps: float) -> None:
    """Q(x) = integral of u dy and the centreline q(x), PINN and reference, at 11 stations."""
    xr, yr = ref["x"], ref["y"]
    yq = np.linspace(-1.0, 1.0, 2001)
    rows = {"Q pinn": [], "Q ref": [], "q pinn": [], "q ref": []}
    centre = int(np.argmin(np.abs(yr)))
    stations = np.linspace(0, len(xr) - 1, 11).astype(int)
    for i in stations:
        X = torch.tensor(np.stack([np.full_like(yq, xr[i]), yq], 1), dtype=torch.float32)
        f = {k: v.detach().numpy().ravel() for k, v in train.predict(setup, X).items()}
        rows["Q pinn"].append(np.trapezoid(f["u"], yq))
        rows["Q ref"].append(np.trapezoid(np.interp(yq, yr, ref["u"][i]), yq))
        m = len(yq) // 2
        rows["q pinn"].append(f["Pi"][m] + (np.sqrt(f["cp"][m] * f["cm"][m]) - 1) / eps**2)
        c = np.sqrt(ref["cp"][i, centre] * ref["cm"][i, centre])
        rows["q ref"].append(ref["Pi"][i, centre] + (c - 1) / eps**2)
    print("x      " + " ".join(f"{xr[i]:6.2f}" for i in stations))
    for name, vals in rows.items():
        print(f"{name:7s}" + " ".join(f"{v:6.2f}" for v in vals))


if __name__ == "__main__":
    main()
