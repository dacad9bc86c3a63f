"""What every subcommand shares: usage errors, finding a problem file, and turning the
solve-style options (``--set``, ``--lr``, ...) into configuration overrides.

Nothing here imports torch: ``mpinn check`` and ``mpinn --help`` stay fast.
"""

from __future__ import annotations

import argparse
import dataclasses
import math
from importlib import resources
from pathlib import Path

from ..config import SolveConfig, parse_scalar, set_dotted
from ..lang.diagnostics import did_you_mean

DEFAULT_PROBLEM = "coupled_sym"
CONFIG_KEYS = tuple(f.name for f in dataclasses.fields(SolveConfig))


class UsageError(Exception):
    """Bad command-line input (exit code 2)."""


def builtin_problems() -> dict:
    try:
        root = resources.files("mpinn.problems")
    except ModuleNotFoundError:  # running from a source tree that is not installed
        root = Path(__file__).resolve().parents[2] / "problems"
    return {Path(p.name).stem: Path(str(p)) for p in root.iterdir() if p.name.endswith(".mp")}


def load_problem(path):
    """Read, parse and lower a problem file (sympy is imported here, not at start-up, so
    ``mpinn --help`` stays light)."""
    from ..lower import load

    return load(path)


def problem_path(arg: str | None) -> Path:
    """A path to a .mp file, or the name of a problem shipped with mpinn."""
    if arg is None:
        arg = DEFAULT_PROBLEM
    path = Path(arg)
    if path.is_file():
        return path
    shipped = builtin_problems()
    if arg in shipped:
        return shipped[arg]
    if path.suffix == ".mp" and path.stem in shipped and not path.exists():
        return shipped[path.stem]
    raise UsageError(
        f"no such problem file: {arg} (shipped problems: {', '.join(sorted(shipped))})"
    )


def parse_value(text: str, name: str = "--set"):
    """A --set value: YAML scalar syntax (numbers, true/false, text), read by the same
    safe loader as config files (only true/false are booleans; no aliases)."""
    return parse_scalar(text, name)


def _checked(kind, test, wants: str):
    """An argparse ``type``: ``kind(text)``, refused unless ``test(value)``."""

    def convert(text: str):
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected {wants}, got '{text}'") from None
        if not test(value):
            raise argparse.ArgumentTypeError(f"expected {wants}, got '{text}'")
        return value

    convert.__name__ = wants
    return convert


#: argparse types: refused values are one-line usage errors (exit 2) before anything runs.
count = _checked(int, lambda v: v >= 0, "an integer >= 0")
positive_count = _checked(int, lambda v: v >= 1, "an integer >= 1")
positive_number = _checked(float, lambda v: math.isfinite(v) and v > 0, "a finite number > 0")


def overrides_from_args(args, problem) -> dict:
    """Turn solve-style options into a nested config override dict."""
    data: dict = {}
    for item in args.set or []:
        if "=" not in item:
            raise UsageError(f"--set expects NAME=VALUE, got '{item}'")
        name, raw = item.split("=", 1)
        name = name.strip()
        if not name:
            raise UsageError(f"--set expects NAME=VALUE, got '{item}'")
        value = parse_value(raw.strip(), f"--set {name}")
        if "." in name or (name not in problem.params and name in CONFIG_KEYS):
            data = set_dotted(data, name, value)
            continue
        if name not in problem.params:
            hint = (
                did_you_mean(name, list(problem.params) + list(CONFIG_KEYS))
                or f"parameters: {', '.join(problem.params) or 'none'}"
            )
            raise UsageError(f"--set {name}: '{problem.name}' has no parameter '{name}' ({hint})")
        if not isinstance(value, (int, float)) or isinstance(value, bool):
            raise UsageError(f"--set {name}: expected a number, got '{raw}'")
        if not math.isfinite(value):
            raise UsageError(f"--set {name}: expected a finite number, got '{raw}'")
        data.setdefault("params", {})[name] = value
    for flag, key in (
        ("optimizer", "optimizer.name"),
        ("lr", "optimizer.lr"),
        ("steps", "steps"),
        ("balance", "balance.name"),
        ("seed", "seed"),
        ("device", "device"),
        ("dtype", "dtype"),
        ("threads", "threads"),
    ):
        value = getattr(args, flag, None)
        if value is not None:
            data = set_dotted(data, key, value)
    return data


def param_list(option: str, text: str, problem) -> tuple:
    """``gamma=1,3,10`` -> ("gamma", [1.0, 3.0, 10.0]), checked against the problem's
    parameters (``option`` names the flag in messages: --param, --sweep)."""
    if "=" not in text:
        raise UsageError(f"{option} expects NAME=V1,V2,..., got '{text}'")
    name, raw = (s.strip() for s in text.split("=", 1))
    values = []
    for item in raw.split(","):
        item = item.strip()
        try:
            v = float(item)
        except ValueError:
            raise UsageError(f"{option} {name}: '{item}' is not a number") from None
        if not math.isfinite(v):
            raise UsageError(f"{option} {name}: '{item}' is not a finite number")
        values.append(v)
    if not name or not values:
        raise UsageError(f"{option} expects NAME=V1,V2,..., got '{text}'")
    if name not in problem.params:
        hint = (
            did_you_mean(name, problem.params)
            or f"parameters: {', '.join(problem.params) or 'none'}"
        )
        raise UsageError(f"{option} {name}: '{problem.name}' has no parameter '{name}' ({hint})")
    return name, values


def add_solve_options(p: argparse.ArgumentParser, sweep: bool = False) -> None:
    p.add_argument("--config", help="YAML file with training settings")
    p.add_argument(
        "--set",
        action="append",
        metavar="NAME=VALUE",
        help="override a problem parameter (gamma=10) or a config key "
        "(optimizer.lr=1e-3); repeatable",
    )
    if not sweep:
        p.add_argument("--optimizer", help="soap | adam | lbfgs | soap+lbfgs | adam+lbfgs")
        p.add_argument("--seed", type=count, help="network initialisation and sampling seed")
    p.add_argument("--lr", type=positive_number, help="learning rate")
    p.add_argument("--steps", type=count, help="training steps")
    p.add_argument("--balance", help="loss balancing: gradnorm | none")
    p.add_argument("--device", help="cpu | cuda")
    p.add_argument("--dtype", choices=["float32", "float64"])
    p.add_argument("--threads", type=count, help="torch CPU threads (default 1; 0 = one per core)")


class Parser(argparse.ArgumentParser):
    """argparse with usage errors as :class:`UsageError` (exit 2 with one line)."""

    def error(self, message):
        raise UsageError(f"{self.prog}: {message}")
