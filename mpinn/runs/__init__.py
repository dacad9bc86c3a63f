"""Stage 7, the run directory: one run end to end (:func:`solve`, :func:`resume`), the
files it writes (:mod:`.directory`, crash-safe through :mod:`.files`) and clean stops on
signals (:mod:`.signals`)."""

from ..model.checkpoint import load_model, save_model, warm_start
from .directory import default_run_dir, write_history, write_inputs, write_run
from .files import RunDirError
from .solve import resume, solve

__all__ = [
    "load_model",
    "save_model",
    "warm_start",
    "default_run_dir",
    "write_history",
    "write_inputs",
    "write_run",
    "RunDirError",
    "resume",
    "solve",
]
