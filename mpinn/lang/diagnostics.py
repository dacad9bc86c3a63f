"""Diagnostics for .mp files: ``FILE:LINE:COL: error: message``, the line, a caret, a hint.

Every mistake in a problem file becomes an :class:`MpError`; the CLI prints it and exits
with code 2. Nothing else about a bad file should ever reach the user as a traceback.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass

MAX_SHOWN = 100  # characters of a long source line shown around the caret


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
    """Render one diagnostic the way compilers do."""
    if span is None:
        out = [f"{filename}: {severity}: {message}"]
    else:
        out = [f"{filename}:{span.line}:{span.column}: {severity}: {message}"]
        lines = source.splitlines()
        if 1 <= span.line <= len(lines):
            text = lines[span.line - 1].expandtabs(1)
            col = min(span.column, len(text) + 1)
            width = 1
            if span.end_line == span.line and span.end_column and span.end_column > span.column:
                width = span.end_column - span.column
            width = max(1, min(width, len(text) - col + 1))
            if len(text) > MAX_SHOWN:  # a window around the caret, not a 10 kB line
                start = max(0, col - 1 - MAX_SHOWN // 2)
                shown = text[start : start + MAX_SHOWN]
                prefix = "..." if start > 0 else ""
                suffix = "..." if start + MAX_SHOWN < len(text) else ""
                text = prefix + shown + suffix
                col = col - start + len(prefix)
                width = max(1, min(width, len(shown) - (col - len(prefix)) + 1))
            out.append(f"    {text}")
            out.append("    " + " " * (col - 1) + "^" + "~" * (width - 1))
    if hint:
        out.append(f"  hint: {hint}")
    return "\n".join(out)


def did_you_mean(name: str, candidates) -> str | None:
    """A 'did you mean' hint for a misspelt name, or None."""
    close = difflib.get_close_matches(name, sorted(set(candidates)), n=3, cutoff=0.6)
    if not close:
        return None
    return "did you mean " + " or ".join(f"'{c}'" for c in close) + "?"
