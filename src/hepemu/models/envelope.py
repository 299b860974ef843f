"""One file format for every dataset-trained surrogate: safetensors + JSON header.

The header holds ``format``, ``kind`` (``network``, ``bdt`` …), the input columns, the target,
the preprocessing and the model's own settings (JSON strings), free-form ``info`` and a
SHA-256 ``digest`` over every tensor (name, dtype, shape, bytes) and every header entry but
``info``: a damaged or edited file is refused on load. Non-tensor payloads (an XGBoost model)
travel as uint8 tensors. Loading executes no code (no pickle).
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import numpy as np
import torch
from safetensors import SafetensorError, safe_open
from safetensors.torch import load_file, save

from hepemu.fileio import atomic_path

FORMAT = "hepemu-model/1"
UNDIGESTED = ("info", "digest")


class ModelFileError(RuntimeError):
    """A model file is missing, corrupted, edited or not a hepemu model."""


def hash_tensors(h, tensors: dict[str, torch.Tensor]) -> None:
    """Feed the names, dtypes, shapes and raw bytes of ``tensors`` (sorted) into hash ``h``."""
    for name in sorted(tensors):
        t = tensors[name].detach().cpu().contiguous()
        h.update(f"{name}|{t.dtype}|{tuple(t.shape)}|".encode())
        h.update(t.reshape(-1).view(torch.uint8).numpy().tobytes())


def digest(tensors: dict[str, torch.Tensor], header: dict[str, str]) -> str:
    """SHA-256 over the header entries (but ``info``/``digest``) and the tensors, sorted."""
    h = hashlib.sha256()
    kept = {k: v for k, v in header.items() if k not in UNDIGESTED}
    h.update(json.dumps(kept, sort_keys=True).encode())
    hash_tensors(h, tensors)
    return h.hexdigest()


def write_safetensors(
    path: str | Path, tensors: dict[str, torch.Tensor], metadata: dict[str, str]
) -> str:
    """Write a safetensors file atomically (umask-respecting); returns the file's SHA-256.

    The header's metadata entries are written in sorted order, so equal content gives equal
    bytes (safetensors itself orders them at random, run to run)."""
    path = Path(path)
    data = canonical_safetensors(save(tensors, metadata=metadata))
    with atomic_path(path) as tmp:
        tmp.write_bytes(data)
    return hashlib.sha256(data).hexdigest()


def canonical_safetensors(data: bytes) -> bytes:
    """The safetensors file ``data`` with its ``__metadata__`` entries sorted by key (the
    header keeps its length, padding and everything else; unchanged if it would not)."""
    n = int.from_bytes(data[:8], "little")
    head = json.loads(data[8 : 8 + n])
    meta = head.get("__metadata__")
    if not isinstance(meta, dict):
        return data
    head["__metadata__"] = dict(sorted(meta.items()))
    text = json.dumps(head, separators=(",", ":"), ensure_ascii=False).encode()
    if len(text) > n or len(text.rstrip()) != len(data[8 : 8 + n].rstrip()):
        return data
    return data[:8] + text.ljust(n) + data[8 + n :]


def bytes_tensor(blob: bytes) -> torch.Tensor:
    """A byte string as a uint8 tensor (to carry e.g. an XGBoost model)."""
    return torch.from_numpy(np.frombuffer(blob, dtype=np.uint8).copy())


def save_envelope(path: str | Path, tensors: dict[str, torch.Tensor], header: dict) -> str:
    """Write tensors + header (every value JSON-encoded; read back with
    :func:`header_json`) atomically; returns the file's SHA-256."""
    path = Path(path)
    head = {k: json.dumps(v) for k, v in header.items()}
    head["format"] = FORMAT
    tensors = {k: v.detach().cpu().contiguous() for k, v in tensors.items()}
    head["digest"] = digest(tensors, head)
    return write_safetensors(path, tensors, head)


def read_format(path: str | Path) -> str | None:
    """The ``format`` entry of a safetensors file's header (None if unreadable)."""
    try:
        with safe_open(str(path), framework="pt") as fh:
            return (fh.metadata() or {}).get("format")
    except (SafetensorError, OSError, ValueError, RuntimeError):
        return None


def load_envelope(path: str | Path) -> tuple[dict[str, torch.Tensor], dict[str, str]]:
    """Tensors and header of a file written by :func:`save_envelope`, digest verified."""
    path = Path(path)
    if not path.is_file():
        raise ModelFileError(f"model file not found: {path}")
    try:
        with safe_open(str(path), framework="pt") as fh:
            header = dict(fh.metadata() or {})
        tensors = load_file(str(path), device="cpu")
    except (SafetensorError, OSError, ValueError, RuntimeError) as exc:
        raise ModelFileError(f"{path} is not a readable safetensors model file: {exc}") from None
    if header.get("format") != FORMAT:
        raise ModelFileError(f"{path} is not a hepemu model (format={header.get('format')})")
    if digest(tensors, header) != header.get("digest"):
        raise ModelFileError(
            f"{path} is corrupted: its tensors or settings do not match the digest in its header"
        )
    return tensors, header


def header_json(header: dict[str, str], key: str, default=None):
    """A JSON-encoded header entry (``ModelFileError`` naming it if missing or malformed)."""
    if key not in header:
        if default is not None:
            return default
        raise ModelFileError(f"model header has no {key!r}")
    try:
        return json.loads(header[key])
    except json.JSONDecodeError as exc:
        raise ModelFileError(f"model header entry {key!r} is not JSON: {exc}") from None
