"""A run directory: config.yaml, problem.mp, metrics.json, history.csv, fields.npz,
model.pt, plots/. Everything machine-readable."""

from __future__ import annotations

import csv
import json
import math
import shutil
from datetime import datetime
from pathlib import Path

import numpy as np
import torch

from .. import __version__, config
from ..model.checkpoint import save_model
from ..train import grid_fields
from ..viz.run import plot_run

METRICS_KEYS = (
    "problem",
    "params",
    "optimizer",
    "balance",
    "steps",
    "seed",
    "wall_time_s",
    "l2",
    "l2_mean",
    "final_losses",
)


def default_run_dir(problem_name: str, root: str | Path = "runs") -> Path:
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S-%f")
    return Path(root) / problem_name / stamp


def write_history(path: Path, history: list) -> None:
    keys: list = []
    for row in history:
        keys += [k for k in row if k not in keys]
    with open(path, "w", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=keys)
        writer.writeheader()
        writer.writerows(history)


def _clean(value):
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def write_inputs(out: Path, cfg, problem_path: str | Path | None) -> None:
    """config.yaml and a copy of the problem file, written when a run starts: the run
    directory then says what is running while it runs, and an edit of the problem file
    during a long run does not end up in the copy of a run that never saw it."""
    out.mkdir(parents=True, exist_ok=True)
    config.save(cfg, out / "config.yaml")
    if problem_path is not None:
        shutil.copyfile(problem_path, out / "problem.mp")


def write_run(
    out: Path, setup, result, problem_path: str | Path | None, plots: bool = True
) -> dict:
    """Write the result files of a finished run (the inputs: :func:`write_inputs`);
    returns the metrics."""
    out.mkdir(parents=True, exist_ok=True)
    write_history(out / "history.csv", result.history)
    arrays, l2, kinds = grid_fields(setup)
    arrays["space_names"] = np.array([s.name for s in setup.problem.space])
    np.savez_compressed(out / "fields.npz", **arrays)
    save_model(out / "model.pt", setup.nets, result.steps_done)
    # the mean is over relative errors only (an identically-zero reference has an RMS error)
    known = [v for f, v in l2.items() if v is not None and kinds.get(f) == "relative"]
    cfg = setup.cfg
    metrics = {
        "problem": setup.problem.name,
        "problem_file": str(problem_path) if problem_path else None,
        "params": setup.values,
        "optimizer": cfg.optimizer.name,
        "lr": cfg.optimizer.lr,
        "balance": cfg.balance.name,
        "steps": cfg.steps,
        "steps_done": result.steps_done,
        "seed": cfg.seed,
        "dtype": cfg.dtype,
        "device": cfg.device,
        "wall_time_s": result.wall_time_s,
        "l2": {k: _clean(v) for k, v in l2.items()},
        "l2_kind": kinds,
        "l2_mean": _clean(float(np.mean(known))) if known else None,
        "final_losses": {k: _clean(v) for k, v in result.final_losses.items()},
        "final_weights": result.final_weights,
        "stopped": result.stopped,
        "time_limited": result.time_limited,
        "versions": {"mpinn": __version__, "torch": torch.__version__},
    }
    (out / "metrics.json").write_text(json.dumps(metrics, indent=2), encoding="utf-8")
    if plots:
        plot_run(out)
    return metrics
