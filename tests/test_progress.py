"""Progress helpers: rich bars on a terminal, periodic plain lines in a log file or pipe."""

import io
import sys
import time
from types import SimpleNamespace

import pytest

from hepemu.cli import progress as P

INTERVAL = 0.2


class Log(io.StringIO):
    """A non-terminal stderr that counts flushes (a line must reach the file at once)."""

    flushed = 0

    def flush(self):
        self.flushed += 1
        super().flush()


@pytest.fixture
def log(monkeypatch):
    monkeypatch.setenv(P.INTERVAL_ENV, str(INTERVAL))
    return Log()


def redirect(monkeypatch, stream):
    """Send stderr (where rich's err console writes) to ``stream``; in the test body, as
    pytest's own capture sets sys.stderr again between a fixture and the test."""
    monkeypatch.setattr(sys, "stderr", stream)


def lines(stream) -> list[str]:
    return stream.getvalue().splitlines()


def wait_for(pred, timeout=30.0):
    """Poll ``pred``; the timeout only guards against a hang (a busy machine may delay the
    ticker thread well past INTERVAL)."""
    t0 = time.monotonic()
    while not pred():
        assert time.monotonic() - t0 < timeout, "no progress line in time"
        time.sleep(0.02)


def test_generation_prints_plain_lines_before_it_ends(log, monkeypatch):
    redirect(monkeypatch, log)
    with P.generation_progress(1000) as cb:
        cb(200, 1000)  # 200 points resumed from an earlier run
        # the first update prints at once (the last line; a ticker line may precede it when
        # the machine is busy), flushed, with no rate yet
        assert lines(log)[-1].startswith("generate: 200/1000 points (20.0%), elapsed ")
        assert "points/s" not in lines(log)[-1] and log.flushed >= 1
        time.sleep(0.05)
        cb(600, 1000)
        n = len(lines(log))
        wait_for(lambda: len(lines(log)) > n)  # a periodic line, while the work goes on
        mid = lines(log)[-1]
        assert mid.startswith("generate: 600/1000 points (60.0%), ")
        assert "points/s" in mid and "ETA" in mid
        cb(1000, 1000)
    last = lines(log)[-1]
    assert last.startswith("generate: 1000/1000 points (100.0%)") and "ETA" not in last
    assert "\x1b" not in log.getvalue()  # no terminal control codes in a log


def state(**kw):
    return SimpleNamespace(lbfgs_done=0, **kw)


def test_training_lines_show_steps_and_best_digits(log, monkeypatch):
    redirect(monkeypatch, log)
    with P.training_progress(5000) as cb:
        wait_for(lambda: len(lines(log)) >= 1)  # alive before the first validation
        assert lines(log)[0].startswith("train: step 0/5000, ")
        cb(state(step=1000, best_digits=2.0, best_step=1000, elapsed_s=25.0))
        cb(state(step=1200, best_digits=2.31, best_step=1000, elapsed_s=30.0))
        n = len(lines(log))
        wait_for(lambda: len(lines(log)) > n)
        assert lines(log)[-1].startswith("train: step 1200/5000, best 2.31 digits @ 1000, ")
        assert lines(log)[-1].endswith(", ETA 95 s")  # 3800 steps at 1200 in 30 s


def test_interrupted_run_says_where_it_stopped(log, monkeypatch):
    redirect(monkeypatch, log)
    with pytest.raises(KeyboardInterrupt), P.replica_progress(3) as done:
        done(1, {"best_digits": 2.5})
        assert lines(log)[-1].startswith("replicas: 1/3 done, replica 1: 2.50 digits, elapsed")
        raise KeyboardInterrupt
    assert lines(log)[-1].endswith("(stopped)")


def test_no_line_after_the_helper_ends(log, monkeypatch):
    redirect(monkeypatch, log)
    with P.replica_progress(1) as done:
        done(0, {"best_digits": 3.0})
    n = len(lines(log))
    time.sleep(3 * INTERVAL)
    assert len(lines(log)) == n


def test_interval_from_environment(monkeypatch):
    monkeypatch.setenv(P.INTERVAL_ENV, "2.5")
    assert P.progress_interval() == 2.5
    for bad in ("", "x", "0", "-1", "nan"):
        monkeypatch.setenv(P.INTERVAL_ENV, bad)
        assert P.progress_interval() == P.DEFAULT_INTERVAL_S


def test_terminal_keeps_the_rich_bar(monkeypatch):
    class Tty(io.StringIO):
        def isatty(self):
            return True

    redirect(monkeypatch, Tty())
    assert P._plain_stream() is None
    redirect(monkeypatch, io.StringIO())
    assert P._plain_stream() is sys.stderr
