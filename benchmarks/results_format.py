"""Shared helpers of the results pages: JSON loading and number formatting."""

from __future__ import annotations

import json
import math
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "benchmarks" / "results"


def load(name: str) -> dict | None:
    path = RESULTS / name
    return json.loads(path.read_text()) if path.exists() else None


def sci(x: float, digits: int = 2) -> str:
    """1.2 × 10⁵ style."""
    if x == 0 or not math.isfinite(x):
        return str(x)
    e = math.floor(math.log10(abs(x)))
    m = x / 10**e
    if round(m, digits - 1) >= 10:
        m, e = m / 10, e + 1
    if -1 <= e <= 3:
        return f"{x:.{max(0, digits - 1 - e)}f}"
    sup = str(e).translate(str.maketrans("-0123456789", "⁻⁰¹²³⁴⁵⁶⁷⁸⁹"))
    return f"{m:.{digits - 1}f} × 10{sup}"


def pct(x: float) -> str:
    return f"{100 * x:.0f} %"


def pct2(x: float) -> str:
    return f"{100 * x:.2f} %"


def size(method: str, setting, shifts: int | None = None) -> str:
    if method.startswith("gl"):
        return f"{setting}³ nodes"
    return f"n = {setting} × {shifts} shifts"


def ratio(a: float, b: float) -> str:
    r = a / b
    return f"{r:.2f}×" if r < 10 else f"{r:.0f}×"


def hw(d: dict) -> str:
    h = d["hardware"]
    return f"{h.get('cpu', '?')}, {h.get('cores', '?')} cores"


def md(label: str) -> str:
    """A model label safe inside a Markdown table (|M|² has pipes)."""
    return label.replace("|", "\\|")


def run_list(runs: dict) -> str:
    """'3d, 5d: run of DATE (`--tasks …`, N min); 8d: …' from regressors.json's ``runs``."""
    parts = []
    for created in dict.fromkeys(r["created"] for r in runs.values()):
        tasks = [t for t, r in runs.items() if r["created"] == created]
        r = runs[tasks[0]]
        flags = f"--tasks {r['args']['tasks']}" + (" --merge" if r["args"].get("merge") else "")
        parts.append(
            f"{', '.join(tasks)}: run of {created} (`{flags}`, {r['wall_s'] / 60:.0f} min)"
        )
    return "; ".join(parts)


def wrap(line: str, width: int = 96) -> str:
    """Prose wrapped like the rest of the README; tables, headings and blanks untouched."""
    if not line or line.startswith(("|", "#", "- ", "<!--")):
        return line
    return textwrap.fill(line, width, break_long_words=False, break_on_hyphens=False)


def big(v: float) -> str:
    """A ratio: three significant digits, whole numbers with thousands separators above 100."""
    return f"{v:,.0f}" if v >= 100 else f"{v:.3g}"
