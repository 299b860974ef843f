"""The one atomic writer: permissions follow the umask, failures leave nothing behind."""

from __future__ import annotations

import os
import stat

import numpy as np
import pytest

from hepemu.data.dataset import write_dataset
from hepemu.evaluation.report import Report
from hepemu.fileio import atomic_path, write_atomic


@pytest.fixture
def umask_027():
    old = os.umask(0o027)  # 0600 (mkstemp's mode) and 0640 (0666 & ~umask) differ
    yield 0o027
    os.umask(old)


def _mode(path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_report_file_mode_follows_umask(tmp_path, umask_027):
    rep = Report(tmp_path, "t")
    rep.section("s", "body")
    path = rep.write()
    assert _mode(path) == 0o666 & ~umask_027 == 0o640
    assert path.read_text(encoding="utf-8") == rep.render()


def test_dataset_file_mode_follows_umask(tmp_path, umask_027):
    path = tmp_path / "d.h5"
    write_dataset(path, np.zeros((3, 2)), np.ones(3), {"columns": ["a", "b"]})
    assert _mode(path) == 0o640
    assert [p.name for p in tmp_path.iterdir()] == ["d.h5"]  # no temporary left


def test_failed_write_keeps_old_file_and_leaves_no_temporary(tmp_path):
    path = tmp_path / "f.txt"
    write_atomic(path, "old")
    with pytest.raises(RuntimeError, match="disk full"), atomic_path(path) as tmp:
        tmp.write_text("half")
        raise RuntimeError("disk full")
    assert path.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["f.txt"]


def test_suffix_for_writers_that_append_one(tmp_path):
    path = tmp_path / "c.npz"
    with atomic_path(path, suffix=".npz") as tmp:
        np.savez(tmp, a=np.arange(3))
    assert np.array_equal(np.load(path)["a"], np.arange(3))
    assert [p.name for p in tmp_path.iterdir()] == ["c.npz"]


def test_bytes_and_text(tmp_path):
    write_atomic(tmp_path / "b", b"\x00\x01")
    write_atomic(tmp_path / "sub" / "t", "ä\n")  # the folder is created
    assert (tmp_path / "b").read_bytes() == b"\x00\x01"
    assert (tmp_path / "sub" / "t").read_text(encoding="utf-8") == "ä\n"
