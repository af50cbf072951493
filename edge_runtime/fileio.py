"""Atomic file output shared by every part of digits-edge.

Lives in ``edge_runtime`` because that package is the bottom of the dependency
graph (it imports nothing from the others), so trainer, converter and
benchmarks can all use it without pulling anything heavy in. Standard library
only (plus our own error type).

Every failure to write (a file where a folder should be, an unwritable or
read-only folder, a full disk) is one :class:`~edge_runtime.errors.OutputError`
line, and no half-written file is left: commands report it and exit 1.
"""

from __future__ import annotations

import contextlib
import errno
import json
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

from edge_runtime.errors import OutputError


def _umask() -> int:
    current = os.umask(0)
    os.umask(current)
    return current


def _blocking_file(path: Path) -> Path | None:
    """The first ancestor of ``path`` (or ``path`` itself) that exists but is not a folder."""
    for candidate in (path, *path.parents):
        if candidate.exists():
            return None if candidate.is_dir() else candidate
    return None


def _why(error: OSError, path: Path) -> str:
    """One line saying why ``path`` cannot be written."""
    if error.errno in (errno.ENOTDIR, errno.EEXIST) and (blocker := _blocking_file(path)):
        return f"{blocker} is a file, not a folder"
    if error.errno == errno.ENOSPC:
        return "no space left on the device (disk full)"
    if error.errno == errno.EROFS:
        return "the file system is read-only"
    if error.errno in (errno.EACCES, errno.EPERM):
        return "permission denied"
    return error.strerror or str(error)


def ensure_output_dir(path: str | os.PathLike[str]) -> Path:
    """Create folder ``path`` (and parents) if needed; raise :class:`OutputError` if impossible."""
    directory = Path(path)
    try:
        directory.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise OutputError(f"cannot create folder {directory}: {_why(e, directory)}") from e
    return directory


def check_output_dir(path: str | os.PathLike[str]) -> Path:
    """Check, before any long work, that folder ``path`` could be created and written to.

    Nothing is created: the nearest existing ancestor must be a folder in which
    a file can be made (a probe file is created and removed at once). Raises
    :class:`OutputError` with one line otherwise. A full disk can only be found
    while writing; :func:`atomic_path` reports that.
    """
    directory = Path(path)
    existing = next((p for p in (directory, *directory.parents) if p.exists()), Path("."))
    if not existing.is_dir():
        raise OutputError(f"cannot create folder {directory}: {existing} is a file, not a folder")
    try:
        with tempfile.TemporaryFile(dir=existing):
            pass
    except OSError as e:
        raise OutputError(f"cannot write into {directory}: {_why(e, directory)}") from e
    return directory


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike[str]) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; rename it over ``path`` on success.

    The temporary file is in the same directory so the final ``os.replace`` is
    atomic: readers see either the old file or the complete new one, never a
    half-written file. On any exception the temporary file is removed; an
    :class:`OSError` (unwritable folder, a file where a folder should be, disk
    full) becomes one :class:`OutputError` line, anything else propagates as it
    is. The suffix is kept so libraries that choose a format by file extension
    (Keras, matplotlib, OpenCV) still work.
    """
    target = Path(path)
    ensure_output_dir(target.parent)
    try:
        fd, tmp_name = tempfile.mkstemp(
            prefix=f".{target.stem}.", suffix=f".part{target.suffix}", dir=target.parent
        )
        os.close(fd)
    except OSError as e:
        raise OutputError(f"cannot write {target}: {_why(e, target)}") from e
    tmp = Path(tmp_name)
    try:
        yield tmp
        with open(tmp, "rb+") as written:  # on disk before it replaces the old file
            os.fsync(written.fileno())
        # mkstemp creates 0600 files; give the result the permissions a plain open() would.
        os.chmod(tmp, 0o666 & ~_umask())
        os.replace(tmp, target)
    except OSError as e:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise OutputError(f"cannot write {target}: {_why(e, target)}") from e
    except BaseException:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise


@contextlib.contextmanager
def atomic_open(path: str | os.PathLike[str], mode: str = "w", **kwargs: Any) -> Iterator[IO[Any]]:
    """Open a file for writing that appears at ``path`` only once fully written."""
    with atomic_path(path) as tmp, open(tmp, mode, **kwargs) as handle:
        yield handle


def write_bytes_atomic(path: str | os.PathLike[str], data: bytes) -> Path:
    """Write ``data`` to ``path`` atomically and return the path."""
    with atomic_open(path, "wb") as handle:
        handle.write(data)
    return Path(path)


def write_json_atomic(path: str | os.PathLike[str], payload: Any) -> Path:
    """Write ``payload`` as indented JSON to ``path`` atomically and return the path."""
    with atomic_open(path, "w", encoding="utf-8") as handle:
        json.dump(payload, handle, indent=2, sort_keys=False)
        handle.write("\n")
    return Path(path)
