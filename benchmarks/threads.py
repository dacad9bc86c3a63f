"""Step rate against the number of torch CPU threads, in one process, rounds alternating
over the settings (the measurement behind the ``threads: 1`` default, docs/performance.md).

    python benchmarks/threads.py                         # coupled_sym and eof2d, 1 and 2 threads
    python benchmarks/threads.py --problems eof2d --threads 1 2 4 --steps 60

Run it on an otherwise idle machine: a second process on the cores changes the answer
(that is the point of the study). Each round builds nothing new; it trains the problem's
default configuration for ``--steps`` steps from a fresh state (``eval.every: 0``), once per
thread count, and the rate leaves out the first two steps.
"""

from __future__ import annotations

import argparse
import os
import statistics

import torch
from speed import Mpinn  # the speed runner's mpinn case: real training loop, time stamps

from mpinn.lower import load


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--problems", nargs="+", default=["coupled_sym", "eof2d"])
    ap.add_argument("--threads", nargs="+", type=int, default=[1, 2])
    ap.add_argument("--steps", type=int, default=0, help="per round (default: 400 / 40)")
    ap.add_argument("--rounds", type=int, default=3)
    args = ap.parse_args()
    print(f"load average before: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    print("| problem | threads | steps/s (median) | range | ratio to 1 thread |")
    print("|---|---|---|---|---|")
    for name in args.problems:
        path = name if name.endswith(".mp") else f"problems/{name}.mp"
        steps = args.steps or (400 if len(load(path).coords) == 1 else 40)
        opts = argparse.Namespace(threads=args.threads[0], device="cpu")
        case = Mpinn(path, {}, steps, opts)
        rates: dict = {n: [] for n in args.threads}
        for _ in range(args.rounds):
            for n in args.threads:
                torch.set_num_threads(n)
                rates[n].append(case.run()[0])
        base = rates[args.threads[0]]
        for n, values in rates.items():
            ratio = statistics.median(a / b for a, b in zip(values, base))
            print(
                f"| {name} | {n} | {statistics.median(values):.2f} | "
                f"{min(values):.2f}–{max(values):.2f} | {ratio:.2f} |"
            )


if __name__ == "__main__":
    main()
