"""Write docs/layout.md from the source tree: every module of src/hepemu with the first
sentence of its docstring, grouped by package (``--check``: fail if the page is stale).

    python scripts/layout_page.py [--check]
"""

from __future__ import annotations

import ast
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SRC = ROOT / "src" / "hepemu"
PAGE = ROOT / "docs" / "layout.md"
ABBREVIATIONS = {
    "e.g",
    "i.e",
    "cf",
    "vs",
    "al",
    "Comput",
    "Phys",
    "Rev",
    "Lett",
    "Nucl",
    "Eq",
    "eq",
}
HEAD = """# Source layout

Data flows one way: physics (truths) → data → models → training → evaluation → applications →
cli; lower layers never import upper ones, and no two modules import each other
(`tests/test_import_graph.py` checks both). Helpers below every layer: `version`, `cards`,
`fileio`, `locks`, `machine`, `digits`, `threads`; `registry` belongs to the models layer and
`api` (the Python API) sits beside the command line.

Generated from the modules' docstrings by `python scripts/layout_page.py`; `tests/test_docs.py`
fails when a module is missing here.
"""


def summary(path: Path) -> str:
    """The first sentence of a module's docstring, on one line."""
    doc = ast.get_docstring(ast.parse(path.read_text())) or ""
    text = " ".join(doc.split("\n\n")[0].split())
    for m in re.finditer(r"\.\s+(?=[A-Z(])", text):
        word = text[: m.start()].rsplit(" ", 1)[-1]
        if word.rstrip(".") not in ABBREVIATIONS:
            return text[: m.start() + 1]
    return text or ("the package" if path.name == "__init__.py" else "")


def page() -> str:
    lines = [HEAD]
    for folder in sorted({p.parent for p in SRC.rglob("*.py")}):
        rel = folder.relative_to(SRC.parent).as_posix()
        lines += [f"## `{rel}/`", "", "| module | holds |", "|---|---|"]
        for f in sorted(folder.glob("*.py")):
            holds = summary(f).replace("|", "\\|")
            lines.append(f"| `{f.name}` | {holds} |")
        lines.append("")
    return "\n".join(lines)


def main() -> None:
    text = page()
    if "--check" in sys.argv:
        if PAGE.read_text() != text:
            sys.exit(f"{PAGE} is stale: run python scripts/layout_page.py")
        return
    PAGE.write_text(text)
    print(f"wrote {PAGE}")


if __name__ == "__main__":
    main()
