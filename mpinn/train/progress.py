"""Plain, line-based progress for output that is not a terminal (a log file, a batch job,
CI, ``nohup``): one self-contained line at most every few seconds, flushed at once.

* :func:`format_line` — one line of training progress: step/total, percent, rate, elapsed,
  ETA, loss, the first per-term losses and the latest L2;
* :class:`LineProgress` — the progress protocol of :func:`mpinn.train.train`
  (``update(step, info)``, ``close()``) writing such lines;
* :class:`LineLog` — a ``log(message)`` callable for long computations that report
  stages (a reference solve, an NTK check): plain lines, at most one every few seconds.

Nothing here imports torch or rich, so the run directory, the analyses and the command
line can all use it.
"""

from __future__ import annotations

import math
import time
from collections import deque

#: Per-term losses shown on a line; the rest are counted ("+3 more").
MAX_TERMS = 6


def format_duration(seconds: float | None) -> str:
    """``H:MM:SS`` (``-:--:--`` when unknown)."""
    if seconds is None or not math.isfinite(seconds) or seconds < 0:
        return "-:--:--"
    s = int(round(seconds))
    return f"{s // 3600}:{s % 3600 // 60:02d}:{s % 60:02d}"


def format_rate(rate: float | None) -> str:
    """Steps per second with about three significant digits (``? it/s`` when unknown)."""
    if rate is None or not math.isfinite(rate) or rate <= 0:
        return "? it/s"
    if rate >= 99.95:  # thresholds after rounding: 9.999 is "10.0", not "10.00"
        return f"{rate:.0f} it/s"
    if rate >= 9.995:
        return f"{rate:.1f} it/s"
    return f"{rate:.2f} it/s"


def _number(value) -> str:
    try:
        return f"{float(value):.1e}"
    except (TypeError, ValueError):
        return "—"


def format_info(info: dict, max_terms: int = MAX_TERMS) -> str:
    """``loss 3.1e-03 | pde_u=1.2e-03 ... | L2 u:1.1e-02``: the loss part of a line."""
    text = f"loss {_number(info.get('loss'))}"
    losses = list((info.get("losses") or {}).items())
    if losses:
        terms = " ".join(f"{k}={_number(v)}" for k, v in losses[:max_terms])
        if len(losses) > max_terms:
            terms += f" +{len(losses) - max_terms} more"
        text += f" | {terms}"
    l2 = {k: v for k, v in (info.get("l2") or {}).items() if v is not None}
    if l2:
        text += " | L2 " + " ".join(f"{k}:{_number(v)}" for k, v in l2.items())
    return text


def format_line(
    step: int,
    total: int,
    *,
    rate: float | None,
    elapsed: float,
    eta: float | None,
    info: dict | None = None,
    max_terms: int = MAX_TERMS,
) -> str:
    """One progress line, e.g. ``step 1200/16000 (7.5%) 52.3 it/s elapsed 0:00:23 eta
    0:04:43 loss 3.1e-03 | pde_u=1.2e-03 ... | L2 u:1.1e-02 v:3.4e-02``."""
    percent = 100.0 * step / total if total else 100.0
    line = (
        f"step {step}/{total} ({percent:.1f}%) {format_rate(rate)} "
        f"elapsed {format_duration(elapsed)} eta {format_duration(eta)}"
    )
    if info:
        line += " " + format_info(info, max_terms)
    return line


class _Writer:
    """Writes whole lines to a stream and flushes; a stream that went away (a closed pipe)
    silences it rather than stopping the work that reports."""

    def __init__(self, stream):
        self.stream = stream
        self.broken = False

    def __call__(self, line: str) -> None:
        if self.broken:
            return
        try:
            self.stream.write(line + "\n")
            self.stream.flush()
        except (OSError, ValueError):  # BrokenPipeError, or a closed file
            self.broken = True


class LineProgress:
    """Training progress as plain lines: the first step, then at most one line every
    ``every_s`` seconds, and always the last step (``step == total``); a run that ends
    early gets its last step written by :meth:`close`.

    The rate is measured over the steps taken in this process (a resumed run's first
    update is at its step k + 1, not 1), over the last ``window_s`` seconds, so the ETA
    follows a change of speed (e.g. an L-BFGS phase). ``clock`` is injectable for tests.
    """

    def __init__(
        self,
        stream,
        total: int,
        every_s: float = 5.0,
        clock=time.monotonic,
        *,
        prefix: str = "",
        window_s: float = 30.0,
        max_terms: int = MAX_TERMS,
    ):
        self.write = _Writer(stream)
        self.total = int(total)
        self.every_s = float(every_s)
        self.clock = clock
        self.prefix = prefix
        self.window_s = float(window_s)
        self.max_terms = max_terms
        self.t0 = None  # the time of the first update in this process
        self.samples: deque = deque()  # (time, step) of the lines written
        self.last_written = None  # time of the last line
        self.pending = None  # (step, info) of an update not written yet

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def rate(self, step: int, now: float) -> float | None:
        """Steps per second over the recent samples (this process's steps only)."""
        while len(self.samples) > 1 and now - self.samples[1][0] >= self.window_s:
            self.samples.popleft()  # keep one sample at least window_s old, if any
        if not self.samples:
            return None
        t, s = self.samples[0]
        return (step - s) / (now - t) if now > t and step > s else None

    def line(self, step: int, info: dict | None, now: float) -> str:
        rate = self.rate(step, now)
        eta = (self.total - step) / rate if rate else (0.0 if step >= self.total else None)
        text = format_line(
            step,
            self.total,
            rate=rate,
            elapsed=now - self.t0,
            eta=eta,
            info=info,
            max_terms=self.max_terms,
        )
        return self.prefix + text

    def update(self, step: int, info: dict) -> None:
        now = self.clock()
        if self.t0 is None:
            self.t0 = now
            self.samples.append((now, step))  # the rate counts the steps after this one
            self._emit(step, info, now)
            return
        if step >= self.total or now - self.last_written >= self.every_s:
            self._emit(step, info, now)
        else:
            self.pending = (step, info)

    def _emit(self, step: int, info: dict, now: float) -> None:
        self.write(self.line(step, info, now))
        self.last_written = now
        self.pending = None
        if self.samples[-1][1] != step:
            self.samples.append((now, step))

    def close(self) -> None:
        """Write the last step if it was not written (a run stopped or paused early)."""
        if self.pending is not None:
            step, info = self.pending
            self._emit(step, info, self.clock())


class LineLog:
    """A ``log(message)`` callable writing plain lines: the first message, then at most
    one every ``every_s`` seconds (the latest one at that moment). ``log(message,
    force=True)`` writes at once (milestones, e.g. a finished case); :meth:`close` writes
    a message still held back. The messages carry their own timings."""

    def __init__(self, stream, every_s: float = 5.0, clock=time.monotonic, *, prefix: str = ""):
        self.write = _Writer(stream)
        self.every_s = float(every_s)
        self.clock = clock
        self.prefix = prefix
        self.last_written = None
        self.pending = None

    def __call__(self, message: str, force: bool = False) -> None:
        now = self.clock()
        if force or self.last_written is None or now - self.last_written >= self.every_s:
            self.write(f"{self.prefix}{message}")
            self.last_written = now
            self.pending = None
        else:
            self.pending = message

    def close(self) -> None:
        if self.pending is not None:
            self(self.pending, force=True)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
