"""Stage 1, text → syntax tree: the grammar (``mpinn.lark``), the parser, the syntax tree
(:mod:`.ast`) and the diagnostics every later stage reports mistakes with."""

from .diagnostics import MpError, Span, did_you_mean
from .parser import parse

__all__ = ["MpError", "Span", "did_you_mean", "parse"]
