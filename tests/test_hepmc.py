"""`hepemu events --out *.hepmc3`: HepMC3 files pyhepmc reads back, the same events as the
Les Houches file of the same run settings; hadron collisions with beams and PDF records."""

from __future__ import annotations

import numpy as np
import pylhe
import pytest

from hepemu.cli.main import run_cli

pyhepmc = pytest.importorskip("pyhepmc")


def _events(out, *extra) -> int:
    args = ["events", "--surrogate", "ee3j", "--n", "25", "--out", str(out), "--seed", "4"]
    return run_cli([*args, "--chunk-trials", "5000", *extra])


def _read(path):
    with pyhepmc.open(str(path)) as f:
        return list(f)


def test_hepmc3_holds_the_events_of_the_lhe_file(tmp_path):
    assert _events(tmp_path / "ev.lhe") == 0
    assert _events(tmp_path / "ev.hepmc3") == 0
    lhe = pylhe.LHEFile.fromfile(str(tmp_path / "ev.lhe"))
    lhe_events = list(lhe.events)
    hep = _read(tmp_path / "ev.hepmc3")
    assert len(hep) == len(lhe_events) == 25
    sigma = lhe.init.procInfo[0].xSection
    for h, e in zip(hep, lhe_events, strict=True):
        beams = [p for p in h.particles if p.status == 4]
        final = [p for p in h.particles if p.status == 1]
        assert [p.pid for p in beams] == [-11, 11] and [p.pid for p in final] == [1, -1, 21]
        assert len(h.vertices) == 1
        got = np.array(
            [[p.momentum.e, p.momentum.px, p.momentum.py, p.momentum.pz] for p in h.particles]
        )
        want = np.array([[p.e, p.px, p.py, p.pz] for p in e.particles])
        np.testing.assert_allclose(got, want, rtol=1e-8, atol=1e-6)  # LHE: 9 digits
        assert h.weights[0] == pytest.approx(e.eventinfo.weight, rel=1e-6)
        assert h.cross_section.xsec() == pytest.approx(sigma, rel=1e-6)
    assert hep[0].run_info.weight_names == ["Weight"]


def test_hadron_collider_hepmc3_has_protons_and_pdf_info(tmp_path):
    from providers_collider import pp_events_args
    from test_collider import write_set

    folder = write_set(tmp_path)
    out = tmp_path / "pp.hepmc3"
    args = pp_events_args(folder, 10, scale="fixed:125") + ["--out", str(out)]
    assert run_cli(args) == 0
    for h in _read(out):
        beams = [p for p in h.particles if p.status == 4]
        partons = [p for p in h.particles if p.status == 21]
        assert [p.pid for p in beams] == [2212, 2212]
        assert [p.momentum.pz for p in beams] == [6800.0, -6800.0]
        assert [p.pid for p in partons] == [21, 21]
        pdf = h.pdf_info
        assert pdf.x1 == pytest.approx(partons[0].momentum.e / 6800.0)
        assert pdf.x2 == pytest.approx(partons[1].momentum.e / 6800.0)
        assert pdf.scale == 125.0 and pdf.pdf_id1 == 990000
        assert [p.pid for p in h.particles if p.status == 1] == [22, 22, 21]
        # each proton's vertex keeps its remnant P − xP: every vertex conserves momentum
        remnants = [p for p in h.particles if p.status == 63]
        assert [p.pid for p in remnants] == [82, 82]
        for v in h.vertices:
            p_in = sum(np.array(p.momentum) for p in v.particles_in)
            p_out = sum(np.array(p.momentum) for p in v.particles_out)
            np.testing.assert_allclose(p_out, p_in, atol=1e-6 * 6800)
        assert remnants[0].momentum.pz == pytest.approx(6800.0 - partons[0].momentum.pz)
