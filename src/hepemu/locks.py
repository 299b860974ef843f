"""One writer per output: a lock file next to the output, held with ``flock``.

``with output_lock(path):`` takes ``<path>.lock`` (``path`` a file or a run directory) for the
block. The lock is an exclusive ``fcntl.flock`` on that file, which the kernel releases when
the holder exits in any way (also SIGKILL), so a lock left by a killed process is never a
problem: the next run takes it at once and says so. The file records the holder (pid, host,
start time, command), so a second writer is refused at once with one line naming the lock and
its owner (:class:`LockHeld`), or waits for it (``wait=True``, the commands' ``--wait``).

Only hepemu's own commands take these locks; a lock is removed when its holder finishes.
"""

from __future__ import annotations

import fcntl
import json
import os
import socket
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


class LockHeld(RuntimeError):
    """Another running process holds the output's lock."""


def lock_path(path: str | Path) -> Path:
    """The lock file of an output file or run directory: ``<path>.lock`` beside it."""
    path = Path(path)
    return path.with_name(path.name + ".lock")


def describe_owner(info: dict) -> str:
    """"pid 123 on host since 2026-01-01T10:00:00Z (hepemu fit …)" from a lock's record."""
    when = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(info.get("started", 0)))
    cmd = f" ({info['command']})" if info.get("command") else ""
    return f"pid {info.get('pid', '?')} on {info.get('host', '?')} since {when}{cmd}"


def read_owner(lock: Path) -> dict:
    """The record of a lock file (empty if it cannot be read: being written, or removed)."""
    try:
        info = json.loads(lock.read_text(encoding="utf-8")[:4096])
    except (OSError, ValueError):
        return {}
    return info if isinstance(info, dict) else {}


def _try_lock(lock: Path) -> int | None:
    """An fd holding the flock on ``lock`` (the file now at that path), or None if held."""
    while True:
        fd = os.open(lock, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            return None
        except BaseException:
            os.close(fd)
            raise
        try:  # the holder before us may have removed the file after we opened it
            same = os.fstat(fd).st_ino == os.stat(lock).st_ino
        except FileNotFoundError:
            same = False
        if same:
            return fd
        os.close(fd)


def _record(fd: int) -> dict:
    info = {
        "pid": os.getpid(),
        "host": socket.gethostname(),
        "started": time.time(),
        "command": " ".join(["hepemu", *sys.argv[1:]])[:300],
    }
    os.ftruncate(fd, 0)
    os.pwrite(fd, json.dumps(info).encode(), 0)
    os.fsync(fd)
    return info


@contextmanager
def output_lock(
    path: str | Path, wait: bool = False, poll: float = 0.2, notify=None
) -> Iterator[Path]:
    """Hold the lock of ``path`` (an output file or run directory) for the block.

    Held by a running process: :class:`LockHeld` at once naming the lock and its owner, or,
    with ``wait``, wait for it (``notify(message)`` is called once when waiting starts). A
    lock file whose holder died is taken over (``notify`` says whose it was).
    """
    lock = lock_path(path)
    lock.parent.mkdir(parents=True, exist_ok=True)
    waited = False
    while (fd := _try_lock(lock)) is None:
        owner = describe_owner(read_owner(lock))
        if not wait:
            raise LockHeld(
                f"{path} is being written by another run (lock {lock}: {owner}); "
                "wait for it to finish or pass --wait"
            )
        if not waited and notify is not None:
            notify(f"waiting for the run holding {lock} ({owner})")
        waited = True
        time.sleep(poll)
    try:
        previous = read_owner(lock)
        if previous and notify is not None and not waited:
            notify(f"took over {lock}, left by {describe_owner(previous)} (no longer running)")
        _record(fd)
        yield lock
    finally:
        try:
            lock.unlink(missing_ok=True)  # while still holding it: no one else is inside
        finally:
            os.close(fd)
