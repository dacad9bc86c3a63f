"""Fault injection: SIGKILL at random moments of a run directory's writes. Afterwards
(and after the recovery every reader runs first) the directory is always a complete old
set of files or a complete new one: every file parses, and the files of one commit agree
on the step they hold. Then the atomic primitives, the lock and `--out` refusals."""

import csv
import io
import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
import torch
import yaml

from mpinn import config, runs, train
from mpinn.lower import load
from mpinn.runs import directory, files

ROOT = Path(__file__).resolve().parents[1]
PROBLEM = str(ROOT / "problems" / "coupled_sym.mp")
SMALL = {
    "net": {"width": 8, "depth": 1},
    "sampling": {"interior": 16, "boundary": 2},
    "threads": 1,
    "eval": {"every": 0, "grid": 33},
    "steps": 10,
}


def check_consistent(run: Path) -> dict:
    """Recover as a reader does, then assert the directory is one whole state."""
    files.recover(run)
    assert not (run / files.PENDING).exists()
    assert not list(run.glob(".*.tmp-*"))
    found = {}
    if (run / "state.pt").exists():
        state = torch.load(run / "state.pt", weights_only=True)
        model = torch.load(run / "model.pt", weights_only=True)
        rows = list(csv.DictReader(io.StringIO((run / "history.csv").read_text())))
        assert state["step"] == int(rows[-1]["step"])
        # the model: the state's networks (a checkpoint) or the reported ones (a result)
        assert model["step"] <= state["step"]
        found["state"] = state["step"]
    if (run / "metrics.json").exists():
        metrics = json.loads((run / "metrics.json").read_text())
        with np.load(run / "fields.npz", allow_pickle=False) as data:
            assert int(data["step"]) == metrics["model_step"]
        for png in (run / "plots").glob("*.png"):
            assert png.read_bytes().endswith(b"IEND\xaeB`\x82"), png  # a whole PNG
        assert metrics["model_step"] <= found["state"]
        assert torch.load(run / "model.pt", weights_only=True)["step"] in (
            metrics["model_step"],
            found["state"],
        )
        found["metrics"] = metrics["model_step"]
    if (run / "config.yaml").exists():
        assert yaml.safe_load((run / "config.yaml").read_text())["steps"] >= 0
    return found


@pytest.fixture(scope="module")
def setup_and_state():
    cfg = config.resolve(PROBLEM, None, SMALL)
    setup = train.build(load(PROBLEM), cfg)
    state = train.TrainState.start(setup)
    train.train(setup, state)
    return cfg, setup, state


def _writer(run: Path, cfg, setup, state, step: int) -> None:
    """In a forked child: commit new generations forever, as a run does."""
    directory.write_inputs(run, cfg, PROBLEM)
    while True:
        step += 1
        state.step = step
        state.history = [{"step": step, "loss": 1.0 / step}]
        if step % 3:
            directory.write_checkpoint(run, setup, state)
        else:
            directory.write_run(run, setup, state, PROBLEM, plots=step % 2 == 0)


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs fork")
def test_sigkill_during_writes_never_leaves_a_mixed_directory(tmp_path, setup_and_state):
    cfg, setup, state = setup_and_state
    rng = random.Random(1234)
    run = tmp_path / "run"
    run.mkdir()
    seen = {"state": set(), "metrics": set()}
    mid_commit = marked = 0
    trials = 40
    for trial in range(trials):
        pid = os.fork()
        if pid == 0:  # pragma: no cover - the child never returns
            try:
                _writer(run, cfg, setup, state, 1000 * trial)
            finally:
                os._exit(0)
        time.sleep(rng.uniform(0.02, 0.5))
        os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
        mid_commit += (run / files.PENDING).exists()
        marked += (run / files.PENDING / files.MARKER).exists()
        found = check_consistent(run)
        for k, v in found.items():
            seen[k].add(v)
    # the kills landed inside commits often (writing takes most of the child's time), and
    # the checks saw many different whole states
    assert mid_commit >= trials // 4, mid_commit
    assert len(seen["state"]) >= trials // 2 and len(seen["metrics"]) >= 3


def test_killed_run_resumes_from_what_it_left(tmp_path):
    """SIGKILL a real `mpinn solve` at random moments; what is left resumes to the end."""
    rng = random.Random(7)
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    args = ["--steps", "120", "--threads", "1", "--quiet", "--set", "checkpoint_every=3"]
    args += ["--set", "net.width=8", "--set", "net.depth=1", "--set", "log_every=3"]
    for trial in range(2):
        run = tmp_path / f"run{trial}"
        proc = subprocess.Popen(
            [sys.executable, "-m", "mpinn", "solve", "coupled_sym", "--out", str(run), *args],
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        end = time.monotonic() + 60
        while not (run / "state.pt").exists():
            assert proc.poll() is None and time.monotonic() < end, proc.communicate()
            time.sleep(0.02)
        time.sleep(rng.uniform(0.0, 0.5))
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        check_consistent(run)
        again = subprocess.run(
            [sys.executable, "-m", "mpinn", "resume", str(run), "--quiet"],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert again.returncode == 0, again.stderr
        assert check_consistent(run) == {"state": 120, "metrics": 120}


# --- the primitives ------------------------------------------------------------------------
def test_atomic_write_replaces_whole_or_not_at_all(tmp_path):
    target = tmp_path / "a.txt"
    files.atomic_write(target, "old")

    def failing(path):
        path.write_text("half")
        raise OSError("disk full")

    with pytest.raises(OSError):
        files.atomic_write(target, failing)
    assert target.read_text() == "old" and sorted(os.listdir(tmp_path)) == ["a.txt"]


def test_commit_rolls_forward_once_marked_and_back_before(tmp_path):
    (tmp_path / "x").write_text("old x")
    (tmp_path / "y").write_text("old y")
    stage = tmp_path / files.PENDING
    stage.mkdir()
    (stage / "x").write_text("new x")
    (stage / "y").write_text("new y")
    files.recover(tmp_path)  # no marker: the half-written commit is discarded
    assert (tmp_path / "x").read_text() == "old x" and not stage.exists()
    stage.mkdir()
    (stage / "y").write_text("new y")  # x was already moved when the crash came
    (tmp_path / "x").write_text("new x")
    (stage / files.MARKER).write_text("x\ny\n")
    files.recover(tmp_path)
    assert (tmp_path / "x").read_text() == "new x" and (tmp_path / "y").read_text() == "new y"
    assert not stage.exists()


def test_lock_is_exclusive_and_dies_with_its_holder(tmp_path):
    with files.RunLock(tmp_path):
        assert files.is_locked(tmp_path)
        with pytest.raises(files.RunDirError, match="in use by process"):
            files.RunLock(tmp_path).acquire()
    assert not files.is_locked(tmp_path)
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys, time; from mpinn.runs.files import RunLock; "
            f"RunLock({str(tmp_path)!r}).acquire(); print('ok', flush=True); time.sleep(60)",
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert holder.stdout.readline().strip() == "ok"
    assert files.is_locked(tmp_path)
    holder.kill()
    holder.wait()
    assert not files.is_locked(tmp_path)  # no stale lock after SIGKILL


def test_out_refusals_leave_everything_as_it_was(tmp_path):
    cfg = config.resolve(PROBLEM, None, SMALL)
    a_file = tmp_path / "file"
    a_file.write_text("keep me")
    ro = tmp_path / "ro"
    ro.mkdir()
    ro.chmod(0o500)
    used = tmp_path / "used"
    used.mkdir()
    (used / "notes.txt").write_text("mine")
    cases = [
        (a_file, "is not a directory"),
        (a_file / "run", "is a file"),
        (used, "not empty"),
    ]
    if os.geteuid() != 0:  # root may write anywhere
        cases.append((ro / "run", "permission denied"))
    for out, message in cases:
        with pytest.raises(runs.RunDirError, match=message):
            runs.solve(PROBLEM, cfg, out, plots=False)
    with pytest.raises(runs.RunDirError, match="not a run directory"):
        runs.solve(PROBLEM, cfg, used, plots=False, overwrite=True)
    assert a_file.read_text() == "keep me" and os.listdir(used) == ["notes.txt"]
    assert os.listdir(ro) == []
    run = tmp_path / "run"
    runs.solve(PROBLEM, cfg, run, plots=False)
    first = (run / "metrics.json").read_text()
    with pytest.raises(runs.RunDirError, match="mpinn resume"):
        runs.solve(PROBLEM, cfg, run, plots=False)
    assert (run / "metrics.json").read_text() == first
    runs.solve(PROBLEM, config.resolve(PROBLEM, None, {**SMALL, "steps": 4}), run, overwrite=True)
    assert json.loads((run / "metrics.json").read_text())["steps_done"] == 4
