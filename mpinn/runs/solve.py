"""One run, end to end: :func:`solve` (problem file + resolved config → run directory +
metrics) and :func:`resume` (a run directory → the same run, continued).

The CLI and the sweep both call these; nothing here prints. Both hold the directory's lock
while they write, save the whole training state with every checkpoint (``state.pt``), and
stop cleanly when ``should_stop()`` says so (a signal: see :mod:`.signals`), saving the
state and the results first.

Data parallel (a process group initialised by the caller, docs/scaling.md), only rank 0
touches the run directory: it checks, locks and writes it. The other ranks train alongside
(a resume reads ``state.pt`` and the inputs after rank 0 holds the lock) and return a
short dict (``rank``, ``status``, ``stopped``, ``interrupted``, ``steps_done``).
"""

from __future__ import annotations

import contextlib
import dataclasses
import pickle
import time
from pathlib import Path

import torch

from .. import config, train
from ..config import ConfigError, SolveConfig
from ..ir import Problem
from ..lower import load
from ..reference import load_reference
from ..train.distributed import barrier, world
from ..train.progress import LineProgress
from . import directory
from .files import RunDirError

LOG = "train.log"  # progress lines of every (resumed) session of the run


def solve(
    problem_path: str | Path,
    cfg: SolveConfig,
    out: str | Path,
    *,
    problem: Problem | None = None,
    progress=None,
    plots: bool = True,
    log=None,
    overwrite: bool = False,
    should_stop=None,
) -> dict:
    """Train, write every result file into ``out`` and return the metrics.

    ``out`` must be new or empty (``overwrite=True`` clears an old run directory there).
    ``progress``: optional object with ``update(step, info)``; ``plots=False`` skips the
    PNGs (they cost seconds per run, which adds up in sweeps).
    """
    problem = problem or load(problem_path)
    if world()[0] != 0:  # another rank of a data-parallel run: no files
        setup = _build(problem, cfg, log)
        return _run_quiet(setup, train.TrainState.start(setup), should_stop)
    out = directory.check_out(out, overwrite)  # refuse before any work is done
    setup = _build(problem, cfg, log)
    state = train.TrainState.start(setup)  # checks the optimizer schedule and balancer
    with directory.open_run_dir(out, overwrite):
        directory.write_inputs(out, cfg, problem_path, problem.data)
        return _run(out, setup, state, problem_path, progress, plots, should_stop)


def resume(
    run_dir: str | Path,
    *,
    steps: int | None = None,
    progress=None,
    plots: bool = True,
    log=None,
    should_stop=None,
) -> dict:
    """Continue the run in ``run_dir`` from its last saved state (``state.pt``) to its
    step count, or to ``steps`` in all. The result is the same, bit for bit, as a run that
    was never interrupted (on the same machine, device and thread count)."""
    run_dir = Path(run_dir)
    rank = world()[0]
    with directory.lock_existing(run_dir) if rank == 0 else contextlib.nullcontext():
        barrier()  # the other ranks read the directory once rank 0 holds it (and recovered)
        saved = _read_state(run_dir)
        problem_file = run_dir / "problem.mp"
        problem = load(problem_file)
        cfg = config.resolve(config_path=run_dir / "config.yaml", problem=problem)
        cfg = dataclasses.replace(cfg, init=None)  # the networks come from the state
        if steps is not None:
            if steps < saved["step"]:
                raise RunDirError(
                    f"--steps {steps} is fewer than the {saved['step']} steps already done"
                )
            cfg = dataclasses.replace(cfg, steps=steps)
            config.validate(cfg, problem)
        if saved["stopped"]:
            raise RunDirError(f"{run_dir} stopped: {saved['stopped']}; resuming would repeat it")
        if saved["step"] >= cfg.steps and not saved["time_limited"]:
            raise RunDirError(
                f"{run_dir} has finished its {cfg.steps} steps; give --steps N with N > "
                f"{cfg.steps} to train further"
            )
        setup = _build(problem, cfg, log)
        state = train.TrainState.start(setup)
        try:
            state.load_state_dict(setup, saved, replan=steps is not None)
        except (ValueError, KeyError, RuntimeError) as exc:
            raise RunDirError(f"{run_dir}/state.pt does not fit this run: {exc}") from None
        if rank != 0:
            return _run_quiet(setup, state, should_stop)
        if steps is not None:
            directory.write_inputs(run_dir, cfg, problem_file, problem.data)
        return _run(run_dir, setup, state, problem_file, progress, plots, should_stop)


def _read_state(run_dir: Path) -> dict:
    path = run_dir / "state.pt"
    if not path.is_file():
        raise RunDirError(
            f"{run_dir} has no state.pt to resume from (not a run directory, or the run "
            "was killed before its first checkpoint)"
        )
    try:
        return torch.load(path, map_location="cpu", weights_only=True)
    except (OSError, RuntimeError, EOFError, pickle.UnpicklingError) as exc:
        first = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
        raise RunDirError(f"{path} cannot be read: {first}") from None


def _build(problem: Problem, cfg: SolveConfig, log):
    try:
        reference = load_reference(
            cfg.reference, problem, problem.param_values(cfg.params), log=log
        )
    except (ValueError, FileNotFoundError, KeyError) as exc:
        raise ConfigError(f"reference: {exc}") from None
    return train.build(problem, cfg, reference=reference)


class _Both:
    """Progress to the caller's display and to the run's log file."""

    def __init__(self, *targets):
        self.targets = [t for t in targets if t is not None]

    def update(self, step: int, info: dict) -> None:
        for t in self.targets:
            t.update(step, info)


def _stamp() -> str:
    return time.strftime("%Y-%m-%d %H:%M:%S")


def _run_quiet(setup, state, should_stop) -> dict:
    """Training on a rank other than 0: no files, no progress; the outcome only."""
    train.train(setup, state, should_stop=should_stop)
    return {
        "rank": setup.rank,
        "world_size": setup.world_size,
        "status": directory.run_status(state),
        "stopped": state.stopped,
        "interrupted": state.interrupted,
        "steps_done": state.steps_done,
    }


def _run(out: Path, setup, state, problem_path, progress, plots: bool, should_stop) -> dict:
    def checkpoint(state):  # the whole state, and history.csv to watch a long run
        directory.write_checkpoint(out, setup, state)

    # train.log: a line every 30 s (and the first and last step), appended across resumes
    with open(out / LOG, "a", encoding="utf-8") as fh:
        fh.write(f"{_stamp()} start at step {state.step} of {setup.cfg.steps}\n")
        log = LineProgress(fh, setup.cfg.steps, every_s=30.0)
        try:
            train.train(
                setup,
                state,
                progress=_Both(progress, log),
                checkpoint=checkpoint,
                should_stop=should_stop,
            )
        except KeyboardInterrupt:  # a second Ctrl-C: leave now; the last checkpoint stays
            fh.write(f"{_stamp()} interrupted at once; the last checkpoint stays\n")
            raise
        log.close()
        metrics = directory.write_run(out, setup, state, problem_path, plots=plots)
        fh.write(f"{_stamp()} {metrics['status']} at step {state.step}\n")
    return metrics
