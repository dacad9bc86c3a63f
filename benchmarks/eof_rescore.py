"""Relative L2 errors of finished runs against another reference .npz (e.g. a finer grid):
the predictions in each run's fields.npz are compared with that reference interpolated to
the same evaluation points.

    python benchmarks/eof_rescore.py --reference runs/reference/eof2d_eps0.02_320x192.npz \
        runs/final/B-eps0.02-soap runs/final/B-eps0.02-adam
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np

from mpinn.reference.eof_fv import load_npz

FIELDS = ("phi", "cp", "cm", "u", "v", "Pi")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--reference", required=True)
    ap.add_argument("runs", nargs="+")
    args = ap.parse_args()
    ref = load_npz(args.reference)
    for run in args.runs:
        with np.load(Path(run) / "fields.npz") as data:
            x, y = np.meshgrid(data["axis_x"], data["axis_y"], indexing="ij")
            truth = ref.interpolate(x, y)
            l2 = {f: float(np.linalg.norm(data[f"pred_{f}"] - truth[f]) / np.linalg.norm(truth[f]))
                  for f in FIELDS}
        print(json.dumps({"run": run, "reference": args.reference, "l2": l2}))


if __name__ == "__main__":
    main()
