"""INN trainer: learning happens, checkpoints resume bit-identically, replicas are saved."""

import numpy as np
import pytest
import torch

from hepemu.models.inn_surrogate import INNSurrogate, normalisation, training_target
from hepemu.physics.integrals.gghh import GGHH_BOX_SECTOR
from hepemu.physics.integrals.quadrature import integrate_gauss_legendre
from hepemu.training.inn_config import INNTrainConfig
from hepemu.training.inn_train import INNTrainer, train_replicas

SMALL = dict(hidden=[16, 16], batch_size=256, val_points=16, val_every=10, dtype="float64")


@pytest.mark.parametrize("korobov", [0, 1, 3])
@pytest.mark.parametrize("scheme", ["gl3", "centre", "none"])
def test_training_target_integrates_to_integral_over_normalisation(korobov, scheme):
    s = np.array([[-10.0, -5.0, -4.0], [-25.0, -3.5, -12.0]])
    ref = integrate_gauss_legendre(GGHH_BOX_SECTOR, s, 3, 32)
    norm = normalisation(GGHH_BOX_SECTOR, torch.as_tensor(s), scheme).numpy()

    def target(ss, tt):
        return training_target(
            GGHH_BOX_SECTOR, torch.as_tensor(ss), torch.as_tensor(tt), korobov, scheme
        ).numpy()

    val = integrate_gauss_legendre(target, s, 3, 40)
    np.testing.assert_allclose(val * norm, ref, rtol=1e-8)
    if scheme == "gl3":  # the cheap 27-point GL estimate is within 10% of the integral
        np.testing.assert_allclose(val, 1.0, atol=0.1)


def test_training_reduces_loss_and_improves_digits(tmp_path):
    cfg = INNTrainConfig(steps=150, lr=1e-2, ansatz="anchored", korobov_order=1, **SMALL)
    tr = INNTrainer(cfg, tmp_path)
    fixed = tr.make_batch(*tr.sampler.draw())
    with torch.no_grad():
        loss0 = tr.loss(*fixed).item()
    d0 = tr.validate()
    st = tr.train()
    with torch.no_grad():
        assert tr.loss(*fixed).item() < 0.7 * loss0
    assert st.best_digits > d0 + 0.5


@pytest.mark.parametrize("sampler,resample_every", [("uniform", 1), ("sobol", 3), ("lattice", 3)])
def test_interrupted_run_resumes_identically(tmp_path, sampler, resample_every):
    cfg = INNTrainConfig(
        steps=40, sampler=sampler, resample_every=resample_every, **{**SMALL, "val_every": 5}
    )
    ref = INNTrainer(cfg, tmp_path / "a")
    ref.train()

    def stop_at_25(state):  # 25 is not a multiple of resample_every = 3
        if state.step == 25:
            raise KeyboardInterrupt

    tr = INNTrainer(cfg, tmp_path / "b")
    with pytest.raises(KeyboardInterrupt):
        tr.train(progress=stop_at_25)
    assert (tmp_path / "b" / "checkpoint.ckpt.safetensors").exists()
    again = INNTrainer(cfg, tmp_path / "b")
    assert again.try_resume() and again.state.step == 25
    again.train()
    for k, v in ref.net.state_dict().items():
        torch.testing.assert_close(again.net.state_dict()[k], v, rtol=0, atol=0)
    assert again.state.best_digits == ref.state.best_digits


def test_extended_cosine_run_follows_new_schedule(tmp_path):
    short = INNTrainer(INNTrainConfig(steps=20, **SMALL), tmp_path)
    short.train()
    longer = INNTrainer(INNTrainConfig(steps=60, **SMALL), tmp_path)
    assert longer.try_resume()
    assert longer.sched.T_max == 60
    longer.train()
    lrs = [h["lr"] for h in longer.state.history]
    assert all(b <= a + 1e-15 for a, b in zip(lrs, lrs[1:], strict=False))  # no cosine restart


def test_resume_refuses_other_configuration(tmp_path):
    INNTrainer(INNTrainConfig(steps=5, **SMALL), tmp_path).train()
    other = INNTrainer(INNTrainConfig(steps=5, **{**SMALL, "hidden": [8, 8]}), tmp_path)
    with pytest.raises(RuntimeError, match="different configuration"):
        other.try_resume()


@pytest.mark.parametrize("sampler", ["sobol", "lattice"])
def test_lbfgs_polish_and_samplers(tmp_path, sampler):
    cfg = INNTrainConfig(
        steps=20, lbfgs_rounds=1, lbfgs_iters=15, lbfgs_points=512, sampler=sampler, **SMALL
    )
    tr = INNTrainer(cfg, tmp_path)
    st = tr.train()
    assert st.lbfgs_done == 1 and len(st.history) >= 3
    rec = st.lbfgs_history[0]
    assert rec["loss_after"] < rec["loss_before"]


def test_replicas_differ_and_give_error(tmp_path):
    cfg = INNTrainConfig(steps=20, **SMALL)
    sur = train_replicas(cfg, tmp_path, n_replicas=3)
    assert isinstance(sur, INNSurrogate) and sur.n_replicas == 3
    s = GGHH_BOX_SECTOR.sample_params(4, np.random.default_rng(0))
    reps = sur.replica_integrals(s)
    assert np.all(np.std(reps, axis=0) > 0)
    mean, sig = sur.predict(s)
    assert np.all((reps.min(0) < mean) & (mean < reps.max(0))) and np.all(sig > 0)


def test_replica_error_is_the_replica_spread(tmp_path, monkeypatch):
    cfg = INNTrainConfig(steps=1, **SMALL)
    sur = train_replicas(cfg, tmp_path, n_replicas=3)
    # hand-made replica values (3 replicas × 3 points): means 2, 10, −5 (median −4); sample
    # standard deviations (n − 1 = 2 degrees of freedom) 1, 0, √((9 + 1 + 16)/2) = √13 — the
    # quoted 1σ error is this spread, not the standard error of the mean (1/√3, 0, √(13/3))
    reps = np.array([[1.0, 10.0, -2.0], [2.0, 10.0, -4.0], [3.0, 10.0, -9.0]])
    monkeypatch.setattr(sur, "replica_integrals", lambda s: reps)
    mean, sig = sur.predict(np.zeros((3, 3)))
    np.testing.assert_allclose(mean, [2.0, 10.0, -5.0], rtol=1e-15)
    np.testing.assert_allclose(sig, [1.0, 0.0, 3.605551275463989], rtol=1e-15, atol=1e-15)
    # 2 replicas: values 1 and 4 → mean 2.5, sample standard deviation 3/√2
    pair = INNSurrogate(sur.integral, sur.replicas[:2])
    monkeypatch.setattr(pair, "replica_integrals", lambda s: np.array([[1.0], [4.0]]))
    mean, sig = pair.predict(np.zeros((1, 3)))
    np.testing.assert_allclose([mean[0], sig[0]], [2.5, 2.1213203435596424], rtol=1e-15)
    single = INNSurrogate(sur.integral, sur.replicas[:1])
    monkeypatch.setattr(single, "replica_integrals", lambda s: np.array([[5.0, -6.0]]))
    mean, sig = single.predict(np.zeros((2, 3)))
    np.testing.assert_array_equal(mean, [5.0, -6.0])
    assert np.all(np.isnan(sig))  # one replica: no error estimate


def test_parallel_replicas_equal_serial_ones(tmp_path):
    cfg = INNTrainConfig(steps=15, threads=1, **SMALL)
    serial = train_replicas(cfg, tmp_path / "s", n_replicas=2)
    done = []
    par = train_replicas(
        cfg,
        tmp_path / "p",
        n_replicas=2,
        executor="processes",
        workers=2,
        on_replica_done=lambda r, info: done.append(r),
    )
    assert sorted(done) == [0, 1]
    assert [i["seed"] for i in par.info["replicas"]] == [i["seed"] for i in serial.info["replicas"]]
    s = GGHH_BOX_SECTOR.sample_params(5, np.random.default_rng(3))
    np.testing.assert_array_equal(par.replica_integrals(s), serial.replica_integrals(s))


def test_config_validation():
    with pytest.raises(ValueError, match="unknown activation 'relu6'"):
        INNTrainConfig(activation="relu6")
    with pytest.raises(ValueError, match="hidden must be a non-empty list"):
        INNTrainConfig(hidden=[])
    with pytest.raises(ValueError, match="(?s)unknown_key.*Extra inputs are not permitted"):
        INNTrainConfig(unknown_key=1)


def test_warm_restart_from_checkpoint_in_float64(tmp_path):
    first = INNTrainer(INNTrainConfig(steps=30, **{**SMALL, "dtype": "float32"}), tmp_path / "a")
    first.train()
    cfg = INNTrainConfig(steps=0, init_from=str(tmp_path / "a"), **SMALL)
    second = INNTrainer(cfg, tmp_path / "b")
    assert next(second.net.parameters()).dtype == torch.float64
    for k, v in first.best_state.items():
        torch.testing.assert_close(second.net.state_dict()[k], v.double())
    with pytest.raises(FileNotFoundError, match="init_from: no checkpoint in"):
        INNTrainer(INNTrainConfig(init_from=str(tmp_path / "none"), **SMALL), tmp_path / "c")


def test_time_limited_run_ends_with_a_validation(tmp_path):
    tr = INNTrainer(INNTrainConfig(steps=10**6, **{**SMALL, "val_every": 10**5}), tmp_path)
    st = tr.train(max_seconds=0.5)
    assert 0 < st.step < 10**6
    assert st.history and st.history[-1]["step"] == st.step
    assert np.isfinite(st.best_digits)
