"""The state of one lowering, shared by its passes: the names declared so far and what
they stand for, the domain, and the terms built. Each pass (declarations, regions,
conditions, checks) is a module of functions over it; the expression pass extends it
(:class:`mpinn.lower.expressions.Lowering`)."""

from __future__ import annotations

from pathlib import Path

import sympy as sp

from ..ir import to_float
from ..lang.diagnostics import MpError, Span, did_you_mean
from .builtins import CONSTANTS, FUNCTIONS, KEYWORDS
from .guards import Guard
from .operators import OPERATORS


class Context:
    def __init__(self, filename: str, source: str):
        self.filename = filename
        self.source = source
        self.name = Path(filename).stem if filename != "<input>" else "problem"
        self.title = None
        self.names: dict[str, tuple[str, Span | None]] = {}  # name -> (kind, where defined)
        self.params: dict = {}  # name -> ir.Param
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
        self.shapes: dict = {}  # declared name -> ir.shapes.Named
        self.shape = None  # the domain's shape tree (None: a box)
        self.periodic: list = []  # periodic axes
        self.quantities: dict = {}  # name -> ir.Quantity
        self.hard: dict = {}  # field -> [(pieces, value, span)] of `... hard` conditions
        self.statements: tuple = ()  # the whole module (for "declared further down" hints)
        self.equations: list = []
        self.conditions: list = []
        self.data: dict = {}  # name -> ir.DataSet
        self.data_terms: list = []
        self.term_names: dict[str, Span] = {}
        self.locals: list = []  # argument bindings while a let function body is lowered
        self.let_funcs: dict = {}  # name -> LetStmt with params
        self.let_functions: dict = {}  # name -> (argument names, body text), for display
        self.guard = Guard()

    # ---- names
    def define(self, ident, kind: str) -> None:
        name = ident.name
        if name in FUNCTIONS or name in OPERATORS or name in CONSTANTS:
            raise MpError(
                f"'{name}' is a built-in name and cannot be redefined",
                ident.span,
                "choose another name",
            )
        if name in KEYWORDS:
            raise MpError(
                f"'{name}' is a keyword and cannot be used as a name",
                ident.span,
                "choose another name",
            )
        if name in self.names:
            prev_kind, prev = self.names[name]
            where = f" (line {prev.line})" if prev else ""
            raise MpError(
                f"duplicate name '{name}': already defined as a {prev_kind}{where}",
                ident.span,
                "every name may be defined once",
            )
        self.names[name] = (kind, ident.span)

    def need_field(self, ident, what: str) -> str:
        """``ident`` must name a declared field (``what`` says why, e.g. "'exact' names a
        field"); returns the name."""
        if self.names.get(ident.name, ("",))[0] != "field":
            raise MpError(
                f"'{ident.name}' is not a field: {what}",
                ident.span,
                did_you_mean(ident.name, self.fields)
                or f"fields: {', '.join(self.fields) or 'none (declare them with field)'}",
            )
        return ident.name

    def term_name(self, ident_name: str, span: Span) -> str:
        if ident_name in self.term_names:
            prev = self.term_names[ident_name]
            raise MpError(
                f"duplicate name '{ident_name}' (first used on line {prev.line})",
                span,
                "give every equation and condition its own name",
            )
        if ident_name in self.names:
            kind, prev = self.names[ident_name]
            raise MpError(
                f"duplicate name '{ident_name}': already defined as a {kind}",
                span,
                "give every equation and condition its own name",
            )
        self.term_names[ident_name] = span
        return ident_name

    # ---- values and coordinates
    def param_values(self) -> dict:
        values: dict = {}
        for name, par in self.params.items():
            values[name] = to_float(par.expr, values)
        return values

    def need_domain(self, st) -> None:
        if not self.space:
            raise MpError(
                "this statement needs the domain, which is not declared yet",
                st.span,
                "put 'domain ...' (and 'time ...') before it",
            )

    def coords(self) -> tuple:
        return self.space + ((self.time,) if self.time is not None else ())

    def func(self, name: str):
        if self.funcs.get(name) is None:
            self.funcs[name] = sp.Function(name)(*self.coords())
        return self.funcs[name]

    def fields_in(self, expr) -> tuple:
        present = {f.func.__name__ for f in expr.atoms(sp.core.function.AppliedUndef)}
        return tuple(f for f in self.fields if f in present)

    def text(self, span: Span) -> str:
        """The source text of a span (single- or multi-line), whitespace collapsed."""
        lines = self.source.splitlines()
        if not span or span.end_line is None or not 1 <= span.line <= span.end_line <= len(lines):
            return ""
        if span.line == span.end_line:
            text = lines[span.line - 1][span.column - 1 : span.end_column - 1]
        else:
            text = "\n".join(
                [lines[span.line - 1][span.column - 1 :]]
                + lines[span.line : span.end_line - 1]
                + [lines[span.end_line - 1][: span.end_column - 1]]
            )
        return " ".join(" ".join(l.split("#")[0] for l in text.splitlines()).split())
