"""Stage 6, training: :func:`build` a :class:`Setup` from a problem and a configuration,
:func:`train` it from a :class:`TrainState` (everything a resume needs), :mod:`.balance`
(loss balancers) and :mod:`.optim` (optimizers, schedules) as registries, :mod:`.evaluate`
(predictions and errors)."""

from .evaluate import (
    current_l2,
    eval_points,
    grid_fields,
    l2_kinds,
    predict,
    quantities,
    quantity_report,
    relative_l2,
    truth,
)
from .loop import train
from .setup import DTYPES, Group, Setup, build, losses_at, points_for, resolve_faces, resolve_planes
from .state import TrainState, phase_plan

__all__ = [
    "current_l2",
    "eval_points",
    "grid_fields",
    "l2_kinds",
    "predict",
    "quantities",
    "quantity_report",
    "relative_l2",
    "truth",
    "train",
    "DTYPES",
    "Group",
    "Setup",
    "build",
    "losses_at",
    "points_for",
    "resolve_faces",
    "resolve_planes",
    "TrainState",
    "phase_plan",
]
