"""Fuzzing the front end: any text gives a Problem or an MpError, never another exception,
and inputs built to make sympy hang or explode are refused quickly."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mpinn.ir import Problem
from mpinn.lang.diagnostics import MpError
from mpinn.lower import lower_source

PROBLEMS = Path(__file__).resolve().parents[1] / "problems"
SOURCES = {p.name: p.read_text(encoding="utf-8") for p in sorted(PROBLEMS.glob("*.mp"))}
SMALL = [SOURCES[n] for n in sorted(SOURCES) if n != "eof2d.mp"]

TOKENS = [
    "problem",
    "param",
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
    "in",
    "on",
    "or",
    "manufactured",
    "net",
    "normal",
    "x",
    "y",
    "z",
    "t",
    "u",
    "v",
    "gamma",
    "pi",
    "e",
    "all",
    "left",
    "top",
    "d",
    "dx",
    "dxx",
    "dt",
    "dxy",
    "lap",
    "grad",
    "div",
    "dot",
    "dn",
    "sin",
    "exp",
    "log",
    "sqrt",
    "artanh",
    "G",
    "0",
    "1",
    "2.5",
    "1e3",
    "1e-400",
    "10",
    "1000",
    "+",
    "-",
    "*",
    "/",
    "^",
    "**",
    "(",
    ")",
    "[",
    "]",
    ",",
    ":",
    "=",
    "#",
    "\n",
    " ",
    '"t"',
    "×",
    "_",
    ".",
    "__class__",
    "`",
    "'",
    ";",
    "{",
    "}",
    "@",
    "\t",
    "\x00",
    "é",
    "∂",
]
FUZZ = settings(
    max_examples=120,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=list(HealthCheck),
)


def lower_ok(source: str) -> None:
    """The property: a Problem or an MpError with a usable location; nothing else."""
    start = time.perf_counter()
    try:
        result = lower_source(source, "fuzz.mp")
    except MpError as err:
        text = err.format()
        assert text.startswith("fuzz.mp"), text
        assert err.message
    else:
        assert isinstance(result, Problem)
    assert time.perf_counter() - start < 5.0, source[:300]


@FUZZ
@given(
    st.text(
        alphabet=st.sampled_from("abcdefpqrstuvwxyz0123456789 \n+-*/^()[],:=#._\"'`é"), max_size=200
    )
)
def test_random_text(source):
    lower_ok(source)


@FUZZ
@given(st.lists(st.sampled_from(TOKENS), max_size=60))
def test_random_token_streams(tokens):
    lower_ok(" ".join(tokens))


@st.composite
def mutated(draw, sources=SMALL):
    text = draw(st.sampled_from(sources))
    for _ in range(draw(st.integers(1, 4))):
        pos = draw(st.integers(0, len(text)))
        op = draw(st.sampled_from(["insert", "delete", "replace", "token", "duplicate"]))
        if op == "insert":
            text = text[:pos] + draw(st.characters(codec="utf-8")) + text[pos:]
        elif op == "delete":
            text = text[:pos] + text[pos + draw(st.integers(1, 12)) :]
        elif op == "replace":
            text = text[:pos] + draw(st.sampled_from(TOKENS)) + text[pos + 1 :]
        elif op == "token":
            text = text[:pos] + " " + draw(st.sampled_from(TOKENS)) + " " + text[pos:]
        else:
            end = min(len(text), pos + draw(st.integers(1, 40)))
            text = text[:end] + text[pos:end] + text[end:]
    return text


@FUZZ
@given(mutated())
def test_mutations_of_the_1d_problems(source):
    lower_ok(source)


@settings(FUZZ, max_examples=25)
@given(mutated([SOURCES["eof2d.mp"]]))
def test_mutations_of_eof2d(source):
    lower_ok(source)


HEAD = """problem p
param gamma = 1
domain (x, y) in [0, 1] x [0, 1]
field u
"""


def _hostile():
    lets = "let a0 = sin(x) + x\n" + "".join(
        f"let a{i + 1} = sin(a{i}) + a{i}\n" for i in range(40)
    )
    product = (
        "let p0 = "
        + "*".join(f"sin(x + {k})" for k in range(100))
        + "\n"
        + "".join(
            f"let p{i + 1} = p{i}*"
            + "*".join(f"sin(x + {k + 100 * i + 100})" for k in range(100))
            + "\n"
            for i in range(4)
        )
    )
    nested = "let n0 = sin(x)\n" + "".join(f"let n{i + 1} = sin(n{i})\n" for i in range(200))
    return {
        "exponent tower": "param a = 10^10^10",
        "tower of huge powers": "param a = (10^100)^100^100",
        "power of a huge base": "param a = (10^300)^1000",
        "exp exp exp as a param": "param a = exp(exp(exp(1000)))",
        "exp tower in an equation": "pde e: u = exp(exp(exp(exp(exp(1000)))))",
        "huge literal exponent": "param a = 1e999999999",
        "huge literal": "param a = " + "9" * 20000,
        "nested parentheses": "param a = " + "(" * 5000 + "1" + ")" * 5000,
        "nested calls": "param a = " + "sin(" * 3000 + "1" + ")" * 3000,
        "long sum": "param a = " + " + ".join(["1"] * 30000),
        "long sum under the size limit": "param a = " + "+".join(["1"] * 15000),
        "long product of fields": "pde e: " + "*".join(["u"] * 20000) + " = 0",
        "unary minus chain": "param a = " + "-" * 50000 + "1",
        "derivative order": "pde e: d(u, " + ", ".join(["x"] * 200) + ") = 0",
        "shorthand order": "pde e: d" + "x" * 5000 + "(u) = 0",
        "doubling lets": lets + "pde e: dxx(u) + a40 = 0",
        "long products in lets": product + "pde e: dxxx(p4) + u = 0",
        "deep let chain": nested + "pde e: dxx(n200) + u = 0",
        "numbers beyond 1e330": "let b = 10^300*10^300*10^300\npde e: u = b",
        "complex constant": "param a = sqrt(-1)",
        "division by zero": "param a = 1/(gamma - 1)",
        "log of zero": "pde e: u = log(0)",
    }


@pytest.mark.parametrize("name, body", list(_hostile().items()), ids=list(_hostile()))
def test_hostile_inputs_are_refused_quickly(name, body):
    source = HEAD + body + "\nbc b on all: u = 0\n"
    start = time.perf_counter()
    with pytest.raises(MpError) as info:
        lower_source(source, "evil.mp")
    elapsed = time.perf_counter() - start
    assert elapsed < 2.0, f"{name} took {elapsed:.1f} s"
    err = info.value
    assert err.span is not None and err.line >= 1
    assert "cannot interpret this statement" not in err.message, err.format()
    text = err.format()
    assert len(text) < 2000, "the diagnostic shows a window of a long line, not all of it"
