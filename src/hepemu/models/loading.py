"""Load any hepemu model file as a surrogate, by the ``kind`` in its envelope.

Every kind is written in the one envelope (``hepemu-model/1``); the kind table below maps
``kind`` to the class that rebuilds it. Integration networks saved before the envelope
(``hepemu-inn/1``: plain-string header, ``tensor_sha256`` digest) are read by
:func:`read_inn_v1`, the one reader of that format, and come back as the same surrogate.
"""

from __future__ import annotations

import hashlib
import importlib
import json
from pathlib import Path

import torch
from safetensors import SafetensorError, safe_open
from safetensors.torch import load_file

from hepemu.models.envelope import (
    FORMAT,
    ModelFileError,
    hash_tensors,
    header_json,
    load_envelope,
    read_format,
)
from hepemu.models.inn_surrogate import INNSurrogate
from hepemu.models.surrogate import Surrogate

# kind → "module:class" (imported on first use: XGBoost only for trees)
KINDS = {
    "inn": "hepemu.models.inn_surrogate:INNSurrogate",
    "network": "hepemu.models.regressor:NetworkRegressor",
    "bdt": "hepemu.models.trees:TreeRegressor",
    "chebyshev": "hepemu.models.chebyshev:ChebyshevInterpolant",
    "sparse-grid": "hepemu.models.sparse_grid:SparseGridInterpolant",
}

INN_V1 = "hepemu-inn/1"
# the v1 header entries that change a model's answers, covered by its digest with the tensors
INN_V1_DIGESTED = ("format", "integral", "n_replicas", "model", "normalisation", "korobov_order")
INN_V1_DIGESTED_IF_PRESENT = ("sigma_scale", "sigma_floor")


def kind_class(kind: str) -> type[Surrogate]:
    """The class of model ``kind`` (``ModelFileError`` naming the known kinds)."""
    if kind not in KINDS:
        raise ModelFileError(f"unknown model kind {kind!r} (known: {', '.join(KINDS)})")
    module, name = KINDS[kind].split(":")
    return getattr(importlib.import_module(module), name)


def load_surrogate(path: str | Path, device: str = "cpu") -> Surrogate:
    """The surrogate stored in ``path`` (any kind, either INN format), on ``device``."""
    path = Path(path)
    if not path.is_file():
        raise ModelFileError(f"model file not found: {path}")
    fmt = read_format(path)
    if fmt is None:
        _read_raw(path)  # an unreadable file says so; a readable one has no hepemu format
    if fmt == INN_V1:
        model = read_inn_v1(path)
    elif fmt == FORMAT:
        tensors, header = load_envelope(path)
        kind = header_json(header, "kind")
        cls = kind_class(kind)
        try:
            model = cls.from_envelope(tensors, header)
        except (KeyError, ValueError, TypeError, RuntimeError) as exc:
            raise ModelFileError(f"{path}: inconsistent {kind} model: {exc}") from None
    else:
        raise ModelFileError(f"{path} is not a hepemu model file (format={fmt!r})")
    try:
        return model.to(device)
    except (RuntimeError, AssertionError) as exc:
        raise ModelFileError(f"cannot move the model to device {device!r}: {exc}") from None


def inn_v1_digest(tensors: dict[str, torch.Tensor], header: dict[str, str]) -> str:
    """SHA-256 of a ``hepemu-inn/1`` file: its answer-changing header entries and tensors."""
    h = hashlib.sha256()
    entries = {k: header.get(k) for k in INN_V1_DIGESTED}
    entries |= {k: header[k] for k in INN_V1_DIGESTED_IF_PRESENT if k in header}
    h.update(json.dumps(entries, sort_keys=True).encode())
    hash_tensors(h, tensors)
    return h.hexdigest()


def _read_raw(path: Path) -> tuple[dict[str, torch.Tensor], dict[str, str]]:
    try:
        with safe_open(str(path), framework="pt") as fh:
            header = dict(fh.metadata() or {})
        return load_file(str(path), device="cpu"), header
    except (SafetensorError, OSError, ValueError, RuntimeError) as exc:
        raise ModelFileError(f"{path} is not a readable safetensors model file: {exc}") from None


def read_inn_v1(path: str | Path, verify: bool = True) -> INNSurrogate:
    """An integration network from a ``hepemu-inn/1`` file, its digest verified (unless
    ``verify`` is False: files written before digests, see :func:`resave_unverified`)."""
    path = Path(path)
    tensors, header = _read_raw(path)
    if header.get("format") != INN_V1:
        raise ModelFileError(f"{path} is not a hepemu INN model (format={header.get('format')})")
    if verify:
        expected = header.get("tensor_sha256")
        if expected is None:
            raise ModelFileError(
                f"{path} stores no tensor digest (written before hepemu checked model files), "
                "so its weights cannot be verified; retrain it or re-save it with "
                "hepemu.models.loading.resave_unverified"
            )
        if inn_v1_digest(tensors, header) != expected:
            raise ModelFileError(
                f"{path} is corrupted: its weights or settings do not match the digest in its "
                "header"
            )
    try:
        settings = {
            "integral": header["integral"],
            "n_replicas": int(header["n_replicas"]),
            "model": json.loads(header["model"]),
            "normalisation": header.get("normalisation", "gl3"),
            "korobov_order": int(header.get("korobov_order", "0")),
        }
        return INNSurrogate.from_settings(
            tensors,
            settings,
            json.loads(header.get("info", "{}")),
            float(header.get("sigma_scale", "1.0")),
            float(header.get("sigma_floor", "0.0")),
        )
    except (KeyError, ValueError, TypeError, RuntimeError) as exc:
        raise ModelFileError(f"{path}: inconsistent hepemu INN model: {exc}") from None


def resave_unverified(path: str | Path, out: str | Path) -> str:
    """Re-save a ``hepemu-inn/1`` file from before tensor digests in the envelope (trusting
    its weights); returns the new file's SHA-256."""
    return read_inn_v1(path, verify=False).save(out)
