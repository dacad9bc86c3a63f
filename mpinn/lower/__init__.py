"""Stage 3, syntax tree → symbolic problem (:class:`mpinn.ir.Problem`), in small passes:

* :mod:`.declarations` — names and what they stand for (params, domain, fields, lets, ...);
* :mod:`.expressions` — one expression → sympy, through :mod:`.builtins` (functions,
  constants) and :mod:`.operators` (d, grad, div, lap, dot, dn);
* :mod:`.regions` — boundary selectors → boundary pieces;
* :mod:`.conditions` — equations and conditions → terms;
* :mod:`.guards` — size and time budgets; :mod:`.checks` — errors and warnings that need
  the whole problem.

:func:`load` and :func:`lower_source` are the entry points.
"""

from __future__ import annotations

from pathlib import Path

from ..ir import Problem
from ..lang import ast
from ..lang.diagnostics import MpError
from ..lang.parser import parse
from . import checks, conditions, data, declarations, quantities
from .expressions import Lowering

__all__ = ["load", "lower_source"]


def load(path: str | Path) -> Problem:
    """Read, parse and lower a .mp file. Raises MpError with the file attached."""
    path = Path(path)
    try:
        source = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise MpError(f"cannot read {path}: {exc}").attach(str(path), "") from None
    return lower_source(source, str(path))


def lower_source(source: str, filename: str = "<input>") -> Problem:
    """Parse and lower source text."""
    try:
        module = parse(source)
        problem = _run(Lowering(filename, source), module)
    except MpError as err:
        raise err.attach(filename, source) from None
    for warning in problem.warnings:
        warning.attach(filename, source)
    return problem


def _run(low: Lowering, module: ast.Module) -> Problem:
    """The passes in order: declarations (all of them first, so equations may use names
    declared below them), then the terms, then the whole-problem checks."""
    deferred = []
    low.statements = tuple(module.statements)
    for st in module.statements:
        if isinstance(st, (ast.PdeStmt, ast.BcStmt, ast.IcStmt, ast.DataStmt, ast.QuantityStmt)):
            deferred.append(st)
        else:
            _guarded(declarations.declare, low, st)
    if not low.space:
        raise MpError(
            "the problem has no domain",
            hint="add e.g. 'domain x in [0, 1]' or 'domain (x, y) in [0, 1] x [0, 1]'",
        )
    passes = {ast.DataStmt: data.data, ast.QuantityStmt: quantities.quantity}
    for st in deferred:
        _guarded(passes.get(type(st), conditions.lower_term), low, st)
    checks.check_periodic(low)
    conditions.hard_outputs(low)
    if not low.fields:
        raise MpError("the problem has no fields", hint="declare them: 'field u, v'")
    if not low.equations:
        raise MpError("the problem has no equations", hint="add e.g. 'pde heat: -lap(u) = 1'")
    checks.check_output_order(low)
    problem = Problem(
        name=low.name,
        title=low.title,
        filename=low.filename,
        space=low.space,
        time=low.time,
        bounds=low.bounds,
        time_bounds=low.time_bounds,
        params=dict(low.params),
        fields=tuple(low.fields),
        funcs=dict(low.funcs),
        exact=dict(low.exact),
        equations=low.equations,
        conditions=low.conditions,
        outputs=dict(low.outputs),
        features=dict(low.features),
        lets=dict(low.lets),
        boundaries=dict(low.boundaries),
        source=low.source,
        let_functions=dict(low.let_functions),
        data=dict(low.data),
        data_terms=list(low.data_terms),
        shape=low.shape,
        shapes=dict(low.shapes),
        periodic=tuple(low.periodic),
        quantities=dict(low.quantities),
    )
    problem.warnings.extend(checks.warnings(low, problem))
    return problem


def _guarded(fn, low, st) -> None:
    """Turn an unexpected failure inside sympy into a diagnostic at the statement."""
    try:
        fn(low, st)
    except MpError:
        raise
    except (
        TypeError,
        ValueError,
        ArithmeticError,
        NotImplementedError,
        AttributeError,
        IndexError,
        KeyError,
        RecursionError,
        OverflowError,
        MemoryError,
    ) as exc:
        raise MpError(
            f"cannot interpret this statement ({type(exc).__name__}: {exc})",
            st.span,
            "simplify the expression; if it is valid, this is a bug in mpinn worth reporting",
        ) from None
