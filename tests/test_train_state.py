"""TrainState holds everything a resume needs: stopping a run, saving its state dict
(torch.save / weights_only load), restoring it into a freshly built setup and training on
gives the same networks and history, bit for bit, as the uninterrupted run."""

import io

import pytest
import torch

from mpinn import config, train
from mpinn.lower import load

PATH = "problems/coupled_sym.mp"
SMALL = {
    "threads": 1,
    "net": {"width": 12, "depth": 2},
    "eval": {"every": 5},
    "sampling": {"interior": 32, "boundary": 8},
    "log_every": 3,
    "balance": {"every": 4},
    "optimizer": {"decay_steps": 7},
}


def _setup(steps: int, optimizer: str = "soap"):
    problem = load(PATH)
    cfg = config.resolve(
        PATH,
        None,
        {**SMALL, "steps": steps, "optimizer": {**SMALL["optimizer"], "name": optimizer}},
    )
    return train.build(problem, cfg)


def _roundtrip(state_dict: dict) -> dict:
    buf = io.BytesIO()
    torch.save(state_dict, buf)
    buf.seek(0)
    return torch.load(buf, weights_only=True)


class StopAt:
    def __init__(self, step):
        self.step = step

    def update(self, step, info):
        if step == self.step:
            raise KeyboardInterrupt


@pytest.mark.parametrize(
    "optimizer,stop", [("soap", 5), ("soap", 8), ("adam", 7), ("soap+lbfgs", 16)]
)
def test_resume_from_a_state_dict_is_bit_exact(optimizer, stop):
    steps = 18
    whole = _setup(steps, optimizer)
    done = train.train(whole)

    first = _setup(steps, optimizer)
    state = train.TrainState.start(first)
    with pytest.raises(KeyboardInterrupt):
        train.train(first, state, progress=StopAt(stop))
    assert state.step == stop
    saved = _roundtrip(state.state_dict(first))

    second = _setup(steps, optimizer)  # a new process would build the same setup
    resumed = train.TrainState.start(second)
    resumed.load_state_dict(second, saved)
    resumed = train.train(second, resumed)

    assert resumed.step == done.step == steps
    for (k, a), b in zip(whole.nets.state_dict().items(), second.nets.state_dict().values()):
        assert torch.equal(a, b), k
    strip = lambda rows: [{k: v for k, v in r.items() if k != "time_s"} for r in rows]  # noqa: E731
    assert strip(resumed.history) == strip(done.history)
    assert resumed.final_losses == done.final_losses
    assert resumed.final_weights == done.final_weights


def test_state_refuses_a_different_run():
    setup = _setup(10)
    state = train.TrainState.start(setup)
    other = train.TrainState.start(_setup(10, "adam"))
    with pytest.raises(ValueError, match="phases"):
        other.load_state_dict(setup, state.state_dict(setup))
    with pytest.raises(ValueError, match="not a training state"):
        state.load_state_dict(setup, {"format": "something else"})


def test_balancer_state_restores_the_weights():
    from mpinn.train.balance import make_balancer

    for name in ("gradnorm", "none"):
        a = make_balancer(name, ["p", "q"])
        a._weights = {"p": 3.0, "q": 0.25}
        b = make_balancer(name, ["q", "p"])
        b.load_state_dict(a.state_dict())
        assert b.weights == {"p": 3.0, "q": 0.25}
