"""The shipped parse tables (mpinn/lang/tables.py) match the grammar and parse exactly as a
parser built from the grammar does: same trees, same positions, same syntax errors."""

from pathlib import Path

import lark
import pytest

from mpinn.lang import parser, tables
from mpinn.lang.diagnostics import MpError

ROOT = Path(__file__).resolve().parents[1]
PROBLEMS = sorted((ROOT / "problems").glob("*.mp")) + sorted((ROOT / "examples").glob("**/*.mp"))

BAD = [
    "problem p\nparam = 3\n",
    "problem p\ndomain x in [0, 1\n",
    "problem p\nfield u\npde u: dxx(u) = = 1\n",
    "problem p\nfield u\npde u: dxx(u) @ 1\n",
    "problem p\nfield u\nbc left on x = 0: u = \n",
]


def test_tables_match_the_grammar():
    assert tables.GRAMMAR_SHA256 == parser.grammar_sha256(parser.grammar_text()), (
        "mpinn.lark changed: run `python -m mpinn.lang.tables_build`"
    )


@pytest.mark.skipif(
    tables.LARK_VERSION != lark.__version__, reason="tables built for another lark version"
)
def test_shipped_parser_is_the_loaded_one_and_parses_like_a_fresh_build(monkeypatch):
    shipped = parser._lark()
    fresh = parser.build(parser.grammar_text())
    assert shipped.source_path == "<deserialized>"  # the tables were used, not a rebuild
    assert PROBLEMS
    for path in PROBLEMS:
        text = path.read_text()
        a, b = shipped.parse(text), fresh.parse(text)
        assert a == b, path
        assert [t.meta.line for t in a.children] == [t.meta.line for t in b.children]
        assert [t.meta.column for t in a.children] == [t.meta.column for t in b.children]
    for text in BAD:
        with pytest.raises(MpError) as with_tables:
            parser.parse(text)
        monkeypatch.setattr(parser, "_lark", lambda f=fresh: f)
        with pytest.raises(MpError) as with_fresh:
            parser.parse(text)
        monkeypatch.undo()
        assert with_tables.value.format() == with_fresh.value.format()
