"""The command line under misuse: every failure is one readable line, a non-zero exit, no
traceback, and no file changed that should not be (issue 12).

The CLI is driven in-process through ``run_cli`` (the console script's own error boundary).
"""

from __future__ import annotations

import csv
import hashlib
import socket
import struct
from pathlib import Path

import numpy as np
import pytest
import torch

from hepemu.cli.main import run_cli
from hepemu.data.dataset import Dataset, write_dataset
from hepemu.data.generate import GenerationPlan, generate
from hepemu.models.inn import INN
from hepemu.models.inn_surrogate import INNSurrogate
from hepemu.physics.integrals.gghh import GGHH_BOX_SECTOR


def cli(capsys, *args: str) -> tuple[int, str, str]:
    """Run ``hepemu *args``; returns (exit code, stdout, stderr)."""
    rc = run_cli([str(a) for a in args])
    cap = capsys.readouterr()
    return rc, cap.out, cap.err


def refused(capsys, *args: str, says: str = "") -> str:
    """Assert that ``hepemu *args`` fails cleanly: non-zero exit, one ``error:`` line on
    stderr and nothing else there, no traceback; returns that line."""
    rc, out, err = cli(capsys, *args)
    lines = [ln for ln in err.splitlines() if ln.strip()]
    assert rc != 0, f"exit 0 for {args}: {out} {err}"
    assert "Traceback" not in out + err
    assert len(lines) == 1 and lines[0].startswith("error: "), err
    assert says.lower() in lines[0].lower(), lines[0]
    return lines[0]


def digest(path: Path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def write_csv(path: Path, rows, header=("s12", "s14", "mH2"), prefix: str = "") -> Path:
    with open(path, "w", newline="", encoding="utf-8") as fh:
        fh.write(prefix)
        w = csv.writer(fh)
        w.writerow(header)
        w.writerows(rows)
    return path


@pytest.fixture
def model_file(tmp_path):
    torch.manual_seed(0)
    nets = [INN(3, 3, (8, 8), "tanh", ansatz="anchored") for _ in range(2)]
    path = tmp_path / "m.safetensors"
    INNSurrogate(GGHH_BOX_SECTOR, nets, "gl3", 1).save(path)
    return path


@pytest.fixture(scope="module")
def dataset(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("ds") / "F.h5"
    generate(GenerationPlan("gghh-box-1l", n=3000, chunk=1000, seed=3), out)
    return out


@pytest.fixture
def points(tmp_path) -> Path:
    return write_csv(tmp_path / "p.csv", [[-10, -5, -4], [-20, -7, -3.5]])


# -- never lose or clobber a user's file ----------------------------------------------------
def test_export_onto_its_own_input_is_refused(capsys, dataset):
    before = digest(dataset)
    refused(capsys, "data", "export", dataset, "-o", dataset, says="input")
    assert digest(dataset) == before


def test_every_writer_refuses_an_existing_output_without_force(capsys, tmp_path, dataset, points):
    victim = tmp_path / "keep.csv"
    victim.write_text("precious\n")
    png = tmp_path / "keep.png"
    png.write_bytes(b"precious")
    h5 = tmp_path / "keep.h5"
    h5.write_bytes(b"precious")
    m = "gghh-box-1l"
    for args in (
        ("data", "export", dataset, "-o", victim),
        ("data", "plot", dataset, "-o", png),
        ("data", "import", victim, "--inputs", "1", "-o", h5),
        ("integral", "eval", "--model", m, "-i", points, "-o", victim),
        ("integral", "reference", "--integral", m, "-i", points, "-o", victim, "--method", "gl"),
        ("data", "generate", "--provider", m, "--n", "10", "--out", h5),
    ):
        refused(capsys, *args, says="--force")
    assert victim.read_text() == "precious\n"
    assert png.read_bytes() == h5.read_bytes() == b"precious"
    rc, _, _ = cli(capsys, "data", "export", dataset, "-o", victim, "--force")
    assert rc == 0 and victim.read_text().startswith("s12,s14,mH2,x1,x2,x3,f\n")


def test_generate_into_a_directory_does_no_work_and_leaves_nothing(capsys, tmp_path):
    import providers_for_tests

    target = tmp_path / "dir"
    target.mkdir()
    providers_for_tests.evaluated["points"] = 0
    refused(capsys, "data", "generate", "--provider", "providers_for_tests:counting", "--n",
            "50000", "--out", target, says="directory")
    assert providers_for_tests.evaluated["points"] == 0  # refused before any truth is evaluated
    assert sorted(p.name for p in tmp_path.iterdir()) == ["dir"]


def test_generate_rerun_is_a_noop_and_another_plan_needs_force(capsys, tmp_path):
    out = tmp_path / "F.h5"
    args = ("data", "generate", "--provider", "gghh-box-1l", "--n", "2000", "--chunk", "500",
            "--out", out)
    rc, _, _ = cli(capsys, *args)
    assert rc == 0 and not Path(str(out) + ".parts").exists()  # removed after verification
    Dataset.open(out).set_split(11, (0.6, 0.2, 0.2))
    before = digest(out)
    rc, text, _ = cli(capsys, *args)
    assert rc == 0 and "nothing to do" in text and digest(out) == before
    refused(capsys, *args[:-1], out, "--seed", "4", says="--force")
    assert digest(out) == before
    rc, _, _ = cli(capsys, *args, "--seed", "4", "--force")
    assert rc == 0 and digest(out) != before


def test_generate_refuses_a_users_non_dataset_file(capsys, tmp_path):
    out = tmp_path / "notes.h5"
    out.write_text("my notes")
    refused(capsys, "data", "generate", "--provider", "gghh-box-1l", "--n", "10", "--out", out,
            says="--force")
    assert out.read_text() == "my notes"


def test_train_out_must_be_a_run_directory(capsys, tmp_path):
    (tmp_path / "mine.txt").write_text("x")
    refused(capsys, "integral", "train", "--out", tmp_path, "--steps", "1",
            says="not a hepemu run")
    f = tmp_path / "mine.txt"
    refused(capsys, "integral", "train", "--out", f, "--steps", "1", says="is a file")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["mine.txt"]


def test_combine_refuses_to_write_onto_an_input(capsys, model_file):
    before = digest(model_file)
    refused(capsys, "integral", "combine", model_file, model_file, "-o", model_file,
            says="input")
    assert digest(model_file) == before


def test_output_folder_under_a_file_is_refused_up_front(capsys, tmp_path, points):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    refused(capsys, "integral", "eval", "--model", "gghh-box-1l", "-i", points,
            "-o", blocker / "out.csv", says="is a file")


# -- never a silently wrong answer -------------------------------------------------------------
def test_row_with_an_extra_field_is_an_error_naming_the_row(capsys, tmp_path):
    inp = tmp_path / "x.csv"
    inp.write_text("s12,s14,mH2\n-10,-5,-4\n-10,-5,-4,9\n")
    refused(capsys, "integral", "eval", "--model", "gghh-box-1l", "-i", inp, "-o",
            tmp_path / "o.csv", says="row 2")
    assert not (tmp_path / "o.csv").exists()


def test_duplicated_column_is_an_error(capsys, tmp_path):
    inp = write_csv(tmp_path / "d.csv", [[-10, -5, -4, -6]], ("s12", "s14", "mH2", "s12"))
    refused(capsys, "integral", "eval", "--model", "gghh-box-1l", "-i", inp, "-o",
            tmp_path / "o.csv", says="duplicated")


def test_bom_header_is_read_and_output_has_lf_line_ends(capsys, tmp_path, model_file):
    inp = write_csv(tmp_path / "b.csv", [[-10, -5, -4]], prefix="\ufeff")
    out = tmp_path / "o.csv"
    rc, _, err = cli(capsys, "integral", "eval", "--model", model_file, "-i", inp, "-o", out)
    assert rc == 0, err
    raw = out.read_bytes()
    assert b"\r" not in raw and raw.startswith(b"s12,s14,mH2,I,I_err\n")


def test_damaged_model_weights_are_refused(capsys, tmp_path, model_file, points):
    raw = bytearray(model_file.read_bytes())
    start = 8 + struct.unpack("<Q", raw[:8])[0]  # safetensors: u64 header length, header, data
    raw[start + 40 : start + 48] = bytes(8)
    bad = tmp_path / "bad.safetensors"
    bad.write_bytes(bytes(raw))
    refused(capsys, "integral", "eval", "--model", bad, "-i", points, "-o", tmp_path / "o.csv",
            says="corrupted")


def test_edited_model_settings_are_refused(capsys, tmp_path, model_file, points):
    from safetensors import safe_open
    from safetensors.torch import load_file, save_file

    with safe_open(str(model_file), framework="pt") as fh:
        header = dict(fh.metadata())
    header["korobov_order"] = "0"  # another preprocessing: every answer would change
    bad = tmp_path / "edited.safetensors"
    save_file(load_file(str(model_file)), str(bad), metadata=header)
    refused(capsys, "integral", "eval", "--model", bad, "-i", points, "-o", tmp_path / "o.csv",
            says="corrupted")


def test_reference_above_threshold_is_an_error(capsys, tmp_path):
    inp = write_csv(tmp_path / "a.csv", [[-10, -5, -4], [10, -5, -4]])
    for method in ("gl", "qmc"):
        refused(capsys, "integral", "reference", "--integral", "gghh-box-1l", "-i", inp,
                "-o", tmp_path / f"{method}.csv", "--method", method, "--nodes", "101",
                says="valid")
        assert not (tmp_path / f"{method}.csv").exists()


def test_error_estimates_mean_something(capsys, tmp_path, points):
    gl = tmp_path / "gl.csv"
    rc, _, _ = cli(capsys, "integral", "reference", "--integral", "gghh-box-1l", "-i", points,
                   "-o", gl, "--method", "gl", "--nodes", "6")
    assert rc == 0
    rows = list(csv.DictReader(open(gl)))
    ref = GGHH_BOX_SECTOR  # a 6-node rule's error is far above rounding: check it is covered
    from hepemu.physics.integrals.quadrature import integrate_gauss_legendre

    s = np.array([[float(r[c]) for c in ref.param_names] for r in rows])
    exact = integrate_gauss_legendre(ref, s, 3, 40)
    for r, t in zip(rows, exact, strict=True):
        err = float(r["I_err"])
        assert np.isfinite(err) and abs(float(r["I"]) - t) <= err < 1e3 * abs(float(r["I"]) - t)
    torch.manual_seed(1)
    one = tmp_path / "one.safetensors"
    INNSurrogate(GGHH_BOX_SECTOR, [INN(3, 3, (8,), "tanh")], "gl3", 1).save(one)
    rc, _, err = cli(capsys, "integral", "eval", "--model", one, "-i", points, "-o",
                     tmp_path / "o.csv")
    assert rc == 0 and "no error estimate" in err
    assert all(r["I_err"] == "nan" for r in csv.DictReader(open(tmp_path / "o.csv")))


def test_export_keeps_the_datasets_column_names(capsys, tmp_path):
    src = tmp_path / "t.csv"
    src.write_text("a,b,target\n1,2,3\n4,5,6\n")
    h5 = tmp_path / "t.h5"
    assert cli(capsys, "data", "import", src, "--inputs", "2", "-o", h5)[0] == 0
    out = tmp_path / "back.csv"
    assert cli(capsys, "data", "export", h5, "-o", out)[0] == 0
    assert out.read_bytes().startswith(b"a,b,target\n1,2,3\n")


# -- never a traceback -------------------------------------------------------------------------
def test_cuda_in_a_card_without_cuda(capsys, tmp_path):
    if torch.cuda.is_available():
        pytest.skip("this machine has CUDA")
    card = tmp_path / "c.toml"
    card.write_text('[inn]\ndevice = "cuda"\nsteps = 1\n')
    refused(capsys, "integral", "train", "--card", card, "--out", tmp_path / "r", says="cuda")


@pytest.mark.parametrize("command", ["generate", "train"])
def test_binary_file_as_card(capsys, tmp_path, command):
    card = tmp_path / "c.toml"
    card.write_bytes(bytes(range(256)) * 4)
    args = (
        ("data", "generate", card) if command == "generate"
        else ("integral", "train", "--card", card, "--out", tmp_path / "r")
    )
    refused(capsys, *args, says="toml")


def test_unreachable_scheduler_fails_fast(capsys, tmp_path, monkeypatch):
    """Refused by a plain connect before any Dask client (which would wait out its connect
    timeout) is made; the time it takes is in benchmarks/timings.py."""
    import distributed

    clients = []

    def no_client(*args, **kwargs):
        clients.append(args)
        raise RuntimeError("test: a Dask client was made")

    monkeypatch.setattr(distributed, "Client", no_client)
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]  # closed again: nothing listens there
    refused(capsys, "data", "generate", "--provider", "gghh-box-1l", "--n", "10", "--out",
            tmp_path / "F.h5", "--executor", "dask", "--scheduler", f"tcp://127.0.0.1:{port}",
            says=f"cannot reach the Dask scheduler at tcp://127.0.0.1:{port}")
    assert clients == []
    assert not list(tmp_path.iterdir())


def test_damaged_dataset_chunk(capsys, tmp_path, dataset):
    import h5py

    bad = tmp_path / "C.h5"
    raw = bytearray(dataset.read_bytes())
    with h5py.File(dataset, "r") as fh:
        info = fh["inputs"].id.get_chunk_info(0)
    raw[info.byte_offset + 50 : info.byte_offset + 150] = bytes(100)
    bad.write_bytes(bytes(raw))
    refused(capsys, "data", "info", bad, "--verify", says="damaged")
    refused(capsys, "data", "plot", bad, "-o", tmp_path / "c.png", says="damaged")
    refused(capsys, "data", "export", bad, "-o", tmp_path / "c.csv", says="damaged")
    assert not (tmp_path / "c.png").exists() and not (tmp_path / "c.csv").exists()


def test_import_of_binary_or_object_tables(capsys, tmp_path):
    binary = tmp_path / "b.csv"
    binary.write_bytes(bytes(range(256)) * 8)
    refused(capsys, "data", "import", binary, "--inputs", "1", "-o", tmp_path / "b.h5")
    obj = tmp_path / "o.npy"
    np.save(obj, np.array([{"a": 1}, None], dtype=object), allow_pickle=True)
    refused(capsys, "data", "import", obj, "--inputs", "1", "-o", tmp_path / "o.h5",
            says="numpy")
    strings = tmp_path / "s.npy"
    np.save(strings, np.array([["1", "2"], ["3", "x"]]))
    refused(capsys, "data", "import", strings, "--inputs", "1", "-o", tmp_path / "s.h5",
            says="numeric")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["b.csv", "o.npy", "s.npy"]


def test_plot_to_a_text_file_is_refused(capsys, tmp_path, dataset):
    refused(capsys, "data", "plot", dataset, "-o", tmp_path / "x.txt", says=".png")
    assert not (tmp_path / "x.txt").exists()


def test_run_with_no_points(capsys, tmp_path):
    rc, out, err = cli(capsys, "run", "--points", "0", "--out", tmp_path / "r")
    assert rc != 0 and "Traceback" not in out + err and "points" in err
    assert not (tmp_path / "r").exists()


def test_ctrl_c_in_training_exits_130(capsys, tmp_path, monkeypatch):
    import hepemu.training.inn_train as inn_train

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(inn_train, "train_replicas", interrupted)
    rc, _, err = cli(capsys, "integral", "train", "--out", tmp_path / "r", "--steps", "5")
    assert rc == 130 and "interrupted" in err and "error: 130" not in err


def test_unexpected_exception_is_one_line(capsys, tmp_path, dataset, monkeypatch):
    def boom(*args, **kwargs):
        raise ZeroDivisionError("planted")

    monkeypatch.setattr(Dataset, "verify", boom)
    line = refused(capsys, "data", "info", dataset, "--verify", says="planted")
    assert "HEPEMU_DEBUG" in line


# -- messages that say what is wrong -----------------------------------------------------------
def test_bad_option_value_names_the_option(capsys, tmp_path):
    refused(capsys, "data", "generate", "--provider", "ee-qqg", "--n", "10", "--out",
            tmp_path / "F.h5", "--option", "ycut=abc", says="ycut")
    refused(capsys, "data", "generate", "--provider", "ee-qqg", "--n", "10", "--out",
            tmp_path / "F.h5", "--option", "ycut=7", says="ycut")


def test_two_options_after_one_flag_get_a_hint(capsys, tmp_path):
    refused(capsys, "data", "generate", "--provider", "ee-qqg", "--n", "10", "--out",
            tmp_path / "F.h5", "--option", "ycut=0.01", "sqrt_s=91", says="--option")


def test_card_keys_outside_the_generate_table(capsys, tmp_path):
    card = tmp_path / "g.toml"
    card.write_text('provider = "ee-qqg"\nn = 10\nout = "F.h5"\n')
    refused(capsys, "data", "generate", card, says="[generate]")
    card.write_text('seed = 1\n[generate]\nprovider = "ee-qqg"\nn = 10\nout = "F.h5"\n')
    refused(capsys, "data", "generate", card, says="outside the [generate]")


def test_validation_errors_are_one_line_without_urls(capsys, tmp_path):
    card = tmp_path / "g.toml"
    card.write_text('[generate]\nprovider = "ee-qqg"\nn = "ten"\nout = "F.h5"\nbogus = 1\n')
    line = refused(capsys, "data", "generate", card, says="n:")
    assert "bogus" in line and "http" not in line


def test_version_and_help_show_literal_brackets(capsys):
    rc, out, _ = cli(capsys, "--version")
    assert rc == 0 and out.startswith("hepemu ")
    rc, out, _ = cli(capsys, "data", "generate", "--help")
    assert rc == 0 and "[generate]" in out


def test_refusals_leave_datasets_unchanged(capsys, tmp_path):
    out = tmp_path / "F.h5"
    write_dataset(out, np.zeros((4, 2)), np.ones(4), {"columns": ["a", "b"]})
    before = digest(out)
    refused(capsys, "data", "split", out, "--fractions", "0.5,0.5", says="fractions")
    refused(capsys, "data", "split", out, "--fractions", "a,b,c", says="fractions")
    assert digest(out) == before


# -- processes, logs and files -----------------------------------------------------------------
def test_train_rerun_is_a_noop_and_extension_is_announced(capsys, tmp_path):
    import os
    import stat

    out = tmp_path / "run"
    card = tmp_path / "c.toml"
    card.write_text("[inn]\nhidden = [8]\nbatch_size = 64\nval_points = 8\nval_every = 5\n")
    old = os.umask(0o027)
    try:
        rc, _, err = cli(capsys, "integral", "train", "--card", card, "--out", out,
                         "--steps", "10", "--threads", "1")
    finally:
        os.umask(old)
    model = out / "model.safetensors"
    assert rc == 0, err
    assert stat.S_IMODE(model.stat().st_mode) == 0o640  # 0666 & ~umask, not safetensors' 0600
    before = digest(model)
    rc, _, err = cli(capsys, "integral", "train", "--card", card, "--out", out, "--steps", "10")
    assert rc == 0 and "nothing to do" in err and digest(model) == before
    rc, _, err = cli(capsys, "integral", "train", "--card", card, "--out", out, "--steps", "15")
    assert rc == 0 and "extending the run" in err and "from 10 to 15 steps" in err
    assert digest(model) != before
