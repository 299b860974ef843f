"""`hepemu reweight --variations`: seven-point scale and PDF-member weights of
hadron-collider events, checked against the analytic densities of a set written here (its
gluon depends on Q and on the member), with every other byte of the file kept."""

from __future__ import annotations

import re

import numpy as np
import pylhe
import pytest
from providers_collider import pp_events_args

from hepemu.cli.main import run_cli

pytest.importorskip("parton")

MZ, ALPHA_MZ = 91.1876, 0.118
MEMBERS = 3


def xg(x, q, member=0):
    """x g(x, Q) of the set: a Q power law and a member-dependent tilt in x."""
    return 2.0 * x**-0.1 * (1 - x) ** 5 * (q / 100.0) ** 0.05 * (1 + 0.1 * member * x)


def alpha_s(q):
    """One-loop, five flavours, from α_s(M_Z) = 0.118 (PDG RPP QCD review)."""
    return ALPHA_MZ / (1 + ALPHA_MZ * 23 / (12 * np.pi) * np.log(q**2 / MZ**2))


def write_set(root, name="toyvar"):
    folder = root / name
    folder.mkdir(parents=True)
    (folder / f"{name}.info").write_text(
        "SetDesc: toy gluon with Q and member dependence\nFormat: lhagrid1\nDataVersion: 1\n"
        f"NumMembers: {MEMBERS}\nParticle: 2212\nFlavors: [1, 21]\nOrderQCD: 0\n"
        "XMin: 1e-07\nXMax: 1\nQMin: 1\nQMax: 100000\nAlphaS_MZ: 0.118\nSetIndex: 991000\n"
    )
    x = np.unique(np.concatenate([np.logspace(-7, -1, 90), np.linspace(0.1, 1, 61)]))
    q = np.logspace(0, 5, 41)
    for m in range(MEMBERS):
        rows = [f"{0.0:.10e} {xg(xi, qi, m) if xi < 1 else 0.0:.10e}" for xi in x for qi in q]
        (folder / f"{name}_{m:04d}.dat").write_text(
            f"PdfType: {'central' if m == 0 else 'replica'}\nFormat: lhagrid1\n---\n"
            + " ".join(f"{v:.10e}" for v in x) + "\n"
            + " ".join(f"{v:.10e}" for v in q) + "\n1 21\n"
            + "\n".join(rows) + "\n---\n"
        )  # fmt: skip
    return folder


@pytest.fixture(scope="module")
def events(tmp_path_factory):
    root = tmp_path_factory.mktemp("variations")
    folder = write_set(root)
    src = root / "pp.lhe"
    assert run_cli(pp_events_args(folder, 12) + ["--out", str(src)]) == 0
    return root, folder, src


def test_scale_and_pdf_weights_follow_the_densities(events):
    root, folder, src = events
    out = root / "var.lhe"
    args = ["reweight", str(src), "--variations", "scale,pdf", "--pdf", str(folder)]
    assert run_cli(args + ["--alpha-s-power", "3", "-o", str(out)]) == 0
    read = list(pylhe.LHEFile.fromfile(str(out)).events)
    assert len(read) == 12
    for e in read:
        w0, mu = e.eventinfo.weight, e.eventinfo.scale
        x = np.array([e.particles[0].e, e.particles[1].e]) / 6800.0
        assert set(e.weights) == {
            "MUR0.5_MUF0.5", "MUR0.5_MUF1", "MUR1_MUF0.5", "MUR1_MUF2", "MUR2_MUF1",
            "MUR2_MUF2", "PDF991001", "PDF991002",
        }  # fmt: skip
        for k_r, k_f in [(0.5, 0.5), (0.5, 1), (1, 0.5), (1, 2), (2, 1), (2, 2)]:
            coupling = (alpha_s(k_r * mu) / alpha_s(mu)) ** 3
            want = w0 * np.prod(xg(x, k_f * mu) / xg(x, mu)) * coupling
            assert e.weights[f"MUR{k_r:g}_MUF{k_f:g}"] == pytest.approx(want, rel=1e-4)
        for m in (1, 2):
            want = w0 * np.prod(xg(x, mu, m) / xg(x, mu))
            assert e.weights[f"PDF{991000 + m}"] == pytest.approx(want, rel=1e-4)
    # every other byte kept: dropping the added lines (and the <header> made for the
    # declarations, the input having none) gives the input back
    assert b"<header>" not in src.read_bytes()
    added = rb"^(<weight id='(MUR|PDF)[^\n]*|<wgt id=[^\n]*|</?(rwgt|initrwgt|header)>)\n"
    added = re.compile(added, re.M)
    assert added.sub(b"", out.read_bytes()) == src.read_bytes()


def test_variations_in_hepmc3_and_with_a_model(events):
    pyhepmc = pytest.importorskip("pyhepmc")
    root, folder, src = events
    hep = root / "var.hepmc3"
    args = ["reweight", str(src), "--model", "ggyyg-1l-bnn", "--variations", "scale"]
    assert run_cli(args + ["--pdf", str(folder), "-o", str(hep)]) == 0  # α_s power: the model's
    with pyhepmc.open(str(hep)) as f:
        got = list(f)
    names = got[0].run_info.weight_names
    assert names[:2] == ["Weight", "ggyyg-1l-bnn"] and len(names) == 2 + 6
    e = got[0]
    mu, x = e.pdf_info.scale, np.array([e.pdf_info.x1, e.pdf_info.x2])
    want = e.weights[0] * np.prod(xg(x, 2 * mu) / xg(x, mu)) * (alpha_s(2 * mu) / alpha_s(mu)) ** 3
    assert e.weights[names.index("MUR2_MUF2")] == pytest.approx(want, rel=1e-4)


def test_variations_are_refused_where_they_cannot_be_made(events, tmp_path, capsys):
    root, folder, src = events
    out = str(tmp_path / "x.lhe")
    assert run_cli(["reweight", str(src), "-o", out]) == 2
    assert "give --model" in capsys.readouterr().err
    assert run_cli(["reweight", str(src), "--variations", "scale", "-o", out]) == 2
    assert "needs --pdf" in capsys.readouterr().err
    args = ["reweight", str(src), "--variations", "scale", "--pdf", str(folder), "-o", out]
    assert run_cli(args) == 2
    assert "--alpha-s-power" in capsys.readouterr().err
    args = ["reweight", str(src), "--variations", "pdf", "--pdf", str(folder), "-o", out]
    assert run_cli(args + ["--pdf-members", "5"]) == 2
    assert "members 0 to 2, the events' own is 0" in capsys.readouterr().err
    assert run_cli(args[:3] + ["mur", *args[4:]]) == 2
    assert "give scale, pdf" in capsys.readouterr().err


def test_events_carry_the_variations_when_asked(events, tmp_path):
    """`hepemu events --variations`: the same weights as reweighting the plain run's file."""
    pyhepmc = pytest.importorskip("pyhepmc")
    root, folder, src = events
    args = pp_events_args(folder, 12) + ["--variations", "scale,pdf", "--pdf-members", "2"]
    lhe, hep = tmp_path / "v.lhe", tmp_path / "v.hepmc3"
    assert run_cli(args + ["--out", str(lhe)]) == 0
    assert run_cli(args + ["--out", str(hep)]) == 0
    assert not (tmp_path / "v.lhe.base").exists()
    read = list(pylhe.LHEFile.fromfile(str(lhe)).events)
    plain = list(pylhe.LHEFile.fromfile(str(src)).events)  # the same seed: the same events
    assert len(read) == len(plain) == 12
    for e, p in zip(read, plain, strict=True):
        assert e.eventinfo.weight == pytest.approx(p.eventinfo.weight, rel=1e-12)
        mu, x = e.eventinfo.scale, np.array([e.particles[0].e, e.particles[1].e]) / 6800.0
        want = np.prod(xg(x, mu, 2) / xg(x, mu)) * e.eventinfo.weight
        assert e.weights["PDF991002"] == pytest.approx(want, rel=1e-4)
        assert len(e.weights) == 7
    with pyhepmc.open(str(hep)) as f:
        got = list(f)
    names = got[0].run_info.weight_names
    assert names[0] == "Weight" and "MUR2_MUF2" in names and "PDF991002" in names
    for h, e in zip(got, read, strict=True):
        for k, name in enumerate(names[1:], start=1):
            assert h.weights[k] / h.weights[0] == pytest.approx(
                e.weights[name] / e.eventinfo.weight, rel=1e-6
            )
    assert run_cli(args[:-4] + ["--variations", "scale", "--out", str(tmp_path / "x.h5")]) == 2


def test_a_ratio_that_is_not_finite_names_its_event(events):
    from hepemu.applications.variations import Variations
    from hepemu.physics.pdf import PartonDensity

    _, folder, _ = events
    var = Variations(PartonDensity(folder, 0), 3, (6800.0, 6800.0), True, [1])
    p = np.zeros((2, 5, 4))
    p[:, 0, 0], p[:, 1, 0] = [680.0, 6.8e-6], [680.0, 680.0]  # x = 0.1 and 1e-9 < XMin
    with pytest.raises(ValueError, match="event 2: weight MUR0.5_MUF0.5 is nan"):
        var.at_momenta([21, 21], p, np.array([100.0, 100.0]))
