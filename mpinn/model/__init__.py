"""Stage 5, the model: one network per field (:class:`FieldNets`), their input features
and output transforms; the owner of the problem's parameter values."""

from .checkpoint import load_model, save_model, warm_start
from .field_nets import FieldNets
from .mlp import ACTIVATIONS, MLP, make_activation

__all__ = [
    "ACTIVATIONS",
    "FieldNets",
    "MLP",
    "make_activation",
    "load_model",
    "save_model",
    "warm_start",
]
