"""What an expression may refer to, by where it stands in the file."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass
class Scope:
    """What an expression may refer to."""

    fields: bool = True
    coords: bool = True
    normal: bool = False
    net: bool = False
    what: str = "an equation"


PARAM_SCOPE = Scope(fields=False, coords=False, what="a parameter value")
EXACT_SCOPE = Scope(fields=False, what="an exact solution")
FEATURE_SCOPE = Scope(fields=False, what="a network input feature")
OUTPUT_SCOPE = Scope(net=True, what="an output transform")
LET_SCOPE = Scope(normal=True, what="a let binding")
PDE_SCOPE = Scope(what="an equation")
BC_SCOPE = Scope(normal=True, what="a boundary condition")
IC_SCOPE = Scope(what="an initial condition")
