"""Tests for the torch side of shaped domains (ShapeDomain), periodic boxes, box quadrature,
domain_of and the Sampler's batch keys."""

import math
import pickle

import numpy as np
import pytest
import sympy as sp
import torch

from mpinn.geometry import (
    Box,
    Cluster,
    Face,
    Plane,
    Sampler,
    ShapeDomain,
    derive_seed,
    domain_of,
    eval_grid,
    sample_faces,
    sample_interior,
)
from mpinn.ir import Problem
from mpinn.ir.regions import CoordPiece, Section, ShapePiece, WholeBoundary
from mpinn.ir.shapes import Combine, Named, Primitive
from mpinn.shapes import build

S = sp.S


def pt(*xs):
    return tuple(S(x) for x in xs)


def dfg_tree():
    channel = Named("channel", Primitive("rect", (pt(0, 0), pt(2.2, 0.41))))
    cyl = Named("cyl", Primitive("disk", (pt(0.2, 0.2), S(0.05))))
    return Combine("difference", channel, cyl)


def dfg(time=None):
    return ShapeDomain(("x", "y"), build(dfg_tree()), time)


def annulus():
    tree = Combine(
        "difference",
        Named("outer", Primitive("disk", (pt(0, 0), S(1)))),
        Named("hole", Primitive("disk", (pt(0, 0), S(0.5)))),
    )
    return ShapeDomain(("x", "y"), build(tree), ("t", 0.0, 2.0))


# --------------------------------------------------------------------------- ShapeDomain


def test_shape_domain_interface():
    d = annulus()
    assert (d.dim, d.ndim, d.columns) == (2, 3, ("x", "y", "t"))
    assert d.bounding_box() == ((-1.0, -1.0), (1.0, 1.0))
    assert d.boundary_pieces() == (WholeBoundary(),)
    assert d.piece_measure(ShapePiece("hole")) == pytest.approx(math.pi)
    assert d.volume == pytest.approx(0.75 * math.pi, rel=1e-9)
    x = d.sample_interior(500, seed_or_generator=0)
    assert x.shape == (500, 3) and x.dtype == torch.float32
    assert d.contains(x).all() and (x[:, 2] >= 0).all() and (x[:, 2] <= 2).all()
    assert not d.contains(torch.tensor([[0.0, 0.0, 1.0], [0.9, 0.9, 1.0]])).any()
    p, n = d.sample_boundary((ShapePiece("hole"),), 64, seed_or_generator=1, dtype=torch.float64)
    assert p.shape == (64, 3) and n.shape == (64, 2) and p.dtype == torch.float64
    r = torch.linalg.norm(p[:, :2], dim=1)
    assert torch.allclose(r, torch.full_like(r, 0.5))
    assert torch.allclose(n, -p[:, :2] / 0.5)  # out of the domain: into the hole
    assert torch.allclose(d.normals(p, ShapePiece("hole")), n, atol=1e-8)
    assert torch.allclose(d.distance(p, [ShapePiece("hole")]), torch.zeros(64, dtype=torch.float64))
    inner = torch.tensor([[0.75, 0.0, 0.0]], dtype=torch.float64)
    assert d.distance(inner).item() == pytest.approx(0.25)
    assert d.distance(inner, (ShapePiece("outer"),)).item() == pytest.approx(0.25)
    i0 = d.sample_initial(32, seed_or_generator=2)
    assert (i0[:, 2] == 0).all() and d.contains(i0).all()


def test_shape_domain_seeds_are_deterministic():
    d = dfg()
    a = d.sample_interior(100, seed_or_generator=5)
    assert torch.equal(a, d.sample_interior(100, seed_or_generator=5))
    assert not torch.equal(a, d.sample_interior(100, seed_or_generator=6))
    g1, g2 = torch.Generator().manual_seed(3), torch.Generator().manual_seed(3)
    b1 = d.sample_boundary(WholeBoundary(), 50, seed_or_generator=g1)[0]
    assert torch.equal(b1, d.sample_boundary(WholeBoundary(), 50, seed_or_generator=g2)[0])
    assert not torch.equal(b1, d.sample_boundary(WholeBoundary(), 50, seed_or_generator=g1)[0])
    with pytest.raises(TypeError):
        d.sample_interior(10, seed_or_generator=1.5)


def test_shape_domain_eval_grid_is_the_bounding_box_grid():
    d = dfg(("t", 0.0, 1.0))
    box = Box(("x", "y"), (0.0, 0.0), (2.2, 0.41), ("t", 0.0, 1.0))
    got, want = d.eval_grid(7, n_time=3), eval_grid(box, 7, n_time=3)
    assert torch.equal(got[0], want[0]) and got[1] == want[1] == (7, 7, 3)
    inside = d.contains(got[0])
    assert 0 < int(inside.sum()) < got[0].shape[0]  # the caller masks with contains


def test_shape_domain_quadrature_and_outline():
    d = dfg(("t", 0.0, 3.0))
    p, w, n = d.quadrature(None, 4096, dtype=torch.float64)
    assert n is None and (p[:, 2] == 3.0).all()
    assert w.sum().item() == pytest.approx(2.2 * 0.41 - math.pi * 0.05**2, rel=1e-9)
    p, w, n = d.quadrature((ShapePiece("cyl"),), 256, dtype=torch.float64)
    assert w.sum().item() == pytest.approx(2 * math.pi * 0.05, rel=1e-12)
    assert torch.allclose(n, -(p[:, :2] - torch.tensor([0.2, 0.2], dtype=torch.float64)) / 0.05)
    p, w, n = d.quadrature(Section(0, S(1)), 64, dtype=torch.float64)
    flow = (w * 4 * p[:, 1] * (0.41 - p[:, 1]) / 0.41**2).sum().item()
    assert n is None and flow == pytest.approx(2 / 3 * 0.41, abs=1e-10)
    lines = d.outline()
    assert len(lines) == 2 and all(line.shape[1] == 2 for line in lines)


def test_shape_domain_clusters():
    d = dfg()
    c = Cluster((ShapePiece("cyl"),), 1.0, 0.005)
    x = d.sample_interior(400, seed_or_generator=0, clusters=(c,), dtype=torch.float64)
    r = torch.hypot(x[:, 0] - 0.2, x[:, 1] - 0.2)
    assert d.contains(x).all() and (r >= 0.05 - 1e-12).all()
    assert (r < 0.05 + 5 * 0.005).float().mean() > 0.95
    c = Cluster((CoordPiece(0, S(0)), Plane(0, 1.0)), 1.0, 0.01)
    x = d.sample_interior(400, seed_or_generator=1, clusters=(c,))
    near = (x[:, 0] < 0.05) | ((x[:, 0] - 1.0).abs() < 0.05)
    assert near.float().mean() > 0.95
    with pytest.raises(ValueError, match="matches no part"):
        Sampler(d, n_interior=10, clusters=(Cluster((CoordPiece(0, S(1)),), 0.5, 0.1),))
    with pytest.raises(ValueError, match="unknown shape"):
        Sampler(d, n_interior=10, clusters=(Cluster((ShapePiece("nope"),), 0.5, 0.1),))
    # a box refuses shape pieces as cluster targets
    box = Box(("x", "y"), (0, 0), (1, 1))
    with pytest.raises(ValueError, match="faces or planes"):
        sample_interior(
            box, 10, seed_or_generator=0, clusters=(Cluster(ShapePiece("cyl"), 0.5, 0.1),)
        )
    with pytest.raises(ValueError):
        Cluster((), 0.5, 0.1)


def test_shape_domain_pickles():
    d = dfg()
    d.piece_measure(ShapePiece("cyl"))  # fills the solid's cache
    e = pickle.loads(pickle.dumps(d))
    assert e.piece_measure(ShapePiece("cyl")) == pytest.approx(2 * math.pi * 0.05)


# --------------------------------------------------------------------------- Box additions


def test_box_periodic_faces():
    box = Box(("x", "y"), (0, 0), (2, 1), periodic=(0,))
    assert box.boundary_pieces() == (Face(1, 0), Face(1, 1))
    with pytest.raises(ValueError, match="periodic"):
        sample_faces(box, [Face(0, 0)], 10, seed_or_generator=0)
    p, _ = box.sample_boundary([Face(1, 1)], 10, seed_or_generator=0)
    assert (p[:, 1] == 1).all()
    # the distance to "the boundary" ignores the periodic faces
    x = torch.tensor([[0.05, 0.5]])
    assert box.distance(x).item() == pytest.approx(0.5)
    assert Box(("x",), (0,), (1,), periodic=(0,)).distance(x[:, :1]).isinf().all()
    assert box != Box(("x", "y"), (0, 0), (2, 1)) and Box(
        ("x",), (0,), (1,), periodic=[0]
    ).periodic == (0,)
    for bad in ((2,), (-1,), (True,), ("x",)):
        with pytest.raises(ValueError):
            Box(("x", "y"), (0, 0), (1, 1), periodic=bad)
    # a Box pickled before periodic existed still works
    old = Box(("x", "y"), (0, 0), (2, 1))
    del old.__dict__["periodic"]
    assert old.periodic == () and len(old.boundary_pieces()) == 4


def test_box_quadrature():
    box = Box(("x", "y"), (0, -1), (2, 1), time=("t", 0, 5))
    p, w, n = box.quadrature(None, 1000, dtype=torch.float64)
    x, y = p[:, 0], p[:, 1]
    assert n is None and (p[:, 2] == 5).all()
    assert (w * x**3 * y**2).sum().item() == pytest.approx(4 * 2 / 3, rel=1e-13)
    p, w, n = box.quadrature((Face(0, 1),), 100, dtype=torch.float64)
    assert (p[:, 0] == 2).all() and w.sum().item() == pytest.approx(2.0)
    assert torch.equal(n, torch.tensor([[1.0, 0.0]], dtype=torch.float64).expand(len(w), 2))
    p, w, n = box.quadrature(WholeBoundary(), 400, dtype=torch.float64)
    assert w.sum().item() == pytest.approx(8.0)
    # divergence theorem: the flux of (x, y) through the boundary is 2 * area
    assert (w * (p[:, :2] * n).sum(1)).sum().item() == pytest.approx(8.0)
    p, w, _ = box.quadrature(Section(0, S(1)), 64, dtype=torch.float64)
    assert (p[:, 0] == 1).all() and (w * p[:, 1] ** 2).sum().item() == pytest.approx(2 / 3)
    p, w, _ = box.quadrature(Section(1, sp.Symbol("c")), 64, dtype=torch.float64, values={"c": 0.5})
    assert (p[:, 1] == 0.5).all() and w.sum().item() == pytest.approx(2.0)
    with pytest.raises(ValueError):
        box.quadrature(Section(0, S(3)), 10)
    b3 = Box(("x", "y", "z"), (0, 0, 0), (1, 2, 3))
    p, w, _ = b3.quadrature(None, 2000, dtype=torch.float64)
    assert w.sum().item() == pytest.approx(6.0) and p.shape[1] == 3


# --------------------------------------------------------------------------- domain_of


def make_problem(**extra):
    x, y = sp.symbols("x y", real=True)
    return Problem(
        name="p",
        title=None,
        filename="p.mp",
        space=(x, y),
        time=sp.Symbol("t", real=True),
        bounds=((S(0), S(2)), (S(0), sp.Symbol("H"))),
        time_bounds=(S(0), S(1)),
        params={},
        fields=(),
        funcs={},
        exact={},
        equations=[],
        conditions=[],
        **extra,
    )


def test_domain_of_box_and_shape():
    problem = make_problem(periodic=(0,))
    box = domain_of(problem, {"H": 1.5})
    assert isinstance(box, Box) and box.periodic == (0,) and box.hi == (2.0, 1.5)
    p, w, _ = box.quadrature(Section(1, sp.Symbol("H") / 3), 16, dtype=torch.float64)
    assert (p[:, 1] == 0.5).all() and w.sum().item() == pytest.approx(2.0)
    assert box == Box(("x", "y"), (0, 0), (2, 1.5), ("t", 0, 1), periodic=(0,))
    problem = make_problem(shape=dfg_tree(), shapes=dfg_tree().named())
    d = domain_of(problem, {})
    assert isinstance(d, ShapeDomain) and d.time == ("t", 0.0, 1.0)
    assert d.bounding_box() == ((0.0, 0.0), (2.2, 0.41))
    assert d.piece_measure(ShapePiece("cyl")) == pytest.approx(2 * math.pi * 0.05)
    # a problem pickled before shapes existed has neither attribute on the instance
    old = make_problem()
    del old.__dict__["shape"], old.__dict__["periodic"]
    assert isinstance(domain_of(old, {"H": 1.0}), Box)


# --------------------------------------------------------------------------- Sampler keys


def test_sampler_face_key_is_unchanged():
    box = Box(("x", "y"), (0, 0), (4, 2))
    s = Sampler(box, n_interior=8, n_boundary=16, seed=11, dtype=torch.float64)
    faces = (Face(0, 0), Face(1, 1))
    got = s.faces(faces, None, 0)
    seed = derive_seed(11, 0, repr(("faces", ((0, 0), (1, 1)), 16)))  # the key before shapes
    want = sample_faces(box, faces, 16, seed_or_generator=seed, dtype=torch.float64)
    assert torch.equal(got[0], want[0]) and torch.equal(got[1], want[1])
    assert torch.equal(s.faces(Face(0, 0), 5, 0)[0], s.faces([Face(0, 0)], 5, 0)[0])


def test_sampler_with_a_shape_domain_is_reproducible():
    d = dfg(("t", 0.0, 1.0))
    kw = dict(domain=d, n_interior=64, n_boundary=32, n_initial=16, seed=4, resample_every=2)
    s1, s2 = Sampler(**kw), Sampler(**kw)
    for step in (0, 1, 2, 5):
        assert torch.equal(s1.interior(step), s2.interior(step))
        a, b = s1.faces(ShapePiece("cyl"), None, step), s2.faces((ShapePiece("cyl"),), None, step)
        assert torch.equal(a[0], b[0]) and torch.equal(a[1], b[1])
        assert torch.equal(s1.initial(step), s2.initial(step))
    assert torch.equal(s1.interior(0), s1.interior(1)) and not torch.equal(
        s1.interior(0), s1.interior(2)
    )
    inlet = s1.faces((CoordPiece(0, S(0)),), 20, 0)[0]
    assert (inlet[:, 0] == 0).all()
    seed = derive_seed(4, 0, repr(("faces", (repr(CoordPiece(0, S(0))),), 20)))
    again = d.sample_boundary((CoordPiece(0, S(0)),), 20, seed_or_generator=seed)[0]
    assert torch.equal(inlet, again)
    assert not torch.equal(s1.faces(WholeBoundary(), 20, 0)[0], inlet)


def test_shape_domain_rejects_bad_input():
    with pytest.raises(ValueError):
        ShapeDomain(("x",), build(dfg_tree()))
    with pytest.raises(ValueError):
        ShapeDomain(("x", "y"), build(dfg_tree()), ("x", 0, 1))
    d = dfg()
    with pytest.raises(ValueError):
        d.sample_initial(4, seed_or_generator=0)
    with pytest.raises(TypeError):
        d.sample_boundary((Plane(0, 1.0),), 4, seed_or_generator=0)
    with pytest.raises(ValueError, match="match nothing"):
        d.sample_boundary(CoordPiece(0, S(1)), 4, seed_or_generator=0)
    assert np.isclose(d.piece_measure(CoordPiece(1, S("0.41"))), 2.2)
