"""Running a sweep: plan it, choose (or resume) its directory, execute the runs that are
not finished, and write sweep.csv, degradation.csv and the plots as they come."""

from __future__ import annotations

import json
import threading
import time
from dataclasses import asdict
from datetime import datetime
from pathlib import Path

from ...lang.diagnostics import printable
from ...lower import load
from ...runs.files import RunLock, atomic_write
from ...train.progress import format_duration
from .executors import EXECUTORS_BY_NAME, cores, import_distributed
from .plan import choose_dir, plan_runs
from .spec import EXECUTORS, FINISHED, SweepError, SweepSpec, validate
from .store import flat_row, make_row, run_status, write_csv
from .tables import print_degradation, write_results


def run_sweep(
    problem_path,
    spec: SweepSpec,
    out_dir=None,
    *,
    executor: str = "local",
    workers: int | None = None,
    threads_per_worker: int | None = None,
    address=None,
    progress: bool = True,
    console=None,
) -> list:
    """Run (or resume) a sweep and write its results; returns one row dict per run.

    ``out_dir`` None: ``runs/<problem>-sweep/<timestamp>/``, or the most recent incomplete
    sweep there with the same definition (so rerunning a command resumes it). ``executor``:
    ``local`` (spawned processes), ``dask`` (``address``: a scheduler address or a
    ``distributed.Client``; None starts a LocalCluster) or ``inline`` (this process).
    ``workers``: parallel runs (default: the number of cores); ``threads_per_worker``: torch
    threads of each run (default max(1, cores // workers); 1 on a remote Dask cluster).
    """
    if executor not in EXECUTORS:
        raise SweepError(f"executor must be one of {', '.join(EXECUTORS)}, not {executor!r}")
    if workers is not None and workers < 1:
        raise SweepError("workers must be at least 1")
    if threads_per_worker is not None and threads_per_worker < 1:
        raise SweepError("threads per worker must be at least 1")
    if executor == "dask":
        import_distributed()  # fail before anything is written
    problem_path = Path(problem_path).resolve()
    problem = load(problem_path)
    validate(spec, problem)
    n_cores = cores()
    if executor == "inline":
        workers = 1
    workers = workers or n_cores
    if threads_per_worker is None:
        threads_per_worker = (
            1 if (executor == "dask" and address is not None) else max(1, n_cores // workers)
        )
    definition, runs = plan_runs(problem_path, problem, spec, threads_per_worker)
    names = [r[0] for r in runs]
    out = choose_dir(out_dir, definition, names)
    out.mkdir(parents=True, exist_ok=True)
    lock = RunLock(out).acquire()  # one sweep per directory (its runs lock their own)
    try:
        sweep_json = out / "sweep.json"
        if not sweep_json.is_file():
            atomic_write(
                sweep_json,
                json.dumps(
                    {
                        "definition": definition,
                        "runs": names,
                        "created": datetime.now().isoformat(timespec="seconds"),
                        "spec": {**asdict(spec), "config": definition["config"]},
                    },
                    indent=2,
                    default=str,
                ),
            )

        tasks, rows, todo = {}, {}, []
        for name, values, opt, seed, cfg in runs:
            task = {
                "problem_file": str(problem_path),
                "run_dir": str((out / name).resolve()),
                "name": name,
                "params": values,
                "optimizer": opt,
                "seed": seed,
                "cfg": cfg,
                "run_plots": spec.run_plots,
            }
            tasks[name] = task
            status, metrics, error = run_status(out / name)
            rows[name] = (
                make_row(task, metrics) if metrics is not None else make_row(task, None, error)
            )
            if status not in FINISHED:
                todo.append(task)
        param_names = list(spec.params)
        write_csv(out, [rows[n] for n in names], param_names)

        n_workers = min(workers, len(todo)) or 1
        bar = _Bar(len(todo), len(names) - len(todo), out, progress, console, n_workers)
        with bar:

            def on_done(task, row):
                rows[task["name"]] = row
                write_csv(out, [rows[n] for n in names], param_names)
                bar.advance(row)

            if todo:
                EXECUTORS_BY_NAME[executor](todo, n_workers, threads_per_worker, address, on_done)
        result = [rows[n] for n in names]
        table = write_results(out, result, param_names, problem.name)
        if progress:
            print_degradation(table, param_names, bar.console)
            bar.console.print(f"sweep results in {out}")
        return [flat_row(r) for r in result]
    finally:
        lock.release()


#: Seconds between two "still running" lines when the output is not a terminal.
HEARTBEAT_S = 30.0


class _Bar:
    """Sweep progress: a rich bar over runs with done / failed counts on a terminal; on
    anything else (a log file, CI) plain lines: one per finished run, and a heartbeat every
    :data:`HEARTBEAT_S` seconds while runs are in progress. Nothing when not ``enabled``."""

    def __init__(
        self,
        total: int,
        skipped: int,
        out: Path,
        enabled: bool,
        console,
        workers: int = 1,
        heartbeat_s: float = HEARTBEAT_S,
    ):
        from rich.console import Console

        self.console = console or Console()
        self.enabled = enabled
        self.total, self.workers = total, max(1, workers)
        self.ok = self.failed = 0
        self.plain = enabled and not self.console.is_terminal
        self.heartbeat_s = heartbeat_s
        self.t0 = time.monotonic()
        self.lock = threading.Lock()
        self.stop = threading.Event()
        self.thread = None
        if not enabled:
            return
        if skipped:
            self.console.print(f"resuming {out}: {skipped} finished runs skipped")
        if self.plain:
            return
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,
            TextColumn,
            TimeElapsedColumn,
            TimeRemainingColumn,
        )
        from rich.table import Column

        fixed = Column(no_wrap=True)
        narrow = self.console.width < 100
        self.progress = Progress(
            TextColumn("[bold]sweep", table_column=fixed),
            *([] if narrow else [BarColumn(bar_width=20)]),
            MofNCompleteColumn(table_column=Column(no_wrap=True)),
            TextColumn(
                "[green]{task.fields[ok]} ok[/green] · [red]{task.fields[failed]} failed[/red]",
                table_column=Column(no_wrap=True),
            ),
            TimeElapsedColumn(table_column=Column(no_wrap=True)),
            TextColumn("eta", table_column=Column(no_wrap=True)),
            TimeRemainingColumn(table_column=Column(no_wrap=True)),
            TextColumn(
                "{task.fields[last]}",
                markup=False,
                table_column=Column(no_wrap=True, overflow="ellipsis", ratio=1, min_width=1),
            ),
            console=self.console,
            transient=False,
            expand=True,
        )
        self.task = self.progress.add_task("sweep", total=total, ok=0, failed=0, last="")

    def __enter__(self):
        if self.plain:
            self._line(f"sweep: {self.total} runs to do, {self.workers} at a time")
            if self.total and self.heartbeat_s > 0:
                self.thread = threading.Thread(target=self._beat, daemon=True)
                self.thread.start()
        elif self.enabled:
            self.progress.__enter__()
        return self

    def __exit__(self, *exc):
        if self.thread is not None:
            self.stop.set()
            self.thread.join()
        if self.plain:
            self._line(f"sweep: {self._counts()}, elapsed {format_duration(self._elapsed())}")
        elif self.enabled:
            self.progress.__exit__(*exc)

    def advance(self, row: dict) -> None:
        if row["status"] == "failed":
            self.failed += 1
        else:
            self.ok += 1
        if not self.enabled:
            return
        l2 = row.get("l2_mean")
        result = row["status"] if l2 is None else f"L2 {l2:.2e}"
        if self.plain:
            wall = row.get("wall_time_s")
            result += f", {wall:.1f} s" if isinstance(wall, (int, float)) else ""
            if row.get("error"):
                result += f" ({printable(' '.join(str(row['error']).split()))})"
            self._line(f"sweep: run {row['run_dir']} {row['status']}: {result}; {self._summary()}")
        else:
            last = f"{row['run_dir']}: {result}"
            self.progress.update(self.task, advance=1, ok=self.ok, failed=self.failed, last=last)

    # --- plain lines -------------------------------------------------------------------
    def _elapsed(self) -> float:
        return time.monotonic() - self.t0

    def _counts(self) -> str:
        return f"{self.ok + self.failed}/{self.total} done ({self.ok} ok, {self.failed} failed)"

    def _summary(self) -> str:
        done, elapsed = self.ok + self.failed, self._elapsed()
        eta = elapsed / done * (self.total - done) if done else None
        running = min(self.workers, self.total - done)
        return (
            f"{self._counts()}, {running} running, elapsed {format_duration(elapsed)}, "
            f"eta {format_duration(eta)}"
        )

    def _beat(self) -> None:
        while not self.stop.wait(self.heartbeat_s):
            self._line(f"sweep: {self._summary()}")

    def _line(self, text: str) -> None:
        with self.lock:  # the heartbeat thread and the main thread write whole lines
            try:
                self.console.file.write(text + "\n")
                self.console.file.flush()
            except (OSError, ValueError):  # a closed pipe: the sweep itself goes on
                pass
