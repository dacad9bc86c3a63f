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
import torch

from mpinn.reference.eof_fv import load_npz
from mpinn.train import relative_l2


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
            pred = {k[5:]: torch.from_numpy(data[k]) for k in data.files if k.startswith("pred_")}
            l2 = relative_l2(pred, {f: torch.from_numpy(np.asarray(truth[f])) for f in pred})
        print(json.dumps({"run": run, "reference": args.reference, "l2": l2}))


if __name__ == "__main__":
    main()
