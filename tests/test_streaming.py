"""Streaming: predict, me eval and data export read and write in chunks with the same bytes
as one whole-file pass, name rows of the whole file, and leave no file after a late refusal."""

from __future__ import annotations

import csv
import io

import numpy as np
import pytest

from hepemu.cli.common import shift_rows
from hepemu.cli.main import run_cli
from hepemu.data.dataset import Dataset, write_dataset
from hepemu.data.importers import export_csv
from hepemu.data.points import chunk_bounds, iter_points, read_points
from hepemu.registry import load_model

REGRESSOR = "gghh-box-1l-regressor"
N = 30  # rows: chunks of 7 give five chunks, the last one short


def box_points(n: int, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).uniform(-29.0, -4.0, (n, 3))


def write_csv(path, x: np.ndarray, extra: str = "") -> None:
    """A CSV s12,s14,mH2 (and a text column ``tag`` to pass through unchanged)."""
    with open(path, "w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["tag", "s12", "s14", "mH2"])
        for i, row in enumerate(x):
            w.writerow([f"p{i}{extra}", *(repr(float(v)) for v in row)])


def whole_file_output(inp, model) -> bytes:
    """The CSV `hepemu predict` wrote before streaming: every row, then I and I_err."""
    table = read_points(inp, tuple(model.input_columns))
    mean, sigma = model.predict(table.params)
    buf = io.StringIO(newline="")
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(table.header + model.output_columns)
    for i, row in enumerate(table.rows):
        w.writerow(row + [repr(float(mean[i])), repr(float(sigma[i]))])
    return buf.getvalue().encode()


def no_temporaries(folder) -> bool:
    return not [p for p in folder.iterdir() if p.name.startswith(".")]


def test_iter_points_chunks_cover_the_file_once(tmp_path):
    inp = tmp_path / "p.csv"
    x = box_points(N)
    write_csv(inp, x)
    chunks = list(iter_points(inp, ("s12", "s14", "mH2"), chunk_rows=7))
    assert [len(c.rows) for c in chunks] == [7, 7, 7, 9]  # the short tail joins the chunk before
    assert [c.start for c in chunks] == [0, 7, 14, 21]
    np.testing.assert_array_equal(np.concatenate([c.params for c in chunks]), x)
    assert chunk_bounds(N, 7) == [(0, 7), (7, 14), (14, 21), (21, 30)]
    assert chunk_bounds(200, 64) == [(0, 64), (64, 128), (128, 200)]
    assert chunk_bounds(0, 7) == [(0, 0)]


@pytest.mark.parametrize("model", [REGRESSOR, "gghh-box-1l-chebyshev"])
def test_predict_streamed_equals_the_whole_file_output(tmp_path, capsys, model):
    """Chunks of 8, 8 and 14 rows: the networks and the interpolant give row for row the same
    numbers in any batch of ≥ 8 rows (not in smaller ones: BLAS takes another path)."""
    inp, out = tmp_path / "p.csv", tmp_path / "o.csv"
    write_csv(inp, box_points(N))
    args = ["predict", "--model", model, "-i", str(inp), "-o", str(out)]
    chunk = "8"
    assert run_cli([*args, "--chunk-rows", chunk]) == 0
    assert out.read_bytes() == whole_file_output(inp, load_model(model))
    assert f"wrote {N} predictions" in capsys.readouterr().err


def test_predict_names_rows_of_the_whole_file_outside_the_region(tmp_path, capsys):
    x = box_points(N)
    x[[2, 19, 27], 0] = -60.0  # rows 3, 20 and 28 of the file, in chunks 1, 3 and 3
    inp, out = tmp_path / "p.csv", tmp_path / "o.csv"
    write_csv(inp, x)
    args = ["predict", "--model", REGRESSOR, "-i", str(inp), "-o", str(out), "--chunk-rows", "8"]
    assert run_cli(args) == 0
    warning = capsys.readouterr().err
    assert "3 point(s) outside the trained region" in warning and "rows 3, 20, 28" in warning
    assert run_cli([*args, "--strict", "--force"]) == 2
    assert "rows 3" in capsys.readouterr().err


def test_a_refusal_in_a_later_chunk_leaves_no_output(tmp_path, capsys):
    inp, out = tmp_path / "p.csv", tmp_path / "o.csv"
    write_csv(inp, box_points(N))
    text = inp.read_text().splitlines()
    text[25] = text[25].rsplit(",", 1)[0] + ",nan"  # data row 25, in the fourth chunk
    inp.write_text("\n".join(text) + "\n")
    args = ["predict", "--model", REGRESSOR, "-i", str(inp), "-o", str(out), "--chunk-rows", "8"]
    assert run_cli([*args, "--strict"]) == 2
    assert "row 25 has non-finite mH2" in capsys.readouterr().err
    assert not out.exists() and no_temporaries(tmp_path)


def test_refusals_of_a_chunk_are_renumbered_as_rows_of_the_file():
    msg = "2 point(s) outside the box: rows 1, 5 (a Chebyshev interpolant does not extrapolate)"
    assert shift_rows(msg, 14) == msg.replace("rows 1, 5", "rows 15, 19")
    assert shift_rows("3 point(s) x: rows 1, 2, 3 …", 7) == "3 point(s) x: rows 8, 9, 10 …"


def test_chebyshev_refusal_in_a_later_chunk_names_the_file_row(tmp_path, capsys):
    x = box_points(N)
    x[16, 1] = -31.0  # row 17: outside the interpolant's box, in the third chunk (16..30)
    inp, out = tmp_path / "p.csv", tmp_path / "o.csv"
    write_csv(inp, x)
    args = ["predict", "--model", "gghh-box-1l-chebyshev", "-i", str(inp), "-o", str(out)]
    assert run_cli([*args, "--chunk-rows", "8"]) == 2
    assert "rows 17 " in capsys.readouterr().err
    assert not out.exists() and no_temporaries(tmp_path)


def test_predict_from_a_dataset_streams_the_same_bytes(tmp_path):
    x = box_points(N, seed=3)
    data = tmp_path / "d.h5"
    meta = {"columns": ["s12", "s14", "mH2"], "target_columns": ["I"]}
    write_dataset(data, x, np.ones(N), meta)
    outs = []
    for chunk in ("8", "100000"):
        out = tmp_path / f"o{chunk}.csv"
        args = ["predict", "--model", REGRESSOR, "-i", str(data), "-o", str(out)]
        assert run_cli([*args, "--chunk-rows", chunk]) == 0
        outs.append(out.read_bytes())
    assert outs[0] == outs[1]
    assert outs[0].count(b"\n") == N + 1


def test_export_streamed_equals_one_savetxt(tmp_path):
    rng = np.random.default_rng(5)
    x, y = rng.normal(size=(N, 3)), rng.normal(size=N)
    data = tmp_path / "d.h5"
    write_dataset(data, x, y, {"columns": ["a", "b", "c"], "target_columns": ["t"]})
    assert export_csv(data, tmp_path / "e.csv", chunk_rows=7) == N
    whole = tmp_path / "w.csv"
    np.savetxt(whole, np.column_stack([x, y]), delimiter=",", header="a,b,c,t", comments="",
               fmt="%.17g", newline="\n")
    assert (tmp_path / "e.csv").read_bytes() == whole.read_bytes()


def test_export_of_an_empty_dataset_writes_the_header(tmp_path):
    data = tmp_path / "d.h5"
    write_dataset(data, np.empty((0, 2)), np.empty(0), {"columns": ["a", "b"]})
    assert export_csv(data, tmp_path / "e.csv", chunk_rows=7) == 0
    assert (tmp_path / "e.csv").read_text() == "a,b,y\n"


@pytest.mark.parametrize("chunk", ["8", "1000"])
def test_me_eval_streams_the_same_bytes(tmp_path, chunk):
    from tests.test_cli_me import ee3j_points, write_momenta

    inp = tmp_path / "m.csv"
    write_momenta(inp, ee3j_points(N, 4))
    out = tmp_path / f"o{chunk}.csv"
    args = ["me", "eval", "--process", "ee3j", "-i", str(inp), "-o", str(out)]
    assert run_cli([*args, "--chunk-rows", chunk]) == 0
    whole = tmp_path / "whole.csv"
    if not whole.exists():
        assert run_cli([*args[:-1], str(whole), "--chunk-rows", "100000"]) == 0
    assert out.read_bytes() == whole.read_bytes()


class Overflowing:
    """A surrogate that overflows (inf) at rows with s12 < -29.5: a model far from home."""

    input_columns = ["s12", "s14", "mH2"]
    output_columns = ["I", "I_err"]
    has_error = True

    def check_valid(self, x):
        return None

    def region_problems(self, x):
        return []

    def predict(self, x):
        mean = np.where(x[:, 0] < -29.5, np.inf, 1.0)
        return mean, np.full(len(x), 0.1)


def test_non_finite_predictions_in_a_later_chunk_are_refused_naming_the_file_rows(
    tmp_path, capsys
):
    import typer

    from hepemu.cli.predict import predict_file

    x = box_points(N)
    x[[19, 26], 0] = -29.7  # rows 20 and 27, in the third chunk (rows 17..30)
    inp, out = tmp_path / "p.csv", tmp_path / "o.csv"
    write_csv(inp, x)
    with pytest.raises(typer.Exit):
        predict_file(Overflowing(), inp, out, strict=False, chunk_rows=8)
    said = capsys.readouterr().err
    assert "non-finite predictions at rows 20, 27" in said and "nothing was written" in said
    assert not out.exists() and no_temporaries(tmp_path)


def test_evaluate_in_chunks_gives_the_metrics_of_one_pass(tmp_path):
    from hepemu.evaluation.assess import evaluate

    model = load_model(REGRESSOR)
    x = box_points(300, seed=7)
    y = model.predict(x)[0] * (1 + 1e-4 * np.random.default_rng(8).normal(size=300))
    data = tmp_path / "d.h5"
    write_dataset(data, x, y, {"columns": ["s12", "s14", "mH2"], "target_columns": ["I"]})
    chunked = evaluate(model, data, None, timing_points=0, chunk_rows=8)
    whole = evaluate(model, data, None, timing_points=0, chunk_rows=10**6)
    assert chunked == whole and chunked["metrics"]["n_points"] == 300
    test_split = evaluate(model, data, "test", timing_points=0, chunk_rows=8)
    assert test_split == evaluate(model, data, "test", timing_points=0, chunk_rows=10**6)


@pytest.mark.parametrize("suffix", [".csv", ".csv.gz", ".npy", "parts", ".parquet"])
def test_import_in_chunks_gives_the_hash_of_one_pass(tmp_path, suffix):
    import gzip

    from hepemu.data.importers import import_table, read_table, split_columns

    table = np.random.default_rng(9).normal(size=(N, 4))
    src = tmp_path / f"t{suffix}"
    text = "a,b,c,y\n" + "".join(",".join(repr(float(v)) for v in r) + "\n" for r in table)
    if suffix == ".csv":
        src.write_text(text)
    elif suffix == ".csv.gz":
        with gzip.open(src, "wt") as fh:
            fh.write(text)
    elif suffix == ".npy":
        np.save(src, table)
    elif suffix == ".parquet":
        pa = pytest.importorskip("pyarrow")
        import pyarrow.parquet as pq

        pq.write_table(pa.table(dict(zip("abcy", table.T, strict=True))), src)
    else:
        src.mkdir()
        for i, part in enumerate(np.array_split(table, 3)):
            body = "".join(",".join(repr(float(v)) for v in r) + "\n" for r in part)
            (src / f"part-{i:05d}.csv").write_text(body)
    n, digest = import_table(src, tmp_path / "d.h5", 3, {"source": "x"}, chunk_rows=7)
    whole, names = read_table(src)
    x, y = split_columns(whole, 3)
    one_pass = write_dataset(tmp_path / "w.h5", x, y, {"source": "x"})
    assert n == N and digest == one_pass
    ds = Dataset.open(tmp_path / "d.h5")
    assert ds.verify() and ds.n == N
    if names:
        assert ds.meta["columns"] == ["a", "b", "c"] and ds.meta["target_columns"] == ["y"]


def test_import_refusal_in_a_later_chunk_names_the_row_and_leaves_no_file(tmp_path):
    from hepemu.data.importers import import_table
    from hepemu.data.points import InputError

    table = np.random.default_rng(9).normal(size=(N, 4))
    table[22, 1] = np.inf
    src = tmp_path / "t.csv"
    src.write_text("".join(",".join(repr(float(v)) for v in r) + "\n" for r in table))
    with pytest.raises(InputError, match="non-finite values in rows 23"):
        import_table(src, tmp_path / "d.h5", 3, {}, chunk_rows=7)
    assert not (tmp_path / "d.h5").exists() and no_temporaries(tmp_path)


def test_events_written_chunk_by_chunk_equal_one_pass(tmp_path):
    """The LHE and HDF5 event files, written a chunk at a time, equal what writing the
    collected events in one piece gives (the file bytes; the dataset's content hash)."""
    import json

    from hepemu.applications.event_run import EventRunSetup, collect, provider_and_surrogate
    from hepemu.applications.lhe import write_lhe
    from hepemu.data.dataset import content_hash

    args = ["events", "--surrogate", "ee3j", "--n", "40", "--chunk-trials", "5000"]
    lhe, h5 = tmp_path / "ev.lhe", tmp_path / "ev.h5"
    assert run_cli([*args, "--out", str(lhe)]) == 0
    assert run_cli([*args, "--out", str(h5)]) == 0
    run_dir = tmp_path / "ev.lhe.run"
    assert len(list(run_dir.glob("chunk*.npz"))) > 1  # several chunks were streamed
    batch, total = collect(run_dir, 40)
    setup = EventRunSetup(**json.loads((run_dir / "setup.json").read_text()))
    provider, _ = provider_and_surrogate(setup)
    ids = [leg["pdg"] for leg in provider.metadata()["legs"]]
    one = tmp_path / "one.lhe"
    write_lhe(one, batch.inputs.reshape(40, len(ids), 4), batch.weights, ids, provider.sqrt_s,
              total.cross_section)
    assert lhe.read_bytes() == one.read_bytes()
    batch_h5, _ = collect(tmp_path / "ev.h5.run", 40)
    ds = Dataset.open(h5)
    assert ds.hash == content_hash(batch_h5.inputs, batch_h5.weights[:, None]) and ds.verify()
