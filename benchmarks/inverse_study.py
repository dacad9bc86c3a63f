"""The inverse-problem study of docs/inverse.md: recover gamma of examples/inverse/
coupled_gamma.mp (truth 5, initial guess 1) from 50 samples of u and v at several noise
levels, and the diffusivity field of examples/inverse/diffusivity.mp.

    OMP_NUM_THREADS=1 python benchmarks/inverse_study.py [--steps 4000] [--out DIR]

Writes DIR/inverse_study.json and prints a Markdown table. Each noise level gets its own
copy of the problem beside its own synthetic data (mpinn synth, seed 0)."""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
EX = ROOT / "examples" / "inverse"


def mpinn(*args) -> None:
    subprocess.run([sys.executable, "-m", "mpinn", *args], check=True, cwd=ROOT)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--steps", type=int, default=4000)
    ap.add_argument("--out", default="runs/inverse_study")
    ap.add_argument("--noise", default="0,0.01,0.05")
    args = ap.parse_args()
    out = ROOT / args.out
    rows = []
    for noise in [float(n) for n in args.noise.split(",")]:
        d = out / f"noise{noise:g}"
        d.mkdir(parents=True, exist_ok=True)
        shutil.copy(EX / "coupled_gamma.mp", d / "coupled_gamma.mp")
        mpinn(
            "synth",
            "problems/coupled_sym.mp",
            "--fields",
            "u,v",
            "--points",
            "50",
            "--noise",
            str(noise),
            "--seed",
            "0",
            "-o",
            str(d / "coupled_gamma_obs.csv"),
        )
        mpinn(
            "solve",
            str(d / "coupled_gamma.mp"),
            "--steps",
            str(args.steps),
            "--threads",
            "1",
            "--quiet",
            "--overwrite",
            "--out",
            str(d / "run"),
        )
        m = json.loads((d / "run" / "metrics.json").read_text())
        g = m["unknowns"]["gamma"]["value"]
        rows.append(
            {
                "problem": "coupled_gamma",
                "noise": noise,
                "gamma": g,
                "rel_error": abs(g - 5) / 5,
                "l2_mean": m["l2_mean"],
                "steps": m["steps_done"],
                "wall_time_s": m["wall_time_s"],
            }
        )
    d = out / "diffusivity"
    mpinn(
        "solve",
        str(EX / "diffusivity.mp"),
        "--steps",
        str(args.steps),
        "--threads",
        "1",
        "--quiet",
        "--overwrite",
        "--out",
        str(d),
    )
    m = json.loads((d / "metrics.json").read_text())
    rows.append(
        {
            "problem": "diffusivity",
            "noise": 0.0,
            "l2": m["l2"],
            "l2_mean": m["l2_mean"],
            "steps": m["steps_done"],
            "wall_time_s": m["wall_time_s"],
        }
    )
    (out / "inverse_study.json").write_text(json.dumps(rows, indent=2))
    print("| problem | noise | estimate | error | mean L2 | steps | wall s |")
    print("|---|---|---|---|---|---|---|")
    for r in rows:
        est = f"gamma = {r['gamma']:.4f}" if "gamma" in r else ("k: L2 " + f"{r['l2']['k']:.2e}")
        err = f"{100 * r['rel_error']:.2f} %" if "rel_error" in r else "—"
        print(
            f"| {r['problem']} | {100 * r['noise']:g} % | {est} | {err} | "
            f"{r['l2_mean']:.2e} | {r['steps']} | {r['wall_time_s']:.0f} |"
        )


if __name__ == "__main__":
    main()
