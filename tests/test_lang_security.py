"""A problem file is data: embedded Python is rejected with a diagnostic and never runs."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from mpinn.lang.diagnostics import MpError
from mpinn.lower import load

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
