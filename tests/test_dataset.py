"""HDF5 datasets: round trip, content hash, atomic writes, splits, `hepemu data info`."""

import h5py
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from hepemu.cli.main import app
from hepemu.data.dataset import (
    Dataset,
    DatasetError,
    content_hash,
    split_indices,
    write_dataset,
)
from hepemu.physics.integrals.gghh import GGHH_BOX_SECTOR

runner = CliRunner()
META = {"integral": "gghh-box-1l", "sampler": "uniform", "seed": 1, "units": "mt2 = 1"}


@pytest.fixture
def box_data(rng):
    s = GGHH_BOX_SECTOR.sample_params(500, rng)
    x = rng.random((500, 3))
    return np.hstack([s, x]), GGHH_BOX_SECTOR(s, x)


def test_roundtrip_with_aux_and_weights(tmp_path, box_data):
    inputs, targets = box_data
    aux = {"born": targets * 2.0, "parts": np.stack([targets, -targets], axis=1)}
    w = np.linspace(0, 1, 500)
    digest = write_dataset(tmp_path / "d.h5", inputs, targets, META, aux=aux, weights=w)
    ds = Dataset.open(tmp_path / "d.h5")
    assert ds.n == 500 and ds.hash == digest and ds.verify()
    np.testing.assert_array_equal(ds.read("inputs"), inputs)
    np.testing.assert_array_equal(ds.read("targets"), targets)
    np.testing.assert_array_equal(ds.read("aux/parts"), aux["parts"])
    np.testing.assert_array_equal(ds.read("weights", slice(10, 20)), w[10:20])
    rows = np.array([7, 3, 400])
    np.testing.assert_array_equal(ds.read("inputs", rows), inputs[rows])
    assert ds.meta["integral"] == "gghh-box-1l" and ds.meta["seed"] == 1
    assert ds.meta["n_points"] == 500 and "hepemu_version" in ds.meta and "created" in ds.meta
    assert set(ds.arrays()) == {"inputs", "targets", "weights", "aux/born", "aux/parts"}
    with h5py.File(tmp_path / "d.h5") as fh:
        assert fh["inputs"].compression == "gzip" and fh["inputs"].chunks is not None


def test_hash_depends_on_content_not_storage(tmp_path, box_data):
    inputs, targets = box_data
    a = write_dataset(tmp_path / "a.h5", inputs, targets, META, compression_level=1)
    b = write_dataset(
        tmp_path / "b.h5", inputs, targets, {**META, "note": "x"}, compression_level=9
    )
    assert a == b == content_hash(inputs, targets)
    changed = targets.copy()
    changed[123] = np.nextafter(changed[123], 1.0)  # one ulp
    assert content_hash(inputs, changed) != a


def test_tampered_content_fails_verification(tmp_path, box_data):
    write_dataset(tmp_path / "d.h5", *box_data, META)
    with h5py.File(tmp_path / "d.h5", "a") as fh:
        fh["targets"][0] = 0.0
    assert not Dataset.open(tmp_path / "d.h5").verify()
    res = runner.invoke(app, ["data", "info", str(tmp_path / "d.h5"), "--verify"])
    assert res.exit_code == 1 and "does not match" in res.output


def test_mismatched_lengths_rejected(tmp_path, box_data):
    inputs, targets = box_data
    with pytest.raises(ValueError, match="rows"):
        write_dataset(tmp_path / "d.h5", inputs, targets[:-1], META)
    with pytest.raises(ValueError, match="weights"):
        write_dataset(tmp_path / "d.h5", inputs, targets, META, weights=np.ones(3))
    assert not (tmp_path / "d.h5").exists()


def test_info_command_prints_metadata_and_hash(tmp_path, box_data):
    digest = write_dataset(tmp_path / "d.h5", *box_data, META)
    res = runner.invoke(app, ["data", "info", str(tmp_path / "d.h5"), "--verify"])
    assert res.exit_code == 0, res.output
    assert f"hash: {digest}" in res.output.splitlines()
    assert "integral: gghh-box-1l" in res.output and "verified: yes" in res.output


@pytest.mark.parametrize("content", [b"", b"not hdf5 at all", b"\x89HDF\r\n\x1a\n" + b"\0" * 64])
def test_bad_files_give_clear_errors(tmp_path, content):
    bad = tmp_path / "bad.h5"
    bad.write_bytes(content)
    with pytest.raises(DatasetError):
        Dataset.open(bad)
    res = runner.invoke(app, ["data", "info", str(bad)])
    assert res.exit_code == 2 and "error" in res.output and "Traceback" not in res.output


def test_foreign_hdf5_rejected(tmp_path):
    with h5py.File(tmp_path / "o.h5", "w") as fh:
        fh["x"] = np.zeros(3)
    with pytest.raises(DatasetError, match="not a hepemu dataset"):
        Dataset.open(tmp_path / "o.h5")


@settings(max_examples=40, deadline=None)
@given(n=st.integers(0, 2000), seed=st.integers(0, 2**32 - 1))
def test_splits_are_deterministic_disjoint_and_complete(n, seed):
    a = split_indices(n, seed)
    b = split_indices(n, seed)
    for k in a:
        np.testing.assert_array_equal(a[k], b[k])
    allidx = np.concatenate(list(a.values()))
    assert len(allidx) == n and len(np.unique(allidx)) == n
    assert abs(len(a["train"]) - 0.8 * n) <= 1


def test_split_fractions_validated():
    with pytest.raises(ValueError):
        split_indices(10, 0, (0.5, 0.5, 0.5))


def test_stored_split_and_split_command(tmp_path, box_data):
    x, y = box_data
    path = tmp_path / "d.h5"
    digest = write_dataset(path, x, y, {"generator": "test"})
    ds = Dataset.open(path)
    parts = {p: ds.split(p) for p in ("train", "validation", "test")}
    expect = split_indices(len(x), 0)
    for p in parts:
        np.testing.assert_array_equal(parts[p], expect[p])
    res = runner.invoke(
        app, ["data", "split", str(path), "--seed", "5", "--fractions", "0.5,0.25,0.25"]
    )
    assert res.exit_code == 0, res.output
    ds = Dataset.open(path)
    assert ds.hash == digest and ds.verify()  # the data are untouched
    np.testing.assert_array_equal(
        ds.split("test"), split_indices(len(x), 5, (0.5, 0.25, 0.25))["test"]
    )
    info = runner.invoke(app, ["data", "info", str(path)])
    assert f"test {len(ds.split('test'))}" in info.output
    bad = runner.invoke(app, ["data", "split", str(path), "--fractions", "0.5,0.6,0.1"])
    assert bad.exit_code == 2 and "fractions" in bad.output
    with pytest.raises(DatasetError, match="unknown split part"):
        ds.split("holdout")


def test_plot_command_writes_png_and_refuses_empty(tmp_path, box_data):
    x, y = box_data
    write_dataset(tmp_path / "d.h5", x, y, {"columns": ["s12", "s14", "mH2", "x1", "x2", "x3"]})
    res = runner.invoke(
        app, ["data", "plot", str(tmp_path / "d.h5"), "-o", str(tmp_path / "d.png")]
    )
    assert res.exit_code == 0, res.output
    assert (tmp_path / "d.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    write_dataset(tmp_path / "e.h5", x[:0], y[:0], {})
    res = runner.invoke(
        app, ["data", "plot", str(tmp_path / "e.h5"), "-o", str(tmp_path / "e.png")]
    )
    assert res.exit_code == 2 and "no rows" in res.output
