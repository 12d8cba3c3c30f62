"""Writing files so that a reader, or the next run after a crash, sees the old file or the new one.

A temporary file is created in the target's own directory (so the rename stays on one file
system), written, flushed and fsynced, given its final mode and renamed over the target with
:func:`os.replace`, which is atomic. If anything fails on the way the temporary file is removed
and the target is left as it was.

Used by the core (receipt bundles, checkpoints, credit CSV exports) and by the channels that
write files (the portal's static site, the RSS feeds, WeChat's cover cache). The sandbox keeps
its own copy on purpose: it is an independent fake and imports no hub code.
"""

from __future__ import annotations

import contextlib
import hashlib
import itertools
import os
import tempfile
import threading
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import IO, Any

__all__ = [
    "atomic_write",
    "atomic_write_chunks",
    "atomic_writer",
    "create_once",
    "file_sha256",
    "writable_dir_problem",
]


@contextlib.contextmanager
def atomic_writer(
    path: str | os.PathLike[str], *, mode: int = 0o644, encoding: str | None = None
) -> Iterator[IO[Any]]:
    """Stream into ``path`` atomically: ``with atomic_writer(p) as f: f.write(...)``.

    The file is binary unless ``encoding`` is given; text is written without newline
    translation. ``path`` appears, with permissions ``mode``, only when the block ends without
    an exception; an exception removes the temporary file and propagates. Missing parent
    directories are created.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = _temp_beside(path)
    try:
        if encoding is None:
            f: IO[Any] = os.fdopen(fd, "wb")
        else:
            f = os.fdopen(fd, "w", encoding=encoding, newline="")
        with f:
            yield f
            f.flush()
            os.fsync(f.fileno())
        # The temporary file is 0600, whatever the umask; readers such as a web server need
        # ``mode``.
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def atomic_write(
    path: str | os.PathLike[str],
    data: bytes | str,
    mode: int = 0o644,
    *,
    only_if_changed: bool = False,
) -> bool:
    """Replace ``path`` with ``data`` (``str`` is written as UTF-8) atomically.

    With ``only_if_changed`` an existing file with exactly these bytes is left alone (its
    modification time too). Returns whether the file was written.
    """
    path = Path(path)
    if isinstance(data, str):
        data = data.encode("utf-8")
    if only_if_changed and _has_bytes(path, data):
        return False
    with atomic_writer(path, mode=mode) as f:
        f.write(data)
    return True


def atomic_write_chunks(
    path: str | os.PathLike[str],
    chunks: Iterable[bytes],
    mode: int = 0o644,
    *,
    only_if_changed: bool = False,
) -> bool:
    """:func:`atomic_write` for data made piece by piece, which is never held whole.

    With ``only_if_changed`` the new bytes are compared with the existing file (by size and
    SHA-256) before anything replaces it. Returns whether the file was written.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = _temp_beside(path)
    try:
        digest, size = hashlib.sha256(), 0
        with os.fdopen(fd, "wb") as f:
            for chunk in chunks:
                f.write(chunk)
                digest.update(chunk)
                size += len(chunk)
            f.flush()
            if only_if_changed and _same_file(path, size, digest.hexdigest()):
                os.unlink(tmp)
                return False
            os.fsync(f.fileno())
        os.chmod(tmp, mode)
        os.replace(tmp, path)
        return True
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


_temp_serial = itertools.count()


def _temp_beside(path: Path) -> tuple[int, str]:
    """A new temporary file beside ``path`` (``.NAME.PID.THREAD.N.tmp``, mode 0600), open for
    writing. Unique to this process and thread by its name, and created exclusively: what
    ``tempfile.mkstemp`` gives, without its random names (a third of a page write's CPU)."""
    while True:
        tmp = (f"{path.parent}/.{path.name}.{os.getpid()}.{threading.get_ident()}."
               f"{next(_temp_serial)}.tmp")
        try:
            return os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o600), tmp
        except FileExistsError:  # left by a process that had the same id before a crash
            continue


def _same_file(path: Path, size: int, sha256: str) -> bool:
    try:
        return path.stat().st_size == size and file_sha256(path) == sha256
    except OSError:
        return False


def create_once(path: str | os.PathLike[str], data: bytes, mode: int = 0o600) -> bool:
    """Create ``path`` holding ``data`` unless it exists; return whether this call created it.

    For files that must never change once made (keys): the bytes are written aside, fsynced and
    hard-linked into place, so ``path`` never exists half-written — a full disk leaves no file
    rather than an empty one — and of two processes creating it at once exactly one wins and the
    other sees the winner's whole file. The directory is fsynced so that the new name survives a
    power cut.
    """
    path = Path(path)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, mode)
        try:
            os.link(tmp, path)
        except FileExistsError:
            return False
        _fsync_dir(path.parent)
        return True
    finally:
        with contextlib.suppress(OSError):
            os.unlink(tmp)


def _fsync_dir(folder: Path) -> None:
    with contextlib.suppress(OSError):  # not every file system lets a directory be fsynced
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def _has_bytes(path: Path, data: bytes) -> bool:
    try:
        return path.stat().st_size == len(data) and path.read_bytes() == data
    except OSError:
        return False



def writable_dir_problem(folder: Path) -> str | None:
    """Why files cannot be written into ``folder`` (or the folders that would be created for
    it), in Chinese, or ``None`` if they can."""
    existing = next((p for p in (folder, *folder.parents) if p.exists()), None)
    if existing is None or not existing.is_dir() or not os.access(existing, os.W_OK):
        return f"输出目录不可写：{folder}"
    return None


def file_sha256(path: str | os.PathLike[str]) -> str:
    """SHA-256 of a file's bytes, hex, read in 1 MiB chunks."""
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()
