"""PINN runs of the electroosmotic-flow variants (docs/eof.md): A (eof2d_channel), B
(eof2d, against the finite-volume reference) and C (eof2d_mms), SOAP+GN and Adam+GN under
the same budget, at eps = 0.05 and 0.02.

    python benchmarks/eof_study.py --jobs 12 --device cuda --time-limit 420 --out DIR \
        --reference-dir runs/reference

Every run is an ordinary `mpinn solve` with its problem's own configuration
(problems/*.yaml) plus the budget given here; B needs the reference .npz files
`eof2d_eps{eps}.npz` (written by `mpinn reference eof2d --set eps=... --out ...`).
Writes DIR/table.md.
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

VARIANTS = {"A": "eof2d_channel", "B": "eof2d", "C": "eof2d_mms"}
FIELDS = ("phi", "cp", "cm", "u", "v", "Pi")


def run(variant, eps, optimizer, args) -> dict:
    problem = VARIANTS[variant]
    out = Path(args.out) / f"{variant}-eps{eps}-{optimizer}"
    if not (out / "metrics.json").is_file():
        cmd = [
            sys.executable,
            "-m",
            "mpinn",
            "solve",
            f"problems/{problem}.mp",
            "--set",
            f"eps={eps}",
            "--optimizer",
            optimizer,
            "--device",
            args.device,
            "--threads",
            "1",
            "--quiet",
            "--out",
            str(out),
        ]
        if args.steps:
            cmd += ["--steps", str(args.steps)]
        if args.time_limit:
            cmd += ["--set", f"time_limit_s={args.time_limit}"]
        if variant == "B":
            cmd += ["--set", f"reference.file={args.reference_dir}/eof2d_eps{eps}.npz"]
        env = {**os.environ, "OMP_NUM_THREADS": "1"}
        with open(Path(args.out) / f"{out.name}.log", "w") as log:
            subprocess.run(cmd, env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        return json.loads((out / "metrics.json").read_text())
    except FileNotFoundError:
        return {}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--device", default="cpu")
    ap.add_argument("--steps", type=int, default=0)
    ap.add_argument("--time-limit", type=float, default=0)
    ap.add_argument("--eps", default="0.05,0.02")
    ap.add_argument("--variants", default="A,B,C")
    ap.add_argument("--optimizers", default="soap,adam")
    ap.add_argument("--reference-dir", default="runs/reference")
    ap.add_argument("--out", default="runs/eof_study")
    args = ap.parse_args()
    Path(args.out).mkdir(parents=True, exist_ok=True)
    combos = [
        (v, float(e), o)
        for v in args.variants.split(",")
        for e in args.eps.split(",")
        for o in args.optimizers.split(",")
    ]
    start = time.time()
    with ThreadPoolExecutor(args.jobs) as pool:
        results = list(pool.map(lambda c: run(*c, args), combos))
    lines = [
        "| variant | eps | optimizer | steps | wall (s) | " + " | ".join(FIELDS) + " |",
        "|---" * (4 + len(FIELDS)) + "|---|",
    ]
    for (v, e, o), m in zip(combos, results):
        if not m:
            lines.append(f"| {v} | {e} | {o}+GN | failed | | " + " | " * len(FIELDS))
            continue
        cells = []
        for f in FIELDS:
            val, kind = m["l2"].get(f), m["l2_kind"].get(f, "relative")
            cells.append(
                "—" if val is None else f"{val:.2e}" + (" (rms)" if kind != "relative" else "")
            )
        lines.append(
            f"| {v} | {e} | {o}+GN | {m['steps_done']} | {m['wall_time_s']:.0f} | "
            + " | ".join(cells)
            + " |"
        )
    table = "\n".join(lines)
    print(table)
    print(f"total wall time {time.time() - start:.0f} s on {args.device}", file=sys.stderr)
    (Path(args.out) / "table.md").write_text(table + "\n")


if __name__ == "__main__":
    main()
