"""HDF5 datasets: round trip, content hash, atomic writes, splits, `hepemu data info`."""

import h5py
import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from plot_data import bar_heights
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
    with pytest.raises(DatasetError, match="is not a readable hepemu dataset"):
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
    with pytest.raises(ValueError, match="summing to 1"):
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


def test_plot_command_draws_every_column_and_refuses_empty(tmp_path, box_data, saved_figures):
    x, y = box_data
    x = np.hstack([x, np.full((len(x), 1), 125.0)])  # a constant column: named, not plotted
    names = ["s12", "s14", "mH2", "x1", "x2", "x3", "mt"]
    write_dataset(tmp_path / "d.h5", x, y, {"columns": names})
    res = runner.invoke(
        app,
        [
            "data",
            "plot",
            str(tmp_path / "d.h5"),
            "-o",
            str(tmp_path / "d.png"),
            "--max-rows",
            "400",
        ],
    )
    assert res.exit_code == 0, res.output
    assert (tmp_path / "d.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    (fig,) = saved_figures
    assert "400 of 500 points" in fig.get_suptitle() and "constant: mt=125" in fig.get_suptitle()
    drawn = [ax for ax in fig.axes if ax.patches]
    assert [ax.get_xlabel() for ax in drawn[:6]] == names[:6]
    for j, ax in enumerate(drawn[:6]):  # 60-bin histograms of the first 400 rows
        np.testing.assert_array_equal(bar_heights(ax), np.histogram(x[:400, j], bins=60)[0])
    (last,) = drawn[6:]
    assert last.get_xlabel().startswith("log10")
    np.testing.assert_array_equal(
        bar_heights(last), np.histogram(np.log10(np.abs(y[:400])), bins=60)[0]
    )
    write_dataset(tmp_path / "e.h5", x[:0], y[:0], {})
    res = runner.invoke(
        app, ["data", "plot", str(tmp_path / "e.h5"), "-o", str(tmp_path / "e.png")]
    )
    assert res.exit_code == 2 and "no rows" in res.output


# --- the content hash covers every value, the shapes and the dtypes (and nothing else) ------

_finite = st.floats(allow_nan=False, allow_infinity=False, width=64)


@settings(max_examples=60, deadline=None)
@given(
    rows=st.integers(1, 6),
    cols=st.integers(1, 4),
    data=st.data(),
    in_targets=st.booleans(),
)
def test_hash_changes_with_any_single_input_or_target_value(rows, cols, data, in_targets):
    x = np.array(data.draw(st.lists(_finite, min_size=rows * cols, max_size=rows * cols)))
    x = x.reshape(rows, cols)
    y = np.array(data.draw(st.lists(_finite, min_size=rows, max_size=rows)))
    before = content_hash(x, y)
    target = y if in_targets else x
    flat = target.reshape(-1)  # a view: editing it edits x or y
    i = data.draw(st.integers(0, flat.size - 1), label="index")
    new = data.draw(_finite, label="new value")
    assume(np.float64(new).tobytes() != flat[i].tobytes())  # 0.0 → −0.0 counts as a change
    flat[i] = new
    assert content_hash(x, y) != before


def test_hash_changes_with_one_ulp_or_sign_of_zero_anywhere(rng):
    x = rng.standard_normal((20, 3))
    y = rng.standard_normal(20)
    ref = content_hash(x, y)
    for arr in (x, y):
        for i in range(arr.size):
            flat = arr.reshape(-1)
            old = flat[i]
            flat[i] = np.nextafter(old, np.inf)
            assert content_hash(x, y) != ref, (arr.shape, i)
            flat[i] = old
    assert content_hash(x, y) == ref
    z = np.zeros((2, 2))
    assert content_hash(z, np.zeros(2)) != content_hash(z, np.array([0.0, -0.0]))


@pytest.mark.parametrize(
    "shape_a,shape_b",
    [((6, 2), (4, 3)), ((12, 1), (6, 2)), ((3, 4), (12,))],
)
def test_hash_depends_on_input_shape_not_only_bytes(shape_a, shape_b):
    flat = np.arange(12, dtype=np.float64) * 0.5
    y = np.ones(6)
    a, b = flat.reshape(shape_a), flat.reshape(shape_b)
    assert a.tobytes() == b.tobytes()
    assert content_hash(a, y) != content_hash(b, y)


def test_hash_depends_on_target_shape_and_the_inputs_targets_boundary():
    x = np.array([[1.0], [2.0]])
    y = np.array([3.0, 4.0])
    assert content_hash(x, y) != content_hash(x, y.reshape(2, 1))
    # the same bytes in total, but one column moved from the targets to the inputs
    a_in, a_tg = np.array([[1.0], [2.0]]), np.array([[3.0, 4.0], [5.0, 6.0]])
    b_in, b_tg = np.array([[1.0, 2.0], [3.0, 4.0]]), np.array([[5.0], [6.0]])
    assert a_in.tobytes() + a_tg.tobytes() == b_in.tobytes() + b_tg.tobytes()
    assert content_hash(a_in, a_tg) != content_hash(b_in, b_tg)


def test_hash_depends_on_dtype():
    x = np.array([[0.5, 1.0], [2.0, 3.0]])
    y = np.array([1.0, 2.0])
    ref = content_hash(x, y)
    # the same bytes read as another type
    assert content_hash(x.view(np.int64), y) != ref
    assert content_hash(x, y.view(np.uint64)) != ref
    assert content_hash(x.view(np.float32), y) != ref  # (2, 4) float32: same bytes again
    # the same values stored in another type
    assert content_hash(x.astype(np.float32), y) != ref
    assert content_hash(x, y.astype(np.float32)) != ref
    assert content_hash(x, y.astype(np.int64)) != ref


def test_hash_is_independent_of_memory_layout_and_byte_order(rng):
    x = rng.standard_normal((7, 3))
    y = rng.standard_normal(7)
    ref = content_hash(x, y)
    assert content_hash(np.asfortranarray(x), y) == ref
    assert content_hash(x.astype(">f8"), y.astype(">f8")) == ref  # big-endian, same values
    wide = np.empty((7, 6))
    wide[:, ::2] = x
    assert content_hash(wide[:, ::2], np.repeat(y, 2)[::2]) == ref  # strided views


def test_hash_is_independent_of_chunking_and_compression(tmp_path, monkeypatch, box_data):
    import hepemu.data.dataset as dataset_module

    inputs, targets = box_data
    ref = content_hash(inputs, targets)
    a = write_dataset(tmp_path / "a.h5", inputs, targets, META, compression_level=0)
    monkeypatch.setattr(dataset_module, "CHUNK_ROWS", 7)
    b = write_dataset(tmp_path / "b.h5", inputs, targets, META, compression_level=9)
    with h5py.File(tmp_path / "a.h5") as fa, h5py.File(tmp_path / "b.h5") as fb:
        assert fa["inputs"].chunks != fb["inputs"].chunks and fb["inputs"].chunks[0] == 7
    assert a == b == ref
    for name in ("a.h5", "b.h5"):
        ds = Dataset.open(tmp_path / name)
        assert ds.hash == ref and ds.verify()
