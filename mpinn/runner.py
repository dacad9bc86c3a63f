"""One solve run, end to end: problem file + resolved config → run directory + metrics.

The CLI and the sweep both call :func:`solve`; nothing here prints.
"""

from __future__ import annotations

from pathlib import Path

from . import results, train
from .config import ConfigError, SolveConfig
from .symbolic import Problem, load


def solve(problem_path: str | Path, cfg: SolveConfig, out: str | Path, *,
          problem: Problem | None = None, progress=None, plots: bool = True,
          log=None) -> dict:
    """Train, write every result file into ``out`` and return the metrics.

    ``progress``: optional object with ``update(step, info)``; ``plots=False`` skips the PNGs
    (they cost seconds per run, which adds up in sweeps). A KeyboardInterrupt still
    writes the results of the networks as they are, then propagates.
    """
    problem = problem or load(problem_path)
    from .reference import load_reference

    try:
        reference = load_reference(cfg.reference, problem, problem.param_values(cfg.params),
                                   log=log)
    except (ValueError, FileNotFoundError, KeyError) as exc:
        raise ConfigError(f"reference: {exc}") from None
    setup = train.build(problem, cfg, reference=reference)
    out = Path(out)
    results.write_inputs(out, cfg, problem_path)

    def checkpoint(step, history):  # a long run can be watched (history.csv) as it goes
        results.save_model(out / "model.pt", setup, step)
        results.write_history(out / "history.csv", history)

    result = train.TrainResult()
    try:
        train.train(setup, progress=progress, checkpoint=checkpoint, result=result)
    except KeyboardInterrupt:
        result.stopped = "interrupted by the user"
        results.write_run(out, setup, result, problem_path, plots=plots)
        raise
    return results.write_run(out, setup, result, problem_path, plots=plots)
