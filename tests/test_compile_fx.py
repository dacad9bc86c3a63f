"""The compiled residual path (fx graphs) and the forward-mode derivative engine, against
the references: the tree walker (TorchExpr) and nested reverse-mode autograd (Batch).
float64 throughout; fx vs tree walker to 1e-12, forward vs reverse to 1e-10."""

import glob
import math
import operator

import pytest
import sympy as sp
import torch

from mpinn import config, geometry, train
from mpinn.compile import (
    TORCH_FUNCTIONS,
    Batch,
    FxExpr,
    JetBatch,
    ResidualProgram,
    TorchExpr,
    compile_options,
    forward_support,
    fx_expr,
)
from mpinn.compile.jet_rules import ACTIVATION_RULES
from mpinn.config import ConfigError, NetConfig
from mpinn.lower import load, lower_source
from mpinn.model import FieldNets

F64 = torch.float64


def _close(got, want, tol):
    got = torch.as_tensor(got, dtype=F64)
    want = torch.as_tensor(want, dtype=F64)
    torch.testing.assert_close(got, want, rtol=tol, atol=tol, equal_nan=True)


# -- the fx graph ---------------------------------------------------------------------------

x, a, b = sp.symbols("x a b", real=True)
EDGE = [
    x**0.5,
    x**-1,
    2**x,
    x**-0.5,
    x**3,
    x**-3,
    x**2.5,
    x**a,
    a**x,
    sp.sqrt(a) * x,
    a**-0.5 + a**2 + a**-1,  # numbers only at run time (a fixed parameter is a float)
    (-2) ** x,  # NaN in both
    sp.sin(a) * sp.cos(x) + sp.exp(sp.Integer(2)),
    sp.sec(x) + sp.csc(x) + sp.cot(x) + sp.sec(a),
    sp.Integer(3),
    sp.pi * sp.E + sp.Rational(1, 3),
    sp.Abs(x - sp.Rational(1, 2)) * sp.sign(x - 0.3) + sp.erf(x) + sp.atanh(x / 2),
    x,
    x - a * x - sp.sin(x) * x * a - 3 * x + 1 - x**2,  # subtractions and negations
    -a * x,
    -((x + 1) ** 2),
    -sp.exp(-x),
]


@pytest.mark.parametrize("a_value", [2.5, torch.tensor(2.5, dtype=F64, requires_grad=True)])
def test_fx_matches_tree_walker_bit_for_bit_on_edge_cases(a_value):
    xs = torch.linspace(0.1, 0.9, 9, dtype=F64)
    fx, tree = FxExpr(EDGE, (x, a, b)), TorchExpr(EDGE, (x, a, b))
    got, want = fx({x: xs, a: a_value}), tree({x: xs, a: a_value})
    for g, w in zip(got, want):
        assert isinstance(g, torch.Tensor) == isinstance(w, torch.Tensor)
        _close(g, w, 0.0)  # the same operations: the same bits
    assert fx.leaves == (x, a)  # b is not used: no placeholder
    if isinstance(a_value, torch.Tensor):  # a parameter gradient through the graph
        live = [i for i, w in enumerate(want) if isinstance(w, torch.Tensor) and w.requires_grad]
        assert len(live) >= 5
        ga = torch.autograd.grad(sum(got[i].sum() for i in live), a_value)[0]
        gw = torch.autograd.grad(sum(want[i].sum() for i in live), a_value)[0]
        _close(ga, gw, 1e-12)


def test_fx_graph_is_built_node_by_node_from_the_one_table(monkeypatch):
    fx = FxExpr([sp.sin(x) * a + x**0.5 + 1.5], (x, a))
    gm = fx.graph((True, False))
    assert isinstance(gm, torch.fx.GraphModule)
    ops = [n.op for n in gm.graph.nodes]
    assert ops.count("placeholder") == 2 and ops[-1] == "output"
    targets = {n.target for n in gm.graph.nodes if n.op == "call_function"}
    assert targets == {TORCH_FUNCTIONS[sp.sin], torch.sqrt, operator.mul, operator.add}
    # one table: an entry changed in TORCH_FUNCTIONS is what the next graph calls
    calls = []

    def traced_sin(t):
        calls.append(1)
        return torch.sin(t)

    monkeypatch.setitem(TORCH_FUNCTIONS, sp.sin, traced_sin)
    FxExpr([sp.sin(x)], (x,))({x: torch.ones(3, dtype=F64)})
    assert calls == [1]


def test_fx_constant_only_group_and_unknown_functions():
    fx = FxExpr([sp.Integer(2) * sp.pi, a - 7], (x, a))
    got = fx({a: 7.5})
    assert got == [2 * math.pi, 0.5] and all(isinstance(v, float) for v in got)
    with pytest.raises(NotImplementedError):
        FxExpr([sp.Function("weird")(x)], (x,))({x: torch.ones(2)})


def test_scalar_targets_are_named_functions():
    target = fx_expr._scalar_target(TORCH_FUNCTIONS[sp.sin])
    assert target.__name__ == "scalar_sin" and target(0.0) == 0.0


# -- every shipped problem: fx and forward against the references --------------------------


def _shipped():
    paths = sorted(glob.glob("problems/*.mp") + glob.glob("examples/*/*.mp"))
    out = []
    for path in paths:
        try:
            load(path)
        except Exception:  # a file that does not lower (yet) is not a shipped problem
            continue
        out.append(path)
    return out


SHIPPED = _shipped()
SMALL = {
    "dtype": "float64",
    "threads": 1,
    "net": {"width": 12, "depth": 2},
    "nets": {},
    "sampling": {"interior": 24, "boundary": 8, "initial": 8, "data": 8, "cluster": []},
}


def _group_inputs(setup, group):
    if group.kind == "data":
        points, data = train.setup.data_batch(setup, group, 0)
        return points, None, data
    points, normals = train.setup.points_for(setup, group, 0)
    return points, normals, None


def _evaluate(setup, program):
    """{term: residual}, and the parameter gradients of the summed mean squares."""
    out = {}
    for group in setup.groups:
        points, normals, data = _group_inputs(setup, group)
        out.update(
            program.evaluate(setup.nets, points, group.terms, setup.values, normals, data=data)
        )
    params = [p for p in setup.nets.parameters() if p.requires_grad]
    loss = sum((r**2).mean() for r in out.values())
    grads = torch.autograd.grad(loss, params, allow_unused=True)
    return out, grads


@pytest.mark.parametrize("path", SHIPPED)
def test_shipped_problem_fx_and_forward_match_references(path):
    problem = load(path)
    setup = train.build(problem, config.resolve(path, None, SMALL, problem=problem))
    ref = _evaluate(setup, ResidualProgram(problem))
    fx = _evaluate(setup, ResidualProgram(problem, graphs=True))
    fwd_program = ResidualProgram(problem, graphs=True, derivatives="forward")
    fwd = _evaluate(setup, fwd_program)
    for got, tol in ((fx, 1e-12), (fwd, 1e-10)):
        for name, r in ref[0].items():
            scale = max(1.0, float(r.detach().abs().max()))
            _close(got[0][name] / scale, r / scale, tol)
        for g, w in zip(got[1], ref[1]):
            if w is None:
                assert g is None or not g.abs().max()
                continue
            scale = max(1.0, float(w.abs().max()))
            _close(g / scale, w / scale, tol)
    if "dfg_cylinder" not in path:  # third derivatives (a stream function): reverse there
        assert not fwd_program.fallbacks


def test_shipped_set_covers_data_normals_and_unknowns():
    problems = [load(p) for p in SHIPPED]
    assert any(p.data for p in problems)
    assert any(p.unknowns for p in problems)
    assert any("_n_" in str(t.residual) for p in problems for t in p.conditions)
    assert any(p.outputs for p in problems) and any(p.features for p in problems)


# -- forward mode against nested reverse mode -----------------------------------------------

SRC = """
    param D = 0.5
    unknown k = 0.7 in [0.1, 3]
    domain (x, y) in [0, 2] x [-1, 1]
    field c, phi
    output c = exp(net - k*phi)
    feature w = exp(-(1 - y)/D)
    pde a: d(c, x, y) + dxx(phi) + dyy(c)*dx(c) + dy(phi) = 0
    pde b: -D*lap(c) + c*phi = sin(x)*y
    bc walls on y = -1 or y = 1: dn(c) + c = 0, phi = 0
"""


def _nets(problem, cfg: NetConfig, seed=0):
    box = geometry.domain_of(problem)
    values = problem.param_values()
    return FieldNets(problem, box, values, cfg, seed=seed).double()


def _points(n, seed=1):
    gen = torch.Generator().manual_seed(seed)
    pts = torch.rand(n, 2, generator=gen, dtype=F64)
    return pts * torch.tensor([2.0, 2.0], dtype=F64) - torch.tensor([0.0, 1.0], dtype=F64)


NETS = [
    NetConfig(width=10, depth=2, activation="tanh"),
    NetConfig(width=10, depth=2, activation="sin"),
    NetConfig(width=10, depth=3, activation="gelu"),
    NetConfig(width=10, depth=2, activation="silu"),
    NetConfig(width=10, depth=2, activation="softplus"),
    NetConfig(width=10, depth=2, activation="tanh", fourier_features=4, fourier_sigma=0.7),
]


@pytest.mark.parametrize("cfg", NETS, ids=lambda c: f"{c.activation}-ff{c.fourier_features}")
def test_forward_derivatives_match_nested_autograd(cfg):
    """First, second and mixed derivatives of every field (one output uses another field
    and an unknown parameter; one input is a feature), and parameter gradients."""
    problem = lower_source(SRC)
    nets = _nets(problem, cfg)
    program = ResidualProgram(problem)
    keys = program.needed(["a", "b"])
    assert {len(k.columns) for k in keys} == {0, 1, 2} and any(k.columns == (0, 1) for k in keys)
    assert forward_support(nets, keys) is None
    X = _points(20)
    Xg = X.clone().requires_grad_(True)
    rev = Batch(nets(Xg), Xg)
    fwd = JetBatch(nets, X, keys)
    params = list(nets.parameters())
    for key in sorted(keys, key=lambda k: (k.field, k.columns)):
        _close(fwd.get(key), rev.get(key), 1e-10)
    loss_r = sum((rev.get(k) ** 2).mean() for k in keys)
    loss_f = sum((fwd.get(k) ** 2).mean() for k in keys)
    for g, w in zip(torch.autograd.grad(loss_f, params), torch.autograd.grad(loss_r, params)):
        _close(g, w, 1e-10)
    assert params[-1].shape == (1,)  # the unknown k: its gradient was compared too


def test_forward_on_periodic_and_time_inputs():
    problem = load("examples/geometry/periodic_advection.mp")
    nets = FieldNets(
        problem, geometry.domain_of(problem), problem.param_values(), NetConfig(12, 2)
    ).double()
    program = ResidualProgram(problem)
    keys = program.needed(["transport"])
    gen = torch.Generator().manual_seed(3)
    X = torch.rand(16, 2, generator=gen, dtype=F64) * torch.tensor([2 * math.pi, 1.0])
    Xg = X.clone().requires_grad_(True)
    rev, fwd = Batch(nets(Xg), Xg), JetBatch(nets, X, keys)
    for key in keys:
        _close(fwd.get(key), rev.get(key), 1e-10)


@pytest.mark.parametrize("name", sorted(ACTIVATION_RULES))
def test_activation_rules_match_autograd(name):
    from mpinn.model.mlp import make_activation

    module = make_activation(
        {"Tanh": "tanh", "Sine": "sin", "GELU": "gelu"}.get(name, name.lower())
    )
    z = torch.linspace(-25, 25, 201, dtype=F64).requires_grad_(True)
    h, s1, s2 = ACTIVATION_RULES[name](module, z)
    (d1,) = torch.autograd.grad(module(z).sum(), z, create_graph=True)
    (d2,) = torch.autograd.grad(d1.sum(), z)
    _close(h, module(z), 1e-14)
    _close(s1, d1, 1e-12)
    _close(s2, d2, 1e-12)


def test_forward_falls_back_to_reverse_where_unsupported():
    problem = lower_source("""
        domain x in [0, 1]
        field u
        pde e: d(u, x, x, x) + u = 0
        bc ends on all: u = 0
    """)
    nets = _nets(problem, NetConfig(8, 2))
    program = ResidualProgram(problem, graphs=True, derivatives="forward")
    X = torch.rand(10, 1, dtype=F64)
    res = program.evaluate(nets, X, ["e"], {})
    ref = ResidualProgram(problem).evaluate(nets, X, ["e"], {})
    _close(res["e"], ref["e"], 1e-12)
    assert program.engine(nets, ["e"]) == "reverse"
    assert "order above 2" in next(iter(program.fallbacks))

    class Plain(torch.nn.Module):  # no network structure to push jets through
        def forward(self, X):
            return {"u": torch.sin(3 * X[:, 0])}

    assert program.engine(Plain(), ["e"]) == "reverse"
    assert program.engine(Plain(), ["ends"]) == "values"  # no derivatives: a plain forward


# -- configuration --------------------------------------------------------------------------


def test_compile_options_and_config_keys():
    assert compile_options("auto", "auto", "cpu") == {
        "graphs": True,
        "torch_compile": False,
        "derivatives": "forward",
    }
    assert compile_options("auto", "auto", "cuda") == {
        "graphs": True,
        "torch_compile": True,
        "derivatives": "reverse",
    }
    assert compile_options("off", "reverse", "cpu")["graphs"] is False
    assert compile_options("on", "forward", "cpu")["torch_compile"] is True
    path = "problems/coupled_sym.mp"
    for key, bad in (("compile", "maybe"), ("derivatives", "sideways")):
        with pytest.raises(ConfigError, match=key):
            config.resolve(path, None, {key: bad})
    problem = load(path)
    setup = train.build(problem, config.resolve(path, None, {"compile": "off"}))
    assert not setup.program.graphs and setup.program.derivatives == "forward"
    cfg = config.resolve(path, None, {"derivatives": "reverse"})
    setup = train.build(problem, cfg)
    assert setup.program.graphs and setup.program.derivatives == "reverse"


def test_default_path_trains_deterministically():
    """fx graphs + forward mode (the CPU defaults): the same run twice gives the same bits
    (what resuming a run relies on)."""
    path = "problems/coupled_sym.mp"
    problem = load(path)
    over = {"steps": 4, "threads": 1, "net": {"width": 8, "depth": 2}, "eval": {"every": 0}}
    over["balance"] = {"every": 2}
    runs = []
    for _ in range(2):
        setup = train.build(problem, config.resolve(path, None, over, problem=problem))
        assert setup.program.graphs and setup.program.derivatives == "forward"
        state = train.train(setup)
        runs.append((state.final_losses, setup.nets.state_dict()))
    assert runs[0][0] == runs[1][0]
    for k, v in runs[0][1].items():
        assert torch.equal(v, runs[1][1][k])


def test_torch_compile_failure_falls_back_to_the_plain_graph(monkeypatch):
    def broken(module, **kw):
        def fail(*args):
            raise RuntimeError("no compiler here")

        return fail

    monkeypatch.setattr(torch, "compile", broken)
    fx = FxExpr([sp.sin(x) + a], (x, a), torch_compile=True)
    xs = torch.linspace(0, 1, 5, dtype=F64)
    with pytest.warns(RuntimeWarning, match="torch.compile failed"):
        got = fx({x: xs, a: 0.5})
    _close(got[0], torch.sin(xs) + 0.5, 0.0)
    _close(fx({x: xs, a: 0.5})[0], torch.sin(xs) + 0.5, 0.0)  # no second warning needed


def test_features_and_output_transforms_as_graphs_give_the_same_bits():
    """With ``compile`` not ``off`` the networks evaluate the flagship's input features and
    its boundary-layer output transforms (fields using other fields' values) as fx graphs:
    bit-identical to the tree walker, in float32 as trained."""
    problem = load("problems/eof2d.mp")
    cfg = config.resolve("problems/eof2d.mp", None, {"compile": "off"}, problem=problem)
    walker = train.build(problem, cfg)
    nets, points = walker.nets, walker.sampler.interior(0)
    assert nets.features is not None and isinstance(nets.features, TorchExpr)
    walked = nets(points)
    auto = train.build(problem, config.resolve("problems/eof2d.mp", None, {}, problem=problem))
    assert isinstance(auto.nets.features, FxExpr)  # the default compiles them
    assert all(isinstance(t, FxExpr) for t in auto.nets.transforms.values() if t is not None)
    graphed = auto.nets(points)  # the same seed: the same weights
    assert all(torch.equal(walked[f], graphed[f]) for f in walked)
