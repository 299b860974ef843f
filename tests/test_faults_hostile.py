"""Hostile files: truncated files, headers claiming absurd shapes or a gigabyte of JSON are
refused in one line before anything is allocated, and loading never executes code."""

from __future__ import annotations

import json
import pickle
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest

from hepemu.cli.main import run_cli
from hepemu.data.dataset import Dataset, DatasetError, write_dataset
from hepemu.data.importers import read_table
from hepemu.data.points import MAX_LINE, InputError, read_points
from hepemu.models.envelope import ModelFileError
from hepemu.registry import load_model, resolve_model_path

MODEL = "gghh-box-1l-regressor"


def safetensors_bytes(header: dict, data: bytes = b"", claimed: int | None = None) -> bytes:
    text = json.dumps(header).encode()
    text += b" " * (-len(text) % 8)
    size = len(text) if claimed is None else claimed
    return size.to_bytes(8, "little") + text + data


def forged_model(path: Path, what: str) -> Path:
    """A model file whose header claims a gigabyte of JSON or a 10¹²-element tensor."""
    if what == "gigabyte header":
        path.write_bytes(safetensors_bytes({"__metadata__": {"format": "x"}}, claimed=1 << 30))
    else:
        head = {"w": {"dtype": "F64", "shape": [10**12], "data_offsets": [0, 8 * 10**12]}}
        path.write_bytes(safetensors_bytes(head, b"\0" * 16))
    return path


def forged_dataset(path: Path) -> Path:
    """A valid dataset whose inputs are then re-declared as 10¹² rows (a few kB on disk)."""
    import h5py

    write_dataset(path, np.ones((10, 3)), np.ones(10), {"columns": ["s12", "s14", "mH2"]})
    with h5py.File(path, "r+") as fh:
        del fh["inputs"], fh["targets"]
        fh.create_dataset("inputs", shape=(10**12, 3), chunks=(16384, 3), dtype="f8")
        fh.create_dataset("targets", shape=(10**12,), chunks=(16384,), dtype="f8")
    return path


@pytest.mark.parametrize("cut", [4, 100, 0.5, -8])
def test_a_truncated_model_is_refused(tmp_path, cut):
    src = resolve_model_path(MODEL)
    data = src.read_bytes()
    n = int(len(data) * cut) if isinstance(cut, float) else cut % len(data)
    path = tmp_path / "m.safetensors"
    path.write_bytes(data[:n])
    with pytest.raises(ModelFileError, match="not a readable safetensors model file"):
        load_model(str(path))


@pytest.mark.parametrize("what", ["gigabyte header", "absurd shape"])
def test_a_forged_model_header_is_refused_in_one_line(tmp_path, capsys, what):
    path = forged_model(tmp_path / "m.safetensors", what)
    with pytest.raises(ModelFileError):
        load_model(str(path))
    inp = tmp_path / "p.csv"
    inp.write_text("s12,s14,mH2\n-10,-5,-4\n")
    rc = run_cli(["predict", "--model", str(path), "-i", str(inp), "-o", str(tmp_path / "o.csv")])
    lines = [ln for ln in capsys.readouterr().err.splitlines() if ln.strip()]
    assert rc == 2 and len(lines) == 1 and str(path) in lines[0]
    assert not (tmp_path / "o.csv").exists()


def test_refusals_allocate_nothing_big(tmp_path):
    """In a fresh process: refusing the forged model headers and the forged 10¹²-row dataset
    raises the peak resident memory by less than 64 MB (the claims are 8 TB and 1 GB)."""
    paths = [forged_model(tmp_path / f"{w[:3]}.safetensors", w)
             for w in ("gigabyte header", "absurd shape")]
    data = forged_dataset(tmp_path / "d.h5")
    code = textwrap.dedent(f"""
        import resource
        from hepemu.data.dataset import Dataset, DatasetError
        from hepemu.data.importers import export_csv
        from hepemu.models.envelope import ModelFileError, load_envelope
        before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        for p in {[str(p) for p in paths]!r}:
            try:
                load_envelope(p)
            except ModelFileError:
                pass
            else:
                raise SystemExit("loaded a forged model")
        try:
            export_csv({str(data)!r}, {str(tmp_path / "e.csv")!r})
        except DatasetError:
            pass
        else:
            raise SystemExit("exported a forged dataset")
        print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before)
    """)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert int(out.stdout) < 64 * 1024  # kB
    assert not (tmp_path / "e.csv").exists()


def test_a_forged_or_truncated_dataset_is_refused(tmp_path, capsys):
    data = forged_dataset(tmp_path / "d.h5")
    with pytest.raises(DatasetError, match="claims shape"):
        Dataset.open(data)
    assert run_cli(["data", "export", str(data), "-o", str(tmp_path / "e.csv")]) == 2
    assert "forged" in capsys.readouterr().err and not (tmp_path / "e.csv").exists()
    good = tmp_path / "g.h5"
    x = np.random.default_rng(0).normal(size=(5000, 3))
    write_dataset(good, x, x.sum(axis=1), {})
    cut = tmp_path / "cut.h5"
    cut.write_bytes(good.read_bytes()[: good.stat().st_size // 2])
    with pytest.raises(DatasetError):
        Dataset.open(cut).read("inputs")
    assert run_cli(["data", "info", str(cut), "--verify"]) != 0


def test_a_csv_line_longer_than_the_bound_is_refused_before_it_is_read(tmp_path):
    path = tmp_path / "p.csv"
    with open(path, "w") as fh:
        fh.write("s12,s14,mH2\n-10,-5,-4\n")
        fh.write("1" * (4 * MAX_LINE) + "\n")
    with pytest.raises(InputError, match="line 3 is longer than"):
        read_points(path, ("s12", "s14", "mH2"))


class Payload:
    """Unpickling this creates the file ``marker``: proof that code ran."""

    def __init__(self, marker: str) -> None:
        self.marker = marker

    def __reduce__(self):
        return (open, (self.marker, "w"))


def test_loading_never_executes_code(tmp_path, capsys):
    marker = tmp_path / "ran"
    blob = pickle.dumps(Payload(str(marker)))
    model = tmp_path / "m.safetensors"
    model.write_bytes(blob)
    with pytest.raises(ModelFileError):
        load_model(str(model))
    npy = tmp_path / "t.npy"
    np.save(npy, np.array([Payload(str(marker))], dtype=object), allow_pickle=True)
    marker.unlink(missing_ok=True)  # np.save pickled it: nothing ran yet
    with pytest.raises(InputError, match="not a numeric NumPy table"):
        read_table(npy)
    h5 = tmp_path / "d.h5"
    shutil.copy(model, h5)
    with pytest.raises(DatasetError):
        Dataset.open(h5)
    assert not marker.exists()
