"""Small file helpers shared by every layer: the one umask-respecting atomic writer.

Every file hepemu writes goes through :func:`atomic_path` (or :func:`write_atomic` for text
and bytes): the content is written to a unique temporary file in the target's folder, flushed
to disk, given the permissions a newly created file gets (0666 & ~umask), and moved onto the
target in one step. Readers see the old file or the complete new one, never a half-written
file; two writers never share a temporary file; a failed write leaves no temporary behind.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


def umask() -> int:
    """The process umask (read from /proc on Linux, else set-and-restore)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("Umask:"):
                return int(line.split()[1], 8)
    except (OSError, ValueError, IndexError):
        pass
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def atomic_replace(tmp: str | Path, path: str | Path) -> None:
    """Give ``tmp`` the permissions a newly created file gets (0666 & ~umask), then move it
    onto ``path`` atomically (some writers, e.g. safetensors, create files as 0600)."""
    os.chmod(tmp, 0o666 & ~umask())
    os.replace(tmp, path)


def _fsync(path: str | Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


@contextmanager
def atomic_path(path: str | Path, suffix: str = "") -> Iterator[Path]:
    """Yield a fresh temporary path next to ``path``; write the file there. When the block
    ends without an exception the file is flushed to disk and moved onto ``path`` (0666 &
    ~umask, atomically); otherwise it is removed. The folder is created if needed.

    ``suffix`` ends the temporary name for writers that insist on one (``np.savez``:
    ``".npz"``). Temporary names are hidden (``.<name>.<random>.tmp<suffix>``).
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp" + suffix, dir=path.parent)
    os.close(fd)
    tmp = Path(name)
    try:
        yield tmp
        _fsync(tmp)
        atomic_replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def write_atomic(path: str | Path, data: str | bytes) -> Path:
    """Write ``data`` (text as UTF-8, or bytes) to ``path`` through :func:`atomic_path`."""
    path = Path(path)
    with atomic_path(path) as tmp:
        if isinstance(data, str):
            tmp.write_text(data, encoding="utf-8")
        else:
            tmp.write_bytes(data)
    return path
