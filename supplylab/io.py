"""Output files: atomic writes, and output problems reported as input errors.

A reader never sees a half-written file and a crash never leaves one: every file is written
to a temporary file beside its target and renamed over it; on any failure the temporary file
is removed. A folder of results (``--out``) is marked ``INCOMPLETE`` while it is written, so a
folder is complete or says it is not. A path that cannot be written (read-only, a file where a
folder is needed, a full disk) is an :class:`OutputError`: exit 2 with the path and the
reason, never an internal error.
"""

from __future__ import annotations

import contextlib
import errno
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

from .errors import InputError

#: The marker left in a results folder while (or when) its files are not all written.
INCOMPLETE = "INCOMPLETE"


class OutputError(InputError):
    """An output that cannot be written: the path, the reason and what to do (exit code 2)."""


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def _reason(exc: OSError) -> str:
    if exc.errno == errno.ENOSPC:
        return "the disk is full"
    if exc.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
        return "permission denied (read-only?)"
    if exc.errno == errno.ENOTDIR:
        return "a file stands where a folder is needed"
    if exc.errno == errno.EISDIR:
        return "it is a folder, not a file"
    return exc.strerror or type(exc).__name__


@contextlib.contextmanager
def output_errors(path: str | Path, option: str = "--out") -> Iterator[None]:
    """Turn an ``OSError`` raised while writing ``path`` into an :class:`OutputError`."""
    try:
        yield
    except OSError as exc:
        where = exc.filename or path
        raise OutputError(f"cannot write {where}: {_reason(exc)}", option) from None


def _writable_ancestor(path: Path) -> Path:
    p = path.absolute()
    while not p.exists() and p != p.parent:
        p = p.parent
    return p


def check_output_dir(path: str | Path, option: str = "--out") -> Path:
    """Refuse, before any work, a results folder that cannot be written: a file, or under a
    file or a read-only folder. Returns the path."""
    p = Path(path)
    if p.exists() and not p.is_dir():
        raise OutputError(f"{p} is a file; {option} needs a folder", option)
    top = _writable_ancestor(p)
    if not top.is_dir():
        raise OutputError(f"cannot create {p}: {top} is a file", option)
    if not os.access(top, os.W_OK | os.X_OK):
        raise OutputError(f"cannot write {p}: {top} is not writable", option)
    return p


def check_output_file(path: str | Path, option: str) -> Path:
    """Refuse, before any work, an output file that cannot be written: a folder, or under a
    file or a read-only folder. Returns the path."""
    p = Path(path)
    if p.is_dir() or not p.name or p.name in (".", ".."):
        raise OutputError(f"{p} is a folder; {option} needs a file name such as "
                          f"{p / 'events.csv'}", option)
    top = _writable_ancestor(p.parent)
    if not top.is_dir():
        raise OutputError(f"cannot create {p}: {top} is a file", option)
    if not os.access(top, os.W_OK | os.X_OK):
        raise OutputError(f"cannot write {p}: {top} is not writable", option)
    return p


def remove_temporaries(path: Path) -> None:
    """Remove temporary files left beside ``path`` by an interrupted atomic write."""
    with contextlib.suppress(OSError):
        for tmp in path.parent.glob(f".{path.name}.*tmp"):
            tmp.unlink(missing_ok=True)


@contextlib.contextmanager
def atomic_path(path: str | Path, option: str = "--out") -> Iterator[Path]:
    """Yield a temporary path beside ``path``; when the block succeeds it is renamed over
    ``path``, on any failure it is removed. ``OSError`` becomes :class:`OutputError`."""
    path = Path(path)
    with output_errors(path, option):
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
        tmp = Path(name)
        try:
            os.fchmod(fd, 0o666 & ~_umask())  # the usual permissions, not mkstemp's 0600
            os.close(fd)
            yield tmp
            os.replace(tmp, path)
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise


def write_bytes_atomic(path: Path, data: bytes, option: str = "--out") -> None:
    """Write ``data`` to ``path`` through a temporary file in the same folder and a rename."""
    with atomic_path(path, option) as tmp, open(tmp, "wb") as fh:
        fh.write(data)
        fh.flush()
        os.fsync(fh.fileno())


def write_text_atomic(path: Path, text: str, option: str = "--out") -> None:
    """Write UTF-8 ``text`` to ``path`` atomically."""
    write_bytes_atomic(path, text.encode("utf-8"), option)


@contextlib.contextmanager
def output_folder(path: str | Path, option: str = "--out") -> Iterator[Path]:
    """Write a results folder: ``INCOMPLETE`` marks it until the block has written every file.

    On failure the marker stays (with the reason), so a reader never mistakes a partial
    folder for a complete one; the next successful write removes it.
    """
    folder = check_output_dir(path, option)
    marker = folder / INCOMPLETE
    with output_errors(folder, option):
        folder.mkdir(parents=True, exist_ok=True)
        marker.write_text("supplylab is writing this folder, or writing it failed: its files "
                          "may be partial or stale. Re-run the command to complete it.\n",
                          encoding="utf-8")
    try:
        yield folder
    except BaseException as exc:
        with contextlib.suppress(OSError), marker.open("a", encoding="utf-8") as fh:
            fh.write(f"failed: {exc}\n")
        raise
    with output_errors(folder, option):
        marker.unlink(missing_ok=True)
