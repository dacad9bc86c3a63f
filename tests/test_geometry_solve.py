"""Issue 15 end to end: quantities integrate the networks exactly, periodic directions are
exact with all derivatives, hard conditions hold exactly, and a solve on a shaped domain
writes quantities, a masked grid and plots."""

from __future__ import annotations

import csv
import json
import math

import numpy as np
import pytest
import sympy as sp
import torch

from mpinn import config, runs, train
from mpinn.compile import Batch, DerivativeKey
from mpinn.ir import ShapePiece
from mpinn.lower import lower_source

SMALL = {
    "net": {"width": 16, "depth": 2},
    "sampling": {"interior": 64, "boundary": 16, "initial": 16},
    "threads": 1,
    "eval": {"every": 10, "grid": 41},
    "log_every": 10,
    "dtype": "float64",
}

ANNULUS_HARD = """problem annulus_hard
shape outer = disk((0, 0), 1)
shape hole = disk((0, 0), 0.5)
domain (x, y) in outer - hole
field u
exact u = sin(2*x + y) + x*y + x^2
pde screened: -lap(u) + u = manufactured
bc rim on outer: u = exact hard
bc inner on hole: u = exact hard
quantity area = integral(1, domain) expect 3*pi/4
quantity rim_u = integral(u, outer) expect pi
quantity flux = integral(dn(u), hole)
quantity cut = integral(u, x = 0.75)
"""


def _setup(source: str, tmp_path, **overrides):
    path = tmp_path / "p.mp"
    path.write_text(source)
    problem = lower_source(source, str(path))
    cfg = config.resolve(str(path), None, {**SMALL, **overrides})
    return problem, train.build(problem, cfg), cfg, path


def _zero_last_layer(net) -> None:
    last = [m for m in net.modules() if isinstance(m, torch.nn.Linear)][-1]
    with torch.no_grad():
        last.weight.zero_()
        last.bias.zero_()


def test_quantities_integrate_the_field_exactly(tmp_path):
    """With hard conditions and a zero network the field is exactly ``exact``: each
    quantity must equal the integral of the exact solution (computed here by sympy)."""
    problem, setup, _, _ = _setup(ANNULUS_HARD, tmp_path)
    _zero_last_layer(setup.nets.nets["u"])
    q = train.quantities(setup)
    x, y, t = sp.symbols("x y t", real=True)
    u = sp.sin(2 * x + y) + x * y + x**2
    # flux through r = 1/2 with the domain's normal pointing into the hole: -du/dr
    ur = (sp.diff(u, x) * sp.cos(t) + sp.diff(u, y) * sp.sin(t)).subs(
        {x: sp.cos(t) / 2, y: sp.sin(t) / 2}
    )
    flux = -float(sp.Integral(ur / 2, (t, 0, 2 * sp.pi)).evalf(20))
    # the cut x = 3/4 crosses the annulus in two segments, 0.25 <= |y|... up to sqrt(1-x^2)
    ymax = math.sqrt(1 - 0.75**2)
    cut = float(sp.Integral(u.subs(x, sp.Rational(3, 4)), (y, -ymax, ymax)).evalf(20))
    assert q["area"] == pytest.approx(0.75 * math.pi, rel=1e-6)
    assert q["rim_u"] == pytest.approx(math.pi, rel=1e-9)
    assert q["flux"] == pytest.approx(flux, rel=1e-8)
    assert q["cut"] == pytest.approx(cut, rel=1e-8)
    report = train.quantity_report(problem, q)
    assert report["rim_u"]["expect"] == pytest.approx(math.pi)
    assert report["rim_u"]["error"] < 1e-9 and "expect" not in report["flux"]


def test_hard_conditions_hold_exactly_on_their_pieces(tmp_path):
    problem, setup, _, _ = _setup(ANNULUS_HARD, tmp_path)
    for piece in ("outer", "hole"):
        pts, _ = setup.domain.sample_boundary(
            (ShapePiece(piece),), 200, seed_or_generator=3, dtype=torch.float64
        )
        u = setup.nets(pts)["u"].detach()
        exact = setup.program.exact_values(pts, setup.values)["u"]
        assert float((u - exact).abs().max()) < 1e-12, piece
    # inside, the network matters (the transform is not the exact solution)
    inner = setup.domain.sample_interior(200, seed_or_generator=4, dtype=torch.float64)
    diff = setup.nets(inner)["u"] - setup.program.exact_values(inner, setup.values)["u"]
    assert float(diff.detach().abs().max()) > 1e-4
    assert [t.name for t in problem.conditions] == []  # no loss terms left for them


PERIODIC = """problem wave
domain (x, y) in [0, 2*pi] x [0, 1]
periodic x
field u
pde e: -lap(u) = sin(x)
bc walls on all: u = 0
"""


def test_periodic_direction_is_exact_with_all_derivatives(tmp_path):
    _, setup, _, _ = _setup(PERIODIC, tmp_path)
    pieces = setup.domain.boundary_pieces()  # the ends of x are no boundary
    assert len(pieces) == 2 and all(p.axis == 1 for p in pieces)
    y = torch.linspace(0.05, 0.95, 17, dtype=torch.float64)
    ends = [torch.stack([torch.full_like(y, v), y], 1) for v in (0.0, 2 * math.pi)]
    values = []
    for pts in ends:
        pts = pts.requires_grad_(True)
        batch = Batch(setup.nets(pts), pts)
        keys = [DerivativeKey("u", c) for c in ((), (0,), (0, 0), (0, 0, 0), (0, 1), (1, 1))]
        values.append(torch.stack([batch.get(k) for k in keys]).detach())
    assert float((values[0] - values[1]).abs().max()) < 1e-10
    assert float(values[0][1].abs().max()) > 1e-3  # u_x is not trivially zero


def test_solve_on_a_shaped_domain_writes_quantities_mask_and_plots(tmp_path):
    source = ANNULUS_HARD.replace(" hard", "")
    problem, _, cfg, path = _setup(source, tmp_path, steps=20)
    out = tmp_path / "run"
    metrics = runs.solve(str(path), cfg, out, problem=problem)
    q = metrics["quantities"]
    assert set(q) == {"area", "rim_u", "flux", "cut"}
    assert q["area"]["error"] < 1e-6 and q["rim_u"]["expect"] == pytest.approx(math.pi)
    saved = json.loads((out / "metrics.json").read_text())["quantities"]
    assert saved["area"]["value"] == pytest.approx(q["area"]["value"])
    rows = list(csv.DictReader(open(out / "history.csv")))
    assert rows[-1]["quantity[area]"] and float(rows[-1]["quantity[area]"]) == pytest.approx(
        0.75 * math.pi, rel=1e-6
    )
    with np.load(out / "fields.npz") as data:
        mask, pred = data["mask"], data["pred_u"]
        xs, ys = np.meshgrid(data["axis_x"], data["axis_y"], indexing="ij")
        r = np.hypot(xs, ys)
        assert mask.shape == pred.shape == (41, 41)
        assert not mask[r < 0.45].any() and not mask[r > 1.05].any()
        assert mask[(r > 0.55) & (r < 0.95)].all()
        assert np.isnan(pred[~mask]).all() and np.isfinite(pred[mask]).all()
        assert np.isfinite(data["exact_u"][mask]).all()
    assert (out / "plots" / "u.png").is_file()
    assert metrics["l2"]["u"] is not None and np.isfinite(metrics["l2"]["u"])
