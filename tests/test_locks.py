"""One writer per output: a second writer is refused at once naming the lock and its owner
(exit code 75), or waits with --wait; a lock left by a killed process is taken over."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time

import pytest

from hepemu.cli.main import run_cli
from hepemu.locks import LockHeld, lock_path, output_lock

HOLD = (
    "import sys, time; from hepemu.locks import output_lock\n"
    "with output_lock(sys.argv[1]):\n"
    "    print('held', flush=True); time.sleep(600)\n"
)


def holder(path) -> subprocess.Popen:
    """Another process holding the lock of ``path`` (until it is killed)."""
    proc = subprocess.Popen([sys.executable, "-c", HOLD, str(path)], stdout=subprocess.PIPE,
                            text=True)
    assert proc.stdout.readline().strip() == "held"
    return proc


def test_a_second_writer_is_refused_naming_the_lock_and_its_owner(tmp_path):
    out = tmp_path / "data.h5"
    proc = holder(out)
    try:
        with pytest.raises(LockHeld) as exc, output_lock(out):
            pass
        msg = str(exc.value)
        assert str(lock_path(out)) in msg and f"pid {proc.pid}" in msg and "--wait" in msg
    finally:
        proc.kill()
        proc.wait()


def test_a_lock_left_by_a_killed_process_is_taken_over(tmp_path):
    out = tmp_path / "run"
    proc = holder(out)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    assert lock_path(out).exists()  # the file stays; the kernel released the flock
    said = []
    with output_lock(out, notify=said.append) as lock:
        assert f'"pid": {os.getpid()}' in lock.read_text()
    assert len(said) == 1 and f"pid {proc.pid}" in said[0] and "no longer running" in said[0]
    assert not lock_path(out).exists()  # removed by its holder at the end


def test_wait_takes_the_lock_when_the_holder_finishes(tmp_path):
    out = tmp_path / "ev.lhe"
    order, said = [], []
    entered = threading.Event()

    def first() -> None:
        with output_lock(out):
            entered.set()
            time.sleep(0.5)
            order.append("first done")

    t = threading.Thread(target=first)
    t.start()
    entered.wait()
    with output_lock(out, wait=True, poll=0.05, notify=said.append):
        order.append("second in")
    t.join()
    assert order == ["first done", "second in"]
    assert len(said) == 1 and "waiting for the run holding" in said[0]


@pytest.mark.parametrize(
    "command",
    [
        ["data", "generate", "--provider", "gghh-box-1l", "--n", "10", "--chunk", "5", "--out"],
        ["integral", "train", "--steps", "1", "--out"],
        ["events", "--surrogate", "ee3j", "--n", "5", "--out"],
        ["fit", "CARD", "--out"],
    ],
    ids=["data generate", "integral train", "events", "fit"],
)
def test_commands_refuse_a_second_writer_at_once(tmp_path, capsys, command):
    out = tmp_path / ("out.lhe" if command[0] == "events" else "out.h5")
    if command[0] in ("integral", "fit"):
        out = tmp_path / "run"
    if command[0] == "fit":
        data = tmp_path / "d.h5"
        assert run_cli(["data", "generate", "--provider", "gghh-box-1l", "--n", "40",
                        "--chunk", "40", "--out", str(data)]) == 0
        assert run_cli(["data", "split", str(data)]) == 0
        card = tmp_path / "card.toml"
        card.write_text(f'[data]\npath = "{data}"\n[model]\nkind = "dnn"\nhidden = [4]\n'
                        "[training]\nepochs = 1\nthreads = 1\n")
        command = ["fit", str(card), "--out"]
        capsys.readouterr()
    proc = holder(out)
    try:
        assert run_cli([*command, str(out)]) == 75  # at once: the holder sleeps for 600 s
    finally:
        proc.kill()
        proc.wait()
    lines = [ln for ln in capsys.readouterr().err.splitlines() if ln.strip()]
    assert len(lines) == 1 and str(lock_path(out)) in lines[0] and f"pid {proc.pid}" in lines[0]
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(out.name)) == [
        lock_path(out).name
    ]  # nothing written besides the lock file the killed holder left


def test_data_generate_with_wait_waits_for_the_holder(tmp_path, capsys):
    out = tmp_path / "g.h5"
    entered, release = threading.Event(), threading.Event()

    def hold() -> None:
        with output_lock(out):
            entered.set()
            release.wait(30)

    t = threading.Thread(target=hold)
    t.start()
    entered.wait()
    threading.Timer(0.5, release.set).start()
    args = ["data", "generate", "--provider", "gghh-box-1l", "--n", "20", "--chunk", "10"]
    assert run_cli([*args, "--out", str(out), "--wait"]) == 0
    t.join()
    assert "waiting for the run holding" in capsys.readouterr().err
    assert out.exists() and not lock_path(out).exists()
