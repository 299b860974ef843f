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
