"""The main job's report (``hepemu run --quick``): terms defined, figures present, clean errors.

The quick job runs once per module (~30 s on 2 cores) as a subprocess, the way CI and a
user call it.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

CLI = [sys.executable, "-m", "hepemu.cli.main"]


def _hepemu(*args: str, timeout: float = 170) -> subprocess.CompletedProcess:
    return subprocess.run(
        [*CLI, *args], capture_output=True, text=True, timeout=timeout, check=False
    )


@pytest.fixture(scope="module")
def quick_run(tmp_path_factory) -> tuple[Path, subprocess.CompletedProcess]:
    out = tmp_path_factory.mktemp("quick") / "report"
    proc = _hepemu("run", "--quick", "--out", str(out))
    assert proc.returncode == 0, proc.stderr[-3000:]
    return out, proc


@pytest.fixture(scope="module")
def report(quick_run) -> str:
    out, _ = quick_run
    return (out / "report.md").read_text(encoding="utf-8")


def test_quick_run_writes_report_and_summary(quick_run):
    out, _ = quick_run
    assert (out / "report.md").is_file()
    summary = json.loads((out / "summary.json").read_text())
    assert summary["run"]["profile"] == "quick"
    assert summary["shipped"]["n_points"] == 300
    assert summary["run"]["torch_threads"] >= 1
    assert summary["run"]["wall_s"] > 0  # recorded; how long it takes: benchmarks/timings.py
    assert not list(out.glob(".report.md.*"))  # no temporary file left behind


def test_quick_run_generates_ee3j_events(quick_run):
    out, _ = quick_run
    ev = json.loads((out / "summary.json").read_text())["events"]
    one, two = ev["one_stage"], ev["two_stage"]
    assert one["events"] > 10 and two["events"] > 10
    assert two["stage1"] < 0.1 * one["stage1"]  # the truth only for the accepted points
    diff = abs(one["cross_section_pb"] - two["cross_section_pb"])
    assert diff < 4 * (one["cross_section_err_pb"] ** 2 + two["cross_section_err_pb"] ** 2) ** 0.5
    assert ev["gain"]["truth_1s"] > ev["gain"]["truth_1ms"] > 1
    assert (out / "events" / "thrust.png").is_file()


def test_report_defines_its_terms(report):
    for term in (
        "P = log10|e/t − 1|",
        "R = log10|e/t|",
        "digits = −P",
        "Coverage",
        "0.683",
        "Gauss–Legendre with 32³ nodes",
        "arXiv:2211.02834",
        "Bentley",
    ):
        assert term in report, term
    # readable labels, not bare PrecisionSummary field names as row labels
    assert "| mean_r |" not in report and "| frac_error_covered |" not in report
    assert "mean digits, −⟨P⟩" in report


def test_report_states_its_own_machine_and_threads(report):
    assert "torch threads" in report
    assert "CPU cores available" in report
    assert "not copied from the README" in report


def test_report_fractions_keep_three_decimals(report):
    row = next(line for line in report.splitlines() if "`frac_above_3_digits`" in line)
    assert re.search(r"\| \d\.\d{3} \|", row), row
    row = next(line for line in report.splitlines() if "`mean_digits`" in line)
    assert re.search(r"\| \d\.\d{2} \|", row), row


def test_report_tables_are_well_formed(report):
    """A bare | inside a cell (|e − t|) would split the row into extra columns."""
    lines = report.splitlines()
    for i, line in enumerate(lines):
        if line.startswith("|---"):
            ncols = line.count("|") - 1
            for row in lines[i + 1 :]:
                if not row.startswith("|"):
                    break
                cells = re.split(r"(?<!\\)\|", row)[1:-1]
                assert len(cells) == ncols, row


def test_report_has_precision_vs_parameters_and_all_figures_exist(quick_run, report):
    out, _ = quick_run
    figures = re.findall(r"!\[[^\]]*\]\(([^)]+)\)", report)
    assert "precision_vs_parameters.png" in figures
    assert {"shipped_precision.png", "demo_training.png", "data/ee-qqg.png"} <= set(figures)
    for rel in figures:
        png = out / rel
        assert png.is_file() and png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n", rel
    assert "Where is the network weak?" in report
    for name in ("s₁₂", "s₁₄", "m_H²"):
        assert name in report


@pytest.mark.parametrize("args", [["--points", "0"], ["--points", "-5"]])
def test_bad_points_fail_cleanly_before_work(tmp_path, args):
    out = tmp_path / "never"
    proc = _hepemu("run", "--quick", "--out", str(out), *args, timeout=60)
    assert proc.returncode != 0
    assert "Traceback" not in proc.stderr + proc.stdout
    lines = [ln for ln in proc.stderr.splitlines() if ln.strip()]
    assert len(lines) == 1, proc.stderr
    # typer's message names the option ("Invalid value for '--points'") or the bound
    assert args[0] in lines[0] or "greater than or equal to" in lines[0], lines[0]
    assert not out.exists()  # rejected before any work


@pytest.mark.parametrize("args", [["--train-minutes", "0"], ["--threads", "0"], ["--points", "x"]])
def test_bad_options_are_usage_errors(tmp_path, args):
    """Every numeric option is range-checked by typer before the job starts (in-process)."""
    from typer.testing import CliRunner

    from hepemu.cli.main import app

    out = tmp_path / "never"
    res = CliRunner().invoke(app, ["run", "--quick", "--out", str(out), *args])
    assert res.exit_code == 2, res.output
    assert args[0] in res.output
    assert not out.exists()


def test_out_that_is_a_file_fails_with_one_line(tmp_path):
    f = tmp_path / "a-file"
    f.write_text("x")
    proc = _hepemu("run", "--quick", "--out", str(f), timeout=60)
    assert proc.returncode != 0
    assert "Traceback" not in proc.stderr
    lines = [ln for ln in proc.stderr.splitlines() if ln.strip()]
    assert len(lines) == 1 and "is a file" in lines[0], proc.stderr


def test_md_table_keeps_significant_figures_and_escapes_pipes():
    from hepemu.evaluation.report import frac, md_table

    table = md_table(["quantity", "value"], [["|e − t| ≤ σ", 0.996], ["fraction", frac(0.9996)]])
    assert "0.996" in table and "1.00" not in table.replace("1.000", "")
    assert "\\|e − t\\|" in table
    assert frac(0.9996) == "1.000"


def test_report_write_is_atomic_and_checks_figures(tmp_path):
    from hepemu.evaluation.report import Report

    rep = Report(tmp_path, "t")
    rep.figure("missing.png", "a figure")
    with pytest.raises(FileNotFoundError, match="missing.png"):
        rep.write()
    assert not (tmp_path / "report.md").exists()
    (tmp_path / "missing.png").write_bytes(b"\x89PNG\r\n\x1a\n")
    path = rep.write()
    assert path.read_text().startswith("# t")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["missing.png", "report.md"]


def test_an_existing_report_is_not_replaced_without_force(quick_run):
    out, _ = quick_run
    before = (out / "report.md").read_bytes()
    proc = _hepemu("run", "--quick", "--out", str(out), timeout=60)
    lines = [ln for ln in proc.stderr.splitlines() if ln.strip()]
    assert proc.returncode != 0 and len(lines) == 1 and "--force" in lines[0], proc.stderr
    assert (out / "report.md").read_bytes() == before
