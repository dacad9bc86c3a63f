"""Neural-tangent-kernel diagnostics for one-network-per-field PINNs (``mpinn ntk-check``).

For residual points X and parameters theta = (theta_1, ..., theta_S) (one block per field
network), r stacks the residual of every equation (optionally of every boundary/initial
condition too) at every point; J_s = d r / d theta_s is the residual Jacobian of network s.
Two kernels are reported:

* the NTK ``K = J J^T = sum_s J_s J_s^T``; for linear coupling of strength gamma its top
  eigenvalue grows like gamma^2 (PAPER.md claim 1), and ``2 / lambda_max(K)`` is the largest
  stable step of full-batch gradient descent on ``1/2 ||r||^2``;
* the block-Gauss–Newton-preconditioned NTK ``K_P = sum_s J_s (J_s^T J_s)^+ J_s^T
  = sum_s P_s``, a sum of orthogonal projectors onto range(J_s), so ``lambda_max(K_P) <= S``
  (claim 2), with equality when the ranges share a direction.

Modules: :mod:`.points` (the residual points), :mod:`.jacobian` (J_s, float64),
:mod:`.memory` (what a check will hold, estimated before it starts),
:mod:`.spectra` (ranks, projectors, eigenvalues, the growth fit), :mod:`.check` (the whole
check and its report), :mod:`.table` (the terminal table). The plot is
:mod:`mpinn.viz.ntk`.
"""

from .check import NtkReport, float64_nets, ntk_check
from .jacobian import jacobian_blocks
from .memory import memory_estimate
from .points import PointSet, point_sets
from .spectra import (
    BOUND_RTOL,
    EPS64,
    EQUALITY_ATOL,
    fit_exponent,
    kernel_spectra,
    range_basis,
    summarize,
)
from .table import notes, render

__all__ = [
    "NtkReport",
    "float64_nets",
    "ntk_check",
    "jacobian_blocks",
    "memory_estimate",
    "PointSet",
    "point_sets",
    "BOUND_RTOL",
    "EPS64",
    "EQUALITY_ATOL",
    "fit_exponent",
    "kernel_spectra",
    "range_basis",
    "summarize",
    "notes",
    "render",
]
