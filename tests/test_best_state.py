"""The reported result: the networks of the smallest validation residual (fixed points,
never the solution) or the last ones; metrics.json reports both."""

import csv
import json
from pathlib import Path

import pytest
import torch

from mpinn import config, runs, train
from mpinn.lower import load
from mpinn.train import evaluate

ROOT = Path(__file__).resolve().parents[1]
PROBLEM = str(ROOT / "problems" / "coupled_sym.mp")
SMALL = {
    "net": {"width": 16, "depth": 2},
    "sampling": {"interior": 48, "boundary": 2},
    "threads": 1,
    "eval": {"every": 20, "grid": 101},
    "log_every": 20,
    "steps": 200,
    "optimizer": {"lr": 5.0e-2},  # large enough that the loss wanders: best != last
}


def _run(tmp_path, name, **over):
    cfg = config.resolve(PROBLEM, None, config.merge(SMALL, over))
    return runs.solve(PROBLEM, cfg, tmp_path / name, plots=False), tmp_path / name


def _validation(run: Path) -> dict:
    rows = csv.DictReader(open(run / "history.csv"))
    return {int(r["step"]): float(r["validation"]) for r in rows if r.get("validation")}


@pytest.fixture(scope="module")
def both(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("best")
    return _run(tmp, "best"), _run(tmp, "last", eval={"report": "last"})


def test_best_and_last_are_both_reported_and_the_chosen_one_is_used(both):
    (mb, rb), (ml, rl) = both
    assert mb["last"] == ml["last"] and mb["best"] == ml["best"]  # same training
    val = _validation(rb)
    assert len(val) == 10 and val == _validation(rl)
    best_step = min(val, key=val.get)
    assert mb["best"]["step"] == best_step and mb["best"]["validation"] == val[best_step]
    assert mb["last"]["step"] == 200
    # the reported numbers and files are the best networks' with report=best ...
    assert mb["reported_step"] == best_step and mb["l2"] == mb["best"]["l2"]
    assert torch.load(rb / "model.pt", weights_only=True)["step"] == best_step
    # ... and the last networks' with report=last
    assert ml["reported_step"] == 200 and ml["l2"] == ml["last"]["l2"]
    assert torch.load(rl / "model.pt", weights_only=True)["step"] == 200
    # state.pt holds the last networks either way (to resume)
    for r in (rb, rl):
        assert torch.load(r / "state.pt", weights_only=True)["step"] == 200


def test_reported_errors_are_those_of_the_saved_model(both):
    (mb, rb), _ = both
    if mb["reported_step"] == mb["last"]["step"]:
        pytest.skip("the last state was the best one in this run")
    cfg = config.resolve(config_path=rb / "config.yaml")
    setup = train.build(load(PROBLEM), cfg)
    runs.load_model(rb / "model.pt", setup.nets)
    pts = evaluate.eval_points(setup)[0]
    l2 = evaluate.current_l2(setup, pts)
    assert l2 == pytest.approx(mb["l2"], rel=1e-6)
    assert mb["l2"] != mb["last"]["l2"]


def test_validation_never_uses_the_solution(tmp_path, both, monkeypatch):
    """Falsify the exact solution: the L2 errors change, the validation residuals (and so
    the choice of the reported step) do not, bit for bit."""
    (mb, rb), _ = both
    real = evaluate.truth
    monkeypatch.setattr(evaluate, "truth", lambda s, p: {k: 3 * v for k, v in real(s, p).items()})
    m, r = _run(tmp_path, "fake")
    assert _validation(r) == _validation(rb)
    assert m["best"]["step"] == mb["best"]["step"]
    assert m["l2"] != mb["l2"]


def test_metrics_json_round_trips(both):
    (mb, rb), _ = both
    assert json.loads((rb / "metrics.json").read_text()) == mb
