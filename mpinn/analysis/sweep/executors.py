"""Where the runs of a sweep execute: in spawned worker processes on this machine
(``local``), on a Dask cluster (``dask``) or one after another in this process
(``inline``). Each executor calls ``on_done(task, row)`` as runs finish; a run that fails
is recorded, never raised."""

from __future__ import annotations

import os
import time
import traceback
from pathlib import Path

from .spec import SweepError
from .store import make_row


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
    from ...runs import solve  # in the worker: torch is imported there, not by the CLI

    run_dir = Path(task["run_dir"])
    run_dir.mkdir(parents=True, exist_ok=True)
    for stale in ("metrics.json", "error.txt"):
        (run_dir / stale).unlink(missing_ok=True)
    start = time.perf_counter()
    try:
        metrics = solve(
            task["problem_file"], task["cfg"], run_dir, plots=task.get("run_plots", True)
        )
    except Exception as exc:  # noqa: BLE001 - every failure is recorded, the sweep goes on
        error = f"{type(exc).__name__}: {exc}"
        (run_dir / "error.txt").write_text(traceback.format_exc(), encoding="utf-8")
        return make_row(task, None, error, time.perf_counter() - start)
    return make_row(task, metrics)


# --- executors ----------------------------------------------------------------------------
def _execute_inline(tasks, workers, threads, address, on_done):
    for task in tasks:
        on_done(task, run_task(task))


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
        futures = {pool.submit(run_task, t): t for t in tasks}
        for fut in as_completed(futures):
            task = futures[fut]
            try:
                row = fut.result()
            except Exception as exc:  # noqa: BLE001 - e.g. a worker killed for memory
                row = crashed(task, exc)
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
