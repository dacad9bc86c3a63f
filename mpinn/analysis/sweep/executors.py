"""Where the runs of a sweep execute: in spawned worker processes on this machine
(``local``), on a Dask cluster (``dask``) or one after another in this process
(``inline``). Each executor calls ``on_done(task, row)`` as runs finish; a run that fails
is recorded, never raised."""

from __future__ import annotations

import os
import signal
import threading
import time
import traceback
from pathlib import Path

from .spec import SweepError
from .store import make_row


def _init_worker(threads: int) -> None:
    """Process-pool initializer: pin the thread pools before torch starts any, and tie the
    worker's life to the sweep's (see :func:`die_with_parent`)."""
    for var in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
        os.environ[var] = str(threads)
    die_with_parent()
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # idle: the sweep process decides
    import torch

    torch.set_num_threads(threads)


def die_with_parent() -> None:
    """Ask Linux to send this process SIGTERM when its parent dies, however it dies
    (``prctl(PR_SET_PDEATHSIG)``), so a killed sweep leaves no worker training on; a run
    then saves its state and stops like any run told to stop. Elsewhere a watchdog thread
    notices the new parent process id."""
    parent = os.getppid()
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        if libc.prctl(1, int(signal.SIGTERM), 0, 0, 0) == 0:  # 1 = PR_SET_PDEATHSIG
            if os.getppid() != parent:  # the parent died before the call
                os.kill(os.getpid(), signal.SIGTERM)
            return
    except (OSError, AttributeError):  # pragma: no cover - not Linux
        pass

    def watch():  # pragma: no cover - not Linux
        while os.getppid() == parent:
            time.sleep(1.0)
        os.kill(os.getpid(), signal.SIGTERM)

    threading.Thread(target=watch, daemon=True).start()


def run_task(task: dict) -> dict:
    """Execute one run; never raises for a failing run (the row says ``failed``).

    ``task``: {"problem_file", "run_dir", "name", "params", "optimizer", "seed", "cfg"
    (a SolveConfig), "run_plots"} — plain picklable values, so the same task goes to a
    process pool or to a Dask worker. A run directory holding the saved state of an
    interrupted run is resumed (:func:`mpinn.runs.resume`), anything else starts afresh.
    SIGINT/SIGTERM/SIGHUP during the run pause it with its state saved (row ``pending``).
    """
    from ...runs import RunDirError, resume, solve  # torch: imported in the worker
    from ...runs.signals import StopSignals

    run_dir = Path(task["run_dir"])
    start = time.perf_counter()
    plots = task.get("run_plots", True)
    try:
        with StopSignals() as signals:
            metrics = None
            if resumable(run_dir):
                try:
                    metrics = resume(run_dir, plots=plots, should_stop=signals.requested)
                except RunDirError:  # e.g. finished, or a state from an older mpinn
                    metrics = None
            if metrics is None:
                metrics = solve(
                    task["problem_file"],
                    task["cfg"],
                    run_dir,
                    plots=plots,
                    overwrite=True,
                    should_stop=signals.requested,
                )
    except Exception as exc:  # noqa: BLE001 - every failure is recorded, the sweep goes on
        error = f"{type(exc).__name__}: {exc}"
        try:
            run_dir.mkdir(parents=True, exist_ok=True)
            (run_dir / "error.txt").write_text(traceback.format_exc(), encoding="utf-8")
        except OSError:
            pass
        return make_row(task, None, error, time.perf_counter() - start)
    if metrics.get("interrupted"):  # pending: the next run of the sweep resumes it
        return {**make_row(task, None, "", time.perf_counter() - start), "interrupted": True}
    return make_row(task, metrics)


def run_task_in_worker(task: dict) -> dict:
    """:func:`run_task` in a pool worker process. A run paused by a signal means the sweep
    is stopping (or its process died): the worker leaves as soon as the run is saved,
    rather than go back to wait for work on a queue whose other end may be gone."""
    row = run_task(task)
    if row.get("interrupted"):
        os._exit(128 + int(signal.SIGTERM))
    return row


def resumable(run_dir: Path) -> bool:
    """Whether ``run_dir`` holds an interrupted run to continue."""
    import json

    if not (run_dir / "state.pt").is_file() or (run_dir / "error.txt").is_file():
        return False
    try:
        status = json.loads((run_dir / "metrics.json").read_text(encoding="utf-8"))["status"]
    except (OSError, ValueError, KeyError, TypeError):
        return True  # killed between checkpoints: the state is there, metrics are not
    return status == "interrupted"


# --- executors ----------------------------------------------------------------------------
def _execute_inline(tasks, workers, threads, address, on_done):
    from ...runs.signals import SignalExit

    for task in tasks:
        row = run_task(task)
        on_done(task, row)
        if row.get("interrupted"):  # the signal that paused the run stops the sweep
            raise SignalExit("SIGINT")


def _execute_local(tasks, workers, threads, address, on_done):
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor, as_completed

    pool = ProcessPoolExecutor(
        max_workers=workers,
        initializer=_init_worker,
        initargs=(threads,),
        mp_context=multiprocessing.get_context("spawn"),
    )
    try:
        futures = {pool.submit(run_task_in_worker, t): t for t in tasks}
        for fut in as_completed(futures):
            task = futures[fut]
            try:
                row = fut.result()
            except Exception as exc:  # noqa: BLE001 - e.g. a worker killed for memory
                row = crashed(task, exc)
            on_done(task, row)
    except BaseException:  # a signal: the workers save their runs' state and stop
        stop_workers(pool)
        raise
    pool.shutdown(wait=True)


def stop_workers(pool, grace_s: float = 120.0) -> None:
    """SIGTERM every worker (each saves its run's state and results, then exits) and wait
    for them, killing any still there after ``grace_s``: no worker outlives the sweep."""
    procs = list((getattr(pool, "_processes", None) or {}).values())
    pool.shutdown(wait=False, cancel_futures=True)
    for proc in procs:
        if proc.is_alive():
            proc.terminate()
    deadline = time.monotonic() + grace_s
    for proc in procs:
        proc.join(max(0.0, deadline - time.monotonic()))
        if proc.is_alive():
            proc.kill()
            proc.join(5.0)


def crashed(task: dict, exc: BaseException) -> dict:
    error = f"{type(exc).__name__}: {exc}"
    try:
        Path(task["run_dir"]).mkdir(parents=True, exist_ok=True)
        (Path(task["run_dir"]) / "error.txt").write_text(error + "\n", encoding="utf-8")
    except OSError:
        pass
    return make_row(task, None, error)


def import_distributed():
    try:
        import distributed
    except ImportError:
        raise SweepError(
            "the dask executor needs dask.distributed, which is not installed: "
            "pip install 'mpinn[cluster]'"
        ) from None
    return distributed


def _execute_dask(tasks, workers, threads, address, on_done):
    distributed = import_distributed()
    Client, LocalCluster, as_completed = (
        distributed.Client,
        distributed.LocalCluster,
        distributed.as_completed,
    )
    cluster = None
    if address is None:
        env = {
            v: str(threads) for v in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS")
        }
        cluster = LocalCluster(
            n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=None, env=env
        )
        client = Client(cluster)
    elif isinstance(address, str):
        client = Client(address)
    else:  # a distributed.Client (API use)
        client = address
    try:
        futures = {}
        for t in tasks:
            fut = client.submit(
                run_task, t, pure=False, key=f"mpinn-run-{t['name']}-{os.getpid()}-{time.time_ns()}"
            )
            futures[fut] = t
        for fut in as_completed(list(futures)):
            task = futures[fut]
            try:
                row = fut.result()
            except Exception as exc:  # noqa: BLE001 - e.g. KilledWorker
                row = crashed(task, exc)
            on_done(task, row)
    except BaseException:
        client.cancel(list(futures))
        raise
    finally:
        if client is not address:
            client.close()
        if cluster is not None:
            cluster.close()


EXECUTORS_BY_NAME = {"inline": _execute_inline, "local": _execute_local, "dask": _execute_dask}


def cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not Linux
        return os.cpu_count() or 1
