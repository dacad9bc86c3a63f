"""``mpinn check FILE``: parse and lower a problem, print the system and its warnings.
Imports no torch (a syntax check costs well under a second)."""

from __future__ import annotations

from .common import load_problem, problem_path


def cmd_check(args, console) -> int:
    from .describe import render

    render(load_problem(problem_path(args.file)), console)
    return 0


def register(sub) -> None:
    p = sub.add_parser("check", help="parse a .mp file and print the lowered system")
    p.add_argument("file", help="problem file (.mp) or the name of a shipped problem")
    p.set_defaults(run=cmd_check)
