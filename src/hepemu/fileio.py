"""Small file helpers shared by every layer: umask-respecting atomic replacement."""

from __future__ import annotations

import os
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


def atomic_write_text(path: str | Path, text: str) -> None:
    """Write ``text`` to ``path`` through a temporary file beside it (no half-written file
    under the final name)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        tmp.write_text(text)
        atomic_replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
