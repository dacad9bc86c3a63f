"""Accuracy table of docs/results.md: the three 1D systems at gamma = 1 and 100,
SOAP+GN (the default configuration) and Adam+GN under the same budget.

    python benchmarks/accuracy_1d.py [--steps N] [--jobs 2] [--out runs/accuracy]

Each run is an ordinary `mpinn solve` with one torch thread; `--jobs 2` runs two at once
(one per core). Prints a markdown table and writes it to OUT/table.md.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

PROBLEMS = ("coupled_sym", "coupled_asym", "coupled_nonlinear")
GAMMAS = (1, 100)
OPTIMIZERS = ("soap", "adam")


def run(problem: str, gamma: float, optimizer: str, steps: int | None, out: Path) -> dict:
    run_dir = out / problem / f"gamma={gamma}" / optimizer
    metrics = run_dir / "metrics.json"
    if not metrics.is_file():
        cmd = [
            "mpinn",
            "solve",
            f"problems/{problem}.mp",
            "--set",
            f"gamma={gamma}",
            "--optimizer",
            optimizer,
            "--threads",
            "1",
            "--quiet",
            "--out",
            str(run_dir),
        ]
        if steps:
            cmd += ["--steps", str(steps)]
        env = {**os.environ, "OMP_NUM_THREADS": "1"}
        subprocess.run(cmd, check=True, env=env, stdout=subprocess.DEVNULL)
    return json.loads(metrics.read_text())


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--steps", type=int, default=None, help="default: the config's steps")
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--out", default="runs/accuracy")
    args = ap.parse_args()
    out = Path(args.out)
    combos = [(p, g, o) for p in PROBLEMS for g in GAMMAS for o in OPTIMIZERS]
    start = time.time()
    with ThreadPoolExecutor(args.jobs) as pool:
        results = list(pool.map(lambda c: run(*c, args.steps, out), combos))
    by = {c: m for c, m in zip(combos, results)}
    lines = [
        "| system | optimizer | L2 mean, gamma = 1 | L2 mean, gamma = 100 | R | "
        "wall time per run (s) |",
        "|---|---|---|---|---|---|",
    ]
    for p in PROBLEMS:
        for o in OPTIMIZERS:
            a, b = by[(p, 1, o)], by[(p, 100, o)]
            lines.append(
                f"| {p} | {o}+GN | {a['l2_mean']:.2e} | {b['l2_mean']:.2e} | "
                f"{b['l2_mean'] / a['l2_mean']:.2f} | "
                f"{a['wall_time_s']:.0f} / {b['wall_time_s']:.0f} |"
            )
    table = "\n".join(lines)
    print(table)
    print(
        f"\ntotal wall time {time.time() - start:.0f} s, steps {results[0]['steps']}",
        file=sys.stderr,
    )
    (out / "table.md").write_text(table + "\n")


if __name__ == "__main__":
    main()
