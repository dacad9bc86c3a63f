"""Tests for mpinn.sweep: files, resume, failures, the Dask executor and the CLI.

Everything is tiny (8-wide one-layer nets, 32 points, ~20 steps, no per-run plots) so the
module runs in well under a minute; only one test pays for spawning worker processes.
"""

import csv
import json
import sys
from pathlib import Path

import pytest

from mpinn import runs
from mpinn.analysis.sweep import SweepError, SweepSpec, plot_sweep, read_rows, run_sweep
from mpinn.cli import main
from mpinn.cli.common import problem_path

TINY = {
    "net": {"width": 8, "depth": 1},
    "sampling": {"interior": 32, "boundary": 8},
    "eval": {"grid": 101},
    "log_every": 10,
    "checkpoint_every": 0,
}
NAMES = ["gamma=1/soap/seed0", "gamma=1/adam/seed0", "gamma=10/soap/seed0", "gamma=10/adam/seed0"]


def tiny_spec(**kw):
    base = dict(
        params={"gamma": [1, 10]},
        optimizers=["soap", "adam"],
        seeds=1,
        steps=20,
        overrides=TINY,
        run_plots=False,
    )
    base.update(kw)
    return SweepSpec(**base)


def read_csv(path):
    with open(path, newline="") as fh:
        return list(csv.DictReader(fh))


@pytest.fixture(scope="module")
def local_sweep(tmp_path_factory):
    """A 2 values x 2 optimizers x 1 seed sweep through the spawned process pool.

    One worker: on a small shared machine each spawned worker spends seconds importing
    torch before its first run, and two of them were slower than one (29 s against 17 s).
    """
    out = tmp_path_factory.mktemp("sweep") / "s"
    rows = run_sweep(
        problem_path("coupled_sym"),
        tiny_spec(),
        out,
        executor="local",
        workers=1,
        threads_per_worker=1,
        progress=False,
    )
    return out, rows


def count_solves(monkeypatch):
    calls = []
    real = runs.solve

    def counting(problem_file, cfg, out, **kw):
        calls.append(Path(out))
        return real(problem_file, cfg, out, **kw)

    monkeypatch.setattr(runs, "solve", counting)
    return calls


def test_local_sweep_writes_every_file(local_sweep):
    out, rows = local_sweep
    assert [r["run_dir"] for r in rows] == NAMES
    assert all(r["status"] == "ok" for r in rows), rows
    table = read_csv(out / "sweep.csv")
    assert len(table) == 4
    assert {
        "gamma",
        "optimizer",
        "seed",
        "steps",
        "wall_time_s",
        "l2[u]",
        "l2[v]",
        "l2_mean",
        "final_loss",
        "status",
        "error",
        "run_dir",
    } <= set(table[0])
    for r in table:
        metrics = json.loads((out / r["run_dir"] / "metrics.json").read_text())
        assert metrics["params"]["gamma"] == float(r["gamma"])
        assert metrics["optimizer"] == r["optimizer"] and metrics["steps"] == 20
        assert float(r["l2_mean"]) == metrics["l2_mean"]
        assert float(r["final_loss"]) == pytest.approx(sum(metrics["final_losses"].values()))
    deg = read_csv(out / "degradation.csv")
    assert [d["optimizer"] for d in deg] == ["soap", "adam"]
    for d in deg:
        ok = {r["gamma"]: float(r["l2_mean"]) for r in table if r["optimizer"] == d["optimizer"]}
        assert float(d["R"]) == pytest.approx(ok["10.0"] / ok["1.0"])
        assert float(d["l2@gamma=1"]) == ok["1.0"]
    assert (out / "plots" / "l2_vs_gamma.png").stat().st_size > 0
    definition = json.loads((out / "sweep.json").read_text())
    assert definition["runs"] == NAMES
    assert definition["definition"]["params"] == {"gamma": [1.0, 10.0]}


def test_rerun_completes_only_missing_runs(local_sweep, monkeypatch):
    out, rows = local_sweep
    victim = out / NAMES[2]
    (victim / "metrics.json").unlink()
    before = {n: (out / n / "metrics.json").stat().st_mtime_ns for n in NAMES if n != NAMES[2]}
    calls = count_solves(monkeypatch)
    again = run_sweep(
        problem_path("coupled_sym"),
        tiny_spec(),
        out,
        executor="inline",
        threads_per_worker=1,
        progress=False,
    )
    assert calls == [victim.resolve()]
    assert {n: (out / n / "metrics.json").stat().st_mtime_ns for n in before} == before
    assert [r["l2_mean"] for r in again] == [r["l2_mean"] for r in rows]  # deterministic
    assert len(read_csv(out / "sweep.csv")) == 4
    # a finished sweep reruns nothing
    calls.clear()
    run_sweep(
        problem_path("coupled_sym"),
        tiny_spec(),
        out,
        executor="inline",
        threads_per_worker=1,
        progress=False,
    )
    assert calls == []


def test_dask_executor_gives_the_same_rows(local_sweep, tmp_path):
    distributed = pytest.importorskip("distributed")
    _, rows = local_sweep
    with distributed.LocalCluster(
        n_workers=1, threads_per_worker=1, processes=False, dashboard_address=None
    ) as cluster:
        dask_rows = run_sweep(
            problem_path("coupled_sym"),
            tiny_spec(),
            tmp_path / "d",
            executor="dask",
            address=cluster.scheduler_address,
            threads_per_worker=1,
            progress=False,
        )
    keep = (
        "run_dir",
        "gamma",
        "optimizer",
        "seed",
        "status",
        "l2_mean",
        "l2[u]",
        "l2[v]",
        "final_loss",
    )
    assert [{k: r[k] for k in keep} for r in dask_rows] == [{k: r[k] for k in keep} for r in rows]


STRETCH = """problem stretch "Poisson on [0, L]"
param L = 1
domain x in [0, L]
field u
exact u = sin(pi*x)
pde eq: -dxx(u) = manufactured
bc ends on x = 0 or x = L: u = exact
"""


def test_failed_run_is_recorded_and_the_others_finish(tmp_path, monkeypatch):
    problem = tmp_path / "stretch.mp"
    problem.write_text(STRETCH)
    spec = tiny_spec(params={"L": [1, -1, 2]}, optimizers=["adam"], steps=5)
    rows = run_sweep(
        problem, spec, tmp_path / "s", executor="inline", threads_per_worker=1, progress=False
    )
    status = {r["run_dir"]: r["status"] for r in rows}
    assert status == {"L=1/adam/seed0": "ok", "L=-1/adam/seed0": "failed", "L=2/adam/seed0": "ok"}
    failed = rows[1]
    assert "lo < hi" in failed["error"] and failed["l2_mean"] is None
    assert "Traceback" in (tmp_path / "s" / "L=-1/adam/seed0" / "error.txt").read_text()
    table = read_csv(tmp_path / "s" / "sweep.csv")
    assert [r["status"] for r in table] == ["ok", "failed", "ok"]
    assert "lo < hi" in table[1]["error"]
    deg = read_csv(tmp_path / "s" / "degradation.csv")  # strongest L=2 / weakest L=-1: none
    assert deg[0]["runs"] == "2" and deg[0]["runs_failed"] == "1" and deg[0]["R"] == ""
    # a rerun retries the failed run only
    calls = count_solves(monkeypatch)
    run_sweep(
        problem, spec, tmp_path / "s", executor="inline", threads_per_worker=1, progress=False
    )
    assert [c.name for c in calls] == ["seed0"] and calls[0].parent.parent.name == "L=-1"


def test_rerun_without_out_resumes_the_latest_unfinished_sweep(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    spec = tiny_spec(params={"gamma": [3]}, optimizers=["adam"], seeds=2, steps=2)
    run_sweep(
        problem_path("coupled_sym"), spec, executor="inline", threads_per_worker=1, progress=False
    )
    (sweep_dir,) = (tmp_path / "runs" / "coupled_sym-sweep").iterdir()
    (sweep_dir / "gamma=3/adam/seed1/metrics.json").unlink()
    calls = count_solves(monkeypatch)
    run_sweep(
        problem_path("coupled_sym"), spec, executor="inline", threads_per_worker=1, progress=False
    )
    assert calls == [(sweep_dir / "gamma=3/adam/seed1").resolve()]
    # a different definition never reuses a sweep directory
    with pytest.raises(SweepError, match="different sweep"):
        run_sweep(
            problem_path("coupled_sym"),
            tiny_spec(params={"gamma": [4]}),
            sweep_dir,
            executor="inline",
            progress=False,
        )


def test_plot_sweep_redraws_from_csv(local_sweep):
    out, _ = local_sweep
    plot = out / "plots" / "l2_vs_gamma.png"
    plot.unlink()
    assert plot_sweep(out) == [plot] and plot.is_file()
    rows, params = read_rows(out)
    assert params == ["gamma"] and len(rows) == 4
    plot.unlink()
    assert main(["plot", str(out)]) == 0 and plot.is_file()


def test_cli_sweep(tmp_path):
    out = tmp_path / "cli"
    args = [
        "sweep",
        "coupled_sym",
        "--param",
        "gamma=1,10",
        "--optimizer",
        "adam",
        "--seeds",
        "1",
        "--steps",
        "3",
        "--executor",
        "inline",
        "--threads-per-worker",
        "1",
        "--no-run-plots",
        "--quiet",
        "--out",
        str(out),
        "--set",
        "net.width=8",
        "--set",
        "net.depth=1",
        "--set",
        "sampling.interior=32",
        "--set",
        "sampling.boundary=8",
        "--set",
        "eval.grid=101",
    ]
    assert main(args) == 0
    table = read_csv(out / "sweep.csv")
    assert [r["run_dir"] for r in table] == ["gamma=1/adam/seed0", "gamma=10/adam/seed0"]
    assert all(r["status"] == "ok" and r["steps"] == "3" for r in table)
    assert (out / "degradation.csv").is_file()
    assert (out / "plots" / "l2_vs_gamma.png").is_file()


@pytest.mark.parametrize(
    "bad",
    [
        ["--param", "gama=1,10"],  # unknown parameter
        ["--param", "gamma=1,ten"],  # not a number
        ["--param", "gamma=1,10", "--optimizer", "sgd"],  # unknown optimizer
        ["--param", "gamma=1,10", "--set", "gamma=3"],  # both swept and fixed
        ["--param", "gamma=1,10", "--seeds", "0"],
        ["--param", "gamma=1,10", "--set", "net.widht=8"],  # a config typo, before any run
    ],
)
def test_cli_sweep_bad_input_exits_2(tmp_path, bad):
    out = tmp_path / "bad"
    assert (
        main(["sweep", "coupled_sym", *bad, "--executor", "inline", "--quiet", "--out", str(out)])
        == 2
    )
    assert not (out / "sweep.csv").exists()


def test_dask_missing_is_a_clear_error(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "distributed", None)  # import distributed -> ImportError
    with pytest.raises(SweepError, match=r"pip install 'mpinn\[cluster\]'"):
        run_sweep(
            problem_path("coupled_sym"),
            tiny_spec(),
            tmp_path / "s",
            executor="dask",
            progress=False,
        )
    assert not (tmp_path / "s").exists()
    assert (
        main(
            [
                "sweep",
                "coupled_sym",
                "--param",
                "gamma=1",
                "--executor",
                "dask",
                "--quiet",
                "--out",
                str(tmp_path / "s"),
            ]
        )
        == 2
    )


def test_run_status_on_disk(tmp_path):
    from mpinn.analysis.sweep import run_status as _status

    run = tmp_path / "r"
    run.mkdir()
    assert _status(run)[0] == "pending"
    (run / "error.txt").write_text("Traceback ...\nValueError: bad\n")
    assert _status(run)[:1] == ("failed",) and _status(run)[2] == "ValueError: bad"
    metrics = {"l2_mean": 0.1, "stopped": None}
    (run / "metrics.json").write_text(json.dumps(metrics))
    assert _status(run)[0] == "ok"
    metrics["stopped"] = "loss became non-finite at step 7; restored the networks of step 0"
    (run / "metrics.json").write_text(json.dumps(metrics))
    assert _status(run)[0] == "stopped"  # a result: not rerun
    metrics.update(stopped=None, status="interrupted", interrupted="SIGTERM")
    (run / "metrics.json").write_text(json.dumps(metrics))
    assert _status(run)[0] == "pending"  # rerun: resumed from its state
    (run / "metrics.json").write_text('{"l2_mean": 0.')  # killed while writing
    assert _status(run)[0] == "failed"  # error.txt is still there: rerun


def test_cli_executor_choices_are_the_sweeps_executors():
    from mpinn.analysis.sweep import EXECUTORS
    from mpinn.cli import sweep as cli_sweep

    assert cli_sweep.EXECUTORS == EXECUTORS
