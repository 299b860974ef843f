"""The pyamplicol artifact cache: where entries live, their keys, and their integrity.

An entry ``<root>/<key>`` holds one process's artifact and ``manifest.json`` (size and
SHA-256 of every file), written last; :func:`verify_entry` trusts an entry only when the
manifest matches every file. Building entries is :mod:`hepemu.physics.tree.amplicol`'s job.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
import re
import shutil
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

CACHE_SCHEMA = 1  # bump to invalidate every cached artifact
MANIFEST = "manifest.json"
MODEL = "built-in-sm"


class AmplicolError(RuntimeError):
    """pyamplicol could not build or load an artifact."""


def normalize_expression(expression: str) -> str:
    """A process expression with single spaces (``e+ e- > d d~ g``)."""
    text = " ".join(expression.split())
    if text.count(">") != 1 or not text.split(">")[0].strip() or not text.split(">")[1].strip():
        raise ValueError(f"not a process expression (initial > final): {expression!r}")
    return text


def pyamplicol_version() -> str:
    """The installed pyamplicol version (without importing it)."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("pyamplicol")
    except PackageNotFoundError:  # pragma: no cover - it is a core dependency
        raise AmplicolError("pyamplicol is not installed: pip install pyamplicol") from None


def cache_root() -> Path:
    """``$HEPEMU_CACHE/pyamplicol``, else the user cache directory's ``hepemu/pyamplicol``."""
    if base := os.environ.get("HEPEMU_CACHE"):
        return Path(base).expanduser() / "pyamplicol"
    xdg = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(xdg) / "hepemu" / "pyamplicol"


def cache_key(expression: str) -> str:
    """Directory name of a process's cache entry: a readable slug plus a hash of what the
    artifact depends on (expression, model, colour treatment, pyamplicol version, schema)."""
    expression = normalize_expression(expression)
    spec = {
        "expression": expression,
        "model": MODEL,
        "color": "full",
        "pyamplicol": pyamplicol_version(),
        "schema": CACHE_SCHEMA,
    }
    digest = hashlib.sha256(json.dumps(spec, sort_keys=True).encode()).hexdigest()[:16]
    slug = expression.replace("~", "bar").replace("+", "p").replace("-", "m").replace(">", "to")
    slug = re.sub(r"[^A-Za-z0-9]+", "_", slug).strip("_")[:60]
    return f"{slug}-{digest}"


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def _file_paths(directory: Path) -> dict[str, Path]:
    """Every file under ``directory`` but the manifest, by relative path."""
    return {
        str(p.relative_to(directory)): p
        for p in sorted(directory.rglob("*"))
        if p.is_file() and not (p.name == MANIFEST and p.parent == directory)
    }


def file_table(directory: Path) -> dict[str, list[Any]]:
    """Size and SHA-256 of every file under ``directory`` but the manifest."""
    return {rel: [p.stat().st_size, _sha256(p)] for rel, p in _file_paths(directory).items()}


def verify_entry(entry: Path, expression: str | None = None) -> dict[str, Any] | None:
    """The manifest of a complete, intact cache entry, or None if anything is off.

    Every file listed must exist with its size and SHA-256, no file may be missing from the
    list, and the manifest's expression and pyamplicol version must match.
    """
    try:
        manifest = json.loads((entry / MANIFEST).read_text())
        files = manifest["files"]
        if expression is not None and manifest["expression"] != normalize_expression(expression):
            return None
        if manifest["pyamplicol"] != pyamplicol_version() or not files:
            return None
        if set(_file_paths(entry)) != set(files):
            return None
        for rel, (size, digest) in files.items():
            path = entry / rel
            if path.stat().st_size != size or _sha256(path) != digest:
                return None
    except (OSError, ValueError, KeyError, TypeError):
        return None
    return manifest


@contextlib.contextmanager
def locked(path: Path) -> Iterator[None]:
    """Hold an exclusive ``flock`` on ``path`` (released by the kernel if the process dies)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a+") as f:
        fcntl.flock(f, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(f, fcntl.LOCK_UN)


def remove_dir(path: Path) -> None:
    """Remove a directory: renamed aside first (atomic), then deleted."""
    if not path.exists():
        return
    trash = path.parent / f".trash-{path.name}-{os.getpid()}-{time.monotonic_ns()}"
    os.rename(path, trash)
    shutil.rmtree(trash, ignore_errors=True)
