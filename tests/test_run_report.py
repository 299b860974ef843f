"""The main job's report (``hepemu run --quick``): terms defined, figures present, clean errors.

The quick job runs once per module (~30 s on 2 cores) as a subprocess, the way CI and a
user call it.
"""

from __future__ import annotations

import json
import math
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

CLI = [sys.executable, "-m", "hepemu.cli.main"]


def _hepemu(*args: str, timeout: float = 600) -> subprocess.CompletedProcess:
    """``hepemu *args`` as a subprocess; ``timeout`` only guards against a hang (the quick
    run takes ~30 s on 2 idle cores, minutes on loaded ones: benchmarks/timings.py)."""
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


def test_report_states_its_own_machine_and_threads(quick_run, report):
    run = summary_of(quick_run)["run"]
    found = re.search(r"(\d+) CPU cores available, \*\*(\d+) torch threads\*\*", report)
    assert found, "no machine line"
    assert (int(found[1]), int(found[2])) == (run["cores_available"], run["torch_threads"])
    assert "not copied from the README" in report
    steps = dict(table(report, "step"))
    assert is_shown(steps.pop("**total**"), run["wall_s"])
    assert steps.keys() == run["step_wall_s"].keys()
    for name, cell in steps.items():
        assert is_shown(cell, run["step_wall_s"][name]), (name, cell)


# -- the numbers in the report are the ones in summary.json ------------------------------------
_SUP = str.maketrans("⁻⁰¹²³⁴⁵⁶⁷⁸⁹", "-0123456789")


def is_shown(cell: str, value: float) -> bool:
    """Whether the table cell (``0.993``, ``300``, ``25.1 s``, ``1.2 × 10⁻⁵``) is ``value``
    rounded to the digits it shows: within half a unit of its last digit."""
    text = cell.strip().removesuffix(" s").replace("\\", "")
    mantissa, _, power = text.partition(" × 10")
    exp = int(power.translate(_SUP)) if power else 0
    decimals = len(mantissa.partition(".")[2])
    half_unit = 0.5 * 10.0 ** (exp - decimals)
    return abs(float(mantissa) * 10.0**exp - value) <= half_unit * (1 + 1e-9)


def table(report: str, first_header: str) -> list[list[str]]:
    """The body rows (cells, stripped) of the markdown table whose first header is given."""
    lines = report.splitlines()
    for i, line in enumerate(lines):
        cells = [c.strip() for c in re.split(r"(?<!\\)\|", line)[1:-1]]
        if cells and cells[0] == first_header and lines[i + 1].startswith("|---"):
            body = []
            for row in lines[i + 2 :]:
                if not row.startswith("|"):
                    return body
                body.append([c.strip() for c in re.split(r"(?<!\\)\|", row)[1:-1]])
            return body
    raise AssertionError(f"no table headed {first_header!r}")


def summary_of(quick_run) -> dict:
    out, _ = quick_run
    return json.loads((out / "summary.json").read_text())


def test_report_precision_table_is_the_summary(quick_run, report):
    shipped = summary_of(quick_run)["shipped"]
    rows = {key.strip("`"): value for _, value, key in table(report, "quantity")}
    assert rows.keys() == shipped.keys()
    for key, cell in rows.items():
        assert is_shown(cell, shipped[key]), (key, cell, shipped[key])


def test_report_coverage_is_the_summary(quick_run, report):
    s = summary_of(quick_run)
    cover, n = s["coverage"], s["shipped"]["n_points"]
    rows = {name: (got, target) for name, got, target in table(report, "error bar")}
    got, target = rows["σ = I_err, as quoted"]
    assert is_shown(got, cover["sigma"]) and is_shown(target, math.erf(1 / math.sqrt(2)))
    got, target = rows["2σ"]
    assert is_shown(got, cover["2sigma"]) and is_shown(target, math.erf(math.sqrt(2)))
    found = re.search(r"covers (\S+) ± (\S+) \(binomial\)", report)
    assert found and is_shown(found[1], cover["sigma"])
    assert is_shown(found[2], math.sqrt(cover["sigma"] * (1 - cover["sigma"]) / n))


def test_report_weak_and_strong_bins_are_the_summary(quick_run, report):
    by_parameter = summary_of(quick_run)["digits_by_parameter"]
    rows = table(report, "parameter")
    assert len(rows) == len(by_parameter) == 3
    for (_, weak, d_weak, strong, d_strong), b in zip(rows, by_parameter.values(), strict=True):
        med = np.array(b["median_digits"], dtype=float)
        for cell, digits, i in (
            (weak, d_weak, np.nanargmin(med)),
            (strong, d_strong, np.nanargmax(med)),
        ):
            assert is_shown(digits, med[i])
            lo, hi = (float(v) for v in cell.strip("[]").split(","))
            assert lo == pytest.approx(b["edges"][i], abs=0.05)
            assert hi == pytest.approx(b["edges"][i + 1], abs=0.05)


def test_report_throughput_and_events_are_the_summary(quick_run, report):
    s = summary_of(quick_run)
    (inn, gl) = table(report, "method")
    assert is_shown(inn[1], s["inn_integrals_per_s"]) and is_shown(
        inn[2], s["shipped"]["mean_digits"]
    )
    assert gl[0] == f"tensor Gauss–Legendre {s['gl_nodes']}³"
    assert is_shown(gl[1], s["gl_integrals_per_s"]) and is_shown(gl[2], s["gl_digits"])
    rows = {r[0]: r for r in table(report, "unweighting")}
    for mode, stats in (
        ("one-stage", s["events"]["one_stage"]),
        ("two-stage", s["events"]["two_stage"]),
    ):
        assert int(rows[mode][1]) == stats["events"]
        assert int(rows[mode][-1]) == stats["stage1"]  # the truth calls
        value, err = rows[mode][-2].split(" ± ")
        assert is_shown(value, stats["cross_section_pb"])
        assert is_shown(err, stats["cross_section_err_pb"])


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
