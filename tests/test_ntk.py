"""Tests for mpinn.ntk: projector algebra, Jacobians against finite differences, the
gamma^2 growth of lambda_max(K), the bound lambda_max(K_P) <= S, and the CLI."""

import json
import math

import pytest
import torch

from mpinn import config, train
from mpinn.analysis import ntk
from mpinn.cli import main
from mpinn.cli.common import problem_path
from mpinn.lower import load

torch.set_num_threads(1)


def _spectra(blocks, basis="svd"):
    return ntk.kernel_spectra({f"n{i}": b for i, b in enumerate(blocks)}, basis)


def _orth(n, k, gen):
    q, _ = torch.linalg.qr(torch.randn(n, k, dtype=torch.float64, generator=gen))
    return q


# --- projector algebra on synthetic Jacobians ---------------------------------------------
def test_full_row_rank_gives_S_identity():
    gen = torch.Generator().manual_seed(0)
    blocks = [
        torch.randn(12, p, dtype=torch.float64, generator=gen) * s
        for p, s in ((20, 1.0), (15, 1e3), (12, 1e-4))
    ]
    sp = _spectra(blocks)
    assert torch.allclose(sp["KP"], torch.full((12,), 3.0, dtype=torch.float64), atol=1e-12)
    assert all(n["rank"] == 12 and n["full_row_rank"] for n in sp["networks"].values())
    # K itself is scale dependent, K_P is not
    K = sum(b @ b.T for b in blocks)
    assert math.isclose(float(sp["K"][-1]), float(torch.linalg.eigvalsh(K)[-1]), rel_tol=1e-12)


def test_overlapping_ranges_known_spectrum():
    e = torch.eye(6, dtype=torch.float64)
    gen = torch.Generator().manual_seed(1)
    mix = lambda k, p: torch.randn(k, p, dtype=torch.float64, generator=gen)  # noqa: E731
    j1 = e[:, [0, 1]] @ mix(2, 9)  # range span(e0, e1), 9 parameters
    j2 = e[:, [1, 2]] @ mix(2, 4)  # range span(e1, e2)
    sp = _spectra([j1, j2])
    assert [n["rank"] for n in sp["networks"].values()] == [2, 2]
    expected = torch.tensor([0, 0, 0, 1, 1, 2], dtype=torch.float64)
    assert torch.allclose(sp["KP"], expected, atol=1e-12)


def test_principal_angle_spectrum_and_fewer_params_than_rows():
    theta = 0.3
    e = torch.eye(5, dtype=torch.float64)
    j1 = 7.0 * e[:, :1]  # one parameter each: fewer parameters than rows
    j2 = -2.0 * (math.cos(theta) * e[:, :1] + math.sin(theta) * e[:, 1:2])
    sp = _spectra([j1, j2])
    top = sorted(float(v) for v in sp["KP"])[-2:]
    assert top[0] == pytest.approx(1 - math.cos(theta), abs=1e-12)
    assert top[1] == pytest.approx(1 + math.cos(theta), abs=1e-12)
    s = ntk.summarize(sp, {}, [])
    assert s["bound_holds"] and not s["equality"] and not s["every_net_enough_params"]


def test_rank_tolerance_and_sketch_matches_svd():
    gen = torch.Generator().manual_seed(2)
    n, p, r = 400, 900, 25
    sv = torch.logspace(0, -9, r, dtype=torch.float64)
    J = _orth(n, r, gen) @ torch.diag(sv) @ _orth(p, r, gen).T
    J = J + 1e-17 * torch.randn(n, p, dtype=torch.float64, generator=gen)  # below the tol
    exact = ntk.range_basis(J, "svd")
    sketch = ntk.range_basis(J, "sketch")
    assert exact["rank"] == r and sketch["rank"] == r and sketch["method"] == "sketch"
    assert exact["tol"] == pytest.approx(max(n, p) * ntk.EPS64 * 1.0, rel=1e-10)
    P1 = exact["U"] @ exact["U"].T
    P2 = sketch["U"] @ sketch["U"].T
    assert float((P1 - P2).abs().max()) < 1e-6


# --- Jacobians ----------------------------------------------------------------------------
def _setup(name, points=6, width=6, depth=2, params=None, seed=0):
    path = problem_path(name)
    cfg = config.resolve(
        path,
        None,
        {
            "dtype": "float64",
            "seed": seed,
            "params": params or {},
            "sampling": {"interior": points},
            "net": {"width": width, "depth": depth},
        },
    )
    return train.build(load(path), cfg)


def test_jacobian_matches_central_differences_and_autograd():
    setup = _setup("coupled_nonlinear", params={"gamma": 3.0})
    nets = ntk.float64_nets(setup.nets)
    sets = ntk.point_sets(setup, include_conditions=True)
    blocks = ntk.jacobian_blocks(setup.program, nets, sets, setup.values, chunk=4)
    ref = ntk.jacobian_blocks(setup.program, nets, sets, setup.values, method="autograd")

    def residuals():
        out = []
        for s in sets:
            res = setup.program.evaluate(nets, s.points, s.terms, setup.values, s.normals)
            out.append(torch.stack([res[t] for t in s.terms], dim=1).reshape(-1))
        return torch.cat(out).detach()

    h = 1e-6
    for f in nets.fields:
        assert torch.allclose(blocks[f], ref[f], rtol=1e-11, atol=1e-11)
        flat = torch.cat([p.detach().reshape(-1) for p in nets.nets[f].parameters()])
        cols = []
        for j in range(flat.numel()):
            for sign in (1, -1):
                shifted = flat.clone()
                shifted[j] += sign * h
                torch.nn.utils.vector_to_parameters(shifted, nets.nets[f].parameters())
                cols.append(residuals())
        torch.nn.utils.vector_to_parameters(flat, nets.nets[f].parameters())
        fd = torch.stack(
            [(cols[2 * j] - cols[2 * j + 1]) / (2 * h) for j in range(flat.numel())], dim=1
        )
        scale = float(fd.abs().max())
        assert float((blocks[f] - fd).abs().max()) < 1e-6 * scale
    # rows: 2 equations x 6 points + 2 conditions x 2 distinct boundary points
    assert blocks["u"].shape[0] == 2 * 6 + 2 * 2


# --- the claims on a small network ---------------------------------------------------------
@pytest.mark.parametrize("name", ["coupled_sym", "coupled_asym"])
def test_gamma_squared_growth_and_bound(name):
    setup = _setup(name, points=16, width=12, depth=2)
    gammas = [30.0, 100.0, 300.0, 1000.0]
    rep = ntk.ntk_check(setup, ("gamma", gammas))
    slope = rep.fit[0]
    assert 1.8 <= slope <= 2.2
    for r in rep.results:
        assert r["lambda_max_KP"] <= 2 * (1 + 1e-6)
        assert r["bound_holds"]
        assert r["equality"]  # linear coupling: (l, -l) is in both ranges
    js = rep.to_json()
    assert js["fit_exponent"] == pytest.approx(slope)
    assert [r["params"]["gamma"] for r in js["results"]] == gammas


def test_fit_exponent_upper_half():
    xs = [1, 3, 10, 30, 100, 300, 1000]
    ys = [5.0 + x**2 for x in xs]
    slope, _, used = ntk.fit_exponent(xs, ys)
    assert used == [100.0, 300.0, 1000.0]
    assert slope == pytest.approx(2.0, abs=1e-3)


# --- CLI ----------------------------------------------------------------------------------
def test_cli_json(tmp_path):
    out = tmp_path / "ntk.json"
    rc = main(
        [
            "ntk-check",
            "coupled_sym",
            "--points",
            "32",
            "--sweep",
            "gamma=1,10",
            "--json",
            str(out),
            "--threads",
            "1",
        ]
    )
    assert rc == 0
    data = json.loads(out.read_text())
    for key in ("S", "fit_exponent", "results"):
        assert key in data
    assert data["S"] == 2 and len(data["results"]) == 2
    for r in data["results"]:
        for key in (
            "params",
            "rows",
            "lambda_max_K",
            "lambda_min_K",
            "lambda_max_KP",
            "bound_holds",
            "networks",
        ):
            assert key in r
        assert r["rows"] == 64
        assert set(r["networks"]) == {"u", "v"}
        assert {"params", "rank"} <= set(r["networks"]["u"])
        assert r["bound_holds"]


@pytest.mark.parametrize(
    "argv",
    [
        ["--sweep", "beta=1,10"],
        ["--sweep", "gamma=1,ten"],
        ["--sweep", "gamma"],
        ["--set", "nope=3"],
        ["--points", "0"],
    ],
)
def test_cli_bad_input_exits_2(argv, tmp_path):
    assert main(["ntk-check", "coupled_sym", "--points", "4", *argv]) == 2


def test_cli_run_dir(tmp_path):
    """--run reads config.yaml + model.pt (here: a model saved from a fresh setup)."""
    from mpinn import runs

    setup = _setup("coupled_sym", width=8, depth=2, seed=5)
    with torch.no_grad():
        for p in setup.nets.parameters():
            p.mul_(1.5)
    run = tmp_path / "run"
    run.mkdir()
    config.save(setup.cfg, run / "config.yaml")
    runs.save_model(run / "model.pt", setup.nets, 0)
    out = tmp_path / "r.json"
    assert main(["ntk-check", "coupled_sym", "--run", str(run), "--json", str(out)]) == 0
    loaded = json.loads(out.read_text())["results"][0]
    direct = ntk.ntk_check(setup).results[0]
    assert loaded["lambda_max_K"] == pytest.approx(direct["lambda_max_K"], rel=1e-10)
    assert main(["ntk-check", "coupled_sym", "--run", str(tmp_path / "missing")]) == 2
