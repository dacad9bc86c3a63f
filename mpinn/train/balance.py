"""Loss balancing: how the PDE-residual, boundary, initial and data terms are weighted.

PINN loss terms differ in gradient magnitude by orders of magnitude, so an
unweighted sum is dominated by whichever term has the largest gradient and the
others are barely fitted.  :class:`GradNormBalancer` rescales the terms so that
their gradients have comparable norms (Wang, Teng & Perdikaris 2021).

Every balancer is one entry of :data:`BALANCERS` with the same interface::

    balancer = make_balancer("gradnorm", ["pde", "bc"], alpha=0.9, every=100)
    losses = {"pde": l_pde, "bc": l_bc}
    balancer.maybe_update(step, losses, params)   # before backward()
    balancer.combine(losses).backward()
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import torch

from .distributed import all_reduce_sum, is_distributed

__all__ = [
    "BALANCERS",
    "GRAD_NORM_FLOOR",
    "Balancer",
    "GradNormBalancer",
    "NoBalancer",
    "make_balancer",
]

#: Gradient norms at or below this (or non-finite) carry no information about a
#: term's scale; see :meth:`GradNormBalancer.maybe_update`.
GRAD_NORM_FLOOR = 1e-12


class Balancer:
    """Common interface: fixed weights of 1 that are never refreshed."""

    def __init__(self, term_names: Sequence[str]) -> None:
        names = list(term_names)
        if not names:
            raise ValueError("a balancer needs at least one loss term")
        if len(set(names)) != len(names):
            raise ValueError(f"loss term names must be unique, got {names}")
        self.term_names: list[str] = names
        self._weights: dict[str, float] = {n: 1.0 for n in names}

    @property
    def weights(self) -> dict[str, float]:
        """Current weights (a copy, so callers cannot change the balancer by accident)."""
        return dict(self._weights)

    def _check_terms(self, losses: Mapping[str, Any]) -> None:
        # A silently missing or extra term would train on the wrong objective.
        if set(losses) != set(self.term_names):
            raise ValueError(
                f"loss terms {sorted(losses)} do not match the balancer's terms "
                f"{sorted(self.term_names)}"
            )

    def maybe_update(
        self, step: int, losses: Mapping[str, torch.Tensor], params: Iterable[torch.Tensor]
    ) -> bool:
        """Never refreshes; returns False."""
        self._check_terms(losses)
        return False

    def combine(self, losses: Mapping[str, torch.Tensor]) -> torch.Tensor:
        """``sum_i weight_i * loss_i`` (weights are constants: gradients flow only through the
        losses)."""
        self._check_terms(losses)
        terms = [self._weights[n] * losses[n] for n in self.term_names]
        return sum(terms[1:], terms[0])

    def state_dict(self) -> dict[str, Any]:
        return {"term_names": list(self.term_names), "weights": dict(self._weights)}

    def load_state_dict(self, state: Mapping[str, Any]) -> None:
        """Restore the weights of :meth:`state_dict` (the terms must be the same)."""
        names = state["term_names"]
        if sorted(names) != sorted(self.term_names):
            raise ValueError(
                f"checkpoint balancer terms {sorted(names)} != {sorted(self.term_names)}"
            )
        self._weights = {n: float(state["weights"][n]) for n in self.term_names}


class NoBalancer(Balancer):
    """All weights 1: the plain sum of the loss terms (the baseline to compare against).

    ``alpha`` and ``every`` are accepted and ignored so that every balancer is
    built the same way by :func:`make_balancer`.
    """

    def __init__(self, term_names: Sequence[str], *, alpha: float = 0.9, every: int = 100) -> None:
        super().__init__(term_names)


class GradNormBalancer(Balancer):
    """Inverse gradient-norm weights (Wang, Teng & Perdikaris 2021).

    Every ``every`` steps (step 0 included), with ``g_i = ||grad_theta L_i||``
    over all trainable parameters::

        lambda_hat_i = (sum_j g_j) / g_i
        lambda_i    <- alpha * lambda_i + (1 - alpha) * lambda_hat_i

    so that ``lambda_i * g_i`` is the same for every term.  A term's first
    update sets ``lambda_i = lambda_hat_i`` directly: smoothing towards the
    arbitrary initial value 1 would keep the badly scaled weights for roughly
    ``1 / (1 - alpha)`` refreshes, i.e. ~1000 steps with the defaults.
    """

    def __init__(self, term_names: Sequence[str], *, alpha: float = 0.9, every: int = 100) -> None:
        super().__init__(term_names)
        if not 0.0 <= alpha < 1.0:
            raise ValueError(f"alpha must be in [0, 1), got {alpha!r}")
        if int(every) != every or every < 1:
            raise ValueError(f"every must be a positive integer, got {every!r}")
        self.alpha = float(alpha)
        self.every = int(every)
        # Informative updates seen per term; 0 means "next update sets the weight directly".
        self._updates: dict[str, int] = {n: 0 for n in self.term_names}

    def grad_norms(
        self, losses: Mapping[str, torch.Tensor], params: Sequence[torch.Tensor]
    ) -> dict[str, float]:
        """``||grad_theta L_i||`` per term; unused parameters and constant terms count as zero
        gradient. Data parallel, the gradients are summed over ranks first (the local
        losses are shares of the global mean), so every rank gets the same weights."""
        norms = {}
        for name in self.term_names:
            if not losses[name].requires_grad:  # e.g. a constant term: autograd.grad would raise
                norms[name] = 0.0
                continue
            grads = torch.autograd.grad(losses[name], params, retain_graph=True, allow_unused=True)
            if is_distributed():  # the norm of the global gradient: sum this rank's share
                flat = torch.cat(
                    [
                        (torch.zeros_like(p) if g is None else g).reshape(-1)
                        for g, p in zip(grads, params)
                    ]
                )
                grads = [all_reduce_sum(flat.detach())]
            # float64 so that squaring huge/tiny gradients neither overflows nor underflows.
            parts = [
                torch.linalg.vector_norm(g.detach(), dtype=torch.float64)
                for g in grads
                if g is not None
            ]
            norms[name] = float(torch.linalg.vector_norm(torch.stack(parts))) if parts else 0.0
        return norms

    def maybe_update(
        self, step: int, losses: Mapping[str, torch.Tensor], params: Iterable[torch.Tensor]
    ) -> bool:
        """Refresh the weights if ``step % every == 0``; returns True if it did.

        Call it before ``combine(losses).backward()``: the graph is retained.
        A term whose gradient norm is ``<= GRAD_NORM_FLOOR`` or non-finite (it
        does not depend on the parameters, is exactly satisfied, or has blown
        up) says nothing about its scale and keeps its current weight; taking
        the formula at face value would give it an infinite (or ~1e12 with a
        floored denominator) weight that the moving average would need hundreds
        of refreshes to forget.  Only informative terms enter ``sum_j g_j``.
        """
        self._check_terms(losses)
        if step % self.every != 0:
            return False
        trainable = [p for p in params if p.requires_grad]
        if not trainable:
            raise ValueError("GradNormBalancer needs at least one trainable parameter")
        norms = self.grad_norms(losses, trainable)
        informative = {n: g for n, g in norms.items() if math.isfinite(g) and g > GRAD_NORM_FLOOR}
        total = sum(informative.values())
        for name, g in informative.items():
            target = total / g
            if self._updates[name] == 0:
                self._weights[name] = target
            else:
                self._weights[name] = self.alpha * self._weights[name] + (1.0 - self.alpha) * target
            self._updates[name] += 1
        return True

    def state_dict(self) -> dict[str, Any]:
        return {**super().state_dict(), "updates": dict(self._updates)}

    def load_state_dict(self, state: Mapping[str, Any]) -> None:
        super().load_state_dict(state)
        self._updates = {n: int(state["updates"][n]) for n in self.term_names}


BALANCERS: dict[str, type[Balancer]] = {
    "gradnorm": GradNormBalancer,
    "none": NoBalancer,
}


def make_balancer(
    name: str, term_names: Sequence[str], *, alpha: float = 0.9, every: int = 100
) -> Balancer:
    """Build registered balancer ``name``; an unknown name is a ``ValueError`` listing the
    known ones."""
    if name not in BALANCERS:
        raise ValueError(
            f"unknown balancer {name!r}; known balancers: {', '.join(sorted(BALANCERS))}"
        )
    return BALANCERS[name](term_names, alpha=alpha, every=every)
