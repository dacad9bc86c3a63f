"""A run directory and its files::

    config.yaml  problem.mp            the inputs, written when the run starts
    state.pt                           the whole training state (``mpinn resume``)
    model.pt  history.csv              the networks and the history, at each checkpoint
    fields.npz  metrics.json  plots/   the results, when the run ends or is interrupted

Every group of files is written as one :class:`~mpinn.runs.files.Commit` (all or nothing,
crash-safe), while the process holds the directory's :class:`~mpinn.runs.files.RunLock`.
Everything is machine-readable; ``state.pt`` and ``model.pt`` hold only tensors and plain
values and load with ``torch.load(..., weights_only=True)``.
"""

from __future__ import annotations

import copy
import csv
import io
import json
import math
import os
import shutil
from datetime import datetime
from pathlib import Path

import numpy as np
import torch

from .. import __version__, config
from ..model.checkpoint import save_model
from ..train import grid_fields, quantities, quantity_report
from ..viz.report import render_report
from ..viz.run import plot_run
from .files import LOCK, PENDING, Commit, RunDirError, RunLock, atomic_write, is_locked

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
#: Files that make a directory recognisably a run directory (``--overwrite`` clears only
#: such directories).
RUN_FILES = ("config.yaml", "state.pt", "metrics.json", "model.pt", "history.csv", "error.txt")


def default_run_dir(problem_name: str, root: str | Path = "runs") -> Path:
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S-%f")
    return Path(root) / problem_name / stamp


# --- choosing and locking the directory -------------------------------------------------
def check_out(out: str | Path, overwrite: bool = False) -> Path:
    """Refuse an unusable ``out`` before anything is computed or written: a file, a path
    under a file, a directory we cannot write, a directory in use by another run, or an
    existing non-empty directory (unless ``overwrite``, and then only a run directory)."""
    out = Path(out)
    if out.exists() and not out.is_dir():
        raise RunDirError(f"--out {out} exists and is not a directory")
    probe = out
    while not probe.exists():
        if probe.parent == probe:
            break
        probe = probe.parent
    if not probe.is_dir():
        raise RunDirError(f"--out {out}: {probe} is a file, not a directory")
    if not os.access(probe, os.W_OK | os.X_OK):
        raise RunDirError(f"--out {out}: cannot write in {probe} (permission denied)")
    if out.is_dir():
        entries = [e.name for e in out.iterdir() if e.name not in (LOCK, PENDING)]
        if is_locked(out):
            raise RunDirError(f"{out} is in use by another run (one run per directory)")
        if entries and not overwrite:
            raise RunDirError(
                f"{out} exists and is not empty; give --overwrite to replace it, or continue "
                f"it with `mpinn resume {out}`"
            )
        if entries and not any((out / f).exists() for f in RUN_FILES):
            raise RunDirError(
                f"{out} is not a run directory (no {', '.join(RUN_FILES[:3])}); "
                "--overwrite clears only run directories"
            )
    return out


def open_run_dir(out: str | Path, overwrite: bool = False) -> RunLock:
    """Create (or, with ``overwrite``, clear) ``out`` and lock it; returns the held lock."""
    out = check_out(out, overwrite)
    try:
        out.mkdir(parents=True, exist_ok=True)
        lock = RunLock(out).acquire()
    except OSError as exc:
        raise RunDirError(f"--out {out}: {exc.strerror or exc}") from None
    if overwrite:
        for entry in out.iterdir():
            if entry.name == LOCK:
                continue
            if entry.is_dir() and not entry.is_symlink():
                shutil.rmtree(entry)
            else:
                entry.unlink()
    return lock


def lock_existing(run_dir: str | Path) -> RunLock:
    """Lock an existing run directory (for ``mpinn resume``) after finishing or discarding
    any interrupted commit."""
    run_dir = Path(run_dir)
    if not run_dir.is_dir():
        raise RunDirError(f"no such run directory: {run_dir}")
    try:
        return RunLock(run_dir).acquire()
    except OSError as exc:
        raise RunDirError(f"{run_dir}: {exc.strerror or exc}") from None


# --- the files -------------------------------------------------------------------------
def history_csv(history: list) -> str:
    keys: list = []
    for row in history:
        keys += [k for k in row if k not in keys]
    buf = io.StringIO(newline="")
    writer = csv.DictWriter(buf, fieldnames=keys)
    writer.writeheader()
    writer.writerows(history)
    return buf.getvalue()


def write_history(path: Path, history: list) -> None:
    atomic_write(path, history_csv(history))


def _clean(value):
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def _torch_bytes(obj) -> bytes:
    buf = io.BytesIO()
    torch.save(obj, buf)
    return buf.getvalue()


def write_inputs(out: Path, cfg, problem_path: str | Path | None, data: dict | None = None) -> None:
    """config.yaml and a copy of the problem file, written when a run starts: the run
    directory then says what is running while it runs, and an edit of the problem file
    during a long run does not end up in the copy of a run that never saw it.

    ``data``: the problem's data sets; each file that lies beside or below the problem file
    is copied to the same relative place, so the copy of the problem finds it (``mpinn
    resume``). Files elsewhere are read from where they are."""
    with Commit(out) as c:
        config.save(cfg, c.path("config.yaml"))
        if problem_path is not None:
            c.write("problem.mp", Path(problem_path).read_bytes())
            base = Path(problem_path).resolve().parent
            for ds in (data or {}).values():
                rel = Path(os.path.relpath(ds.path, base))
                if not rel.is_absolute() and ".." not in rel.parts and rel.name:
                    c.write(rel.as_posix(), Path(ds.path).read_bytes())


def write_checkpoint(out: Path, setup, state) -> None:
    """state.pt, model.pt and history.csv of the state now, as one commit."""
    with Commit(out) as c:
        _write_state_files(c, setup, state)


def _write_state_files(
    c: Commit, setup, state, state_bytes: bytes | None = None, model_step: int | None = None
) -> None:
    """state.pt (``state_bytes``: taken earlier, when the networks have since been swapped
    for the reported ones), model.pt of the networks now (at ``model_step``), history.csv."""
    c.write("state.pt", state_bytes or _torch_bytes(state.state_dict(setup)))
    step = state.model_step if model_step is None else model_step
    save_model(c.path("model.pt"), setup.nets, step)
    c.write("history.csv", history_csv(state.history))


def run_status(state) -> str:
    """``finished``, ``interrupted`` (a signal; resumable), ``time_limited``, ``diverged``
    (the NaN guard fired or the loss grew by orders of magnitude) or ``stopped``."""
    if state.interrupted:
        return "interrupted"
    if state.stopped:
        return "diverged" if state.diverged else "stopped"
    if state.time_limited:
        return "time_limited"
    return "finished"


def _errors(setup) -> tuple:
    """(fields.npz arrays, {field: L2}, L2 kinds, mean relative L2) of the networks now."""
    arrays, l2, kinds = grid_fields(setup)
    arrays["space_names"] = np.array([s.name for s in setup.problem.space])
    # the mean is over relative errors only (an identically-zero reference has an RMS error)
    known = [v for f, v in l2.items() if v is not None and kinds.get(f) == "relative"]
    return arrays, l2, kinds, _clean(float(np.mean(known))) if known else None


def _summary(step, validation, l2, l2_mean) -> dict:
    return {
        "step": step,
        "validation": _clean(validation),
        "l2": {k: _clean(v) for k, v in l2.items()},
        "l2_mean": l2_mean,
    }


def write_run(
    out: Path, setup, result, problem_path: str | Path | None, plots: bool = True
) -> dict:
    """Write every result file of a finished, stopped or interrupted run as one commit
    (the inputs: :func:`write_inputs`); returns the metrics.

    The reported networks (``model.pt``, ``fields.npz``, ``l2``) are those of the smallest
    validation residual (``eval.report: best``, the default) or the last ones; metrics.json
    has both under ``best`` and ``last``. ``state.pt`` always holds the last state (to
    resume)."""
    cfg = setup.cfg
    state_bytes = _torch_bytes(result.state_dict(setup))  # the last state, whatever is reported
    arrays, l2, kinds, l2_mean = _errors(setup)
    last = _summary(result.model_step, result.validation, l2, l2_mean)
    best = None
    reported_step = result.model_step
    if result.best_step is not None:
        best_l2 = {k: v for k, v in result.best_l2.items() if v is not None}
        rel = [v for f, v in best_l2.items() if kinds.get(f) == "relative"]
        best_mean = _clean(float(np.mean(rel))) if rel else None
        best = _summary(result.best_step, result.best_validation, best_l2, best_mean)
        if cfg.eval.report == "best" and result.best_step != result.model_step:
            current = copy.deepcopy(setup.nets.state_dict())
            setup.nets.load_state_dict(result.best_nets)
            arrays, l2, kinds, l2_mean = _errors(setup)
            reported_step = result.best_step
    arrays["step"] = np.array(reported_step)  # the networks these values come from
    reported_quantities = quantity_report(setup.problem, quantities(setup))
    metrics = {
        "problem": setup.problem.name,
        "problem_file": str(problem_path) if problem_path else None,
        "status": run_status(result),
        "params": setup.nets.param_floats(),
        "unknowns": {
            k: {"value": v, "initial": setup.nets.unknowns.initial[k]}
            for k, v in setup.nets.unknowns.floats().items()
        },
        "optimizer": cfg.optimizer.name,
        "lr": cfg.optimizer.lr,
        "balance": cfg.balance.name,
        "steps": cfg.steps,
        "steps_done": result.steps_done,
        "model_step": reported_step,
        "reported_step": reported_step,
        "report": cfg.eval.report,
        "seed": cfg.seed,
        "dtype": cfg.dtype,
        "device": cfg.device,
        "world_size": getattr(setup, "world_size", 1),  # data-parallel processes
        "wall_time_s": result.wall_time_s,
        "l2": {k: _clean(v) for k, v in l2.items()},
        "l2_kind": kinds,
        "l2_mean": l2_mean,
        "quantities": {
            k: {n: _clean(v) for n, v in entry.items()} for k, entry in reported_quantities.items()
        },
        "best": best,
        "last": last,
        "final_losses": {k: _clean(v) for k, v in result.final_losses.items()},
        "final_weights": result.final_weights,
        "stopped": result.stopped,
        "interrupted": result.interrupted,
        "time_limited": result.time_limited,
        "versions": {"mpinn": __version__, "torch": torch.__version__},
    }
    try:
        with Commit(out) as c:
            _write_state_files(c, setup, result, state_bytes, reported_step)

            def npz(path):
                with open(path, "wb") as fh:
                    np.savez_compressed(fh, **arrays)

            c.write("fields.npz", npz)
            c.write("metrics.json", json.dumps(metrics, indent=2))
            if plots:
                for p in plot_run(c.stage, c.stage / "plots"):
                    c.path(str(Path(p).relative_to(c.stage)))
            elif (out / "plots").is_dir():  # plots of an older state would contradict these
                for p in (out / "plots").glob("*.png"):
                    c.remove(f"plots/{p.name}")
            # one page with the problem, configuration, metrics and plots (mpinn report)
            c.write("report.html", render_report(c.stage, inputs=out))
    finally:
        if reported_step != result.model_step:
            setup.nets.load_state_dict(current)  # the last networks again (the state)
    return metrics


def replot(run_dir: str | Path) -> list:
    """Redraw the plots of a finished run directory (``mpinn plot``), as one commit."""
    run_dir = Path(run_dir)
    with lock_existing(run_dir), Commit(run_dir) as c:
        staged = plot_run(run_dir, c.stage / "plots")
        for p in staged:
            c.path(str(Path(p).relative_to(c.stage)))
    return [run_dir / Path(p).relative_to(c.stage) for p in staged]
