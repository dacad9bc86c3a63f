"""Each class of mistake gives FILE:LINE:COL, a precise message, the line, a caret, a hint."""

from __future__ import annotations

import pytest

from mpinn.lang.diagnostics import MpError
from mpinn.lower import load, lower_source

HEAD = """problem p
param gamma = 1
domain x in [0, 1]
field u, v
"""  # four lines: the statement under test is on line 5


def error_of(source: str, filename: str = "bad.mp") -> MpError:
    with pytest.raises(MpError) as info:
        lower_source(source, filename)
    return info.value


def check(err: MpError, line: int, col: int, *fragments: str, hint: str | None = None):
    assert (err.line, err.column) == (line, col), err.format()
    for fragment in fragments:
        assert fragment in err.message, err.format()
    text = err.format()
    assert text.startswith(f"bad.mp:{line}:{col}: error: {err.message}")
    shown = text.splitlines()
    caret = shown[2]
    assert caret.strip().startswith("^") and caret.index("^") == 4 + col - 1
    if hint is not None:
        assert err.hint and hint in err.hint, text
        assert f"  hint: {err.hint}" in text
    return text


def test_syntax_error_says_what_was_expected():
    err = error_of(HEAD + "pde e: -dxx(u) + = 1\n")
    text = check(err, 5, 18, "unexpected '='", hint="expected")
    assert "a name" in err.hint and "a number" in err.hint
    assert "    pde e: -dxx(u) + = 1" in text


def test_syntax_error_missing_operator_and_misspelt_keyword():
    err = error_of(HEAD + "pde e: 2 u = 1\n")
    check(err, 5, 10, "unexpected name 'u'", hint="operator is missing")
    err = error_of(HEAD + "pdee e: u = 1\n")
    check(err, 5, 1, "unexpected name 'pdee'", hint="did you mean 'pde'?")


def test_unexpected_end_of_file():
    err = error_of(HEAD + "pde e: u = (1 + v\n")
    check(err, 5, 18, "unexpected end of file", hint="expected ')'")


def test_unknown_name_with_did_you_mean():
    err = error_of(HEAD + "pde e: -dxx(u) + gama*v = 1\n")
    check(err, 5, 18, "unknown name 'gama'", hint="did you mean 'gamma'?")
    err = error_of(HEAD + "pde e: -dxx(u) + sinn(v) = 1\n")
    check(err, 5, 18, "unknown function 'sinn'", hint="'sin'")


def test_derivative_with_respect_to_a_non_coordinate():
    err = error_of(HEAD + "pde e: -dyy(u) + v = 1\n")
    check(err, 5, 9, "derivative with respect to 'y'", "not a coordinate", hint="coordinates: x")
    err = error_of(HEAD + "pde e: d(u, z) = 0\n")
    check(err, 5, 13, "derivative with respect to 'z'")


def test_time_derivative_without_time_interval():
    err = error_of(HEAD + "pde e: dt(u) - dxx(u) = 0\n")
    check(err, 5, 8, "time derivative", "no time interval", hint="time t in [0, 1]")


def test_wrong_number_of_arguments():
    err = error_of(HEAD + "pde e: sin(u, v) = 0\n")
    check(err, 5, 8, "sin() takes 1 argument, got 2")
    err = error_of(HEAD + "pde e: dot(u) = 0\n")
    check(err, 5, 8, "dot() takes 2 arguments, got 1", hint="dot(a, b)")
    err = error_of(HEAD + "let G(a, b) = a*b\npde e: G(u) = 0\n")
    check(err, 6, 8, "G() takes 2 arguments, got 1", hint="G(a, b)")


def test_duplicate_names():
    err = error_of(HEAD + "param gamma = 2\n")
    check(err, 5, 7, "duplicate name 'gamma'", "parameter (line 2)")
    err = error_of(HEAD + "pde e: u = 0\npde e: v = 0\n")
    check(err, 6, 5, "duplicate name 'e'", "line 5", hint="own name")


def test_vector_scalar_misuse():
    err = error_of(HEAD + "pde e: grad(u) + u = 0\n")
    check(err, 5, 8, "cannot add a vector and a scalar", hint="both scalars")
    err = error_of(HEAD + "pde e: div(u) = 0\n")
    check(err, 5, 8, "div() of a scalar", hint="div(grad(u))")
    err = error_of(HEAD + "pde e: sin(grad(u)) = 0\n")
    check(err, 5, 12, "expected a scalar here, got a vector")


def test_selector_that_matches_no_boundary():
    err = error_of(HEAD + "pde e: u = 0\nbc b on x = 0 or x = 2: u = 0\n")
    check(err, 6, 18, "selector 'x = 2' matches no boundary", hint="x = 0 and x = 1")
    err = error_of(HEAD + "pde e: u = 0\nbc b on rigth: u = 0\n")
    check(err, 6, 9, "unknown boundary 'rigth'", hint="did you mean 'right'?")


def test_manufactured_without_exact_solution():
    err = error_of(HEAD + "exact u = sin(pi*x)\npde e: -dxx(v) + u = manufactured\n")
    check(err, 6, 22, "'manufactured' needs an exact solution for 'v'", hint="exact v = ...")


def test_limits_are_diagnostics_not_crashes():
    err = error_of(HEAD + "param big = 10^10^10\n")
    check(err, 5, 16, "exponent", "too large")
    err = error_of(HEAD + "pde e: d(u, x, x, x, x, x, x, x) = 0\n")
    check(err, 5, 8, "derivative of order 7 is too high")


def test_load_attaches_the_file_name(tmp_path):
    path = tmp_path / "oops.mp"
    path.write_text(HEAD + "pde e: u + = 0\n")
    with pytest.raises(MpError) as info:
        load(path)
    assert info.value.format().startswith(f"{path}:5:12: error: unexpected '='")


def test_long_lines_are_shown_as_a_window_around_the_caret():
    source = HEAD + "pde e: " + " + ".join(["u"] * 100) + " + gama = 0\n"
    err = error_of(source)
    text = err.format()
    shown, caret = text.splitlines()[1:3]
    assert len(shown) < 120 and "..." in shown
    assert shown[caret.index("^") :].startswith("gama")


def test_output_using_fields_must_not_cycle_or_differentiate():
    body = "pde eu: -dxx(u) = 1\npde ev: -dxx(v) = 1\n"
    err = error_of(HEAD + "output u = exp(net - v)\noutput v = net + u\n" + body)
    check(err, 5, 12, "cycle", hint="at most one")
    err = error_of(HEAD + "output u = net + dx(v)\n" + body)
    check(err, 5, 12, "derivative", hint="values")
    err = error_of(HEAD + "output u = net*u\n" + body)
    check(err, 5, 12, "'u' itself", hint="net")


def test_crlf_files_and_titles_or_comments_with_brackets():
    """Lines are counted at "\\n" only, as the parser counts them, and the CR of a CRLF
    ending is not shown; brackets and operators inside a title or comment are not code."""
    err = error_of((HEAD + "pde e: -dxx(u) + = 1\n").replace("\n", "\r\n"))
    text = check(err, 5, 18, "unexpected '='")
    assert "\r" not in text
    err = error_of((HEAD + "pde e: u = (1 + v\n").replace("\n", "\r\n"))
    check(err, 5, 18, "unexpected end of file")
    title = 'problem p "' + "(" * 60 + "-" * 2100 + '"  # ' + "[" * 60 + "\n"
    source = title + HEAD.split("\n", 1)[1] + "pde e: u = 0\npde f: v = 0\n"
    assert lower_source(source, "ok.mp").title.startswith("((((")
