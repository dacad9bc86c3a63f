"""One solve run, end to end: problem file + resolved config → run directory + metrics.

The CLI and the sweep both call :func:`solve`; nothing here prints.
"""

from __future__ import annotations

from pathlib import Path

from .. import train
from ..config import ConfigError, SolveConfig
from ..ir import Problem
from ..lower import load
from ..model.checkpoint import save_model
from ..reference import load_reference
from . import directory


def solve(
    problem_path: str | Path,
    cfg: SolveConfig,
    out: str | Path,
    *,
    problem: Problem | None = None,
    progress=None,
    plots: bool = True,
    log=None,
) -> dict:
    """Train, write every result file into ``out`` and return the metrics.

    ``progress``: optional object with ``update(step, info)``; ``plots=False`` skips the PNGs
    (they cost seconds per run, which adds up in sweeps). A KeyboardInterrupt still
    writes the results of the networks as they are, then propagates.
    """
    problem = problem or load(problem_path)
    try:
        reference = load_reference(
            cfg.reference, problem, problem.param_values(cfg.params), log=log
        )
    except (ValueError, FileNotFoundError, KeyError) as exc:
        raise ConfigError(f"reference: {exc}") from None
    setup = train.build(problem, cfg, reference=reference)
    state = train.TrainState.start(setup)  # checks the optimizer schedule and balancer
    out = Path(out)
    directory.write_inputs(out, cfg, problem_path)

    def checkpoint(state):  # a long run can be watched (history.csv) as it goes
        save_model(out / "model.pt", setup.nets, state.step)
        directory.write_history(out / "history.csv", state.history)

    try:
        train.train(setup, state, progress=progress, checkpoint=checkpoint)
    except KeyboardInterrupt:
        state.stopped = "interrupted by the user"
        directory.write_run(out, setup, state, problem_path, plots=plots)
        raise
    return directory.write_run(out, setup, state, problem_path, plots=plots)
