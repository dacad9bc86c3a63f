"""Tests for mpinn.balance on toy losses whose gradient norms are known in closed form."""

import math

import pytest
import torch

from mpinn.train.balance import BALANCERS, GradNormBalancer, NoBalancer, make_balancer


def _params():
    # Two tensors (a 2D "weight" and a 1D "bias") so norms must be taken over ALL parameters.
    p = torch.tensor([[1.0, 2.0], [0.0, -2.0]], requires_grad=True)  # ||p||^2 = 9
    q = torch.tensor([3.0, 4.0], requires_grad=True)  # ||q||^2 = 25
    return p, q


def _losses(p, q, a, b, c):
    """L_u = a/2 (||p||^2+||q||^2), L_v = b/2 ||q||^2 (p unused), L_w = c * sum(q)."""
    return {
        "u": 0.5 * a * (p.pow(2).sum() + q.pow(2).sum()),
        "v": 0.5 * b * q.pow(2).sum(),
        "w": c * q.sum(),
    }


def _norms(a, b, c):
    # ||grad L_u|| = a sqrt(9 + 25), ||grad L_v|| = b ||q|| = 5b, ||grad L_w|| = c ||(1, 1)||.
    return {"u": a * math.sqrt(34.0), "v": 5.0 * b, "w": c * math.sqrt(2.0)}


def _formula(norms):
    total = sum(norms.values())
    return {k: total / g for k, g in norms.items()}


def test_first_update_sets_weights_to_the_formula():
    p, q = _params()
    bal = GradNormBalancer(["u", "v", "w"], alpha=0.9, every=10)
    assert bal.weights == {"u": 1.0, "v": 1.0, "w": 1.0}
    assert bal.maybe_update(0, _losses(p, q, a=2.0, b=0.1, c=30.0), [p, q]) is True
    expected = _formula(_norms(2.0, 0.1, 30.0))
    assert bal.weights == pytest.approx(expected, rel=1e-6)
    # The point of the method: every weighted term now has the same gradient norm.
    weighted = [bal.weights[k] * g for k, g in _norms(2.0, 0.1, 30.0).items()]
    assert weighted == pytest.approx([weighted[0]] * 3, rel=1e-6)


def test_second_update_is_smoothed():
    p, q = _params()
    alpha = 0.8
    bal = GradNormBalancer(["u", "v", "w"], alpha=alpha, every=10)
    bal.maybe_update(0, _losses(p, q, 2.0, 0.1, 30.0), [p, q])
    first = bal.weights
    assert bal.maybe_update(10, _losses(p, q, 1.0, 4.0, 0.5), [p, q]) is True
    target = _formula(_norms(1.0, 4.0, 0.5))
    expected = {k: alpha * first[k] + (1 - alpha) * target[k] for k in first}
    assert bal.weights == pytest.approx(expected, rel=1e-6)


def test_refresh_only_every_k_steps():
    p, q = _params()
    bal = GradNormBalancer(["u", "v", "w"], every=5)
    refreshed = []
    for step in range(12):
        before = bal.weights
        did = bal.maybe_update(step, _losses(p, q, 1.0 + step, 1.0, 1.0), [p, q])
        refreshed.append(did)
        if not did:
            assert bal.weights == before
    assert [s for s, did in enumerate(refreshed) if did] == [0, 5, 10]


def test_combine_is_the_weighted_sum_and_graph_is_retained():
    p, q = _params()
    bal = GradNormBalancer(["u", "v", "w"])
    losses = _losses(p, q, 2.0, 0.1, 30.0)
    bal.maybe_update(0, losses, [p, q])
    w = bal.weights
    total = bal.combine(losses)
    expected = sum(w[k] * losses[k].item() for k in losses)
    assert total.item() == pytest.approx(expected, rel=1e-6)
    total.backward()  # maybe_update must have kept the graph alive
    # d/dq of sum_i w_i L_i = w_u a q + w_v b q + w_w c
    assert q.grad.tolist() == pytest.approx(
        (w["u"] * 2.0 * q + w["v"] * 0.1 * q + w["w"] * 30.0).tolist(), rel=1e-6
    )
    assert all(isinstance(v, float) for v in w.values())


def test_zero_gradient_term_does_not_blow_up():
    p, q = _params()
    losses = _losses(p, q, 2.0, 0.1, 30.0)
    losses["zero"] = (0.0 * p).sum()  # gradient exactly zero
    losses["const"] = torch.tensor(3.0)  # no parameter in its graph: all grads None
    bal = GradNormBalancer(["u", "v", "w", "zero", "const"])
    assert bal.maybe_update(0, losses, [p, q])
    w = bal.weights
    assert all(math.isfinite(v) for v in w.values())
    # Uninformative terms keep their weight; the others follow the formula among themselves.
    assert w["zero"] == 1.0 and w["const"] == 1.0
    expected = _formula(_norms(2.0, 0.1, 30.0))
    assert {k: w[k] for k in expected} == pytest.approx(expected, rel=1e-6)
    assert math.isfinite(bal.combine(losses).item())


def test_nan_term_does_not_poison_weights():
    p, q = _params()
    losses = _losses(p, q, 2.0, 0.1, 30.0)
    losses["bad"] = float("nan") * p.sum()
    bal = GradNormBalancer(["u", "v", "w", "bad"])
    bal.maybe_update(0, losses, [p, q])
    assert all(math.isfinite(v) for v in bal.weights.values())


def test_frozen_parameters_are_ignored():
    p, q = _params()
    frozen = torch.ones(3)  # requires_grad=False: autograd.grad would reject it
    bal = GradNormBalancer(["u", "v", "w"])
    bal.maybe_update(0, _losses(p, q, 2.0, 0.1, 30.0), [p, frozen, q])
    assert bal.weights == pytest.approx(_formula(_norms(2.0, 0.1, 30.0)), rel=1e-6)


def test_state_dict_round_trip_resumes_smoothing():
    p, q = _params()
    bal = GradNormBalancer(["u", "v", "w"], alpha=0.5, every=1)
    bal.maybe_update(0, _losses(p, q, 2.0, 0.1, 30.0), [p, q])
    resumed = GradNormBalancer(["u", "v", "w"], alpha=0.5, every=1)
    resumed.load_state_dict(bal.state_dict())
    assert resumed.weights == bal.weights
    # After loading, the next update smooths instead of resetting to the formula.
    for b in (bal, resumed):
        b.maybe_update(1, _losses(p, q, 1.0, 1.0, 1.0), [p, q])
    assert resumed.weights == pytest.approx(bal.weights, rel=1e-12)
    assert resumed.weights != pytest.approx(_formula(_norms(1.0, 1.0, 1.0)))
    with pytest.raises(ValueError, match="terms"):
        GradNormBalancer(["u", "v"]).load_state_dict(bal.state_dict())


def test_none_balancer_gives_ones():
    p, q = _params()
    bal = make_balancer("none", ["u", "v", "w"])
    assert isinstance(bal, NoBalancer)
    losses = _losses(p, q, 2.0, 0.1, 30.0)
    assert bal.maybe_update(0, losses, [p, q]) is False
    assert bal.weights == {"u": 1.0, "v": 1.0, "w": 1.0}
    assert bal.combine(losses).item() == pytest.approx(sum(v.item() for v in losses.values()))
    bal.load_state_dict(bal.state_dict())


def test_make_balancer_and_validation():
    assert set(BALANCERS) == {"gradnorm", "none"}
    bal = make_balancer("gradnorm", ["u"], alpha=0.5, every=7)
    assert isinstance(bal, GradNormBalancer) and (bal.alpha, bal.every) == (0.5, 7)
    with pytest.raises(ValueError, match="known balancers: gradnorm, none"):
        make_balancer("softadapt", ["u"])
    for bad in ({"alpha": 1.0}, {"alpha": -0.1}, {"every": 0}):
        with pytest.raises(ValueError):
            make_balancer("gradnorm", ["u"], **bad)
    with pytest.raises(ValueError, match="unique"):
        make_balancer("none", ["u", "u"])
    with pytest.raises(ValueError, match="do not match"):
        bal.combine({"u": torch.tensor(1.0), "extra": torch.tensor(2.0)})
