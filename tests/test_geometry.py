"""Tests for mpinn.geometry: boxes, faces, sampling, clustering, grids, Sampler."""

import math

import numpy as np
import pytest
import torch

from mpinn.geometry import (
    Box,
    Cluster,
    Face,
    Plane,
    Sampler,
    all_faces,
    eval_grid,
    face_by_name,
    sample_faces,
    sample_initial,
    sample_interior,
)

BOX1 = Box(("x",), (-1.0,), (2.0,))
BOX2 = Box(("x", "y"), (0.0, 0.0), (4.0, 2.0))
BOX3 = Box(("x", "y", "z"), (0.0, -1.0, 1.0), (1.0, 1.0, 3.0))
BOX2T = Box(("x", "y"), (0.0, 0.0), (4.0, 2.0), time=("t", 0.5, 1.5))
BOXES = [BOX1, BOX2, BOX3, BOX2T, Box(("x",), (0,), (1,), time=("t", 0, 2))]


def in_box(box, x, tol=0.0):
    lo, hi = box._bounds()
    x = x.double()
    return bool(((x >= lo - tol) & (x <= hi + tol)).all())


def empty_cells(x, cells):
    """Number of empty cells of a cells x cells grid over [0,1]^2 (spread proxy)."""
    idx = torch.clamp((x * cells).long(), max=cells - 1)
    occupied = torch.unique(idx[:, 0] * cells + idx[:, 1]).numel()
    return cells * cells - occupied


# --------------------------------------------------------------------------- Box / Face


def test_box_properties():
    assert (BOX2T.dim, BOX2T.ndim, BOX2T.columns) == (2, 3, ("x", "y", "t"))
    assert (BOX1.dim, BOX1.ndim, BOX1.columns) == (1, 1, ("x",))
    assert BOX2T.volume == 8.0 and BOX3.volume == 4.0 and BOX1.volume == 3.0
    # lists and ints are normalised, so equal boxes compare and hash equal
    b = Box(["x", "y"], [0, 0], [4, 2])
    assert b == BOX2 and hash(b) == hash(BOX2) and isinstance(b.lo[0], float)


@pytest.mark.parametrize(
    "kwargs",
    [
        dict(names=("x",), lo=(1.0,), hi=(1.0,)),
        dict(names=("x",), lo=(2.0,), hi=(1.0,)),
        dict(names=("x", "y"), lo=(0.0,), hi=(1.0, 1.0)),
        dict(names=("x", "x"), lo=(0.0, 0.0), hi=(1.0, 1.0)),
        dict(names=(), lo=(), hi=()),
        dict(names=("a", "b", "c", "d"), lo=(0,) * 4, hi=(1,) * 4),
        dict(names=("x",), lo=(0.0,), hi=(math.inf,)),
        dict(names=("x",), lo=(0.0,), hi=(1.0,), time=("t", 1.0, 0.0)),
        dict(names=("x",), lo=(0.0,), hi=(1.0,), time=("x", 0.0, 1.0)),
    ],
)
def test_box_rejects_bad_input(kwargs):
    with pytest.raises(ValueError):
        Box(**kwargs)


def test_box_rejects_string_names():
    with pytest.raises(TypeError):
        Box("xy", (0, 0), (1, 1))


def test_face_normals_labels_and_names():
    assert Face(0, 0).normal(2) == (-1.0, 0.0)
    assert Face(1, 1).normal(3) == (0.0, 1.0, 0.0)
    assert Face(0, 1).normal(1) == (1.0,)
    assert Face(0, 0).label(BOX2) == "x = 0"
    assert Face(1, 1).label(BOX2) == "y = 2"
    assert Face(0, 0).label(BOX1) == "x = -1"
    assert face_by_name(BOX3, "front") == Face(2, 1)
    assert face_by_name(BOX2, "Bottom") == Face(1, 0)
    assert [
        face_by_name(BOX3, n) for n in ("left", "right", "bottom", "top", "back", "front")
    ] == list(all_faces(BOX3))
    assert all_faces(BOX1) == (Face(0, 0), Face(0, 1))
    assert Face(0, 1).measure(BOX2) == 2.0 and Face(1, 0).measure(BOX2) == 4.0
    assert Face(0, 0).measure(BOX1) == 1.0


def test_face_errors():
    with pytest.raises(ValueError):
        face_by_name(BOX2, "front")  # axis 2 does not exist in 2D
    with pytest.raises(ValueError):
        face_by_name(BOX1, "top")
    with pytest.raises(ValueError):
        face_by_name(BOX3, "inlet")
    with pytest.raises(ValueError):
        Face(0, 2)
    with pytest.raises(ValueError):
        Face(-1, 0)
    with pytest.raises(ValueError):
        Face(2, 0).normal(2)
    with pytest.raises(ValueError):
        Face(1, 0).label(BOX1)


def test_cluster_validation():
    with pytest.raises(ValueError):
        Cluster((), 0.5, 0.1)
    with pytest.raises(ValueError):
        Cluster((Face(0, 0),), 1.5, 0.1)
    with pytest.raises(ValueError):
        Cluster((Face(0, 0),), 0.5, 0.0)
    with pytest.raises(ValueError):
        Cluster((Face(0, 0), Face(0, 0)), 0.5, 0.1)
    assert Cluster(Face(0, 0), 0.5, 0.1).faces == (Face(0, 0),)


# --------------------------------------------------------------------------- interior


@pytest.mark.parametrize("box", BOXES)
@pytest.mark.parametrize("method", ["uniform", "sobol"])
def test_interior_in_box(box, method):
    x = sample_interior(box, 256, seed_or_generator=0, method=method)
    assert x.shape == (256, box.ndim) and x.dtype == torch.float32
    assert in_box(box, x, tol=1e-6)
    # covers the box: each column spans most of its range
    lo, hi = box._bounds()
    span = (x.double().max(0).values - x.double().min(0).values) / (hi - lo)
    assert bool((span > 0.9).all())


def test_interior_dtype_and_generator():
    g = torch.Generator().manual_seed(5)
    a = sample_interior(BOX2, 10, seed_or_generator=g, dtype=torch.float64)
    b = sample_interior(BOX2, 10, seed_or_generator=g, dtype=torch.float64)
    assert a.dtype == torch.float64
    assert not torch.equal(a, b)  # a shared generator advances
    g2 = torch.Generator().manual_seed(5)
    assert torch.equal(a, sample_interior(BOX2, 10, seed_or_generator=g2, dtype=torch.float64))


@pytest.mark.parametrize("method", ["uniform", "sobol"])
def test_same_seed_same_points(method):
    kw = dict(method=method, clusters=(Cluster((Face(0, 0),), 0.3, 0.1),))
    a = sample_interior(BOX2T, 100, seed_or_generator=3, **kw)
    assert torch.equal(a, sample_interior(BOX2T, 100, seed_or_generator=3, **kw))
    assert not torch.equal(a, sample_interior(BOX2T, 100, seed_or_generator=4, **kw))
    p, nrm = sample_faces(BOX3, all_faces(BOX3), 60, seed_or_generator=1, method=method)
    q, nrm2 = sample_faces(BOX3, all_faces(BOX3), 60, seed_or_generator=1, method=method)
    assert torch.equal(p, q) and torch.equal(nrm, nrm2)


def test_sobol_better_spread_than_uniform():
    box = Box(("x", "y"), (0.0, 0.0), (1.0, 1.0))
    n, cells = 1024, 32  # one point per cell is possible
    sob = [
        empty_cells(sample_interior(box, n, seed_or_generator=s, method="sobol"), cells)
        for s in range(3)
    ]
    uni = [
        empty_cells(sample_interior(box, n, seed_or_generator=s, method="uniform"), cells)
        for s in range(3)
    ]
    # a scrambled Sobol net puts exactly one point in every 1/32 x 1/32 cell;
    # iid uniform leaves about exp(-1) ~ 37% of cells empty
    assert max(sob) == 0
    assert min(uni) > 250


def test_sobol_lower_star_discrepancy_proxy():
    box = Box(("x", "y"), (0.0, 0.0), (1.0, 1.0))
    anchors = torch.rand(2000, 2, generator=torch.Generator().manual_seed(0), dtype=torch.float64)

    def disc(x):
        inside = (x.double()[None, :, :] < anchors[:, None, :]).all(-1).double().mean(1)
        return (inside - anchors.prod(1)).abs().max().item()

    d_sob = np.mean(
        [disc(sample_interior(box, 512, seed_or_generator=s, method="sobol")) for s in range(3)]
    )
    d_uni = np.mean(
        [disc(sample_interior(box, 512, seed_or_generator=s, method="uniform")) for s in range(3)]
    )
    assert d_sob < 0.5 * d_uni


# --------------------------------------------------------------------------- clustering


def test_cluster_fraction_near_face():
    box = Box(("x", "y"), (0.0, 0.0), (10.0, 1.0))
    w = 0.1
    c = Cluster((Face(0, 0),), 0.5, w)
    x = sample_interior(box, 20000, seed_or_generator=0, clusters=(c,), dtype=torch.float64)
    assert in_box(box, x)
    near = (x[:, 0] < 5 * w).double().mean().item()
    # clustered half: 1 - e^-5 of it within 5 widths; uniform half: 5w / 10 = 5%
    expected = 0.5 * (1 - math.exp(-5)) + 0.5 * 0.05
    assert abs(near - expected) < 0.015
    # the right half of the box only gets the uniform share
    assert abs((x[:, 0] > 5).double().mean().item() - 0.25) < 0.015
    # y stays uniform
    assert abs(x[:, 1].mean().item() - 0.5) < 0.01


@pytest.mark.parametrize("method", ["uniform", "sobol"])
def test_cluster_two_faces_split_evenly(method):
    box = Box(("x",), (0.0,), (1.0,), time=("t", 0.0, 1.0))
    w = 0.01
    c = Cluster((Face(0, 0), Face(0, 1)), 1.0, w)
    x = sample_interior(
        box, 4096, seed_or_generator=1, method=method, clusters=(c,), dtype=torch.float64
    )
    left = (x[:, 0] < 5 * w).double().mean().item()
    right = (x[:, 0] > 1 - 5 * w).double().mean().item()
    assert left + right > 0.98
    assert abs(left - right) < 0.05
    # mean distance to the nearer face is about the width (truncation negligible here)
    dist = torch.minimum(x[:, 0], 1 - x[:, 0])
    assert abs(dist.mean().item() - w) < 0.1 * w
    # time is not clustered
    assert abs(x[:, 1].mean().item() - 0.5) < 0.02


def test_cluster_truncated_to_box():
    # width much larger than the box: distances still stay within the axis extent
    box = Box(("x",), (0.0,), (1.0,))
    c = Cluster((Face(0, 1),), 1.0, 100.0)
    x = sample_interior(box, 2000, seed_or_generator=0, clusters=(c,))
    assert in_box(box, x)
    assert abs(x.mean().item() - 0.5) < 0.03  # nearly uniform


def test_cluster_errors():
    with pytest.raises(ValueError):  # axis 2 missing in 2D
        sample_interior(BOX2, 10, seed_or_generator=0, clusters=(Cluster((Face(2, 0),), 0.5, 0.1),))
    c = Cluster((Face(0, 0),), 0.6, 0.1)
    with pytest.raises(ValueError):  # fractions sum > 1
        sample_interior(BOX2, 10, seed_or_generator=0, clusters=(c, c))


@pytest.mark.parametrize("method", ["uniform", "sobol"])
def test_cluster_at_interior_planes_has_exponential_density_on_both_sides(method):
    # the edges x = 1.5 and 2.5 of a wall patch in a [0, 4] x [-1, 1] channel
    box = Box(("x", "y"), (0.0, -1.0), (4.0, 1.0))
    w = 0.1  # narrow next to the spacing, so the two planes' tails do not overlap
    c = Cluster((Plane(0, 1.5), Plane(0, 2.5)), 1.0, w)
    x = sample_interior(
        box, 20000, seed_or_generator=0, method=method, clusters=(c,), dtype=torch.float64
    )
    assert in_box(box, x)
    d = torch.minimum((x[:, 0] - 1.5).abs(), (x[:, 0] - 2.5).abs())
    # density ~ exp(-|x - c|/w): 1 - e^-k of the points within k widths
    for k in (1, 2):
        assert abs((d < k * w).double().mean().item() - (1 - math.exp(-k))) < 0.015
    # each plane gets half, half of it on either side
    for lo, hi in ((1.0, 1.5), (1.5, 2.0), (2.0, 2.5), (2.5, 3.0)):
        share = ((x[:, 0] > lo) & (x[:, 0] < hi)).double().mean().item()
        assert abs(share - 0.25) < 0.02, (lo, hi, share)
    assert abs(x[:, 1].mean().item()) < 0.02  # y stays uniform


def test_cluster_at_a_plane_near_the_boundary_splits_by_mass_and_stays_inside():
    box = Box(("x",), (0.0,), (4.0,))
    w = 0.5
    x = sample_interior(
        box,
        20000,
        seed_or_generator=3,
        clusters=(Cluster((Plane(0, 0.1),), 1.0, w),),
        dtype=torch.float64,
    )
    assert in_box(box, x)
    mass_lo, mass_hi = 1 - math.exp(-0.1 / w), 1 - math.exp(-3.9 / w)
    assert abs((x[:, 0] < 0.1).double().mean().item() - mass_lo / (mass_lo + mass_hi)) < 0.01
    # a plane on the boundary is a face: every point on its one side
    x = sample_interior(
        box,
        1000,
        seed_or_generator=3,
        clusters=(Cluster((Plane(0, 4.0),), 1.0, w),),
        dtype=torch.float64,
    )
    assert in_box(box, x) and abs((4.0 - x[:, 0]).mean().item() - w) < 0.05


def test_plane_clusters_act_along_perpendicular_faces_only():
    box = Box(("x", "y"), (0.0, -1.0), (4.0, 1.0))
    c = Cluster((Plane(0, 2.0),), 0.8, 0.05)
    wall, _ = sample_faces(
        box, [Face(1, 0)], 4000, seed_or_generator=0, clusters=(c,), dtype=torch.float64
    )
    near = ((wall[:, 0] - 2.0).abs() < 0.25).double().mean().item()
    assert abs(near - (0.8 * (1 - math.exp(-5)) + 0.2 * 0.5 / 4)) < 0.02
    inlet, _ = sample_faces(
        box, [Face(0, 0)], 4000, seed_or_generator=0, clusters=(c,), dtype=torch.float64
    )
    assert bool((inlet[:, 0] == 0).all()) and abs(inlet[:, 1].mean().item()) < 0.03


def test_plane_errors():
    with pytest.raises(ValueError, match="outside the box"):
        sample_interior(
            BOX2, 10, seed_or_generator=0, clusters=(Cluster((Plane(0, 5.0),), 0.5, 0.1),)
        )
    with pytest.raises(ValueError, match="does not exist"):
        sample_interior(
            BOX2, 10, seed_or_generator=0, clusters=(Cluster((Plane(2, 0.5),), 0.5, 0.1),)
        )
    with pytest.raises(ValueError):
        Plane(0, float("nan"))
    with pytest.raises(ValueError):
        Plane(-1, 0.0)


# --------------------------------------------------------------------------- faces


@pytest.mark.parametrize("box", BOXES)
@pytest.mark.parametrize("method", ["uniform", "sobol"])
def test_faces_exact_and_normals(box, method):
    faces = all_faces(box)
    x, nrm = sample_faces(box, faces, 203, seed_or_generator=2, method=method)
    assert x.shape == (203, box.ndim) and nrm.shape == (203, box.dim)
    assert in_box(box, x, tol=1e-6)
    assert torch.allclose(nrm.norm(dim=1), torch.ones(203))
    seen = set()
    for row, normal in zip(x, nrm):
        (axis,) = torch.nonzero(normal).flatten().tolist()
        side = int(normal[axis] > 0)
        face = Face(axis, side)
        assert row[axis].item() == np.float32(face.value(box))  # exactly on the face
        seen.add(face)
    assert seen == set(faces)


def test_face_normals_point_outward():
    x, nrm = sample_faces(BOX3, all_faces(BOX3), 300, seed_or_generator=0, dtype=torch.float64)
    centre = torch.tensor([(a + b) / 2 for a, b in zip(BOX3.lo, BOX3.hi)], dtype=torch.float64)
    assert bool(((x - centre) * nrm).sum(1).gt(0).all())


def test_face_proportions_follow_measure_2d():
    # 4 x 2 box: left/right measure 2, bottom/top measure 4 -> 1 : 1 : 2 : 2
    x, nrm = sample_faces(BOX2, all_faces(BOX2), 1200, seed_or_generator=0)
    counts = {f: int((nrm == torch.tensor(f.normal(2))).all(1).sum()) for f in all_faces(BOX2)}
    assert counts == {Face(0, 0): 200, Face(0, 1): 200, Face(1, 0): 400, Face(1, 1): 400}


def test_face_proportions_3d_and_rounding():
    # BOX3 extents (1, 2, 2): x-faces measure 4, y-faces 2, z-faces 2 -> 4:4:2:2:2:2
    x, nrm = sample_faces(BOX3, all_faces(BOX3), 1601, seed_or_generator=0)
    assert x.shape[0] == 1601
    n_x = int((nrm[:, 0] != 0).sum())
    assert abs(n_x - 1601 / 2) <= 1


def test_faces_1d_even_split_and_minimum_one():
    x, nrm = sample_faces(BOX1, all_faces(BOX1), 7, seed_or_generator=0)
    n_lo = int((x[:, 0] == -1.0).sum())
    n_hi = int((x[:, 0] == 2.0).sum())
    assert (n_lo + n_hi, abs(n_lo - n_hi)) == (7, 1)
    x, nrm = sample_faces(BOX1, all_faces(BOX1), 2, seed_or_generator=0)
    assert sorted(x[:, 0].tolist()) == [-1.0, 2.0]
    assert sorted(nrm[:, 0].tolist()) == [-1.0, 1.0]


def test_tiny_face_still_gets_a_point():
    box = Box(("x", "y"), (0.0, 0.0), (1000.0, 0.001))
    x, nrm = sample_faces(box, (Face(0, 0), Face(1, 0)), 10, seed_or_generator=0)
    assert int((nrm[:, 0] == -1).sum()) == 1 and x.shape[0] == 10


def test_faces_with_time_uniform_in_time():
    x, _ = sample_faces(BOX2T, [Face(0, 1)], 4000, seed_or_generator=0, dtype=torch.float64)
    assert bool((x[:, 0] == 4.0).all())
    t = x[:, 2]
    assert t.min() >= 0.5 and t.max() <= 1.5 and abs(t.mean().item() - 1.0) < 0.02


def test_single_face_argument():
    x, nrm = sample_faces(BOX2, face_by_name(BOX2, "top"), 5, seed_or_generator=0)
    assert bool((x[:, 1] == 2.0).all()) and bool((nrm == torch.tensor([0.0, 1.0])).all())


def test_face_clustering_towards_walls():
    # channel inlet x = 0 clustered towards the walls y = 0 and y = 1
    box = Box(("x", "y"), (0.0, 0.0), (5.0, 1.0))
    w = 0.02
    walls = Cluster(
        (Face(1, 0), Face(1, 1), Face(0, 1)), 0.6, w
    )  # Face(0, 1) is parallel: ignored on inlet
    x, _ = sample_faces(
        box, [Face(0, 0)], 5000, seed_or_generator=0, clusters=(walls,), dtype=torch.float64
    )
    assert bool((x[:, 0] == 0.0).all())
    y = x[:, 1]
    near = ((y < 5 * w) | (y > 1 - 5 * w)).double().mean().item()
    expected = 0.6 * (1 - math.exp(-5)) + 0.4 * 10 * w
    assert abs(near - expected) < 0.02
    # a cluster with only parallel faces has no effect on that face
    par = Cluster((Face(0, 0),), 0.9, w)
    a, _ = sample_faces(
        box, [Face(0, 0)], 2000, seed_or_generator=0, clusters=(par,), dtype=torch.float64
    )
    assert abs(((a[:, 1] < 0.1).double().mean().item()) - 0.1) < 0.025


def test_faces_errors():
    with pytest.raises(ValueError):
        sample_faces(BOX2, [], 10, seed_or_generator=0)
    with pytest.raises(ValueError):
        sample_faces(BOX2, [Face(2, 0)], 10, seed_or_generator=0)
    with pytest.raises(ValueError):
        sample_faces(BOX2, [Face(0, 0), Face(0, 0)], 10, seed_or_generator=0)
    with pytest.raises(ValueError):
        sample_faces(BOX2, all_faces(BOX2), 3, seed_or_generator=0)  # fewer points than faces


def test_sampling_arg_errors():
    with pytest.raises(ValueError):
        sample_interior(BOX2, 10, seed_or_generator=0, method="lhs")
    with pytest.raises(ValueError):
        sample_interior(BOX2, -1, seed_or_generator=0)
    with pytest.raises(TypeError):
        sample_interior(BOX2, 10, seed_or_generator=1.5)
    with pytest.raises(TypeError):
        sample_interior(BOX2, 10)  # seed is required: no hidden global RNG
    assert sample_interior(BOX2, 0, seed_or_generator=0).shape == (0, 2)


# --------------------------------------------------------------------------- initial


@pytest.mark.parametrize("method", ["uniform", "sobol"])
def test_initial_at_t0(method):
    x = sample_initial(BOX2T, 128, seed_or_generator=0, method=method)
    assert x.shape == (128, 3)
    assert bool((x[:, 2] == 0.5).all())
    assert in_box(BOX2T, x, tol=1e-6)
    assert x[:, 0].max() > 3.5 and x[:, 1].max() > 1.5


def test_initial_needs_time():
    with pytest.raises(ValueError):
        sample_initial(BOX2, 10, seed_or_generator=0)


# --------------------------------------------------------------------------- eval_grid


def test_eval_grid_2d_includes_boundary():
    pts, shape, axes = eval_grid(BOX2, (5, 3))
    assert shape == (5, 3) and pts.shape == (15, 2)
    np.testing.assert_allclose(axes[0], [0, 1, 2, 3, 4])
    np.testing.assert_allclose(axes[1], [0, 1, 2])
    grid = pts.reshape(*shape, 2)
    assert grid[0, 0].tolist() == [0.0, 0.0] and grid[-1, -1].tolist() == [4.0, 2.0]
    assert grid[2, 1].tolist() == [2.0, 1.0]  # "ij" indexing lines up with axes


def test_eval_grid_time_and_counts():
    pts, shape, axes = eval_grid(BOX2T, 4)
    assert shape == (4, 4, 4) and pts.shape == (64, 3) and len(axes) == 3
    assert axes[2][0] == 0.5 and axes[2][-1] == 1.5
    pts, shape, _ = eval_grid(BOX2T, 4, n_time=7)
    assert shape == (4, 4, 7)
    pts, shape, _ = eval_grid(BOX2T, (3, 4, 5))
    assert shape == (3, 4, 5)
    assert pts[:, 2].min() == 0.5 and pts[:, 2].max() == 1.5


def test_eval_grid_1d_3d_and_exact_ends():
    pts, shape, axes = eval_grid(BOX1, 11, dtype=torch.float64)
    assert shape == (11,) and pts[0, 0] == -1.0 and pts[-1, 0] == 2.0
    box = Box(("x",), (0.0,), (0.3,))
    _, _, axes = eval_grid(box, 7)
    assert axes[0][-1] == 0.3
    pts, shape, _ = eval_grid(BOX3, (2, 3, 4))
    assert shape == (2, 3, 4) and pts.shape == (24, 3)
    assert in_box(BOX3, pts)


def test_eval_grid_errors():
    with pytest.raises(ValueError):
        eval_grid(BOX2, 1)
    with pytest.raises(ValueError):
        eval_grid(BOX2T, (4, 4))  # one count per column, time included
    with pytest.raises(ValueError):
        eval_grid(BOX2, 4, n_time=3)


# --------------------------------------------------------------------------- Sampler


def test_sampler_resample_every():
    s = Sampler(BOX2T, n_interior=64, n_boundary=16, n_initial=8, resample_every=3, seed=7)
    a0, a1, a2, a3 = (s.interior(k) for k in range(4))
    assert torch.equal(a0, a1) and torch.equal(a0, a2)
    assert not torch.equal(a0, a3)
    assert [s.is_resample_step(k) for k in range(7)] == [
        True,
        False,
        False,
        True,
        False,
        False,
        True,
    ]
    f0, n0 = s.faces([Face(0, 0)], None, 0)
    f2, _ = s.faces([Face(0, 0)], None, 2)
    f3, _ = s.faces([Face(0, 0)], None, 3)
    assert f0.shape == (16, 3) and n0.shape == (16, 2)
    assert torch.equal(f0, f2) and not torch.equal(f0, f3)
    i0 = s.initial(0)
    assert i0.shape == (8, 3) and bool((i0[:, 2] == 0.5).all())
    assert not torch.equal(i0, s.initial(3))


def test_sampler_reproducible_and_order_independent():
    kw = dict(domain=BOX2, n_interior=32, n_boundary=10, method="sobol", resample_every=2, seed=1)
    s1, s2 = Sampler(**kw), Sampler(**kw)
    # a fresh sampler jumping straight to step 5 gets the same batch as one stepping there
    for k in range(6):
        s1.interior(k)
    assert torch.equal(s1.interior(5), s2.interior(5))
    assert torch.equal(s1.faces(all_faces(BOX2), 12, 4)[0], s2.faces(all_faces(BOX2), 12, 4)[0])
    assert not torch.equal(Sampler(**{**kw, "seed": 2}).interior(0), s1.interior(0))
    # different requests get independent streams
    assert not torch.equal(
        s1.faces([Face(0, 0)], 10, 0)[0][:, 1], s1.faces([Face(0, 1)], 10, 0)[0][:, 1]
    )


def test_sampler_fixed_batch():
    s = Sampler(BOX2, n_interior=16, resample_every=0)
    assert torch.equal(s.interior(0), s.interior(1000))
    assert s.is_resample_step(0) and not s.is_resample_step(5)


def test_sampler_uses_clusters_and_dtype():
    c = Cluster((Face(0, 0),), 1.0, 0.01)
    s = Sampler(BOX2, n_interior=500, clusters=(c,), dtype=torch.float64)
    x = s.interior(0)
    assert x.dtype == torch.float64 and (x[:, 0] < 0.1).all()


def test_sampler_errors():
    with pytest.raises(ValueError):
        Sampler(BOX2, n_interior=10, n_initial=5)  # no time
    with pytest.raises(ValueError):
        Sampler(BOX2, n_interior=10, resample_every=-1)
    with pytest.raises(ValueError):
        Sampler(BOX2, n_interior=10, method="grid")
    s = Sampler(BOX2, n_interior=10)
    with pytest.raises(ValueError):
        s.interior(-1)
    with pytest.raises(ValueError):
        s.initial(0)


def test_box_domain_interface_contains_distance_normals():
    x = torch.tensor([[1.0, 0.5], [4.0, 2.0], [4.5, 1.0], [2.0, -0.1]], dtype=torch.float64)
    assert BOX2.contains(x).tolist() == [True, True, False, False]
    assert BOX2.contains(x, tol=0.2).tolist() == [True, True, False, True]
    # distance to the nearest face (all of them) and to the left face only
    assert BOX2.distance(x[:2]).tolist() == pytest.approx([0.5, 0.0])
    assert BOX2.distance(x[:2], [Face(0, 0)]).tolist() == pytest.approx([1.0, 4.0])
    assert BOX2.normals(x[:3], Face(1, 1)).tolist() == [[0.0, 1.0]] * 3
    assert BOX2.boundary_pieces() == all_faces(BOX2)
    assert BOX2.piece_measure(Face(0, 0)) == 2.0 and BOX2.bounding_box() == ((0.0, 0.0), (4.0, 2.0))
