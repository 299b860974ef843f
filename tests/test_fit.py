"""The dataset-trained core: networks, preprocessing, the model envelope, the trainer, CLI."""

from __future__ import annotations

import csv
import json
import math

import numpy as np
import pytest
import torch
from safetensors import safe_open
from safetensors.torch import load_file, save_file

from hepemu.cli.main import run_cli
from hepemu.data.dataset import Dataset, write_dataset
from hepemu.models.envelope import ModelFileError, load_envelope, save_envelope
from hepemu.models.networks import DNN, SkipBlock, SkipDNN
from hepemu.models.preprocessing import Preprocessing
from hepemu.models.regressor import NetworkRegressor
from hepemu.training.fit import MemberTrainer, fit_networks
from hepemu.training.fit_config import FitCard
from hepemu.training.fit_data import fit_preprocessing


def truth(x: np.ndarray) -> np.ndarray:
    """A smooth positive function spanning two orders of magnitude on [0,1]^3."""
    return np.exp(3.0 * x[:, 0]) * (1.0 + x[:, 1] ** 2) / (1.0 + 0.5 * x[:, 2])


@pytest.fixture(scope="module")
def dataset(tmp_path_factory):
    path = tmp_path_factory.mktemp("fit") / "D.h5"
    x = np.random.default_rng(5).random((6000, 3))
    write_dataset(path, x, truth(x), {"columns": ["a", "b", "c"], "target_columns": ["f"]})
    return path


def card(path, **training) -> FitCard:
    t = {"epochs": 40, "batch_size": 128, "patience": 40, "threads": 1, **training}
    return FitCard.model_validate(
        {
            "data": {"path": str(path)},
            "model": {"kind": "skdnn", "width": 32, "blocks": 2},
            "preprocessing": {"target_transform": "log"},
            "training": t,
        }
    )


# -- networks ------------------------------------------------------------------------------
def test_networks_map_rows_to_scalars_with_glorot_weights():
    torch.manual_seed(0)
    for net in (DNN(5, [16, 8]), SkipDNN(5, 16, 3)):
        assert net(torch.randn(7, 5)).shape == (7,)
        for m in net.modules():
            if isinstance(m, torch.nn.Linear):
                fan_out, fan_in = m.weight.shape
                assert m.weight.abs().max() <= math.sqrt(6 / (fan_in + fan_out)) + 1e-7


def test_skip_block_has_a_trainable_map_only_when_the_width_changes():
    assert isinstance(SkipBlock(4, 4).w, torch.nn.Identity)
    changed = SkipBlock(3, 4)
    assert isinstance(changed.w, torch.nn.Linear) and changed.w.weight.requires_grad
    block = SkipBlock(4, 4)
    with torch.no_grad():  # h ≡ 0: the block is g(x), Leaky ReLU of its input
        block.h[-1].weight.zero_()
        block.h[-1].bias.zero_()
    x = torch.tensor([[1.0, -2.0, 0.5, -0.1]])
    assert torch.allclose(block(x), torch.tensor([[1.0, -0.02, 0.5, -0.001]]))


# -- preprocessing ---------------------------------------------------------------------------
@pytest.mark.parametrize("transform", ["none", "log", "arcsinh"])
def test_preprocessing_round_trips_and_standardises(transform):
    rng = np.random.default_rng(1)
    x = np.column_stack([rng.random(500), np.full(500, 7.0), rng.normal(size=500)])
    y = truth(np.column_stack([x[:, 0], x[:, 0], x[:, 2] ** 2]))
    pre = Preprocessing(target_transform=transform).fit(x, y)
    z = pre.encode_y(x, y)
    assert abs(z.mean()) < 1e-9 and abs(z.std() - 1) < 1e-9
    np.testing.assert_allclose(pre.decode_y(x, z), y, rtol=1e-12)
    enc = pre.encode_x(x)
    assert np.all(enc[:, 1] == 0)  # a constant column maps to 0, not NaN
    again = Preprocessing.from_dict(json.loads(json.dumps(pre.to_dict())))
    np.testing.assert_array_equal(again.encode_x(x), enc)


def test_log_transform_refuses_non_positive_targets():
    with pytest.raises(ValueError, match="arcsinh"):
        Preprocessing(target_transform="log").fit(np.zeros((3, 1)), np.array([1.0, -1.0, 2.0]))


def test_gl3_reference_divides_out_the_integral_scale():
    from hepemu.physics.integrals.quadrature import integrate_gauss_legendre
    from hepemu.physics.integrals.registry import get_integral

    integ = get_integral("gghh-box-1l")
    s = integ.sample_params(200, np.random.default_rng(2))
    y = integrate_gauss_legendre(integ, s, 3, 16)
    pre = Preprocessing("none", False, "gl3", provider="gghh-box-1l/integral").fit(s, y)
    ratio = pre.encode_y(s, y)
    spread_y, spread_ratio = np.ptp(y) / y.mean(), np.ptp(ratio) / ratio.mean()
    assert spread_y > 2.0 and spread_ratio < spread_y / 5  # I/GL3 varies far less than I
    np.testing.assert_allclose(pre.decode_y(s, ratio), y, rtol=1e-13)


# -- the file envelope -----------------------------------------------------------------------
def test_envelope_refuses_edited_tensors_or_settings_but_not_info(tmp_path):
    path = tmp_path / "m.safetensors"
    save_envelope(path, {"w": torch.arange(6.0)}, {"kind": "x", "target": "y", "info": {"a": 1}})
    tensors, header = load_envelope(path)
    assert json.loads(header["target"]) == "y"
    with safe_open(str(path), framework="pt") as fh:
        head = dict(fh.metadata())
    for key, value in (("target", '"z"'), ("info", '{"a": 2}')):
        edited = {**head, key: value}
        save_file(load_file(str(path)), str(tmp_path / "e.safetensors"), metadata=edited)
        if key == "info":
            load_envelope(tmp_path / "e.safetensors")
        else:
            with pytest.raises(ModelFileError, match="corrupted"):
                load_envelope(tmp_path / "e.safetensors")
    save_file({"w": torch.arange(6.0) * 2}, str(tmp_path / "t.safetensors"), metadata=head)
    with pytest.raises(ModelFileError, match="corrupted"):
        load_envelope(tmp_path / "t.safetensors")


# -- the trainer -----------------------------------------------------------------------------
def test_fit_learns_the_function_and_round_trips_through_its_file(dataset, tmp_path):
    model = fit_networks(card(dataset), tmp_path / "run")
    ds = Dataset.open(dataset)
    rows = ds.split("test")
    x, y = ds.read("inputs", rows), ds.read("targets", rows)
    mean, sigma = model.predict(x)
    rel = np.abs(mean / y - 1)
    flat = np.abs(np.exp(np.log(y).mean()) / y - 1)  # the best constant on the log scale
    assert np.median(rel) < 2e-2 and np.median(rel) < np.median(flat) / 20
    assert np.all(np.isnan(sigma))  # one member: no error bar
    model.save(tmp_path / "m.safetensors")
    again = NetworkRegressor.load(tmp_path / "m.safetensors")
    np.testing.assert_array_equal(again.predict(x)[0], mean)
    assert again.input_columns == ["a", "b", "c"] and again.target == "f"


def test_ensemble_error_bar_is_calibrated_on_held_out_data(dataset, tmp_path):
    model = fit_networks(card(dataset, epochs=15, members=3), tmp_path / "ens")
    ds = Dataset.open(dataset)
    rows = ds.split("test")  # not used in training, early stopping or the calibration
    x, y = ds.read("inputs", rows), ds.read("targets", rows)
    mean, sigma = model.predict(x)
    members = model.member_predictions(x)
    assert members.shape == (3, len(x)) and np.all(sigma > 0)
    spread = members.std(axis=0, ddof=1)  # σ = √((c·spread)² + (d·|mean|)²), one scheme
    np.testing.assert_allclose(
        sigma, np.hypot(model.sigma_scale * spread, model.sigma_floor * mean)
    )
    assert model.info["sigma_calibration"]["on"] == "validation split"
    cover = np.mean(np.abs(mean - y) <= sigma)
    assert abs(cover - 0.683) < 4 * np.sqrt(0.683 * 0.317 / len(y)) + 0.03, cover
    model.save(tmp_path / "e.safetensors")
    again = NetworkRegressor.load(tmp_path / "e.safetensors")
    assert (again.sigma_scale, again.sigma_floor) == (model.sigma_scale, model.sigma_floor)


def test_interrupted_training_resumes_to_the_same_weights(dataset, tmp_path, monkeypatch):
    c = card(dataset, epochs=4)
    pre = fit_preprocessing(c, Dataset.open(dataset))
    whole = MemberTrainer(c, pre, tmp_path / "a", seed=3)
    whole.train()
    part = MemberTrainer(c, pre, tmp_path / "b", seed=3)
    real_step = part.opt.step
    calls = {"n": 0}

    def stop_after_100(*args, **kwargs):
        calls["n"] += 1
        if calls["n"] > 100:  # mid-epoch 3 (38 batches per epoch)
            raise KeyboardInterrupt
        return real_step(*args, **kwargs)

    monkeypatch.setattr(part.opt, "step", stop_after_100)
    with pytest.raises(KeyboardInterrupt):
        part.train()
    resumed = MemberTrainer(c, pre, tmp_path / "b", seed=3)
    assert resumed.try_resume() and resumed.state.step == 100
    resumed.train()
    assert resumed.state.step == whole.state.step
    for k, v in whole.net.state_dict().items():
        torch.testing.assert_close(resumed.net.state_dict()[k], v, rtol=0, atol=0)


def test_streamed_training_matches_the_in_memory_schedule(dataset, tmp_path):
    streamed = MemberTrainer(
        card(dataset, epochs=2, memory_limit_mb=0.01),
        fit_preprocessing(card(dataset), Dataset.open(dataset)),
        tmp_path / "s",
        seed=0,
    )
    assert not streamed.in_memory
    st = streamed.train()
    assert st.finished and st.epoch == 2 and st.step == 2 * streamed._batches_per_epoch()
    assert st.best_rmse < 0.5  # it learns from the streamed batches


def test_early_stopping_restores_the_best_weights(dataset, tmp_path):
    c = card(dataset, epochs=200, patience=2, lr=3e-2, lr_min=3e-2)
    t = MemberTrainer(c, fit_preprocessing(c, Dataset.open(dataset)), tmp_path / "e", seed=0)
    st = t.train()
    assert st.finished and st.stop_reason.startswith("early stop") and st.epoch < 200
    assert st.stale_epochs == 2 and st.best_epoch == st.epoch - 3
    assert t.validation_rmse() == pytest.approx(st.best_rmse, rel=1e-6)


def test_learning_rate_cools_exponentially(dataset, tmp_path):
    c = card(dataset, epochs=10, lr=1e-3, lr_min=1e-6, decay_epochs=6)
    t = MemberTrainer(c, fit_preprocessing(c, Dataset.open(dataset)), tmp_path / "l", seed=0)
    assert t.lr_at(0) == pytest.approx(1e-3)
    assert t.lr_at(2) == pytest.approx(1e-4)  # a decade every 2 of the 6 decay epochs
    assert t.lr_at(6) == t.lr_at(9) == pytest.approx(1e-6)


def test_learning_rate_can_cool_over_training_time(dataset, tmp_path):
    c = card(dataset, epochs=10, lr=1e-3, lr_min=1e-6, decay_minutes=0.5)
    t = MemberTrainer(c, fit_preprocessing(c, Dataset.open(dataset)), tmp_path / "m", seed=0)
    assert t.lr_at(5, elapsed_s=0.0) == pytest.approx(1e-3)  # the epoch plays no part
    assert t.lr_at(0, elapsed_s=10.0) == pytest.approx(1e-4)  # a decade per 10 s of 30
    assert t.lr_at(0, elapsed_s=30.0) == t.lr_at(0, elapsed_s=99.0) == pytest.approx(1e-6)
    t.state.elapsed_s = 15.0  # as restored from a checkpoint: the schedule goes on from there
    t._set_lr()
    assert t.opt.param_groups[0]["lr"] == pytest.approx(10**-4.5)
    with pytest.raises(ValueError, match="not both"):
        card(dataset, decay_epochs=3, decay_minutes=1.0)


def test_a_time_schedule_ends_the_run_and_a_rerun_adds_nothing(dataset, tmp_path):
    c = card(dataset, epochs=10_000, lr=1e-3, lr_min=1e-6, decay_minutes=0.01)  # 0.6 s
    t = MemberTrainer(c, fit_preprocessing(c, Dataset.open(dataset)), tmp_path / "d", seed=0)
    st = t.train()
    assert st.finished and st.stop_reason.startswith("lr schedule done") and st.epoch < 10_000
    # it stopped because the 0.6 s schedule had run out (how long after: benchmarks/timings.py)
    assert st.elapsed_s >= 0.6 and t.lr_at(0, st.elapsed_s) == pytest.approx(1e-6)
    assert st.history[-1]["lr"] < st.history[0]["lr"]
    again = MemberTrainer(c, fit_preprocessing(c, Dataset.open(dataset)), tmp_path / "d", seed=0)
    assert again.try_resume()
    assert again.train().step == st.step  # finished: nothing more is trained


# -- the command line ------------------------------------------------------------------------
def test_fit_and_predict_from_the_command_line(dataset, tmp_path, capsys):
    c = tmp_path / "card.toml"
    c.write_text(
        f'[data]\npath = "{dataset}"\n[model]\nkind = "dnn"\nhidden = [16, 16]\n'
        "[training]\nepochs = 3\nmembers = 2\nthreads = 1\n"
    )
    out = tmp_path / "run"
    assert run_cli(["fit", str(c), "--out", str(out)]) == 0
    before = (out / "model.safetensors").read_bytes()
    assert run_cli(["fit", str(c), "--out", str(out)]) == 0  # finished: a no-op
    assert (out / "model.safetensors").read_bytes() == before
    inp = tmp_path / "in.csv"
    inp.write_text("id,a,b,c\n7,0.5,0.5,0.5\n8,0.1,0.9,0.2\n")
    res = tmp_path / "out.csv"
    capsys.readouterr()
    assert (
        run_cli(
            ["predict", "--model", str(out / "model.safetensors"), "-i", str(inp), "-o", str(res)]
        )
        == 0
    )
    rows = list(csv.DictReader(open(res)))
    assert [r["id"] for r in rows] == ["7", "8"] and float(rows[0]["f_err"]) > 0
    # the command writes the saved model's prediction and error, unrounded
    model = NetworkRegressor.load(out / "model.safetensors")
    pts = np.array([[0.5, 0.5, 0.5], [0.1, 0.9, 0.2]])
    mean, sigma = model.predict(pts)
    np.testing.assert_array_equal([float(r["f"]) for r in rows], mean)
    np.testing.assert_array_equal([float(r["f_err"]) for r in rows], sigma)
    # 3 epochs leave e ~50 % off, but the ensemble's error is calibrated on the validation
    # split (600 rows) to cover 68.27 %: on the 600 test rows it covers that within 4
    # standard deviations of the two binomial samples
    cal = model.info["sigma_calibration"]
    assert cal["level"] == 0.6827 and cal["on"] == "validation split"
    ds = Dataset.open(dataset)
    rows_t = ds.split("test")
    mean_t, sigma_t = model.predict(ds.read("inputs", rows_t))
    covered = np.mean(np.abs(mean_t - ds.read("targets", rows_t)) <= sigma_t)
    sd = math.sqrt(0.6827 * 0.3173 * (1 / cal["rows"] + 1 / len(rows_t)))
    assert abs(covered - 0.6827) < 4 * sd, covered
    assert abs(mean[0] - truth(pts[:1])[0]) < 3 * sigma[0]  # the middle of the box
    assert (
        run_cli(
            ["predict", "--model", str(out / "model.safetensors"), "-i", str(inp), "-o", str(res)]
        )
        == 2
    )  # never replaced without --force
    err = capsys.readouterr().err
    assert "--force" in err and "Traceback" not in err
    assert (
        run_cli(
            [
                "predict",
                "--model",
                str(out / "model.safetensors"),
                "-i",
                str(res),
                "-o",
                str(tmp_path / "again.csv"),
            ]
        )
        == 2
    )  # would add f, f_err twice


def test_fit_refuses_bad_cards_in_one_line(tmp_path, capsys, dataset):
    c = tmp_path / "card.toml"
    for text, says in (
        ("[data]\npath = 'missing.h5'\n", "not found"),
        (f"[data]\npath = '{dataset}'\n[model]\nkind = 'svm'\n", "model.kind"),
        (f"[data]\npath = '{dataset}'\n[training]\nlr = 1e-6\nlr_min = 1e-3\n", "lr_min"),
        (f"[data]\npath = '{dataset}'\nstray = 1\n", "stray"),
    ):
        c.write_text(text)
        assert run_cli(["fit", str(c), "--out", str(tmp_path / "r")]) == 2
        lines = [ln for ln in capsys.readouterr().err.splitlines() if ln.strip()]
        assert len(lines) == 1 and says in lines[0], lines


def test_fit_survives_sigkill_and_resumes_to_the_same_model(dataset, tmp_path):
    """A SIGKILLed `hepemu fit` leaves a usable checkpoint; the rerun ends where an
    uninterrupted run ends (same weights)."""
    import os
    import signal
    import subprocess
    import sys
    import time

    c = tmp_path / "card.toml"
    c.write_text(
        f'[data]\npath = "{dataset}"\n[model]\nkind = "dnn"\nhidden = [64, 64]\n'
        "[training]\nepochs = 30\nbatch_size = 64\nthreads = 1\ncheckpoint_every_s = 0.2\n"
    )
    code = "import sys; from hepemu.cli.main import main; sys.argv = sys.argv[1:]; main()"
    killed = tmp_path / "killed"
    proc = subprocess.Popen(
        [sys.executable, "-c", code, "hepemu", "fit", str(c), "--out", str(killed)],
        stderr=subprocess.DEVNULL,
    )
    ckpt = killed / "member0" / "checkpoint.ckpt.safetensors"
    deadline = time.time() + 300  # a hang guard: the child's start-up is slow on a busy machine
    while time.time() < deadline and not ckpt.exists():
        time.sleep(0.05)
    # killed as soon as a mid-run checkpoint is on disk (written ≥ 0.2 s into training, so
    # after some steps): a fixed sleep here would let a fast machine finish the whole run
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    assert ckpt.exists() and not (killed / "model.safetensors").exists()
    assert run_cli(["fit", str(c), "--out", str(killed)]) == 0
    assert run_cli(["fit", str(c), "--out", str(tmp_path / "whole")]) == 0
    a = NetworkRegressor.load(killed / "model.safetensors")
    b = NetworkRegressor.load(tmp_path / "whole" / "model.safetensors")
    for (k, v), w in zip(
        a.members[0].state_dict().items(), b.members[0].state_dict().values(), strict=True
    ):
        torch.testing.assert_close(v, w, rtol=0, atol=0, msg=k)
