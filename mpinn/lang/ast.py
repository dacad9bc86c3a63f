"""The syntax tree of a .mp file: plain dataclasses, each node with its source span.

Expressions are kept exactly as written; meaning (which names are fields, which operator
needs which argument) is decided later, in :mod:`mpinn.lower`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from fractions import Fraction

from .diagnostics import Span


# --- expressions -------------------------------------------------------------------------
@dataclass(frozen=True)
class Num:
    value: Fraction
    span: Span


@dataclass(frozen=True)
class Name:
    id: str
    span: Span


@dataclass(frozen=True)
class Call:
    func: str
    args: tuple
    span: Span


@dataclass(frozen=True)
class Unary:
    op: str  # "-" or "+"
    operand: object
    span: Span


@dataclass(frozen=True)
class Binary:
    op: str  # + - * / ^
    left: object
    right: object
    span: Span


@dataclass(frozen=True)
class Vector:
    items: tuple
    span: Span


@dataclass(frozen=True)
class Component:
    base: object
    name: str  # a coordinate name: J[x]
    span: Span


@dataclass(frozen=True)
class Keyword:
    """`exact` or `manufactured` on the right-hand side of an equation or condition."""

    word: str
    span: Span


# --- statements --------------------------------------------------------------------------
@dataclass(frozen=True)
class Ident:
    name: str
    span: Span


@dataclass(frozen=True)
class ProblemStmt:
    name: Ident
    title: str | None
    span: Span


@dataclass(frozen=True)
class ParamStmt:
    name: Ident
    expr: object
    span: Span


@dataclass(frozen=True)
class UnknownStmt:
    """``unknown k = 0.5 in [0.01, 10]``: a constant trained with the networks."""

    name: Ident
    expr: object  # the initial guess
    bounds: tuple | None  # (lo, hi) expressions, or None
    span: Span


@dataclass(frozen=True)
class DataStmt:
    """``data obs: u, v from "u_obs.csv"``: measured values of fields at points."""

    name: Ident
    fields: tuple  # of Ident
    path: str  # as written, relative to the .mp file
    span: Span


@dataclass(frozen=True)
class DomainStmt:
    coords: tuple  # of Ident
    intervals: tuple  # of (lo, hi) expressions (empty for a shaped domain)
    span: Span
    shape: object = None  # a shape expression (ShapeRef/ShapeCall/ShapeOp) instead


@dataclass(frozen=True)
class TimeStmt:
    coord: Ident
    interval: tuple
    span: Span


@dataclass(frozen=True)
class FieldStmt:
    names: tuple  # of Ident
    span: Span


@dataclass(frozen=True)
class LetStmt:
    name: Ident
    expr: object
    span: Span
    params: tuple = ()  # of Ident: `let G(d) = ...` defines a function of d


@dataclass(frozen=True)
class ExactStmt:
    name: Ident
    expr: object
    span: Span


@dataclass(frozen=True)
class PdeStmt:
    name: Ident
    lhs: object
    rhs: object
    span: Span


@dataclass(frozen=True)
class Piece:
    """One boundary selector item: ``x = 0`` (coord, value) or a name (value None)."""

    name: Ident
    value: object | None
    span: Span


@dataclass(frozen=True)
class BoundaryStmt:
    name: Ident
    pieces: tuple
    span: Span


@dataclass(frozen=True)
class Condition:
    lhs: object
    rhs: object
    span: Span
    hard: bool = False  # `u = g hard`: imposed exactly through the output, not as a loss


@dataclass(frozen=True)
class BcStmt:
    name: Ident
    pieces: tuple
    conditions: tuple
    span: Span


@dataclass(frozen=True)
class IcStmt:
    name: Ident | None
    time_coord: Ident | None
    time_value: object | None
    conditions: tuple
    span: Span


@dataclass(frozen=True)
class OutputStmt:
    name: Ident
    expr: object
    span: Span


@dataclass(frozen=True)
class FeatureStmt:
    name: Ident
    expr: object
    span: Span


@dataclass
class Module:
    """A whole .mp file."""

    statements: list = field(default_factory=list)


@dataclass(frozen=True)
class ShapeRef:
    """A declared shape used by name (``outer`` in ``outer - hole``)."""

    name: str
    span: Span


@dataclass(frozen=True)
class ShapeCall:
    """A primitive shape: ``disk((0, 0), 1)``."""

    func: str
    args: tuple
    span: Span


@dataclass(frozen=True)
class ShapeOp:
    """``left + right`` (union), ``left - right`` (difference), ``left & right``
    (intersection)."""

    op: str
    left: object
    right: object
    span: Span


@dataclass(frozen=True)
class ShapeStmt:
    name: Ident
    shape: object
    span: Span


@dataclass(frozen=True)
class PeriodicStmt:
    names: tuple  # of Ident
    span: Span


@dataclass(frozen=True)
class QuantityStmt:
    """``quantity NAME = integral(EXPR, REGION) [expect VALUE]``; ``region`` is the
    keyword ``domain`` (a :class:`Keyword`) or a tuple of :class:`Piece`."""

    name: Ident
    integrand: object
    region: object
    expect: object | None
    span: Span
