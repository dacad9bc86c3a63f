"""Progress that works everywhere (issue 19): plain lines when the output is not a
terminal (files, pipes, CI), rich columns that fit narrow terminals, and progress from the
sweep, the reference solver and ntk-check."""

from __future__ import annotations

import io
import re

import pytest
import torch
from rich.console import Console

from mpinn.cli import main
from mpinn.cli.progress import RichProgress, StatusLog
from mpinn.train.progress import (
    LineLog,
    LineProgress,
    format_duration,
    format_line,
)


class FakeClock:
    def __init__(self):
        self.now = 0.0

    def __call__(self):
        return self.now


def info(step: int) -> dict:
    return {
        "loss": 1.0 / step,
        "losses": {
            "pde_u": torch.tensor(2e-3),
            "pde_v": 3e-3,
            **{f"bc{i}": 1e-4 * i for i in range(6)},
        },
        "l2": {"u": 1.1e-2, "v": 3.4e-2} if step % 100 == 0 else {},
    }


def run_fake(total: int, first: int, seconds_per_step: float, every_s: float = 5.0):
    """Drive a LineProgress from step ``first`` to ``total`` with a fake clock."""
    clock, stream = FakeClock(), io.StringIO()
    with LineProgress(stream, total, every_s=every_s, clock=clock) as p:
        for step in range(first, total + 1):
            clock.now += seconds_per_step
            p.update(step, info(step))
    return stream.getvalue().splitlines()


def test_format_line_has_everything():
    line = format_line(1200, 16000, rate=52.3, elapsed=23.0, eta=283.0, info=info(1200))
    assert line.startswith("step 1200/16000 (7.5%) 52.3 it/s elapsed 0:00:23 eta 0:04:43")
    assert "loss 8.3e-04 | pde_u=2.0e-03 pde_v=3.0e-03" in line
    assert "+2 more" in line  # 8 terms: the first 6 shown
    assert line.endswith("| L2 u:1.1e-02 v:3.4e-02")
    assert format_duration(None) == "-:--:--" and format_duration(3723) == "1:02:03"


def test_line_progress_first_then_every_s_then_last():
    lines = run_fake(1000, 1, 0.1)  # 100 s in all, a line at most every 5 s
    steps = [int(re.match(r"step (\d+)/1000 ", ln).group(1)) for ln in lines]
    assert steps[0] == 1 and steps[-1] == 1000
    assert 20 <= len(lines) <= 21  # the first, one per 5 s of 100 s, the last
    assert all(b - a >= 50 for a, b in zip(steps[:-1], steps[1:-1]))  # >= 5 s apart
    last = lines[-1]
    assert "step 1000/1000 (100.0%)" in last and "10.0 it/s" in last
    assert "eta 0:00:00" in last and "loss 1.0e-03" in last and "L2 u:1.1e-02" in last
    mid = lines[len(lines) // 2]
    step = int(re.match(r"step (\d+)/", mid).group(1))
    assert "10.0 it/s" in mid and f"eta {format_duration((1000 - step) / 10)}" in mid


def test_line_progress_resumed_run_counts_this_process_only():
    # a run resumed at step 500 of 1000: the first update is step 501, 4 steps a second
    lines = run_fake(1000, 501, 0.25)
    assert lines[0].startswith("step 501/1000 (50.1%) ? it/s elapsed 0:00:00 eta -:--:--")
    second = lines[1]
    assert "4.00 it/s" in second  # not 500+ steps over a few seconds
    step = int(re.match(r"step (\d+)/", second).group(1))
    remaining = (1000 - step) / 4.0
    assert f"eta {format_duration(remaining)}" in second
    # elapsed since the first update of this process: 499 steps of 0.25 s
    assert lines[-1].startswith("step 1000/1000 (100.0%) 4.00 it/s elapsed 0:02:05 eta 0:00:00")


def test_line_progress_close_writes_a_run_stopped_early():
    clock, stream = FakeClock(), io.StringIO()
    with LineProgress(stream, 100, every_s=5.0, clock=clock) as p:
        for step in range(1, 31):
            clock.now += 0.01
            p.update(step, info(step))
    lines = stream.getvalue().splitlines()
    assert len(lines) == 2 and lines[-1].startswith("step 30/100 (30.0%)")


def test_line_log_throttles_and_forces():
    clock, stream = FakeClock(), io.StringIO()
    with LineLog(stream, every_s=5.0, clock=clock) as log:
        for i in range(20):
            log(f"iteration {i}")
            clock.now += 1.0
        log("case done", force=True)
        log("held back")
    assert stream.getvalue().splitlines() == [
        "iteration 0",
        "iteration 5",
        "iteration 10",
        "iteration 15",
        "case done",
        "held back",
    ]


def test_rich_progress_fits_narrow_terminals():
    for width in (60, 80, 100):
        buf = io.StringIO()
        console = Console(file=buf, force_terminal=True, width=width, color_system=None)
        with RichProgress(16000, console) as bar:
            for step in range(1, 16001, 500):
                bar.update(step, info(step))
            bar.update(16000, info(16000))
        last = buf.getvalue().replace("\r", "\n").splitlines()
        last = [ln for ln in last if "16000/16000" in ln][-1]
        # n/total, elapsed and ETA whole; the loss text is what gets cut (rich's rate
        # needs real time between updates, so it may be blank here)
        assert re.search(r"16000/16000 .*0:\d\d:\d\d (eta )?0:00:00 loss \S", last)
    # not a terminal: plain lines, not a rich bar drawn once at the end
    buf = io.StringIO()
    with RichProgress(50, Console(file=buf, force_terminal=False)) as bar:
        for step in range(1, 51):
            bar.update(step, info(step))
    out = buf.getvalue().splitlines()
    assert out[0].startswith("step 1/50 ") and out[-1].startswith("step 50/50 (100.0%)")


def test_status_log_plain_lines():
    buf = io.StringIO()
    with StatusLog(Console(file=buf, force_terminal=False), "start") as log:
        log("stage 1")  # held back (within every_s of "start"), written at the end
    assert buf.getvalue().splitlines() == ["start", "stage 1"]


def test_solve_to_a_file_prints_lines_and_a_clean_summary(tmp_path, capsys):
    out = tmp_path / "run"
    args = ["solve", "coupled_sym", "--steps", "60", "--threads", "1", "--out", str(out)]
    assert main(args + ["--set", "net.width=8"]) == 0
    text = capsys.readouterr().out
    lines = text.splitlines()
    assert any(ln.startswith("step 1/60 (1.7%)") for ln in lines)
    last = [ln for ln in lines if ln.startswith("step 60/60 (100.0%)")]
    assert len(last) == 1 and "it/s" in last[0] and "eta 0:00:00" in last[0]
    assert "loss " in last[0] and "L2 u:" in last[0]
    assert "…" not in text  # nothing cut to fit 80 columns
    header = [ln for ln in lines if ln.startswith("coupled_sym (gamma=1)")]
    assert len(header) == 1 and header[0].endswith(f"→ {out}")  # one line, not wrapped
    title = [ln for ln in lines if "coupled_sym: 60 steps in" in ln]
    assert len(title) == 1 and re.search(r"coupled_sym: 60 steps in [\d.]+ s", title[0])
    rows = {name: ln for ln in lines for name in ("u", "v", "mean") if f"│ {name} " in ln}
    assert set(rows) == {"u", "v", "mean"}
    for ln in rows.values():  # each row whole on its own line: name and value
        assert re.search(r"│ \S+ +│ +\d\.\d{3}e[-+]\d\d", ln)
    assert lines[-1] == f"results in {out}"


def test_sweep_to_a_file_prints_a_line_per_run(tmp_path, capsys):
    args = ["sweep", "coupled_sym", "--param", "gamma=1,2", "--steps", "10"]
    args += ["--executor", "inline", "--out", str(tmp_path / "sw"), "--no-run-plots"]
    assert main(args + ["--set", "net.width=8", "--set", "net.depth=1"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == "sweep: 2 runs to do, 1 at a time"
    runs = [ln for ln in lines if ln.startswith("sweep: run ")]
    assert len(runs) == 2
    assert runs[0].startswith("sweep: run gamma=1/") and "1/2 done (1 ok, 0 failed)" in runs[0]
    assert runs[1].startswith("sweep: run gamma=2/") and "2/2 done (2 ok, 0 failed)" in runs[1]
    assert all(re.search(r"L2 \d\.\d\de[-+]\d\d, [\d.]+ s; ", r) for r in runs)
    assert all("elapsed " in r and "eta " in r for r in runs)
    assert any(ln.startswith("sweep: 2/2 done (2 ok, 0 failed), elapsed") for ln in lines)


def test_sweep_heartbeat_while_runs_are_in_progress(tmp_path):
    import threading

    from mpinn.analysis.sweep.run import _Bar

    buf = io.StringIO()
    console = Console(file=buf, force_terminal=False)
    beats = threading.Event()
    with _Bar(3, 0, tmp_path, True, console, workers=2, heartbeat_s=0.02) as bar:
        for _ in range(500):  # until a heartbeat was written (a thread, every 0.02 s)
            if "running" in buf.getvalue().split("\n", 1)[-1]:
                beats.set()
                break
            threading.Event().wait(0.01)
        bar.advance({"run_dir": "a", "status": "failed", "error": "boom\nsecond line"})
    assert beats.is_set()
    lines = buf.getvalue().splitlines()
    assert lines[0] == "sweep: 3 runs to do, 2 at a time"
    assert any(
        re.fullmatch(r"sweep: 0/3 done \(0 ok, 0 failed\), 2 running, elapsed .*", ln)
        for ln in lines
    )
    assert any(ln.startswith("sweep: run a failed: failed (boom second line); 1/3") for ln in lines)


@pytest.mark.parametrize(
    "args, pattern",
    [
        (
            ["ntk-check", "coupled_sym", "--points", "16", "--sweep", "gamma=1,10"],
            r"^ntk-check: gamma=10 \(2/2\) done: λmax\(K\)=",
        ),
    ],
)
def test_ntk_check_reports_progress(args, pattern, capsys):
    assert main(args) == 0
    out = capsys.readouterr().out
    assert re.search(pattern, out, re.M)
    assert re.search(r"^ntk-check: .*, [\d.]+ s$", out, re.M)  # a stage with its time


def test_reference_reports_progress(tmp_path, capsys):
    npz = tmp_path / "ref.npz"
    args = ["reference", "eof2d", "--grid", "12x8", "--set", "eps=0.1", "--out", str(npz)]
    assert main(args) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == "reference: solving the eof reference on a 12x8 grid"
    assert re.fullmatch(
        r"reference 12x8: converged after \d+ Newton iterations, [\d.]+ s", lines[1]
    )
    assert npz.is_file()


def test_reference_solver_logs_every_newton_iteration():
    from mpinn.reference.eof_fv import EOFParams, solve

    seen = []
    solve(EOFParams(eps=0.1), 12, 8, log=seen.append)
    newton = [s for s in seen if "Newton iteration" in s]
    assert newton and re.fullmatch(
        r"reference 12x8: Newton iteration 1, residual \S+, step \S+( \(damped \S+\))?, "
        r"[\d.]+ s",
        newton[0],
    )
    assert seen[-1].startswith("reference 12x8: converged after")
