"""The checks pass: what is well-formed but wrong (a cycle of output transforms, an error)
or suspicious (missing boundary data, unused fields: warnings)."""

from __future__ import annotations

import sympy as sp

from ..ir import Face, box_faces, output_fields, output_order
from ..lang.diagnostics import MpError


def check_output_order(low) -> None:
    """Outputs that use other fields must form no cycle: they are evaluated in order."""
    try:
        output_order(low.fields, {n: output_fields(e) for n, e in low.outputs.items()})
    except ValueError as exc:
        name = str(exc)
        raise MpError(
            f"the output transforms of '{name}' and the fields it uses depend on "
            "each other in a cycle",
            low.output_spans[name],
            "let at most one of them use the other",
        ) from None


def warnings(low, problem) -> list:
    """The warnings of a lowered problem, in a fixed order."""
    out: list = []

    def warn(message, span, hint=None):
        out.append(MpError(message, span, hint, severity="warning"))

    in_bc = {f for t in problem.conditions if t.kind == "bc" for f in t.fields} | set(low.hard)
    if problem.shape is None and len(problem.periodic) == problem.dim:
        in_bc |= set(problem.fields)  # a fully periodic box has no boundary
    in_ic = {f for t in problem.conditions if t.kind == "ic" for f in t.fields}
    in_pde = {f for t in problem.equations for f in t.fields}
    for f in problem.fields:
        span = low.field_spans.get(f)
        if f not in in_pde:
            warn(f"field '{f}' appears in no equation", span)
        if f not in in_bc and not problem.data:  # inverse problems: data may determine it
            warn(
                f"field '{f}' has no boundary data",
                span,
                f"add a condition on '{f}' with 'bc NAME on SELECTOR: ...'",
            )
        if (
            problem.time is not None
            and f not in in_ic
            and any(
                isinstance(d, sp.Derivative)
                and d.expr == problem.funcs[f]
                and problem.time in d.variables
                for t in problem.equations
                for d in t.residual.atoms(sp.Derivative)
            )
        ):
            warn(
                f"field '{f}' has a time derivative but no initial condition",
                span,
                f"add 'ic on {problem.time.name} = ...: {f} = ...'",
            )
    covered = {piece for t in problem.conditions for piece in t.region}
    names = [s.name for s in problem.space]
    covered |= {piece for pieces, _, _ in _hard_items(low) for piece in pieces}
    for face in box_faces(problem.dim) if problem.shape is None else ():
        if face not in covered and face.axis not in problem.periodic:
            end = low.bounds[face.axis][face.side]
            warn(f"no boundary condition on {names[face.axis]} = {end}", low.domain_span)
    if len(problem.equations) != len(problem.fields) and not problem.data:
        warn(
            f"{len(problem.equations)} equations for {len(problem.fields)} fields",
            low.domain_span,
            "usually there is one equation per field",
        )
    return out


def _hard_items(low):
    return [item for items in low.hard.values() for item in items]


def check_periodic(low) -> None:
    """A named boundary declared before ``periodic`` may not hold a periodic face."""
    for name, pieces in low.boundaries.items():
        for piece in pieces:
            if isinstance(piece, Face) and piece.axis in low.periodic:
                axis = low.space[piece.axis].name
                raise MpError(
                    f"boundary '{name}' lies on the periodic direction {axis}",
                    low.names[name][1],
                    f"'periodic {axis}' leaves no boundary at the ends of {axis}",
                )
