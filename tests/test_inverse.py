"""Inverse problems: `unknown` parameters, `data` terms, `mpinn synth`."""

import csv
import json
import math
from pathlib import Path

import numpy as np
import pytest
import torch

from mpinn import config, train
from mpinn.cli import main
from mpinn.ir import TermKind, data_symbol
from mpinn.lang.diagnostics import MpError
from mpinn.lower import load, lower_source
from mpinn.model.unknowns import Unknowns

ROOT = Path(__file__).resolve().parents[1]

# -u'' + k u = f, u(0) = u(1) = 0, the forcing made with k = 2 and u = sin(pi x)
REACTION = """problem reaction
unknown k = 1 in [0.1, 10]
domain x in [0, 1]
field u
exact u = sin(pi*x)
pde e: -dxx(u) + k*u = (pi^2 + 2)*sin(pi*x)
bc ends on x = 0 or x = 1: u = 0
data obs: u from "obs.csv"
"""


def _write(tmp_path, text=REACTION, rows=None, name="obs.csv"):
    x = np.linspace(0.02, 0.98, 40)
    rows = rows if rows is not None else [("x", "u")] + list(zip(x, np.sin(np.pi * x)))
    with open(tmp_path / name, "w", newline="") as fh:
        csv.writer(fh).writerows(rows)
    mp = tmp_path / "p.mp"
    mp.write_text(text)
    return mp


def test_unknown_and_data_lower_to_params_and_data_terms(tmp_path):
    problem = load(_write(tmp_path))
    k = problem.params["k"]
    assert k.unknown and [float(b) for b in k.bounds] == [0.1, 10]
    assert list(problem.unknowns) == ["k"] and problem.param_values() == {"k": 1.0}
    (term,) = problem.data_terms
    assert term.kind == TermKind.DATA and term.name == "obs"
    assert term.residual == problem.funcs["u"] - data_symbol("obs", "u")
    ds = problem.data["obs"]
    assert ds.points.shape == (40, 1) and np.allclose(
        ds.values["u"], np.sin(np.pi * ds.points[:, 0])
    )
    assert not problem.warnings


@pytest.mark.parametrize(
    "edit, message",
    [
        (("unknown k = 1 in [0.1, 10]", "unknown k = 20 in [0.1, 10]"), "not strictly inside"),
        (("domain x in [0, 1]", "domain x in [0, k]"), "domain depends on the unknown 'k'"),
        (("field u\n", "field u\nparam c = 2*k\n"), "depends on the unknown 'k'"),
        (('from "obs.csv"', 'from "missing.csv"'), "cannot read data file missing.csv"),
        (("data obs: u", "data obs: k"), "'k' is not a field"),
    ],
)
def test_inverse_mistakes_are_diagnostics(tmp_path, edit, message):
    path = _write(tmp_path, REACTION.replace(*edit))
    with pytest.raises(MpError, match=message) as err:
        load(path)
    assert err.value.span is not None and err.value.format().startswith(f"{path}:")


@pytest.mark.parametrize(
    "rows, message",
    [
        ([("x", "v"), (0.5, 1.0)], "has no column 'u'"),
        ([("x", "u"), (0.5, "nan")], "non-finite value in data row 1"),
        ([("x", "u"), (0.5, 1.0), (1.5, 0.0)], "data row 2 lies outside the domain"),
        ([("x", "u"), (0.5,)], "line 2 has 1 values"),
        ([("x", "u"), (0.5, "abc")], "not a number"),
        ([("x", "u")], "has no rows"),
    ],
)
def test_bad_data_files_are_diagnostics_with_exit_2(tmp_path, capsys, rows, message):
    path = _write(tmp_path, rows=rows)
    assert main(["check", str(path)]) == 2
    err = capsys.readouterr().err
    assert message in err and f"{path}:8:1" in err and "Traceback" not in err


def test_npz_data_and_its_shape_check(tmp_path):
    x = np.linspace(0.1, 0.9, 5)
    np.savez(tmp_path / "obs.npz", x=x, u=np.sin(np.pi * x))
    text = REACTION.replace("obs.csv", "obs.npz")
    assert load(_write(tmp_path, text)).data["obs"].points.shape == (5, 1)
    np.savez(tmp_path / "obs.npz", x=x, u=np.ones((5, 2)))
    with pytest.raises(MpError, match=r"shape \(5, 2\)"):
        load(_write(tmp_path, text))


def test_bounded_unknown_stays_inside_whatever_its_raw_value(tmp_path):
    problem = load(_write(tmp_path))
    u = Unknowns(problem, {"k": 1.0})
    assert u.floats()["k"] == pytest.approx(1.0, rel=1e-6)
    for raw in (-1e4, -30.0, 0.0, 30.0, 1e4):
        with torch.no_grad():
            u.raw["k"].fill_(raw)
        assert 0.1 <= u.floats()["k"] <= 10
    lower = lower_source("domain x in [0, 1]\nunknown c = -3\nfield u\npde e: u = c\n")
    assert Unknowns(lower, {"c": -3.0}).floats() == {"c": -3.0}  # unbounded: the value itself


def test_data_residual_and_minibatches(tmp_path):
    problem = load(_write(tmp_path))
    cfg = config.resolve(None, None, {"sampling": {"data": 16}, "threads": 1})
    setup = train.build(problem, cfg)
    group = next(g for g in setup.groups if g.kind == "data")
    assert group.n == 16 and group.terms == ["obs"]
    pts, vals = train.setup.data_batch(setup, group, 0)
    pts2, _ = train.setup.data_batch(setup, group, 0)
    pts3, _ = train.setup.data_batch(setup, group, 5)
    assert pts.shape == (16, 1) and torch.equal(pts, pts2) and not torch.equal(pts, pts3)
    res = setup.program.evaluate(setup.nets, pts, ["obs"], setup.values, data=vals)["obs"]
    expected = setup.nets(pts)["u"] - vals[data_symbol("obs", "u")]
    torch.testing.assert_close(res, expected)
    all_pts, _ = train.setup.data_batch(setup, group, None)  # validation: every row
    assert all_pts.shape == (40, 1)


def test_unknown_is_recovered_and_reported(tmp_path, capsys):
    path = _write(tmp_path)
    out = tmp_path / "run"
    code = main(
        ["solve", str(path), "--steps", "600", "--threads", "1", "--out", str(out)]
        + ["--set", "net.width=16", "--set", "net.depth=2", "--set", "optimizer.lr=1e-2"]
    )
    assert code == 0
    m = json.loads((out / "metrics.json").read_text())
    k = m["unknowns"]["k"]
    assert k["initial"] == 1.0 and abs(k["value"] - 2.0) < 0.05, k  # truth 2
    rows = list(csv.DictReader(open(out / "history.csv")))
    trace = [float(r["unknown[k]"]) for r in rows]
    assert trace[0] < 1.5 and abs(trace[-1] - 2.0) < 0.05
    assert "loss[obs]" in rows[0]
    text = capsys.readouterr().out
    assert "unknowns" in text and f"{k['value']:.6g}" in text


def test_synth_is_seeded_and_its_noise_is_relative(tmp_path):
    a, b, c = (tmp_path / n for n in ("a.csv", "b.csv", "c.csv"))
    base = ["synth", "coupled_sym", "--fields", "u,v", "--points", "400"]
    assert main([*base, "--noise", "0.05", "--seed", "3", "-o", str(a)]) == 0
    assert main([*base, "--noise", "0.05", "--seed", "3", "-o", str(b)]) == 0
    assert main([*base, "--noise", "0", "--seed", "3", "-o", str(c)]) == 0
    assert a.read_text() == b.read_text()
    noisy, clean = (np.genfromtxt(p, delimiter=",", names=True) for p in (a, c))
    assert np.array_equal(noisy["x"], clean["x"]) and (0 < clean["x"]).all()
    x = clean["x"]
    assert np.allclose(clean["u"], np.sin(np.pi * x) + x / 2)
    for f in ("u", "v"):
        rms = math.sqrt(np.mean(clean[f] ** 2))
        assert np.std(noisy[f] - clean[f]) / rms == pytest.approx(0.05, rel=0.15)


def test_shipped_inverse_examples_check_clean():
    for name in ("coupled_gamma", "diffusivity"):
        problem = load(ROOT / "examples" / "inverse" / f"{name}.mp")
        assert problem.data and not problem.warnings
    assert list(load(ROOT / "examples/inverse/coupled_gamma.mp").unknowns) == ["gamma"]


def test_an_inverse_run_resumes_from_its_own_directory(tmp_path):
    from mpinn import runs

    path = _write(tmp_path)
    cfg = config.resolve(path, None, {"steps": 40, "threads": 1, "net": {"width": 8}})
    seen = []

    class Progress:
        def update(self, step, info):
            seen.append(step)

    out = tmp_path / "run"
    m = runs.solve(
        path, cfg, out, progress=Progress(), plots=False, should_stop=lambda: seen[-1] == 20
    )
    assert (
        m["status"] == "interrupted"
        and (out / "obs.csv").read_bytes() == (tmp_path / "obs.csv").read_bytes()
    )
    (tmp_path / "obs.csv").unlink()  # the run directory is self-contained
    m = runs.resume(out, plots=False)
    assert m["status"] == "finished" and m["steps_done"] == 40 and "k" in m["unknowns"]
