"""pyamplicol truth providers: physics against analytic results, symmetries, the cache.

The processes are built once into the user cache (``$HEPEMU_CACHE`` or ~/.cache/hepemu;
about 15 s each the first time, then reused); the cache tests build ``e+ e- > d d~`` in a
temporary root (about 25 s).
"""

from __future__ import annotations

import importlib.metadata
import json
import math
import pickle
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from hepemu.physics.kinematics import dot, rambo_from_unit
from hepemu.physics.providers import AmplicolProvider, get_provider
from hepemu.physics.tree import amplicol
from hepemu.physics.tree.ee_jets import C_F, EECouplings, ZBoson, beams, ee_qq, ee_qqg, sigma0

SQRT_S = 1000.0
OCTAHEDRON = np.vstack([np.eye(3), -np.eye(3)])  # a spherical 3-design (exact for quadratics)


@pytest.fixture(scope="session")
def amp():
    """The named providers, built (or found) in the user cache once per session."""
    providers = {name: get_provider(name) for name in ("ee3j", "ee4j", "ee5j")}
    for p in providers.values():
        p.runtime()
    return providers


def _points(provider: AmplicolProvider, n: int, seed: int) -> np.ndarray:
    x, _ = provider.from_unit(np.random.default_rng(seed).random((n, provider.unit_dim)))
    return provider.momenta(x)


def _msq(provider: AmplicolProvider, p: np.ndarray) -> np.ndarray:
    return provider(p.reshape(len(p), -1))


def _pyamplicol_ew(amp) -> tuple[EECouplings, ZBoson]:
    """The analytic ME's parameters, read from the provider's own metadata."""
    c = amp["ee3j"].metadata()["couplings"]
    return (
        EECouplings(alpha=c["alpha_ew"], alpha_s=c["alpha_s"], charge=-1 / 3),
        ZBoson(mass=c["m_Z"], width=c["width_Z"], sin2w=c["sin2_theta_w"]),
    )


def _random_rotations(n: int, rng: np.random.Generator) -> np.ndarray:
    q, r = np.linalg.qr(rng.normal(size=(n, 3, 3)))
    q = q * np.sign(np.diagonal(r, axis1=1, axis2=2))[:, None, :]
    return q * np.linalg.det(q)[:, None, None]  # proper rotations


def test_ee3j_equals_analytic_gamma_z_point_by_point(amp):
    c, z = _pyamplicol_ew(amp)
    p = _points(amp["ee3j"], 300, 0)
    np.testing.assert_allclose(_msq(amp["ee3j"], p), ee_qqg(p, c, z), rtol=1e-10)
    # any orientation of the whole event (beams included): still the analytic value
    rot = _random_rotations(len(p), np.random.default_rng(1))
    pr = p.copy()
    pr[..., 1:] = np.einsum("nij,nkj->nki", rot, p[..., 1:])
    np.testing.assert_allclose(_msq(amp["ee3j"], pr), ee_qqg(p, c, z), rtol=1e-10)


def test_ee3j_beam_orientation_average_is_textbook_dalitz_density_with_z(amp):
    # dσ/dx₁dx₂ = σ₀(γ*/Z) C_F α_s/(2π) (x₁²+x₂²)/((1−x₁)(1−x₂)) (ESW ch. 3), dΦ₃ =
    # s/(128π³) dx₁dx₂ dΩ dγ/(8π²); σ₀ in V/A form; the average over beam axes is exact
    c, z = _pyamplicol_ew(amp)
    p_out = _points(amp["ee3j"], 50, 2)[:, 2:]
    half = 0.5 * SQRT_S
    m2 = []
    for n in OCTAHEDRON:
        b = np.stack([np.concatenate([[half], half * n]), np.concatenate([[half], -half * n])])
        p = np.concatenate([np.broadcast_to(b, (len(p_out), 2, 4)), p_out], axis=1)
        m2.append(_msq(amp["ee3j"], p))
    dsigma = np.mean(m2, axis=0) / (2 * SQRT_S**2) * SQRT_S**2 / (128 * math.pi**3)
    x1, x2 = 2 * p_out[:, 0, 0] / SQRT_S, 2 * p_out[:, 1, 0] / SQRT_S
    expect = sigma0(SQRT_S, c, z) * C_F * c.alpha_s / (2 * math.pi)
    expect *= (x1**2 + x2**2) / ((1 - x1) * (1 - x2))
    np.testing.assert_allclose(dsigma, expect, rtol=1e-10)


@pytest.mark.parametrize(
    ("name", "swaps"), [("ee4j", [(4, 5)]), ("ee5j", [(4, 5), (4, 6), (5, 6)])]
)
def test_bose_symmetry_of_gluons(amp, name, swaps):
    p = _points(amp[name], 100, 3)
    m = _msq(amp[name], p)
    assert np.all(m > 0)
    for i, j in swaps:
        q = p.copy()
        q[:, [i, j]] = p[:, [j, i]]
        np.testing.assert_allclose(_msq(amp[name], q), m, rtol=1e-11)


def test_cp_swap_of_beams_and_quarks(amp):
    # e+ ↔ e−, d ↔ d̄ (momenta): the spin-summed |M|² has no ε-tensor terms at tree level
    for name in ("ee3j", "ee4j"):
        p = _points(amp[name], 50, 4)
        q = p.copy()
        q[:, [0, 1, 2, 3]] = p[:, [1, 0, 3, 2]]
        np.testing.assert_allclose(_msq(amp[name], q), _msq(amp[name], p), rtol=1e-11)


def _boost(p: np.ndarray, beta: np.ndarray) -> np.ndarray:
    """Boost momenta p (N, m, 4) by velocities beta (N, 3)."""
    b2 = np.sum(beta**2, axis=-1)
    gamma = 1 / np.sqrt(1 - b2)
    bp = np.einsum("nj,nmj->nm", beta, p[..., 1:])
    e = gamma[:, None] * (p[..., 0] + bp)
    coef = ((gamma - 1) / b2)[:, None] * bp + gamma[:, None] * p[..., 0]
    return np.concatenate([e[..., None], p[..., 1:] + coef[..., None] * beta[:, None]], -1)


def test_ee4j_soft_gluon_limit_is_colour_correlated_eikonal_times_ee3j(amp):
    # |M₄|² → −g² Σ_{i≠j} T_i·T_j (p_i·p_j)/((p_i·k)(p_j·k)) |M₃|² (Catani–Seymour,
    # hep-ph/9605323, sec. 5); for q(1) q̄(2) g(3): 2T₁·T₂ = C_A − 2C_F, 2T_{1,2}·T₃ = −C_A
    rng = np.random.default_rng(5)
    n = 30
    p3 = _points(amp["ee3j"], n, 6)
    born = _msq(amp["ee3j"], p3)
    axis = rng.normal(size=(n, 3))
    axis /= np.linalg.norm(axis, axis=1, keepdims=True)
    g2 = 4 * math.pi * amp["ee3j"].metadata()["couplings"]["alpha_s"]
    errors = []
    for lam in (1e-3, 1e-4, 1e-5):  # gluon energy λ√s/2
        k = 0.5 * lam * SQRT_S * np.concatenate([np.ones((n, 1)), axis], axis=1)
        rest = np.array([SQRT_S, 0, 0, 0]) - k  # q q̄ g recoil: rescaled and boosted exactly
        mass = np.sqrt(dot(rest, rest))
        q = _boost((mass / SQRT_S)[:, None, None] * p3[:, 2:], rest[:, 1:] / rest[:, :1])
        p4 = np.concatenate([beams(n, SQRT_S), q, k[:, None]], axis=1)
        np.testing.assert_allclose(p4[:, :2].sum(1), p4[:, 2:].sum(1), atol=1e-9 * SQRT_S)

        def s(a, b):
            return 2 * dot(a, b)

        q1, q2, q3 = q[:, 0], q[:, 1], q[:, 2]
        eik = (
            2
            * g2
            * (
                3 * (s(q1, q3) / (s(q1, k) * s(q3, k)) + s(q2, q3) / (s(q2, k) * s(q3, k)))
                - s(q1, q2) / (s(q1, k) * s(q2, k)) / 3
            )
        )
        ratio = 2 * _msq(amp["ee4j"], p4) / (eik * born)  # 2!: ee4j has 1/2 for its gluons
        errors.append(np.abs(ratio - 1))
        assert np.max(errors[-1]) < 100 * lam and np.median(errors[-1]) < 3 * lam
    assert np.all(errors[-1] < errors[0] / 10 + 1e-9)  # → 1 linearly in the gluon energy


@pytest.fixture(scope="session")
def qqbar_to_eeg():
    return get_provider("amplicol:d  d~ > e+ e- g", {"sqrt_s": 500})


def test_crossing_generic_expression_against_analytic(qqbar_to_eeg):
    # Σ|M|² is one function of the all-outgoing momenta: d(a) d̄(b) → e+(1) e−(2) g(3) is
    # e+e− → d d̄ g at (−p₂, −p₁, −p_b, −p_a, p₃); averages 1/36 here and 1/4 there
    pr = qqbar_to_eeg
    assert pr.name == "amplicol:d d~ > e+ e- g"
    assert pr.columns()[:8] == ["E_d", "px_d", "py_d", "pz_d"] + ["E_dbar", "px_dbar"] + [
        "py_dbar",
        "pz_dbar",
    ]
    x, keep = pr.from_unit(np.random.default_rng(7).random((40, pr.unit_dim)))
    assert keep.all()
    p = pr.momenta(x)
    crossed = np.stack([-p[:, 3], -p[:, 2], -p[:, 1], -p[:, 0], p[:, 4]], axis=1)
    c = pr.metadata()["couplings"]
    ew = EECouplings(alpha=c["alpha_ew"], alpha_s=c["alpha_s"], charge=-1 / 3)
    z = ZBoson(mass=c["m_Z"], width=c["width_Z"], sin2w=c["sin2_theta_w"])
    np.testing.assert_allclose(pr(x), ee_qqg(crossed, ew, z) * 4 / 36, rtol=1e-10)
    assert pr.metadata()["normalization"]["initial_spin_colour_average"] == 36


def test_provider_registry_options_and_pickling(amp):
    pr = get_provider("ee4j", {"sqrt_s": 500, "y_min": 0.01, "ycut": 0.001})
    assert (pr.name, pr.process, pr.sqrt_s, pr.unit_dim) == ("ee4j", "e+ e- > d d~ g g", 500, 16)
    assert pr.columns()[16:] == ["E_g1", "px_g1", "py_g1", "pz_g1", "E_g2", "px_g2", "py_g2"] + [
        "pz_g2"
    ]
    x, keep = pr.from_unit(np.random.default_rng(8).random((400, pr.unit_dim)))
    assert 0 < keep.sum() < len(keep)
    one_cut = get_provider("ee4j", {"y_min": 0.01})  # (combined cuts hold a lambda)
    clone = pickle.loads(pickle.dumps(one_cut))
    assert clone == one_cut
    np.testing.assert_array_equal(clone(x[keep]), pr(x[keep]))
    p = pr.momenta(x)
    np.testing.assert_allclose(p[:, :2].sum(1), p[:, 2:].sum(1), atol=1e-9)
    assert np.all(np.abs(p[:, 0, 3] - 250) < 1e-12)  # e+ along +z
    meta = pr.metadata()
    assert meta["generator"] == "pyamplicol"
    assert meta["generator_version"] == importlib.metadata.version("pyamplicol")
    assert meta["units"].startswith("|M|^2 in GeV^-4")
    assert meta["normalization"] == {
        "initial_spin_colour_average": 4,
        "identical_final_state_factor": 2,
        "alpha_s_power": 2,
        "alpha_ew_power": 2,
    }
    assert meta["phase_space_weight"] > 0 and "DurhamJetCut" in meta["cuts"]
    json.dumps(meta)
    with pytest.raises(ValueError, match="does not take option"):
        get_provider("ee3j", {"alpha": 0.1})
    with pytest.raises(ValueError, match="not a process expression"):
        get_provider("amplicol:e+ e-")
    with pytest.raises(ValueError, match="two incoming"):
        get_provider("amplicol:e+ > e+ g g")
    with pytest.raises(ValueError, match="amplicol:<process>"):
        get_provider("ee6j")


def test_data_generate_with_ee3j(amp, tmp_path):
    from hepemu.data.dataset import Dataset
    from hepemu.data.generate import GenerationPlan, generate

    plan = GenerationPlan("ee3j", 2000, 500, 3, (("ycut", 0.01),))
    generate(plan, tmp_path / "a.h5")
    ds = Dataset.open(tmp_path / "a.h5")
    assert ds.verify() and 0 < ds.n < 2000 and ds.meta["rejected_cuts"] == 2000 - ds.n
    x, y = ds.read("inputs"), ds.read("targets")
    c, z = _pyamplicol_ew(amp)
    np.testing.assert_allclose(y.ravel(), ee_qqg(x.reshape(len(x), 5, 4), c, z), rtol=1e-10)


# ---- the cache: built in a temporary root with the cheapest process ----------------------

EE2 = "e+ e- > d d~"
_BUILDER = (
    "import json, sys; from hepemu.physics.tree import amplicol; "
    "e = amplicol.ensure_artifact(sys.argv[1], sys.argv[2]); "
    "m = json.loads((e / 'manifest.json').read_text()); "
    "print(json.dumps([str(e), m['created_utc'], m['artifact_id']]))"
)


@pytest.fixture(scope="module")
def two_builders(tmp_path_factory):
    """Two processes asking for the same missing entry at once."""
    root = tmp_path_factory.mktemp("ampcache")
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", _BUILDER, EE2, str(root)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(2)
    ]
    outs = [p.communicate(timeout=600) for p in procs]
    return root, [p.returncode for p in procs], outs


def test_concurrent_builds_end_with_one_valid_entry(two_builders):
    root, codes, outs = two_builders
    assert codes == [0, 0], outs
    first, second = (json.loads(out) for out, _ in outs)
    assert first == second  # the second waited for the lock and reused the first's entry
    entries = [p for p in root.iterdir() if p.name != ".lock"]
    assert entries == [Path(first[0])]  # no temporary or trash directories left
    assert amplicol.verify_entry(entries[0], EE2) is not None


def test_damaged_entry_is_detected_and_rebuilt(two_builders, tmp_path):
    root = two_builders[0]
    entry = root / amplicol.cache_key(EE2)
    files = sorted(p for p in entry.rglob("*") if p.is_file() and p.name != "manifest.json")
    big = max(files, key=lambda p: p.stat().st_size).relative_to(entry)
    data = (entry / big).read_bytes()
    damages = {
        "truncated": lambda e: (e / big).write_bytes(data[: len(data) // 2]),
        "bit flipped": lambda e: (e / big).write_bytes(data[:-1] + bytes([data[-1] ^ 1])),
        "file missing": lambda e: (e / big).unlink(),
        "stray file": lambda e: (e / "stray.bin").write_bytes(b"x"),
        "bad manifest": lambda e: (e / "manifest.json").write_text('{"files": '),
        "no manifest (unfinished)": lambda e: (e / "manifest.json").unlink(),
    }
    for what, damage in damages.items():
        copy = shutil.copytree(entry, tmp_path / what)
        assert amplicol.verify_entry(copy, EE2) is not None
        damage(copy)
        assert amplicol.verify_entry(copy, EE2) is None, what
    old = json.loads(two_builders[2][0][0])[1]
    (entry / big).write_bytes(data[:100])
    rebuilt = amplicol.ensure_artifact(EE2, root)
    manifest = amplicol.verify_entry(rebuilt, EE2)
    assert rebuilt == entry and manifest is not None and manifest["created_utc"] >= old
    assert [p.name for p in root.iterdir() if p.name != ".lock"] == [entry.name]
    # and it evaluates: e+e− → d d̄ against the analytic γ*/Z Born
    runtime, physics = amplicol.load_runtime(EE2, root)
    p_out, _ = rambo_from_unit(np.random.default_rng(9).random((20, 8)), SQRT_S)
    p = np.concatenate([beams(20, SQRT_S), p_out], axis=1)
    c = amplicol.physics_summary(physics)["couplings"]
    ew = EECouplings(alpha=c["alpha_ew"], alpha_s=c["alpha_s"], charge=-1 / 3)
    z = ZBoson(mass=c["m_Z"], width=c["width_Z"], sin2w=c["sin2_theta_w"])
    np.testing.assert_allclose(amplicol.evaluate(runtime, p), ee_qq(p, ew, z), rtol=1e-10)


def test_cache_keys_and_leg_names(monkeypatch, tmp_path):
    assert amplicol.cache_key("e+ e- > d d~ g") == amplicol.cache_key(" e+  e-  >  d d~ g ")
    assert amplicol.cache_key("e+ e- > d d~ g") != amplicol.cache_key("e+ e- > u u~ g")
    assert amplicol.leg_names("e+ e- > d d~ g g") == ["ep", "em", "d", "dbar", "g1", "g2"]
    monkeypatch.setenv("HEPEMU_CACHE", str(tmp_path))
    assert amplicol.cache_root() == tmp_path / "pyamplicol"
    monkeypatch.delenv("HEPEMU_CACHE")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert amplicol.cache_root() == tmp_path / "xdg" / "hepemu" / "pyamplicol"


def test_failed_build_is_not_retried_in_the_same_process(monkeypatch, tmp_path):
    calls = []

    def fail(expression, out, log):
        calls.append(expression)
        raise amplicol.AmplicolError("unknown particle name(s): ['x']")

    monkeypatch.setattr(amplicol, "_generate", fail)
    for _ in range(3):  # data generate's retries and bisection call the provider again
        with pytest.raises(amplicol.AmplicolError, match="unknown particle"):
            amplicol.load_runtime("e+ e- > x x", tmp_path)
    assert calls == ["e+ e- > x x"]
    assert [p.name for p in tmp_path.iterdir()] == [".lock"]  # no half-built entry left
