"""Truth providers in generation: RAMBO + cuts + ME, failures, NaN rows, retries, resume."""

import math

import numpy as np
import pytest
from scipy import integrate

from hepemu.data.dataset import Dataset
from hepemu.data.generate import GenerationError, GenerationPlan, failed_path, generate
from hepemu.physics.cuts import DurhamJetCut
from hepemu.physics.providers import PhaseSpaceProvider, get_provider
from hepemu.physics.tree.ee_jets import C_F, EECouplings, ee_qqg, sigma0

SQRT_S = 91.188


def test_ee_qqg_dataset_reproduces_textbook_cross_section(tmp_path):
    # σ(all s_ij/s > y) from RAMBO + cut + |M|² equals σ₀ C_F α_s/2π ∫ (x₁²+x₂²)/((1−x₁)(1−x₂))
    y = 0.05
    plan = GenerationPlan("ee-qqg", n=40_000, chunk=10_000, seed=3, options=(("y_min", y),))
    generate(plan, tmp_path / "ee.h5")
    ds = Dataset.open(tmp_path / "ee.h5")
    m2 = ds.read("targets")
    s = SQRT_S**2
    w = ds.meta["phase_space_weight"]
    terms = np.zeros(plan.n)
    terms[: len(m2)] = m2 * w / (2 * s)  # events removed by the cut contribute zero
    sigma_mc, err = terms.mean(), terms.std() / math.sqrt(plan.n)

    def f(x2, x1):
        return (x1**2 + x2**2) / ((1 - x1) * (1 - x2))

    # s₂₃/s = 1 − x₁, s₁₃/s = 1 − x₂, s₁₂/s = x₁ + x₂ − 1
    area, _ = integrate.dblquad(f, 2 * y, 1 - y, lambda x1: 1 + y - x1, lambda x1: 1 - y)
    c = EECouplings()
    sigma = sigma0(SQRT_S, c) * C_F * c.alpha_s / (2 * math.pi) * area
    assert abs(sigma_mc - sigma) < 4 * err
    assert err < 0.02 * sigma
    assert ds.meta["rejected_cuts"] + ds.n == plan.n and ds.meta["rejected_cuts"] > 0


def test_ee_qqg_with_durham_cut_keeps_only_three_jet_events(tmp_path):
    plan = GenerationPlan("ee-qqg", n=3000, chunk=1000, seed=1, options=(("ycut", 0.02),))
    generate(plan, tmp_path / "j.h5")
    ds = Dataset.open(tmp_path / "j.h5")
    prov = get_provider("ee-qqg", {"ycut": 0.02})
    p = prov.momenta(ds.read("inputs"))
    assert np.all(DurhamJetCut(3, 0.02)(p[:, 2:]))
    np.testing.assert_allclose(p[:, :2].sum(axis=1), p[:, 2:].sum(axis=1), atol=1e-10)
    np.testing.assert_allclose(ds.read("targets"), ee_qqg(p), rtol=1e-14)
    assert 0 < ds.n < plan.n and ds.meta["cuts"].startswith("DurhamJetCut")


def test_provider_lookup_errors():
    with pytest.raises(ValueError, match="unknown provider"):
        get_provider("nope")
    with pytest.raises(ValueError, match="does not take option"):
        get_provider("gghh-box-1l", {"sqrt_s": 1.0})
    with pytest.raises(ValueError, match="cannot load provider"):
        get_provider("no_such_module:thing")
    with pytest.raises(ValueError, match="sqrt_s"):
        PhaseSpaceProvider("ee-qqg", sqrt_s=-1.0)


def _offenders(plan, i):
    from providers_for_tests import THRESHOLD

    from hepemu.data.generate import chunk_inputs

    x, _ = chunk_inputs(plan, plan.make_provider(), i)
    return np.flatnonzero(x[:, 0] > THRESHOLD)


@pytest.mark.parametrize("executor", ["serial", "processes"])
def test_failing_points_are_isolated_saved_and_reported(tmp_path, executor):
    plan = GenerationPlan("providers_for_tests:raising", n=8000, chunk=2000, seed=0)
    expected = {i: _offenders(plan, i) for i in range(plan.n_chunks)}
    assert sum(len(v) > 0 for v in expected.values()) >= 2  # the faults really occur
    out = tmp_path / "r.h5"
    with pytest.raises(GenerationError, match="chunks failed") as exc:
        generate(plan, out, executor, workers=2, retries=1)
    assert not out.exists()
    for i, bad in expected.items():
        if len(bad):
            with np.load(failed_path(out.resolve(), i)) as z:
                np.testing.assert_array_equal(z["offenders"], bad)
                assert "did not converge" in str(z["error"])
            assert f"chunk {i}:" in str(exc.value)
        else:
            assert not failed_path(out.resolve(), i).exists()
    assert "rerun with on_error=skip" in str(exc.value)
    # resumed in skip mode: offending points left out, counted and saved
    skip = GenerationPlan(plan.provider, plan.n, plan.chunk, plan.seed, on_error="skip")
    generate(skip, out, executor, workers=2, retries=0)
    ds = Dataset.open(out)
    n_bad = sum(len(v) for v in expected.values())
    assert ds.n == plan.n - n_bad and ds.meta["rejected_errors"] == n_bad
    with np.load(tmp_path / "r.h5.rejected.npz") as z:
        assert np.all(z["error_inputs"][:, 0] > 0.9995) and len(z["error_inputs"]) == n_bad


def test_nonfinite_values_are_rejected_counted_and_saved(tmp_path):
    plan = GenerationPlan("providers_for_tests:nonfinite", n=5000, chunk=1000, seed=2)
    generate(plan, tmp_path / "n.h5")
    ds = Dataset.open(tmp_path / "n.h5")
    assert np.all(np.isfinite(ds.read("targets")))
    with np.load(tmp_path / "n.h5.rejected.npz") as z:
        x = z["nonfinite_inputs"]
        assert np.all((x[:, 0] < 0.01) | (x[:, 1] < 0.005))
        assert not np.any(np.isfinite(z["nonfinite_targets"]))
    assert ds.meta["rejected_nonfinite"] == len(x) > 0
    assert ds.n + len(x) == plan.n


def test_transient_failures_are_retried(tmp_path):
    import providers_for_tests

    providers_for_tests.reset_calls()
    flaky = GenerationPlan(
        "providers_for_tests:flaky", n=3000, chunk=1000, seed=4, options=(("fail_times", 2),)
    )
    smooth = GenerationPlan("providers_for_tests:smooth", n=3000, chunk=1000, seed=4)
    assert generate(flaky, tmp_path / "f.h5", retries=2) == generate(smooth, tmp_path / "s.h5")


def test_resume_refuses_a_different_plan(tmp_path):
    out = tmp_path / "a.h5"
    first = GenerationPlan("gghh-box-1l", n=2000, chunk=1000, seed=1)
    generate(first, out, keep_parts=True)
    out.unlink()
    with pytest.raises(GenerationError, match="different plan"):
        generate(GenerationPlan("gghh-box-1l", n=2000, chunk=1000, seed=2), out)


def test_finished_output_is_never_replaced_without_force(tmp_path):
    out = tmp_path / "a.h5"
    first = GenerationPlan("gghh-box-1l", n=2000, chunk=1000, seed=1)
    digest = generate(first, out)
    ds = Dataset.open(out)
    ds.set_split(9, (0.5, 0.25, 0.25))
    before = out.read_bytes()
    assert generate(first, out) == digest  # the same finished run: a no-op
    assert out.read_bytes() == before and Dataset.open(out).meta["split"]["seed"] == 9
    other = GenerationPlan("gghh-box-1l", n=2000, chunk=1000, seed=2)
    with pytest.raises(GenerationError, match="--force"):
        generate(other, out)
    assert out.read_bytes() == before
    assert generate(other, out, force=True) != digest


def test_all_points_cut_gives_an_empty_dataset(tmp_path):
    # all s_ij/s > 0.4 is impossible for three massless partons (the s_ij/s sum to 1)
    plan = GenerationPlan("ee-qqg", n=500, chunk=200, seed=0, options=(("y_min", 0.4),))
    generate(plan, tmp_path / "e.h5")
    ds = Dataset.open(tmp_path / "e.h5")
    assert ds.n == 0 and ds.meta["rejected_cuts"] == 500 and ds.read("inputs").shape == (0, 20)


def test_provider_class_is_instantiated_with_options():
    prov = get_provider("hepemu.physics.providers:PhaseSpaceProvider", {"process": "ee-qq"})
    assert isinstance(prov, PhaseSpaceProvider) and prov.n_out == 2


def test_bad_plans_are_refused_up_front(tmp_path):
    with pytest.raises(ValueError, match="non-negative"):
        GenerationPlan("gghh-box-1l", n=10, chunk=5, seed=-1)
    with pytest.warns(UserWarning, match="power of 2"):
        GenerationPlan("gghh-box-1l", n=1000, chunk=100, seed=0, sampler="sobol")
    out = tmp_path / "old.h5"
    parts = tmp_path / "old.h5.parts"
    parts.mkdir()
    np.savez(parts / "chunk-00000.npz", inputs=np.zeros((1, 6)), targets=np.zeros(1))
    with pytest.raises(GenerationError, match="without a plan.json"):
        generate(GenerationPlan("gghh-box-1l", n=10, chunk=5, seed=0), out)
