"""Issue 15 in the language: shapes, CSG domains, selectors on shapes, periodic directions,
quantities and hard conditions — what they lower to, and a file:line:col diagnostic for
each mistake."""

from __future__ import annotations

import math

import pytest
import sympy as sp

from mpinn.ir import CoordPiece, Face, Section, ShapePiece, WholeBoundary, to_float
from mpinn.ir.shapes import Combine, Named, Primitive
from mpinn.lang.diagnostics import MpError
from mpinn.lower import load, lower_source

ANNULUS = """problem annulus
shape outer = disk((0, 0), 1)
shape hole = disk((0, 0), 0.5)
domain (x, y) in outer - hole
field u
exact u = x^2 + y
pde e: -lap(u) + u = manufactured
bc rim on outer: u = exact
bc inner on hole: u = exact
"""


def error_of(source: str) -> MpError:
    with pytest.raises(MpError) as info:
        lower_source(source, "bad.mp")
    return info.value


def at(err: MpError, line: int, col: int, fragment: str) -> None:
    assert (err.line, err.column) == (line, col), err.format()
    assert fragment in err.message, err.format()
    assert err.format().startswith(f"bad.mp:{line}:{col}: error:")


def test_the_issue_forms_lower_to_a_shape_tree_and_shape_pieces():
    p = lower_source(ANNULUS)
    assert isinstance(p.shape, Combine) and p.shape.op == "difference"
    assert set(p.shape.named()) == {"outer", "hole"}
    assert isinstance(p.shapes["hole"], Named)
    disk = p.shapes["hole"].shape
    assert isinstance(disk, Primitive) and disk.kind == "disk"
    assert disk.args[1] == sp.Rational(1, 2)
    regions = {t.name: t.region for t in p.conditions}
    assert regions == {"rim": (ShapePiece("outer"),), "inner": (ShapePiece("hole"),)}
    # the bounding box of the domain is the outer disk's
    assert [(float(a), float(b)) for a, b in p.bounds] == [(-1.0, 1.0), (-1.0, 1.0)]


def test_union_intersection_and_parameters_in_shapes():
    p = lower_source(
        """problem p
param r = 0.3
shape a = rect((0, 0), (2, 1))
shape b = disk((2, 0.5), 2*r)
domain (x, y) in (a + b) & rect((0, 0), (2.5, 1))
field u
pde e: -lap(u) = 1
bc all_of_it on all: u = 0
"""
    )
    assert p.shape.op == "intersection" and p.shape.left.op == "union"
    assert p.conditions[0].region == (WholeBoundary(),)
    r = p.shapes["b"].shape.args[1]
    assert to_float(r, p.param_values()) == pytest.approx(0.6)
    assert to_float(r, p.param_values({"r": 0.2})) == pytest.approx(0.4)  # --set moves it


def test_coordinate_selectors_on_a_shaped_domain_pick_straight_edges():
    p = lower_source(
        """problem dfg
shape channel = rect((0, 0), (2.2, 0.41))
shape cyl = disk((0.2, 0.2), 0.05)
domain (x, y) in channel - cyl
field u
pde e: -lap(u) = 1
bc inlet on x = 0: u = 1
bc walls on y = 0 or y = 0.41: u = 0
bc body on cyl: u = 0
bc out on right: u = 0
"""
    )
    regions = {t.name: t.region for t in p.conditions}
    assert regions["inlet"] == (CoordPiece(0, sp.Integer(0)),)
    assert [type(r) for r in regions["walls"]] == [CoordPiece, CoordPiece]
    assert regions["body"] == (ShapePiece("cyl"),)
    (out,) = regions["out"]  # `right` = the bounding box's side x = 2.2
    assert out.axis == 0 and float(out.value) == pytest.approx(2.2)


@pytest.mark.parametrize(
    "line, col, fragment, source",
    [
        (2, 18, "unknown shape 'hole'", "problem p\ndomain (x, y) in hole\nfield u\n"),
        (
            2,
            11,
            "declared further down",
            "problem p\nshape a = b - disk((0, 0), 1)\nshape b = disk((0, 0), 2)\n",
        ),
        (2, 11, "unknown shape 'circle'", "problem p\nshape a = circle((0, 0), 1)\n"),
        (2, 11, "must be positive", "problem p\nshape a = disk((0, 0), -1)\n"),
        (2, 16, "expected a point", "problem p\nshape a = disk(0, 1)\n"),
        (2, 11, "at least three vertices", "problem p\nshape a = polygon((0, 0), (1, 0))\n"),
        (
            3,
            21,
            "the shape is 2D",
            "problem p\nshape a = disk((0, 0), 1)\ndomain (x, y, z) in a\n",
        ),
        (
            2,
            11,
            "cannot combine a 2D shape with a 3D shape",
            "problem p\nshape a = disk((0, 0), 1) - ball((0, 0, 0), 1)\n",
        ),
    ],
)
def test_shape_mistakes_are_diagnosed_where_they_are(line, col, fragment, source):
    err = error_of(source)
    assert (err.line, err.column) == (line, col), err.format()
    assert fragment in err.message or fragment in (err.hint or ""), err.format()


def test_a_selector_that_matches_nothing_is_refused():
    # x = 0.15 cuts the cylinder but no boundary edge lies on it
    err = error_of(ANNULUS.replace("bc inner on hole", "bc inner on x = 0.75"))
    at(err, 9, 13, "matches nothing")
    # a shape that is not part of the domain
    src = ANNULUS.replace("domain (x, y) in outer - hole", "domain (x, y) in outer")
    err = error_of(src)
    at(err, 9, 13, "not part of the domain")


def test_periodic_directions():
    p = lower_source(
        """problem p
domain (x, y) in [0, 2*pi] x [0, 1]
periodic x
field u
pde e: -lap(u) = 1
bc walls on all: u = 0
"""
    )
    assert p.periodic == (0,)
    assert p.conditions[0].region == (Face(1, 0), Face(1, 1))  # `all` skips x's ends
    assert not p.warnings  # no "no boundary condition on x = 0"
    err = error_of(ANNULUS + "periodic x\n")
    at(err, 10, 10, "not a box direction")
    err = error_of("problem p\ndomain x in [0, 1]\ntime t in [0, 1]\nperiodic t\n")
    at(err, 4, 10, "time cannot be periodic")
    err = error_of("problem p\ndomain x in [0, 1]\nperiodic y\n")
    at(err, 3, 10, "not a spatial coordinate")
    err = error_of("problem p\ndomain x in [0, 1]\nperiodic x\nfield u\nbc a on x = 1: u = 0\n")
    at(err, 5, 9, "periodic direction x")


def test_quantities_lower_with_their_regions_and_expectations():
    p = lower_source(
        ANNULUS
        + "quantity area = integral(1, domain) expect 3*pi/4\n"
        + "quantity rim_u = integral(u*normal[x], outer)\n"
        + "quantity cut = integral(dx(u), x = 0.75)\n"
    )
    q = p.quantities
    assert q["area"].region is None and q["area"].expect == pytest.approx(0.75 * math.pi)
    assert q["rim_u"].region == (ShapePiece("outer"),)
    assert sp.Symbol("_n_x", real=True) in q["rim_u"].expr.free_symbols
    assert q["cut"].region == Section(0, sp.Rational(3, 4))
    assert q["cut"].expect is None


@pytest.mark.parametrize(
    "stmt, col, fragment",
    [
        ("quantity q = integral(dn(u), domain)", 1, "normal"),
        ("quantity q = integral(u, x = 3)", 27, "misses the domain"),
        ("quantity q = integral(u, rim2)", 27, "unknown boundary"),
        ("quantity rim = integral(u, domain)", 10, "duplicate name"),
    ],
)
def test_quantity_mistakes(stmt, col, fragment):
    err = error_of(ANNULUS + stmt + "\n")
    assert err.line == 10 and fragment in err.message + (err.hint or ""), err.format()


def test_hard_conditions_become_the_output_transform():
    p = lower_source(
        """problem p
domain (x, y) in [0, 1] x [0, 2]
field u, v
exact u = sin(pi*x) + y
pde e: -lap(u) = manufactured
pde f: -lap(v) = 1
bc sides on left or right: u = exact hard, v = 0
"""
    )
    x, y = p.space
    net = sp.Symbol("net", real=True)
    out = p.outputs["u"]
    assert sp.simplify(out.subs(net, 0) - p.exact["u"]) == 0  # g inside the domain
    phi = sp.simplify(out.diff(net))
    assert sp.simplify(phi - x * (1 - x)) == 0  # zero on x = 0 and x = 1, positive inside
    assert [t.name for t in p.conditions] == ["sides"]  # v = 0 stays a soft term
    assert p.conditions[0].fields == ("v",)


def test_hard_condition_on_a_hole_is_positive_in_the_domain():
    p = lower_source(
        ANNULUS.replace("bc inner on hole: u = exact", "bc inner on hole: u = exact hard")
    )
    x, y = p.space
    phi = p.outputs["u"].diff(sp.Symbol("net", real=True))
    at_r = lambda r: float(phi.subs({x: r, y: 0}))  # noqa: E731
    assert at_r(0.5) == pytest.approx(0.0, abs=1e-15)
    assert at_r(0.75) > 0 and at_r(0.99) > 0


@pytest.mark.parametrize(
    "cond, fragment",
    [
        ("dn(u) = 0 hard", "only a value"),
        ("u = v hard", "formula of the coordinates"),
    ],
)
def test_hard_condition_mistakes(cond, fragment):
    src = "problem p\ndomain x in [0, 1]\nfield u, v\npde e: -dxx(u) = 1\npde f: -dxx(v) = 1\n"
    err = error_of(src + f"bc a on x = 0: {cond}\n")
    assert fragment in err.message, err.format()
    err = error_of(src + "bc a on x = 0: u = 1 hard\nbc b on x = 1: u = 2 hard\n")
    assert "different values" in err.message


def test_shipped_geometry_examples_lower():
    for name in ("annulus", "lshape", "dfg_cylinder", "periodic_advection"):
        p = load(f"examples/geometry/{name}.mp")
        assert p.quantities, name


def test_a_hard_condition_keeps_the_fields_own_output_transform():
    p = lower_source(
        """problem p
domain (x, y) in [0, 1] x [0, 2]
field psi
let g = y^2
output psi = 3*net
pde e: -lap(psi) = 1
bc walls on bottom or top: psi = g hard
"""
    )
    net = sp.Symbol("net", real=True)
    x, y = p.space
    out = p.outputs["psi"]
    assert sp.simplify(out.diff(net) - 3 * (y / 2) * ((2 - y) / 2)) == 0  # phi * 3
    assert sp.simplify(out.subs(net, 0) - y**2) == 0
