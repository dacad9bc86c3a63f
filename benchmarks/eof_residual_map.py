"""Where a trained eof2d run's momentum residuals are large: |stokes_x|, |stokes_y| on a
coarse x grid at a few distances from the lower wall. This is how round 3 of docs/eof.md
found the residual sitting on the patch edges at every height.

    python benchmarks/eof_residual_map.py runs/final2/B-eps0.02-soap
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


if __name__ == "__main__":
    main()
