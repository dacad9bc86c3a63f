"""Every shipped problem file parses and lowers; the lowering matches hand-written sympy."""

from __future__ import annotations

from pathlib import Path

import pytest
import sympy as sp
from rich.console import Console

from mpinn import geometry
from mpinn.cli import describe
from mpinn.geometry import Face
from mpinn.ir import NET, normal_symbols
from mpinn.lower import load, lower_source

PROBLEMS = Path(__file__).resolve().parents[1] / "problems"
x, y, t = sp.symbols("x y t", real=True)
gamma, rho, kappa = sp.symbols("gamma rho kappa", real=True)
u, v = sp.Function("u")(x), sp.Function("v")(x)

# The exact solution of BENCHMARKS.md and its second derivatives, written out by hand.
U_STAR = sp.sin(sp.pi * x) + x / 2
V_STAR = sp.sin(2 * sp.pi * x) / 2 + (1 - x) ** 2
U_STAR_XX = -(sp.pi**2) * sp.sin(sp.pi * x)
V_STAR_XX = -2 * sp.pi**2 * sp.sin(2 * sp.pi * x) + 2


def same(a, b) -> bool:
    return sp.simplify(sp.expand(a - b)) == 0


@pytest.mark.parametrize("path", sorted(PROBLEMS.glob("*.mp")), ids=lambda p: p.name)
def test_every_problem_parses_lowers_and_describes(path):
    problem = load(path)
    assert problem.equations and problem.fields
    assert problem.warnings == []
    values = problem.param_values()
    box = geometry.domain_of(problem, values)
    assert all(lo < hi for lo, hi in zip(box.lo, box.hi))
    console = Console(record=True, width=120)
    describe.render(problem, console)
    text = console.export_text()
    assert problem.name in text
    for term in problem.terms:
        assert term.name in text


def _forcing(problem, name):
    return next(tm for tm in problem.equations if tm.name == name)


@pytest.mark.parametrize(
    "name, f1, f2, params",
    [
        (
            "coupled_sym",
            -U_STAR_XX + gamma * (U_STAR - V_STAR),
            -V_STAR_XX + gamma * (V_STAR - U_STAR),
            {"gamma": 1.0},
        ),
        (
            "coupled_asym",
            -U_STAR_XX + gamma * (U_STAR - V_STAR),
            -V_STAR_XX + rho * gamma * (V_STAR - U_STAR),
            {"gamma": 1.0, "rho": 10.0},
        ),
        (
            "coupled_nonlinear",
            -U_STAR_XX + gamma / kappa * sp.sinh(kappa * (U_STAR - V_STAR)),
            -V_STAR_XX - rho * gamma / kappa * sp.sinh(kappa * (U_STAR - V_STAR)),
            {"gamma": 1.0, "rho": 10.0, "kappa": 2.0},
        ),
    ],
)
def test_1d_systems_lower_to_the_hand_written_residuals(name, f1, f2, params):
    problem = load(PROBLEMS / f"{name}.mp")
    assert problem.space == (x,) and problem.time is None
    assert problem.fields == ("u", "v")
    assert problem.param_values() == params
    assert [tuple(map(float, b)) for b in problem.bounds] == [(0.0, 1.0)]
    assert same(problem.exact["u"], U_STAR) and same(problem.exact["v"], V_STAR)

    if name == "coupled_sym":
        lhs_u = -u.diff(x, 2) + gamma * (u - v)
        lhs_v = -v.diff(x, 2) + gamma * (v - u)
    elif name == "coupled_asym":
        lhs_u = -u.diff(x, 2) + gamma * (u - v)
        lhs_v = -v.diff(x, 2) + rho * gamma * (v - u)
    else:
        lhs_u = -u.diff(x, 2) + gamma / kappa * sp.sinh(kappa * (u - v))
        lhs_v = -v.diff(x, 2) - rho * gamma / kappa * sp.sinh(kappa * (u - v))
    eq_u, eq_v = _forcing(problem, "eq_u"), _forcing(problem, "eq_v")
    assert same(eq_u.lhs, lhs_u) and same(eq_v.lhs, lhs_v)
    assert same(eq_u.rhs, f1), "manufactured forcing f1"
    assert same(eq_v.rhs, f2), "manufactured forcing f2"
    assert same(eq_u.residual, lhs_u - f1)
    assert eq_u.fields == ("u", "v") and eq_u.kind == "pde"

    bcs = {tm.name: tm for tm in problem.conditions}
    assert set(bcs) == {"ends.u", "ends.v"}
    both_ends = (Face(0, 0), Face(0, 1))
    assert bcs["ends.u"].region == both_ends and bcs["ends.v"].region == both_ends
    assert bcs["ends.u"].form == "dirichlet" and bcs["ends.v"].form == "dirichlet"
    assert bcs["ends.u"].lhs == u and same(bcs["ends.u"].rhs, U_STAR)
    assert bcs["ends.v"].lhs == v and same(bcs["ends.v"].rhs, V_STAR)


def test_param_override_recomputes_derived_params():
    problem = lower_source("""
        problem p
        param gamma = 1
        param g2 = 2*gamma^2 + 1     # derived
        param rho = 10
        domain x in [0, rho/gamma]
        field u
        pde e: -dxx(u) + g2*u = 0
        bc b on all: u = 0
    """)
    assert problem.param_values() == {"gamma": 1.0, "g2": 3.0, "rho": 10.0}
    over = problem.param_values({"gamma": 10})
    assert over == {"gamma": 10.0, "g2": 201.0, "rho": 10.0}
    assert geometry.domain_of(problem, over).hi == (1.0,)
    with pytest.raises(KeyError, match="did you mean 'gamma'"):
        problem.param_values({"gama": 3})


def test_2d_operators_lower_to_hand_written_sympy():
    problem = lower_source("""
        problem ops2d
        param k = 3
        domain (x, y) in [0, 2] x [-1, 1]
        field p, c
        let J = -grad(c) - c*grad(p)       # a vector let
        let U = (p, c)
        pde lap_div: -lap(p) + div(J) = 0
        pde comp: J[x] + d(c, x, y) + dxy(p) + k*U[y] = 1
        pde vec: grad(p) + J = (0, x)
        bc flux on y = -1 or y = 1: dot(J, normal) = 0, dn(p) + k*p = 1
        bc ends on left or right: p = 0, c = 1
    """)
    P, C = sp.Function("p")(x, y), sp.Function("c")(x, y)
    k = sp.Symbol("k", real=True)
    nx, ny = normal_symbols(problem.space)
    J = (-C.diff(x) - C * P.diff(x), -C.diff(y) - C * P.diff(y))
    eqs = {tm.name: tm for tm in problem.equations}
    assert set(eqs) == {"lap_div", "comp", "vec_x", "vec_y"}
    assert same(
        eqs["lap_div"].residual, -(P.diff(x, 2) + P.diff(y, 2)) + J[0].diff(x) + J[1].diff(y)
    )
    assert same(eqs["comp"].residual, J[0] + C.diff(x, y) + P.diff(x, y) + k * C - 1)
    assert same(eqs["vec_x"].residual, P.diff(x) + J[0])
    assert same(eqs["vec_y"].residual, P.diff(y) + J[1] - x)
    bcs = {tm.name: tm for tm in problem.conditions}
    flux = [tm for tm in problem.conditions if tm.name.startswith("flux")]
    assert same(flux[0].residual, nx * J[0] + ny * J[1])
    assert flux[0].form == "general"
    assert same(flux[1].residual, nx * P.diff(x) + ny * P.diff(y) + k * P - 1)
    assert flux[1].form == "robin"
    assert flux[0].region == (Face(1, 0), Face(1, 1))
    assert bcs["ends.p"].region == (Face(0, 0), Face(0, 1))
    assert bcs["ends.c"].form == "dirichlet"


def test_let_function_is_expanded_before_differentiation():
    problem = lower_source("""
        problem lf
        domain x in [0, 1]
        field u
        let G(d) = d^2 + dx(d)
        pde e: G(u) + G(x) = 0
        bc b on all: dn(u) = 0
    """)
    U = sp.Function("u")(x)
    assert same(problem.equations[0].residual, U**2 + U.diff(x) + x**2 + 1)
    assert problem.conditions[0].form == "neumann"
    assert problem.let_functions == {"G": (("d",), "d^2 + dx(d)")}


def test_eof2d_reads_like_the_physics():
    problem = load(PROBLEMS / "eof2d.mp")
    assert problem.fields == ("phi", "cp", "cm", "u", "v", "Pi")
    assert problem.param_values() == {
        "eps": 0.02,
        "zeta0": -2.0,
        "zetap": 1.0,
        "a": 1.5,
        "b": 2.5,
        "w": 0.1,
        "dV": 8.0,
        "L": 4.0,
        "Pe": 0.5,
    }
    assert geometry.domain_of(problem).lo == (0.0, -1.0) and geometry.domain_of(problem).hi == (
        4.0,
        1.0,
    )
    eps = sp.Symbol("eps", real=True)
    sym = {n: sp.Symbol(n, real=True) for n in ("dV", "L", "zeta0", "zetap", "a", "b", "w")}
    f = {n: sp.Function(n)(x, y) for n in problem.fields}
    ramp = sym["dV"] * (1 - x / sym["L"])
    zeta = (
        sym["zeta0"]
        + (sym["zetap"] - sym["zeta0"])
        * (sp.tanh((x - sym["a"]) / sym["w"]) - sp.tanh((x - sym["b"]) / sym["w"]))
        / 2
    )
    gz = lambda d: 4 * sp.atanh(sp.tanh(zeta / 4) * sp.exp(-d / eps))  # noqa: E731
    assert same(problem.outputs["phi"], ramp + gz(1 - y) + gz(1 + y) + (1 - y**2) * NET)
    assert same(problem.outputs["cp"], sp.exp(NET - (f["phi"] - ramp)))
    assert same(problem.outputs["cm"], sp.exp(NET + (f["phi"] - ramp)))
    blur = {
        side: sp.tanh((x - sym["a"]) / (sym["w"] + 1 + s * y))
        - sp.tanh((x - sym["b"]) / (sym["w"] + 1 + s * y))
        for side, s in (("el", 1), ("eu", -1))
    }
    zl, zu = (sym["zeta0"] + (sym["zetap"] - sym["zeta0"]) * blur[k] / 2 for k in ("el", "eu"))
    assert same(
        problem.outputs["u"],
        sym["dV"] / sym["L"] * (f["phi"] - ramp - (zl * (1 - y) + zu * (1 + y)) / 2)
        + (1 - y**2) * NET,
    )
    assert (
        same(problem.outputs["Pi"], 10 * NET - (sp.sqrt(f["cp"] * f["cm"]) - 1) / eps**2)
        and "v" not in problem.outputs
    )
    assert problem.features["wl"] == sp.exp(-(1 + y) / eps)
    assert problem.features["wu"] == sp.exp(-(1 - y) / eps)
    assert same(problem.features["el"], blur["el"]) and same(problem.features["eu"], blur["eu"])
    f = {n: sp.Function(n)(x, y) for n in problem.fields}
    Pe = sp.Symbol("Pe", real=True)
    eqs = {tm.name: tm for tm in problem.equations}
    assert set(eqs) == {"poisson", "np_p", "np_m", "stokes_x", "stokes_y", "continuity"}
    lap = lambda g: g.diff(x, 2) + g.diff(y, 2)  # noqa: E731
    assert same(eqs["poisson"].residual, -(eps**2) * lap(f["phi"]) - (f["cp"] - f["cm"]) / 2)
    jp = [
        Pe * f[w] * f["cp"] - f["cp"].diff(c) - f["cp"] * f["phi"].diff(c)
        for w, c in (("u", x), ("v", y))
    ]
    assert same(eqs["np_p"].residual, (jp[0].diff(x) + jp[1].diff(y)) / f["cp"])
    stokes_x = (
        -f["Pi"].diff(x)
        + lap(f["u"])
        - ((f["cp"] + f["cm"]).diff(x) + (f["cp"] - f["cm"]) * f["phi"].diff(x)) / (2 * eps**2)
    )
    # x-momentum carries the electroosmotic drive through Poisson: the plain equation plus
    # E/eps^2 times the Poisson residual, i.e. the same equation wherever Poisson holds
    E = sym["dV"] / sym["L"]
    assert same(eqs["stokes_x"].residual, stokes_x + E / eps**2 * eqs["poisson"].residual)
    stokes_y = (
        -f["Pi"].diff(y)
        + lap(f["v"])
        - ((f["cp"] + f["cm"]).diff(y) + (f["cp"] - f["cm"]) * f["phi"].diff(y)) / (2 * eps**2)
    )
    # y-momentum is divided by 1 + (cosh(chi) - 1)/eps, cosh(chi) = (c+ + c-)/(2 sqrt(c+ c-)):
    # >= 1 everywhere, so the same equation, with the double layer's weight cut
    layer = 1 + ((f["cp"] + f["cm"]) / (2 * sp.sqrt(f["cp"] * f["cm"])) - 1) / eps
    assert same(eqs["stokes_y"].residual, stokes_y / layer)
    assert same(eqs["continuity"].residual, f["u"].diff(x) + f["v"].diff(y))
    bcs = {tm.name: tm for tm in problem.conditions}
    assert bcs["walls.u"].region == (Face(1, 0), Face(1, 1))
    assert bcs["inlet.Pi"].region == (Face(0, 0),) and bcs["outlet.Pi"].region == (Face(0, 1),)
    assert bcs["inlet.u"].form == "neumann"
    # the Gouy-Chapman end profile at the centre line is ~0 and psi0(-1) ~ zeta0
    vals = {sp.Symbol(k, real=True): val for k, val in problem.param_values().items()}
    psi = (bcs["outlet.phi"].rhs).xreplace(vals)
    assert abs(float(psi.subs(y, 0))) < 1e-6
    assert abs(float(psi.subs(y, -1)) + 2) < 1e-6
