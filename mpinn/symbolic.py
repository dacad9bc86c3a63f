"""Syntax tree → :class:`Problem`, the symbolic (sympy) description of a coupled PDE system.

Every sympy object is built node by node from the tree, through the explicit tables
:data:`FUNCTIONS`, :data:`CONSTANTS` and :data:`OPERATORS`; text from a problem file is
never handed to ``eval``, ``sympify`` or ``parse_expr``. Adding an operator or a function
is one table entry.

Conventions of the IR:
* a field ``u`` is the applied function ``u(x, y, t)`` (all coordinates, time last);
* derivatives are sympy ``Derivative`` atoms of those functions;
* parameters are real symbols, their values are resolved late (``Problem.param_values``)
  so a parameter can be overridden without lowering again;
* the outward normal on a boundary is the symbols ``_n_x, _n_y, ...`` (bound per point by
  the compiled program); ``dn(u)`` is ``grad(u) · n``.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path
from typing import Callable

import sympy as sp

from . import geometry
from .geometry import Face
from .lang import ast
from .lang.diagnostics import MpError, Span, did_you_mean
from .lang.parser import parse

MAX_DERIVATIVE_ORDER = 6
MAX_EXPONENT = 1000
MAX_NODES = 20_000  # tree size of any lowered expression (lets compose, so this is not
#                    bounded by the parser's limits on one statement)
MAX_HEIGHT = 100  # tree height of any lowered expression (sympy recurses on it)
MAX_ARGS = 256  # terms of one sum, factors of one product (sympy's flattening is quadratic)
MAX_SECONDS = 20.0  # wall-clock budget of one lowering: the last line of defence
MAX_NUMBER_BITS = 1100  # exact rationals beyond ~1e330 are not physics
NET = sp.Symbol("net", real=True)  # the raw network output inside `output` transforms

FUNCTIONS: dict[str, Callable] = {
    "sin": sp.sin, "cos": sp.cos, "tan": sp.tan,
    "asin": sp.asin, "acos": sp.acos, "atan": sp.atan,
    "exp": sp.exp, "log": sp.log, "sqrt": sp.sqrt,
    "sinh": sp.sinh, "cosh": sp.cosh, "tanh": sp.tanh,
    "asinh": sp.asinh, "acosh": sp.acosh, "artanh": sp.atanh, "atanh": sp.atanh,
    "abs": sp.Abs, "erf": sp.erf,
}
CONSTANTS = {"pi": sp.pi, "e": sp.E}
BOUNDARY_ALL = ("all", "boundary")
KEYWORDS = {"problem", "param", "domain", "time", "field", "let", "exact", "pde", "boundary",
            "bc", "ic", "output", "feature", "in", "on", "or", "manufactured", "net", "normal"}


@dataclass(frozen=True)
class Param:
    name: str
    expr: sp.Expr  # in terms of earlier parameters
    span: Span | None = None


@dataclass(frozen=True)
class Term:
    """One loss term: an equation (``kind='pde'``) or a condition (``'bc'``/``'ic'``)."""

    name: str
    kind: str
    lhs: sp.Expr
    rhs: sp.Expr
    faces: tuple = ()  # boundary faces a bc covers
    form: str = ""  # dirichlet | neumann | robin | general (conditions only)
    fields: tuple = ()
    span: Span | None = None

    @property
    def residual(self) -> sp.Expr:
        return self.lhs - self.rhs


@dataclass
class Problem:
    name: str
    title: str | None
    filename: str
    space: tuple  # spatial coordinate symbols
    time: sp.Symbol | None
    bounds: tuple  # ((lo, hi), ...) sympy expressions of params
    time_bounds: tuple | None
    params: dict  # name -> Param, in definition order
    fields: tuple  # field names
    funcs: dict  # name -> applied function u(x, ..., t)
    exact: dict  # field -> expression of coordinates and params
    equations: list
    conditions: list
    outputs: dict = field(default_factory=dict)  # field -> expression in NET
    features: dict = field(default_factory=dict)  # name -> expression of coordinates
    lets: dict = field(default_factory=dict)
    boundaries: dict = field(default_factory=dict)  # user boundary name -> faces
    warnings: list = field(default_factory=list)
    source: str = ""
    let_functions: dict = field(default_factory=dict)  # name -> (arg names, body source text)

    @property
    def coords(self) -> tuple:
        return self.space + ((self.time,) if self.time is not None else ())

    @property
    def dim(self) -> int:
        return len(self.space)

    @property
    def normal(self) -> tuple:
        return normal_symbols(self.space)

    @property
    def terms(self) -> list:
        return list(self.equations) + list(self.conditions)

    def param_values(self, overrides: dict | None = None) -> dict:
        """Numeric parameter values, derived parameters recomputed after overrides."""
        overrides = dict(overrides or {})
        unknown = sorted(set(overrides) - set(self.params))
        if unknown:
            hint = did_you_mean(unknown[0], self.params) or \
                f"parameters of {self.name}: {', '.join(self.params) or 'none'}"
            raise KeyError(f"unknown parameter '{unknown[0]}' ({hint})")
        values: dict = {}
        for name, par in self.params.items():
            if name in overrides:
                values[name] = float(overrides[name])
            else:
                values[name] = _to_float(par.expr, values)
        return values

    def box(self, values: dict | None = None) -> geometry.Box:
        """The numeric box at the given parameter values."""
        values = self.param_values() if values is None else values
        lo = tuple(_to_float(a, values) for a, _ in self.bounds)
        hi = tuple(_to_float(b, values) for _, b in self.bounds)
        time = None
        if self.time is not None:
            t0, t1 = (_to_float(v, values) for v in self.time_bounds)
            time = (self.time.name, t0, t1)
        return geometry.Box(tuple(s.name for s in self.space), lo, hi, time)


def output_fields(expr) -> list:
    """Names of the fields whose values an output transform uses (``exp(net - phi)``)."""
    return sorted(f.func.__name__ for f in expr.atoms(sp.core.function.AppliedUndef))


def output_order(fields, uses: dict) -> list:
    """Fields in an order where the fields each output uses (``uses[name]``, names) come
    first; ValueError(name) names a field on a cycle."""
    order, state = [], {}

    def visit(name):
        if state.get(name) == "done":
            return
        if state.get(name) == "active":
            raise ValueError(name)
        state[name] = "active"
        for dep in uses.get(name, ()):
            visit(dep)
        state[name] = "done"
        order.append(name)

    for name in fields:
        visit(name)
    return order


def normal_symbols(space) -> tuple:
    return tuple(sp.Symbol(f"_n_{s.name}", real=True) for s in space)


# Float evaluation of parameter expressions: a walk over the sympy tree with Python floats.
# It cannot hang (no arbitrary precision: exp(exp(exp(1000))) overflows at once instead of
# asking mpmath for a number with 10^434 digits) and it needs no parsing of any text.
_FLOAT_FUNCS: dict = {
    sp.sin: math.sin, sp.cos: math.cos, sp.tan: math.tan,
    sp.asin: math.asin, sp.acos: math.acos, sp.atan: math.atan,
    sp.exp: math.exp, sp.log: math.log,
    sp.sinh: math.sinh, sp.cosh: math.cosh, sp.tanh: math.tanh,
    sp.asinh: math.asinh, sp.acosh: math.acosh, sp.atanh: math.atanh,
    sp.Abs: abs, sp.erf: math.erf,
}


def _float_of(expr, values: dict) -> float:
    if isinstance(expr, sp.Symbol):
        if expr.name not in values:
            raise ValueError(f"'{expr.name}' has no numeric value here")
        return float(values[expr.name])
    if expr.is_infinite or expr is sp.nan:
        raise ZeroDivisionError("infinite or undefined (division by zero, log(0), ...)")
    if expr is sp.I:
        raise ValueError("complex")
    if expr.is_Rational:
        return float(Fraction(int(expr.p), int(expr.q)))  # OverflowError beyond 1e308
    if expr.is_Float or isinstance(expr, sp.NumberSymbol):
        return float(expr)
    if expr.is_Add:
        return math.fsum(_float_of(a, values) for a in expr.args)
    if expr.is_Mul:
        out = 1.0
        for a in expr.args:
            out *= _float_of(a, values)
        return out
    if expr.is_Pow:
        base, exponent = (_float_of(a, values) for a in expr.args)
        out = base ** exponent
        if isinstance(out, complex):
            raise ValueError(f"{base:g}^{exponent:g} is not real")
        return out
    fn = _FLOAT_FUNCS.get(expr.func)
    if fn is not None and len(expr.args) == 1:
        return fn(_float_of(expr.args[0], values))
    raise ValueError(f"{expr} has no numeric value")


def _to_float(expr, values: dict) -> float:
    """The value of a parameter expression (a sympy object) at numeric parameter values."""
    try:
        val = _float_of(expr, values)
    except OverflowError:
        raise ValueError("it overflows (beyond 1e308)") from None
    except ZeroDivisionError as exc:
        raise ValueError(f"it is {exc or 'a division by zero'}") from None
    except RecursionError:
        raise ValueError("it is nested too deeply") from None
    except ValueError as exc:
        raise ValueError(f"it is not a real number: {exc}") from None
    if not math.isfinite(val):
        raise ValueError("it is not finite")
    return val


# --- public entry points -----------------------------------------------------------------
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
        problem = _Lowering(filename, source).run(module)
    except MpError as err:
        raise err.attach(filename, source) from None
    for warning in problem.warnings:
        warning.attach(filename, source)
    return problem


# --- lowering ----------------------------------------------------------------------------
@dataclass
class _Scope:
    """What an expression may refer to."""

    fields: bool = True
    coords: bool = True
    normal: bool = False
    net: bool = False
    what: str = "an equation"


PARAM_SCOPE = _Scope(fields=False, coords=False, what="a parameter value")
EXACT_SCOPE = _Scope(fields=False, what="an exact solution")
FEATURE_SCOPE = _Scope(fields=False, what="a network input feature")
OUTPUT_SCOPE = _Scope(net=True, what="an output transform")
LET_SCOPE = _Scope(normal=True, what="a let binding")
PDE_SCOPE = _Scope(what="an equation")
BC_SCOPE = _Scope(normal=True, what="a boundary condition")
IC_SCOPE = _Scope(what="an initial condition")


def _is_vector(value) -> bool:
    return isinstance(value, sp.MatrixBase)


class _Lowering:
    def __init__(self, filename: str, source: str):
        self.filename = filename
        self.source = source
        self.name = Path(filename).stem if filename != "<input>" else "problem"
        self.title = None
        self.names: dict[str, tuple[str, Span | None]] = {}  # name -> (kind, where defined)
        self.params: dict[str, Param] = {}
        self.space: tuple = ()
        self.time = None
        self.bounds: tuple = ()
        self.time_bounds = None
        self.domain_span = None
        self.fields: list[str] = []
        self.field_spans: dict[str, Span] = {}
        self.funcs: dict = {}
        self.exact: dict = {}
        self.lets: dict = {}
        self.outputs: dict = {}
        self.output_spans: dict = {}
        self.features: dict = {}
        self.boundaries: dict = {}
        self.equations: list[Term] = []
        self.conditions: list[Term] = []
        self.warnings: list[MpError] = []
        self.term_names: dict[str, Span] = {}
        self._sizes: dict = {}  # memo of _measure
        self.locals: list = []  # argument bindings while a let function body is lowered
        self.let_funcs: dict = {}  # name -> LetStmt with params
        self.let_functions: dict = {}  # name -> (argument names, body text), for display
        self.started = time.monotonic()

    # ---- driver
    def run(self, module: ast.Module) -> Problem:
        deferred = []
        for st in module.statements:
            if isinstance(st, (ast.PdeStmt, ast.BcStmt, ast.IcStmt)):
                deferred.append(st)
            else:
                self._guarded(self._declare, st)
        if not self.space:
            raise MpError("the problem has no domain",
                          hint="add e.g. 'domain x in [0, 1]' or 'domain (x, y) in [0, 1] x [0, 1]'")
        for st in deferred:
            self._guarded(self._equation_or_condition, st)
        if not self.fields:
            raise MpError("the problem has no fields", hint="declare them: 'field u, v'")
        if not self.equations:
            raise MpError("the problem has no equations", hint="add e.g. 'pde heat: -lap(u) = 1'")
        self._check_output_order()
        problem = Problem(
            name=self.name, title=self.title, filename=self.filename, space=self.space,
            time=self.time, bounds=self.bounds, time_bounds=self.time_bounds,
            params=dict(self.params), fields=tuple(self.fields), funcs=dict(self.funcs),
            exact=dict(self.exact), equations=self.equations, conditions=self.conditions,
            outputs=dict(self.outputs), features=dict(self.features), lets=dict(self.lets),
            boundaries=dict(self.boundaries), source=self.source,
            let_functions=dict(self.let_functions))
        self._warn(problem)
        return problem

    def _check_output_order(self) -> None:
        """Outputs that use other fields must form no cycle: they are evaluated in order."""
        try:
            output_order(self.fields, {n: output_fields(e) for n, e in self.outputs.items()})
        except ValueError as exc:
            name = str(exc)
            raise MpError(f"the output transforms of '{name}' and the fields it uses depend on "
                          "each other in a cycle", self.output_spans[name],
                          "let at most one of them use the other") from None

    def _warn(self, problem: Problem) -> None:
        """Well-formed but suspicious: missing boundary data, unused fields, ..."""
        def warn(message, span, hint=None):
            problem.warnings.append(MpError(message, span, hint, severity="warning"))

        in_bc = {f for t in problem.conditions if t.kind == "bc" for f in t.fields}
        in_ic = {f for t in problem.conditions if t.kind == "ic" for f in t.fields}
        in_pde = {f for t in problem.equations for f in t.fields}
        for f in problem.fields:
            span = self.field_spans.get(f)
            if f not in in_pde:
                warn(f"field '{f}' appears in no equation", span)
            if f not in in_bc:
                warn(f"field '{f}' has no boundary data", span,
                     f"add a condition on '{f}' with 'bc NAME on SELECTOR: ...'")
            if problem.time is not None and f not in in_ic and any(
                    isinstance(d, sp.Derivative) and d.expr == problem.funcs[f]
                    and problem.time in d.variables
                    for t in problem.equations for d in t.residual.atoms(sp.Derivative)):
                warn(f"field '{f}' has a time derivative but no initial condition", span,
                     f"add 'ic on {problem.time.name} = ...: {f} = ...'")
        covered = {face for t in problem.conditions for face in t.faces}
        box = self._numeric_box()
        names = [s.name for s in problem.space]
        for face in geometry.all_faces(box):
            if face not in covered:
                end = self.bounds[face.axis][face.side]
                warn(f"no boundary condition on {names[face.axis]} = {end}", self.domain_span)
        if len(problem.equations) != len(problem.fields):
            warn(f"{len(problem.equations)} equations for {len(problem.fields)} fields",
                 self.domain_span, "usually there is one equation per field")

    def _guarded(self, fn, st):
        """Turn an unexpected failure inside sympy into a diagnostic at the statement."""
        try:
            fn(st)
        except MpError:
            raise
        except (TypeError, ValueError, ArithmeticError, NotImplementedError, AttributeError,
                IndexError, KeyError, RecursionError, OverflowError, MemoryError) as exc:
            raise MpError(f"cannot interpret this statement ({type(exc).__name__}: {exc})",
                          st.span, "simplify the expression; if it is valid, this is a bug "
                          "in mpinn worth reporting") from None

    # ---- declarations
    def _define(self, ident: ast.Ident, kind: str) -> None:
        name = ident.name
        if name in FUNCTIONS or name in OPERATORS or name in CONSTANTS:
            raise MpError(f"'{name}' is a built-in name and cannot be redefined", ident.span,
                          "choose another name")
        if name in KEYWORDS:
            raise MpError(f"'{name}' is a keyword and cannot be used as a name", ident.span,
                          "choose another name")
        if name in self.names:
            prev_kind, prev = self.names[name]
            where = f" (line {prev.line})" if prev else ""
            raise MpError(f"duplicate name '{name}': already defined as a {prev_kind}{where}",
                          ident.span, "every name may be defined once")
        self.names[name] = (kind, ident.span)

    def _declare(self, st) -> None:
        if isinstance(st, ast.ProblemStmt):
            self.name, self.title = st.name.name, st.title
        elif isinstance(st, ast.ParamStmt):
            self._define(st.name, "parameter")
            expr = self._scalar(self.expr(st.expr, PARAM_SCOPE), st.expr)
            par = Param(st.name.name, expr, st.span)
            try:
                _to_float(expr, {**self._param_values(), })
            except (ValueError, TypeError) as exc:
                self.names.pop(st.name.name)
                raise MpError(f"parameter '{st.name.name}' has no finite real value: {exc}",
                              st.expr.span, "check for division by zero or overflow") from None
            self.params[par.name] = par
        elif isinstance(st, ast.DomainStmt):
            self._domain(st)
        elif isinstance(st, ast.TimeStmt):
            self._time(st)
        elif isinstance(st, ast.FieldStmt):
            for ident in st.names:
                self._define(ident, "field")
                self.fields.append(ident.name)
                self.field_spans[ident.name] = ident.span
                self.funcs[ident.name] = None  # bound once all coordinates are known
        elif isinstance(st, ast.LetStmt) and st.params:
            self._need_domain(st)
            self._let_function(st)
        elif isinstance(st, ast.LetStmt):
            self._need_domain(st)
            value = self.expr(st.expr, LET_SCOPE)
            self._define(st.name, "let binding")
            self.lets[st.name.name] = value
        elif isinstance(st, ast.ExactStmt):
            self._need_domain(st)
            name = st.name.name
            if self.names.get(name, ("",))[0] != "field":
                raise MpError(f"'exact' names a field, and '{name}' is not one", st.name.span,
                              did_you_mean(name, self.fields) or "declare it with 'field'")
            if name in self.exact:
                raise MpError(f"duplicate exact solution for '{name}'", st.name.span)
            self.exact[name] = self._scalar(self.expr(st.expr, EXACT_SCOPE), st.expr)
        elif isinstance(st, ast.BoundaryStmt):
            self._need_domain(st)
            faces = self._faces(st.pieces)
            self._define(st.name, "boundary")
            self.boundaries[st.name.name] = faces
        elif isinstance(st, ast.OutputStmt):
            self._need_domain(st)
            name = st.name.name
            if self.names.get(name, ("",))[0] != "field":
                raise MpError(f"'output' transforms a field, and '{name}' is not one",
                              st.name.span, did_you_mean(name, self.fields))
            if name in self.outputs:
                raise MpError(f"duplicate output transform for '{name}'", st.name.span)
            value = self._scalar(self.expr(st.expr, OUTPUT_SCOPE), st.expr)
            if NET not in value.free_symbols:
                raise MpError(f"the output transform of '{name}' does not use 'net'",
                              st.expr.span, "write the field in terms of the raw network "
                              "output, e.g. 'output c = exp(net)'")
            if value.atoms(sp.Derivative):
                raise MpError(f"the output transform of '{name}' uses a derivative",
                              st.expr.span, "an output may use other fields' values "
                              "(e.g. 'output cp = exp(net - phi)'), not their derivatives")
            if name in output_fields(value):
                raise MpError(f"the output transform of '{name}' uses '{name}' itself",
                              st.expr.span, "its own network output is 'net'")
            self.outputs[name] = value
            self.output_spans[name] = st.expr.span
        elif isinstance(st, ast.FeatureStmt):
            self._need_domain(st)
            value = self._scalar(self.expr(st.expr, FEATURE_SCOPE), st.expr)
            self._define(st.name, "feature")
            self.features[st.name.name] = value
        else:  # pragma: no cover - parser and lowering disagree
            raise AssertionError(type(st))

    def _let_function(self, st: ast.LetStmt) -> None:
        """`let G(d) = body`: a named formula with arguments, expanded at each call (the
        arguments are lowered first and bound to d while the body is lowered again, so
        derivatives inside the body act on the actual arguments)."""
        seen = set()
        for ident in st.params:
            if ident.name in seen:
                raise MpError(f"argument '{ident.name}' is listed twice", ident.span)
            if ident.name in self.names or ident.name in CONSTANTS or \
                    ident.name in KEYWORDS:
                raise MpError(f"argument name '{ident.name}' is already taken", ident.span,
                              "argument names of a let function must be new names")
            seen.add(ident.name)
        probe = {i.name: sp.Dummy(i.name, real=True) for i in st.params}
        self.locals.append(probe)
        try:
            body = self._scalar(self.expr(st.expr, LET_SCOPE), st.expr)  # checked once now
        finally:
            self.locals.pop()
        self._define(st.name, "let function")
        self.let_funcs[st.name.name] = st
        self.let_functions[st.name.name] = (tuple(i.name for i in st.params),
                                            self._text(st.expr.span) or str(body))

    def _text(self, span: Span) -> str:
        """The source text of a span (single- or multi-line), whitespace collapsed."""
        lines = self.source.splitlines()
        if not span or span.end_line is None or not 1 <= span.line <= span.end_line <= len(lines):
            return ""
        if span.line == span.end_line:
            text = lines[span.line - 1][span.column - 1:span.end_column - 1]
        else:
            text = "\n".join([lines[span.line - 1][span.column - 1:]]
                             + lines[span.line:span.end_line - 1]
                             + [lines[span.end_line - 1][:span.end_column - 1]])
        return " ".join(" ".join(l.split("#")[0] for l in text.splitlines()).split())

    def _apply_let_function(self, node: ast.Call, scope):
        st = self.let_funcs[node.func]
        if len(node.args) != len(st.params):
            n = len(st.params)
            raise MpError(f"{node.func}() takes {n} argument{'s' if n != 1 else ''}, "
                          f"got {len(node.args)}", node.span,
                          f"defined on line {st.span.line}: {node.func}("
                          + ", ".join(i.name for i in st.params) + ")")
        bound = {i.name: self._scalar(self.expr(a, scope), a)
                 for i, a in zip(st.params, node.args)}
        self.locals.append(bound)
        try:
            return self.expr(st.expr, scope)
        finally:
            self.locals.pop()

    def _param_values(self) -> dict:
        values = {}
        for name, par in self.params.items():
            values[name] = _to_float(par.expr, values)
        return values

    def _need_domain(self, st) -> None:
        if not self.space:
            raise MpError("this statement needs the domain, which is not declared yet",
                          st.span, "put 'domain ...' (and 'time ...') before it")

    def _bound_values(self, pair, span) -> tuple:
        lo = self._scalar(self.expr(pair[0], PARAM_SCOPE), pair[0])
        hi = self._scalar(self.expr(pair[1], PARAM_SCOPE), pair[1])
        vals = self._param_values()
        try:
            a, b = _to_float(lo, vals), _to_float(hi, vals)
        except ValueError as exc:
            raise MpError(f"interval bound is not a finite number: {exc}", span) from None
        if not a < b:
            raise MpError(f"empty interval [{a:g}, {b:g}]", span,
                          "the lower bound must be smaller than the upper bound")
        return lo, hi

    def _domain(self, st: ast.DomainStmt) -> None:
        if self.space:
            raise MpError("duplicate domain", st.span, "a problem has one domain")
        if not 1 <= len(st.coords) <= 3:
            raise MpError(f"domains have 1, 2 or 3 coordinates, not {len(st.coords)}", st.span)
        if len(st.intervals) != len(st.coords):
            raise MpError(f"{len(st.coords)} coordinates but {len(st.intervals)} intervals",
                          st.span, "write one interval per coordinate: "
                          "domain (x, y) in [0, 1] x [0, 2]")
        bounds = tuple(self._bound_values(iv, st.span) for iv in st.intervals)
        for ident in st.coords:
            self._define(ident, "coordinate")
        self.space = tuple(sp.Symbol(i.name, real=True) for i in st.coords)
        self.bounds = bounds
        self.domain_span = st.span

    def _time(self, st: ast.TimeStmt) -> None:
        if self.time is not None:
            raise MpError("duplicate time interval", st.span)
        self.time_bounds = self._bound_values(st.interval, st.span)
        self._define(st.coord, "time coordinate")
        self.time = sp.Symbol(st.coord.name, real=True)

    def _coords(self) -> tuple:
        return self.space + ((self.time,) if self.time is not None else ())

    def _func(self, name: str):
        if self.funcs.get(name) is None:
            self.funcs[name] = sp.Function(name)(*self._coords())
        return self.funcs[name]

    # ---- boundary selectors
    def _numeric_box(self):
        return geometry.Box(tuple(s.name for s in self.space),
                            *zip(*[(0.0, 1.0)] * len(self.space)))

    def _faces(self, pieces) -> tuple:
        faces: list[Face] = []
        for piece in pieces:
            for face in self._piece_faces(piece):
                if face not in faces:
                    faces.append(face)
        return tuple(faces)

    def _piece_faces(self, piece: ast.Piece) -> tuple:
        name = piece.name.name
        if piece.value is None:
            if name in BOUNDARY_ALL:
                return geometry.all_faces(self._numeric_box())
            if name in self.boundaries:
                return self.boundaries[name]
            if name in geometry.FACE_NAMES:
                try:
                    return (geometry.face_by_name(self._numeric_box(), name),)
                except ValueError as exc:
                    raise MpError(str(exc), piece.span) from None
            known = list(self.boundaries) + [n for n, (a, _) in geometry.FACE_NAMES.items()
                                             if a < len(self.space)] + ["all"]
            raise MpError(f"unknown boundary '{name}'", piece.span,
                          did_you_mean(name, known) or f"known boundaries: {', '.join(known)}")
        coord_names = [s.name for s in self.space]
        if self.time is not None and name == self.time.name:
            raise MpError(f"'{name} = ...' is the time axis, not a boundary", piece.span,
                          "initial conditions go in an 'ic' statement")
        if name not in coord_names:
            raise MpError(f"'{name}' is not a spatial coordinate", piece.name.span,
                          did_you_mean(name, coord_names) or
                          f"coordinates: {', '.join(coord_names)}")
        axis = coord_names.index(name)
        value = self._scalar(self.expr(piece.value, PARAM_SCOPE), piece.value)
        vals = self._param_values()
        try:
            v = _to_float(value, vals)
        except ValueError as exc:
            raise MpError(f"selector value is not a finite number: {exc}",
                          piece.value.span) from None
        lo, hi = (_to_float(b, vals) for b in self.bounds[axis])
        for side, (sym_b, num_b) in enumerate(zip(self.bounds[axis], (lo, hi))):
            if value == sym_b or math.isclose(v, num_b, rel_tol=1e-12, abs_tol=1e-12):
                return (Face(axis, side),)
        raise MpError(f"selector '{name} = {v:g}' matches no boundary", piece.span,
                      f"the boundary pieces on this axis are {name} = {lo:g} and {name} = {hi:g}")

    # ---- equations and conditions
    def _term_name(self, ident_name: str, span: Span) -> str:
        if ident_name in self.term_names:
            prev = self.term_names[ident_name]
            raise MpError(f"duplicate name '{ident_name}' (first used on line {prev.line})", span,
                          "give every equation and condition its own name")
        if ident_name in self.names:
            kind, prev = self.names[ident_name]
            raise MpError(f"duplicate name '{ident_name}': already defined as a {kind}", span,
                          "give every equation and condition its own name")
        self.term_names[ident_name] = span
        return ident_name

    def _equation_or_condition(self, st) -> None:
        if isinstance(st, ast.PdeStmt):
            name = self._term_name(st.name.name, st.name.span)
            for suffix, lhs, rhs in self._sides(st.lhs, st.rhs, PDE_SCOPE, st):
                self.equations.append(Term(name + suffix, "pde", lhs, rhs,
                                           fields=self._fields_in(lhs), span=st.span))
        elif isinstance(st, ast.BcStmt):
            name = self._term_name(st.name.name, st.name.span)
            faces = self._faces(st.pieces)
            self._conditions(name, "bc", st.conditions, BC_SCOPE, faces, st)
        elif isinstance(st, ast.IcStmt):
            if self.time is None:
                raise MpError("initial condition without a time interval", st.span,
                              "declare one: 'time t in [0, 1]'")
            if st.time_coord is not None:
                if st.time_coord.name != self.time.name:
                    raise MpError(f"'{st.time_coord.name}' is not the time coordinate",
                                  st.time_coord.span, f"write 'ic on {self.time.name} = ...'")
                value = self._scalar(self.expr(st.time_value, PARAM_SCOPE), st.time_value)
                vals = self._param_values()
                t0 = _to_float(self.time_bounds[0], vals)
                if not math.isclose(_to_float(value, vals), t0, abs_tol=1e-12):
                    raise MpError("initial conditions are posed at the start of the time "
                                  "interval", st.time_value.span,
                                  f"write 'ic on {self.time.name} = {t0:g}'")
            name = self._term_name(st.name.name if st.name else "ic", st.span)
            self._conditions(name, "ic", st.conditions, IC_SCOPE, (), st)
        else:  # pragma: no cover
            raise AssertionError(type(st))

    def _conditions(self, name, kind, conditions, scope, faces, st) -> None:
        items = [(cond, *side) for cond in conditions
                 for side in self._sides(cond.lhs, cond.rhs, scope, cond)]
        labels = []
        for i, (cond, suffix, lhs, rhs) in enumerate(items):
            fields = self._fields_in(lhs)
            if not fields:
                raise MpError("this condition involves no field", cond.span,
                              "a condition constrains fields, e.g. 'u = 0' or 'dn(u) = 0'")
            labels.append(fields[0] + suffix if len(fields) == 1 else str(i + 1))
        if len(items) == 1:
            names = [name]
        elif len(set(labels)) == len(labels):
            names = [f"{name}.{lab}" for lab in labels]
        else:
            names = [f"{name}.{i + 1}" for i in range(len(items))]
        for term_name, (cond, _, lhs, rhs) in zip(names, items):
            fields = self._fields_in(lhs)
            self.conditions.append(Term(term_name, kind, lhs, rhs, faces=faces,
                                        form=self._form(lhs, fields), fields=fields,
                                        span=cond.span))

    def _sides(self, lhs_node, rhs_node, scope, st):
        """Lower `lhs = rhs`; a vector equation becomes one term per component."""
        lhs = self.expr(lhs_node, scope)
        if isinstance(rhs_node, ast.Keyword):
            rhs = self._at_exact(lhs, lhs_node, rhs_node)
        else:
            rhs = self.expr(rhs_node, scope)
        if _is_vector(lhs) or _is_vector(rhs):
            if not (_is_vector(lhs) and _is_vector(rhs)) and not (rhs == 0 or lhs == 0):
                raise MpError("one side of this equation is a vector, the other a scalar",
                              st.span, "compare vectors with vectors, e.g. "
                              "'grad(p) = (0, 0)', or take a component J[x]")
            lvec = lhs if _is_vector(lhs) else sp.zeros(*rhs.shape)
            rvec = rhs if _is_vector(rhs) else sp.zeros(*lhs.shape)
            if lvec.shape != rvec.shape:
                raise MpError(f"vector sizes differ: {lvec.shape[0]} and {rvec.shape[0]}",
                              st.span)
            names = [s.name for s in self.space]
            return [(f"_{names[i]}" if len(names) == lvec.shape[0] else f"_{i + 1}",
                     lvec[i], rvec[i]) for i in range(lvec.shape[0])]
        if scope is not BC_SCOPE and lhs.free_symbols & set(normal_symbols(self.space)):
            raise MpError(f"the boundary normal (dn, normal) is used in {scope.what}", st.span,
                          "normal derivatives belong in boundary conditions")
        return [("", lhs, rhs)]

    def _at_exact(self, lhs, lhs_node, keyword: ast.Keyword):
        """The left-hand side evaluated at the exact solution (manufactured data)."""
        fields = self._fields_in(lhs if not _is_vector(lhs) else sp.Add(*lhs))
        missing = [f for f in fields if f not in self.exact]
        if missing:
            raise MpError(f"'{keyword.word}' needs an exact solution for "
                          f"{', '.join(repr(m) for m in missing)}", keyword.span,
                          f"add 'exact {missing[0]} = ...' to the problem")
        return self._substitute_exact(lhs, fields, keyword)

    def _substitute_exact(self, lhs, fields, node):
        """Replace each field and each derivative of a field by the exact solution and its
        derivative (computed by the guarded _diff, not by an unbounded doit())."""
        if _is_vector(lhs):
            return lhs.applyfunc(lambda c: self._substitute_exact(c, fields, node))
        funcs = {self._func(f): self.exact[f] for f in fields}
        repl = dict(funcs)
        for der in lhs.atoms(sp.Derivative):
            if der.expr in funcs:
                coords = [v for v, n in der.variable_count for _ in range(int(n))]
                repl[der] = self._diff(funcs[der.expr], coords, node)
        value = lhs.xreplace(repl)
        self._check_size(value, node)
        return value

    def _fields_in(self, expr) -> tuple:
        present = {f.func.__name__ for f in expr.atoms(sp.core.function.AppliedUndef)}
        return tuple(f for f in self.fields if f in present)

    def _form(self, lhs, fields) -> str:
        """Classify a condition for display: dirichlet, neumann, robin or general."""
        if len(fields) != 1:
            return "general"
        u = self._func(fields[0])
        if lhs == u:
            return "dirichlet"
        firsts = [sp.Derivative(u, c) for c in self.space]
        atoms = [u] + firsts
        if any(d not in firsts for d in lhs.atoms(sp.Derivative)):
            return "general"
        x = sp.symbols("_a0:%d" % len(atoms))
        plain = lhs.subs(dict(zip(reversed(atoms), reversed(x))))
        if plain.atoms(sp.core.function.AppliedUndef):
            return "general"
        if any(sp.diff(plain, xi, 2) != 0 for xi in x):
            return "general"
        if any(sp.diff(plain, xi, xj) != 0 for xi in x for xj in x if xi != xj):
            return "general"
        has_value = sp.diff(plain, x[0]) != 0
        has_deriv = any(sp.diff(plain, xi) != 0 for xi in x[1:])
        if has_deriv and has_value:
            return "robin"
        if has_deriv:
            return "neumann"
        return "dirichlet" if has_value else "general"

    # ---- expressions
    def _scalar(self, value, node):
        if _is_vector(value):
            raise MpError("expected a scalar here, got a vector", node.span,
                          "take a component (J[x]), a divergence div(J) or a dot product")
        return value

    def expr(self, node, scope: _Scope):
        """Lower one expression node; every intermediate result is size-checked, so a file
        cannot make sympy build (or differentiate) an astronomically large expression."""
        value = self._expr(node, scope)
        self._check_size(value, node)
        return value

    def _measure(self, expr) -> tuple:
        """(tree size, tree height) of a sympy expression, memoised over shared subtrees:
        linear in the number of distinct subexpressions even when the tree is exponential."""
        memo = self._sizes
        hit = memo.get(expr)
        if hit is not None:
            return hit
        size, height = 1, 1
        for arg in expr.args:
            s_, h_ = self._measure(arg)
            size += s_
            height = max(height, h_ + 1)
        memo[expr] = (size, height)
        return size, height

    def _check_size(self, value, node) -> None:
        items = list(value) if _is_vector(value) else [value]
        if time.monotonic() - self.started > MAX_SECONDS:
            raise MpError(f"this file takes too long to lower (more than {MAX_SECONDS:g} s)",
                          node.span, "simplify the formulas")
        for item in items:
            if len(item.args) > MAX_ARGS:
                raise MpError(f"a sum or product of {len(item.args)} terms (the limit is "
                              f"{MAX_ARGS})", node.span, "simplify the formulas")
            if item.is_Rational and max(abs(int(item.p)).bit_length(),
                                        int(item.q).bit_length()) > MAX_NUMBER_BITS:
                raise MpError("number too large (beyond 1e330)", node.span,
                              "rescale the problem")
            size, height = self._measure(item)
            if size > MAX_NODES:
                raise MpError(f"expression too large ({size} terms and factors, the limit is "
                              f"{MAX_NODES})", node.span,
                              "a 'let' that uses another let twice doubles in size; "
                              "simplify the formulas")
            if height > MAX_HEIGHT:
                raise MpError(f"expression nested {height} levels deep (the limit is "
                              f"{MAX_HEIGHT})", node.span,
                              "chains of 'let' bindings nest; simplify the formulas")

    def _diff_size(self, expr, memo) -> int:
        """An upper estimate of the tree size of d(expr)/dx (product and chain rules)."""
        hit = memo.get(expr)
        if hit is not None:
            return hit
        if not expr.args or isinstance(expr, (sp.Derivative, sp.core.function.AppliedUndef)):
            out = 2
        elif expr.is_Add:
            out = 1 + sum(self._diff_size(a, memo) for a in expr.args)
        elif expr.is_Mul:
            size = self._measure(expr)[0]
            out = 1 + sum(size - self._measure(a)[0] + self._diff_size(a, memo) + 1
                          for a in expr.args)
        else:  # Pow and functions: f'(args) * d(args)
            out = 2 * self._measure(expr)[0] + sum(self._diff_size(a, memo) for a in expr.args)
        memo[expr] = out
        return out

    def _expr(self, node, scope: _Scope):
        if isinstance(node, ast.Num):
            return sp.Rational(node.value.numerator, node.value.denominator)
        if isinstance(node, ast.Name):
            return self._name(node, scope)
        if isinstance(node, ast.Unary):
            val = self.expr(node.operand, scope)
            return -val if node.op == "-" else val
        if isinstance(node, ast.Binary):
            return self._binary(node, scope)
        if isinstance(node, ast.Vector):
            items = [self._scalar(self.expr(i, scope), i) for i in node.items]
            return sp.Matrix(items)
        if isinstance(node, ast.Component):
            base = self.expr(node.base, scope)
            if not _is_vector(base):
                raise MpError("component of a scalar", node.span,
                              "components J[x] are taken of vectors such as grad(c)")
            names = [s.name for s in self.space]
            if node.name not in names:
                raise MpError(f"'{node.name}' is not a spatial coordinate", node.span,
                              did_you_mean(node.name, names) or f"coordinates: {', '.join(names)}")
            idx = names.index(node.name)
            if idx >= base.shape[0]:
                raise MpError(f"the vector has {base.shape[0]} components", node.span)
            return base[idx]
        if isinstance(node, ast.Call):
            return self._call(node, scope)
        if isinstance(node, ast.Keyword):
            raise MpError(f"'{node.word}' may only stand alone on the right-hand side",
                          node.span)
        raise AssertionError(type(node))  # pragma: no cover

    def _chain(self, node: ast.Binary, ops: str) -> tuple:
        """A left-recursive chain a + b - c + ... as (first operand, [(op, operand, node)])."""
        links = []
        while isinstance(node, ast.Binary) and node.op in ops:
            links.append((node.op, node.right, node))
            node = node.left
        return node, links[::-1]

    def _sum_chain(self, node: ast.Binary, scope):
        """A whole chain of + and - in one sympy Add (building it pairwise is quadratic)."""
        first, links = self._chain(node, "+-")
        a = self.expr(first, scope)
        terms = [a]
        for op, right, link in links:
            b = self.expr(right, scope)
            if _is_vector(a) != _is_vector(b):
                raise MpError(f"cannot {'add' if op == '+' else 'subtract'} a vector and "
                              "a scalar", link.span, "both sides of + and - must be vectors "
                              "of the same size, or both scalars")
            if _is_vector(a) and a.shape != b.shape:
                raise MpError(f"vector sizes differ: {a.shape[0]} and {b.shape[0]}", link.span)
            terms.append(b if op == "+" else -b)
        if _is_vector(a):
            return sp.Matrix([sp.Add(*[t[i] for t in terms]) for i in range(a.shape[0])])
        return sp.Add(*terms)

    def _product_chain(self, node: ast.Binary, scope):
        """A whole chain of * in one sympy Mul; at most one factor may be a vector."""
        first, links = self._chain(node, "*")
        factors = [self.expr(first, scope)]
        vector = factors[0] if _is_vector(factors[0]) else None
        scalars = [] if vector is not None else [factors[0]]
        for _, right, link in links:
            b = self.expr(right, scope)
            if _is_vector(b):
                if vector is not None:
                    raise MpError("product of two vectors", link.span,
                                  "use dot(a, b) for the scalar product")
                vector = b
            else:
                scalars.append(b)
        scalar = sp.Mul(*scalars)
        return vector * scalar if vector is not None else scalar

    def _binary(self, node: ast.Binary, scope):
        if node.op in "+-":
            return self._sum_chain(node, scope)
        if node.op == "*":
            return self._product_chain(node, scope)
        a = self.expr(node.left, scope)
        b = self.expr(node.right, scope)
        va, vb = _is_vector(a), _is_vector(b)
        if node.op in "+-":
            if va != vb:
                raise MpError(f"cannot {'add' if node.op == '+' else 'subtract'} a vector and "
                              "a scalar", node.span, "both sides of + and - must be vectors "
                              "of the same size, or both scalars")
            if va and a.shape != b.shape:
                raise MpError(f"vector sizes differ: {a.shape[0]} and {b.shape[0]}", node.span)
            return a + b if node.op == "+" else a - b
        if node.op == "*":
            if va and vb:
                raise MpError("product of two vectors", node.span,
                              "use dot(a, b) for the scalar product")
            return a * b
        if node.op == "/":
            if vb:
                raise MpError("division by a vector", node.span)
            if b == 0:
                raise MpError("division by zero", node.right.span)
            return a / b
        # power
        if va or vb:
            raise MpError("powers of vectors are not defined", node.span,
                          "use dot(a, a) for a squared length")
        self._check_power(a, b, node)
        return self._constant_ok(a ** b, node)

    def _constant_ok(self, value, node):
        """A constant (no symbols) must be a finite real number that fits a float: sympy
        would otherwise carry exp(exp(exp(1000))) along and choke on it later (printing,
        code generation), and a complex or infinite constant is never intended."""
        if value.is_Rational or value.free_symbols:
            return value
        try:
            _to_float(value, {})
        except ValueError as exc:
            raise MpError(f"this constant has no finite real value: {exc}", node.span,
                          "check the arguments (overflow beyond 1e308, division by zero, "
                          "log or sqrt of a negative number)") from None
        return value

    def _check_power(self, base, exponent, node) -> None:
        if exponent.is_Number:
            if abs(float(exponent)) > MAX_EXPONENT:
                raise MpError(f"exponent {float(exponent):.3g} is too large", node.right.span,
                              f"exponents are limited to {MAX_EXPONENT} in magnitude")
            if base.is_Number and base != 0:
                size = abs(math.log10(abs(float(sp.N(base, 20))) or 1e-300)) * abs(float(exponent))
                if size > 300:
                    raise MpError("number too large (beyond 1e300)", node.span,
                                  "rescale the problem")
            if base == 0 and exponent.is_negative:
                raise MpError("division by zero (0 to a negative power)", node.span)

    def _name(self, node: ast.Name, scope: _Scope):
        name = node.id
        if name in CONSTANTS:
            return CONSTANTS[name]
        if name == "net" and scope.net:
            return NET
        if name == "normal":
            if not scope.normal:
                raise MpError(f"the boundary normal is not available in {scope.what}",
                              node.span, "use it in boundary conditions")
            return sp.Matrix(normal_symbols(self.space))
        for frame in reversed(self.locals):
            if name in frame:
                return frame[name]
        if name in self.let_funcs:
            raise MpError(f"'{name}' is a let function and needs arguments", node.span,
                          f"write {name}(...)")
        if name not in self.names:
            if name in FUNCTIONS or name in OPERATORS or self._shorthand(name):
                raise MpError(f"'{name}' is a function and needs arguments", node.span,
                              f"write {name}(...)")
            candidates = list(self.names) + list(CONSTANTS)
            raise MpError(f"unknown name '{name}'", node.span,
                          did_you_mean(name, candidates) or "declare it with param, field or let")
        kind, _ = self.names[name]
        if kind == "parameter":
            return sp.Symbol(name, real=True)
        if kind in ("coordinate", "time coordinate"):
            if not scope.coords:
                raise MpError(f"coordinate '{name}' cannot appear in {scope.what}", node.span)
            return sp.Symbol(name, real=True)
        if kind == "field":
            if not scope.fields:
                raise MpError(f"field '{name}' cannot appear in {scope.what}", node.span,
                              "exact solutions, features and outputs are given functions "
                              "of the coordinates")
            return self._func(name)
        if kind == "let binding":
            value = self.lets[name]
            if not scope.fields and self._has_field(value):
                raise MpError(f"'{name}' involves fields and cannot appear in {scope.what}",
                              node.span)
            return value
        if kind == "feature":
            return self.features[name]
        raise MpError(f"a {kind} ('{name}') cannot be used in an expression", node.span)

    @staticmethod
    def _has_field(value) -> bool:
        items = value if _is_vector(value) else [value]
        return any(v.atoms(sp.core.function.AppliedUndef) for v in items)

    def _shorthand(self, name: str):
        """`dxx` → (x, x) when every letter after d is a one-letter coordinate."""
        if len(name) < 2 or name[0] != "d" or not name[1:].isalpha():
            return None
        return tuple(name[1:])

    def _call(self, node: ast.Call, scope: _Scope):
        name = node.func
        if name in self.let_funcs:
            return self._apply_let_function(node, scope)
        if name in self.names:
            raise MpError(f"'{name}' is a {self.names[name][0]}, not a function", node.span,
                          "only functions and operators are called with (...); "
                          "write a product as a*(b)")
        if name in FUNCTIONS:
            if len(node.args) != 1:
                raise MpError(f"{name}() takes 1 argument, got {len(node.args)}", node.span)
            arg = self._scalar(self.expr(node.args[0], scope), node.args[0])
            return self._constant_ok(FUNCTIONS[name](arg), node)
        if name in OPERATORS:
            op = OPERATORS[name]
            n = len(node.args)
            if n < op.min_args or (op.max_args is not None and n > op.max_args):
                want = str(op.min_args) if op.max_args == op.min_args else \
                    f"{op.min_args} or more" if op.max_args is None else \
                    f"{op.min_args} to {op.max_args}"
                raise MpError(f"{name}() takes {want} argument{'s' if want != '1' else ''}, "
                              f"got {n}", node.span, op.usage)
            return op.apply(self, node, scope)
        letters = self._shorthand(name)
        if letters is not None:
            if len(node.args) != 1:
                raise MpError(f"{name}() takes 1 argument, got {len(node.args)}", node.span,
                              f"write {name}(u)")
            coords = self._derivative_coords(letters, node)
            return self._diff(self.expr(node.args[0], scope), coords, node)
        candidates = list(FUNCTIONS) + list(OPERATORS)
        raise MpError(f"unknown function '{name}'", node.span,
                      did_you_mean(name, candidates) or
                      "functions: " + ", ".join(sorted(FUNCTIONS)))

    def _derivative_coords(self, letters, node) -> list:
        by_name = {c.name: c for c in self._coords()}
        out = []
        for letter in letters:
            if letter in by_name:
                out.append(by_name[letter])
            elif self.time is None and letter == "t":
                raise MpError("time derivative, but the problem has no time interval", node.span,
                              "declare one: 'time t in [0, 1]'")
            else:
                raise MpError(f"derivative with respect to '{letter}', which is not a "
                              "coordinate", node.span,
                              "coordinates: " + ", ".join(by_name) if by_name else None)
        return out

    def _diff(self, value, coords, node):
        if len(coords) > MAX_DERIVATIVE_ORDER:
            raise MpError(f"derivative of order {len(coords)} is too high", node.span,
                          f"orders up to {MAX_DERIVATIVE_ORDER} are supported")
        if _is_vector(value):
            return value.applyfunc(lambda c: self._diff(c, coords, node))
        for coord in coords:  # one order at a time, estimating the size before each step
            if self._diff_size(value, {}) > 4 * MAX_NODES:
                raise MpError("this derivative would be too large an expression", node.span,
                              "differentiate a simpler expression (derivatives of long "
                              "products and deep compositions grow fast)")
            value = sp.diff(value, coord)
            self._check_size(value, node)
        return value


@dataclass(frozen=True)
class Operator:
    """A differential/vector operator of the language: one entry of :data:`OPERATORS`."""

    min_args: int
    max_args: int | None
    usage: str
    apply: Callable  # (lowering, call node, scope) -> sympy value


def _op_d(low: _Lowering, node, scope):
    coords = []
    for arg in node.args[1:]:
        if not isinstance(arg, ast.Name):
            raise MpError("d(u, x, ...) takes coordinate names after the expression", arg.span,
                          "e.g. d(u, x, y) for the mixed derivative")
        coords.extend(low._derivative_coords([arg.id], arg) if arg.id not in
                      {c.name for c in low._coords()} else
                      [c for c in low._coords() if c.name == arg.id])
    return low._diff(low.expr(node.args[0], scope), coords, node)


def _op_grad(low: _Lowering, node, scope):
    value = low.expr(node.args[0], scope)
    if _is_vector(value):
        raise MpError("grad() of a vector", node.span,
                      "grad takes a scalar; for a vector use div() or take components")
    return sp.Matrix([sp.diff(value, c) for c in low.space])


def _op_div(low: _Lowering, node, scope):
    value = low.expr(node.args[0], scope)
    if not _is_vector(value):
        raise MpError("div() of a scalar", node.span, "div takes a vector, e.g. div(grad(u))")
    if value.shape[0] != len(low.space):
        raise MpError(f"div() of a {value.shape[0]}-vector in {len(low.space)} dimensions",
                      node.span)
    return sp.Add(*[sp.diff(value[i], c) for i, c in enumerate(low.space)])


def _op_lap(low: _Lowering, node, scope):
    value = low.expr(node.args[0], scope)
    lap = lambda s: sp.Add(*[sp.diff(s, c, 2) for c in low.space])  # noqa: E731
    return value.applyfunc(lap) if _is_vector(value) else lap(value)


def _op_dot(low: _Lowering, node, scope):
    a, b = (low.expr(arg, scope) for arg in node.args)
    if not (_is_vector(a) and _is_vector(b)):
        raise MpError("dot() takes two vectors", node.span, "e.g. dot(J, normal)")
    if a.shape != b.shape:
        raise MpError(f"dot() of vectors of sizes {a.shape[0]} and {b.shape[0]}", node.span)
    return sp.Add(*[a[i] * b[i] for i in range(a.shape[0])])


def _op_dn(low: _Lowering, node, scope):
    if not scope.normal:
        raise MpError(f"dn() (normal derivative) is not available in {scope.what}", node.span,
                      "normal derivatives belong in boundary conditions")
    value = low.expr(node.args[0], scope)
    if _is_vector(value):
        raise MpError("dn() of a vector", node.span, "dn takes a scalar; use dot(J, normal)")
    return sp.Add(*[n * sp.diff(value, c) for n, c in zip(normal_symbols(low.space), low.space)])


OPERATORS: dict[str, Operator] = {
    "d": Operator(2, None, "d(u, x) or d(u, x, y) for mixed derivatives", _op_d),
    "grad": Operator(1, 1, "grad(u) is the vector of first derivatives", _op_grad),
    "div": Operator(1, 1, "div(J) of a vector J", _op_div),
    "lap": Operator(1, 1, "lap(u) = sum of second derivatives", _op_lap),
    "dot": Operator(2, 2, "dot(a, b) of two vectors", _op_dot),
    "dn": Operator(1, 1, "dn(u) = outward normal derivative, in boundary conditions", _op_dn),
}
