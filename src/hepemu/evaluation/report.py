"""Markdown reports with tables and PNG figures, written atomically."""

from __future__ import annotations

import math
from pathlib import Path

from hepemu.fileio import write_atomic  # re-exported: reports write through the one writer

_SUPERSCRIPT = str.maketrans("-0123456789", "⁻⁰¹²³⁴⁵⁶⁷⁸⁹")


def sci(v: float, sig: int = 2) -> str:
    """``1.2 × 10⁵`` style (plain digits between 0.01 and 10⁴)."""
    if v is None or not math.isfinite(v):
        return str(v)
    if v == 0 or 1e-2 <= abs(v) < 1e4:
        return f"{v:.{sig + 1}g}"
    exp = math.floor(math.log10(abs(v)))
    mant = v / 10**exp
    if round(abs(mant), sig - 1) >= 10:
        mant, exp = mant / 10, exp + 1
    return f"{mant:.{sig - 1}f} × 10{str(exp).translate(_SUPERSCRIPT)}"


def frac(v: float | None) -> str:
    """A fraction with 3 decimals (0.996 stays 0.996, never 1.00)."""
    return "n/a" if v is None else f"{v:.3f}"


def digits(v: float | None) -> str:
    """A number of digits (−P) with 2 decimals."""
    return "n/a" if v is None else f"{v:.2f}"


def md_table(header: list[str], rows: list[list]) -> str:
    """A GitHub-flavoured markdown table.

    Strings are written as given (format numbers with :func:`frac`, :func:`digits`,
    :func:`sci` for control); other floats get 3 significant figures, so that a fraction such
    as 0.996 is never rounded to 1.00. A ``|`` inside a cell (``|e − t|``) is escaped.
    """

    def fmt(v) -> str:
        if isinstance(v, float):
            return sci(v, 3)
        return str(v).replace("|", "\\|")  # a bare | would end the cell

    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(fmt(v) for v in row) + " |" for row in rows]
    return "\n".join(lines)


class Report:
    """Accumulates markdown sections and writes ``report.md`` into a folder (atomically)."""

    def __init__(self, folder: str | Path, title: str) -> None:
        self.folder = Path(folder)
        self.folder.mkdir(parents=True, exist_ok=True)
        self.parts = [f"# {title}\n"]

    def section(self, heading: str, body: str = "") -> None:
        self.parts.append(f"\n## {heading}\n\n{body}\n")

    def text(self, body: str) -> None:
        self.parts.append(body + "\n")

    def figure(self, path: str | Path, caption: str) -> None:
        rel = Path(path).relative_to(self.folder) if Path(path).is_absolute() else Path(path)
        self.parts.append(f"\n![{caption}]({rel.as_posix()})\n\n*{caption}*\n")

    def figures(self) -> list[Path]:
        """Paths (relative to the folder) of the figures referenced so far."""
        import re

        return [Path(m) for part in self.parts for m in re.findall(r"!\[[^\]]*\]\(([^)]+)\)", part)]

    def render(self) -> str:
        return "\n".join(self.parts)

    def write(self) -> Path:
        """Write ``report.md`` atomically; every referenced figure must exist."""
        missing = [p for p in self.figures() if not (self.folder / p).is_file()]
        if missing:
            raise FileNotFoundError(
                "report figure(s) missing: " + ", ".join(p.as_posix() for p in missing)
            )
        return write_atomic(self.folder / "report.md", self.render())
