"""Training-step throughput: networks evaluated one by one vs as one stacked ensemble.

    python benchmarks/step_speed.py [--steps 30] [--rounds 3] [problems ...]

Runs the same training steps with each path, alternating rounds in one process (one torch
thread), and prints steps/s and the ratio. Results: docs/performance.md.
"""

from __future__ import annotations

import argparse
import time

import torch

from mpinn import config, train
from mpinn.lower import load


def steps_per_second(setup, n: int) -> float:
    params = list(setup.nets.parameters())
    opt = torch.optim.Adam(params, lr=1e-4)
    start = time.perf_counter()
    for step in range(n):
        if setup.device.type == "cuda":
            torch.cuda.synchronize()
        losses = train.losses_at(setup, step)
        total = sum(losses.values())
        opt.zero_grad()
        total.backward()
        opt.step()
    if setup.device.type == "cuda":
        torch.cuda.synchronize()
    return n / (time.perf_counter() - start)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("problems", nargs="*", default=["coupled_sym", "eof2d_channel"])
    ap.add_argument("--steps", type=int, default=30)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--device", default="cpu")
    args = ap.parse_args()
    torch.set_num_threads(1)
    for name in args.problems:
        path = f"problems/{name}.mp"
        problem = load(path)
        setup = train.build(
            problem, config.resolve(path, None, {"threads": 1, "device": args.device})
        )
        rates = {"separate": [], "stacked": []}
        for _ in range(args.rounds):
            for mode in rates:
                setup.nets.ensemble = mode == "stacked"
                steps_per_second(setup, 3)  # warm-up
                rates[mode].append(steps_per_second(setup, args.steps))
        best = {m: max(v) for m, v in rates.items()}
        print(
            f"{name}: separate {best['separate']:.1f} steps/s, stacked "
            f"{best['stacked']:.1f} steps/s, speed-up {best['stacked'] / best['separate']:.2f}x"
            f"  (best of {args.rounds} rounds of {args.steps} steps, {args.device})"
        )


if __name__ == "__main__":
    main()
