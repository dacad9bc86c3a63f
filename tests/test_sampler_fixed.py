"""A 1D domain's boundary batch is seed-independent, so the sampler builds it once."""

import torch

from mpinn.geometry.box import Box
from mpinn.geometry.sampler import Sampler
from mpinn.ir.regions import box_faces


def test_fixed_end_points_built_once_and_equal_to_a_fresh_draw():
    box = Box(("x",), (0.0,), (1.0,))
    faces = box_faces(1)
    s = Sampler(box, 16, n_boundary=4, seed=3)
    first = s.faces(faces, None, 0)
    later = s.faces(faces, None, 57)
    assert later[0] is first[0]  # cached across epochs: no redraw
    fresh = box.sample_boundary(faces, 4, seed_or_generator=12345)
    assert torch.equal(first[0], fresh[0]) and torch.equal(first[1], fresh[1])
    assert sorted(first[0].flatten().tolist()) == [0.0, 0.0, 1.0, 1.0]
    # interior batches still change with the epoch
    assert not torch.equal(s.interior(0), s.interior(1))


def test_time_dependent_1d_faces_are_not_fixed():
    box = Box(("x",), (0.0,), (1.0,), time=("t", 0.0, 1.0))
    s = Sampler(box, 16, n_boundary=4, seed=3)
    a, b = s.faces(box_faces(1), None, 0)[0], s.faces(box_faces(1), None, 1)[0]
    assert not torch.equal(a, b)
