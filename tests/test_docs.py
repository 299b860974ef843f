"""The README and docs/: results pages in step with the benchmark JSON, links that resolve."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").rglob("*.md"))]


def _headings(text: str) -> set[str]:
    """GitHub's anchors of a page's headings (code blocks left out)."""
    text = re.sub(r"```.*?```", "", text, flags=re.S)
    slugs = set()
    for h in re.findall(r"^#+ (.*)$", text, flags=re.M):
        slugs.add(re.sub(r"[^\w\- ]", "", h.strip().lower()).replace(" ", "-"))
    return slugs


def test_results_pages_match_the_json():
    run = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "results_pages.py"), "--check"],
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    assert run.returncode == 0, run.stdout + run.stderr


def test_readme_is_short():
    assert len((ROOT / "README.md").read_text().splitlines()) <= 250


def test_relative_links_resolve():
    broken = []
    for page in PAGES:
        text = re.sub(r"```.*?```", "", page.read_text(), flags=re.S)
        for target in re.findall(r"\]\(([^)\s]+)\)", text):
            if target.startswith(("http://", "https://", "mailto:")):
                continue
            path, _, anchor = target.partition("#")
            dest = (page.parent / path) if path else page
            if not dest.exists():
                broken.append(f"{page.relative_to(ROOT)}: {target}")
            elif anchor and dest.suffix == ".md" and anchor not in _headings(dest.read_text()):
                broken.append(f"{page.relative_to(ROOT)}: {target} (no such heading)")
    assert not broken, broken


def test_layout_page_lists_every_module():
    """docs/layout.md is generated from the source tree; a module added without regenerating
    it fails here."""
    run = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "layout_page.py"), "--check"],
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    assert run.returncode == 0, run.stdout + run.stderr
