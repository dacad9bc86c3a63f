"""Parameter sweeps: the cartesian product of parameter values x optimizers x seeds.

Every combination is an ordinary :func:`mpinn.runner.solve` run directory inside the sweep
directory, named ``gamma=10/soap/seed0`` (one ``name=value`` level per swept parameter, in
the order given). Around them::

    sweep.json          the sweep's definition, written before the first run
    sweep.csv           one row per run: parameters, optimizer, seed, steps, status, wall
                        time, mean and per-field L2, final loss, error, run directory
    degradation.csv     per optimizer: median [min, max] L2 over seeds at every value of
                        the first swept parameter, and R = L2(largest) / L2(smallest value)
    plots/l2_vs_<param>.png

Runs execute in spawned worker processes on this machine (``executor="local"``), on a Dask
cluster (``executor="dask"``; ``pip install mpinn[cluster]``) or one after another in this
process (``executor="inline"``). A run that raises is recorded as failed (``error.txt`` in
its directory) and the sweep goes on; running the same sweep again skips every finished run.

The CLI imports this module on every start: beyond mpinn.config it imports only the standard
library at import time; matplotlib, rich and dask are imported when they are needed.
"""

from __future__ import annotations

import csv
import hashlib
import json
import math
import os
import statistics
import time
import traceback
from dataclasses import asdict, dataclass, field
from datetime import datetime
from pathlib import Path

from .config import ConfigError

__all__ = ["SweepSpec", "SweepError", "run_sweep", "plot_sweep", "degradation",
           "print_degradation", "read_rows", "register_cli"]

EXECUTORS = ("local", "dask", "inline")
FORMAT = "mpinn-sweep-1"
# Columns of sweep.csv around the swept parameters (which follow "run_dir").
_HEAD = ("run_dir",)
_FIXED = ("optimizer", "seed", "steps", "status", "wall_time_s", "l2_mean")
_TAIL = ("final_loss", "error")
FINISHED = ("ok", "stopped")  # statuses a rerun skips


class SweepError(ConfigError):
    """A sweep definition or directory the user can fix (the CLI exits with code 2)."""


@dataclass
class SweepSpec:
    """What to run: ``params`` x ``optimizers`` x seeds ``0 .. seeds-1``.

    ``params``: swept problem parameters and their values, in order (the first one is the
    axis of the degradation table). ``optimizers``: schedule names (``soap``, ``adam``,
    ``soap+lbfgs`` ...); empty = the configured optimizer. ``steps``: None = configured.
    ``config``: a YAML config file; ``overrides``: nested config overrides (as for
    :func:`mpinn.config.resolve`), applied to every run. ``run_plots``: draw each run's own
    plots (``mpinn plot RUN_DIR`` redraws them later if off).
    """

    params: dict = field(default_factory=dict)
    optimizers: list = field(default_factory=list)
    seeds: int = 1
    steps: int | None = None
    config: str | None = None
    overrides: dict = field(default_factory=dict)
    run_plots: bool = True


# --- planning ----------------------------------------------------------------------------
def fmt_value(v: float) -> str:
    """A parameter value as written in run-directory names: exact and short."""
    v = float(v)
    if v.is_integer() and abs(v) < 1e15:
        return str(int(v))
    return repr(v)


def _combos(spec: SweepSpec, optimizers: list) -> list:
    """[(run name, {param: value}, optimizer, seed)] in a fixed order."""
    combos = [((), {})]
    for name, values in spec.params.items():
        combos = [(parts + (f"{name}={fmt_value(v)}",), {**vals, name: float(v)})
                  for parts, vals in combos for v in values]
    out = []
    for parts, vals in combos:
        for opt in optimizers:
            for seed in range(spec.seeds):
                out.append(("/".join(parts + (opt, f"seed{seed}")), vals, opt, seed))
    return out


def _validate(spec: SweepSpec, problem) -> None:
    if not isinstance(spec.params, dict):
        raise SweepError("params must map parameter names to lists of values")
    for name, values in spec.params.items():
        if name not in problem.params:
            from .lang.diagnostics import did_you_mean

            hint = did_you_mean(name, problem.params) or \
                f"parameters: {', '.join(problem.params) or 'none'}"
            raise SweepError(f"'{problem.name}' has no parameter '{name}' ({hint})")
        if name in _HEAD + _FIXED + _TAIL:
            raise SweepError(f"cannot sweep a parameter named '{name}': the name is taken by "
                             "a column of sweep.csv")
        if not values:
            raise SweepError(f"no values given for parameter '{name}'")
        for v in values:
            if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v):
                raise SweepError(f"parameter '{name}': values must be finite numbers, got {v!r}")
        if len({float(v) for v in values}) != len(values):
            raise SweepError(f"parameter '{name}': repeated values in {list(values)}")
    fixed = set((spec.overrides or {}).get("params") or {}) & set(spec.params)
    if fixed:
        raise SweepError(f"'{sorted(fixed)[0]}' is both swept and set to a fixed value")
    if int(spec.seeds) != spec.seeds or spec.seeds < 1:
        raise SweepError(f"seeds must be a positive integer, got {spec.seeds!r}")
    if spec.steps is not None and (int(spec.steps) != spec.steps or spec.steps < 0):
        raise SweepError(f"steps must be a non-negative integer, got {spec.steps!r}")
    if len(set(spec.optimizers)) != len(spec.optimizers):
        raise SweepError(f"repeated optimizers in {spec.optimizers}")
    if spec.optimizers:
        from .optim import parse_schedule

        for name in spec.optimizers:
            try:
                parse_schedule(name)
            except ValueError as exc:
                raise SweepError(str(exc)) from None
            if "/" in name or name.startswith("seed"):
                raise SweepError(f"optimizer name {name!r} cannot be a directory name")


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _plan(problem_path: Path, problem, spec: SweepSpec, threads: int):
    """Resolve every run's configuration (so a mistake fails before anything runs).

    Returns (definition dict, [(name, params, optimizer, seed, cfg)]).
    """
    from . import config

    base = config.resolve(problem_path, spec.config, spec.overrides or None)
    optimizers = list(spec.optimizers) or [base.optimizer.name]
    runs, digest = [], hashlib.sha256()
    for name, values, opt, seed in _combos(spec, optimizers):
        extra = {"params": values, "optimizer": {"name": opt}, "seed": seed}
        if spec.steps is not None:
            extra["steps"] = int(spec.steps)
        cfg = config.resolve(problem_path, spec.config,
                             config.merge(spec.overrides or {}, extra))
        cfg.threads = 0
        digest.update(json.dumps([name, cfg.to_dict()], sort_keys=True,
                                 default=str).encode())
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


def _definition_of(sweep_dir: Path) -> dict | None:
    try:
        data = json.loads((sweep_dir / "sweep.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data.get("definition") if isinstance(data, dict) else None


def _complete(sweep_dir: Path, names: list) -> bool:
    return all(_status(sweep_dir / n)[0] in FINISHED for n in names)


def default_root(problem_name: str, root: str | Path = "runs") -> Path:
    return Path(root) / f"{problem_name}-sweep"


def _choose_dir(out_dir, definition: dict, names: list) -> Path:
    """``out_dir``, or the most recent incomplete sweep with this definition, or a new one."""
    if out_dir is not None:
        out = Path(out_dir)
        found = _definition_of(out)
        if found is not None and found != definition:
            diff = sorted(k for k in set(found) | set(definition)
                          if found.get(k) != definition.get(k))
            raise SweepError(f"{out} holds a different sweep (differs in: {', '.join(diff)}); "
                             "choose another --out")
        return out
    root = default_root(definition["problem"])
    if root.is_dir():
        for sub in sorted((p for p in root.iterdir() if p.is_dir()), reverse=True):
            if _definition_of(sub) == definition and not _complete(sub, names):
                return sub
    out = root / datetime.now().strftime("%Y%m%d-%H%M%S")
    k = 1
    while out.exists():
        k += 1
        out = root / (datetime.now().strftime("%Y%m%d-%H%M%S") + f"-{k}")
    return out


# --- one run (executed in a worker) -------------------------------------------------------
def _init_worker(threads: int) -> None:
    """Process-pool initializer: pin the thread pools before torch starts any."""
    for var in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
        os.environ[var] = str(threads)
    import torch

    torch.set_num_threads(threads)


def run_task(task: dict) -> dict:
    """Execute one run; never raises for a failing run (the row says ``failed``).

    ``task``: {"problem_file", "run_dir", "name", "params", "optimizer", "seed", "cfg"
    (a SolveConfig), "run_plots"} — plain picklable values, so the same task goes to a
    process pool or to a Dask worker.
    """
    from . import runner

    run_dir = Path(task["run_dir"])
    run_dir.mkdir(parents=True, exist_ok=True)
    for stale in ("metrics.json", "error.txt"):
        (run_dir / stale).unlink(missing_ok=True)
    start = time.perf_counter()
    try:
        metrics = runner.solve(task["problem_file"], task["cfg"], run_dir,
                               plots=task.get("run_plots", True))
    except Exception as exc:  # noqa: BLE001 - every failure is recorded, the sweep goes on
        error = f"{type(exc).__name__}: {exc}"
        (run_dir / "error.txt").write_text(traceback.format_exc(), encoding="utf-8")
        return _row(task, None, error, time.perf_counter() - start)
    return _row(task, metrics)


def _final_loss(metrics: dict):
    values = list((metrics.get("final_losses") or {}).values())
    if not values or any(v is None for v in values):
        return None
    return float(sum(values))


def _row(task: dict, metrics: dict | None, error: str = "", wall: float | None = None) -> dict:
    row = {"run_dir": task["name"], **task["params"], "optimizer": task["optimizer"],
           "seed": task["seed"]}
    if metrics is None:
        row.update(steps=task["cfg"].steps if task.get("cfg") is not None else None,
                   status="failed" if error else "pending", wall_time_s=wall, l2_mean=None,
                   l2={}, final_loss=None, error=error)
        return row
    stopped = metrics.get("stopped")
    row.update(steps=metrics.get("steps"), status="stopped" if stopped else "ok",
               wall_time_s=metrics.get("wall_time_s"), l2_mean=metrics.get("l2_mean"),
               l2=dict(metrics.get("l2") or {}), final_loss=_final_loss(metrics),
               error=stopped or "")
    return row


def _status(run_dir: Path) -> tuple:
    """(status, metrics or None, error text) of a run directory on disk."""
    try:
        metrics = json.loads((run_dir / "metrics.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        metrics = None
    if metrics is not None:
        stopped = metrics.get("stopped") or ""
        if stopped.startswith("interrupted"):
            return "pending", None, ""
        return ("stopped" if stopped else "ok"), metrics, stopped
    err = run_dir / "error.txt"
    if err.is_file():
        lines = [ln for ln in err.read_text(encoding="utf-8").strip().splitlines() if ln]
        return "failed", None, lines[-1] if lines else "failed"
    return "pending", None, ""


# --- executors ----------------------------------------------------------------------------
def _execute_inline(tasks, workers, threads, address, on_done):
    for task in tasks:
        on_done(task, run_task(task))


def _execute_local(tasks, workers, threads, address, on_done):
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor, as_completed

    pool = ProcessPoolExecutor(max_workers=workers, initializer=_init_worker,
                               initargs=(threads,),
                               mp_context=multiprocessing.get_context("spawn"))
    try:
        futures = {pool.submit(run_task, t): t for t in tasks}
        for fut in as_completed(futures):
            task = futures[fut]
            try:
                row = fut.result()
            except Exception as exc:  # noqa: BLE001 - e.g. a worker killed for memory
                row = _crashed(task, exc)
            on_done(task, row)
    except BaseException:  # Ctrl-C: stop now; the interrupted runs stay pending
        if hasattr(pool, "terminate_workers"):  # Python >= 3.14
            pool.terminate_workers()
        else:
            procs = list((getattr(pool, "_processes", None) or {}).values())
            pool.shutdown(wait=False, cancel_futures=True)
            for proc in procs:
                proc.terminate()
        raise
    pool.shutdown(wait=True)


def _crashed(task: dict, exc: BaseException) -> dict:
    error = f"{type(exc).__name__}: {exc}"
    try:
        Path(task["run_dir"]).mkdir(parents=True, exist_ok=True)
        (Path(task["run_dir"]) / "error.txt").write_text(error + "\n", encoding="utf-8")
    except OSError:
        pass
    return _row(task, None, error)


def _import_distributed():
    try:
        import distributed
    except ImportError:
        raise SweepError("the dask executor needs dask.distributed, which is not installed: "
                         "pip install 'mpinn[cluster]'") from None
    return distributed


def _execute_dask(tasks, workers, threads, address, on_done):
    distributed = _import_distributed()
    Client, LocalCluster, as_completed = (distributed.Client, distributed.LocalCluster,
                                          distributed.as_completed)
    cluster = None
    if address is None:
        env = {v: str(threads) for v in ("OMP_NUM_THREADS", "MKL_NUM_THREADS",
                                         "OPENBLAS_NUM_THREADS")}
        cluster = LocalCluster(n_workers=workers, threads_per_worker=1, processes=True,
                               dashboard_address=None, env=env)
        client = Client(cluster)
    elif isinstance(address, str):
        client = Client(address)
    else:  # a distributed.Client (API use)
        client = address
    try:
        futures = {}
        for t in tasks:
            fut = client.submit(run_task, t, pure=False,
                                key=f"mpinn-run-{t['name']}-{os.getpid()}-{time.time_ns()}")
            futures[fut] = t
        for fut in as_completed(list(futures)):
            task = futures[fut]
            try:
                row = fut.result()
            except Exception as exc:  # noqa: BLE001 - e.g. KilledWorker
                row = _crashed(task, exc)
            on_done(task, row)
    except BaseException:
        client.cancel(list(futures))
        raise
    finally:
        if client is not address:
            client.close()
        if cluster is not None:
            cluster.close()


_EXECUTE = {"inline": _execute_inline, "local": _execute_local, "dask": _execute_dask}


def _cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not Linux
        return os.cpu_count() or 1


# --- the sweep ----------------------------------------------------------------------------
def run_sweep(problem_path, spec: SweepSpec, out_dir=None, *, executor: str = "local",
              workers: int | None = None, threads_per_worker: int | None = None,
              address=None, progress: bool = True, console=None) -> list:
    """Run (or resume) a sweep and write its results; returns one row dict per run.

    ``out_dir`` None: ``runs/<problem>-sweep/<timestamp>/``, or the most recent incomplete
    sweep there with the same definition (so rerunning a command resumes it). ``executor``:
    ``local`` (spawned processes), ``dask`` (``address``: a scheduler address or a
    ``distributed.Client``; None starts a LocalCluster) or ``inline`` (this process).
    ``workers``: parallel runs (default: the number of cores); ``threads_per_worker``: torch
    threads of each run (default max(1, cores // workers); 1 on a remote Dask cluster).
    """
    from .symbolic import load

    if executor not in EXECUTORS:
        raise SweepError(f"executor must be one of {', '.join(EXECUTORS)}, not {executor!r}")
    if workers is not None and workers < 1:
        raise SweepError("workers must be at least 1")
    if threads_per_worker is not None and threads_per_worker < 1:
        raise SweepError("threads per worker must be at least 1")
    if executor == "dask":
        _import_distributed()  # fail before anything is written
    problem_path = Path(problem_path).resolve()
    problem = load(problem_path)
    _validate(spec, problem)
    cores = _cores()
    if executor == "inline":
        workers = 1
    workers = workers or cores
    if threads_per_worker is None:
        threads_per_worker = 1 if (executor == "dask" and address is not None) else \
            max(1, cores // workers)
    definition, runs = _plan(problem_path, problem, spec, threads_per_worker)
    names = [r[0] for r in runs]
    out = _choose_dir(out_dir, definition, names)
    out.mkdir(parents=True, exist_ok=True)
    sweep_json = out / "sweep.json"
    if not sweep_json.is_file():
        sweep_json.write_text(json.dumps({
            "definition": definition, "runs": names,
            "created": datetime.now().isoformat(timespec="seconds"),
            "spec": {**asdict(spec), "config": definition["config"]},
        }, indent=2, default=str), encoding="utf-8")

    tasks, rows, todo = {}, {}, []
    for name, values, opt, seed, cfg in runs:
        task = {"problem_file": str(problem_path), "run_dir": str((out / name).resolve()),
                "name": name, "params": values, "optimizer": opt, "seed": seed, "cfg": cfg,
                "run_plots": spec.run_plots}
        tasks[name] = task
        status, metrics, error = _status(out / name)
        rows[name] = _row(task, metrics) if metrics is not None else _row(task, None, error)
        if status not in FINISHED:
            todo.append(task)
    param_names = list(spec.params)
    _write_csv(out, [rows[n] for n in names], param_names)

    bar = _Bar(len(todo), len(names) - len(todo), out, progress, console)
    with bar:
        def on_done(task, row):
            rows[task["name"]] = row
            _write_csv(out, [rows[n] for n in names], param_names)
            bar.advance(row)

        if todo:
            _EXECUTE[executor](todo, min(workers, len(todo)), threads_per_worker, address,
                               on_done)
    result = [rows[n] for n in names]
    table = write_results(out, result, param_names, problem.name)
    if progress:
        print_degradation(table, param_names, bar.console)
        bar.console.print(f"sweep results in {out}")
    return [_flat(r) for r in result]


class _Bar:
    """A rich progress bar over runs with done / failed counts (or nothing)."""

    def __init__(self, total: int, skipped: int, out: Path, enabled: bool, console):
        from rich.console import Console

        self.console = console or Console()
        self.enabled = enabled
        self.ok = self.failed = 0
        if enabled:
            from rich.progress import (BarColumn, MofNCompleteColumn, Progress, TextColumn,
                                       TimeElapsedColumn, TimeRemainingColumn)

            if skipped:
                self.console.print(f"resuming {out}: {skipped} finished runs skipped")
            self.progress = Progress(
                TextColumn("[bold]sweep"), BarColumn(), MofNCompleteColumn(),
                TextColumn("[green]{task.fields[ok]} ok[/green] · "
                           "[red]{task.fields[failed]} failed[/red]"),
                TimeElapsedColumn(), TextColumn("eta"), TimeRemainingColumn(),
                TextColumn("{task.fields[last]}"), console=self.console, transient=False)
            self.task = self.progress.add_task("sweep", total=total, ok=0, failed=0, last="")

    def __enter__(self):
        if self.enabled:
            self.progress.__enter__()
        return self

    def __exit__(self, *exc):
        if self.enabled:
            self.progress.__exit__(*exc)

    def advance(self, row: dict) -> None:
        if row["status"] == "failed":
            self.failed += 1
        else:
            self.ok += 1
        if self.enabled:
            l2 = row.get("l2_mean")
            last = f"{row['run_dir']}: " + (row["status"] if l2 is None else f"L2 {l2:.2e}")
            self.progress.update(self.task, advance=1, ok=self.ok, failed=self.failed,
                                 last=last)


# --- results ------------------------------------------------------------------------------
def _flat(row: dict) -> dict:
    """A row with per-field L2 as ``l2[field]`` keys (as in sweep.csv)."""
    out = {k: v for k, v in row.items() if k != "l2"}
    tail = {k: out.pop(k) for k in _TAIL}
    out.update({f"l2[{f}]": v for f, v in row.get("l2", {}).items()})
    out.update(tail)
    return out


def _write_csv(out: Path, rows: list, param_names: list) -> Path:
    fields: list = []
    for r in rows:
        fields += [f for f in r.get("l2", {}) if f not in fields]
    cols = list(_HEAD) + param_names + list(_FIXED) + [f"l2[{f}]" for f in fields] + \
        list(_TAIL)
    path = out / "sweep.csv"
    tmp = path.with_suffix(".csv.tmp")
    with open(tmp, "w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=cols)
        writer.writeheader()
        for r in rows:
            flat = _flat(r)
            writer.writerow({c: "" if flat.get(c) is None else flat.get(c) for c in cols})
    tmp.replace(path)
    return path


def _num(text: str):
    if text in ("", None):
        return None
    try:
        return float(text)
    except ValueError:
        return None


def read_rows(sweep_dir) -> tuple:
    """(rows, swept parameter names) from a sweep directory's sweep.csv.

    Numbers come back as floats (seed and steps as ints), empty cells as None.
    """
    with open(Path(sweep_dir) / "sweep.csv", newline="", encoding="utf-8") as fh:
        reader = csv.DictReader(fh)
        cols = reader.fieldnames or []
        raw = list(reader)
    params = cols[len(_HEAD):cols.index("optimizer")] if "optimizer" in cols else []
    rows = []
    for r in raw:
        row = dict(r)
        for c in cols:
            if c in params or c in ("wall_time_s", "l2_mean", "final_loss") or \
                    c.startswith("l2["):
                row[c] = _num(r[c])
            elif c in ("seed", "steps"):
                row[c] = int(r[c]) if r[c] not in ("", None) else None
        rows.append(row)
    return rows, params


def _median(xs):
    return statistics.median(xs) if xs else None


def degradation(rows: list, param_names: list) -> list:
    """The degradation table: one dict per optimizer (and combination of the other params).

    For every value v of the first swept parameter: ``l2@<p>=<v>`` the median of the mean
    L2 over seeds, ``l2_min@...`` / ``l2_max@...`` its spread; ``R`` = median L2 at the
    largest value / median L2 at the smallest; ``R_min`` / ``R_max`` the spread of the
    per-seed ratios. Runs that failed (no L2) are left out; ``runs`` counts those used.
    """
    if not param_names:
        return []
    first, others = param_names[0], param_names[1:]
    values = sorted({r[first] for r in rows if r.get(first) is not None})
    groups: dict = {}
    for r in rows:
        key = (r["optimizer"],) + tuple(r.get(p) for p in others)
        groups.setdefault(key, []).append(r)
    table = []
    for key, group in groups.items():
        entry = {"optimizer": key[0], **dict(zip(others, key[1:]))}
        used = [r for r in group if r.get("l2_mean") is not None]
        by_value = {v: {r["seed"]: r["l2_mean"] for r in used if r[first] == v} for v in values}
        for v in values:
            xs = list(by_value[v].values())
            tag = f"{first}={fmt_value(v)}"
            entry[f"l2@{tag}"] = _median(xs)
            entry[f"l2_min@{tag}"] = min(xs) if xs else None
            entry[f"l2_max@{tag}"] = max(xs) if xs else None
        lo, hi = (by_value[values[0]], by_value[values[-1]]) if values else ({}, {})
        med_lo, med_hi = _median(list(lo.values())), _median(list(hi.values()))
        entry["R"] = med_hi / med_lo if med_lo and med_hi is not None else None
        ratios = [hi[s] / lo[s] for s in hi if s in lo and lo[s]]
        entry["R_min"] = min(ratios) if ratios else None
        entry["R_max"] = max(ratios) if ratios else None
        entry["runs"] = len(used)
        entry["runs_failed"] = len(group) - len(used)
        table.append(entry)
    return table


def write_degradation(out: Path, table: list) -> Path:
    path = Path(out) / "degradation.csv"
    cols: list = []
    for e in table:
        cols += [c for c in e if c not in cols]
    with open(path, "w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=cols or ["optimizer"])
        writer.writeheader()
        for e in table:
            writer.writerow({c: "" if e.get(c) is None else e.get(c) for c in cols})
    return path


def print_degradation(table: list, param_names: list, console=None) -> None:
    """The degradation table with rich: median [min–max] L2 per value, and R."""
    from rich.console import Console
    from rich.table import Table

    console = console or Console()
    if not table:
        return
    first, others = param_names[0], param_names[1:]
    tags = [c[3:] for c in table[0] if c.startswith("l2@")]
    t = Table(title=f"L2 (mean over fields) vs {first}: median [min–max] over seeds; "
                    f"R = L2(largest {first}) / L2(smallest)")
    t.add_column("optimizer")
    for p in others:
        t.add_column(p, justify="right")
    for tag in tags:
        t.add_column(tag, justify="right")
    t.add_column("R", justify="right")

    def g(x):
        return "—" if x is None else f"{x:.2e}"

    for e in table:
        cells = [e["optimizer"]] + [fmt_value(e[p]) if e[p] is not None else "—"
                                    for p in others]
        for tag in tags:
            med, lo, hi = e[f"l2@{tag}"], e[f"l2_min@{tag}"], e[f"l2_max@{tag}"]
            cells.append(g(med) if med is None or lo == hi else f"{g(med)} [{g(lo)}–{g(hi)}]")
        r = "—" if e["R"] is None else f"{e['R']:.3g}"
        if e["R_min"] is not None and e["R_min"] != e["R_max"]:
            r += f" [{e['R_min']:.3g}–{e['R_max']:.3g}]"
        cells.append(r)
        t.add_row(*cells)
    console.print(t)


def write_results(out, rows: list, param_names: list, problem_name: str = "") -> list:
    """sweep.csv, degradation.csv and the plots; returns the degradation table."""
    out = Path(out)
    _write_csv(out, rows, param_names)
    table = degradation([_flat(r) for r in rows], param_names)
    write_degradation(out, table)
    plot_sweep(out, title=problem_name)
    return table


def plot_sweep(sweep_dir, title: str = "") -> list:
    """(Re)draw ``plots/l2_vs_<param>.png`` from sweep.csv; returns the written paths.

    One plot per swept parameter: the mean L2 against the parameter, one line per optimizer
    (and per combination of the other swept parameters), the median over seeds with a band
    from the min to the max. Log-log where every value is positive.
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    sweep_dir = Path(sweep_dir)
    rows, params = read_rows(sweep_dir)
    if not title:
        definition = _definition_of(sweep_dir) or {}
        title = definition.get("problem", "")
    rows = [r for r in rows if r.get("l2_mean") is not None]
    paths: list = []
    if not params or not rows:
        return paths
    (sweep_dir / "plots").mkdir(exist_ok=True)
    for p in params:
        others = [q for q in params if q != p]
        lines: dict = {}
        for r in rows:
            key = (r["optimizer"],) + tuple(r[q] for q in others)
            lines.setdefault(key, {}).setdefault(r[p], []).append(r["l2_mean"])
        fig, ax = plt.subplots(figsize=(6, 4.2))
        nseeds = max(len(v) for line in lines.values() for v in line.values())
        for key, pts in lines.items():
            xs = sorted(pts)
            med = [statistics.median(pts[x]) for x in xs]
            label = key[0] + "".join(f", {q}={fmt_value(v)}" for q, v in zip(others, key[1:]))
            (ln,) = ax.plot(xs, med, "o-", label=label)
            if nseeds > 1:
                ax.fill_between(xs, [min(pts[x]) for x in xs], [max(pts[x]) for x in xs],
                                color=ln.get_color(), alpha=0.2, lw=0)
        if all(r[p] > 0 for r in rows):
            ax.set_xscale("log")
        if all(r["l2_mean"] > 0 for r in rows):
            ax.set_yscale("log")
        ax.set_xlabel(p)
        ax.set_ylabel("relative L2 (mean over fields)")
        band = f"median of {nseeds} seeds, band min–max" if nseeds > 1 else "one seed"
        ax.set_title(f"{title + ': ' if title else ''}L2 vs {p} ({band})", fontsize=10)
        ax.grid(True, which="both", alpha=0.3)
        ax.legend(fontsize=8)
        fig.tight_layout()
        path = sweep_dir / "plots" / f"l2_vs_{p}.png"
        fig.savefig(path, dpi=110)
        plt.close(fig)
        paths.append(path)
    return paths


# --- command line -------------------------------------------------------------------------
def parse_param(text: str) -> tuple:
    """``gamma=1,3,10`` -> ("gamma", [1.0, 3.0, 10.0])."""
    from .cli import UsageError

    if "=" not in text:
        raise UsageError(f"--param expects NAME=V1,V2,..., got '{text}'")
    name, raw = (s.strip() for s in text.split("=", 1))
    values = []
    for item in raw.split(","):
        item = item.strip()
        try:
            v = float(item)
        except ValueError:
            raise UsageError(f"--param {name}: '{item}' is not a number") from None
        if not math.isfinite(v):
            raise UsageError(f"--param {name}: '{item}' is not a finite number")
        values.append(v)
    if not name or not values:
        raise UsageError(f"--param expects NAME=V1,V2,..., got '{text}'")
    return name, values


def cmd_sweep(args, console) -> int:
    from .cli import UsageError, overrides_from_args, problem_path
    from .symbolic import load

    path = problem_path(args.file)
    problem = load(path)
    params: dict = {}
    for item in args.param or []:
        name, values = parse_param(item)
        if name in params:
            raise UsageError(f"--param {name} given twice")
        if name not in problem.params:
            from .lang.diagnostics import did_you_mean

            hint = did_you_mean(name, problem.params) or \
                f"parameters: {', '.join(problem.params) or 'none'}"
            raise UsageError(f"--param {name}: '{problem.name}' has no parameter '{name}' "
                             f"({hint})")
        params[name] = values
    overrides = overrides_from_args(args, problem)
    steps = overrides.pop("steps", None)
    threads = overrides.pop("threads", None)
    optimizers = [s.strip() for s in (args.optimizer or "").split(",") if s.strip()]
    if args.seeds < 1:
        raise UsageError("--seeds must be at least 1")
    if args.address and args.executor != "dask":
        raise UsageError("--address needs --executor dask")
    spec = SweepSpec(params=params, optimizers=optimizers, seeds=args.seeds, steps=steps,
                     config=args.config, overrides=overrides,
                     run_plots=not args.no_run_plots)
    try:
        rows = run_sweep(path, spec, args.out, executor=args.executor, workers=args.workers,
                         threads_per_worker=args.threads_per_worker or threads,
                         address=args.address, progress=not args.quiet, console=console)
    except KeyboardInterrupt:
        console.print("[red]interrupted[/red]; run the same command again to resume")
        return 130
    failed = [r for r in rows if r["status"] == "failed"]
    for r in failed:
        console.print(f"[red]failed[/red] {r['run_dir']}: {r['error']}", highlight=False)
    return 1 if failed else 0


def register_cli(subparsers) -> None:
    from .cli import add_solve_options

    p = subparsers.add_parser(
        "sweep", help="run a problem over parameter values x optimizers x seeds",
        description="Every combination is a run directory under the sweep directory; "
                    "sweep.csv, degradation.csv and plots/ summarise them. Rerunning the "
                    "same command resumes an interrupted sweep.")
    p.add_argument("file", help="problem file (.mp) or shipped problem name")
    p.add_argument("--param", action="append", metavar="NAME=V1,V2,...",
                   help="a swept parameter and its values (repeatable; the first is the "
                        "axis of the degradation table)")
    p.add_argument("--optimizer", metavar="OPT1,OPT2",
                   help="optimizer schedules, comma separated (default: the configured one)")
    p.add_argument("--seeds", type=int, default=1, help="seeds 0 .. N-1 (default 1)")
    add_solve_options(p, sweep=True)
    p.add_argument("--workers", type=int, help="parallel runs (default: number of cores)")
    p.add_argument("--threads-per-worker", type=int,
                   help="torch threads per run (default: cores // workers)")
    p.add_argument("--executor", choices=EXECUTORS, default="local",
                   help="local: processes on this machine; dask: a Dask cluster; "
                        "inline: one after another in this process")
    p.add_argument("--address", help="Dask scheduler address, e.g. tcp://host:8786 "
                                     "(default with --executor dask: a local cluster)")
    p.add_argument("--out", help="sweep directory (default runs/<problem>-sweep/<timestamp>/, "
                                 "or the latest unfinished identical sweep there)")
    p.add_argument("--no-run-plots", action="store_true",
                   help="skip each run's own plots (redraw with mpinn plot RUN_DIR)")
    p.add_argument("--quiet", action="store_true", help="no progress bar or table")
    p.set_defaults(run=cmd_sweep)
