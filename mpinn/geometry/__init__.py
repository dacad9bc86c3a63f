"""Numeric geometry: domains (the :class:`Domain` interface; :class:`Box`, and
:class:`ShapeDomain` for domains built from shapes), boundary pieces, collocation
sampling, clustering, evaluation grids and the :class:`Sampler` of a training run.
Everything here is numbers and torch tensors; the symbolic problem describes the domain,
:func:`domain_of` makes it numeric (the exact geometry of shapes is :mod:`mpinn.shapes`)."""

from ..ir.regions import FACE_NAMES, Face, Plane
from .box import (
    Box,
    all_faces,
    domain_of,
    eval_grid,
    face_by_name,
    sample_faces,
    sample_initial,
    sample_interior,
)
from .csg import ShapeDomain
from .domain import Domain
from .sampler import Sampler, derive_seed
from .sampling import METHODS, Cluster

__all__ = [
    "Box",
    "Cluster",
    "Domain",
    "FACE_NAMES",
    "Face",
    "METHODS",
    "Plane",
    "Sampler",
    "ShapeDomain",
    "derive_seed",
    "all_faces",
    "domain_of",
    "eval_grid",
    "face_by_name",
    "sample_faces",
    "sample_initial",
    "sample_interior",
]
