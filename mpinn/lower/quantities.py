"""The quantities pass: ``quantity NAME = integral(EXPR, REGION) [expect VALUE]`` → an
:class:`~mpinn.ir.Quantity`.

``REGION`` is ``domain`` (a volume integral), a single ``x = c`` (the cut of the domain by
that line or plane: a flow rate; ``normal`` there is the unit vector along +x), or boundary
selectors as in a ``bc`` (a boundary integral; ``normal`` is the domain's outward normal).
In a time-dependent problem the integrand is taken at the end time.
"""

from __future__ import annotations

from ..ir import Quantity, Section, to_float
from ..lang import ast
from ..lang.diagnostics import MpError
from . import regions
from .scope import PARAM_SCOPE, Scope

DOMAIN_SCOPE = Scope(what="a domain integral (it has no normal)")
BOUNDARY_SCOPE = Scope(normal=True, what="a boundary integral")
SECTION_SCOPE = Scope(normal=True, what="an integral over a cut")


def quantity(low, st: ast.QuantityStmt) -> None:
    name = st.name.name
    if name in low.term_names:
        raise MpError(
            f"duplicate name '{name}': already the name of an equation or condition",
            st.name.span,
            "give every quantity its own name",
        )
    low.define(st.name, "quantity")
    region, scope = _region(low, st.region)
    integrand = low.scalar(low.expr(st.integrand, scope), st.integrand)
    expect = None
    if st.expect is not None:
        value = low.scalar(low.expr(st.expect, PARAM_SCOPE), st.expect)
        try:
            expect = to_float(value, low.param_values())
        except (ValueError, TypeError) as exc:
            raise MpError(f"expected value is not a finite number: {exc}", st.expect.span) from None
    low.quantities[name] = Quantity(name, integrand, region, expect, st.span)


def _region(low, where):
    if isinstance(where, ast.Keyword):
        return None, DOMAIN_SCOPE
    if len(where) == 1 and where[0].value is not None:
        axis, value, _ = _section(low, where[0])
        return Section(axis, value), SECTION_SCOPE
    return regions.select(low, where), BOUNDARY_SCOPE


def _section(low, piece: ast.Piece) -> tuple:
    """``x = c`` as a cut through the domain; c must lie inside the bounding box."""
    name = piece.name.name
    names = [s.name for s in low.space]
    if name not in names:
        raise MpError(
            f"'{name}' is not a spatial coordinate",
            piece.name.span,
            f"a cut is 'COORDINATE = VALUE' with one of {', '.join(names)}",
        )
    axis = names.index(name)
    value = low.scalar(low.expr(piece.value, PARAM_SCOPE), piece.value)
    vals = low.param_values()
    try:
        v = to_float(value, vals)
    except (ValueError, TypeError) as exc:
        raise MpError(f"cut position is not a finite number: {exc}", piece.value.span) from None
    lo, hi = (to_float(b, vals) for b in low.bounds[axis])
    if not lo <= v <= hi:
        raise MpError(
            f"the cut {name} = {v:g} misses the domain",
            piece.span,
            f"the domain spans {name} in [{lo:g}, {hi:g}]",
        )
    if len(low.space) == 1:
        raise MpError(
            "a cut through a 1D domain is a point",
            piece.span,
            "integrate over 'domain' or a boundary piece instead",
        )
    return axis, value, v
