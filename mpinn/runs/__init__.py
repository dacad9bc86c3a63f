"""Stage 7, the run directory: one solve end to end (:func:`solve`), the files it writes
(:mod:`.directory`) and network checkpoints (:mod:`.checkpoint`)."""

from ..model.checkpoint import load_model, save_model, warm_start
from .directory import default_run_dir, write_history, write_inputs, write_run
from .solve import solve

__all__ = [
    "load_model",
    "save_model",
    "warm_start",
    "default_run_dir",
    "write_history",
    "write_inputs",
    "write_run",
    "solve",
]
