"""Finite-volume reference solver for steady 2D electroosmotic flow (PNP--Stokes).

Nondimensional equations on x in [0, L], y in [-1, 1]::

    -eps^2 lap(phi) = (cp - cm)/2
    div(J+-) = 0,      J+- = Pe u c+- - grad c+- -+ c+- grad phi
    0 = -grad Pi + lap u - 1/(2 eps^2) [grad(cp + cm) + (cp - cm) grad phi]
    div u = 0

Discretisation (see docs/eof_reference.md for the full description):

* tensor grid, uniform in x, tanh-clustered towards the walls y = +-1;
* cell-centred phi, log-concentrations g+- = ln c+-, and Pi; staggered (MAC) velocities,
  u on x-faces, v on y-faces;
* Scharfetter--Gummel fluxes (drift = Pe * face velocity -+ grad phi);
* Stokes body force written as -(1/2eps^2) sum_s c_s grad(mu_s), mu+- = ln c+- +- phi,
  with the logarithmic mean of c on each face, so that the force vanishes *exactly* for a
  discrete Boltzmann distribution (well balanced: no spurious currents in the EDL);
* one coupled Newton iteration for all unknowns; the Jacobian is exact, obtained by
  complex-step differentiation with a 3x3 stencil colouring (54 residual evaluations),
  and solved with SuperLU (``scipy.sparse.linalg.splu``).

Boundary conditions: Dirichlet phi everywhere; zero ion flux at the walls and Dirichlet
c+- = exp(-+psi0) at inlet/outlet; no slip at the walls; at inlet/outlet v = 0 and the
natural (traction) condition -Pi + du/dx = 0, i.e. Pi = 0 together with du/dx = 0.

This module is the solver's public face; the code lives in :mod:`.eof_grid` (parameters,
grid), :mod:`.eof_assembly` (residual, Jacobian), :mod:`.eof_solver` (Newton, continuation),
:mod:`.eof_solution` (results, .npz) and :mod:`.eof_study` (verification studies, the
command line ``python -m mpinn.reference.eof_fv study|channel|mms``).
"""

from __future__ import annotations

import sys

from .eof_assembly import _Layout, _Problem
from .eof_grid import FIELDS, EOFParams, Grid, make_grid
from .eof_solution import Solution, load_npz
from .eof_solver import solve
from .eof_study import main, mms_errors, refinement_study, relative_l2_difference

__all__ = [
    "EOFParams",
    "Grid",
    "Solution",
    "solve",
    "load_npz",
    "make_grid",
    "FIELDS",
    "refinement_study",
    "relative_l2_difference",
    "mms_errors",
    "_Layout",
    "_Problem",
]

if __name__ == "__main__":
    sys.exit(main())
