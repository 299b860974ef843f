"""The training runtime: time-limited fits resume to the uninterrupted weights, fixed settings
cannot change on resume, checkpoints are written atomically, cards fail naming file and key."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from hepemu.cards import CardError, load_card
from hepemu.data.dataset import Dataset, write_dataset
from hepemu.data.generate import GenerateCard
from hepemu.training.fit import MemberTrainer
from hepemu.training.fit_config import FitCard, same_fit
from hepemu.training.fit_data import fit_preprocessing
from hepemu.training.inn_config import INNTrainConfig
from hepemu.training.inn_train import INNTrainer
from hepemu.training.runtime import (
    CHECKPOINT_FILE,
    Clock,
    ResumeError,
    load_checkpoint,
    resolve_device,
    save_checkpoint,
    torch_dtype,
)


@pytest.fixture(scope="module")
def dataset(tmp_path_factory):
    path = tmp_path_factory.mktemp("rt") / "D.h5"
    x = np.random.default_rng(3).random((800, 2))
    y = np.exp(2.0 * x[:, 0]) * (1.0 + x[:, 1])
    write_dataset(path, x, y, {"columns": ["a", "b"], "target_columns": ["f"]})
    return path


def card(path, **training) -> FitCard:
    t = {"epochs": 4, "batch_size": 64, "patience": 10, "threads": 1, **training}
    return FitCard.model_validate(
        {
            "data": {"path": str(path)},
            "model": {"kind": "dnn", "hidden": [16, 16]},
            "training": t,
        }
    )


def stop_after(monkeypatch, n: int) -> None:
    """Make the time limit strike after ``n`` checks (one check per training step)."""
    calls = {"n": 0}

    def out_of_time(self) -> bool:
        calls["n"] += 1
        return self.limit_s is not None and calls["n"] >= n

    monkeypatch.setattr(Clock, "out_of_time", out_of_time)


# -- time limit and resume -------------------------------------------------------------------
def test_time_limited_fit_resumes_to_the_uninterrupted_weights(dataset, tmp_path, monkeypatch):
    c = card(dataset)
    pre = fit_preprocessing(c, Dataset.open(dataset))
    whole = MemberTrainer(c, pre, tmp_path / "whole", seed=1)
    assert whole.train().finished
    limited = card(dataset, max_minutes=5.0)
    stop_after(monkeypatch, 17)  # 10 batches per epoch: stops mid-epoch 2
    part = MemberTrainer(limited, pre, tmp_path / "part", seed=1)
    st = part.train()
    assert not st.finished and st.step == 17 and st.batch_in_epoch == 7
    assert (tmp_path / "part" / CHECKPOINT_FILE).exists()
    monkeypatch.undo()
    # the time limit and the checkpoint cadence are runtime settings: they may change
    again = MemberTrainer(card(dataset, checkpoint_every_s=5.0), pre, tmp_path / "part", seed=1)
    assert again.try_resume() and again.state.step == 17
    assert again.train().finished and again.state.step == whole.state.step
    for k, v in whole.net.state_dict().items():
        torch.testing.assert_close(again.net.state_dict()[k], v, rtol=0, atol=0, msg=k)


def test_time_limited_inn_run_resumes_to_the_uninterrupted_weights(tmp_path, monkeypatch):
    small = dict(hidden=[8, 8], batch_size=64, val_points=8, val_every=5, dtype="float64")
    cfg = INNTrainConfig(steps=20, **small)
    whole = INNTrainer(cfg, tmp_path / "whole")
    whole.train()
    stop_after(monkeypatch, 12)
    part = INNTrainer(cfg, tmp_path / "part")
    assert part.train(max_seconds=60.0).step == 12
    monkeypatch.undo()
    again = INNTrainer(cfg.model_copy(update={"checkpoint_every_s": 1.0}), tmp_path / "part")
    assert again.try_resume() and again.state.step == 12
    again.train()
    for k, v in whole.net.state_dict().items():
        torch.testing.assert_close(again.net.state_dict()[k], v, rtol=0, atol=0, msg=k)


@pytest.mark.parametrize(
    "change,key",
    [
        ({"model": {"kind": "dnn", "hidden": [8, 8]}}, "card.model.hidden"),
        ({"training": {"seed": 5}}, "card.training.seed"),
        ({"training": {"lr": 2e-3}}, "card.training.lr"),
    ],
)
def test_resume_refuses_a_changed_fixed_setting_in_one_line(dataset, tmp_path, change, key):
    c = card(dataset, epochs=1)
    pre = fit_preprocessing(c, Dataset.open(dataset))
    MemberTrainer(c, pre, tmp_path, seed=1).train()
    base = c.model_dump(mode="json")
    for section, values in change.items():
        base[section] = {**base[section], **values}
    other = FitCard.model_validate(base)
    assert not same_fit(c, other)
    with pytest.raises(ResumeError) as info:
        MemberTrainer(other, pre, tmp_path, seed=1).try_resume()
    message = str(info.value)
    assert "\n" not in message and f"{key} " in message and "another output directory" in message


def test_inn_resume_refuses_another_seed_but_accepts_more_steps(tmp_path):
    cfg = INNTrainConfig(steps=3, hidden=[4], batch_size=16, val_points=8, val_every=3)
    INNTrainer(cfg, tmp_path).train()
    with pytest.raises(ResumeError, match=r"seed 0 → 1"):
        INNTrainer(cfg.model_copy(update={"seed": 1}), tmp_path).try_resume()
    longer = INNTrainer(cfg.model_copy(update={"steps": 6}), tmp_path)
    assert longer.try_resume() and longer.state.step == 3


def test_old_checkpoint_layout_must_be_restarted(tmp_path):
    (tmp_path / "checkpoint.pt").write_bytes(b"old pickle")
    cfg = INNTrainConfig(steps=1, hidden=[4], batch_size=16, val_points=8)
    with pytest.raises(ResumeError, match="must be restarted"):
        INNTrainer(cfg, tmp_path).try_resume()


# -- the checkpoint file ---------------------------------------------------------------------
def test_checkpoint_round_trips_tensors_and_json(tmp_path):
    t = {"w": torch.arange(6.0).reshape(2, 3), "raw": torch.tensor([1, 2, 255], dtype=torch.uint8)}
    save_checkpoint(tmp_path, t, {"step": 7, "best": float("inf"), "names": ["a"]})
    tensors, meta = load_checkpoint(tmp_path)
    assert meta == {"step": 7, "best": float("inf"), "names": ["a"]}
    assert set(tensors) == set(t) and all(torch.equal(tensors[k], t[k]) for k in t)


def test_failed_checkpoint_write_leaves_the_previous_checkpoint(tmp_path, monkeypatch):
    save_checkpoint(tmp_path, {"w": torch.ones(3)}, {"step": 1})
    import hepemu.fileio

    def half_then_fail(filename):  # flushing the temporary file: half of it, then disk full
        with open(filename, "r+b") as fh:
            fh.truncate(fh.seek(0, 2) // 2)
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(hepemu.fileio, "_fsync", half_then_fail)
    with pytest.raises(OSError, match="No space"):
        save_checkpoint(tmp_path, {"w": torch.zeros(3)}, {"step": 2})
    with pytest.raises(OSError):
        save_checkpoint(tmp_path / "fresh", {"w": torch.zeros(3)}, {"step": 2})
    monkeypatch.undo()
    tensors, meta = load_checkpoint(tmp_path)
    assert meta == {"step": 1} and torch.equal(tensors["w"], torch.ones(3))
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([CHECKPOINT_FILE, "fresh"])
    assert not any((tmp_path / "fresh").iterdir())  # no file under any name


# -- device and dtype ------------------------------------------------------------------------
def test_device_and_dtype_choice():
    assert resolve_device("cpu") == torch.device("cpu")
    assert resolve_device("auto").type == ("cuda" if torch.cuda.is_available() else "cpu")
    assert torch_dtype("float64") is torch.float64 and torch_dtype("float32") is torch.float32
    with pytest.raises(ValueError, match="dtype"):
        torch_dtype("float16")
    if not torch.cuda.is_available():
        with pytest.raises(ValueError, match="no CUDA"):
            resolve_device("cuda:0")


# -- cards -----------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "schema,table,text,says",
    [
        (FitCard, None, "[data]\npath = 'D.h5'\n[training]\nepochz = 3\n", "training.epochz"),
        (FitCard, None, "[data]\npath = 'D.h5'\n[training]\nepochs = 'many'\n", "training.epochs"),
        (INNTrainConfig, "inn", "[inn]\nstepz = 10\n", "inn.stepz"),
        (INNTrainConfig, "inn", "[inn]\nhidden = 'wide'\n", "inn.hidden"),
        (GenerateCard, "generate", "[generate]\nprovider = 'x'\nn = 5\nout = 'F.h5'\nbad = 1\n",
         "generate.bad"),
    ],
)
def test_bad_card_key_is_named_with_its_file(tmp_path, schema, table, text, says):
    path = tmp_path / "card.toml"
    path.write_text(text)
    with pytest.raises(CardError) as info:
        load_card(path, schema, table)
    message = str(info.value)
    assert "\n" not in message and str(path) in message and says in message


def test_shipped_cards_still_load():
    from pathlib import Path

    cards = Path(__file__).resolve().parents[1] / "cards"
    for path in sorted(cards.glob("*.toml")):
        text = path.read_text()
        loaded = (
            INNTrainConfig.from_toml(path) if "[inn]" in text else FitCard.from_toml(path)
        )
        assert loaded.model_dump()  # validated, every key known


@pytest.mark.parametrize("command", ["fit", "train", "generate"])
def test_cli_names_the_bad_card_key_and_file_in_one_line(tmp_path, capsys, dataset, command):
    from hepemu.cli.main import run_cli

    path = tmp_path / "card.toml"
    text = {
        "fit": f"[data]\npath = '{dataset}'\n[training]\nepochz = 3\n",
        "train": "[inn]\nstepz = 3\n",
        "generate": "[generate]\nprovider = 'ee-qqg'\nn = 5\nout = 'F.h5'\nchunkz = 1\n",
    }[command]
    path.write_text(text)
    args = {
        "fit": ["fit", str(path), "--out", str(tmp_path / "r")],
        "train": ["integral", "train", "--card", str(path), "--out", str(tmp_path / "r")],
        "generate": ["data", "generate", str(path)],
    }[command]
    assert run_cli(args) != 0
    lines = [ln for ln in capsys.readouterr().err.splitlines() if ln.strip()]
    key = {"fit": "training.epochz", "train": "inn.stepz", "generate": "generate.chunkz"}[command]
    assert len(lines) == 1 and key in lines[0] and "card.toml" in lines[0], lines


@pytest.mark.parametrize("command", ["fit", "train"])
def test_cli_refuses_an_old_checkpoint_in_one_line(tmp_path, capsys, dataset, command):
    from hepemu.cli.main import run_cli

    out = tmp_path / "r"
    sub = out / ("member0" if command == "fit" else "replica0")
    sub.mkdir(parents=True)
    (sub / "checkpoint.pt").write_bytes(b"a pickled blob of an earlier hepemu")
    path = tmp_path / "card.toml"
    if command == "fit":
        path.write_text(f"[data]\npath = '{dataset}'\n[training]\nepochs = 1\nthreads = 1\n")
        args = ["fit", str(path), "--out", str(out)]
    else:
        path.write_text("[inn]\nhidden = [4]\nbatch_size = 16\nval_points = 8\nsteps = 2\n")
        args = ["integral", "train", "--card", str(path), "--out", str(out), "--threads", "1"]
    assert run_cli(args) != 0
    lines = [ln for ln in capsys.readouterr().err.splitlines() if ln.strip()]
    assert len(lines) == 1 and "must be restarted" in lines[0], lines


def test_inn_card_time_limit_stops_cleanly(tmp_path, monkeypatch):
    cfg = INNTrainConfig(steps=10, hidden=[4], batch_size=16, val_points=8, max_minutes=1.0)
    stop_after(monkeypatch, 4)
    st = INNTrainer(cfg, tmp_path).train()
    assert st.step == 4 and st.history[-1]["step"] == 4  # validated where it stopped
    assert INNTrainer(cfg, tmp_path).try_resume()


def test_finished_old_fit_run_is_still_nothing_to_do(tmp_path, capsys, dataset):
    from hepemu.cli.main import run_cli

    path, out = tmp_path / "card.toml", tmp_path / "r"
    path.write_text(f"[data]\npath = '{dataset}'\n[training]\nepochs = 1\nthreads = 1\n")
    assert run_cli(["fit", str(path), "--out", str(out)]) == 0
    ckpt = out / "member0" / CHECKPOINT_FILE
    ckpt.rename(ckpt.with_name("checkpoint.pt"))  # as an earlier hepemu left it
    capsys.readouterr()
    assert run_cli(["fit", str(path), "--out", str(out)]) == 0
    assert "nothing to do" in capsys.readouterr().err
