"""The one trainer's precision options: L-BFGS polish after Adam, multi-stage residual networks."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from hepemu.data.dataset import Dataset, write_dataset
from hepemu.models.regressor import NetworkRegressor
from hepemu.training.fit import MemberTrainer, fit_networks
from hepemu.training.fit_config import FitCard
from hepemu.training.fit_data import fit_preprocessing
from hepemu.training.runtime import changed_fixed_settings, pack_optimizer, unpack_optimizer


def truth(x: np.ndarray) -> np.ndarray:
    return np.exp(2.0 * x[:, 0]) * (1.0 + x[:, 1] ** 2) / (1.0 + 0.5 * x[:, 2])


@pytest.fixture(scope="module")
def dataset(tmp_path_factory):
    path = tmp_path_factory.mktemp("polish") / "D.h5"
    x = np.random.default_rng(9).random((3000, 3))
    write_dataset(path, x, truth(x), {"columns": ["a", "b", "c"], "target_columns": ["f"]})
    return path


def card(path, model=None, **training) -> FitCard:
    t = {"epochs": 6, "batch_size": 256, "patience": 50, "threads": 1, **training}
    m = {"kind": "dnn", "hidden": [16, 16], "activation": "tanh", "dtype": "float64"}
    return FitCard.model_validate(
        {"data": {"path": str(path)}, "model": {**m, **(model or {})}, "training": t}
    )


def trainer(c: FitCard, out, seed: int = 1) -> MemberTrainer:
    return MemberTrainer(c, fit_preprocessing(c, Dataset.open(c.data.path)), out, seed=seed)


def test_lbfgs_polish_lowers_the_validation_error_of_adam(dataset, tmp_path):
    adam = trainer(card(dataset), tmp_path / "adam")
    adam.train()
    polished = trainer(card(dataset, polish="lbfgs", polish_minutes=0.01), tmp_path / "p")
    st = polished.train()
    assert st.finished and st.polish_iters >= 1 and "L-BFGS" in st.stop_reason
    assert isinstance(polished.opt, torch.optim.LBFGS)
    lbfgs = [h for h in st.history if h.get("phase") == "lbfgs"]
    assert len(lbfgs) == st.polish_iters
    # the same Adam phase (seed and card), then quasi-Newton steps on the full batch
    assert st.history[: len(adam.state.history)] == adam.state.history
    assert st.best_rmse < 0.9 * adam.state.best_rmse
    assert polished.validation_rmse() == pytest.approx(st.best_rmse, rel=1e-12)


def test_lbfgs_history_round_trips_through_the_checkpoint_format(dataset, tmp_path):
    t = trainer(card(dataset, polish="lbfgs"), tmp_path / "h")
    from hepemu.training import polish

    t.opt = polish.make_lbfgs(t)
    x, z = polish.polish_rows(t)
    for _ in range(2):
        t.opt.step(lambda: (t.opt.zero_grad(), polish.full_batch_loss(t.net, x, z))[1])
    tensors, packed = pack_optimizer(t.opt)
    fresh = polish.make_lbfgs(t)
    unpack_optimizer(fresh, tensors, packed)
    a, b = t.opt.state_dict()["state"][0], fresh.state_dict()["state"][0]
    assert a.keys() == b.keys() and len(a["old_dirs"]) > 0
    for k in ("old_dirs", "old_stps", "ro"):
        for u, v in zip(a[k], b[k], strict=True):
            torch.testing.assert_close(u, v, rtol=0, atol=0)
    assert a["n_iter"] == b["n_iter"] and a["func_evals"] == b["func_evals"]


def test_an_interrupted_polish_resumes_with_its_curvature_history(dataset, tmp_path, monkeypatch):
    c = card(dataset, polish="lbfgs", polish_minutes=0.02, polish_every=3)
    t = trainer(c, tmp_path / "r")
    from hepemu.training import polish

    real_run = polish.run
    calls = {"n": 0}

    def stop_in_polish(trainer_, clock, progress=None):
        opt_step = trainer_.opt.step

        def step(closure):
            calls["n"] += 1
            if calls["n"] > 2:
                raise KeyboardInterrupt
            return opt_step(closure)

        monkeypatch.setattr(trainer_.opt, "step", step)
        return real_run(trainer_, clock, progress)

    monkeypatch.setattr(polish, "run", stop_in_polish)
    with pytest.raises(KeyboardInterrupt):
        t.train()
    monkeypatch.setattr(polish, "run", real_run)
    saved_dirs = len(t.opt.state_dict()["state"][0]["old_dirs"])
    again = trainer(c, tmp_path / "r")
    assert again.try_resume()
    assert again.state.phase == "lbfgs" and again.state.polish_iters == 2
    assert isinstance(again.opt, torch.optim.LBFGS)
    assert len(again.opt.state_dict()["state"][0]["old_dirs"]) == saved_dirs > 0
    st = again.train()
    assert st.finished and st.polish_iters > 2


def test_a_second_stage_fits_the_residual_with_the_first_frozen(dataset, tmp_path):
    c = card(dataset, model={"stages": 2, "stage_hidden": [12]}, epochs=40)
    t = trainer(c, tmp_path / "s")
    snapshots = []
    real = __import__("hepemu.training.stages", fromlist=["begin_next"]).begin_next

    def spy(tr):
        snapshots.append({k: v.clone() for k, v in tr.net.stages[0].state_dict().items()})
        snapshots.append(tr.validation_rmse())
        real(tr)

    import hepemu.training.stages as stages

    stages.begin_next, saved = spy, stages.begin_next
    try:
        st = t.train()
    finally:
        stages.begin_next = saved
    assert st.finished and st.stage == 1
    scale = float(t.net.scales[1])
    entry = next(h for h in st.history if "residual_rms" in h)
    assert scale == pytest.approx(entry["residual_rms"]) and 0 < scale < 0.5
    for k, v in t.net.stages[0].state_dict().items():  # stage 0 did not move in stage 1
        torch.testing.assert_close(v, snapshots[0][k], rtol=0, atol=0)
    assert st.best_rmse < snapshots[1]  # the residual stage lowered the validation error


def test_staged_model_saves_and_predicts_through_the_one_envelope(dataset, tmp_path):
    c = card(dataset, model={"stages": 2}, epochs=3, polish="lbfgs", polish_minutes=0.005)
    model = fit_networks(c, tmp_path / "run")
    assert model.spec["kind"] == "staged" and len(model.spec["stages"]) == 2
    x = np.random.default_rng(3).random((50, 3))
    model.save(tmp_path / "m.safetensors")
    again = NetworkRegressor.load(tmp_path / "m.safetensors")
    np.testing.assert_array_equal(again.predict(x)[0], model.predict(x)[0])
    assert np.median(np.abs(model.predict(x)[0] / truth(x) - 1)) < 0.05


def test_polish_and_stages_need_a_mean_squared_error_network(dataset):
    with pytest.raises(ValueError, match="polish and model.stages"):
        card(dataset, model={"kind": "bnn"}, polish="lbfgs")
    with pytest.raises(ValueError, match="polish and model.stages"):
        card(dataset, model={"kind": "bdt", "stages": 2})


def test_settings_added_later_read_as_their_old_default():
    saved = {"model": {"kind": "dnn"}, "training": {"epochs": 3}}
    now = {"model": {"kind": "dnn", "stages": 1}, "training": {"epochs": 3, "polish": "none"}}
    added = {"model.stages": 1, "training.polish": "none"}
    assert changed_fixed_settings(saved, now, [], added) == []
    now["training"]["polish"] = "lbfgs"
    assert changed_fixed_settings(saved, now, [], added) == ["training.polish"]


def test_staged_model_of_a_provider_less_dataset_exports(dataset, tmp_path):
    """A table-imported dataset records no provider: example inputs come from the box."""
    from hepemu.applications.export import export

    c = card(dataset, model={"stages": 2}, epochs=2)
    model = fit_networks(c, tmp_path / "run")
    graph = export(model, tmp_path / "m.pt", fmt="torchscript")
    x = np.random.default_rng(4).random((20, 3))
    out = graph(torch.as_tensor(x))
    mean = out[0] if isinstance(out, tuple) else out[:, 0]
    np.testing.assert_allclose(mean.detach().numpy(), model.predict(x)[0], rtol=1e-10)
