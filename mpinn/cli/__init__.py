"""Stage 9, the command line: ``mpinn check | solve | resume | plot | reference |
ntk-check | sweep``. One module per subcommand (each with ``register(subparsers)``),
shared helpers in :mod:`.common`. Nothing else in mpinn imports this package.

Exit codes: 0 success, 1 a run failed (e.g. training diverged), 2 bad input (problem file,
configuration or options) — reported as a diagnostic, never as a traceback; 128 + the
signal's number when SIGINT (130), SIGTERM (143) or SIGHUP (129) paused a run, whose
state and results were saved first (`mpinn resume` continues it).
Subcommands import their heavy dependencies (torch, matplotlib) when they run, so
``mpinn --help`` and ``mpinn check`` never import torch.
"""

from __future__ import annotations

import os
import sys

from rich.console import Console

from .. import __version__
from ..config import ConfigError
from ..lang.diagnostics import MpError, printable
from . import check, export, ntk, plot, reference, report, resume, solve, sweep, synth
from .common import Parser, UsageError

#: The width of tables when the output is not a terminal and $COLUMNS is not set.
PLAIN_WIDTH = 160

#: The subcommands, in the order `mpinn --help` lists them.
COMMANDS = (check, solve, resume, plot, report, export, reference, ntk, sweep, synth)


def make_parser() -> Parser:
    parser = Parser(
        prog="mpinn",
        description="Coupled multiphysics PDEs with PINNs (SOAP + gradient-norm balancing).",
    )
    parser.add_argument("--version", action="version", version=f"mpinn {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=Parser)
    for command in COMMANDS:
        command.register(sub)
    return parser


def make_console() -> Console:
    """The console of a command: rich as usual on a terminal. Anything else (a file, a
    pipe, CI) gets whole lines, never wrapped at an assumed 80 columns (``soft_wrap``), and
    room for tables: ``$COLUMNS`` if set, else :data:`PLAIN_WIDTH`."""
    console = Console(stderr=False)
    if console.is_terminal:
        return console
    columns = os.environ.get("COLUMNS", "")
    width = None if columns.isdigit() else PLAIN_WIDTH
    return Console(stderr=False, soft_wrap=True, width=width)


def main(argv=None) -> int:
    console = make_console()
    try:
        args = make_parser().parse_args(argv)
        return args.run(args, console)
    except MpError as exc:
        print(exc.format(), file=sys.stderr)  # plain: a wrapped line would misplace the caret
        return 2
    except (ConfigError, UsageError) as exc:
        print(f"error: {printable(str(exc))}", file=sys.stderr)
        return 2
