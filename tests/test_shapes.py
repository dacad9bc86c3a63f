"""Tests for mpinn.shapes: exact geometry of shapes built from primitives (numpy only)."""

import math
import subprocess
import sys

import numpy as np
import pytest
import sympy as sp
from scipy.integrate import quad
from scipy.special import ellipe

from mpinn.ir.regions import CoordPiece, Face, Plane, Section, ShapePiece, WholeBoundary
from mpinn.ir.shapes import PRIMITIVES, Combine, Named, Primitive
from mpinn.shapes import PRIMITIVE_TYPES, ShapeError, build

S = sp.S


def pt(*xs):
    return tuple(S(x) for x in xs)


def prim(kind, *args):
    return Primitive(kind, tuple(args))


def rng(seed=0):
    return np.random.default_rng(seed)


def annulus(r_in=0.5):
    outer = Named("outer", prim("disk", pt(0, 0), S(1)))
    hole = Named("hole", prim("disk", pt(0, 0), S(r_in)))
    return build(Combine("difference", outer, hole))


def dfg():
    channel = Named("channel", prim("rect", pt(0, 0), pt(2.2, 0.41)))
    cyl = Named("cyl", prim("disk", pt(0.2, 0.2), S(0.05)))
    return build(Combine("difference", channel, cyl))


L_VERTICES = [(0, 0), (2, 0), (2, 1), (1, 1), (1, 2), (0, 2)]


def l_polygon(vertices=L_VERTICES):
    return build(prim("polygon", *(pt(*v) for v in vertices)))


# --------------------------------------------------------------------------- 2D facts


def test_registry_matches_the_ir():
    assert set(PRIMITIVE_TYPES) == set(PRIMITIVES)
    for kind, cls in PRIMITIVE_TYPES.items():
        assert cls.dim == PRIMITIVES[kind][0]


def test_annulus_interior_is_uniform_by_area():
    a = annulus()
    x = a.sample_interior(20000, rng(1))
    r = np.linalg.norm(x, axis=1)
    assert x.shape == (20000, 2) and r.min() >= 0.5 and r.max() <= 1.0
    p = (0.75**2 - 0.25) / (1 - 0.25)
    sigma = math.sqrt(p * (1 - p) / x.shape[0])
    assert abs(np.mean(r < 0.75) - p) < 4 * sigma
    # same generator state, same points; Sobol' candidates stay inside too
    assert np.array_equal(x, a.sample_interior(20000, rng(1)))
    xs = a.sample_interior(1000, rng(2), method="sobol")
    assert xs.shape == (1000, 2) and a.contains(xs).all()


def test_annulus_boundary_split_and_normals():
    a = annulus()
    p, n = a.sample_boundary(WholeBoundary(), 3000, rng(2))
    r = np.linalg.norm(p, axis=1)
    on_outer = np.abs(r - 1) < 1e-12
    on_hole = np.abs(r - 0.5) < 1e-12
    assert (on_outer | on_hole).all()
    assert on_outer.sum() == 2000 and on_hole.sum() == 1000  # 2 pi : pi, split exactly
    radial = p / r[:, None]
    assert np.allclose(n[on_outer], radial[on_outer], atol=1e-12)  # outward
    assert np.allclose(n[on_hole], -radial[on_hole], atol=1e-12)  # towards the centre
    # uniform in angle on each circle
    angle = np.arctan2(p[on_outer, 1], p[on_outer, 0])
    counts = np.histogram(angle, bins=8, range=(-math.pi, math.pi))[0]
    assert np.all(np.abs(counts - 250) < 4 * math.sqrt(250))
    assert a.boundary_measure(WholeBoundary()) == pytest.approx(3 * math.pi, rel=1e-13)


def test_shape_piece_selects_the_hole():
    a = annulus()
    p, n = a.sample_boundary(ShapePiece("hole"), 200, rng(3))
    assert np.allclose(np.linalg.norm(p, axis=1), 0.5, atol=1e-12)
    assert a.boundary_measure(ShapePiece("hole")) == pytest.approx(math.pi, rel=1e-13)
    assert a.boundary_measure(ShapePiece("outer")) == pytest.approx(2 * math.pi, rel=1e-13)
    both = a.boundary_measure((ShapePiece("outer"), ShapePiece("hole"), WholeBoundary()))
    assert both == pytest.approx(3 * math.pi, rel=1e-13)  # a union counts each point once
    assert set(a.named()) == {"outer", "hole"}
    with pytest.raises(ValueError, match="unknown shape 'rim'"):
        a.boundary_measure(ShapePiece("rim"))


def test_l_polygon_area_length_and_edges():
    for vertices in (L_VERTICES, L_VERTICES[::-1]):  # either orientation
        poly = l_polygon(vertices)
        assert poly.volume() == pytest.approx(3.0, rel=1e-14)
        assert poly.boundary_measure(WholeBoundary()) == pytest.approx(8.0, rel=1e-14)
        assert poly.boundary_measure(CoordPiece(0, S(0))) == pytest.approx(2.0, rel=1e-14)
        assert poly.boundary_measure(CoordPiece(0, S(1))) == pytest.approx(1.0, rel=1e-14)
        assert poly.boundary_measure(CoordPiece(0, S(0.5))) == 0.0
        p, n = poly.sample_boundary(WholeBoundary(), 800, rng(4))
        # points just outside along the normal are outside, just inside are inside
        assert not poly.contains(p + 1e-6 * n).any() and poly.contains(p - 1e-6 * n).all()
    # points on each edge in proportion to its length (2, 1, 1, 1, 1, 2 of 8)
    poly = l_polygon()
    p, _ = poly.sample_boundary(WholeBoundary(), 800, rng(5))
    v = np.array(L_VERTICES, float)
    counts = []
    for a, b in zip(v, np.roll(v, -1, axis=0)):
        t = np.clip((p - a) @ (b - a) / np.sum((b - a) ** 2), 0, 1)
        counts.append(int(np.sum(np.linalg.norm(p - a - t[:, None] * (b - a), axis=1) < 1e-12)))
    assert counts == [200, 100, 100, 100, 100, 200]
    # uniform along an edge: no bias towards the corners
    along = p[np.abs(p[:, 1]) < 1e-12, 0] / 2
    hist = np.histogram(along, bins=4, range=(0, 1))[0]
    assert np.all(np.abs(hist - 50) < 4 * math.sqrt(50))


def test_union_of_rects_counts_a_shared_edge_once():
    u = build(Combine("union", prim("rect", pt(0, 0), pt(2, 1)), prim("rect", pt(0, 0), pt(1, 2))))
    assert u.volume() == pytest.approx(3.0, rel=1e-12)
    assert u.boundary_measure(WholeBoundary()) == pytest.approx(8.0, rel=1e-12)
    assert u.boundary_measure(CoordPiece(0, S(0))) == pytest.approx(2.0, rel=1e-12)
    p, _ = u.sample_boundary(WholeBoundary(), 400, rng(6))
    seam = (np.abs(p[:, 1] - 1) < 1e-12) & (p[:, 0] < 1 - 1e-9)
    assert not seam.any()  # the top of the lower rect inside the union is no boundary
    (line,) = u.outline()
    assert np.allclose(line[0], line[-1])  # one closed loop
    disk = prim("disk", pt(0, 0), S(1))
    twice = build(Combine("union", disk, disk))  # the same circle twice: counted once
    assert twice.boundary_measure(WholeBoundary()) == pytest.approx(2 * math.pi, rel=1e-13)
    nothing = build(Combine("difference", disk, disk))
    assert nothing.volume() == 0.0 and nothing.boundary_measure(WholeBoundary()) == 0.0
    with pytest.raises(RuntimeError, match="could not sample"):
        nothing.sample_interior(4, rng())


def test_backward_facing_step():
    step = build(
        Combine(
            "difference", prim("rect", pt(0, 0), pt(2, 1)), prim("rect", pt(0, 0), pt(0.5, 0.5))
        )
    )
    assert step.volume() == pytest.approx(1.75, rel=1e-12)
    assert step.boundary_measure(WholeBoundary()) == pytest.approx(6.0, rel=1e-12)
    assert step.boundary_measure(CoordPiece(0, S(0))) == pytest.approx(0.5, rel=1e-12)
    p, n = step.sample_boundary(CoordPiece(1, S(0.5)), 100, rng(7))
    assert np.allclose(p[:, 1], 0.5) and (p[:, 0] <= 0.5).all()
    assert np.allclose(n, [0.0, -1.0])  # the step's top faces down, out of the domain


def test_dfg_channel_measures_volume_and_integrals():
    d = dfg()
    assert d.boundary_measure(CoordPiece(0, S(0))) == pytest.approx(0.41, rel=1e-13)
    assert d.boundary_measure(CoordPiece(0, S("2.2"))) == pytest.approx(0.41, rel=1e-13)
    assert d.boundary_measure(ShapePiece("cyl")) == pytest.approx(2 * math.pi * 0.05, rel=1e-13)
    assert d.volume() == pytest.approx(2.2 * 0.41 - math.pi * 0.05**2, rel=1e-9)
    # a line that touches the cylinder at one point selects nothing
    assert d.boundary_measure(CoordPiece(0, S("0.15"))) == 0.0
    with pytest.raises(ValueError, match="match nothing"):
        d.sample_boundary(CoordPiece(0, S("0.15")), 10, rng())
    p, w, normals = d.quadrature(Section(0, S(1)), 64)
    assert normals is None and np.allclose(p[:, 0], 1.0)
    flow = np.sum(w * 4 * p[:, 1] * (0.41 - p[:, 1]) / 0.41**2)
    assert flow == pytest.approx(2 / 3 * 0.41, abs=1e-10)
    # a cut through the cylinder leaves it out
    p, w, _ = d.quadrature(Section(0, S("0.2")), 64)
    assert w.sum() == pytest.approx(0.41 - 0.1, rel=1e-12)


def test_tangent_circle_gives_zero_coordinate_measure():
    shape = Combine("union", prim("rect", pt(0, 0), pt(2, 1)), prim("disk", pt(3, 0.5), S(1)))
    s = build(shape)
    assert s.boundary_measure(CoordPiece(0, S(4))) == 0.0
    assert s.boundary_measure(CoordPiece(0, S(0))) == pytest.approx(1.0, rel=1e-13)


def test_quadrature_accuracy():
    a = annulus()
    p, w, normals = a.quadrature(None, 4096)
    assert normals is None and a.contains(p).all()
    assert w.sum() == pytest.approx(0.75 * math.pi, rel=1e-4)
    assert np.sum(w * p[:, 0] ** 2) == pytest.approx(math.pi * (1 - 0.5**4) / 4, rel=1e-4)
    r = 0.7
    disk = build(prim("disk", pt(0.3, -0.2), S(r)))
    p, w, n = disk.quadrature(WholeBoundary(), 256)
    assert np.sum(w) == pytest.approx(2 * math.pi * r, rel=1e-12)
    assert np.sum(w * (p[:, 0] - 0.3) ** 2) == pytest.approx(math.pi * r**3, abs=1e-8)
    assert np.allclose(n, (p - [0.3, -0.2]) / r)
    # divergence theorem on the annulus: the integral of p.n over the boundary is 2 * area
    p, w, n = a.quadrature(WholeBoundary(), 512)
    assert np.sum(w * np.sum(p * n, axis=1)) == pytest.approx(1.5 * math.pi, rel=1e-12)


def test_ellipse_distance_perimeter_and_uniform_arc_length():
    a, b = 2.0, 1.0
    e = build(prim("ellipse", pt(0.5, -1), S(a), S(b)))
    perimeter = 4 * a * ellipe(1 - b * b / (a * a))
    assert e.boundary_measure(WholeBoundary()) == pytest.approx(perimeter, rel=1e-12)
    t = np.linspace(0, 2 * math.pi, 20001)
    curve = np.stack([0.5 + a * np.cos(t), -1 + b * np.sin(t)], axis=1)
    q = rng(8).uniform(-3, 3, size=(200, 2))
    brute = np.sqrt(((q[:, None] - curve[None]) ** 2).sum(-1)).min(axis=1)
    assert np.allclose(np.abs(e.sdf(q)), brute, atol=1e-6)
    assert np.array_equal(e.sdf(q) < 0, ((q[:, 0] - 0.5) / a) ** 2 + ((q[:, 1] + 1) / b) ** 2 < 1)
    p, n = e.sample_boundary(WholeBoundary(), 20000, rng(9))
    assert np.abs(e.sdf(p)).max() < 1e-12
    # uniform in arc length, not in the angle t: the share of 0 <= t <= pi/4 is its length
    t = np.arctan2((p[:, 1] + 1) / b, (p[:, 0] - 0.5) / a)
    share = quad(lambda s: math.hypot(a * math.sin(s), b * math.cos(s)), 0, math.pi / 4)[0]
    share /= perimeter
    assert abs(share - 1 / 8) > 0.02  # the test can tell the two apart
    inside = np.mean((t >= 0) & (t <= math.pi / 4))
    assert abs(inside - share) < 4 * math.sqrt(share * (1 - share) / 20000)
    # normals along the gradient of the implicit function
    grad = np.stack([(p[:, 0] - 0.5) / a**2, (p[:, 1] + 1) / b**2], axis=1)
    assert np.allclose(n, grad / np.linalg.norm(grad, axis=1, keepdims=True), atol=1e-12)


def test_outline_of_the_annulus():
    lines = annulus().outline(200)
    radii = sorted(float(np.linalg.norm(line, axis=1).mean()) for line in lines)
    assert radii == pytest.approx([0.5, 1.0])
    for line in lines:
        assert np.allclose(line[0], line[-1])


def test_clustered_interior_points_near_the_hole():
    a = annulus()
    x = a.sample_interior(4000, rng(10), clusters=[((ShapePiece("hole"),), 0.5, 0.02)])
    r = np.linalg.norm(x, axis=1)
    assert a.contains(x).all()
    near = np.mean(r < 0.5 + 3 * 0.02)
    uniform = (0.56**2 - 0.25) / 0.75
    assert near > 0.5 * 0.9 + uniform * 0.5 * 0.5  # about half of them within 3 widths
    y = a.sample_interior(2000, rng(11), clusters=[(Plane(0, 0.0), 1.0, 0.05)])
    assert a.contains(y).all() and np.mean(np.abs(y[:, 0]) < 0.15) > 0.9


# --------------------------------------------------------------------------- 3D and 1D


def test_ball_cylinder_and_box():
    ball = build(Named("b", prim("ball", pt(1, 0, 0), S(2))))
    assert ball.volume() == pytest.approx(4 / 3 * math.pi * 8, rel=1e-15)
    p, w, n = ball.quadrature(WholeBoundary(), 2000)
    assert np.sum(w) == pytest.approx(16 * math.pi, rel=1e-10)
    assert np.sum(w * (p[:, 0] - 1) ** 2) == pytest.approx(4 * math.pi * 16 / 3, rel=1e-10)
    p, w, _ = ball.quadrature(None, 20000)
    assert w.sum() == pytest.approx(4 / 3 * math.pi * 8, rel=3e-3)
    p, n = ball.sample_boundary(ShapePiece("b"), 3000, rng(12))
    assert np.allclose(np.linalg.norm(p - [1, 0, 0], axis=1), 2) and np.allclose(
        n, (p - [1, 0, 0]) / 2
    )
    assert abs(np.mean(p[:, 2] > 1.0) - 0.25) < 0.04  # a cap of height 1 has a quarter of the area

    cyl = build(prim("cylinder", pt(0, 0, 0), S(0.5), S(1)))
    assert cyl.boundary_measure(WholeBoundary()) == pytest.approx(math.pi * (1 + 0.5), rel=1e-12)
    assert cyl.boundary_measure(CoordPiece(2, S(1))) == pytest.approx(math.pi / 4, rel=1e-12)
    shape = Combine(
        "difference",
        prim("box", pt(-1, -1, 0), pt(1, 1, 1)),
        Named("cyl", prim("cylinder", pt(0, 0, 0), S(0.5), S(1))),
    )
    s = build(shape)
    assert s.volume() == pytest.approx(4 - math.pi / 4, rel=1e-4)
    assert s.boundary_measure(ShapePiece("cyl")) == pytest.approx(math.pi, rel=1e-9)
    assert s.boundary_measure(CoordPiece(2, S(0))) == pytest.approx(4 - math.pi / 4, rel=1e-4)
    p, n = s.sample_boundary(ShapePiece("cyl"), 500, rng(13))
    assert np.allclose(np.hypot(p[:, 0], p[:, 1]), 0.5) and np.allclose(n[:, :2], -2 * p[:, :2])
    p, n = s.sample_boundary(CoordPiece(2, S(0)), 500, rng(14))
    assert (
        np.all(p[:, 2] == 0)
        and np.all(np.hypot(p[:, 0], p[:, 1]) >= 0.5)
        and np.allclose(n, [0, 0, -1])
    )
    # box minus a ball at a corner: an eighth of a ball removed
    bb = build(
        Combine(
            "difference", prim("box", pt(0, 0, 0), pt(1, 1, 1)), prim("ball", pt(0, 0, 0), S(0.5))
        )
    )
    assert bb.volume() == pytest.approx(1 - math.pi / 48, rel=1e-4)
    p, w, _ = bb.quadrature(Section(2, S(0.25)), 4000)
    assert w.sum() == pytest.approx(1 - math.pi * (0.25 - 0.0625) / 4, rel=2e-3)


def test_intervals():
    s = build(
        Combine(
            "difference", prim("interval", S(0), S(3)), Named("gap", prim("interval", S(1), S(2)))
        )
    )
    assert s.volume() == pytest.approx(2.0)
    assert s.boundary_measure(WholeBoundary()) == 4.0
    assert s.boundary_measure(ShapePiece("gap")) == 2.0
    p, n = s.sample_boundary(ShapePiece("gap"), 6, rng())
    assert sorted(zip(p[:, 0], n[:, 0])) == [(1.0, 1.0)] * 3 + [(2.0, -1.0)] * 3
    p, w, _ = s.quadrature(None, 64)
    assert np.sum(w * p[:, 0] ** 2) == pytest.approx((1 + 27 - 8) / 3, rel=1e-13)


def test_face_pieces_mean_the_bounding_box_sides():
    d = dfg()
    assert d.boundary_measure(Face(0, 0)) == pytest.approx(0.41)
    assert d.boundary_measure(Face(1, 1)) == pytest.approx(2.2)


def test_parameters_are_resolved():
    r = sp.Symbol("r")
    s = build(prim("disk", pt(0, 0), r), {"r": 2.0})
    assert s.volume() == pytest.approx(4 * math.pi)
    rect = build(prim("rect", pt(0, 0), (r, S(1))), {"r": 3.0})
    assert rect.boundary_measure(CoordPiece(0, r)) == pytest.approx(1.0)


@pytest.mark.parametrize(
    "tree, message",
    [
        (prim("disk", pt(0, 0), S(-1)), "disk: radius must be positive, got -1"),
        (prim("rect", pt(1, 0), pt(0, 1)), "rect needs opposite corners with x0 < x1"),
        (prim("rect", pt(0, 0), pt(1, 0)), "rect needs opposite corners"),
        (prim("polygon", pt(0, 0), pt(1, 0)), "polygon needs at least 3 vertices, got 2"),
        (prim("polygon", pt(0, 0), pt(1, 0), pt(2, 0)), "polygon has zero area"),
        (prim("polygon", pt(0, 0), pt(1, 1), pt(1, 0), pt(0, 1)), "edges 1 and 3 intersect"),
        (prim("polygon", pt(0, 0), pt(1, 0), pt(1, 0), pt(0, 1)), "vertices 2 and 3 coincide"),
        (prim("disk", pt(0, 0, 0), S(1)), "must be a point of 2 numbers, got 3 numbers"),
        (prim("ellipse", pt(0, 0), S(1), S(0)), "ellipse: b must be positive"),
        (prim("cylinder", pt(0, 0, 0), S(1), S(-2)), "cylinder: height must be positive"),
        (prim("box", pt(0, 0, 0), pt(1, 1, 1), pt(2, 2, 2)), "takes 2 arguments, got 3"),
        (prim("disk", pt(0, 0), sp.Symbol("a")), "'a' has no numeric value"),
        (
            Combine("union", prim("disk", pt(0, 0), S(1)), prim("ball", pt(0, 0, 0), S(1))),
            "cannot combine a 2D shape with a 3D shape",
        ),
        (
            Combine("intersection", prim("disk", pt(0, 0), S(1)), prim("disk", pt(5, 0), S(1))),
            "the intersection is empty",
        ),
    ],
)
def test_shape_errors(tree, message):
    with pytest.raises(ShapeError, match=message) as info:
        build(tree)
    assert isinstance(info.value, ValueError) and "\n" not in str(info.value)


def test_no_torch_or_matplotlib():
    code = "import sys, mpinn.shapes; print('torch' in sys.modules, 'matplotlib' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["False", "False"]


def test_shared_faces_in_3d_count_once():
    a, b = prim("box", pt(0, 0, 0), pt(2, 1, 1)), prim("box", pt(0, 0, 0), pt(1, 2, 1))
    u = build(Combine("union", a, b))  # an L-shaped prism: 3 x 1, perimeter 8
    assert u.boundary_measure(WholeBoundary()) == pytest.approx(2 * 3 + 8 * 1, rel=1e-12)
    assert u.boundary_measure(CoordPiece(2, S(0))) == pytest.approx(3.0, rel=1e-12)
    touching = build(Combine("union", a, prim("box", pt(2, 0, 0), pt(3, 1, 1))))
    assert touching.boundary_measure(WholeBoundary()) == pytest.approx(14.0, rel=1e-12)
    i = build(
        Combine(
            "intersection",
            prim("box", pt(0.75, 2, 2), pt(2.25, 2.25, 3.25)),
            prim("box", pt(1.75, 1.75, 1.5), pt(3, 3, 2.5)),
        )
    )
    assert i.volume() == pytest.approx(0.0625, rel=1e-9)
    assert i.boundary_measure(WholeBoundary()) == pytest.approx(1.0, rel=1e-12)
    # the divergence theorem over the selected faces gives the volume back
    p, w, n = i.quadrature(WholeBoundary(), 2000)
    assert np.sum(w * np.sum(p * n, axis=1)) / 3 == pytest.approx(0.0625, rel=1e-12)


def test_small_features_are_found():
    notch = Named("notch", prim("disk", pt(1, 0), S(0.002)))
    s = build(Combine("difference", prim("disk", pt(0, 0), S(1)), notch))
    x = (2 - 0.002**2) / 2  # where the circles cross
    y = math.sqrt(1 - x * x)
    big = 2 * math.pi - 2 * math.atan2(y, x)
    small = 2 * (math.pi - math.atan2(y, x - 1)) * 0.002
    assert s.boundary_measure(WholeBoundary()) == pytest.approx(big + small, rel=1e-12)
    assert s.boundary_measure(ShapePiece("notch")) == pytest.approx(small, rel=1e-10)


def random_tree(gen, depth):
    if depth == 0:
        kind = gen.integers(3)
        c = gen.uniform(0, 2, 2)
        if kind == 0:
            return prim("rect", pt(*c), pt(*(c + gen.uniform(0.3, 1.5, 2))))
        if kind == 1:
            return prim("disk", pt(*c), S(gen.uniform(0.25, 1)))
        return prim("polygon", pt(*c), pt(c[0] + 1, c[1] + 0.2), pt(c[0] + 0.3, c[1] + 0.8))
    op = ("union", "difference", "intersection")[gen.integers(3)]
    return Combine(op, random_tree(gen, depth - 1), random_tree(gen, 0))


def test_boundary_and_interior_agree_on_random_shapes():
    """Green's theorem on the classified boundary (exact) against line integrals through
    the interior (which only use contains; chords shorter than a grid cell next to a
    vertex can be missed, ~1e-7): a check of the CSG boundary rules."""
    gen, checked = rng(42), 0
    while checked < 8:
        try:
            s = build(random_tree(gen, int(gen.integers(1, 4))))
        except ShapeError:
            continue
        p, w, _ = s.quadrature(None, 100_000)
        if w.sum() == 0:
            continue
        assert s.volume() == pytest.approx(w.sum(), rel=1e-6)
        checked += 1
