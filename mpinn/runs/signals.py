"""Stopping a run cleanly on SIGINT, SIGTERM and SIGHUP.

:class:`StopSignals` installs handlers (in the main thread) that only *record* the signal;
the training loop asks :meth:`StopSignals.requested` after every step, stops at the end of
that step, and the run's state and results are saved before the process exits with
``128 + signal number`` (130 for SIGINT, 143 for SIGTERM, 129 for SIGHUP). A second SIGINT
(Ctrl-C twice) raises KeyboardInterrupt at once, for a user who will not wait. The previous
handlers come back when the block ends.
"""

from __future__ import annotations

import signal
import threading

SIGNALS = tuple(
    getattr(signal, name) for name in ("SIGINT", "SIGTERM", "SIGHUP") if hasattr(signal, name)
)


class _Handlers:
    """Install ``self._handler`` for ``signals`` on entry (main thread only) and put the
    previous handlers back on exit."""

    signals: tuple = SIGNALS

    def __init__(self):
        self._previous: dict = {}

    def _handler(self, signum, frame) -> None:  # pragma: no cover - overridden
        raise NotImplementedError

    def __enter__(self):
        if threading.current_thread() is threading.main_thread():
            for sig in self.signals:
                self._previous[sig] = signal.signal(sig, self._handler)
        return self

    def __exit__(self, *exc) -> None:
        for sig, handler in self._previous.items():
            signal.signal(sig, handler)
        self._previous.clear()


class StopSignals(_Handlers):
    def __init__(self):
        super().__init__()
        self.received: signal.Signals | None = None

    def _handler(self, signum, frame) -> None:
        if self.received == signal.SIGINT and signum == signal.SIGINT:
            raise KeyboardInterrupt
        self.received = signal.Signals(signum)

    def requested(self) -> str | None:
        """The name of the signal that asked the run to stop, or None."""
        return self.received.name if self.received is not None else None

    @property
    def exit_code(self) -> int:
        return 128 + int(self.received) if self.received is not None else 0


def exit_code_of(name: str | None) -> int:
    """128 + the number of the named signal (``"SIGTERM"`` → 143); 130 when unknown."""
    try:
        return 128 + int(signal.Signals[name])
    except (KeyError, TypeError):
        return 130


class SignalExit(BaseException):
    """Raised by :class:`RaiseOnSignals` for SIGTERM or SIGHUP (SIGINT raises
    KeyboardInterrupt as usual), so a process that waits — the parent of a sweep — unwinds,
    stops its workers and exits with ``128 + signal number``."""

    def __init__(self, name: str):
        super().__init__(name)
        self.name = name


class RaiseOnSignals(_Handlers):
    """Turn SIGTERM and SIGHUP into :class:`SignalExit` in this block (main thread only)."""

    signals = tuple(s for s in SIGNALS if s != signal.SIGINT)

    def _handler(self, signum, frame) -> None:
        raise SignalExit(signal.Signals(signum).name)
