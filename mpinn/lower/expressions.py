"""The expression pass: one syntax-tree expression → a sympy scalar or vector.

Every sympy object is built node by node through the tables of :mod:`.builtins` and
:mod:`.operators`; text from a problem file is never handed to ``eval``, ``sympify`` or
``parse_expr``. Every intermediate result is size-checked (:mod:`.guards`).
"""

from __future__ import annotations

import math

import sympy as sp

from ..ir import NET, normal_symbols, to_float
from ..lang import ast
from ..lang.diagnostics import MpError, did_you_mean
from .builtins import CONSTANTS, FUNCTIONS, is_vector
from .context import Context
from .guards import MAX_DERIVATIVE_ORDER, MAX_EXPONENT
from .operators import OPERATORS
from .scope import Scope


class Lowering(Context):
    """A lowering's state with the expression pass on it (what the other passes call)."""

    def scalar(self, value, node):
        if is_vector(value):
            raise MpError(
                "expected a scalar here, got a vector",
                node.span,
                "take a component (J[x]), a divergence div(J) or a dot product",
            )
        return value

    def expr(self, node, scope: Scope):
        """Lower one expression node; every intermediate result is size-checked, so a file
        cannot make sympy build (or differentiate) an astronomically large expression."""
        value = self._expr(node, scope)
        self.guard.check(value, node)
        return value

    def _expr(self, node, scope: Scope):
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
            items = [self.scalar(self.expr(i, scope), i) for i in node.items]
            return sp.Matrix(items)
        if isinstance(node, ast.Component):
            return self._component(node, scope)
        if isinstance(node, ast.Call):
            return self._call(node, scope)
        if isinstance(node, ast.Keyword):
            raise MpError(f"'{node.word}' may only stand alone on the right-hand side", node.span)
        raise AssertionError(type(node))  # pragma: no cover

    def _component(self, node: ast.Component, scope: Scope):
        base = self.expr(node.base, scope)
        if not is_vector(base):
            raise MpError(
                "component of a scalar",
                node.span,
                "components J[x] are taken of vectors such as grad(c)",
            )
        names = [s.name for s in self.space]
        if node.name not in names:
            raise MpError(
                f"'{node.name}' is not a spatial coordinate",
                node.span,
                did_you_mean(node.name, names) or f"coordinates: {', '.join(names)}",
            )
        idx = names.index(node.name)
        if idx >= base.shape[0]:
            raise MpError(f"the vector has {base.shape[0]} components", node.span)
        return base[idx]

    # ---- arithmetic
    @staticmethod
    def _chain(node: ast.Binary, ops: str) -> tuple:
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
            if is_vector(a) != is_vector(b):
                raise MpError(
                    f"cannot {'add' if op == '+' else 'subtract'} a vector and a scalar",
                    link.span,
                    "both sides of + and - must be vectors of the same size, or both scalars",
                )
            if is_vector(a) and a.shape != b.shape:
                raise MpError(f"vector sizes differ: {a.shape[0]} and {b.shape[0]}", link.span)
            terms.append(b if op == "+" else -b)
        if is_vector(a):
            return sp.Matrix([sp.Add(*[t[i] for t in terms]) for i in range(a.shape[0])])
        return sp.Add(*terms)

    def _product_chain(self, node: ast.Binary, scope):
        """A whole chain of * in one sympy Mul; at most one factor may be a vector."""
        first, links = self._chain(node, "*")
        factors = [self.expr(first, scope)]
        vector = factors[0] if is_vector(factors[0]) else None
        scalars = [] if vector is not None else [factors[0]]
        for _, right, link in links:
            b = self.expr(right, scope)
            if is_vector(b):
                if vector is not None:
                    raise MpError(
                        "product of two vectors", link.span, "use dot(a, b) for the scalar product"
                    )
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
        va, vb = is_vector(a), is_vector(b)
        if node.op == "/":
            if vb:
                raise MpError("division by a vector", node.span)
            if b == 0:
                raise MpError("division by zero", node.right.span)
            return a / b
        # power
        if va or vb:
            raise MpError(
                "powers of vectors are not defined", node.span, "use dot(a, a) for a squared length"
            )
        self._check_power(a, b, node)
        return self._constant_ok(a**b, node)

    def _constant_ok(self, value, node):
        """A constant (no symbols) must be a finite real number that fits a float: sympy
        would otherwise carry exp(exp(exp(1000))) along and choke on it later (printing,
        code generation), and a complex or infinite constant is never intended."""
        if value.is_Rational or value.free_symbols:
            return value
        try:
            to_float(value, {})
        except ValueError as exc:
            raise MpError(
                f"this constant has no finite real value: {exc}",
                node.span,
                "check the arguments (overflow beyond 1e308, division by zero, "
                "log or sqrt of a negative number)",
            ) from None
        return value

    @staticmethod
    def _check_power(base, exponent, node) -> None:
        if exponent.is_Number:
            if abs(float(exponent)) > MAX_EXPONENT:
                raise MpError(
                    f"exponent {float(exponent):.3g} is too large",
                    node.right.span,
                    f"exponents are limited to {MAX_EXPONENT} in magnitude",
                )
            if base.is_Number and base != 0:
                size = abs(math.log10(abs(float(sp.N(base, 20))) or 1e-300)) * abs(float(exponent))
                if size > 300:
                    raise MpError(
                        "number too large (beyond 1e300)", node.span, "rescale the problem"
                    )
            if base == 0 and exponent.is_negative:
                raise MpError("division by zero (0 to a negative power)", node.span)

    # ---- names
    def _name(self, node: ast.Name, scope: Scope):
        name = node.id
        if name in CONSTANTS:
            return CONSTANTS[name]
        if name == "net" and scope.net:
            return NET
        if name == "normal":
            if not scope.normal:
                raise MpError(
                    f"the boundary normal is not available in {scope.what}",
                    node.span,
                    "use it in boundary conditions",
                )
            return sp.Matrix(normal_symbols(self.space))
        for frame in reversed(self.locals):
            if name in frame:
                return frame[name]
        if name in self.let_funcs:
            raise MpError(
                f"'{name}' is a let function and needs arguments", node.span, f"write {name}(...)"
            )
        if name not in self.names:
            if name in FUNCTIONS or name in OPERATORS or self._shorthand(name):
                raise MpError(
                    f"'{name}' is a function and needs arguments", node.span, f"write {name}(...)"
                )
            candidates = list(self.names) + list(CONSTANTS)
            raise MpError(
                f"unknown name '{name}'",
                node.span,
                did_you_mean(name, candidates) or "declare it with param, field or let",
            )
        kind, _ = self.names[name]
        if kind == "parameter":
            return sp.Symbol(name, real=True)
        if kind in ("coordinate", "time coordinate"):
            if not scope.coords:
                raise MpError(f"coordinate '{name}' cannot appear in {scope.what}", node.span)
            return sp.Symbol(name, real=True)
        if kind == "field":
            if not scope.fields:
                raise MpError(
                    f"field '{name}' cannot appear in {scope.what}",
                    node.span,
                    "exact solutions, features and outputs are given functions of the coordinates",
                )
            return self.func(name)
        if kind == "let binding":
            value = self.lets[name]
            if not scope.fields and self._has_field(value):
                raise MpError(
                    f"'{name}' involves fields and cannot appear in {scope.what}", node.span
                )
            return value
        if kind == "feature":
            return self.features[name]
        raise MpError(f"a {kind} ('{name}') cannot be used in an expression", node.span)

    @staticmethod
    def _has_field(value) -> bool:
        items = value if is_vector(value) else [value]
        return any(v.atoms(sp.core.function.AppliedUndef) for v in items)

    @staticmethod
    def _shorthand(name: str):
        """`dxx` → (x, x) when every letter after d is a one-letter coordinate."""
        if len(name) < 2 or name[0] != "d" or not name[1:].isalpha():
            return None
        return tuple(name[1:])

    # ---- calls and derivatives
    def _call(self, node: ast.Call, scope: Scope):
        name = node.func
        if name in self.let_funcs:
            return self._apply_let_function(node, scope)
        if name in self.names:
            raise MpError(
                f"'{name}' is a {self.names[name][0]}, not a function",
                node.span,
                "only functions and operators are called with (...); write a product as a*(b)",
            )
        if name in FUNCTIONS:
            if len(node.args) != 1:
                raise MpError(f"{name}() takes 1 argument, got {len(node.args)}", node.span)
            arg = self.scalar(self.expr(node.args[0], scope), node.args[0])
            return self._constant_ok(FUNCTIONS[name](arg), node)
        if name in OPERATORS:
            op = OPERATORS[name]
            n = len(node.args)
            if n < op.min_args or (op.max_args is not None and n > op.max_args):
                want = (
                    str(op.min_args)
                    if op.max_args == op.min_args
                    else f"{op.min_args} or more"
                    if op.max_args is None
                    else f"{op.min_args} to {op.max_args}"
                )
                raise MpError(
                    f"{name}() takes {want} argument{'s' if want != '1' else ''}, got {n}",
                    node.span,
                    op.usage,
                )
            return op.apply(self, node, scope)
        letters = self._shorthand(name)
        if letters is not None:
            if len(node.args) != 1:
                raise MpError(
                    f"{name}() takes 1 argument, got {len(node.args)}",
                    node.span,
                    f"write {name}(u)",
                )
            coords = self.derivative_coords(letters, node)
            return self.diff(self.expr(node.args[0], scope), coords, node)
        candidates = list(FUNCTIONS) + list(OPERATORS)
        if name == "integral":
            hint = (
                "an integral is a result, not part of an equation: "
                "'quantity Q = integral(u, domain)'"
            )
        else:
            hint = did_you_mean(name, candidates) or "functions: " + ", ".join(sorted(FUNCTIONS))
        raise MpError(f"unknown function '{name}'", node.span, hint)

    def _apply_let_function(self, node: ast.Call, scope):
        """A call of ``let G(d) = body``: the arguments are lowered first and bound to d
        while the body is lowered again, so derivatives inside the body act on them."""
        st = self.let_funcs[node.func]
        if len(node.args) != len(st.params):
            n = len(st.params)
            raise MpError(
                f"{node.func}() takes {n} argument{'s' if n != 1 else ''}, got {len(node.args)}",
                node.span,
                f"defined on line {st.span.line}: {node.func}("
                + ", ".join(i.name for i in st.params)
                + ")",
            )
        bound = {i.name: self.scalar(self.expr(a, scope), a) for i, a in zip(st.params, node.args)}
        self.locals.append(bound)
        try:
            return self.expr(st.expr, scope)
        finally:
            self.locals.pop()

    def derivative_coords(self, letters, node) -> list:
        by_name = {c.name: c for c in self.coords()}
        out = []
        for letter in letters:
            if letter in by_name:
                out.append(by_name[letter])
            elif self.time is None and letter == "t":
                raise MpError(
                    "time derivative, but the problem has no time interval",
                    node.span,
                    "declare one: 'time t in [0, 1]'",
                )
            else:
                raise MpError(
                    f"derivative with respect to '{letter}', which is not a coordinate",
                    node.span,
                    "coordinates: " + ", ".join(by_name) if by_name else None,
                )
        return out

    def diff(self, value, coords, node):
        if len(coords) > MAX_DERIVATIVE_ORDER:
            raise MpError(
                f"derivative of order {len(coords)} is too high",
                node.span,
                f"orders up to {MAX_DERIVATIVE_ORDER} are supported",
            )
        if is_vector(value):
            return value.applyfunc(lambda c: self.diff(c, coords, node))
        for coord in coords:  # one order at a time, estimating the size before each step
            self.guard.check_derivative(value, node)
            value = sp.diff(value, coord)
            self.guard.check(value, node)
        return value
