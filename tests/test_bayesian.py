"""Networks that predict their own error: KL term, likelihood, trainer and prediction."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from plot_data import step_heights, y_extent

from hepemu.data.dataset import Dataset, write_dataset
from hepemu.models.bayesian import BayesianNet, HeteroscedasticNet, VariationalLinear
from hepemu.models.preprocessing import Preprocessing
from hepemu.models.regressor import NetworkRegressor
from hepemu.training.fit import fit_networks
from hepemu.training.fit_config import FitCard
from hepemu.training.runtime import read_meta


def test_kl_matches_a_monte_carlo_estimate():
    """Closed-form KL[q, p] (paper eq. (13)) against E_q[log q − log p] by sampling."""
    torch.manual_seed(0)
    layer = VariationalLinear(3, 2, prior_sigma=0.7)
    with torch.no_grad():
        layer.rho_w.uniform_(-2, 0)
        layer.rho_b.uniform_(-2, 0)
        layer.mu_b.uniform_(-1, 1)
    mc = 0.0
    with torch.no_grad():
        for mu, rho in ((layer.mu_w, layer.rho_w), (layer.mu_b, layer.rho_b)):
            sq = torch.nn.functional.softplus(rho)
            q = torch.distributions.Normal(mu, sq)
            p = torch.distributions.Normal(torch.zeros_like(mu), 0.7)
            w = q.sample((200_000,))
            mc += float((q.log_prob(w) - p.log_prob(w)).sum(dim=tuple(range(1, w.dim()))).mean())
    assert float(layer.kl()) == pytest.approx(mc, rel=0.02, abs=0.05)


def test_sampled_weights_vary_and_mean_weights_do_not():
    torch.manual_seed(1)
    net = BayesianNet(4, [8, 8])
    for layer in [*net.layers, net.out]:
        layer.rho_w.data.fill_(math.log(math.expm1(0.3)))
    x = torch.randn(5, 4)
    a, b = net.heads(x, sample=True)[0], net.heads(x, sample=True)[0]
    assert not torch.allclose(a, b)
    assert torch.equal(net(x), net(x))


def test_heteroscedastic_likelihood_learns_the_noise_level():
    """Labels with noise σ(x) = 0.05 + 0.2x: the predicted σ tracks it (NLL training)."""
    torch.manual_seed(2)
    x = torch.rand(4000, 1)
    sigma = 0.05 + 0.2 * x[:, 0]
    z = torch.sin(3 * x[:, 0]) + sigma * torch.randn(4000)
    net = HeteroscedasticNet(1, [32, 32], act="tanh")
    opt = torch.optim.Adam(net.parameters(), lr=3e-3)
    for _ in range(1500):
        idx = torch.randint(0, 4000, (256,))
        opt.zero_grad()
        net.loss(x[idx], z[idx], 4000).backward()
        opt.step()
    grid = torch.tensor([[0.1], [0.5], [0.9]])
    _, logvar = net.heads(grid)
    np.testing.assert_allclose(
        torch.exp(0.5 * logvar).detach().numpy(), [0.07, 0.15, 0.23], rtol=0.3
    )


def test_log1p_preprocessing_round_trips():
    y = np.array([1e-9, 1e-7, 3e-6, 1e-5])
    pre = Preprocessing(target_transform="log1p", arcsinh_scale="std").fit(np.zeros((4, 1)), y)
    assert pre.y_scale == pytest.approx(np.std(y))
    z = pre.encode_y(np.zeros((4, 1)), y)
    np.testing.assert_allclose(pre.decode_y(np.zeros((4, 1)), z), y, rtol=1e-12)


def toy_dataset(tmp_path, rng, n: int):
    """n points of exp(2a)(1 + b) on [0,1]², written as a dataset; (x, path)."""
    x = rng.random((n, 2))
    path = tmp_path / "D.h5"
    write_dataset(path, x, truth(x), {"columns": ["a", "b"], "target_columns": ["f"]})
    return x, path


def truth(x: np.ndarray) -> np.ndarray:
    return np.exp(2 * x[:, 0]) * (1 + x[:, 1])


@pytest.mark.parametrize("kind", ["bnn", "hetero"])
def test_trainer_fits_self_aware_networks_and_their_errors_cover(tmp_path, kind):
    rng = np.random.default_rng(3)
    x, path = toy_dataset(tmp_path, rng, 3000)
    card = FitCard.model_validate(
        {
            "data": {"path": str(path)},
            "model": {"kind": kind, "hidden": [32, 32], "activation": "tanh"},
            "preprocessing": {"target_transform": "log1p", "arcsinh_scale": "std"},
            "training": {
                "epochs": 60,
                "batch_size": 128,
                "lr": 3e-3,
                "threads": 1,
                "members": 1 if kind == "bnn" else 2,
            },
        }
    )
    model = fit_networks(card, tmp_path / "run")
    assert model.probabilistic
    xt = rng.random((500, 2))
    yt = truth(xt)
    u = model.uncertainties(xt, samples=20)
    assert np.median(np.abs(u["mean"] / yt - 1)) < 0.05
    assert np.all(u["sigma_tot"] >= u["sigma_model"]) and np.all(u["sigma_pred"] > 0)
    covered = np.mean(np.abs(u["mean"] - yt) < 2 * u["sigma_tot"])
    assert covered > 0.5  # an honest error bar at 2σ, after this short training
    # the recorded coverage is that of the validation split (300 of the 3000 rows) ...
    cov = model.info["validation_coverage"]
    ds = Dataset.open(path)
    rows = ds.split("validation")
    mean, sigma = model.predict(ds.read("inputs", rows))
    pull = np.abs(mean - ds.read("targets", rows)) / sigma
    assert cov["rows"] == len(rows) == 300
    assert cov["1sigma"] == np.mean(pull < 1) and cov["2sigma"] == np.mean(pull < 2)
    # ... and predicts the coverage on 500 new points, within 4 binomial standard deviations
    mean_t, sigma_t = model.predict(xt)
    pull_t = np.abs(mean_t - yt) / sigma_t
    for m, level in ((1, cov["1sigma"]), (2, cov["2sigma"])):
        sd = math.sqrt(max(level * (1 - level), 0.01) * (1 / len(rows) + 1 / len(xt)))
        assert abs(np.mean(pull_t < m) - level) < 4 * sd, (m, level, np.mean(pull_t < m))
        # Gaussian pulls with σ right to within a factor 1.5 cover erf(m/(k√2)), k in
        # [1/1.5, 1.5]; widened by 3 binomial standard deviations of the 300 rows
        lo, hi = (math.erf(m / (k * math.sqrt(2))) for k in (1.5, 1 / 1.5))
        tol = 3 * math.sqrt(0.25 / len(rows))
        assert lo - tol < level < hi + tol, (m, level)
    # the saved model predicts the same
    model.save(tmp_path / "m.safetensors")
    again = NetworkRegressor.load(tmp_path / "m.safetensors")
    np.testing.assert_allclose(again.predict(xt)[0], model.predict(xt)[0], rtol=1e-12)


def test_boosting_enlarges_the_train_set_as_configured_and_resumes(tmp_path):
    from hepemu.training.boosting import fit_boosted

    rng = np.random.default_rng(4)
    x, path = toy_dataset(tmp_path, rng, 2000)
    card = FitCard.model_validate(
        {
            "data": {"path": str(path)},
            "model": {"kind": "bnn", "hidden": [16, 16], "activation": "tanh"},
            "preprocessing": {"target_transform": "log1p", "arcsinh_scale": "std"},
            "training": {"epochs": 10, "batch_size": 128, "lr": 3e-3, "threads": 1},
            "boosting": {
                "schedule": ["loss", "performance"],
                "loss_threshold": 0.3,  # low: this short fit's error bar is still generous
                "epochs_per_cycle": 3,
                "performance_points": 50,
                "performance_copies": 3,
            },
        }
    )
    model = fit_boosted(card, tmp_path / "run")
    hist = model.info["boosting"]
    assert [h["mode"] for h in hist] == ["loss", "performance"]
    n_train = 1600  # the stored 80 % split
    m1 = np.load(tmp_path / "run" / "cycle1" / "multiplicity.npy")
    m2 = np.load(tmp_path / "run" / "cycle2" / "multiplicity.npy")
    assert len(m1) == n_train and set(np.unique(m1)) <= {1, 5}
    assert (m1 == 5).sum() == hist[0]["flagged"] > 0
    assert np.sum(m2 - m1) == 50 * 3 and hist[1]["train_rows"] == m2.sum()
    ckpts = sorted((tmp_path / "run").glob("cycle*/member0/checkpoint.ckpt.safetensors"))
    assert len(ckpts) == 3
    stamps = [c.stat().st_mtime_ns for c in ckpts]
    again = fit_boosted(card, tmp_path / "run")  # finished cycles: nothing is retrained
    np.testing.assert_allclose(again.predict(x[:20])[0], model.predict(x[:20])[0], rtol=1e-12)
    assert [c.stat().st_mtime_ns for c in ckpts] == stamps or all(
        read_meta(c.parent)["state"]["finished"] for c in ckpts
    )


def test_an_unfinished_first_cycle_stops_boosting(tmp_path):
    from hepemu.training.boosting import fit_boosted

    x = np.random.default_rng(5).random((3000, 2))
    path = tmp_path / "D.h5"
    write_dataset(path, x, np.exp(x[:, 0]), {"columns": ["a", "b"], "target_columns": ["f"]})
    card = FitCard.model_validate(
        {
            "data": {"path": str(path)},
            "model": {"kind": "hetero", "hidden": [8]},
            "preprocessing": {"target_transform": "log"},
            "training": {"epochs": 100_000, "max_minutes": 0.02, "threads": 1},
            "boosting": {"schedule": ["loss"], "epochs_per_cycle": 2},
        }
    )
    model = fit_boosted(card, tmp_path / "run")
    assert not model.info["members"][0]["finished"]
    assert not (tmp_path / "run" / "cycle1").exists()


def test_boosting_needs_a_self_aware_network(tmp_path):
    with pytest.raises(ValueError, match="boosting"):
        FitCard.model_validate(
            {
                "data": {"path": str(tmp_path / "D.h5")},
                "model": {"kind": "dnn"},
                "boosting": {"schedule": ["loss"]},
            }
        )


def test_distributions_with_bands_draws_truth_and_band(tmp_path, saved_figures):
    from hepemu.evaluation.plots import distributions_with_bands

    rng = np.random.default_rng(0)
    v = rng.normal(size=500)
    truth = np.exp(-v)
    draws = truth * (1 + 0.01 * rng.normal(size=(8, 500)))
    observables = {"v": v, "|v|": np.abs(v)}
    out = distributions_with_bands(observables, truth, draws, tmp_path / "d.png")
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    (fig,) = saved_figures
    top, bottom = fig.axes[:2], fig.axes[2:]
    for j, (name, values) in enumerate(observables.items()):
        assert top[j].get_title() == name and bottom[j].get_xlabel() == name
        drawn_truth, drawn_mean = (p.get_data() for p in top[j].patches)
        edges = np.histogram_bin_edges(values, bins=30)
        np.testing.assert_allclose(drawn_truth.edges, edges)
        # the truth line: the truth-weighted histogram
        expect_truth, _ = np.histogram(values, edges, weights=truth)
        np.testing.assert_allclose(drawn_truth.values, expect_truth)
        # the surrogate line: the mean over the draws of each draw's histogram; the band ± spread
        per_draw = np.array([np.histogram(values, edges, weights=w)[0] for w in draws])
        mean, spread = per_draw.mean(axis=0), per_draw.std(axis=0)
        np.testing.assert_allclose(drawn_mean.values, mean)
        lo, hi = y_extent(top[j].collections[0])
        assert lo == pytest.approx(np.min(mean - spread))
        assert hi == pytest.approx(np.max(mean + spread))
        # the ratio panel: surrogate / truth where the truth is filled, ~1 within the 1 % draws
        ratio = bottom[j].patches[0].get_data().values
        filled = drawn_truth.values > 0
        np.testing.assert_allclose(ratio[filled], mean[filled] / drawn_truth.values[filled])
        assert np.all(np.isnan(ratio[~filled]))
        assert np.all(np.abs(ratio[filled] - 1) < 0.05)


def test_boosted_fit_from_the_command_line_and_predict_with_its_error(tmp_path):
    from hepemu.cli.main import run_cli

    x = np.random.default_rng(6).random((1500, 2))
    path = tmp_path / "D.h5"
    write_dataset(
        path, x, np.exp(x[:, 0]) + x[:, 1], {"columns": ["a", "b"], "target_columns": ["f"]}
    )
    card = tmp_path / "card.toml"
    card.write_text(
        f'[data]\npath = "{path}"\n[model]\nkind = "bnn"\nhidden = [8, 8]\n'
        '[preprocessing]\ntarget_transform = "log1p"\narcsinh_scale = "std"\n'
        "[training]\nepochs = 4\nthreads = 1\n"
        '[boosting]\nschedule = ["loss", "performance"]\nloss_threshold = 0.5\n'
        "performance_points = 20\nepochs_per_cycle = 2\n"
    )
    out = tmp_path / "run"
    assert run_cli(["fit", str(card), "--out", str(out)]) == 0
    model = NetworkRegressor.load(out / "model.safetensors")
    assert [h["mode"] for h in model.info["boosting"]] == ["loss", "performance"]
    inp = tmp_path / "in.csv"
    inp.write_text("a,b\n0.5,0.5\n0.1,0.9\n")
    assert (
        run_cli(
            [
                "predict",
                "--model",
                str(out / "model.safetensors"),
                "-i",
                str(inp),
                "-o",
                str(tmp_path / "p.csv"),
            ]
        )
        == 0
    )
    pred = np.genfromtxt(tmp_path / "p.csv", delimiter=",", names=True)
    assert np.all(np.isfinite(pred["f_err"])) and np.all(pred["f_err"] > 0)


def test_pull_histograms_plot(tmp_path, saved_figures):
    from hepemu.evaluation.plots import pull_histograms

    rng = np.random.default_rng(1)
    pulls = {"a": rng.normal(size=400), "b": 2 * rng.normal(size=400)}
    pulls["b"][:3] = [np.nan, 7.0, -9.0]  # NaN dropped; pulls beyond ±5 in the edge bins
    out = pull_histograms(pulls, tmp_path / "p.png")
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    (fig,) = saved_figures
    edges = np.linspace(-5, 5, 61)
    for ax, scale in zip(fig.axes, ("linear", "log"), strict=True):
        assert ax.get_yscale() == scale
        labels = [t.get_text() for t in ax.get_legend().get_texts()] if ax.get_legend() else []
        for (label, t), outline in zip(pulls.items(), ax.patches, strict=True):
            t = t[np.isfinite(t)]
            expect, _ = np.histogram(np.clip(t, -5, 5), edges, density=True)
            np.testing.assert_allclose(step_heights(outline), expect)
            if labels:  # the legend quotes the 16–84 % half-width of each pull distribution
                lo, hi = np.quantile(t, [0.16, 0.84])
                assert f"{label} (width {(hi - lo) / 2:.2f})" in labels
        (gauss,) = ax.lines  # the unit Gaussian a calibrated error gives
        x, y = gauss.get_data()
        np.testing.assert_allclose(y, np.exp(-0.5 * x**2) / np.sqrt(2 * np.pi))
    assert fig.axes[0].get_legend() is not None
