"""The symbolic problem: what a `.mp` file means, as sympy objects. No torch here.

Conventions of the IR:

* a field ``u`` is the applied function ``u(x, y, t)`` (all coordinates, time last);
* derivatives are sympy ``Derivative`` atoms of those functions;
* parameters are real symbols; their values are resolved late (:meth:`Problem.param_values`)
  so a parameter can be overridden without lowering again;
* the outward normal on a boundary is the symbols ``_n_x, _n_y, ...`` (bound per point by
  the compiled program); ``dn(u)`` is ``grad(u) · n``;
* a condition holds on a tuple of boundary pieces (:mod:`.regions`), never on raw numbers.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum

import sympy as sp

from ..lang.diagnostics import Span, did_you_mean
from .numeric import to_float
from .regions import BoundaryPiece

NET = sp.Symbol("net", real=True)  # the raw network output inside `output` transforms


class TermKind(str, Enum):
    """What a loss term is: an equation in the domain, a boundary or an initial condition."""

    PDE = "pde"
    BC = "bc"
    IC = "ic"
    DATA = "data"  # a field against measured values (``data obs: u from "u.csv"``)

    def __str__(self) -> str:
        return self.value


class ConditionForm(str, Enum):
    """How a condition constrains its field (for display): ``u = g`` is dirichlet,
    ``dn(u) = g`` neumann, ``a u + b dn(u) = g`` robin, anything else general."""

    DIRICHLET = "dirichlet"
    NEUMANN = "neumann"
    ROBIN = "robin"
    GENERAL = "general"
    NONE = ""  # equations have no form

    def __str__(self) -> str:
        return self.value


@dataclass(frozen=True)
class Param:
    name: str
    expr: sp.Expr  # in terms of earlier parameters (for an unknown: the initial guess)
    span: Span | None = None
    unknown: bool = False  # trained with the networks (``unknown k = 0.5``)
    bounds: tuple | None = None  # (lo, hi) expressions of an unknown kept inside them


def data_symbol(dataset: str, field_name: str) -> sp.Symbol:
    """The leaf standing for the measured values of ``field_name`` in a data term (a name no
    .mp file can spell, so it never clashes)."""
    return sp.Symbol(f"data:{dataset}:{field_name}", real=True)


@dataclass(eq=False)
class DataSet:
    """Measured values read from a CSV or NPZ file: ``points`` [n, coords] and one value
    array [n] per field, float64, checked (columns, finiteness, inside the domain)."""

    name: str
    fields: tuple
    path: str
    points: object  # numpy array [n, len(problem.coords)]
    values: dict  # field -> numpy array [n]
    span: Span | None = None

    def term_name(self, field_name: str) -> str:
        return self.name if len(self.fields) == 1 else f"{self.name}.{field_name}"


@dataclass(frozen=True)
class Term:
    """One loss term: an equation (``kind=TermKind.PDE``) or a condition (``BC``/``IC``)."""

    name: str
    kind: TermKind
    lhs: sp.Expr
    rhs: sp.Expr
    region: tuple[BoundaryPiece, ...] = ()  # the boundary pieces a bc holds on
    form: ConditionForm = ConditionForm.NONE
    fields: tuple = ()
    span: Span | None = None

    @property
    def residual(self) -> sp.Expr:
        return self.lhs - self.rhs


@dataclass(frozen=True)
class Quantity:
    """``quantity NAME = integral(EXPR, REGION) [expect VALUE]``: a number computed from the
    solution. ``region`` is ``None`` (the whole domain), a tuple of boundary pieces (a
    boundary integral, ``normal`` bound to the domain's outward normal) or a
    :class:`~mpinn.ir.regions.Section` (a cut through the domain, e.g. a flow rate).
    In a time-dependent problem the integrand is taken at the end time."""

    name: str
    expr: sp.Expr
    region: object = None
    expect: float | None = None
    span: Span | None = None


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
    boundaries: dict = field(default_factory=dict)  # user boundary name -> pieces
    warnings: list = field(default_factory=list)
    source: str = ""
    let_functions: dict = field(default_factory=dict)  # name -> (arg names, body source text)
    data: dict = field(default_factory=dict)  # name -> DataSet
    data_terms: list = field(default_factory=list)  # Terms of kind DATA
    shape: object = None  # ir.shapes.Shape of a shaped domain; None: the box of ``bounds``
    shapes: dict = field(default_factory=dict)  # declared name -> ir.shapes.Named
    periodic: tuple = ()  # axes (indices into space) with periodic conditions
    quantities: dict = field(default_factory=dict)  # name -> Quantity

    @property
    def unknowns(self) -> dict:
        """The parameters trained with the networks, by name."""
        return {n: p for n, p in self.params.items() if p.unknown}

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
        return list(self.equations) + list(self.conditions) + list(self.data_terms)

    def param_values(self, overrides: dict | None = None) -> dict:
        """Numeric parameter values, derived parameters recomputed after overrides."""
        overrides = dict(overrides or {})
        unknown = sorted(set(overrides) - set(self.params))
        if unknown:
            hint = (
                did_you_mean(unknown[0], self.params)
                or f"parameters of {self.name}: {', '.join(self.params) or 'none'}"
            )
            raise KeyError(f"unknown parameter '{unknown[0]}' ({hint})")
        values: dict = {}
        for name, par in self.params.items():
            if name in overrides:
                values[name] = float(overrides[name])
            else:
                values[name] = to_float(par.expr, values)
        return values

    def extent(self, values: dict | None = None) -> tuple:
        """``(lo, hi, time)`` of the domain in numbers at the given parameter values:
        ``lo``/``hi`` per spatial coordinate, ``time`` = ``(name, t0, t1)`` or None."""
        values = self.param_values() if values is None else values
        lo = tuple(to_float(a, values) for a, _ in self.bounds)
        hi = tuple(to_float(b, values) for _, b in self.bounds)
        time = None
        if self.time is not None:
            t0, t1 = (to_float(v, values) for v in self.time_bounds)
            time = (self.time.name, t0, t1)
        return lo, hi, time


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
