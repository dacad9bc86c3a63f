"""Optimizers, two-phase optimizer schedules and learning-rate schedules.

Every optimizer is one entry of :data:`OPTIMIZERS`: a factory
``factory(params, *, lr, **options) -> torch.optim.Optimizer`` whose keyword
parameters *are* the options it accepts.  :func:`make_optimizer` reads them
from the signature, so an option an optimizer does not know is a clear
``ValueError`` rather than a silently ignored keyword (pytorch-optimizer's SOAP
swallows unknown ``**kwargs``).

Options (defaults are tuned for PINNs):

``soap``  (pytorch-optimizer ``SOAP``; Vyas et al. 2024)
    ``betas=(0.95, 0.95)``, ``shampoo_beta=0.95``, ``precondition_frequency=2``
    (eigenbasis refresh every f steps; PINN nets are small, so refreshing often
    is cheap and helps most), ``weight_decay=0.0``, ``eps=1e-8``.  Each 2D
    weight gets its own Shampoo factors; 1D biases fall back to Adam.
``adam``  (``torch.optim.Adam``)
    ``betas=(0.9, 0.999)``, ``weight_decay=0.0``, ``eps=1e-8``.
``lbfgs`` (``torch.optim.LBFGS``; needs a closure, see :func:`needs_closure`)
    ``history_size=50``, ``max_iter=20`` (inner iterations per ``step``),
    ``line_search_fn='strong_wolfe'`` (or ``None``), ``tolerance_grad=1e-9``,
    ``tolerance_change=1e-12`` (tighter than torch's so that L-BFGS does not
    stop early on the small residuals typical at the end of PINN training).
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Iterable
from typing import Any

import torch
from pytorch_optimizer import SOAP

__all__ = [
    "OPTIMIZERS",
    "make_optimizer",
    "needs_closure",
    "parse_schedule",
    "make_lr_schedule",
]

Params = Iterable[torch.Tensor] | Iterable[dict[str, Any]]
OptimizerFactory = Callable[..., torch.optim.Optimizer]


def _betas(betas: Iterable[float]) -> tuple[float, float]:
    """Config files give lists; optimizers want a pair of floats."""
    b = tuple(float(x) for x in betas)
    if len(b) != 2:
        raise ValueError(f"betas must be a pair of floats, got {betas!r}")
    return b  # type: ignore[return-value]


def _soap(
    params: Params,
    *,
    lr: float,
    betas: Iterable[float] = (0.95, 0.95),
    shampoo_beta: float = 0.95,
    precondition_frequency: int = 2,
    weight_decay: float = 0.0,
    eps: float = 1e-8,
) -> torch.optim.Optimizer:
    # merge_dims=False keeps every nn.Linear weight its own 2D preconditioned tensor.
    return SOAP(
        params,
        lr=lr,
        betas=_betas(betas),
        shampoo_beta=float(shampoo_beta),
        precondition_frequency=int(precondition_frequency),
        weight_decay=float(weight_decay),
        eps=float(eps),
        merge_dims=False,
    )


def _adam(
    params: Params,
    *,
    lr: float,
    betas: Iterable[float] = (0.9, 0.999),
    weight_decay: float = 0.0,
    eps: float = 1e-8,
) -> torch.optim.Optimizer:
    return torch.optim.Adam(
        params, lr=lr, betas=_betas(betas), weight_decay=float(weight_decay), eps=float(eps)
    )


def _lbfgs(
    params: Params,
    *,
    lr: float,
    history_size: int = 50,
    max_iter: int = 20,
    line_search_fn: str | None = "strong_wolfe",
    tolerance_grad: float = 1e-9,
    tolerance_change: float = 1e-12,
) -> torch.optim.Optimizer:
    # torch only checks line_search_fn inside step(); fail at construction instead.
    if line_search_fn not in ("strong_wolfe", None):
        raise ValueError(
            f"lbfgs line_search_fn must be 'strong_wolfe' or None, got {line_search_fn!r}"
        )
    return torch.optim.LBFGS(
        params,
        lr=lr,
        history_size=int(history_size),
        max_iter=int(max_iter),
        line_search_fn=line_search_fn,
        tolerance_grad=float(tolerance_grad),
        tolerance_change=float(tolerance_change),
    )


OPTIMIZERS: dict[str, OptimizerFactory] = {
    "soap": _soap,
    "adam": _adam,
    "lbfgs": _lbfgs,
}

# Optimizers whose step() must be given a closure that re-evaluates the loss.
_CLOSURE_OPTIMIZERS: tuple[type, ...] = (torch.optim.LBFGS,)


def _known() -> str:
    return ", ".join(sorted(OPTIMIZERS))


def optimizer_options(name: str) -> dict[str, Any]:
    """The options ``name`` accepts with their defaults (for docs, CLI help and errors)."""
    if name not in OPTIMIZERS:
        raise ValueError(f"unknown optimizer {name!r}; known optimizers: {_known()}")
    sig = inspect.signature(OPTIMIZERS[name])
    return {
        p.name: p.default
        for p in sig.parameters.values()
        if p.kind is inspect.Parameter.KEYWORD_ONLY and p.name != "lr"
    }


def make_optimizer(
    name: str, params: Params, *, lr: float, **options: Any
) -> torch.optim.Optimizer:
    """Build registered optimizer ``name`` over ``params``.

    Raises ``ValueError`` for an unknown name (listing the known ones) and for
    options the optimizer does not accept (naming them and the accepted ones).
    """
    accepted = optimizer_options(name)
    unknown = sorted(set(options) - set(accepted))
    if unknown:
        raise ValueError(
            f"optimizer {name!r} does not accept option(s) {', '.join(unknown)}; "
            f"accepted options: {', '.join(accepted) or '(none)'}"
        )
    return OPTIMIZERS[name](params, lr=float(lr), **options)


def needs_closure(optimizer: torch.optim.Optimizer) -> bool:
    """True if ``optimizer.step`` must be called with a loss-evaluating closure (L-BFGS)."""
    return isinstance(optimizer, _CLOSURE_OPTIMIZERS)


def _valid_schedules() -> list[str]:
    # A second phase only makes sense as L-BFGS polishing after a first-order optimizer.
    singles = list(OPTIMIZERS)
    pairs = [f"{n}+lbfgs" for n in OPTIMIZERS if n != "lbfgs"]
    return singles + pairs


def parse_schedule(name: str) -> list[str]:
    """Split an optimizer schedule into its phases, e.g. ``'soap+lbfgs' -> ['soap', 'lbfgs']``.

    Accepted: any single registered optimizer, or ``<first-order>+lbfgs`` (the
    first optimizer, then L-BFGS for the last part of the run).  Case and
    spaces around ``+`` are ignored; anything else is a ``ValueError``.
    """
    valid = _valid_schedules()
    if isinstance(name, str):
        phases = [part.strip().lower() for part in name.split("+")]
        if "+".join(phases) in valid:
            return phases
    raise ValueError(f"unknown optimizer schedule {name!r}; valid schedules: {', '.join(valid)}")


def make_lr_schedule(
    optimizer: torch.optim.Optimizer,
    *,
    warmup_steps: int = 0,
    decay_rate: float = 1.0,
    decay_steps: int = 1000,
) -> torch.optim.lr_scheduler.LambdaLR:
    """Linear warm-up then exponential decay; call ``scheduler.step()`` once per optimizer step.

    The lr used at step ``s`` (0-based) is ``lr * (s + 1) / warmup_steps`` for
    ``s < warmup_steps`` (so it starts near 0, never at exactly 0, which would
    waste a step) and ``lr * decay_rate ** ((s - warmup_steps) / decay_steps)``
    afterwards, which is continuous at the end of the warm-up.
    """
    if int(warmup_steps) != warmup_steps or warmup_steps < 0:
        raise ValueError(f"warmup_steps must be a non-negative integer, got {warmup_steps!r}")
    if not 0.0 < decay_rate <= 1.0:
        raise ValueError(f"decay_rate must be in (0, 1], got {decay_rate!r}")
    if decay_steps <= 0:
        raise ValueError(f"decay_steps must be positive, got {decay_steps!r}")
    warmup = int(warmup_steps)

    def factor(step: int) -> float:
        if step < warmup:
            return (step + 1) / warmup
        return decay_rate ** ((step - warmup) / decay_steps)

    return torch.optim.lr_scheduler.LambdaLR(optimizer, factor)
