"""Progress on the command line: the solve progress bar (rich on a terminal, plain lines
otherwise) and a status log for long computations (reference solves, NTK checks).

On a terminal the bar fits its width: the step count, rate, elapsed time and ETA are never
cut; the bar shrinks or goes on narrow terminals and the loss text is truncated to what is
left. When the output is not a terminal (a file, a pipe, CI) rich would draw nothing until
the end, so plain lines are written instead (:mod:`mpinn.train.progress`).
"""

from __future__ import annotations

from rich.console import Console
from rich.markup import escape

from ..train.progress import LineLog, LineProgress, format_info

#: Seconds between two plain progress lines when the output is not a terminal.
LINE_EVERY_S = 5.0


def bar_width(columns: int) -> int | None:
    """The progress bar's width for a terminal this wide (None: no bar)."""
    if columns >= 140:
        return 30
    if columns >= 100:
        return 20
    if columns >= 80:
        return 10
    return None


class RichProgress:
    """The solve progress: step, loss, per-term losses, L2, it/s, ETA. A rich bar on a
    terminal, plain lines (:class:`~mpinn.train.progress.LineProgress`) on anything else."""

    def __init__(self, total: int, console: Console):
        self.total = total
        self.task = None
        self.started = False
        self.lines = None
        if not console.is_terminal:
            self.lines = LineProgress(console.file, total, every_s=LINE_EVERY_S)
            return
        self.progress = _rich_progress(console, total, "train")

    def __enter__(self):  # the bar appears with the first step, not while a run is set up
        return self

    def __exit__(self, *exc):
        if self.lines is not None:
            self.lines.close()
        elif self.started:
            self.progress.__exit__(*exc)

    def update(self, step: int, info: dict) -> None:
        if self.lines is not None:
            self.lines.update(step, info)
            return
        if not self.started:  # a resumed run starts at its step, so the rate is right
            self.task = self.progress.add_task(
                "train", total=self.total, completed=step - 1, rate="", info=""
            )
            self.progress.__enter__()
            self.started = True
        if step % 10 and step != self.total:
            return
        task = self.progress.tasks[self.task]
        rate = f"{task.speed:.0f} it/s" if task.speed else ""
        self.progress.update(self.task, completed=step, rate=rate, info=format_info(info))


def _rich_progress(console: Console, total: int, label: str):
    """A rich Progress whose fixed columns (label, n/total, rate, elapsed, ETA) always
    fit; the free text (``task.fields[info]``) takes the rest of the line, cut with "…"."""
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )
    from rich.table import Column

    def fixed(width=None):
        return Column(no_wrap=True, min_width=width)

    roomy = console.width >= 60  # below that, the label and "eta" go too
    columns = [TextColumn(f"[bold]{label}", table_column=fixed())] if roomy else []
    bar = bar_width(console.width)
    if bar:
        columns.append(BarColumn(bar_width=bar, table_column=fixed(bar)))
    digits = len(str(total))
    columns += [
        MofNCompleteColumn(table_column=fixed(2 * digits + 1)),
        TextColumn("{task.fields[rate]}", table_column=fixed(8)),
        TimeElapsedColumn(table_column=fixed()),
        *([TextColumn("eta", table_column=fixed())] if roomy else []),
        TimeRemainingColumn(table_column=fixed()),
        TextColumn(
            "{task.fields[info]}",
            markup=False,
            table_column=Column(no_wrap=True, overflow="ellipsis", ratio=1, min_width=1),
        ),
    ]
    return Progress(*columns, console=console, transient=False, refresh_per_second=4, expand=True)


class StatusLog:
    """``with StatusLog(console, "reference") as log: ... log("Newton iteration 3 ...")``:
    a spinner showing the latest message on a terminal; plain lines (the first, then at
    most one every :data:`LINE_EVERY_S` seconds, and ``log(msg, force=True)`` at once)
    otherwise. Forced messages are printed on a terminal too."""

    def __init__(self, console: Console, initial: str, every_s: float = LINE_EVERY_S):
        self.console = console
        self.initial = initial
        self.status = None
        self.lines = None
        if console.is_terminal:
            self.status = console.status(escape(initial))
        else:
            self.lines = LineLog(console.file, every_s)

    def __enter__(self):
        if self.status is not None:
            self.status.__enter__()
        else:
            self.lines(self.initial)
        return self

    def __exit__(self, *exc):
        if self.status is not None:
            self.status.__exit__(*exc)
        else:
            self.lines.close()

    def __call__(self, message: str, force: bool = False) -> None:
        if self.lines is not None:
            self.lines(message, force)
            return
        if force:
            self.console.print(message, markup=False, highlight=False)
        else:
            self.status.update(escape(message))
