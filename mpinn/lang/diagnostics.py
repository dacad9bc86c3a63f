r"""Diagnostics for .mp files: ``FILE:LINE:COL: error: message``, the line, a caret, a hint.

Every mistake in a problem file becomes an :class:`MpError`; the CLI prints it and exits
with code 2. Nothing else about a bad file should ever reach the user as a traceback.

Text that comes from a problem file or a command line (titles, file names, source lines,
tokens quoted in messages) is shown through :func:`printable`, which writes terminal
escape codes, carriage returns, bidirectional overrides and other invisible controls as
visible escapes (ESC becomes the four characters ``\x1b``). The parser already refuses
such characters in a problem file (see :func:`mpinn.lang.parser.parse`); escaping on output
as well is defence in depth, because text reaches the printers by other routes too (file
names, run directories, ``metrics.json``).
"""

from __future__ import annotations

import difflib
import unicodedata
from dataclasses import dataclass

MAX_SHOWN = 100  # characters of a long source line shown around the caret

#: Unicode categories shown escaped by :func:`printable` (and refused by the parser):
#: controls (C0, DEL, C1: ESC, CR, BEL, ...), format characters (bidirectional overrides
#: and isolates, zero-width characters, BOM), surrogates, line and paragraph separators.
HIDDEN_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Zl", "Zp"})


def is_hidden(ch: str) -> bool:
    """Whether one character could act on a terminal or hide or reorder displayed text."""
    return unicodedata.category(ch) in HIDDEN_CATEGORIES


_SHORT_ESCAPES = {"\t": "\\t", "\n": "\\n", "\r": "\\r"}


def _escaped(ch: str) -> str:
    if ch in _SHORT_ESCAPES:
        return _SHORT_ESCAPES[ch]
    code = ord(ch)
    if code < 0x100:
        return f"\\x{code:02x}"
    if code < 0x10000:
        return f"\\u{code:04x}"
    return f"\\U{code:08x}"


def printable(text: str) -> str:
    r"""``text`` with every hidden character (see :data:`HIDDEN_CATEGORIES`; tab and newline
    included) written as a visible Python-style escape: ``\x1b``, ``\u202e``, ``\r``. Linear in the
    length; text without such characters is returned unchanged (the common case costs one
    ``str.isprintable``). Backslashes are left alone: they cannot occur in a title, and
    doubling them would mangle Windows paths."""
    if text.isprintable():
        return text
    return "".join(_escaped(ch) if is_hidden(ch) else ch for ch in text)


@dataclass(frozen=True)
class Span:
    """Where a construct sits in the source (1-based line and column)."""

    line: int
    column: int
    end_line: int | None = None
    end_column: int | None = None


class MpError(Exception):
    """A problem-file error with a location, a message and a hint."""

    def __init__(
        self,
        message: str,
        span: Span | None = None,
        hint: str | None = None,
        severity: str = "error",
    ):
        super().__init__(message)
        self.message = message
        self.span = span
        self.hint = hint
        self.severity = severity
        self.filename = "<input>"
        self.source = ""

    def attach(self, filename: str, source: str) -> MpError:
        """Record which file the span refers to (done once, at the top of the pipeline)."""
        self.filename = filename
        self.source = source
        return self

    @property
    def line(self) -> int:
        return self.span.line if self.span else 0

    @property
    def column(self) -> int:
        return self.span.column if self.span else 0

    def format(self) -> str:
        return format_message(
            self.filename, self.source, self.span, self.message, self.hint, self.severity
        )

    def __str__(self) -> str:  # pragma: no cover - convenience
        return self.format()


def format_message(
    filename: str,
    source: str,
    span: Span | None,
    message: str,
    hint: str | None,
    severity: str = "error",
) -> str:
    """Render one diagnostic the way compilers do. Every piece is passed through
    :func:`printable`, so nothing in the file name, the message, the hint or the quoted
    source line can act on the terminal; the caret is placed under the escaped text."""
    filename, message = printable(filename), printable(message)
    if span is None:
        out = [f"{filename}: {severity}: {message}"]
    else:
        out = [f"{filename}:{span.line}:{span.column}: {severity}: {message}"]
        shown = _source_line(source, span)
        if shown is not None:
            text, col, width = shown
            out.append(f"    {text}")
            out.append("    " + " " * (col - 1) + "^" + "~" * (width - 1))
    if hint:
        out.append(f"  hint: {printable(hint)}")
    return "\n".join(out)


def _line_of(source: str, number: int) -> str | None:
    r"""Line ``number`` (1-based) as the parser counts lines: only ``\n`` ends one (unlike
    ``str.splitlines``, which also splits at form feeds, ``\x1c``-``\x1e``, U+2028, ...);
    the ``\r`` of a CRLF ending is dropped."""
    if number < 1:
        return None
    lines = source.split("\n", number)  # stops after the line wanted
    if len(lines) < number or (number == len(lines) and not lines[-1]):
        return None  # past the end (the empty remainder after a final newline is no line)
    line = lines[number - 1]
    return line[:-1] if line.endswith("\r") else line


def _source_line(source: str, span: Span):
    """(escaped text, caret column, caret width) of the span's line, or None."""
    raw = _line_of(source, span.line)
    if raw is None:
        return None
    text = raw.expandtabs(1)
    col = min(span.column, len(text) + 1)
    width = 1
    if span.end_line == span.line and span.end_column and span.end_column > span.column:
        width = span.end_column - span.column
    width = max(1, min(width, len(text) - col + 1))
    prefix = suffix = ""
    if len(text) > MAX_SHOWN:  # a window around the caret, not a 10 kB line
        start = max(0, col - 1 - MAX_SHOWN // 2)
        prefix = "..." if start > 0 else ""
        suffix = "..." if start + MAX_SHOWN < len(text) else ""
        text = text[start : start + MAX_SHOWN]
        col -= start
        width = max(1, min(width, len(text) - col + 1))
    before = prefix + printable(text[: col - 1])
    marked = printable(text[col - 1 : col - 1 + width])
    after = printable(text[col - 1 + width :]) + suffix
    return before + marked + after, len(before) + 1, max(1, len(marked))


def did_you_mean(name: str, candidates) -> str | None:
    """A 'did you mean' hint for a misspelt name, or None."""
    close = difflib.get_close_matches(name, sorted(set(candidates)), n=3, cutoff=0.6)
    if not close:
        return None
    return "did you mean " + " or ".join(f"'{c}'" for c in close) + "?"
