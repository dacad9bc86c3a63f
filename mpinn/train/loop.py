"""The training loop: sample points, evaluate residual terms, balance, step.

:func:`train` runs the optimizer phases of a :class:`~mpinn.train.state.TrainState` on a
:class:`~mpinn.train.setup.Setup` from the state's step to the end, with a history, a
NaN guard and two callbacks:

* ``progress.update(step, info)`` after every step (``info``: loss, per-term losses, L2);
* ``checkpoint(state)`` every ``cfg.checkpoint_every`` steps;

and ``should_stop()``, asked after every step: a true value (e.g. the name of a signal
that arrived) pauses the run there, as ``state.interrupted``. The state is then exactly
that of the step, so saving it and resuming later is the same as never stopping.

Divergence ends a run as a failure (``state.stopped``, ``state.diverged``): a non-finite
loss (the networks of the last history row are put back) or logged term losses (their
unweighted sum) more than :data:`BLOWUP` times the smallest sum seen before and above the
first step's.

Given a state restored from a checkpoint it continues that run.

Data parallel (``setup.world_size > 1``, :mod:`.distributed`): after ``backward()`` the
gradients and the per-term losses are summed over ranks, so the optimizer, the NaN and
divergence checks and the history see the global values on every rank; the stop request and
the time limit are OR-ed over ranks after every step, so all ranks stop at the same step.
"""

from __future__ import annotations

import copy
import math
import time

import torch

from .balance import Balancer
from .distributed import all_reduce_grads, any_rank, global_losses
from .evaluate import (
    current_l2,
    eval_inside,
    quantities,
    validation_residual,
    validation_sampler,
)
from .optim import needs_closure
from .setup import Setup, losses_at
from .state import TrainState

#: A logged loss this many times the smallest logged loss so far (and above the first
#: one) means the run diverged: four orders of magnitude, far beyond the swings of a
#: healthy run (SOAP's spikes stay within about two).
BLOWUP = 1e4


def train(
    setup: Setup,
    state: TrainState | None = None,
    progress=None,
    checkpoint=None,
    should_stop=None,
) -> TrainState:
    """Run the optimizer phases from ``state`` (a new state by default) to the end, the
    time limit or a non-finite loss; returns the state. ``state`` is updated as training
    goes, so a caller interrupted by Ctrl-C keeps the history so far."""
    cfg = setup.cfg
    state = state if state is not None else TrainState.start(setup)
    params = list(setup.nets.parameters())
    balancer = state.balancer
    eval_pts = eval_inside(setup)
    vsampler = validation_sampler(setup) if cfg.eval.every else None
    clock = time.perf_counter()
    before = state.wall_time_s
    steps_here = 0
    losses, total = {}, None
    state.interrupted = None
    state.time_limited = False  # a resumed run gets a new budget
    while state.phase_name is not None and not (state.stopped or state.time_limited):
        state.open_phase(setup)
        while state.step < state.phase_end:
            optimizer = state.optimizer
            step = state.step
            if needs_closure(optimizer):
                losses, total = _closure_step(setup, optimizer, balancer, state.phase_start)
            else:
                losses = losses_at(setup, step)
                balancer.maybe_update(step, losses, params)
                total = balancer.combine(losses)
                optimizer.zero_grad(set_to_none=True)
                total.backward()
                if setup.world_size > 1:  # data parallel: global gradients and losses
                    all_reduce_grads(params)
                    losses = global_losses(losses)
                    total = balancer.combine(losses)
            if not torch.isfinite(total.detach()).item():  # one sync: any bad term shows here
                setup.nets.load_state_dict(state.last_good)
                state.diverged = state.restored = True
                state.stopped = (
                    f"diverged: the loss became non-finite at step {step}; restored the "
                    f"networks of step {state.last_good_step}"
                )
                break
            if not needs_closure(optimizer):
                optimizer.step()
                state.schedule.step()
            state.step = step = step + 1
            steps_here += 1
            state.wall_time_s = before + time.perf_counter() - clock
            _record(setup, state, losses, total, eval_pts, vsampler)
            if progress is not None:
                progress.update(
                    step,
                    {
                        "loss": float(total.detach()),
                        "losses": {k: v.detach() for k, v in losses.items()},
                        "l2": state.l2,
                    },
                )
            if checkpoint is not None and cfg.checkpoint_every and step % cfg.checkpoint_every == 0:
                checkpoint(state)
            if state.initial_loss is None:
                state.initial_loss = sum(float(v.detach()) for v in losses.values())
            fresh_row = bool(state.history) and state.history[-1]["step"] == step
            blowup = fresh_row and _blowup(state.history, state.initial_loss)
            if blowup:
                state.diverged, state.stopped = True, blowup
                break
            reason = should_stop() if should_stop is not None else None
            over = bool(cfg.time_limit_s) and time.perf_counter() - clock > cfg.time_limit_s
            if setup.world_size > 1:  # every rank stops at the same step
                stop_any, over = any_rank([bool(reason), over])
                reason = reason or (stop_any and "a stop request on another rank")
            if reason:
                state.interrupted = str(reason)
                break
            if over:
                state.time_limited = True
                break
        if state.stopped or state.time_limited or state.interrupted:
            break
        if state.phase == len(state.plan) - 1:  # keep the last phase's optimizer: a resume
            break  # with more steps (`mpinn resume --steps`) continues it
        state.next_phase()
    step = state.step
    if state.time_limited and (not state.history or state.history[-1]["step"] != step):
        state.l2 = current_l2(setup, eval_pts)  # the final row of a run cut short by its budget
        state.history.append(
            {
                "step": step,
                "time_s": before + time.perf_counter() - clock,
                "loss": float(total.detach()),
                **{f"l2[{k}]": v for k, v in state.l2.items()},
            }
        )
    state.wall_time_s = before + time.perf_counter() - clock
    if steps_here == 0 or state.restored:  # no step taken, or networks restored: evaluate anew
        losses = global_losses(losses_at(setup, max(step - 1, 0)))
    state.final_losses = {k: float(v.detach()) for k, v in losses.items()}
    state.final_weights = balancer.weights
    return state


def _raw(row: dict) -> float:
    """The unweighted sum of a history row's term losses (balancing weights can move the
    weighted total by orders of magnitude in a healthy run; the terms themselves cannot)."""
    return sum(v for k, v in row.items() if k.startswith("loss["))


def _blowup(history: list, initial: float | None) -> str | None:
    """Why the run diverged, judged on the logged term losses, or None."""
    if not history or initial is None:
        return None
    last = _raw(history[-1])
    low = min([initial] + [_raw(r) for r in history[:-1]])
    if not math.isfinite(last) or (last > initial and low > 0 and last > BLOWUP * low):
        return (
            f"diverged: the loss grew to {last:.3g} at step {history[-1]['step']}, "
            f"{last / low:.0e} times its lowest value {low:.3g} (is the learning rate too "
            "large?)"
        )
    return None


def _closure_step(setup: Setup, optimizer, balancer: Balancer, fixed_step: int):
    """One L-BFGS step on the fixed batch of ``fixed_step`` (line searches need a fixed
    objective); returns the losses and their weighted total after it."""

    def closure():
        optimizer.zero_grad()
        loss_ = balancer.combine(losses_at(setup, fixed_step))
        loss_.backward()
        if setup.world_size > 1:  # the line search sees the global loss and gradient
            all_reduce_grads(p for g in optimizer.param_groups for p in g["params"])
            loss_ = global_losses({"total": loss_})["total"]
        return loss_

    optimizer.step(closure)
    losses = global_losses(losses_at(setup, fixed_step))
    return losses, balancer.combine(losses)


def _record(setup: Setup, state: TrainState, losses: dict, total, eval_pts, vsampler) -> None:
    """After a step: L2 and the validation residual every ``eval.every`` steps (keeping the
    best networks by validation), a history row every ``log_every`` steps (and at every
    L2), and the NaN guard's copy of the networks with each row."""
    cfg, step = setup.cfg, state.step
    fresh_l2 = (cfg.eval.every and step % cfg.eval.every == 0) or step == cfg.steps
    if fresh_l2:
        state.l2 = current_l2(setup, eval_pts)
        if vsampler is not None:
            state.keep_if_best(setup, validation_residual(setup, vsampler))
    if not (step % max(cfg.log_every, 1) == 0 or step == cfg.steps or fresh_l2):
        return
    state.last_good = copy.deepcopy(setup.nets.state_dict())
    state.last_good_step = step
    row = {
        "step": step,
        "time_s": state.wall_time_s,
        "optimizer": state.phase_name,
        "lr": state.optimizer.param_groups[0]["lr"],
        "loss": float(total.detach()),
    }
    row.update({f"loss[{k}]": float(v.detach()) for k, v in losses.items()})
    row.update({f"weight[{k}]": w for k, w in state.balancer.weights.items()})
    row.update({f"unknown[{k}]": v for k, v in setup.nets.unknowns.floats().items()})
    if fresh_l2:
        if vsampler is not None:
            row["validation"] = state.validation
        row.update({f"l2[{k}]": v for k, v in state.l2.items()})
        row.update({f"quantity[{k}]": v for k, v in quantities(setup).items()})
    state.history.append(row)
