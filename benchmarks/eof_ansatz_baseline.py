"""Errors of the flagship's output ansatz alone (every network output 0) against the
finite-volume reference: the baseline that the PINN runs of docs/eof.md start from.

    python benchmarks/eof_ansatz_baseline.py --eps 0.05 --reference runs/reference/eof2d_eps0.05.npz
"""

from __future__ import annotations

import argparse
import json

import torch

from mpinn import config, train
from mpinn.lower import load
from mpinn.reference import load_reference


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--eps", type=float, required=True)
    ap.add_argument("--reference", required=True, help="reference .npz (mpinn reference --out)")
    args = ap.parse_args()
    path = "problems/eof2d.mp"
    problem = load(path)
    cfg = config.resolve(
        path,
        None,
        {"params": {"eps": args.eps}, "threads": 1, "reference": {"file": args.reference}},
    )
    values = problem.param_values(cfg.params)
    setup = train.build(problem, cfg, reference=load_reference(cfg.reference, problem, values))
    with torch.no_grad():
        for net in setup.nets.nets.values():
            net.layers[-1].weight.zero_()
    l2 = train.current_l2(setup, train.eval_points(setup)[0])
    print(json.dumps({"eps": args.eps, "l2_ansatz_only": l2}))


if __name__ == "__main__":
    main()
