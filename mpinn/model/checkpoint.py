"""Network checkpoints: ``model.pt`` (tensors and plain values only, so it loads with
``torch.load(..., weights_only=True)``) and warm starts from one."""

from __future__ import annotations

import pickle
from pathlib import Path

import torch

from ..config import ConfigError

MODEL_FORMAT = "mpinn-model-1"


def save_model(path: Path, nets, step: int) -> None:
    """``model.pt``: the networks (:class:`~mpinn.model.FieldNets`) and their parameter
    values at ``step``."""
    state = {
        "format": MODEL_FORMAT,
        "step": int(step),
        "fields": list(nets.fields),
        "params": dict(nets.param_floats()),
        "nets": {k: v.detach().cpu() for k, v in nets.state_dict().items()},
    }
    tmp = path.with_suffix(".tmp")
    torch.save(state, tmp)
    tmp.replace(path)


def load_model(path: str | Path, nets) -> dict:
    """Load a model.pt into FieldNets (safe: weights_only=True)."""
    state = torch.load(path, map_location="cpu", weights_only=True)
    nets.load_state_dict(state["nets"])
    return state


def warm_start(nets, path) -> None:
    """Start from a saved run's networks (model.pt, loaded with weights_only=True). The
    problem's parameters may differ, so a solution at one eps can start the next."""
    try:
        load_model(path, nets)
    except (OSError, RuntimeError, KeyError, TypeError, pickle.UnpicklingError) as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise ConfigError(
            f"init: cannot start from {path}: {first} (a model.pt of a run of "
            "the same problem with the same network shapes)"
        ) from None
