"""`hepemu events`: LHE files pylhe reads back, HDF5 output, resuming, misuse."""

import json
import re

import numpy as np
import pylhe
import pytest
from typer.testing import CliRunner

from hepemu.applications.event_run import finished_chunks
from hepemu.cli.main import app
from hepemu.data.dataset import Dataset

runner = CliRunner()


def events(out, n, *extra):
    args = ["events", "--surrogate", "ee3j", "--n", str(n), "--out", str(out)]
    return runner.invoke(app, [*args, "--chunk-trials", "5000", *extra])


def test_lhe_file_reads_back(tmp_path):
    out = tmp_path / "ev.lhe"
    res = events(out, 40)
    assert res.exit_code == 0, res.output
    assert "efficiency" in res.output  # the progress lines
    lhe = pylhe.LHEFile.fromfile(str(out))
    sigma, sigma_err = lhe.init.procInfo[0].xSection, lhe.init.procInfo[0].error
    evs = list(lhe.events)
    assert len(evs) == 40 and sigma > 0 and 0 < sigma_err < sigma
    # the closing line states what the file holds: its events and its cross section
    said = re.search(
        r"wrote (\d+) events to .*: σ = (\S+) ± (\S+) pb", " ".join(res.output.split())
    )
    assert said, res.output
    assert int(said[1]) == len(evs)
    assert float(said[2]) == pytest.approx(sigma, rel=1e-5)  # printed to 6 digits
    assert float(said[3]) == pytest.approx(sigma_err, rel=0.06)  # to 2
    for ev in evs[:5]:
        ids = [p.id for p in ev.particles]
        assert ids == [-11, 11, 1, -1, 21]
        e = sum(p.e for p in ev.particles[2:])
        pz = sum(p.pz for p in ev.particles[2:])
        assert abs(e - 1000.0) < 1e-6 and abs(pz) < 1e-6  # momentum conservation
        assert ev.eventinfo.weight > 0


def test_resume_reuses_chunks_and_h5_output(tmp_path):
    out = tmp_path / "ev.h5"
    assert events(out, 20).exit_code == 0
    run_dir = tmp_path / "ev.h5.run"
    first = finished_chunks(run_dir)
    mtimes = {i: (run_dir / f"chunk{i:05d}.npz").stat().st_mtime_ns for i in first}
    again = events(out, 20)
    assert again.exit_code != 0 and "--force" in again.output
    more = events(out, 60, "--force")
    assert more.exit_code == 0, more.output
    after = finished_chunks(run_dir)
    assert set(first) < set(after)
    assert all((run_dir / f"chunk{i:05d}.npz").stat().st_mtime_ns == t for i, t in mtimes.items())
    ds = Dataset.open(out)
    assert len(ds.read("inputs")) == 60 and np.all(ds.read("targets") >= 1)
    sigma = ds.meta["events"]["cross_section_pb"]
    said = re.search(r"wrote 60 events to .*: σ = (\S+) ± ", " ".join(more.output.split()))
    assert said and sigma > 0 and float(said[1]) == pytest.approx(sigma, rel=1e-5)
    other = events(out, 60, "--force", "--mode", "one-stage")
    assert other.exit_code != 0 and "other settings" in other.output


def test_bad_output_suffix(tmp_path):
    res = events(tmp_path / "ev.txt", 5)
    assert res.exit_code != 0 and ".lhe or .h5" in res.output


def test_processes_executor_gives_the_same_events(tmp_path):
    serial, spread = tmp_path / "a.h5", tmp_path / "b.h5"
    assert events(serial, 30).exit_code == 0
    res = events(spread, 30, "--executor", "processes", "--workers", "2")
    assert res.exit_code == 0, res.output
    a, b = Dataset.open(serial), Dataset.open(spread)
    np.testing.assert_array_equal(a.read("inputs"), b.read("inputs"))  # chunks seeded by index
    np.testing.assert_array_equal(a.read("targets"), b.read("targets"))


def test_pilot_and_vegas_points_are_options(tmp_path):
    # a slow truth (ggyyg-1l-numerical, ~0.1 s per point) needs a smaller pilot run than 50 000
    out = tmp_path / "ev.h5"
    res = events(out, 5, "--pilot-points", "3000", "--vegas-points", "2000")
    assert res.exit_code == 0, res.output
    setup = json.loads((tmp_path / "ev.h5.run" / "setup.json").read_text())
    assert setup["pilot_points"] == 3000 and setup["vegas_points"] == 2000
    assert setup["w_max"] > 0 and setup["s_max"] > 0 and setup["x_max"] > 0
    other = events(out, 5, "--force", "--pilot-points", "4000")
    assert other.exit_code != 0 and "pilot_points" in other.output
