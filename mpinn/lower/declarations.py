"""The declarations pass: ``problem``, ``param``, ``domain``, ``time``, ``field``, ``let``,
``exact``, ``boundary``, ``output`` and ``feature`` statements → the names of the
lowering and what each stands for."""

from __future__ import annotations

import sympy as sp

from ..ir import NET, Param, output_fields, to_float
from ..lang import ast
from ..lang.diagnostics import MpError
from . import data, regions, shapes
from .builtins import CONSTANTS, KEYWORDS
from .scope import EXACT_SCOPE, FEATURE_SCOPE, LET_SCOPE, OUTPUT_SCOPE, PARAM_SCOPE


def declare(low, st) -> None:
    """Lower one declaration statement into ``low``."""
    if isinstance(st, ast.ProblemStmt):
        low.name, low.title = st.name.name, st.title
    elif isinstance(st, ast.ParamStmt):
        _param(low, st)
    elif isinstance(st, ast.UnknownStmt):
        data.unknown(low, st)
    elif isinstance(st, ast.DomainStmt):
        _domain(low, st)
    elif isinstance(st, ast.TimeStmt):
        _time(low, st)
    elif isinstance(st, ast.FieldStmt):
        for ident in st.names:
            low.define(ident, "field")
            low.fields.append(ident.name)
            low.field_spans[ident.name] = ident.span
            low.funcs[ident.name] = None  # bound once all coordinates are known
    elif isinstance(st, ast.LetStmt) and st.params:
        low.need_domain(st)
        _let_function(low, st)
    elif isinstance(st, ast.LetStmt):
        low.need_domain(st)
        value = low.expr(st.expr, LET_SCOPE)
        low.define(st.name, "let binding")
        low.lets[st.name.name] = value
    elif isinstance(st, ast.ExactStmt):
        _exact(low, st)
    elif isinstance(st, ast.BoundaryStmt):
        low.need_domain(st)
        pieces = regions.select(low, st.pieces)
        low.define(st.name, "boundary")
        low.boundaries[st.name.name] = pieces
    elif isinstance(st, ast.OutputStmt):
        _output(low, st)
    elif isinstance(st, ast.ShapeStmt):
        shapes.shape_stmt(low, st)
    elif isinstance(st, ast.PeriodicStmt):
        shapes.periodic(low, st)
    elif isinstance(st, ast.FeatureStmt):
        low.need_domain(st)
        value = low.scalar(low.expr(st.expr, FEATURE_SCOPE), st.expr)
        low.define(st.name, "feature")
        low.features[st.name.name] = value
    else:  # pragma: no cover - parser and lowering disagree
        raise AssertionError(type(st))


def _param(low, st: ast.ParamStmt) -> None:
    low.define(st.name, "parameter")
    expr = low.scalar(low.expr(st.expr, PARAM_SCOPE), st.expr)
    unknowns = {n for n, p in low.params.items() if p.unknown}
    unknown = sorted(s.name for s in expr.free_symbols if s.name in unknowns)
    if unknown:
        low.names.pop(st.name.name)
        raise MpError(
            f"parameter '{st.name.name}' depends on the unknown '{unknown[0]}'",
            st.expr.span,
            f"parameters are fixed numbers; write 'let {st.name.name} = ...' instead",
        )
    par = Param(st.name.name, expr, st.span)
    try:
        to_float(expr, low.param_values())
    except (ValueError, TypeError) as exc:
        low.names.pop(st.name.name)
        raise MpError(
            f"parameter '{st.name.name}' has no finite real value: {exc}",
            st.expr.span,
            "check for division by zero or overflow",
        ) from None
    low.params[par.name] = par


def _exact(low, st: ast.ExactStmt) -> None:
    low.need_domain(st)
    name = low.need_field(st.name, "'exact' names a field")
    if name in low.exact:
        raise MpError(f"duplicate exact solution for '{name}'", st.name.span)
    low.exact[name] = low.scalar(low.expr(st.expr, EXACT_SCOPE), st.expr)


def _output(low, st: ast.OutputStmt) -> None:
    low.need_domain(st)
    name = low.need_field(st.name, "'output' transforms a field")
    if name in low.outputs:
        raise MpError(f"duplicate output transform for '{name}'", st.name.span)
    value = low.scalar(low.expr(st.expr, OUTPUT_SCOPE), st.expr)
    if NET not in value.free_symbols:
        raise MpError(
            f"the output transform of '{name}' does not use 'net'",
            st.expr.span,
            "write the field in terms of the raw network output, e.g. 'output c = exp(net)'",
        )
    if value.atoms(sp.Derivative):
        raise MpError(
            f"the output transform of '{name}' uses a derivative",
            st.expr.span,
            "an output may use other fields' values "
            "(e.g. 'output cp = exp(net - phi)'), not their derivatives",
        )
    if name in output_fields(value):
        raise MpError(
            f"the output transform of '{name}' uses '{name}' itself",
            st.expr.span,
            "its own network output is 'net'",
        )
    low.outputs[name] = value
    low.output_spans[name] = st.expr.span


def _let_function(low, st: ast.LetStmt) -> None:
    """`let G(d) = body`: a named formula with arguments, expanded at each call (the
    arguments are lowered first and bound to d while the body is lowered again, so
    derivatives inside the body act on the actual arguments)."""
    seen = set()
    for ident in st.params:
        if ident.name in seen:
            raise MpError(f"argument '{ident.name}' is listed twice", ident.span)
        if ident.name in low.names or ident.name in CONSTANTS or ident.name in KEYWORDS:
            raise MpError(
                f"argument name '{ident.name}' is already taken",
                ident.span,
                "argument names of a let function must be new names",
            )
        seen.add(ident.name)
    probe = {i.name: sp.Dummy(i.name, real=True) for i in st.params}
    low.locals.append(probe)
    try:
        body = low.scalar(low.expr(st.expr, LET_SCOPE), st.expr)  # checked once now
    finally:
        low.locals.pop()
    low.define(st.name, "let function")
    low.let_funcs[st.name.name] = st
    low.let_functions[st.name.name] = (
        tuple(i.name for i in st.params),
        low.text(st.expr.span) or str(body),
    )


def _bound_values(low, pair, span) -> tuple:
    lo = low.scalar(low.expr(pair[0], PARAM_SCOPE), pair[0])
    hi = low.scalar(low.expr(pair[1], PARAM_SCOPE), pair[1])
    vals = low.param_values()
    try:
        a, b = to_float(lo, vals), to_float(hi, vals)
    except ValueError as exc:
        raise MpError(f"interval bound is not a finite number: {exc}", span) from None
    if not a < b:
        raise MpError(
            f"empty interval [{a:g}, {b:g}]",
            span,
            "the lower bound must be smaller than the upper bound",
        )
    return lo, hi


def _domain(low, st: ast.DomainStmt) -> None:
    if low.space:
        raise MpError("duplicate domain", st.span, "a problem has one domain")
    if not 1 <= len(st.coords) <= 3:
        raise MpError(f"domains have 1, 2 or 3 coordinates, not {len(st.coords)}", st.span)
    if st.shape is not None:
        low.shape, low.bounds = shapes.domain_shape(low, st)
        _coordinates(low, st)
        return
    if len(st.intervals) != len(st.coords):
        raise MpError(
            f"{len(st.coords)} coordinates but {len(st.intervals)} intervals",
            st.span,
            "write one interval per coordinate: domain (x, y) in [0, 1] x [0, 2]",
        )
    bounds = tuple(_bound_values(low, iv, st.span) for iv in st.intervals)
    data.check_fixed_geometry(low, [b for pair in bounds for b in pair], st.span)
    low.bounds = bounds
    _coordinates(low, st)


def _coordinates(low, st: ast.DomainStmt) -> None:
    for ident in st.coords:
        low.define(ident, "coordinate")
    low.space = tuple(sp.Symbol(i.name, real=True) for i in st.coords)
    low.domain_span = st.span


def _time(low, st: ast.TimeStmt) -> None:
    if low.time is not None:
        raise MpError("duplicate time interval", st.span)
    low.time_bounds = _bound_values(low, st.interval, st.span)
    data.check_fixed_geometry(low, low.time_bounds, st.span)
    low.define(st.coord, "time coordinate")
    low.time = sp.Symbol(st.coord.name, real=True)
