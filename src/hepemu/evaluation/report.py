"""Markdown reports with tables and PNG figures."""

from __future__ import annotations

from pathlib import Path


def md_table(header: list[str], rows: list[list]) -> str:
    """A GitHub-flavoured markdown table."""

    def fmt(v) -> str:
        if isinstance(v, float):
            return f"{v:.3g}" if abs(v) >= 1e4 or (v != 0 and abs(v) < 1e-2) else f"{v:.2f}"
        return str(v)

    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(fmt(v) for v in row) + " |" for row in rows]
    return "\n".join(lines)


class Report:
    """Accumulates markdown sections and writes ``report.md`` into a folder."""

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

    def write(self) -> Path:
        out = self.folder / "report.md"
        out.write_text("\n".join(self.parts))
        return out
