"""The electroosmotic-flow problems: exact/manufactured fields against the lowered
residuals, cross-checks with the reference module, reference-backed and short PINN solves."""

import json

import numpy as np
import pytest
import torch

from mpinn import config, geometry, runs, train
from mpinn.cli import main
from mpinn.compile import ResidualProgram
from mpinn.lower import load
from mpinn.reference.gouy_chapman import channel_exact
from mpinn.viz import run as report

F64 = torch.float64


class Exact(torch.nn.Module):
    def __init__(self, program, values):
        super().__init__()
        self.program, self.values = program, values

    def forward(self, X):
        return self.program.exact_values(X, self.values)


def max_residuals(path, overrides=None):
    """Largest |residual| of every term with the exact fields plugged in (float64)."""
    problem = load(path)
    values = problem.param_values(overrides)
    prog = ResidualProgram(problem)
    exact = Exact(prog, values)
    box = geometry.domain_of(problem, values)
    gen = torch.Generator().manual_seed(0)
    out = {}
    X = geometry.sample_interior(box, 200, seed_or_generator=gen, dtype=F64)
    res = prog.evaluate(exact, X, [t.name for t in problem.equations], values)
    out.update({k: float(v.detach().abs().max()) for k, v in res.items()})
    for t in problem.conditions:
        Xb, nb = geometry.sample_faces(box, t.region, 64, seed_or_generator=gen, dtype=F64)
        res = prog.evaluate(exact, Xb, [t.name], values, nb)
        out[t.name] = float(res[t.name].detach().abs().max())
    return out


@pytest.mark.parametrize("eps", [0.05, 0.02])
def test_channel_exact_solution_satisfies_every_residual(eps):
    res = max_residuals("problems/eof2d_channel.mp", {"eps": eps})
    # terms are O(1/eps^2) inside the double layer; round-off is ~1e-16 of that
    assert max(res.values()) < 1e-9, res


@pytest.mark.parametrize("eps", [0.05, 0.02])
def test_flagship_ansatz_at_net_zero_is_the_exact_channel_solution(eps):
    """eof2d.mp's output ansatz with every network output 0 and a uniform zeta
    (zetap = zeta0) is variant A's exact solution: every residual of the flagship vanishes
    to round-off, and the fields match channel_exact."""
    problem = load("problems/eof2d.mp")
    values = problem.param_values({"eps": eps, "zetap": -2.0})
    setup = train.build(
        problem,
        config.resolve(
            "problems/eof2d.mp",
            None,
            {
                "params": {"eps": eps, "zetap": -2.0},
                "dtype": "float64",
                "threads": 1,
                "reference": {"solver": None},
            },
        ),
    )
    nets = setup.nets
    with torch.no_grad():
        for net in nets.nets.values():
            net.layers[-1].weight.zero_()
    prog, box = ResidualProgram(problem), geometry.domain_of(problem, values)
    gen = torch.Generator().manual_seed(1)
    X = geometry.sample_interior(box, 300, seed_or_generator=gen, dtype=F64)
    res = prog.evaluate(nets, X, [t.name for t in problem.equations], values)
    worst = {k: float(v.detach().abs().max()) for k, v in res.items()}
    for t in problem.conditions:
        Xb, nb = geometry.sample_faces(box, t.region, 64, seed_or_generator=gen, dtype=F64)
        r = prog.evaluate(nets, Xb, [t.name], values, nb)[t.name]
        worst[t.name] = float(r.detach().abs().max())
    assert max(worst.values()) < 1e-8, worst
    fields = nets(X)
    exact = channel_exact(X[:, 0].numpy(), X[:, 1].numpy(), eps=eps, zeta=-2.0, dV=8.0, L=4.0)
    for name in ("phi", "cp", "cm", "u"):
        np.testing.assert_allclose(fields[name].detach().numpy(), exact[name], atol=1e-9)


def test_flagship_ansatz_meets_the_wall_potential_and_no_slip_for_any_networks():
    """On the patched walls of eof2d.mp the outputs meet phi = zeta + ramp and u = 0 by
    construction, whatever the networks: the blurred slip term equals -E zeta(x) there."""
    problem = load("problems/eof2d.mp")
    setup = train.build(
        problem,
        config.resolve(
            "problems/eof2d.mp",
            None,
            {
                "dtype": "float64",
                "threads": 1,
                "seed": 3,
                "reference": {"solver": None},
                "net": {"output_init_scale": 1.0},
            },
        ),
    )
    values, prog = problem.param_values(), ResidualProgram(problem)
    gen = torch.Generator().manual_seed(2)
    walls = next(t for t in problem.conditions if t.name.startswith("walls"))
    Xb, nb = geometry.sample_faces(
        geometry.domain_of(problem, values), walls.region, 200, seed_or_generator=gen, dtype=F64
    )
    Xb[:, 0] = torch.linspace(1.3, 2.7, len(Xb), dtype=F64)  # across both patch edges
    fields = {k: v.detach() for k, v in setup.nets(Xb).items()}
    assert float(fields["u"].abs().max()) < 1e-10
    assert float(fields["phi"].std()) > 0.5  # the wall potential varies along the patch
    res = prog.evaluate(setup.nets, Xb, ["walls.phi", "walls.u"], values, nb)
    assert max(float(r.detach().abs().max()) for r in res.values()) < 1e-10, res


def test_manufactured_fields_are_residual_free():
    res = max_residuals("problems/eof2d_mms.mp")
    assert max(res.values()) < 1e-10, res


def test_problem_files_match_the_reference_module():
    from mpinn.reference.eof_fv import EOFParams
    from mpinn.reference.mms import MMS_DEFAULTS, manufactured

    gen = torch.Generator().manual_seed(3)
    # variant A: the .mp exact solution is the Gouy-Chapman channel solution
    problem = load("problems/eof2d_channel.mp")
    prog, values = ResidualProgram(problem), problem.param_values()
    X = geometry.sample_interior(
        geometry.domain_of(problem, values), 100, seed_or_generator=gen, dtype=F64
    )
    ours = prog.exact_values(X, values)
    ref = channel_exact(X[:, 0].numpy(), X[:, 1].numpy(), eps=0.05, zeta=-2.0, dV=8.0, L=4.0)
    for f in ("phi", "cp", "cm", "u"):
        np.testing.assert_allclose(ours[f].numpy(), ref[f], rtol=1e-9, atol=1e-9)
    # variant C: the same manufactured fields as mpinn/reference/mms.py
    problem = load("problems/eof2d_mms.mp")
    prog, values = ResidualProgram(problem), problem.param_values()
    for name in ("eps", "dV", "L"):
        assert values[name] == MMS_DEFAULTS[name]
    X = geometry.sample_interior(
        geometry.domain_of(problem, values), 100, seed_or_generator=gen, dtype=F64
    )
    ours = prog.exact_values(X, values)
    exact, _ = manufactured(EOFParams(**{**MMS_DEFAULTS, "Pe": values["Pe"]}))
    ref = exact(X[:, 0].numpy(), X[:, 1].numpy())
    for f in ("phi", "cp", "cm", "u", "v", "Pi"):
        np.testing.assert_allclose(ours[f].numpy(), ref[f], rtol=1e-12, atol=1e-12)


SMALL = {
    "net": {"width": 24, "depth": 2},
    "threads": 1,
    "log_every": 50,
    "eval": {"every": 0, "grid": 41},
    "reference": {"solver": None},
}


def test_short_pinn_run_on_the_channel_lowers_the_error(tmp_path):
    path = "problems/eof2d_channel.mp"
    problem = load(path)
    cfg = config.resolve(
        path,
        None,
        {
            **SMALL,
            "steps": 150,
            "optimizer": {"lr": 3e-3, "warmup_steps": 0},
            "sampling": {"interior": 256, "boundary": 64},
        },
    )
    setup = train.build(problem, cfg)
    before = train.current_l2(setup, train.eval_points(setup)[0])
    metrics = runs.solve(path, cfg, tmp_path, problem=problem, plots=False)
    mean_before = np.mean([before[f] for f in ("phi", "cp", "cm", "u")])
    mean_after = np.mean([metrics["l2"][f] for f in ("phi", "cp", "cm", "u")])
    assert mean_after < 0.75 * mean_before, (before, metrics["l2"])
    assert metrics["l2"]["phi"] < 0.5 * before["phi"], (before, metrics["l2"])
    drawn = {p.name for p in report.plot_run(tmp_path)}
    assert {"phi.png", "Pi.png", "loss.png", "profiles.png"} <= drawn


def test_reference_command_and_reference_backed_errors(tmp_path, monkeypatch):
    monkeypatch.setenv("MPINN_CACHE", str(tmp_path / "cache"))
    npz = tmp_path / "ref.npz"
    assert (
        main(["reference", "eof2d", "--grid", "16x12", "--set", "eps=0.1", "--out", str(npz)]) == 0
    )
    assert npz.is_file()
    out = tmp_path / "run"
    assert (
        main(
            [
                "solve",
                "eof2d",
                "--set",
                "eps=0.1",
                "--set",
                f"reference.file={npz}",
                "--set",
                "net.width=8",
                "--set",
                "net.depth=1",
                "--set",
                "eval.grid=21",
                "--steps",
                "2",
                "--threads",
                "1",
                "--quiet",
                "--out",
                str(out),
            ]
        )
        == 0
    )
    m = json.loads((out / "metrics.json").read_text())
    assert set(m["l2"]) == {"phi", "cp", "cm", "u", "v", "Pi"}
    assert all(v is not None and v > 0 for v in m["l2"].values())
    # the cache: a solve with reference.solver computes once and reuses the file
    assert main(["reference", "eof2d", "--grid", "12x8", "--set", "eps=0.1"]) == 0
    cached = list((tmp_path / "cache" / "reference").glob("eof2d-eof-12x8-*.npz"))
    assert len(cached) == 1
    assert main(["reference", "coupled_sym"]) == 2  # no reference solver configured
