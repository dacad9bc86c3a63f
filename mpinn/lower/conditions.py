"""The terms pass: ``pde``, ``bc`` and ``ic`` statements → :class:`~mpinn.ir.Term`s.

A vector equation becomes one term per component; ``manufactured``/``exact`` on the right
is the left-hand side at the exact solution; each condition is classified (dirichlet,
neumann, robin, general) for display."""

from __future__ import annotations

import math

import sympy as sp

from ..ir import ConditionForm, Term, TermKind, normal_symbols, to_float
from ..lang import ast
from ..lang.diagnostics import MpError
from . import hard, regions
from .builtins import is_vector
from .scope import BC_SCOPE, IC_SCOPE, PARAM_SCOPE, PDE_SCOPE


def lower_term(low, st) -> None:
    """Lower one pde/bc/ic statement into ``low.equations`` / ``low.conditions``."""
    if isinstance(st, ast.PdeStmt):
        name = low.term_name(st.name.name, st.name.span)
        for suffix, lhs, rhs in _sides(low, st.lhs, st.rhs, PDE_SCOPE, st):
            low.equations.append(
                Term(name + suffix, TermKind.PDE, lhs, rhs, fields=low.fields_in(lhs), span=st.span)
            )
    elif isinstance(st, ast.BcStmt):
        name = low.term_name(st.name.name, st.name.span)
        region = regions.select(low, st.pieces)
        _conditions(low, name, TermKind.BC, st.conditions, BC_SCOPE, region)
    elif isinstance(st, ast.IcStmt):
        _check_initial(low, st)
        name = low.term_name(st.name.name if st.name else "ic", st.span)
        _conditions(low, name, TermKind.IC, st.conditions, IC_SCOPE, ())
    else:  # pragma: no cover
        raise AssertionError(type(st))


def hard_outputs(low) -> None:
    """Every field with ``hard`` conditions gets its output transform (:mod:`.hard`)."""
    hard.outputs(low)


def _check_initial(low, st: ast.IcStmt) -> None:
    if low.time is None:
        raise MpError(
            "initial condition without a time interval", st.span, "declare one: 'time t in [0, 1]'"
        )
    if st.time_coord is None:
        return
    if st.time_coord.name != low.time.name:
        raise MpError(
            f"'{st.time_coord.name}' is not the time coordinate",
            st.time_coord.span,
            f"write 'ic on {low.time.name} = ...'",
        )
    value = low.scalar(low.expr(st.time_value, PARAM_SCOPE), st.time_value)
    vals = low.param_values()
    t0 = to_float(low.time_bounds[0], vals)
    if not math.isclose(to_float(value, vals), t0, abs_tol=1e-12):
        raise MpError(
            "initial conditions are posed at the start of the time interval",
            st.time_value.span,
            f"write 'ic on {low.time.name} = {t0:g}'",
        )


def _conditions(low, name, kind, conditions, scope, region) -> None:
    for cond in conditions:
        if cond.hard:
            if kind != TermKind.BC:
                raise MpError(
                    "'hard' is for boundary conditions",
                    cond.span,
                    "initial conditions are imposed as loss terms",
                )
            hard.condition(low, cond, region, _sides(low, cond.lhs, cond.rhs, scope, cond))
    conditions = [c for c in conditions if not c.hard]
    if not conditions:
        return
    items = [
        (cond, *side)
        for cond in conditions
        for side in _sides(low, cond.lhs, cond.rhs, scope, cond)
    ]
    labels = []
    for i, (cond, suffix, lhs, _rhs) in enumerate(items):
        fields = low.fields_in(lhs)
        if not fields:
            raise MpError(
                "this condition involves no field",
                cond.span,
                "a condition constrains fields, e.g. 'u = 0' or 'dn(u) = 0'",
            )
        labels.append(fields[0] + suffix if len(fields) == 1 else str(i + 1))
    if len(items) == 1:
        names = [name]
    elif len(set(labels)) == len(labels):
        names = [f"{name}.{lab}" for lab in labels]
    else:
        names = [f"{name}.{i + 1}" for i in range(len(items))]
    for term_name, (cond, _, lhs, rhs) in zip(names, items):
        fields = low.fields_in(lhs)
        low.conditions.append(
            Term(
                term_name,
                kind,
                lhs,
                rhs,
                region=region,
                form=classify(low, lhs, fields),
                fields=fields,
                span=cond.span,
            )
        )


def _sides(low, lhs_node, rhs_node, scope, st):
    """Lower `lhs = rhs`; a vector equation becomes one term per component."""
    lhs = low.expr(lhs_node, scope)
    if isinstance(rhs_node, ast.Keyword):
        rhs = _at_exact(low, lhs, rhs_node)
    else:
        rhs = low.expr(rhs_node, scope)
    if is_vector(lhs) or is_vector(rhs):
        if not (is_vector(lhs) and is_vector(rhs)) and not (rhs == 0 or lhs == 0):
            raise MpError(
                "one side of this equation is a vector, the other a scalar",
                st.span,
                "compare vectors with vectors, e.g. 'grad(p) = (0, 0)', or take a component J[x]",
            )
        lvec = lhs if is_vector(lhs) else sp.zeros(*rhs.shape)
        rvec = rhs if is_vector(rhs) else sp.zeros(*lhs.shape)
        if lvec.shape != rvec.shape:
            raise MpError(f"vector sizes differ: {lvec.shape[0]} and {rvec.shape[0]}", st.span)
        names = [s.name for s in low.space]
        return [
            (f"_{names[i]}" if len(names) == lvec.shape[0] else f"_{i + 1}", lvec[i], rvec[i])
            for i in range(lvec.shape[0])
        ]
    if scope is not BC_SCOPE and lhs.free_symbols & set(normal_symbols(low.space)):
        raise MpError(
            f"the boundary normal (dn, normal) is used in {scope.what}",
            st.span,
            "normal derivatives belong in boundary conditions",
        )
    return [("", lhs, rhs)]


def _at_exact(low, lhs, keyword: ast.Keyword):
    """The left-hand side evaluated at the exact solution (manufactured data)."""
    fields = low.fields_in(lhs if not is_vector(lhs) else sp.Add(*lhs))
    missing = [f for f in fields if f not in low.exact]
    if missing:
        raise MpError(
            f"'{keyword.word}' needs an exact solution for {', '.join(repr(m) for m in missing)}",
            keyword.span,
            f"add 'exact {missing[0]} = ...' to the problem",
        )
    return _substitute_exact(low, lhs, fields, keyword)


def _substitute_exact(low, lhs, fields, node):
    """Replace each field and each derivative of a field by the exact solution and its
    derivative (computed by the guarded diff, not by an unbounded doit())."""
    if is_vector(lhs):
        return lhs.applyfunc(lambda c: _substitute_exact(low, c, fields, node))
    funcs = {low.func(f): low.exact[f] for f in fields}
    repl = dict(funcs)
    for der in lhs.atoms(sp.Derivative):
        if der.expr in funcs:
            coords = [v for v, n in der.variable_count for _ in range(int(n))]
            repl[der] = low.diff(funcs[der.expr], coords, node)
    value = lhs.xreplace(repl)
    low.guard.check(value, node)
    return value


def classify(low, lhs, fields) -> ConditionForm:
    """Classify a condition for display: dirichlet, neumann, robin or general."""
    if len(fields) != 1:
        return ConditionForm.GENERAL
    u = low.func(fields[0])
    if lhs == u:
        return ConditionForm.DIRICHLET
    firsts = [sp.Derivative(u, c) for c in low.space]
    atoms = [u] + firsts
    if any(d not in firsts for d in lhs.atoms(sp.Derivative)):
        return ConditionForm.GENERAL
    x = sp.symbols(f"_a0:{len(atoms)}")
    plain = lhs.subs(dict(zip(reversed(atoms), reversed(x))))
    if plain.atoms(sp.core.function.AppliedUndef):
        return ConditionForm.GENERAL
    if any(sp.diff(plain, xi, 2) != 0 for xi in x):
        return ConditionForm.GENERAL
    if any(sp.diff(plain, xi, xj) != 0 for xi in x for xj in x if xi != xj):
        return ConditionForm.GENERAL
    has_value = sp.diff(plain, x[0]) != 0
    has_deriv = any(sp.diff(plain, xi) != 0 for xi in x[1:])
    if has_deriv and has_value:
        return ConditionForm.ROBIN
    if has_deriv:
        return ConditionForm.NEUMANN
    return ConditionForm.DIRICHLET if has_value else ConditionForm.GENERAL
