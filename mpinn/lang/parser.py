"""Text → syntax tree. Lark parses with the grammar beside this module (mpinn.lark); this
module turns lark's tree into :mod:`mpinn.lang.ast` nodes and lark's exceptions into
:class:`MpError`s.

Guards against hostile input live here too: size, bracket nesting and tree depth are
bounded before anything recursive touches the input.

Invisible characters are refused, not passed on. A raw control character anywhere in the
source (ESC, BEL, a lone CR, form feed, DEL, C1 controls), a bidirectional override or
isolate (U+202A-U+202E, U+2066-U+2069), a zero-width or other format character, or a
line/paragraph separator is a ``FILE:LINE:COL`` diagnostic (exit 2), wherever it sits: in
the title, in a comment or between tokens. In a title it would rewrite the terminal of
whoever runs ``mpinn check``; in a comment it can make the code that is shown differ from
the code that runs ("Trojan Source"). Allowed are tab, newline, the CR of a CRLF line
ending, and a byte-order mark at the very start (read as a space, so columns stay right).
The set refused is exactly what :func:`mpinn.lang.diagnostics.printable` escapes; the
printers escape too (defence in depth: file names and run metadata reach them by other
routes).
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from fractions import Fraction
from functools import lru_cache
from importlib import resources

from lark import Lark, Token, Tree
from lark import __version__ as lark_version
from lark.exceptions import UnexpectedCharacters, UnexpectedEOF, UnexpectedInput, UnexpectedToken
from lark.lexer import PatternStr

from . import ast
from .diagnostics import MpError, Span, did_you_mean, is_hidden

MAX_SOURCE_BYTES = 64_000  # problem files are descriptions: eof2d.mp is under 4 kB
MAX_NESTING = 48  # brackets inside brackets
MAX_DEPTH = 120  # operator/call nesting of one expression tree
MAX_OPERATORS = 2000  # + - * / ^ in one statement
MAX_NUMBER_DIGITS = 400  # digits of one number literal
MAX_NUMBER_EXPONENT = 400  # |e| in 1.5e-3 style literals

STATEMENT_KEYWORDS = (
    "problem",
    "param",
    "unknown",
    "data",
    "domain",
    "time",
    "field",
    "let",
    "exact",
    "pde",
    "boundary",
    "bc",
    "ic",
    "output",
    "feature",
    "shape",
    "periodic",
    "quantity",
)

_CHAR_HINTS = {
    "_": "names start with a letter; names beginning with '_' are not part of the language",
    ".": "a '.' is only allowed inside a number; there is no attribute access. "
    "For a vector component write J[x]",
    '"': "quoted text is only allowed as the title in 'problem NAME \"title\"'",
    "'": "primes are not derivatives here: write dxx(u) or d(u, x, x)",
    ";": "statements need no separator; start each one with its keyword",
    "{": "use parentheses ( ) for grouping",
    "@": "there is no '@' operator; use dot(a, b)",
    "!": "there is no '!' operator",
    "=": "conditions and equations have exactly one '='",
}

_TOKEN_WORDS = {
    "NAME": "a name",
    "NUMBER": "a number",
    "STRING": "a quoted title",
    "$END": "end of file",
    "HARD": "'hard'",
    "_POW": "'^'",
    "_TIMES": "'x'",
    **{
        f"_{w.upper()}": f"'{w}'"
        for w in STATEMENT_KEYWORDS
        + ("in", "on", "or", "from", "manufactured", "integral", "expect")
    },
}


#: Options of the one parser mpinn uses (also part of the tables' key).
LARK_OPTIONS = {"parser": "lalr", "propagate_positions": True, "maybe_placeholders": True}


def grammar_sha256(text: str) -> str:
    key = text + repr(sorted(LARK_OPTIONS.items()))
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


def build(text: str) -> Lark:
    return Lark(text, **LARK_OPTIONS)


@lru_cache(maxsize=1)
def grammar_text() -> str:
    """The grammar, shipped inside this package (``mpinn/lang/mpinn.lark``)."""
    return resources.files(__package__).joinpath("mpinn.lark").read_text(encoding="utf-8")


@lru_cache(maxsize=1)
def _lark() -> Lark:
    """The parser: from the shipped tables when they match grammar and lark version (a few
    ms), otherwise built from the grammar (~0.1 s). See :mod:`.tables_build`."""
    text = grammar_text()
    try:
        from . import tables

        if tables.GRAMMAR_SHA256 == grammar_sha256(text) and tables.LARK_VERSION == lark_version:
            return Lark.__new__(Lark)._load(tables.DATA)
    except Exception:  # noqa: BLE001 - stale or foreign tables: build instead
        pass
    return build(text)


def parse(source: str) -> ast.Module:
    """Parse .mp source text into a :class:`ast.Module` or raise :class:`MpError`."""
    if len(source.encode("utf-8", "replace")) > MAX_SOURCE_BYTES:
        line = source[:MAX_SOURCE_BYTES].count("\n") + 1
        raise MpError(
            f"file is larger than {MAX_SOURCE_BYTES // 1000} kB",
            Span(line, 1),
            hint="problem files are short descriptions; split generated data out",
        )
    if source.startswith("\ufeff"):  # a byte-order mark, as some editors write: a space
        source = " " + source[1:]
    _check_characters(source)
    code = _code_only(source)
    _check_nesting(code)
    _check_statement_length(code)
    try:
        tree = _lark().parse(source)
    except UnexpectedInput as exc:
        raise _syntax_error(exc, source) from None
    _check_depth(tree)
    return ast.Module([_statement(st) for st in tree.children])


# --- guards ------------------------------------------------------------------------------
def _check_characters(source: str) -> None:
    """Refuse invisible and terminal-control characters (see the module docstring). Linear:
    a line of ordinary text costs one ``str.isprintable``; only a line that fails it is
    scanned character by character."""
    for number, line in enumerate(source.split("\n"), 1):
        if line.endswith("\r"):  # CRLF line ending
            line = line[:-1]
        if line.isprintable():
            continue
        for col, ch in enumerate(line, 1):
            if ch != "\t" and is_hidden(ch):
                raise MpError(
                    f"invisible character U+{ord(ch):04X} ({_char_name(ch)}) in the file",
                    Span(number, col, number, col + 1),
                    "control characters, bidirectional overrides and zero-width characters "
                    "are not allowed anywhere in a problem file, not even in the title or a "
                    "comment (they can rewrite the terminal or disguise the code); delete it",
                )


def _char_name(ch: str) -> str:
    names = {"\x1b": "ESCAPE", "\r": "CARRIAGE RETURN", "\x07": "BELL", "\x0c": "FORM FEED"}
    return names.get(ch) or unicodedata.name(ch, "control character")


_STRING_OR_COMMENT = re.compile(r'"[^"\n\\]*"|#[^\n]*')


def _code_only(source: str) -> str:
    """The source with the insides of titles and comments blanked (same length, same
    lines), so the bracket and operator guards count only code: a title "(((" or a comment
    ``# ----`` is not an expression."""
    return _STRING_OR_COMMENT.sub(lambda m: m.group()[0] + " " * (len(m.group()) - 1), source)


def _check_nesting(source: str) -> None:
    depth, line, col = 0, 1, 0
    for ch in source:
        col += 1
        if ch == "\n":
            line, col = line + 1, 0
        elif ch in "([":
            depth += 1
            if depth > MAX_NESTING:
                raise MpError(
                    f"brackets nested more than {MAX_NESTING} deep",
                    Span(line, col),
                    "simplify the expression or name parts of it with 'let'",
                )
        elif ch in ")]":
            depth = max(0, depth - 1)


_STATEMENT_START = re.compile(r"\b(?:" + "|".join(STATEMENT_KEYWORDS) + r")\b")
_OPERATOR = re.compile(r"\*\*|[-+*/^]")


def _check_statement_length(source: str) -> None:
    """Refuse absurdly long statements before lark builds a tree for them (parsing 30 kB
    of `1+1+...` takes seconds and ends in a depth error anyway)."""
    starts = [m.start() for m in _STATEMENT_START.finditer(source)] + [len(source)]
    if starts[0] != 0:
        starts.insert(0, 0)
    for begin, end in zip(starts, starts[1:]):
        chunk = source[begin:end]
        count = len(_OPERATOR.findall(chunk))
        if count > MAX_OPERATORS:
            line = source.count("\n", 0, begin) + 1
            col = begin - (source.rfind("\n", 0, begin) + 1) + 1
            raise MpError(
                f"statement with {count} operators (the limit is {MAX_OPERATORS})",
                Span(line, col),
                "split it into 'let' bindings",
            )


def _check_depth(tree: Tree) -> None:
    for statement in tree.children:
        stack = [(statement, 0)]
        while stack:
            node, depth = stack.pop()
            if depth > MAX_DEPTH:
                raise MpError(
                    f"expression too deeply nested (more than {MAX_DEPTH} levels of "
                    "operators and calls)",
                    _span(statement),
                    "split it into 'let' bindings; a chain a + b + c + ... counts "
                    "one level per operator",
                )
            if isinstance(node, Tree):
                stack.extend((child, depth + 1) for child in node.children)


# --- syntax errors -----------------------------------------------------------------------
def _describe(terminal: str) -> str:
    if terminal in _TOKEN_WORDS:
        return _TOKEN_WORDS[terminal]
    try:
        pattern = _lark().get_terminal(terminal).pattern
    except KeyError:
        return terminal.lower()
    if isinstance(pattern, PatternStr):
        return f"'{pattern.value}'"
    return terminal.lower()


_OPERATORS = {"'+'", "'-'", "'*'", "'/'", "'^'"}


def _expected_text(expected) -> str:
    words = sorted({_describe(t) for t in expected})
    keywords = {f"'{k}'" for k in STATEMENT_KEYWORDS}
    if keywords <= set(words):
        rest = [w for w in words if w not in keywords and w != "end of file"]
        words = rest + ["a new statement (problem, param, domain, field, let, pde, bc, ...)"]
    if _OPERATORS <= set(words):
        words = [w for w in words if w not in _OPERATORS]
        words.insert(0, "an operator (+ - * / ^)")
    if len(words) > 8:
        words = words[:8] + ["..."]
    if len(words) > 1:
        return ", ".join(words[:-1]) + " or " + words[-1]
    return words[0] if words else "nothing more"


def _accepted(exc) -> set:
    """The exact set of terminals the parser could take at the error (lalr's `expected`
    merges lookaheads after default reductions)."""
    try:
        return set(exc.interactive_parser.accepts()) or set(exc.expected)
    except Exception:  # noqa: BLE001 - best effort: fall back on lark's own set
        return set(getattr(exc, "expected", ()) or ())


def _syntax_error(exc: UnexpectedInput, source: str) -> MpError:
    line, col = getattr(exc, "line", 1) or 1, getattr(exc, "column", 1) or 1
    if isinstance(exc, UnexpectedCharacters):
        ch = source[exc.pos_in_stream] if exc.pos_in_stream < len(source) else "?"
        return MpError(
            f"unexpected character {ch!r}",
            Span(line, col),
            _CHAR_HINTS.get(ch, "expected " + _expected_text(exc.allowed)),
        )
    if isinstance(exc, UnexpectedEOF) or (
        isinstance(exc, UnexpectedToken) and exc.token.type == "$END"
    ):
        text = source.rstrip()
        last = text[text.rfind("\n") + 1 :]  # lines as lark counts them: at "\n" only
        expected = _expected_text(
            _accepted(exc) if isinstance(exc, UnexpectedToken) else exc.expected
        )
        return MpError(
            "unexpected end of file",
            Span(text.count("\n") + 1, len(last) + 1),
            f"the last statement is incomplete; expected {expected}",
        )
    assert isinstance(exc, UnexpectedToken)
    tok = exc.token
    accepted = _accepted(exc)
    end = Span(line, col, line, col + len(str(tok)))
    what = {"NAME": f"name '{tok}'", "NUMBER": f"number {tok}", "STRING": f"text {tok}"}.get(
        tok.type, f"'{tok}'"
    )
    hint = "expected " + _expected_text(accepted)
    new_statement = any(_describe(t) == "'problem'" for t in accepted)
    if tok.type in ("NAME", "NUMBER") and new_statement:
        close = did_you_mean(str(tok), STATEMENT_KEYWORDS) if tok.type == "NAME" else None
        hint = (
            (close + " " if close else "")
            + "each statement starts with a keyword: "
            + ", ".join(STATEMENT_KEYWORDS)
        )
        if "STAR" in accepted:
            hint += (
                f"; if '{tok}' continues the expression before it, an operator is "
                "missing (write 2*x, not 2 x)"
            )
    elif tok.type in ("NAME", "NUMBER") and "STAR" in accepted:
        hint += f"; an operator is missing before '{tok}' (write 2*x, not 2 x)"
    elif tok.type == "STRING":
        hint = _CHAR_HINTS['"']
    return MpError(f"unexpected {what}", end, hint)


# --- tree → AST --------------------------------------------------------------------------
def _span(node) -> Span:
    if isinstance(node, Token):
        return Span(node.line, node.column, node.end_line, node.end_column)
    meta = node.meta
    if getattr(meta, "empty", True):
        return Span(1, 1)
    return Span(meta.line, meta.column, meta.end_line, meta.end_column)


def _ident(tok: Token) -> ast.Ident:
    return ast.Ident(str(tok), _span(tok))


def _number(tok: Token) -> Fraction:
    """A number literal as an exact fraction, refusing literals too big to be physics.

    ``Fraction("1e999999999")`` would build a billion-digit integer, and Python refuses
    to convert strings of more than 4300 digits; both are caught here, before the work.
    """
    text = str(tok)
    mantissa, _, exponent = text.lower().partition("e")
    digits = len(mantissa.replace(".", ""))
    if digits > MAX_NUMBER_DIGITS:
        raise MpError(
            f"number literal with {digits} digits",
            _span(tok),
            f"numbers are limited to {MAX_NUMBER_DIGITS} digits",
        )
    exp_digits = exponent.lstrip("+-").lstrip("0")
    if len(exp_digits) > 4 or int(exp_digits or "0") > MAX_NUMBER_EXPONENT:
        shown = exponent if len(exponent) < 12 else exponent[:10] + "..."
        raise MpError(
            f"number literal with exponent {shown} is out of range",
            _span(tok),
            f"exponents of literals are limited to +-{MAX_NUMBER_EXPONENT}; rescale the problem",
        )
    return Fraction(text)


_BINARY = {"add": "+", "sub": "-", "mul": "*", "div": "/", "pow": "^"}


def _expr(node):
    """Convert one expression subtree (depth already bounded by _check_depth)."""
    span = _span(node)
    kind = node.data
    ch = node.children
    if kind == "number":
        return ast.Num(_number(ch[0]), span)
    if kind == "name":
        return ast.Name(str(ch[0]), span)
    if kind == "call":
        args = tuple(_expr(a) for a in ch[1:] if a is not None)
        return ast.Call(str(ch[0]), args, span)
    if kind in _BINARY:
        return ast.Binary(_BINARY[kind], _expr(ch[0]), _expr(ch[1]), span)
    if kind in ("neg", "pos"):
        return ast.Unary("-" if kind == "neg" else "+", _expr(ch[0]), span)
    if kind == "vector":
        return ast.Vector(tuple(_expr(c) for c in ch), span)
    if kind == "component":
        return ast.Component(_expr(ch[0]), str(ch[1]), _span(ch[1]))
    if kind == "rhs":
        return _expr(ch[0])
    if kind == "rhs_exact":
        return ast.Keyword("exact", span)
    if kind == "rhs_manufactured":
        return ast.Keyword("manufactured", span)
    raise AssertionError(f"unhandled expression node {kind}")  # grammar and parser disagree


def _pieces(selector: Tree) -> tuple:
    out = []
    for piece in selector.children:
        name = _ident(piece.children[0])
        value = _expr(piece.children[1]) if piece.data == "coord_piece" else None
        out.append(ast.Piece(name, value, _span(piece)))
    return tuple(out)


def _conditions(tree: Tree) -> tuple:
    return tuple(
        ast.Condition(
            _expr(c.children[0]), _expr(c.children[1]), _span(c), c.children[2] is not None
        )
        for c in tree.children
    )


_SHAPE_OPS = {"shape_union": "+", "shape_difference": "-", "shape_intersection": "&"}


def _shape(node):
    span, ch = _span(node), node.children
    if node.data == "shape_ref":
        return ast.ShapeRef(str(ch[0]), span)
    if node.data == "shape_call":
        return ast.ShapeCall(str(ch[0]), tuple(_expr(a) for a in ch[1:] if a is not None), span)
    return ast.ShapeOp(_SHAPE_OPS[node.data], _shape(ch[0]), _shape(ch[1]), span)


def _interval(tree: Tree) -> tuple:
    return (_expr(tree.children[0]), _expr(tree.children[1]))


def _statement(st: Tree):
    span, ch, kind = _span(st), st.children, st.data
    if kind == "problem_stmt":
        title = str(ch[1])[1:-1] if ch[1] is not None else None
        return ast.ProblemStmt(_ident(ch[0]), title, span)
    if kind == "param_stmt":
        return ast.ParamStmt(_ident(ch[0]), _expr(ch[1]), span)
    if kind == "unknown_stmt":
        bounds = _interval(ch[2]) if ch[2] is not None else None
        return ast.UnknownStmt(_ident(ch[0]), _expr(ch[1]), bounds, span)
    if kind == "data_stmt":
        path = str(ch[-1])[1:-1]
        fields = tuple(_ident(t) for t in ch[1:-1])
        return ast.DataStmt(_ident(ch[0]), fields, path, span)
    if kind == "domain_stmt":
        coords = tuple(_ident(t) for t in ch[0].children)
        return ast.DomainStmt(coords, tuple(_interval(t) for t in ch[1:]), span)
    if kind == "domain_shape_stmt":
        coords = tuple(_ident(t) for t in ch[0].children)
        return ast.DomainStmt(coords, (), span, _shape(ch[1]))
    if kind == "shape_stmt":
        return ast.ShapeStmt(_ident(ch[0]), _shape(ch[1]), span)
    if kind == "periodic_stmt":
        return ast.PeriodicStmt(tuple(_ident(t) for t in ch), span)
    if kind == "quantity_stmt":
        region = ch[2]
        where = (
            ast.Keyword("domain", _span(region))
            if region.data == "region_domain"
            else _pieces(region.children[0])
        )
        expect = _expr(ch[3]) if ch[3] is not None else None
        return ast.QuantityStmt(_ident(ch[0]), _expr(ch[1]), where, expect, span)
    if kind == "time_stmt":
        return ast.TimeStmt(_ident(ch[0]), _interval(ch[1]), span)
    if kind == "field_stmt":
        return ast.FieldStmt(tuple(_ident(t) for t in ch), span)
    if kind == "let_stmt":
        params = tuple(_ident(t) for t in ch[1].children) if ch[1] is not None else ()
        return ast.LetStmt(_ident(ch[0]), _expr(ch[2]), span, params)
    if kind == "exact_stmt":
        return ast.ExactStmt(_ident(ch[0]), _expr(ch[1]), span)
    if kind == "pde_stmt":
        return ast.PdeStmt(_ident(ch[0]), _expr(ch[1]), _expr(ch[2]), span)
    if kind == "boundary_stmt":
        return ast.BoundaryStmt(_ident(ch[0]), _pieces(ch[1]), span)
    if kind == "bc_stmt":
        return ast.BcStmt(_ident(ch[0]), _pieces(ch[1]), _conditions(ch[2]), span)
    if kind == "ic_stmt":
        name = _ident(ch[0]) if ch[0] is not None else None
        coord = _ident(ch[1]) if ch[1] is not None else None
        value = _expr(ch[2]) if ch[2] is not None else None
        return ast.IcStmt(name, coord, value, _conditions(ch[3]), span)
    if kind == "output_stmt":
        return ast.OutputStmt(_ident(ch[0]), _expr(ch[1]), span)
    if kind == "feature_stmt":
        return ast.FeatureStmt(_ident(ch[0]), _expr(ch[1]), span)
    raise AssertionError(f"unhandled statement {kind}")
