"""Data-parallel training (docs/scaling.md) with 2 CPU processes on gloo: the history equals
one process on the same global batch, the ranks end with identical parameters, only rank 0
writes the run directory, a stop on rank 0 stops both at the same step, and a failing rank
ends every rank with one line and exit 1, without a hang."""

import contextlib
import csv
import io
import json
import os
import queue
import socket
from pathlib import Path

import pytest
import torch
import torch.multiprocessing as mp

from mpinn import config, runs

ROOT = Path(__file__).resolve().parents[1]
PROBLEM = str(ROOT / "problems" / "coupled_sym.mp")
# Adam, not SOAP: SOAP's eigenbases of nearly equal eigenvalues turn rounding differences
# (a sum over two ranks is not bitwise a sum over one batch) into 1e-4 relative changes
# within a few steps; with Adam the runs agree to rounding.
SMALL = {
    "net": {"width": 16, "depth": 2},
    "sampling": {"interior": 49, "boundary": 2, "resample_every": 1},
    "threads": 1,
    "dtype": "float64",
    "optimizer": {"name": "adam"},
    "eval": {"every": 10, "grid": 101},
    "log_every": 1,
    "checkpoint_every": 10,
    "balance": {"every": 10},
    "steps": 30,
}
TIMEOUT_S = 60


def _cfg():
    return config.resolve(PROBLEM, None, dict(SMALL))


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _worker(rank, world, port, case, out, results):
    os.environ.update(
        MASTER_ADDR="127.0.0.1",
        MASTER_PORT=str(port),
        RANK=str(rank),
        WORLD_SIZE=str(world),
        LOCAL_RANK=str(rank),
    )
    from rich.console import Console

    from mpinn import train
    from mpinn.cli.solve import run_distributed
    from mpinn.train import loop

    seen = {}
    real_train = train.train

    def spy(setup, state, **kw):  # keep the setup to compare the parameters
        seen["setup"] = setup
        return real_train(setup, state, **kw)

    train.train = spy
    if case == "fail" and rank == 1:
        real_losses = loop.losses_at

        def failing(setup, step, sampler=None):
            if step == 5 and sampler is None:
                raise RuntimeError("injected failure at step 5")
            return real_losses(setup, step, sampler)

        loop.losses_at = failing
    asked = []

    def stop():  # rank 0 asks to stop after its 12th step (a signal, in real life)
        asked.append(1)
        return "SIGTERM" if rank == 0 and len(asked) >= 12 else None

    err = io.StringIO()
    with contextlib.redirect_stderr(err):
        result = run_distributed(
            lambda console: runs.solve(
                PROBLEM, _cfg(), out, plots=False, should_stop=stop if case == "stop" else None
            ),
            Console(quiet=True),
        )
    setup = seen.get("setup")
    flat = None
    if setup is not None:
        flat = torch.cat([p.detach().reshape(-1) for p in setup.nets.parameters()]).numpy()
    results.put((rank, result, err.getvalue(), flat))  # numpy: a tensor would need
    # this process alive until it is received


def _spawn(case: str, out: Path, world: int = 2) -> dict:
    ctx = mp.get_context("spawn")
    results = ctx.Queue()
    procs = mp.start_processes(
        _worker,
        args=(world, _free_port(), case, str(out), results),
        nprocs=world,
        join=False,
        start_method="spawn",
    )
    got = {}
    try:
        for _ in range(world):
            rank, *rest = results.get(timeout=TIMEOUT_S)
            got[rank] = rest
        for p in procs.processes:
            p.join(timeout=TIMEOUT_S)
    except queue.Empty:
        pytest.fail(f"the {world} processes did not finish within {TIMEOUT_S} s (a hang?)")
    finally:
        for p in procs.processes:
            if p.is_alive():
                p.kill()
    return got


def _history(run: Path) -> list:
    with open(run / "history.csv", newline="") as fh:
        return list(csv.DictReader(fh))


def test_two_processes_equal_one(tmp_path):
    one = tmp_path / "one"
    runs.solve(PROBLEM, _cfg(), one, plots=False)
    two = tmp_path / "two"
    got = _spawn("run", two)
    (m0, err0, p0), (m1, err1, p1) = got[0], got[1]
    assert not err0 and not err1
    assert m1 == {**m1, "rank": 1, "world_size": 2, "status": "finished", "steps_done": 30}
    assert (p0 == p1).all()  # the optimizer kept every rank identical
    metrics = json.loads((two / "metrics.json").read_text())
    assert metrics["world_size"] == 2 and m0["world_size"] == 2
    assert json.loads((one / "metrics.json").read_text())["world_size"] == 1
    a, b = _history(one), _history(two)
    assert len(a) == len(b) == 30
    for ra, rb in zip(a, b):
        for key, va in ra.items():
            if key.startswith(("loss", "weight[", "l2[", "validation")) and va:
                assert float(rb[key]) == pytest.approx(float(va), rel=1e-9, abs=1e-14), key
    single = torch.load(one / "model.pt", weights_only=True)["nets"]
    double = torch.load(two / "model.pt", weights_only=True)["nets"]
    for key, value in single.items():
        if torch.is_tensor(value) and value.is_floating_point():
            torch.testing.assert_close(double[key], value, rtol=1e-9, atol=1e-12)


def test_stop_on_rank_0_stops_both_at_the_same_step(tmp_path):
    got = _spawn("stop", tmp_path / "run")
    (m0, _, p0), (m1, _, p1) = got[0], got[1]
    assert m0["interrupted"] == "SIGTERM" and m0["steps_done"] == 12
    assert m1["interrupted"] and m1["steps_done"] == 12
    assert (p0 == p1).all()
    # only rank 0 wrote: one lock, one state, and it resumes (single process) to the end
    assert json.loads((tmp_path / "run" / "metrics.json").read_text())["steps_done"] == 12
    assert runs.resume(tmp_path / "run", plots=False)["steps_done"] == 30


def test_a_failing_rank_stops_every_rank(tmp_path):
    got = _spawn("fail", tmp_path / "run")
    (code0, err0, _), (code1, err1, _) = got[0], got[1]
    assert code0 == code1 == 1
    assert err1.strip() == "error: rank 1 of 2: RuntimeError: injected failure at step 5"
    assert len(err0.strip().splitlines()) == 1
    assert err0.startswith("error: rank 0 of 2: stopped: another rank failed or was killed")
