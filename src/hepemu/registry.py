"""Named pretrained models shipped in the package, verified by SHA-256 before loading."""

from __future__ import annotations

import hashlib
import json
from importlib import resources
from pathlib import Path

from hepemu.fileio import write_atomic
from hepemu.models.envelope import ModelFileError

MANIFEST = "manifest.json"


def _pretrained_dir() -> Path:
    return Path(str(resources.files("hepemu") / "pretrained"))


def manifest() -> dict:
    """Name → {file, sha256, description} of the shipped models."""
    path = _pretrained_dir() / MANIFEST
    if not path.exists():
        return {}
    return json.loads(path.read_text())


def sha256(path: str | Path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def resolve_model_path(name_or_path: str) -> Path:
    """A registry name or a path to a model file → the file path (checksum-verified if named)."""
    entries = manifest()
    if name_or_path in entries:
        entry = entries[name_or_path]
        path = _pretrained_dir() / entry["file"]
        if not path.exists():
            raise ModelFileError(f"shipped model file for {name_or_path!r} is missing: {path}")
        digest = sha256(path)
        if digest != entry["sha256"]:
            raise ModelFileError(
                f"shipped model {name_or_path!r} fails its checksum (got {digest[:12]}…, "
                f"expected {entry['sha256'][:12]}…): the file is corrupted"
            )
        return path
    path = Path(name_or_path)
    if path.exists():
        return path
    known = ", ".join(entries) or "none"
    raise ModelFileError(f"no model named {name_or_path!r} (shipped: {known}) and no such file")


def load_model(name_or_path: str, device: str = "cpu"):
    """Load a shipped model by name, or any hepemu model file by path (any kind)."""
    from hepemu.models.loading import load_surrogate

    return load_surrogate(resolve_model_path(name_or_path), device=device)


def register(name: str, path: str | Path, description: str) -> dict:
    """Add or update a manifest entry for a model file placed in the pretrained folder."""
    path = Path(path)
    entries = manifest()
    entries[name] = {"file": path.name, "sha256": sha256(path), "description": description}
    write_atomic(_pretrained_dir() / MANIFEST, json.dumps(entries, indent=2) + "\n")
    return entries[name]
