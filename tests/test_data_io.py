"""Importers, exporter and the streaming reader."""

import gzip

import numpy as np
import pytest
from typer.testing import CliRunner

from hepemu.cli.main import app
from hepemu.data.dataset import Dataset, split_indices, write_dataset
from hepemu.data.importers import read_table, split_columns
from hepemu.data.points import InputError
from hepemu.data.streaming import iter_batches

runner = CliRunner()


@pytest.fixture
def table(rng):
    x = rng.random((300, 4))
    y = np.sin(x.sum(axis=1))
    return np.column_stack([x, y])


def write_csv(path, table, header=True, gz=False):
    lines = (["x1,x2,x3,x4,y"] if header else []) + [
        ",".join(repr(float(v)) for v in row) for row in table
    ]
    text = "\n".join(lines) + "\n"
    if gz:
        with gzip.open(path, "wt") as fh:
            fh.write(text)
    else:
        path.write_text(text)
    return path


@pytest.mark.parametrize("header", [True, False])
@pytest.mark.parametrize("gz", [True, False])
def test_csv_and_gz(tmp_path, table, header, gz):
    path = write_csv(tmp_path / ("t.csv.gz" if gz else "t.csv"), table, header, gz)
    data, names = read_table(path)
    np.testing.assert_array_equal(data, table)
    assert (names == ["x1", "x2", "x3", "x4", "y"]) if header else names is None


def test_spark_part_directory(tmp_path, table):
    d = tmp_path / "parts"
    d.mkdir()
    for i, chunk in enumerate(np.array_split(table, 3)):
        write_csv(d / f"part-{i:05d}.csv.gz", chunk, header=False, gz=True)
    (d / "_SUCCESS").write_text("")
    data, _ = read_table(d)
    np.testing.assert_array_equal(data, table)


def test_parquet_file_and_spark_parquet_parts(tmp_path, table):
    pa = pytest.importorskip("pyarrow")
    import pyarrow.parquet as pq

    names = ["x1", "x2", "x3", "x4", "y"]
    pq.write_table(pa.table(dict(zip(names, table.T, strict=True))), tmp_path / "t.parquet")
    data, cols = read_table(tmp_path / "t.parquet")
    np.testing.assert_array_equal(data, table)
    assert cols == names
    d = tmp_path / "spark"
    d.mkdir()
    for i, chunk in enumerate(np.array_split(table, 4)):
        part = pa.table(dict(zip(names, chunk.T, strict=True)))
        pq.write_table(part, d / f"part-{i:05d}-abc.snappy.parquet")
    (d / ".part-00000-abc.snappy.parquet.crc").write_text("")
    (d / "_SUCCESS").write_text("")
    np.testing.assert_array_equal(read_table(d)[0], table)
    (tmp_path / "bad.parquet").write_text("not parquet")
    with pytest.raises(InputError, match="Parquet"):
        read_table(tmp_path / "bad.parquet")


def test_numpy_formats(tmp_path, table):
    np.save(tmp_path / "t.npy", table)
    np.testing.assert_array_equal(read_table(tmp_path / "t.npy")[0], table)
    np.savez(tmp_path / "t.npz", x=table[:, :4], y=table[:, 4])
    np.testing.assert_array_equal(read_table(tmp_path / "t.npz")[0], table)
    x, y = split_columns(table, 4)
    assert x.shape == (300, 4) and y.shape == (300,)


def test_bad_tables(tmp_path, table):
    bad = table.copy()
    bad[5, 2] = np.nan
    with pytest.raises(InputError, match="rows 6"):
        split_columns(bad, 4)
    with pytest.raises(InputError, match="must leave at least one target column"):
        split_columns(table, 5)
    (tmp_path / "t.txt").write_text("1,2")
    with pytest.raises(InputError, match="unsupported"):
        read_table(tmp_path / "t.txt")


def test_import_info_export_cli_roundtrip(tmp_path, table):
    src = write_csv(tmp_path / "t.csv", table)
    res = runner.invoke(
        app,
        [
            "data",
            "import",
            str(src),
            "--inputs",
            "4",
            "-o",
            str(tmp_path / "d.h5"),
            "--meta",
            "process=toy",
        ],
    )
    assert res.exit_code == 0, res.output
    ds = Dataset.open(tmp_path / "d.h5")
    assert ds.meta["process"] == "toy" and ds.meta["columns"][0] == "x1" and ds.verify()
    res = runner.invoke(
        app, ["data", "export", str(tmp_path / "d.h5"), "-o", str(tmp_path / "back.csv")]
    )
    assert res.exit_code == 0, res.output
    np.testing.assert_array_equal(read_table(tmp_path / "back.csv")[0], table)


def test_streaming_reader_covers_each_row_once_with_small_buffer(tmp_path, rng):
    n = 10_000
    x = np.arange(n, dtype=float)[:, None] * np.ones((1, 2))
    write_dataset(tmp_path / "d.h5", x, np.arange(n, dtype=float), {"p": "toy"})
    seen = []
    sizes = []
    for xb, yb in iter_batches(tmp_path / "d.h5", 256, seed=3, block_rows=500, buffer_rows=1500):
        np.testing.assert_array_equal(xb[:, 0], yb)  # rows stay aligned
        seen.append(yb)
        sizes.append(len(yb))
    allrows = np.concatenate(seen)
    assert np.array_equal(np.sort(allrows), np.arange(n))  # each row exactly once
    assert all(s == 256 for s in sizes[:-1])
    assert not np.array_equal(allrows, np.arange(n))  # shuffled
    again = np.concatenate(
        [
            b[1]
            for b in iter_batches(tmp_path / "d.h5", 256, seed=3, block_rows=500, buffer_rows=1500)
        ]
    )
    np.testing.assert_array_equal(again, allrows)  # deterministic
    other = np.concatenate(
        [
            b[1]
            for b in iter_batches(
                tmp_path / "d.h5", 256, seed=3, epoch=1, block_rows=500, buffer_rows=1500
            )
        ]
    )
    assert not np.array_equal(other, allrows)


def test_streaming_reader_on_a_split(tmp_path):
    n = 3000
    write_dataset(
        tmp_path / "d.h5",
        np.arange(n, dtype=float)[:, None],
        np.arange(n, dtype=float),
        {"p": "toy"},
    )
    train = split_indices(n, seed=7)["train"]
    got = np.concatenate(
        [
            b[1]
            for b in iter_batches(
                tmp_path / "d.h5", 100, rows=train, block_rows=128, buffer_rows=512
            )
        ]
    )
    assert np.array_equal(np.sort(got), train.astype(float))
