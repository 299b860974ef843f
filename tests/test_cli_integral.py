"""CLI contract: `hepemu integral eval` columns, bad input, bad model files."""

import csv

import numpy as np
import pytest
import torch
from typer.testing import CliRunner

from hepemu.cli.main import app
from hepemu.models.inn import INN
from hepemu.models.inn_surrogate import INNSurrogate, ModelFileError
from hepemu.models.loading import load_surrogate
from hepemu.physics.integrals.gghh import GGHH_BOX_SECTOR

runner = CliRunner()


@pytest.fixture
def model_file(tmp_path):
    torch.manual_seed(0)
    nets = [INN(3, 3, (8, 8), "tanh", ansatz="anchored") for _ in range(2)]
    path = tmp_path / "m.safetensors"
    INNSurrogate(GGHH_BOX_SECTOR, nets, "gl3", 1, {"note": "test"}).save(path)
    return path


def run_eval(model, inp, out, *extra):
    """Invoke `hepemu integral eval` with the given model, input and output."""
    args = ["integral", "eval", "--model", str(model), "--input", str(inp), "--output", str(out)]
    return runner.invoke(app, [*args, *extra])


def write_csv(path, rows, header=("s12", "s14", "mH2")):
    with open(path, "w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(header)
        w.writerows(rows)
    return path


def test_eval_writes_I_and_error_columns(tmp_path, model_file):
    inp = write_csv(tmp_path / "p.csv", [[-10, -5, -4], [-20, -3.5, -29]])
    out = tmp_path / "o.csv"
    res = run_eval(model_file, inp, out)
    assert res.exit_code == 0, res.output
    rows = list(csv.DictReader(open(out)))
    assert [r["s12"] for r in rows] == ["-10", "-20"]
    sur = load_surrogate(model_file)
    mean, sig = sur.predict(np.array([[-10, -5, -4], [-20, -3.5, -29.0]]))
    np.testing.assert_allclose([float(r["I"]) for r in rows], mean, rtol=1e-12)
    np.testing.assert_allclose([float(r["I_err"]) for r in rows], sig, rtol=1e-12)
    assert np.all(sig > 0)


def test_eval_outside_region_warns_or_fails_strict(tmp_path, model_file):
    inp = write_csv(tmp_path / "p.csv", [[-10, -5, -4], [-40, -5, -4]])
    res = run_eval(model_file, inp, tmp_path / "o.csv")
    assert res.exit_code == 0
    assert "outside the trained region" in res.output and "rows 2" in res.output
    res = run_eval(model_file, inp, tmp_path / "o2.csv", "--strict")
    assert res.exit_code == 2 and "outside the trained region" in res.output
    assert not (tmp_path / "o2.csv").exists()


@pytest.mark.parametrize(
    "bad,word", [("nan", "non-finite"), ("inf", "non-finite"), ("abc", "non-numeric")]
)
def test_eval_bad_values_name_the_row(tmp_path, model_file, bad, word):
    inp = tmp_path / "p.csv"
    inp.write_text(f"s12,s14,mH2\n-10,-5,-4\n-10,-5,-4\n-10,{bad},-4\n")
    res = run_eval(model_file, inp, tmp_path / "o.csv")
    assert res.exit_code == 2
    assert "row 3" in res.output and word in res.output
    assert "Traceback" not in res.output


def test_eval_missing_column(tmp_path, model_file):
    inp = write_csv(tmp_path / "p.csv", [[-10, -5]], header=("s12", "s14"))
    res = run_eval(model_file, inp, tmp_path / "o.csv")
    assert res.exit_code == 2 and "missing column" in res.output and "mH2" in res.output


@pytest.mark.parametrize(
    "content",
    [b"", b"\x80\x04garbage pickle", b"{" * 100, b'\x10\x00\x00\x00\x00\x00\x00\x00{"a":1}       '],
)
def test_corrupted_model_file_gives_clear_error(tmp_path, content):
    bad = tmp_path / "bad.safetensors"
    bad.write_bytes(content)
    with pytest.raises(ModelFileError, match="not a readable safetensors model file"):
        load_surrogate(bad)
    inp = write_csv(tmp_path / "p.csv", [[-10, -5, -4]])
    res = run_eval(bad, inp, tmp_path / "o.csv")
    assert res.exit_code == 2 and "error" in res.output and "Traceback" not in res.output


def test_truncated_model_file(tmp_path, model_file):
    data = model_file.read_bytes()
    cut = tmp_path / "cut.safetensors"
    cut.write_bytes(data[: len(data) // 2])
    with pytest.raises(ModelFileError, match="not a readable safetensors model file"):
        load_surrogate(cut)


def test_pickle_file_is_not_unpickled(tmp_path):
    # a torch.save pickle must be rejected as a foreign format, never executed
    path = tmp_path / "evil.safetensors"
    torch.save({"x": torch.zeros(2)}, path)
    with pytest.raises(ModelFileError, match="not a readable safetensors model file"):
        load_surrogate(path)


def test_foreign_safetensors_rejected(tmp_path):
    from safetensors.torch import save_file

    path = tmp_path / "other.safetensors"
    save_file({"w": torch.zeros(3)}, str(path), metadata={"format": "something-else"})
    with pytest.raises(ModelFileError, match="not a hepemu model file"):
        load_surrogate(path)


def test_save_load_roundtrip(tmp_path, model_file):
    a = load_surrogate(model_file)
    s = GGHH_BOX_SECTOR.sample_params(5, np.random.default_rng(0))
    b_path = tmp_path / "b.safetensors"
    a.save(b_path)
    b = load_surrogate(b_path)
    np.testing.assert_array_equal(a.predict(s)[0], b.predict(s)[0])
    assert b.info == {"note": "test"} and b.korobov_order == 1


def test_unknown_model_name(tmp_path):
    inp = write_csv(tmp_path / "p.csv", [[-10, -5, -4]])
    res = run_eval("no-such-model", inp, tmp_path / "o.csv")
    assert res.exit_code == 2 and "no model named" in res.output


def test_reference_command(tmp_path):
    inp = write_csv(tmp_path / "p.csv", [[-10, -5, -4]])
    out = tmp_path / "r.csv"
    res = runner.invoke(
        app,
        [
            "integral",
            "reference",
            "--integral",
            "gghh-box-1l-full",
            "-i",
            str(inp),
            "-o",
            str(out),
            "--method",
            "gl",
            "--nodes",
            "24",
        ],
    )
    assert res.exit_code == 0, res.output
    row = next(csv.DictReader(open(out)))
    assert float(row["I"]) == pytest.approx(4.1647332855491e-2, rel=1e-11)


def test_combine_merges_replicas(tmp_path, model_file):
    out = tmp_path / "merged.safetensors"
    res = runner.invoke(
        app, ["integral", "combine", str(model_file), str(model_file), "-o", str(out)]
    )
    assert res.exit_code == 0, res.output
    merged = load_surrogate(out)
    single = load_surrogate(model_file)
    assert merged.n_replicas == 4
    s = np.array([[-10.0, -5.0, -4.0]])
    np.testing.assert_allclose(merged.predict(s)[0], single.predict(s)[0], rtol=1e-12)


def test_combine_refuses_mismatched(tmp_path, model_file):
    other = tmp_path / "other.safetensors"
    INNSurrogate(GGHH_BOX_SECTOR, [INN(3, 3, (4,), "gelu")], "centre", 0).save(other)
    res = runner.invoke(
        app,
        ["integral", "combine", str(model_file), str(other), "-o", str(tmp_path / "x.safetensors")],
    )
    assert res.exit_code == 2 and "different settings" in res.output


def test_float64_model_roundtrip_is_exact(tmp_path):
    torch.manual_seed(3)
    net = INN(3, 3, (8, 8), "gelu").double()
    with torch.no_grad():
        net.layers[0].weight[0, 0] = 1.0 / 3.0
    path = tmp_path / "f64.safetensors"
    INNSurrogate(GGHH_BOX_SECTOR, [net], "gl3", 0).save(path)
    back = load_surrogate(path)
    for k, v in net.state_dict().items():
        torch.testing.assert_close(back.replicas[0].state_dict()[k], v, rtol=0, atol=0)


def test_binary_input_gives_clear_error(tmp_path, model_file):
    inp = tmp_path / "p.csv"
    inp.write_bytes(b"s12,s14,mH2\n\xff\xfe\x00\x81binary")
    res = run_eval(model_file, inp, tmp_path / "o.csv")
    assert res.exit_code == 2 and "not a readable CSV" in res.output


def test_reference_rejects_bad_node_counts(tmp_path):
    inp = write_csv(tmp_path / "p.csv", [[-10, -5, -4]])
    for method, nodes in (("gl", "0"), ("gl", "100003"), ("qmc", "1")):
        res = runner.invoke(
            app,
            [
                "integral",
                "reference",
                "--integral",
                "gghh-box-1l",
                "-i",
                str(inp),
                "-o",
                str(tmp_path / "r.csv"),
                "--method",
                method,
                "--nodes",
                nodes,
            ],
        )
        assert res.exit_code == 2 and "--nodes" in res.output


def test_train_replicas_in_parallel_via_cli(tmp_path):
    card = tmp_path / "c.toml"
    card.write_text(
        "[inn]\nhidden = [8, 8]\nbatch_size = 128\nval_points = 8\nval_every = 5\n"
        'dtype = "float64"\nsteps = 10\n'
    )
    out = tmp_path / "run"
    args = ["integral", "train", "--card", str(card), "--out", str(out), "--replicas", "2"]
    res = runner.invoke(app, [*args, "--executor", "processes", "--workers", "2"])
    assert res.exit_code == 0, res.output
    sur = load_surrogate(out / "model.safetensors")
    assert sur.n_replicas == 2
    assert [r["steps"] for r in sur.info["replicas"]] == [10, 10]
    bad = runner.invoke(app, [*args, "--executor", "threads"])
    assert bad.exit_code == 2 and "unknown executor" in bad.output
