"""Planning a sweep: every run's resolved configuration (so a mistake fails before
anything runs), the sweep's definition (what makes two sweeps the same) and its directory
(a new one, or the latest unfinished identical one: a rerun resumes it)."""

from __future__ import annotations

import hashlib
import json
from datetime import datetime
from pathlib import Path

from ... import config
from .spec import FINISHED, FORMAT, SweepError, SweepSpec, combos
from .store import run_status


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def plan_runs(problem_path: Path, problem, spec: SweepSpec, threads: int):
    """Resolve every run's configuration (so a mistake fails before anything runs).

    Returns (definition dict, [(name, params, optimizer, seed, cfg)]).
    """
    base = config.resolve(problem_path, spec.config, spec.overrides or None, problem=problem)
    optimizers = list(spec.optimizers) or [base.optimizer.name]
    runs, digest = [], hashlib.sha256()
    for name, values, opt, seed in combos(spec, optimizers):
        extra = {"params": values, "optimizer": {"name": opt}, "seed": seed}
        if spec.steps is not None:
            extra["steps"] = int(spec.steps)
        cfg = config.resolve(
            problem_path, spec.config, config.merge(spec.overrides or {}, extra), problem=problem
        )
        cfg.threads = 0
        digest.update(json.dumps([name, cfg.to_dict()], sort_keys=True, default=str).encode())
        cfg.threads = threads
        runs.append((name, values, opt, seed, cfg))
    definition = {
        "format": FORMAT,
        "problem": problem.name,
        "problem_file": str(problem_path),
        "problem_sha256": _sha256(problem_path.read_bytes()),
        "params": {k: [float(v) for v in vals] for k, vals in spec.params.items()},
        "optimizers": optimizers,
        "seeds": int(spec.seeds),
        "steps": base.steps if spec.steps is None else int(spec.steps),
        "config": str(Path(spec.config).resolve()) if spec.config else None,
        "overrides": spec.overrides or {},
        "configs_sha256": digest.hexdigest(),  # every run's resolved config, threads aside
    }
    return json.loads(json.dumps(definition, default=str)), runs


def definition_of(sweep_dir: Path) -> dict | None:
    try:
        data = json.loads((sweep_dir / "sweep.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data.get("definition") if isinstance(data, dict) else None


def _complete(sweep_dir: Path, names: list) -> bool:
    return all(run_status(sweep_dir / n)[0] in FINISHED for n in names)


def default_root(problem_name: str, root: str | Path = "runs") -> Path:
    return Path(root) / f"{problem_name}-sweep"


def choose_dir(out_dir, definition: dict, names: list) -> Path:
    """``out_dir``, or the most recent incomplete sweep with this definition, or a new one."""
    if out_dir is not None:
        out = Path(out_dir)
        found = definition_of(out)
        if found is not None and found != definition:
            diff = sorted(
                k for k in set(found) | set(definition) if found.get(k) != definition.get(k)
            )
            raise SweepError(
                f"{out} holds a different sweep (differs in: {', '.join(diff)}); "
                "choose another --out"
            )
        return out
    root = default_root(definition["problem"])
    if root.is_dir():
        for sub in sorted((p for p in root.iterdir() if p.is_dir()), reverse=True):
            if definition_of(sub) == definition and not _complete(sub, names):
                return sub
    out = root / datetime.now().strftime("%Y%m%d-%H%M%S")
    k = 1
    while out.exists():
        k += 1
        out = root / (datetime.now().strftime("%Y%m%d-%H%M%S") + f"-{k}")
    return out
