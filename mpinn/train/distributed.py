"""Data-parallel helpers for training on ``torch.distributed`` (docs/scaling.md).

Nothing here starts processes or a process group: the command line does that (under
``torchrun`` or ``mpinn solve --nproc N``). When no process group is initialised, every
helper is the single-process identity, so a plain run is untouched.

The split: every rank draws the *global* batch of a step from the run's seed (a batch is a
pure function of (seed, step)) and keeps the rows ``rank::world``. A term's local loss is
the sum of its squared residuals over those rows divided by the global row count, so the
sum over ranks of the local losses — and of their gradients — is exactly the single-process
mean over the global batch. Gradients, logged losses and the balancer's per-term gradients
are therefore all-reduced with a sum.
"""

from __future__ import annotations

import torch
import torch.distributed as dist


def world() -> tuple[int, int]:
    """(rank, world size): (0, 1) without an initialised process group."""
    if dist.is_available() and dist.is_initialized():
        return dist.get_rank(), dist.get_world_size()
    return 0, 1


def is_distributed() -> bool:
    return world()[1] > 1


def barrier() -> None:
    """Wait for every rank (nothing without a process group)."""
    if is_distributed():
        dist.barrier()


def local_rows(tensor: torch.Tensor | None, rank: int, size: int):
    """This rank's rows ``rank::size`` of a global batch (the tensor itself if size 1)."""
    if tensor is None or size == 1:
        return tensor
    return tensor[rank::size]


def all_reduce_sum(tensor: torch.Tensor) -> torch.Tensor:
    """The sum over ranks of ``tensor`` (in place; returned for convenience)."""
    if is_distributed():
        dist.all_reduce(tensor, op=dist.ReduceOp.SUM)
    return tensor


def all_reduce_mean(tensor: torch.Tensor) -> torch.Tensor:
    """The mean over ranks of ``tensor`` (in place)."""
    rank, size = world()
    if size > 1:
        dist.all_reduce(tensor, op=dist.ReduceOp.SUM)
        tensor /= size
    return tensor


def all_reduce_grads(params) -> None:
    """Sum the ``.grad`` of ``params`` over ranks in one flat collective (a parameter
    without a gradient counts as zero and gets one). With the local losses scaled as in
    the module docstring, the sum is the gradient of the global mean loss."""
    if not is_distributed():
        return
    params = [p for p in params if p.requires_grad]
    for p in params:
        if p.grad is None:
            p.grad = torch.zeros_like(p)
    flat = torch.cat([p.grad.reshape(-1) for p in params])
    dist.all_reduce(flat, op=dist.ReduceOp.SUM)
    offset = 0
    for p in params:
        n = p.numel()
        p.grad.copy_(flat[offset : offset + n].view_as(p.grad))
        offset += n


def global_losses(losses: dict) -> dict:
    """Detached per-term losses summed over ranks (one collective); the dict itself when
    not distributed."""
    if not is_distributed() or not losses:
        return losses
    names = list(losses)
    flat = torch.stack([losses[k].detach() for k in names])
    dist.all_reduce(flat, op=dist.ReduceOp.SUM)
    return {k: flat[i] for i, k in enumerate(names)}


def any_rank(flags: list[bool]) -> list[bool]:
    """Each flag OR-ed over ranks (one small collective): decisions every rank must take
    together, such as stopping at this step."""
    if not is_distributed():
        return list(flags)
    t = torch.tensor([1.0 if f else 0.0 for f in flags], dtype=torch.float64)
    if dist.get_backend() == "nccl":  # an nccl-only group reduces CUDA tensors
        t = t.cuda()
    dist.all_reduce(t, op=dist.ReduceOp.SUM)
    return [bool(v > 0) for v in t.tolist()]
