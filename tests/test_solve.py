"""End-to-end solve: error reduction, result files, metrics, CLI behaviour."""

import csv
import json
import math

import numpy as np
import pytest
import torch
import yaml

from mpinn import config, runs, train
from mpinn.cli import main
from mpinn.config import ConfigError
from mpinn.lower import load

SMALL = {
    "net": {"width": 24, "depth": 2},
    "sampling": {"interior": 64, "boundary": 2},
    "threads": 1,
    "eval": {"every": 100, "grid": 201},
    "log_every": 25,
}


def test_short_solve_reduces_error_and_writes_everything(tmp_path):
    path = "problems/coupled_sym.mp"
    problem = load(path)
    cfg = config.resolve(path, None, {**SMALL, "steps": 400, "optimizer": {"lr": 3e-3}})
    setup = train.build(problem, cfg)
    initial = train.current_l2(setup, train.eval_points(setup)[0])
    metrics = runs.solve(path, cfg, tmp_path, problem=problem)
    for f in problem.fields:
        assert metrics["l2"][f] < initial[f] / 10, (metrics["l2"], initial)
    for name in (
        "config.yaml",
        "metrics.json",
        "history.csv",
        "fields.npz",
        "model.pt",
        "problem.mp",
        "plots/loss.png",
        "plots/u.png",
        "plots/v.png",
    ):
        assert (tmp_path / name).is_file(), name
    m = json.loads((tmp_path / "metrics.json").read_text())
    for key in (
        "problem",
        "params",
        "optimizer",
        "balance",
        "steps",
        "seed",
        "wall_time_s",
        "l2",
        "l2_mean",
        "final_losses",
    ):
        assert key in m, key
    assert m["problem"] == "coupled_sym" and m["optimizer"] == "soap"
    assert m["balance"] == "gradnorm" and m["steps"] == 400 and m["seed"] == 0
    assert set(m["l2"]) == {"u", "v"} and m["wall_time_s"] > 0
    assert math.isclose(m["l2_mean"], np.mean(list(m["l2"].values())))
    assert set(m["final_losses"]) == {"eq_u", "eq_v", "ends.u", "ends.v"}
    rows = list(csv.DictReader(open(tmp_path / "history.csv")))
    assert len(rows) == 400 // 25 and float(rows[-1]["step"]) == 400
    with np.load(tmp_path / "fields.npz") as data:
        assert data["pred_u"].shape == (201,) and "exact_v" in data.files
    state = torch.load(tmp_path / "model.pt", weights_only=True)
    assert state["fields"] == ["u", "v"] and state["step"] == 400
    # rerunning with the saved config reproduces the run exactly
    again = config.resolve(path, tmp_path / "config.yaml")
    assert again == cfg


def test_cli_set_changes_parameter_everywhere(tmp_path):
    out = tmp_path / "run"
    code = main(
        [
            "solve",
            "coupled_asym",
            "--set",
            "gamma=30",
            "--set",
            "net.width=8",
            "--steps",
            "5",
            "--threads",
            "1",
            "--quiet",
            "--out",
            str(out),
        ]
    )
    assert code == 0
    cfg = yaml.safe_load((out / "config.yaml").read_text())
    assert cfg["params"] == {"gamma": 30} and cfg["net"]["width"] == 8
    assert json.loads((out / "metrics.json").read_text())["params"] == {"gamma": 30.0, "rho": 10.0}


def test_cli_errors_exit_2(tmp_path, capsys):
    assert main(["solve", "coupled_sym", "--set", "gamma_=3", "--quiet"]) == 2
    assert "did you mean 'gamma'" in capsys.readouterr().err
    assert main(["solve", "coupled_sym", "--set", "net.widht=3", "--quiet"]) == 2
    assert "unknown config key 'net.widht'" in capsys.readouterr().err
    assert (
        main(
            [
                "solve",
                "coupled_sym",
                "--optimizer",
                "sgd",
                "--steps",
                "1",
                "--quiet",
                "--out",
                str(tmp_path / "x"),
            ]
        )
        == 2
    )
    assert "sgd" in capsys.readouterr().err
    assert main(["solve", "coupled_sym", "--no-such-flag"]) == 2
    assert "unrecognized arguments" in capsys.readouterr().err
    assert main(["solve", "no_such_problem"]) == 2
    bad = tmp_path / "bad.mp"
    bad.write_text("domain x in [0, 1]\nfield u\npde e: dxx(u) = gama\n")
    assert main(["solve", str(bad)]) == 2
    err = capsys.readouterr().err
    assert f"{bad}:3:17: error: unknown name 'gama'" in err and "Traceback" not in err


def test_nan_guard_stops_and_keeps_last_good_state(tmp_path):
    bad = tmp_path / "nan.mp"
    # log of a network output that is negative somewhere: the residual is NaN at once
    bad.write_text("domain x in [0, 1]\nfield u\npde e: log(u - 10) = 0\nbc b on all: u = 0\n")
    out = tmp_path / "run"
    code = main(
        ["solve", str(bad), "--steps", "20", "--threads", "1", "--quiet", "--out", str(out)]
    )
    assert code == 1
    m = json.loads((out / "metrics.json").read_text())
    assert "non-finite" in m["stopped"] and m["status"] == "diverged"
    state = torch.load(out / "model.pt", weights_only=True)
    assert all(torch.isfinite(v).all() for v in state["nets"].values())
    # the model holds the networks put back, and says which step they are from
    assert state["step"] == m["model_step"] == 0 and m["steps_done"] == 0


def test_a_run_whose_loss_blows_up_is_reported_as_diverged(tmp_path, capsys):
    out = tmp_path / "run"
    code = main(
        ["solve", "coupled_sym", "--lr", "1e3", "--steps", "400", "--threads", "1"]
        + ["--quiet", "--out", str(out), "--set", "net.width=16"]
    )
    assert code == 1
    m = json.loads((out / "metrics.json").read_text())
    assert m["status"] == "diverged" and m["steps_done"] < 400
    assert "learning rate" in m["stopped"] and "diverged" in capsys.readouterr().out


HEAT = """problem heat
domain x in [0, 1]
time t in [0, 0.2]
field u
exact u = exp(-pi^2*t)*sin(pi*x)
pde diffusion: dt(u) = dxx(u)
bc ends on all: u = 0
ic start on t = 0: u = exact
"""


def test_time_dependent_problem_trains_with_initial_condition(tmp_path):
    path = tmp_path / "heat.mp"
    path.write_text(HEAT)
    problem = load(path)
    cfg = config.resolve(
        path,
        None,
        {
            **SMALL,
            "steps": 300,
            "optimizer": {"lr": 3e-3},
            "sampling": {"interior": 128, "boundary": 32, "per_term": {"start": 48}},
        },
    )
    setup = train.build(problem, cfg)
    kinds = {g.kind: g for g in setup.groups}
    assert kinds["initial"].terms == ["start"] and kinds["initial"].n == 48
    points, _ = train.points_for(setup, kinds["initial"], 0)
    assert points.shape == (48, 2) and bool((points[:, 1] == 0).all())
    initial = train.current_l2(setup, train.eval_points(setup)[0])["u"]
    metrics = runs.solve(path, cfg, tmp_path / "run", problem=problem, plots=False)
    assert metrics["l2"]["u"] < initial / 5, (initial, metrics["l2"])


def test_config_output_transform_and_bad_config(tmp_path):
    path = "problems/coupled_sym.mp"
    problem = load(path)
    cfg = config.resolve(path, None, {**SMALL, "outputs": {"u": "exp", "v": 3}})
    setup = train.build(problem, cfg)
    X = torch.rand(20, 1)
    out = setup.nets(X)
    raw_u = setup.nets.nets["u"](setup.nets.inputs(X))
    raw_v = setup.nets.nets["v"](setup.nets.inputs(X))
    torch.testing.assert_close(out["u"], torch.exp(raw_u))
    torch.testing.assert_close(out["v"], 3 * raw_v)
    for bad in (
        {"outputs": {"w": "exp"}},
        {"outputs": {"u": "cube"}},
        {"sampling": {"per_term": {"nowhere": 3}}},
        {"net": {"output_init_scale": 0}},
    ):
        with pytest.raises(config.ConfigError):
            train.build(problem, config.resolve(path, None, bad))
    # YAML 1.1 reads 5e-4 as text; a number it is (files and --set alike), text is not
    assert config.resolve(path, None, {"optimizer": {"lr": "5e-4"}}).optimizer.lr == 5e-4
    with pytest.raises(config.ConfigError, match="expected a number"):
        config.resolve(path, None, {"optimizer": {"lr": "fast"}})


def test_stop_request_saves_state_and_results_at_that_step(tmp_path):
    """A signal (here: should_stop) mid-run: the step in progress finishes, then the state
    and the results of exactly that step are written; metrics say it was interrupted."""
    path = "problems/coupled_sym.mp"
    cfg = config.resolve(
        path, None, {**SMALL, "steps": 400, "checkpoint_every": 50, "log_every": 25}
    )
    seen = []

    class Progress:
        def update(self, step, info):
            seen.append(step)
            if step == 100:
                assert (tmp_path / "history.csv").is_file()  # the checkpoint at step 100

    m = runs.solve(
        path,
        cfg,
        tmp_path,
        progress=Progress(),
        plots=False,
        should_stop=lambda: "SIGTERM" if seen[-1] == 120 else None,
    )
    rows = list(csv.DictReader(open(tmp_path / "history.csv")))
    assert [int(r["step"]) for r in rows] == [25, 50, 75, 100]  # no extra row: resumable
    assert m == json.loads((tmp_path / "metrics.json").read_text())
    assert m["status"] == "interrupted" and m["interrupted"] == "SIGTERM"
    assert m["steps_done"] == 120 and not m["stopped"]
    # the only validation so far was at step 100: those networks are reported; the last
    # ones (step 120) are in the state, to resume
    assert m["best"]["step"] == m["reported_step"] == m["model_step"] == 100
    assert m["last"]["step"] == 120
    assert m["wall_time_s"] >= float(rows[-1]["time_s"]) > 0  # the time up to the interrupt
    assert torch.load(tmp_path / "model.pt", weights_only=True)["step"] == 100
    assert torch.load(tmp_path / "state.pt", weights_only=True)["step"] == 120


def test_hard_interrupt_keeps_the_last_checkpoint(tmp_path):
    """A KeyboardInterrupt raised inside a step (Ctrl-C twice) leaves at once; the
    directory holds the last checkpoint whole (state, model and history of step 100)."""
    path = "problems/coupled_sym.mp"
    cfg = config.resolve(
        path, None, {**SMALL, "steps": 400, "checkpoint_every": 50, "log_every": 25}
    )

    class StopAt:
        def update(self, step, info):
            if step == 120:
                raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        runs.solve(path, cfg, tmp_path, progress=StopAt(), plots=False)
    rows = list(csv.DictReader(open(tmp_path / "history.csv")))
    assert [int(r["step"]) for r in rows] == [25, 50, 75, 100]
    assert not (tmp_path / "metrics.json").exists()
    assert torch.load(tmp_path / "model.pt", weights_only=True)["step"] == 100
    assert torch.load(tmp_path / "state.pt", weights_only=True)["step"] == 100
    assert not (tmp_path / ".pending").exists()


def test_small_output_init_starts_near_the_transform_of_zero_and_still_learns():
    path = "problems/coupled_sym.mp"
    problem = load(path)
    net = {"width": 24, "depth": 2}
    X = torch.rand(50, 1)
    plain = train.build(problem, config.resolve(path, None, {**SMALL, "net": net})).nets(X)
    cfg = config.resolve(
        path,
        None,
        {**SMALL, "steps": 30, "outputs": {"v": "exp"}, "net": {**net, "output_init_scale": 0.01}},
    )
    setup = train.build(problem, cfg)
    out = setup.nets(X)
    torch.testing.assert_close(out["u"], 0.01 * plain["u"])  # same seed, scaled last layer
    assert torch.all((out["v"] - 1).abs() < 0.05)  # exp(net) with net near 0
    first = setup.nets.nets["u"].layers[0].weight.detach().clone()
    train.train(setup)
    assert not torch.equal(first, setup.nets.nets["u"].layers[0].weight)


def test_init_starts_the_networks_from_a_saved_run_even_at_other_parameters(tmp_path):
    """`init: model.pt` is a warm start: the new run's networks are the saved ones, also
    when a parameter differs (a continuation); a wrong file is a ConfigError."""
    path = "problems/coupled_sym.mp"
    problem = load(path)
    small = {
        "steps": 30,
        "threads": 1,
        "net": {"width": 16, "depth": 2},
        "sampling": {"interior": 64, "boundary": 16},
        "eval": {"every": 0},
    }
    runs.solve(path, config.resolve(path, None, small), tmp_path / "a", plots=False)
    X = torch.rand(40, 1)
    saved = train.build(problem, config.resolve(path, None, small))
    runs.load_model(tmp_path / "a" / "model.pt", saved.nets)
    warm = train.build(
        problem,
        config.resolve(
            path,
            None,
            {
                **small,
                "seed": 7,
                "params": {"gamma": 10.0},
                "init": str(tmp_path / "a" / "model.pt"),
            },
        ),
    )
    cold = train.build(problem, config.resolve(path, None, {**small, "seed": 7}))
    for f in problem.fields:
        a, b, c = (s.nets(X)[f].detach() for s in (saved, warm, cold))
        assert torch.equal(a, b) and not torch.allclose(a, c)
    with pytest.raises(ConfigError, match="init: cannot start from"):
        train.build(
            problem,
            config.resolve(
                path,
                None,
                {
                    **small,
                    "net": {"width": 8, "depth": 2},
                    "init": str(tmp_path / "a" / "model.pt"),
                },
            ),
        )
    with pytest.raises(ConfigError, match="init: cannot start from"):
        train.build(problem, config.resolve(path, None, {**small, "init": str(tmp_path / "no.pt")}))


def test_run_directory_keeps_the_problem_as_it_was_when_the_run_started(tmp_path):
    source = tmp_path / "p.mp"
    text = open("problems/coupled_sym.mp").read()
    source.write_text(text)
    cfg = config.resolve(str(source), None, {**SMALL, "steps": 20})
    out = tmp_path / "run"

    class EditDuringRun:  # a user editing the problem file while a long run goes on
        def update(self, step, info):
            assert (out / "problem.mp").read_text() == text  # already there while running
            assert (out / "config.yaml").is_file()
            source.write_text(text.replace("problem", "problem  # edited", 1))

    runs.solve(source, cfg, out, progress=EditDuringRun(), plots=False)
    assert (out / "problem.mp").read_text() == text
    assert "edited" in source.read_text()


def test_cluster_at_interior_planes_follows_the_problem_parameters():
    from mpinn.geometry import Face, Plane

    path = "problems/eof2d.mp"
    problem = load(path)
    cluster = [
        {"faces": ["bottom", "top"], "fraction": 0.5, "width": 3, "scale_param": "eps"},
        {"at": {"x": ["a", "b", 3.0]}, "fraction": 0.2, "width": 0.2},
    ]
    over = {"sampling": {"interior": 64, "boundary": 8, "cluster": cluster}, "params": {"a": 1.0}}
    setup = train.build(problem, config.resolve(path, None, over))
    walls, edges = setup.sampler.clusters
    assert walls.faces == (Face(1, 0), Face(1, 1)) and math.isclose(walls.width, 0.06)
    assert edges.faces == (Plane(0, 1.0), Plane(0, 2.5), Plane(0, 3.0)) and edges.fraction == 0.2
    for bad, match in (
        ({"z": [1.0]}, "not a coordinate"),
        ({"x": ["q"]}, "neither a number"),
        ({"x": [9.0]}, "outside the box"),
    ):
        cfg = config.resolve(
            path, None, {"sampling": {"cluster": [{"at": bad, "fraction": 0.2, "width": 0.2}]}}
        )
        with pytest.raises(ConfigError, match=match):
            train.build(problem, cfg)
