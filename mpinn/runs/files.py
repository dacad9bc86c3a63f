"""Safe files for run directories: atomic writes, all-or-nothing commits and a lock.

* :func:`atomic_write` writes one file through a temporary file in the same directory,
  fsyncs it and renames it over the target, so a reader (or a crash) sees the old file or
  the new one, never a part.
* :class:`Commit` makes a *set* of files change together. Files are written into
  ``.pending/`` (each fsynced); a ``COMMITTED`` marker is then written atomically, the
  files are renamed into place, and ``.pending/`` is removed. :func:`recover` finishes an
  interrupted commit (marker present: roll forward) or discards it (no marker: roll back),
  so after a crash at any moment the directory holds the complete old set or the complete
  new set, never a mix. Every writer and reader of a run directory calls it first.
* :class:`RunLock` is an ``flock`` on ``.lock``: a second process that wants the same run
  directory is refused, and the lock disappears with its process (even after SIGKILL).

We write these ourselves (about a hundred lines) rather than add a dependency: the
libraries that exist (``atomicwrites``, ``filelock``) each cover one of the three, and the
journal is specific to our directory layout.
"""

from __future__ import annotations

import errno
import fcntl
import os
import shutil
from collections.abc import Callable
from pathlib import Path

from ..config import ConfigError

PENDING = ".pending"
MARKER = "COMMITTED"
LOCK = ".lock"


class RunDirError(ConfigError):
    """A run directory that cannot be used (in use, not writable, not a run directory): a
    user error like a bad option (exit 2)."""


def _fsync_dir(path: Path) -> None:
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:  # pragma: no cover - e.g. a platform without directory fds
        return
    try:
        os.fsync(fd)
    except OSError:  # pragma: no cover
        pass
    finally:
        os.close(fd)


def atomic_write(path: str | Path, data: bytes | str | Callable[[Path], None]) -> Path:
    """Write ``data`` (bytes, text, or ``fn(tmp_path)`` that writes the file) to ``path``
    atomically: temporary file beside it, fsync, rename, fsync of the directory."""
    path = Path(path)
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    try:
        if callable(data):
            data(tmp)
        else:
            with open(tmp, "wb") as fh:
                fh.write(data.encode("utf-8") if isinstance(data, str) else data)
        with open(tmp, "rb+") as fh:
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    _fsync_dir(path.parent)
    return path


class Commit:
    """Files that appear together or not at all (see the module docstring).

    ``with Commit(run_dir) as c: c.write("metrics.json", text); c.write("plots/a.png", fn)``
    — the files land when the block ends without an exception; ``c.remove(name)`` deletes
    a file of the old set in the same commit.
    """

    def __init__(self, root: str | Path):
        self.root = Path(root)
        self.stage = self.root / PENDING
        self.names: list = []
        self.removed: list = []

    def __enter__(self) -> Commit:
        recover(self.root)
        self.stage.mkdir(parents=True, exist_ok=True)
        return self

    def path(self, name: str) -> Path:
        """Where to write ``name`` (relative to the run directory) before the commit."""
        p = self.stage / name
        p.parent.mkdir(parents=True, exist_ok=True)
        if name not in self.names:
            self.names.append(name)
        return p

    def write(self, name: str, data: bytes | str | Callable[[Path], None]) -> None:
        p = self.path(name)
        if callable(data):
            data(p)
        else:
            p.write_bytes(data.encode("utf-8") if isinstance(data, str) else data)

    def remove(self, name: str) -> None:
        self.removed.append(name)

    def __exit__(self, exc_type, exc, tb) -> None:
        if exc_type is not None:
            shutil.rmtree(self.stage, ignore_errors=True)
            return
        for name in self.names:  # every staged file on disk before the marker says "done"
            with open(self.stage / name, "rb+") as fh:
                os.fsync(fh.fileno())
        for folder in {(self.stage / n).parent for n in self.names}:
            _fsync_dir(folder)
        listing = "\n".join(self.names) + "\n" + "".join(f"-{n}\n" for n in self.removed)
        atomic_write(self.stage / MARKER, listing)
        _roll_forward(self.root)


def _roll_forward(root: Path) -> None:
    stage = root / PENDING
    lines = (stage / MARKER).read_text(encoding="utf-8").splitlines()
    for line in lines:
        if not line:
            continue
        if line.startswith("-"):
            (root / line[1:]).unlink(missing_ok=True)
            continue
        src, dst = stage / line, root / line
        if src.exists():  # absent: already moved before an interruption
            dst.parent.mkdir(parents=True, exist_ok=True)
            os.replace(src, dst)
    _fsync_dir(root)
    shutil.rmtree(stage, ignore_errors=True)


def recover(root: str | Path) -> None:
    """Finish (marker written) or discard (no marker) a commit a crash interrupted, and
    remove temporary files of :func:`atomic_write` left by a killed process."""
    root = Path(root)
    stage = root / PENDING
    if stage.is_dir():
        if (stage / MARKER).is_file():
            _roll_forward(root)
        else:
            shutil.rmtree(stage, ignore_errors=True)
    if root.is_dir():
        for tmp in root.glob(".*.tmp-*"):
            tmp.unlink(missing_ok=True)


class RunLock:
    """An exclusive lock on a run directory, held while a process writes it."""

    def __init__(self, root: str | Path):
        self.root = Path(root)
        self.fd: int | None = None

    def acquire(self) -> RunLock:
        path = self.root / LOCK
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as exc:
            holder = os.pread(fd, 64, 0).decode("ascii", "replace").strip() or "another process"
            os.close(fd)
            if exc.errno in (errno.EWOULDBLOCK, errno.EAGAIN, errno.EACCES):
                raise RunDirError(
                    f"{self.root} is in use by process {holder} (one run per directory)"
                ) from None
            raise
        os.ftruncate(fd, 0)
        os.pwrite(fd, str(os.getpid()).encode(), 0)
        self.fd = fd
        recover(self.root)
        return self

    def release(self) -> None:
        if self.fd is not None:
            os.close(self.fd)  # closing releases the flock
            self.fd = None

    def __enter__(self) -> RunLock:
        return self if self.fd is not None else self.acquire()

    def __exit__(self, *exc) -> None:
        self.release()


def is_locked(root: str | Path) -> bool:
    """Whether a live process holds the lock of ``root``."""
    path = Path(root) / LOCK
    if not path.is_file():
        return False
    fd = os.open(path, os.O_RDONLY)
    try:
        fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
    except OSError:
        return True
    finally:
        os.close(fd)
    return False
