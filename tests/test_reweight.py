"""`hepemu reweight`: a MadGraph-layout Les Houches file gets a surrogate's weight, every
other byte kept, read back by pylhe; mismatching events are named."""

from __future__ import annotations

import difflib
import json

import numpy as np
import pylhe
import pytest

from hepemu.cli.main import run_cli as run
from hepemu.physics.providers import get_provider
from hepemu.registry import load_model

HEADER = """<LesHouchesEvents version="3.0">
<header>
<!--
#*********************************************************************
#                        MadGraph5_aMC@NLO                           *
#*********************************************************************
-->
<MGVersion>
3.5.3
</MGVersion>
<MGProcCard>
#************************************************************
#*                     MadGraph5_aMC@NLO                    *
#************************************************************
set group_subprocesses Auto
import model sm
define p = g u c d s u~ c~ d~ s~
generate e+ e- > d d~ g
output ee_ddg
</MGProcCard>
<MGRunCard>
<![CDATA[
  10000 = nevents ! Number of unweighted events requested
  500.0     = ebeam1  ! beam 1 total energy in GeV
  500.0     = ebeam2  ! beam 2 total energy in GeV
]]>
</MGRunCard>
{initrwgt}<MGGenerationInfo>
#  Number of Events        :       {n}
#  Integrated weight (pb)  :       0.20000000000
</MGGenerationInfo>
</header>
<init>
-11 11 +5.0000000000e+02 +5.0000000000e+02 0 0 0 0 3 1
+2.0000000000e-01 +1.0000000000e-03 +2.0000000000e-01 1
<generator name='MadGraph5_aMC@NLO' version='3.5.3'>please cite 1405.0301 </generator>
</init>
"""
INITRWGT = """<initrwgt>
<weightgroup name='mg_reweighting' weight_name_strategy='includeIdInWeightName'>
<weight id='rwgt_1'> set param_card mass 6 172.0 </weight>
</weightgroup>
</initrwgt>
"""
PDG = [-11, 11, 1, -1, 21]
COLOURS = [(0, 0), (0, 0), (501, 0), (0, 502), (502, 501)]


def _momenta(n: int) -> np.ndarray:
    provider = get_provider("ee3j", {"y_min": 0.001})
    x, kept = provider.from_unit(np.random.default_rng(5).random((4 * n, provider.unit_dim)))
    return x[kept][:n].reshape(n, 5, 4)


def _event(p: np.ndarray, xwgtup: float, i: int, ids=PDG) -> str:
    rows = [f" 5      1 {xwgtup:+.7e} 1.00000000e+03 7.54677100e-03 1.18000000e-01"]
    for k, (pid, (c1, c2), v) in enumerate(zip(ids, COLOURS, p, strict=True)):
        st, mo = (-1, (0, 0)) if k < 2 else (1, (1, 2))
        rows.append(
            f" {pid:>9d} {st:2d} {mo[0]:4d} {mo[1]:4d} {c1:4d} {c2:4d} {v[1]:+.10e} "
            f"{v[2]:+.10e} {v[3]:+.10e} {v[0]:.10e} {0.0:.10e} 0.0000e+00 {(-1) ** k:.4e}"
        )
    extra = "<mgrwt>\n<rscale>  0 0.10000000E+04</rscale>\n</mgrwt>\n"
    if i % 2 == 0:  # every other event already carries a weight
        extra += f"<rwgt>\n<wgt id='rwgt_1'> {xwgtup * 1.1:+.7e} </wgt>\n</rwgt>\n"
    if i % 3 == 1:  # MadGraph 3 writes event attributes and a <scales> block
        extra += '<scales pt_clust_3="+3.1e+01"></scales>\n'
        return "<event npLO=' -1 '>\n" + "\n".join(rows) + "\n" + extra + "</event>\n"
    return "<event>\n" + "\n".join(rows) + "\n" + extra + "</event>\n"


def write_file(path, momenta, with_initrwgt=True, ids_of=lambda i: PDG) -> list[float]:
    xw = [0.2 * (1 + 0.1 * i) for i in range(len(momenta))]
    text = HEADER.replace("{initrwgt}", INITRWGT if with_initrwgt else "")
    text = text.replace("{n}", str(len(momenta)))
    text += "".join(
        _event(p, w, i, ids_of(i)) for i, (p, w) in enumerate(zip(momenta, xw, strict=True))
    )
    path.write_text(text + "</LesHouchesEvents>\n")
    return xw


def _inserted_only(src: bytes, out: bytes) -> list[str]:
    """The lines of ``out`` that are not in ``src``; fails unless ``out`` is ``src`` with
    lines inserted (nothing removed or changed)."""
    a, b = src.decode().splitlines(keepends=True), out.decode().splitlines(keepends=True)
    inserted = []
    for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(a=a, b=b, autojunk=False).get_opcodes():
        assert tag in ("equal", "insert"), (tag, a[i1:i2], b[j1:j2])
        if tag == "insert":
            inserted += b[j1:j2]
    return inserted


@pytest.mark.parametrize("with_initrwgt", [True, False])
def test_reweight_keeps_every_byte_and_pylhe_reads_the_weight(tmp_path, with_initrwgt, monkeypatch):
    monkeypatch.setattr("hepemu.applications.reweight.BATCH", 3)  # batches end mid-file
    p = _momenta(7)
    src = tmp_path / "events.lhe"
    write_file(src, p, with_initrwgt)
    out = tmp_path / "out.lhe"
    assert run(["reweight", str(src), "--model", "ee3j", "-o", str(out), "--name", "emu"]) == 0

    inserted = _inserted_only(src.read_bytes(), out.read_bytes())
    allowed = {"<rwgt>\n", "</rwgt>\n", "<initrwgt>\n", "</initrwgt>\n"}
    assert all("'emu'" in line or line in allowed for line in inserted), inserted
    assert sum("<wgt id='emu'>" in line for line in inserted) == 7

    expected = load_model("ee3j").predict(p.reshape(7, -1))[0]
    lhe = pylhe.LHEFile.fromfile(str(out))
    events = list(lhe.events)
    assert "emu" in lhe.header.initrwgt.list_weights_ids()
    if with_initrwgt:  # the generator's own weight still declared, first
        assert lhe.header.initrwgt.list_weights_ids() == ["rwgt_1", "emu"]
    got = np.array([e.weights["emu"] for e in events])
    np.testing.assert_allclose(got, expected, rtol=1e-6)  # float32 network: batch-dependent sums
    assert all(("rwgt_1" in e.weights) == (i % 2 == 0) for i, e in enumerate(events))
    summary = json.loads((tmp_path / "out.lhe.json").read_text())
    assert summary["events"] == 7


def test_denominator_and_truth_check(tmp_path):
    p = _momenta(6)
    src = tmp_path / "events.lhe"
    xw = write_file(src, p)
    out = tmp_path / "out.lhe"
    args = ["reweight", str(src), "--model", "ee3j", "-o", str(out), "--name", "ratio"]
    args += ["--denominator", "ee3j", "--check-truth", "ee3j", "--check", "4"]
    assert run(args) == 0

    flat = p.reshape(6, -1)
    model, truth = load_model("ee3j").predict(flat), get_provider("ee3j")(flat)
    got = [e.weights["ratio"] for e in pylhe.LHEFile.fromfile(str(out)).events]
    np.testing.assert_allclose(got, np.array(xw) * model[0] / truth, rtol=1e-9)

    check = json.loads((tmp_path / "out.lhe.json").read_text())["check"]
    delta = model[0][:4] / truth[:4] - 1
    assert check["events"] == 4
    median = np.median(np.abs(delta))  # momenta in the file to 11 digits
    assert check["median_abs_delta"] == pytest.approx(median, abs=1e-8)
    assert check["fraction_within_1pct"] == np.mean(np.abs(delta) < 0.01)
    covered = np.abs(model[0][:4] - truth[:4]) <= model[1][:4]
    assert check["sigma_coverage"] == np.mean(covered)


def test_a_mismatching_event_is_named_and_nothing_is_written(tmp_path, capsys):
    p = _momenta(5)
    src = tmp_path / "events.lhe"
    swapped = [-11, 11, -1, 1, 21]  # d~ before d in the third event
    write_file(src, p, ids_of=lambda i: swapped if i == 2 else PDG)
    out = tmp_path / "out.lhe"
    assert run(["reweight", str(src), "--model", "ee3j", "-o", str(out)]) == 2
    assert "event 3: particles -11(in) 11(in) -1 1 21" in capsys.readouterr().err
    assert not out.exists()


def test_an_event_at_another_energy_is_named(tmp_path, capsys):
    p = _momenta(3)
    p[1] *= 0.5  # event 2 at sqrt(s) = 500 GeV; ee3j (Z exchange) is not scale-free
    src = tmp_path / "events.lhe"
    write_file(src, p)
    out = tmp_path / "out.lhe"
    assert run(["reweight", str(src), "--model", "ee3j", "-o", str(out)]) == 2
    assert "event 2 is not at the model's sqrt(s) = 1000 GeV" in capsys.readouterr().err


def test_a_weight_name_already_declared_is_refused(tmp_path, capsys):
    src = tmp_path / "events.lhe"
    write_file(src, _momenta(2))
    out = tmp_path / "out.lhe"
    assert run(["reweight", str(src), "--model", "ee3j", "-o", str(out), "--name", "rwgt_1"]) == 2
    assert "already declares a weight 'rwgt_1'" in capsys.readouterr().err


def test_options_reach_the_denominator(tmp_path):
    """--option sets the truth providers' options: ee-qqg's |M|² ∝ α_s, so doubling α_s in
    the denominator halves the weight."""
    src = tmp_path / "events.lhe"
    write_file(src, _momenta(3))
    weights = []
    for k, alpha_s in enumerate(("0.118", "0.236")):
        out = tmp_path / f"out{k}.lhe"
        args = ["reweight", str(src), "--model", "ee3j", "-o", str(out), "--name", "r"]
        assert run([*args, "--denominator", "ee-qqg", "--option", f"alpha_s={alpha_s}"]) == 0
        weights.append([e.weights["r"] for e in pylhe.LHEFile.fromfile(str(out)).events])
    np.testing.assert_allclose(np.array(weights[0]) / np.array(weights[1]), 2.0, rtol=1e-9)


def test_gzipped_files(tmp_path):
    import gzip

    src = tmp_path / "events.lhe"
    write_file(src, _momenta(4))
    gz = tmp_path / "events.lhe.gz"
    gz.write_bytes(gzip.compress(src.read_bytes()))
    out = tmp_path / "out.lhe.gz"
    assert run(["reweight", str(gz), "--model", "ee3j", "-o", str(out), "--name", "emu"]) == 0
    plain = tmp_path / "plain.lhe"
    assert run(["reweight", str(src), "--model", "ee3j", "-o", str(plain), "--name", "emu"]) == 0
    assert gzip.decompress(out.read_bytes()) == plain.read_bytes()
    assert len([e.weights["emu"] for e in pylhe.LHEFile.fromfile(str(out)).events]) == 4


def test_hepmc3_output_carries_both_weights(tmp_path):
    pyhepmc = pytest.importorskip("pyhepmc")
    p = _momenta(5)
    src = tmp_path / "events.lhe"
    xw = write_file(src, p)
    lhe, hep = tmp_path / "out.lhe", tmp_path / "out.hepmc3"
    for out in (lhe, hep):
        assert run(["reweight", str(src), "--model", "ee3j", "-o", str(out), "--name", "emu"]) == 0
    want = [e.weights["emu"] for e in pylhe.LHEFile.fromfile(str(lhe)).events]
    with pyhepmc.open(str(hep)) as f:
        events = list(f)
    assert len(events) == 5 and events[0].run_info.weight_names == ["Weight", "emu"]
    for e, w0, w1, pk in zip(events, xw, want, p, strict=True):
        np.testing.assert_allclose(e.weights, [w0, w1], rtol=1e-6)
        assert [q.pid for q in e.particles if q.status == 4] == [-11, 11]
        final = [q for q in e.particles if q.status == 1]
        assert [q.pid for q in final] == [1, -1, 21]
        np.testing.assert_allclose([q.momentum.e for q in final], pk[2:, 0], rtol=1e-9)
