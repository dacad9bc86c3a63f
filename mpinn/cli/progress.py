"""The solve progress bar (rich): step, loss, per-term losses, L2, it/s, ETA."""

from __future__ import annotations

from rich.console import Console


class RichProgress:
    """The solve progress bar: step, loss, per-term losses, L2, it/s, ETA."""

    def __init__(self, total: int, console: Console):
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,
            TextColumn,
            TimeElapsedColumn,
            TimeRemainingColumn,
        )

        self.progress = Progress(
            TextColumn("[bold]train"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("{task.fields[rate]}"),
            TimeElapsedColumn(),
            TextColumn("eta"),
            TimeRemainingColumn(),
            TextColumn("{task.fields[info]}"),
            console=console,
            transient=False,
            refresh_per_second=4,
        )
        self.total = total
        self.task = None
        self.started = False

    def __enter__(self):  # the bar appears with the first step, not while a run is set up
        return self

    def __exit__(self, *exc):
        if self.started:
            self.progress.__exit__(*exc)

    def update(self, step: int, info: dict) -> None:
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
        terms = " ".join(f"{k}={float(v):.1e}" for k, v in list(info["losses"].items())[:6])
        l2 = " ".join(f"{k}:{v:.1e}" for k, v in info["l2"].items())
        text = f"loss {info['loss']:.2e} | {terms}" + (f" | L2 {l2}" if l2 else "")
        self.progress.update(self.task, completed=step, rate=rate, info=text)
