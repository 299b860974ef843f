"""Executors: worker processes end with their parent, even when it is SIGKILLed."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from hepemu.data.executors import check_executor, map_unordered

HERE = Path(__file__).resolve().parent


def slow_task(marker_dir: str, i: int) -> int:
    """A task for the workers (importable as ``test_executors.slow_task``): report, then hang."""
    Path(marker_dir, f"worker-{os.getpid()}").write_text(str(os.getppid()))
    time.sleep(120)
    return i


def double(x: int) -> int:
    return 2 * x


def test_serial_and_processes_yield_every_result():
    tasks = [(i,) for i in range(5)]
    assert sorted(map_unordered(double, tasks, "serial")) == [0, 2, 4, 6, 8]
    with pytest.raises(ValueError, match="unknown executor"):
        check_executor("threads")


def _proc_state(pid: int) -> str | None:
    """The process's state letter from /proc (``None`` when it is gone)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except (FileNotFoundError, ProcessLookupError):
        return None
    return stat.rsplit(")", 1)[1].split()[0]


def _alive(pid: int) -> bool:
    return _proc_state(pid) not in (None, "Z", "X")  # a zombie has ended; reaping is init's job


def _children(pid: int) -> list[int]:
    out = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                out.append(int(entry.name))
    return out


CHILD = """
import sys
sys.path.insert(0, {here!r})
from test_executors import slow_task
from hepemu.data.executors import map_unordered
for _ in map_unordered(slow_task, [({marker!r}, i) for i in range(4)], "processes", 2):
    pass
"""


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
def test_workers_end_when_their_parent_is_killed(tmp_path):
    code = CHILD.format(here=str(HERE), marker=str(tmp_path))
    parent = subprocess.Popen([sys.executable, "-c", code])
    pids: list[int] = []
    try:
        deadline = time.monotonic() + 60
        while sum(f.stat().st_size > 0 for f in tmp_path.glob("worker-*")) < 2:  # both busy
            assert parent.poll() is None, "the parent process failed"
            assert time.monotonic() < deadline, "the workers did not start"
            time.sleep(0.1)
        workers = [int(p.name.split("-")[1]) for p in tmp_path.glob("worker-*")]
        assert all(int((tmp_path / f"worker-{w}").read_text()) == parent.pid for w in workers)
        pids = _children(parent.pid)  # the workers and multiprocessing's resource tracker
        assert set(workers) <= set(pids) and len(pids) >= 3
        parent.send_signal(signal.SIGKILL)
        parent.wait()
        t0 = time.monotonic()
        while any(map(_alive, pids)) and time.monotonic() - t0 < 60:  # a hang guard only
            time.sleep(0.05)
        print(f"{len(pids)} processes ended {time.monotonic() - t0:.2f} s after the kill")
        left = [p for p in pids if _alive(p)]
        assert not left, f"processes alive 60 s after their parent was killed: {left}"
    finally:
        if parent.poll() is None:
            parent.kill()
            parent.wait()
        for p in pids:  # do not leave processes behind on a failure
            if _alive(p):
                os.kill(p, signal.SIGKILL)
