"""A full disk (ENOSPC) or an I/O error (EIO) while writing a generation chunk, a checkpoint,
a model, an event file or a predict CSV: no half-written file under the final name, no
temporary left, and the rerun once space is freed gives the same content hash.

The fault is injected where the kernel reports it for a buffered write: when the temporary
file is flushed (:func:`hepemu.fileio._fsync`), after it was cut to half its length, as a
disk that filled up mid-file leaves it.
"""

from __future__ import annotations

import errno
import hashlib
import os
from pathlib import Path

import numpy as np
import pytest
import torch

import hepemu.fileio
from hepemu.cli.main import run_cli
from hepemu.data.generate import GenerationPlan, chunk_path, parts_dir
from hepemu.data.generate import generate as generate_dataset
from hepemu.models.envelope import load_envelope, save_envelope
from hepemu.training.runtime import checkpoint_path, load_checkpoint, save_checkpoint

ERRORS = [errno.ENOSPC, errno.EIO]


class Disk:
    """Makes writes of files whose name contains ``pattern`` fail with ``code`` (armed)."""

    def __init__(self, monkeypatch) -> None:
        self.pattern: str | None = None
        self.code = errno.ENOSPC
        self.hits = 0
        real = hepemu.fileio._fsync

        def fsync(path) -> None:
            if self.pattern is not None and self.pattern in Path(path).name:
                self.hits += 1
                size = os.path.getsize(path)
                os.truncate(path, size // 2)  # half the file reached the disk
                raise OSError(self.code, os.strerror(self.code), str(path))
            real(path)

        monkeypatch.setattr(hepemu.fileio, "_fsync", fsync)

    def fill(self, pattern: str, code: int) -> None:
        self.pattern, self.code = pattern, code

    def free(self) -> None:
        self.pattern = None


@pytest.fixture
def disk(monkeypatch) -> Disk:
    return Disk(monkeypatch)


def sha(path: Path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def leftovers(folder: Path) -> list[str]:
    """Temporary files (hidden ``.NAME.*.tmp*``) anywhere under ``folder``."""
    return [str(p) for p in Path(folder).rglob(".*") if ".tmp" in p.name]


@pytest.mark.parametrize("code", ERRORS)
def test_generation_chunk(tmp_path, disk, code):
    plan = GenerationPlan("gghh-box-1l", n=400, chunk=100, seed=2)
    out = tmp_path / "g.h5"
    disk.fill("chunk-00002", code)
    with pytest.raises(OSError) as exc:
        generate_dataset(plan, out)
    assert exc.value.errno == code and disk.hits
    assert not chunk_path(out, 2).exists() and not out.exists()
    assert chunk_path(out, 1).exists()  # the chunks before stay: the rerun resumes
    assert not leftovers(tmp_path)
    disk.free()
    assert generate_dataset(plan, out) == generate_dataset(plan, tmp_path / "lone.h5")
    assert not parts_dir(out).exists()


@pytest.mark.parametrize("code", ERRORS)
def test_checkpoint(tmp_path, disk, code):
    tensors = {"w": torch.arange(1000, dtype=torch.float64)}
    save_checkpoint(tmp_path, tensors, {"step": 1})
    before = sha(checkpoint_path(tmp_path))
    disk.fill("checkpoint", code)
    with pytest.raises(OSError):
        save_checkpoint(tmp_path, {"w": tensors["w"] * 2}, {"step": 2})
    assert sha(checkpoint_path(tmp_path)) == before  # the previous checkpoint, whole
    assert load_checkpoint(tmp_path)[1] == {"step": 1} and not leftovers(tmp_path)
    disk.free()
    save_checkpoint(tmp_path, {"w": tensors["w"] * 2}, {"step": 2})
    fresh = tmp_path / "fresh"
    save_checkpoint(fresh, {"w": tensors["w"] * 2}, {"step": 2})
    assert checkpoint_content(tmp_path) == checkpoint_content(fresh)


def checkpoint_content(folder: Path) -> str:
    """A hash of a checkpoint's tensors and header (safetensors orders the header entries of
    a checkpoint as it likes, so the file's bytes may differ between equal saves)."""
    tensors, meta = load_checkpoint(folder)
    h = hashlib.sha256(repr(sorted(meta.items())).encode())
    for k in sorted(tensors):
        h.update(k.encode() + tensors[k].numpy().tobytes())
    return h.hexdigest()


@pytest.mark.parametrize("code", ERRORS)
def test_model(tmp_path, disk, code):
    tensors = {"w": torch.linspace(0, 1, 5000, dtype=torch.float64)}
    path = tmp_path / "m.safetensors"
    disk.fill("m.safetensors", code)
    with pytest.raises(OSError):
        save_envelope(path, tensors, {"kind": "test"})
    assert not path.exists() and not leftovers(tmp_path)
    disk.free()
    digest = save_envelope(path, tensors, {"kind": "test"})
    assert digest == sha(path) == save_envelope(tmp_path / "lone.safetensors", tensors,
                                                {"kind": "test"})
    assert torch.equal(load_envelope(path)[0]["w"], tensors["w"])


@pytest.mark.parametrize("code", ERRORS)
def test_predict_csv(tmp_path, disk, code, capsys):
    inp = tmp_path / "p.csv"
    x = np.random.default_rng(1).uniform(-29, -4, (50, 3))
    inp.write_text("s12,s14,mH2\n" + "".join(",".join(repr(float(v)) for v in r) + "\n" for r in x))
    out = tmp_path / "o.csv"
    args = ["predict", "--model", "gghh-box-1l-regressor", "-i", str(inp), "-o", str(out)]
    disk.fill("o.csv", code)
    assert run_cli(args) == 2
    said = capsys.readouterr().err
    assert f"cannot write {out}" in said and os.strerror(code) in said
    assert not out.exists() and not leftovers(tmp_path)
    disk.free()
    assert run_cli(args) == 0
    assert run_cli([*args[:-1], str(tmp_path / "lone.csv")]) == 0
    assert sha(out) == sha(tmp_path / "lone.csv")


@pytest.mark.parametrize("code", ERRORS)
def test_event_file(tmp_path, disk, code, capsys):
    out = tmp_path / "ev.lhe"
    args = ["events", "--surrogate", "ee3j", "--n", "20", "--chunk-trials", "5000", "--out"]
    disk.fill("ev.lhe", code)
    assert run_cli([*args, str(out)]) != 0
    assert os.strerror(code) in capsys.readouterr().err
    assert not out.exists() and not leftovers(tmp_path)
    disk.free()
    assert run_cli([*args, str(out)]) == 0  # resumes from the chunks kept in ev.lhe.run/
    assert run_cli([*args, str(tmp_path / "lone.lhe")]) == 0
    assert sha(out) == sha(tmp_path / "lone.lhe")
