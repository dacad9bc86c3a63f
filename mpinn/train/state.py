"""The training state: everything a run needs to go on from where it is (jaxpi keeps one
such object; DeepXDE checkpoints the whole of it).

:class:`TrainState` holds the optimizer phases still to run, the optimizer of the current
phase with its learning-rate schedule, the balancer, the step, the history, the last good
networks (the NaN guard restores them) and the latest L2 errors. The networks themselves
live in the :class:`~mpinn.train.setup.Setup` (the model); :meth:`TrainState.state_dict`
takes them from there, so one dict is the whole state. It holds only tensors and plain
values: it saves with ``torch.save`` and loads with ``torch.load(..., weights_only=True)``.

The collocation points need no random state: a batch is a pure function of (seed, step)
(:class:`mpinn.geometry.Sampler`), so a restored step draws the same points.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field

import torch

from ..config import ConfigError
from .balance import Balancer, make_balancer
from .optim import make_lr_schedule, make_optimizer, needs_closure, parse_schedule

FORMAT = "mpinn-train-state-1"


def phase_plan(optimizer: str, steps: int, lbfgs_steps: int) -> list:
    """``[(optimizer name, steps), ...]``: a first-order phase, then L-BFGS for the last
    ``lbfgs_steps`` of ``soap+lbfgs`` (a tenth of the run when 0)."""
    try:
        phases = parse_schedule(optimizer)
    except ValueError as exc:
        raise ConfigError(str(exc)) from None
    n_lbfgs = min(lbfgs_steps, steps) if len(phases) == 2 else 0
    if len(phases) == 2 and n_lbfgs == 0:
        n_lbfgs = max(1, steps // 10)
    return [(phases[0], steps - n_lbfgs)] + ([("lbfgs", n_lbfgs)] if n_lbfgs else [])


@dataclass
class TrainState:
    plan: list  # [(optimizer name, steps)]
    balancer: Balancer
    phase: int = 0  # index into plan
    phase_start: int = 0  # the step the current phase began at (L-BFGS keeps its batch)
    optimizer: torch.optim.Optimizer | None = None
    schedule: object = None  # the lr schedule of a first-order phase
    step: int = 0
    history: list = field(default_factory=list)
    last_good: dict = field(default_factory=dict)  # networks at the last history row
    last_good_step: int = 0
    l2: dict = field(default_factory=dict)  # the latest relative L2 errors
    validation: float | None = None  # the latest validation residual (fixed points)
    best_step: int | None = None  # the step of the smallest validation residual so far
    best_validation: float | None = None
    best_l2: dict = field(default_factory=dict)  # the L2 errors at best_step
    best_nets: dict = field(default_factory=dict)  # the networks at best_step
    wall_time_s: float = 0.0  # training time spent so far
    stopped: str | None = None  # why training stopped early (a failure), or None
    diverged: bool = False  # stopped because the loss became non-finite or blew up
    restored: bool = False  # the NaN guard put back the networks of last_good_step
    interrupted: str | None = None  # the signal that paused the run (resumable), or None
    initial_loss: float | None = None  # the unweighted term losses of the first step
    time_limited: bool = False  # stopped by cfg.time_limit_s (a budget, not a failure)
    final_losses: dict = field(default_factory=dict)
    final_weights: dict = field(default_factory=dict)

    @classmethod
    def start(cls, setup) -> TrainState:
        """The state before the first step of a run built as ``setup``."""
        cfg = setup.cfg
        try:
            balancer = make_balancer(
                cfg.balance.name, setup.term_names, alpha=cfg.balance.alpha, every=cfg.balance.every
            )
        except ValueError as exc:
            raise ConfigError(f"balance: {exc}") from None
        state = cls(
            plan=phase_plan(cfg.optimizer.name, cfg.steps, cfg.optimizer.lbfgs_steps),
            balancer=balancer,
            last_good=copy.deepcopy(setup.nets.state_dict()),
        )
        state.skip_empty_phases()
        return state

    @property
    def steps_done(self) -> int:
        return self.step

    def keep_if_best(self, setup, validation: float) -> None:
        """Remember the networks when ``validation`` is the smallest residual so far."""
        self.validation = validation
        if validation == validation and (  # not NaN
            self.best_validation is None or validation < self.best_validation
        ):
            self.best_step, self.best_validation = self.step, validation
            self.best_l2 = dict(self.l2)
            self.best_nets = copy.deepcopy(setup.nets.state_dict())

    @property
    def model_step(self) -> int:
        """The step whose networks the model holds: after the NaN guard restored the last
        good networks, that row's step, not the step that failed."""
        return self.last_good_step if self.diverged and self.restored else self.step

    @property
    def phase_name(self) -> str | None:
        return self.plan[self.phase][0] if self.phase < len(self.plan) else None

    @property
    def phase_end(self) -> int:
        """The step at which the current phase ends."""
        return sum(n for _, n in self.plan[: self.phase + 1])

    def skip_empty_phases(self) -> None:
        while self.phase < len(self.plan) and self.step >= self.phase_end:
            self.phase += 1
            self.optimizer = self.schedule = None

    def open_phase(self, setup) -> None:
        """Create the optimizer (and lr schedule) of the current phase, if not there yet."""
        if self.optimizer is not None:
            return
        cfg, name = setup.cfg, self.phase_name
        try:
            options = dict(cfg.optimizer.options) if name != "lbfgs" else {}
            self.optimizer = make_optimizer(
                name,
                list(setup.nets.parameters()),
                lr=cfg.optimizer.lr if name != "lbfgs" else 1.0,
                **options,
            )
        except ValueError as exc:
            raise ConfigError(f"optimizer: {exc}") from None
        self.schedule = None
        if not needs_closure(self.optimizer):
            try:
                self.schedule = make_lr_schedule(
                    self.optimizer,
                    warmup_steps=cfg.optimizer.warmup_steps,
                    decay_rate=cfg.optimizer.decay_rate,
                    decay_steps=cfg.optimizer.decay_steps,
                )
            except ValueError as exc:
                raise ConfigError(f"optimizer: {exc}") from None
        self.phase_start = self.step

    def next_phase(self) -> None:
        self.phase += 1
        self.optimizer = self.schedule = None
        self.skip_empty_phases()

    # ---- save and restore
    def state_dict(self, setup) -> dict:
        """The whole training state (networks included) as tensors and plain values."""
        return {
            "format": FORMAT,
            "nets": {k: v.detach().clone() for k, v in setup.nets.state_dict().items()},
            "params": dict(setup.nets.param_floats()),
            "plan": [[n, int(s)] for n, s in self.plan],
            "phase": self.phase,
            "phase_start": self.phase_start,
            "step": self.step,
            "optimizer": self.optimizer.state_dict() if self.optimizer is not None else None,
            "schedule": self.schedule.state_dict() if self.schedule is not None else None,
            "balancer": self.balancer.state_dict(),
            "history": copy.deepcopy(self.history),
            "last_good": {k: v.detach().clone() for k, v in self.last_good.items()},
            "last_good_step": self.last_good_step,
            "l2": dict(self.l2),
            "validation": self.validation,
            "best_step": self.best_step,
            "best_validation": self.best_validation,
            "best_l2": dict(self.best_l2),
            "best_nets": {k: v.detach().clone() for k, v in self.best_nets.items()},
            "wall_time_s": float(self.wall_time_s),
            "stopped": self.stopped,
            "diverged": self.diverged,
            "initial_loss": self.initial_loss,
            "restored": self.restored,
            "time_limited": self.time_limited,
            "final_losses": dict(self.final_losses),
            "final_weights": dict(self.final_weights),
            "rng": rng_state(),
        }

    def load_state_dict(self, setup, state: dict, replan: bool = False) -> None:
        """Restore a :meth:`state_dict` into this state and ``setup``'s networks.

        ``replan``: the run's step count changed (``mpinn resume --steps``); the phases
        already finished and the current one must be the same, only their lengths ahead
        may differ."""
        if state.get("format") != FORMAT:
            raise ValueError(f"not a training state ({state.get('format')!r})")
        saved = [(str(n), int(s)) for n, s in state["plan"]]
        if replan:
            done, here = int(state["phase"]), int(state["step"])
            same = saved[:done] == [tuple(p) for p in self.plan[:done]] and (
                done >= len(saved)
                or (done < len(self.plan) and self.plan[done][0] == saved[done][0])
            )
            if not same or sum(n for _, n in self.plan[: min(done, len(self.plan))]) > here:
                raise ValueError(
                    f"the optimizer phases {self.plan} for the new step count do not "
                    f"continue the saved ones {saved} at step {here}"
                )
        elif saved != [tuple(p) for p in self.plan]:
            raise ValueError(
                f"the saved optimizer phases {saved} differ from this run's {self.plan}"
            )
        setup.nets.load_state_dict(state["nets"])
        self.balancer.load_state_dict(state["balancer"])
        self.phase, self.step = int(state["phase"]), int(state["step"])
        self.optimizer = self.schedule = None
        if state["optimizer"] is not None:
            self.open_phase(setup)
            self.optimizer.load_state_dict(state["optimizer"])
            if self.schedule is not None and state["schedule"] is not None:
                self.schedule.load_state_dict(state["schedule"])
        self.phase_start = int(state["phase_start"])
        self.history = copy.deepcopy(state["history"])
        self.last_good = {k: v.clone() for k, v in state["last_good"].items()}
        self.last_good_step = int(state["last_good_step"])
        self.l2 = dict(state["l2"])
        self.validation, self.best_step = state["validation"], state["best_step"]
        self.best_validation, self.best_l2 = state["best_validation"], dict(state["best_l2"])
        self.best_nets = {k: v.clone() for k, v in state["best_nets"].items()}
        self.wall_time_s = float(state["wall_time_s"])
        self.stopped, self.time_limited = state["stopped"], bool(state["time_limited"])
        self.diverged, self.restored = bool(state["diverged"]), bool(state["restored"])
        self.initial_loss = state["initial_loss"]
        self.final_losses = dict(state["final_losses"])
        self.final_weights = dict(state["final_weights"])
        set_rng_state(state["rng"])


def rng_state() -> dict:
    """Every random generator training may touch: torch's CPU generator and, where there
    is one, each CUDA device's. (Collocation points come from per-step generators of
    their own: a batch is a function of (seed, step).)"""
    state = {"cpu": torch.get_rng_state()}
    if torch.cuda.is_available() and torch.cuda.is_initialized():
        state["cuda"] = torch.cuda.get_rng_state_all()
    return state


def set_rng_state(state: dict) -> None:
    torch.set_rng_state(state["cpu"])
    if "cuda" in state and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(state["cuda"])
