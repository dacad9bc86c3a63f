"""Resume: a run paused (by a signal) and resumed equals the run never paused, bit for bit —
weights, metrics and history (wall-clock columns aside); `--steps` extends a run the same
way; signals exit with 128 + their number after saving; a sweep resumes paused runs."""

import csv
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import torch

from mpinn import config, runs

ROOT = Path(__file__).resolve().parents[1]
PROBLEM = str(ROOT / "problems" / "coupled_sym.mp")
SMALL = {
    "net": {"width": 16, "depth": 2},
    "sampling": {"interior": 48, "boundary": 2, "resample_every": 1},
    "threads": 1,
    "eval": {"every": 20, "grid": 101},
    "log_every": 10,
    "checkpoint_every": 25,
    "balance": {"every": 15},
    # SOAP refreshes its eigenbases every 4 steps: pauses fall between refreshes too
    "optimizer": {"options": {"precondition_frequency": 4}},
}


def _cfg(**over):
    return config.resolve(PROBLEM, None, {**SMALL, "steps": 90, **over})


def _tensors(run: Path) -> dict:
    return torch.load(run / "model.pt", weights_only=True)["nets"]


def _history(run: Path) -> list:
    rows = list(csv.DictReader(open(run / "history.csv")))
    return [{k: v for k, v in r.items() if k != "time_s"} for r in rows]


def _same_run(a: Path, b: Path) -> None:
    ta, tb = _tensors(a), _tensors(b)
    assert ta.keys() == tb.keys()
    for k in ta:
        assert torch.equal(ta[k], tb[k]), k  # bit for bit
    assert _history(a) == _history(b)
    ma, mb = (json.loads((p / "metrics.json").read_text()) for p in (a, b))
    for key in ("l2", "l2_mean", "final_losses", "final_weights", "steps_done", "status"):
        assert ma[key] == mb[key], key
    sa = torch.load(a / "state.pt", weights_only=True)
    sb = torch.load(b / "state.pt", weights_only=True)
    assert sa["balancer"] == sb["balancer"] and sa["step"] == sb["step"]
    for k, v in sa["optimizer"]["state"].items():
        for name, t in v.items():
            if torch.is_tensor(t):
                assert torch.equal(t, sb["optimizer"]["state"][k][name]), (k, name)


@pytest.fixture(scope="module")
def straight(tmp_path_factory):
    """The uninterrupted runs, one per optimizer schedule."""
    out = {}
    for opt in ("soap", "soap+lbfgs"):
        run = tmp_path_factory.mktemp("straight") / opt
        runs.solve(PROBLEM, _cfg(optimizer={"name": opt}), run, plots=False)
        out[opt] = run
    return out


@pytest.mark.parametrize(
    "opt, pause_at",
    [
        ("soap", [1]),
        ("soap", [26, 59]),  # twice; 26 and 59 lie between eigenbasis refreshes
        ("soap+lbfgs", [40, 85]),  # once in SOAP, once inside the L-BFGS phase (81-90)
    ],
)
def test_paused_and_resumed_equals_uninterrupted(tmp_path, straight, opt, pause_at):
    run = tmp_path / "run"
    seen = []

    class Progress:
        def update(self, step, info):
            seen.append(step)

    stops = iter(pause_at)
    target = [next(stops)]

    def should_stop():
        if seen and seen[-1] == target[0]:
            target[0] = next(stops, None)
            return "SIGTERM"
        return None

    m = runs.solve(
        PROBLEM,
        _cfg(optimizer={"name": opt}),
        run,
        progress=Progress(),
        plots=False,
        should_stop=should_stop,
    )
    for _ in pause_at:
        assert m["status"] == "interrupted"
        m = runs.resume(run, progress=Progress(), plots=False, should_stop=should_stop)
    assert m["status"] == "finished" and m["steps_done"] == 90
    _same_run(run, straight[opt])


def test_steps_extends_a_finished_run_as_if_it_had_been_longer(tmp_path):
    short, long_ = tmp_path / "short", tmp_path / "long"
    # log and L2 rows at 60 exist in both runs, so the histories agree as well
    runs.solve(PROBLEM, _cfg(steps=60), short, plots=False)
    with pytest.raises(runs.RunDirError, match="finished its 60 steps"):
        runs.resume(short, plots=False)
    runs.resume(short, steps=90, plots=False)
    runs.solve(PROBLEM, _cfg(steps=90), long_, plots=False)
    _same_run(short, long_)
    assert config.resolve(config_path=short / "config.yaml").steps == 90


def test_resume_refuses_what_it_cannot_continue(tmp_path):
    with pytest.raises(runs.RunDirError, match="no such run directory"):
        runs.resume(tmp_path / "missing")
    (tmp_path / "empty").mkdir()
    with pytest.raises(runs.RunDirError, match="no state.pt"):
        runs.resume(tmp_path / "empty")
    bad = tmp_path / "bad"
    bad.mkdir()
    (bad / "state.pt").write_bytes(b"not a state")
    (bad / "config.yaml").write_text("steps: 10\n")
    with pytest.raises(runs.RunDirError, match="cannot be read"):
        runs.resume(bad)


# --- real signals, real processes ----------------------------------------------------------
def _mpinn(*args, **kw):
    env = {**os.environ, "OMP_NUM_THREADS": "1", "PYTHONHASHSEED": "0"}
    return subprocess.Popen(
        [sys.executable, "-m", "mpinn", *args],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        **kw,
    )


CLI = ["--steps", "400", "--threads", "1", "--quiet", "--set", "checkpoint_every=20"]
CLI += ["--set", "net.width=16", "--set", "net.depth=2", "--set", "log_every=20"]


def _wait_for(path: Path, proc, timeout=60.0):
    end = time.monotonic() + timeout
    while not path.exists():
        assert proc.poll() is None, proc.communicate()
        assert time.monotonic() < end, "no checkpoint appeared"
        time.sleep(0.05)


@pytest.mark.parametrize("sig, code", [(signal.SIGTERM, 143), (signal.SIGHUP, 129)])
def test_signal_saves_then_exits_and_resume_matches(tmp_path, sig, code):
    run = tmp_path / "run"
    proc = _mpinn("solve", "coupled_sym", "--out", str(run), *CLI)
    _wait_for(run / "state.pt", proc)
    proc.send_signal(sig)
    out, err = proc.communicate(timeout=120)
    assert proc.returncode == code, err
    m = json.loads((run / "metrics.json").read_text())
    assert m["status"] == "interrupted" and m["interrupted"] == sig.name
    assert 20 <= m["steps_done"] < 400
    assert torch.load(run / "state.pt", weights_only=True)["step"] == m["steps_done"]
    if sig != signal.SIGTERM:
        return
    again = _mpinn("resume", str(run), "--quiet")
    assert again.wait(timeout=300) == 0, again.communicate()
    ref = tmp_path / "ref"
    whole = _mpinn("solve", "coupled_sym", "--out", str(ref), *CLI)
    assert whole.wait(timeout=300) == 0, whole.communicate()
    _same_run(run, ref)


def test_a_second_run_in_the_same_directory_is_refused(tmp_path):
    run = tmp_path / "run"
    first = _mpinn("solve", "coupled_sym", "--out", str(run), *CLI)
    _wait_for(run / ".lock", first)
    time.sleep(0.5)
    second = _mpinn("solve", "coupled_sym", "--out", str(run), "--overwrite", *CLI)
    _, err = second.communicate(timeout=120)
    first.send_signal(signal.SIGINT)
    first.communicate(timeout=120)
    assert second.returncode == 2
    assert len(err.strip().splitlines()) == 1 and "in use" in err
