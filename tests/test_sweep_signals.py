"""A sweep stopped by SIGTERM (or its parent killed outright) leaves no worker running;
its runs in progress saved their state, and the same command again resumes them."""

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import torch

ROOT = Path(__file__).resolve().parents[1]
NAMES = ["gamma=1/soap/seed0", "gamma=10/soap/seed0"]


def _sweep(out: Path, wait: bool = False):
    cmd = [sys.executable, "-m", "mpinn", "sweep", "coupled_sym", "--param", "gamma=1,10"]
    cmd += ["--steps", "400", "--workers", "2", "--threads-per-worker", "1", "--quiet"]
    cmd += ["--no-run-plots", "--out", str(out), "--set", "checkpoint_every=10"]
    cmd += ["--set", "net.width=16", "--set", "net.depth=2"]
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    if wait:
        return subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)
    return subprocess.Popen(
        cmd, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )


def _workers_started(out: Path, proc, timeout=120.0) -> list:
    """Wait until every run has a checkpoint; the worker pids from the run locks."""
    end = time.monotonic() + timeout
    while not all((out / n / "state.pt").exists() for n in NAMES):
        assert proc.poll() is None, proc.communicate()
        assert time.monotonic() < end, "the runs never reached a checkpoint"
        time.sleep(0.1)
    return [int((out / n / ".lock").read_text()) for n in NAMES]


def _gone(pids: list, timeout=60.0) -> bool:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        alive = []
        for pid in pids:
            try:
                os.kill(pid, 0)
                alive.append(pid)
            except ProcessLookupError:
                pass
        if not alive:
            return True
        time.sleep(0.1)
    return False


@pytest.mark.parametrize("how", ["sigterm", "sigkill"])
def test_stopped_sweep_leaves_no_workers_and_resumes(tmp_path, how):
    out = tmp_path / "sweep"
    proc = _sweep(out)
    pids = _workers_started(out, proc)
    assert os.getpid() not in pids and proc.pid not in pids
    if how == "sigterm":
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=180)
        assert proc.returncode == 143, err
    else:  # the parent dies at once: its workers are told by the kernel (PDEATHSIG)
        proc.send_signal(signal.SIGKILL)
        proc.wait()
    assert _gone(pids), "a worker outlived its sweep"
    for name in NAMES:  # each worker saved its run where it stopped
        m = json.loads((out / name / "metrics.json").read_text())
        assert m["status"] == "interrupted" and m["interrupted"] == "SIGTERM"
        assert 10 <= m["steps_done"] < 400
    paused = {n: json.loads((out / n / "metrics.json").read_text())["steps_done"] for n in NAMES}
    again = _sweep(out, wait=True)
    assert again.returncode == 0, again.stderr
    for name in NAMES:
        m = json.loads((out / name / "metrics.json").read_text())
        assert m["status"] == "finished" and m["steps_done"] == 400
        lines = (out / name / "history.csv").read_text().splitlines()[1:]
        history = [int(r.split(",")[0]) for r in lines]
        assert history == sorted(set(history))  # one history, continued, not restarted
        assert torch.load(out / name / "state.pt", weights_only=True)["step"] == 400
        assert paused[name] < 400
