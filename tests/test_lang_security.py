"""A problem file is data: embedded Python is rejected with a diagnostic and never runs."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from mpinn.lang.diagnostics import MpError
from mpinn.lower import load, lower_source

HEAD = """problem p
domain x in [0, 1]
field u
"""
PACKAGE = Path(__file__).resolve().parents[1] / "mpinn"


def payloads(marker: Path) -> list[str]:
    cmd = f"touch {marker}"
    return [
        f'pde e: __import__("os").system("{cmd}") = 0',
        f'param a = __import__("os").system("{cmd}")',
        "let a = u.__class__.__base__.__subclasses__()",
        "pde e: x.__class__ = 0",
        f'pde e: (lambda q: __import__("os").system("{cmd}"))(1) = 0',
        "pde e: lambda x: x = 0",
        f"pde e: eval(\"__import__('os').system('{cmd}')\") = 0",
        f"pde e: exec(\"import os; os.system('{cmd}')\") = 0",
        "pde e: eval(u) = 0",
        "pde e: exec(u) = 0",
        f"pde e: `touch {marker}` = 0",
        f"pde e: f\"{{__import__('os').system('{cmd}')}}\" = 0",
        "pde e: __builtins__ = 0",
        "pde e: u = os.system(1)",
        f'pde e: u = 0 ; import os; os.system("{cmd}")',
        f'import os\nos.system("{cmd}")',
        "pde e: Symbol(u) = 0",
        "pde e: sympify(u) = 0",
        "pde e: getattr(u, x) = 0",
        "pde e: u[0] = 0",
    ]


def test_embedded_python_is_rejected_and_never_runs(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    marker = tmp_path / "MARKER"
    for i, payload in enumerate(payloads(marker)):
        path = tmp_path / f"evil{i}.mp"
        path.write_text(HEAD + payload + "\nbc b on all: u = 0\n")
        try:
            load(path)
        except MpError as exc:
            err = exc
        else:
            pytest.fail(f"payload {i} was accepted: {payload}")
        assert err.severity == "error"
        text = err.format()
        assert text.startswith(f"{path}:"), text
        assert not marker.exists(), f"payload {i} ran: {payload}"
    assert not (tmp_path / "MARKER").exists()


def test_shell_text_in_a_title_or_comment_is_inert_data(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    path = tmp_path / "ok.mp"
    path.write_text(
        'problem p "$(touch MARKER)"\n'
        + HEAD.split("\n", 1)[1]
        + "pde e: u = 0  # `touch MARKER`; rm -rf /\nbc b on all: u = 0\n"
    )
    problem = load(path)
    assert problem.title == "$(touch MARKER)"
    assert not (tmp_path / "MARKER").exists()


def test_dunder_and_attribute_syntax_get_a_precise_hint():
    path_text = HEAD + "pde e: u.__class__ = 0\n"
    from mpinn.lower import lower_source

    with pytest.raises(MpError) as info:
        lower_source(path_text, "a.mp")
    assert (info.value.line, info.value.column) == (4, 9)
    assert "no attribute access" in info.value.hint
    with pytest.raises(MpError) as info:
        lower_source(HEAD + "pde e: __x = 0\n", "a.mp")
    assert (info.value.line, info.value.column) == (4, 8)
    assert "'_'" in info.value.message


def _code_without_comments_and_strings(text: str) -> str:
    text = re.sub(r'"""[\s\S]*?"""', '""', text)
    text = re.sub(r"#[^\n]*", "", text)
    return text


# The language pipeline: the modules that ever see problem-file text.
LANGUAGE_MODULES = (
    sorted(PACKAGE.glob("lang/*.py"))
    + sorted(PACKAGE.glob("ir/*.py"))
    + sorted(PACKAGE.glob("lower/*.py"))
    + [PACKAGE / "cli" / "describe.py"]
)


@pytest.mark.parametrize("path", sorted(PACKAGE.rglob("*.py")), ids=lambda p: p.name)
def test_no_module_evaluates_text(path):
    code = _code_without_comments_and_strings(path.read_text(encoding="utf-8"))
    for banned in ("eval(", "exec(", "parse_expr("):
        assert re.search(r"(?<![\w.])" + re.escape(banned), code) is None, (
            f"{path.name} calls {banned}"
        )


@pytest.mark.parametrize("path", LANGUAGE_MODULES, ids=lambda p: p.name)
def test_language_modules_never_sympify_or_import_dynamically(path):
    text = path.read_text(encoding="utf-8")
    assert "sympify(" not in text, f"{path.name} mentions sympify("
    assert "parse_expr" not in _code_without_comments_and_strings(text)
    assert "__import__" not in _code_without_comments_and_strings(text)
    assert "getattr(" not in _code_without_comments_and_strings(text) or path.parent.name not in (
        "lower",
        "ir",
    )


# --- terminal control characters: refused by the parser, escaped by every printer --------
GOOD = """domain x in [0, 1]
field u
pde e: -dxx(u) = 1
bc b on all: u = 0
"""

# (raw text, what the escaped output shows)
HOSTILE = [
    ("\x1b[31m", "\\x1b[31m"),  # SGR colour
    ("\x1b]0;pwned\x07", "\\x1b]0;pwned\\x07"),  # OSC: set the window title
    ("\x1b[2J\x1b[H", "\\x1b[2J\\x1b[H"),  # clear the screen
    ("\rb", "\\rb"),  # carriage return: overwrite the line
    ("\x08\x08", "\\x08\\x08"),  # backspace
    ("\x9b31m", "\\x9b31m"),  # C1 CSI
    ("\x7f", "\\x7f"),  # DEL
    ("\x00", "\\x00"),
    ("\x0c", "\\x0c"),  # form feed
    ("\u202eabc", "\\u202eabc"),  # right-to-left override (Trojan Source)
    ("\u2066x\u2069", "\\u2066x\\u2069"),  # bidi isolates
    ("\u200b", "\\u200b"),  # zero-width space
    ("\u2028", "\\u2028"),  # line separator
]


def _check_cli(path, capsys) -> tuple[int, str, str]:
    from mpinn.cli import main

    rc = main(["check", str(path)])
    out, err = capsys.readouterr()
    return rc, out, err


def _raw_chars(text: str) -> set:
    """The hostile characters (not their escapes) that made it into ``text``."""
    from mpinn.lang.diagnostics import is_hidden

    return {ch for raw, _ in HOSTILE for ch in raw if is_hidden(ch) and ch in text}


@pytest.mark.parametrize("raw, shown", HOSTILE, ids=[s for _, s in HOSTILE])
def test_hostile_title_is_refused_with_an_escaped_diagnostic(tmp_path, capsys, raw, shown):
    path = tmp_path / "t.mp"
    path.write_text(f'problem p "before {raw} after"\n' + GOOD, encoding="utf-8", newline="")
    rc, out, err = _check_cli(path, capsys)
    assert rc == 2
    assert "\x1b" not in out + err and not _raw_chars(out + err), repr(out + err)
    if "\r" in raw:  # reading a file turns a lone CR into a line break: a syntax error
        assert err.startswith(f"{path}:1:11: error: unexpected character"), err
        with pytest.raises(MpError) as info:  # text that is not read from a file
            lower_source(f'problem p "before {raw} after"\n' + GOOD, "t.mp")
        err = info.value.format() + "\n"
        path = "t.mp"
    assert err.startswith(f"{path}:1:19: error: invisible character U+{ord(raw[0]):04X}"), err
    assert shown in err
    caret = err.splitlines()[2]
    assert err.splitlines()[1][caret.index("^") :].startswith(shown[:4])


@pytest.mark.parametrize("where", ["comment", "code"])
def test_control_characters_are_refused_outside_titles_too(tmp_path, capsys, where):
    line = "field u  # \x1b[8m hidden" if where == "comment" else "field u\x1b[8m"
    path = tmp_path / "c.mp"
    path.write_text("problem p\r\ndomain x in [0, 1]\r\n" + line + "\r\n" + GOOD.split("\n", 2)[2])
    rc, out, err = _check_cli(path, capsys)
    assert rc == 2 and "\x1b" not in out + err and "\r" not in err
    col = line.index("\x1b") + 1
    assert err.startswith(f"{path}:3:{col}: error: invisible character U+001B (ESCAPE)"), err
    assert "\\x1b[8m" in err


def test_tabs_crlf_bom_and_non_ascii_titles_are_fine(tmp_path, capsys):
    path = tmp_path / "ok.mp"
    text = '\ufeffproblem p "Électro-osmose\t(((( ü 电 ----"  # a (((( comment\n' + GOOD
    path.write_text(text.replace("\n", "\r\n"), encoding="utf-8", newline="")
    rc, out, err = _check_cli(path, capsys)
    assert rc == 0, err
    assert "Électro-osmose\\t(((( ü 电 ----" in out and "\r" not in out


def test_printers_escape_what_bypasses_the_parser(tmp_path, capsys):
    """Defence in depth: a title or file name that never went through the parser (built in
    code, read back from a run directory, given on the command line) is escaped too."""
    import dataclasses
    import io

    from rich.console import Console

    from mpinn.cli.describe import render
    from mpinn.lang.diagnostics import Span, format_message, printable
    from mpinn.lower import lower_source

    problem = lower_source("problem p\n" + GOOD, "plain.mp")
    for raw, shown in HOSTILE:
        hostile = dataclasses.replace(problem, title=f"t {raw}", filename=f"f{raw}.mp")
        buffer = io.StringIO()
        render(hostile, Console(file=buffer, width=200, force_terminal=False))
        text = buffer.getvalue()
        assert not _raw_chars(text), repr(text)
        assert f"t {shown}" in text and f"f{shown}.mp" in text
        assert printable(raw) == shown

    message = format_message(
        "a\x1b[31m.mp", "pde e: \x1b[2J + = 0\n", Span(1, 13, 1, 14), "bad \x1b", "hint \x07"
    )
    lines = message.splitlines()
    assert lines[0] == "a\\x1b[31m.mp:1:13: error: bad \\x1b"
    assert lines[1] == "    pde e: \\x1b[2J + = 0" and lines[3] == "  hint: hint \\x07"
    assert lines[1][lines[2].index("^") :].startswith("+ = 0")  # under the escaped text

    evil = tmp_path / "x\x1b]0;pwned\x07.mp"
    evil.write_text("problem p\nfield u\n")
    rc, out, err = _check_cli(evil, capsys)
    assert rc == 2 and "\x1b" not in out + err and "\x07" not in out + err
    assert "x\\x1b]0;pwned\\x07.mp" in err


def test_ordinary_text_is_printed_unchanged():
    from mpinn.lang.diagnostics import printable

    for text in ("Electroosmotic flow", "Électro-osmose ü 电 ∇²u = 0", "C:\\runs\\a [b]", ""):
        assert printable(text) == text


# --- checking time is linear in the size of the file -------------------------------------
def _cpu_seconds_to_check(path, capsys) -> float:
    import time

    start = time.process_time()
    rc, _, err = _check_cli(path, capsys)
    elapsed = time.process_time() - start
    assert rc == 0, err
    return elapsed


def test_a_60_kB_title_checks_in_linear_time(tmp_path, capsys):
    """rich's automatic highlighter took quadratic time on long words: a 60 kB title took
    over 30 s of CPU to print (1.6 s for 15 kB). It is now a few hundredths of a second."""
    (tmp_path / "warm.mp").write_text("problem p\n" + GOOD)
    _cpu_seconds_to_check(tmp_path / "warm.mp", capsys)  # imports and parser tables
    for title in ("a" * 59_000, "f(x" * 19_600, "word " * 11_800):
        path = tmp_path / "long.mp"
        path.write_text(f'problem p "{title}"\n' + GOOD)
        assert _cpu_seconds_to_check(path, capsys) < 3.0


def test_checking_many_statements_is_linear(tmp_path, capsys):
    def lets(size: int) -> str:
        lines = [f"let a{i} = x + {i}\n" for i in range(size // 18)]
        return "problem p\n" + GOOD + "".join(lines)

    times = {}
    for size in (2_000, 8_000, 32_000):  # the first one warms up
        path = tmp_path / f"lets{size}.mp"
        path.write_text(lets(size))
        assert len(path.read_bytes()) > 0.8 * size
        times[size] = _cpu_seconds_to_check(path, capsys)
    # linear: about 4x for 4x the size; quadratic would be 16x
    assert times[32_000] < 8 * max(times[8_000], 0.05), times
