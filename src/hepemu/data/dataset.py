"""HDF5 datasets of truth evaluations: inputs, targets, optional auxiliary arrays, metadata.

Layout: datasets ``inputs`` (N, d), ``targets`` (N,) or (N, t), optional ``weights`` (N,) and
``aux/<name>`` (N, …), chunked and gzip-compressed; the file attribute ``meta`` holds JSON
metadata and ``hash`` the SHA-256 of inputs and targets (independent of chunking and
compression, so serial, parallel and resumed generation can be compared).
"""

from __future__ import annotations

import hashlib
import json
import math
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import h5py
import numpy as np

from hepemu.fileio import atomic_path
from hepemu.version import __version__

FORMAT = "hepemu-dataset/1"
DEFAULT_FRACTIONS = (0.8, 0.1, 0.1)
PARTS = ("train", "validation", "test")
CHUNK_ROWS = 16384  # rows per HDF5 chunk: ~1 MB for 8 float64 columns; the read unit


class DatasetError(RuntimeError):
    """A dataset file is missing, unreadable or not a hepemu dataset."""


def content_hash(inputs: np.ndarray, targets: np.ndarray) -> str:
    """SHA-256 over shape, dtype and little-endian bytes of inputs and targets."""
    h = hashlib.sha256()
    for arr in (inputs, targets):
        a = np.ascontiguousarray(arr, dtype=np.asarray(arr).dtype.newbyteorder("<"))
        h.update(f"{a.dtype.str}{a.shape}".encode())
        h.update(a.tobytes())
    return h.hexdigest()


def write_dataset(
    path: str | Path,
    inputs: np.ndarray,
    targets: np.ndarray,
    meta: dict,
    aux: dict[str, np.ndarray] | None = None,
    weights: np.ndarray | None = None,
    compression_level: int = 4,
) -> str:
    """Write a dataset atomically (temporary file + rename); returns its content hash.

    ``meta`` should name the process or integral, units and conventions, cuts, sampler and
    seed, and the generator; hepemu adds its version, the creation time and the hash.
    """
    inputs = np.asarray(inputs)
    targets = np.asarray(targets)
    n = len(inputs)
    if len(targets) != n:
        raise ValueError(f"inputs have {n} rows but targets {len(targets)}")
    extra = dict(aux or {})
    if weights is not None:
        extra["weights"] = weights
    for name, arr in extra.items():
        if len(arr) != n:
            raise ValueError(f"{name} has {len(arr)} rows, expected {n}")
    digest = content_hash(inputs, targets)
    full_meta = _full_meta(meta, n)
    path = Path(path)
    opts = {"compression": "gzip", "compression_opts": compression_level, "shuffle": True}

    def put(group, name: str, arr: np.ndarray) -> None:
        arr = np.asarray(arr)
        chunks = (min(max(n, 1), CHUNK_ROWS), *arr.shape[1:]) if n else None
        group.create_dataset(name, data=arr, chunks=chunks, **(opts if n else {}))

    with atomic_path(path) as tmp, h5py.File(tmp, "w") as fh:
        fh.attrs["format"] = FORMAT
        fh.attrs["meta"] = json.dumps(full_meta)
        fh.attrs["hash"] = digest
        put(fh, "inputs", inputs)
        put(fh, "targets", targets)
        if weights is not None:
            put(fh, "weights", weights)
        if aux:
            grp = fh.create_group("aux")
            for name, arr in aux.items():
                put(grp, name, arr)
    return digest


def _full_meta(meta: dict, n: int) -> dict:
    """``meta`` with the default split, hepemu's version, the creation time and the rows."""
    return {
        "split": {"seed": 0, "fractions": list(DEFAULT_FRACTIONS)},
        **meta,
        "hepemu_version": __version__,
        "created": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "n_points": n,
    }


class StreamedDataset:
    """The inputs and targets of a dataset being written chunk by chunk (:func:`dataset_writer`)."""

    def __init__(self, fh, compression_level: int) -> None:
        self.fh, self.n, self.digest = fh, 0, ""
        self.opts = {"compression": "gzip", "compression_opts": compression_level, "shuffle": True}

    def append(self, inputs: np.ndarray, targets: np.ndarray) -> None:
        """Append rows (inputs (k, d), targets (k,) or (k, t)) to the file."""
        inputs, targets = np.asarray(inputs), np.asarray(targets)
        if len(targets) != len(inputs):
            raise ValueError(f"inputs have {len(inputs)} rows but targets {len(targets)}")
        for name, arr in (("inputs", inputs), ("targets", targets)):
            if name not in self.fh:
                self.fh.create_dataset(
                    name,
                    shape=(0, *arr.shape[1:]),
                    maxshape=(None, *arr.shape[1:]),
                    chunks=(CHUNK_ROWS, *arr.shape[1:]),
                    dtype=arr.dtype,
                    **self.opts,
                )
            ds = self.fh[name]
            if ds.shape[1:] != arr.shape[1:]:
                raise ValueError(f"{name} rows of shape {arr.shape[1:]}, expected {ds.shape[1:]}")
            ds.resize(self.n + len(arr), axis=0)
            ds[self.n :] = arr
        self.n += len(inputs)

    def finish(self, meta: dict) -> str:
        """Store ``meta`` and the content hash (that of :func:`content_hash` on the whole
        arrays, computed chunk by chunk from the file); returns the hash."""
        if "inputs" not in self.fh:
            raise ValueError("no rows to write")
        h = hashlib.sha256()
        for name in ("inputs", "targets"):
            ds = self.fh[name]
            h.update(f"{ds.dtype.newbyteorder('<').str}{ds.shape}".encode())
            for a in range(0, self.n, CHUNK_ROWS):
                part = ds[a : a + CHUNK_ROWS]
                h.update(np.ascontiguousarray(part, dtype=part.dtype.newbyteorder("<")).tobytes())
        self.digest = h.hexdigest()
        self.fh.attrs["format"] = FORMAT
        self.fh.attrs["meta"] = json.dumps(_full_meta(meta, self.n))
        self.fh.attrs["hash"] = self.digest
        return self.digest


@contextmanager
def dataset_writer(
    path: str | Path, meta: dict, compression_level: int = 4
) -> Iterator[StreamedDataset]:
    """Write a dataset in chunks: ``append(inputs, targets)`` on the yielded writer; when
    the block ends the metadata and content hash are stored (``writer.digest``) and the file
    moved into place atomically (an exception leaves no file). ``meta`` may be filled in
    during the block. Memory is bounded by the chunks appended, not the dataset."""
    with atomic_path(path) as tmp, h5py.File(tmp, "w") as fh:
        writer = StreamedDataset(fh, compression_level)
        yield writer
        writer.finish(meta)


@dataclass
class Dataset:
    """An opened dataset: metadata in memory, arrays read on demand."""

    path: Path
    meta: dict
    hash: str
    n: int

    @classmethod
    def open(cls, path: str | Path) -> Dataset:
        path = Path(path)
        if not path.is_file():
            raise DatasetError(f"dataset not found: {path}")
        try:
            with h5py.File(path, "r") as fh:
                fmt = fh.attrs.get("format")
                if fmt != FORMAT:
                    raise DatasetError(f"{path} is not a hepemu dataset (format={fmt!r})")
                meta = json.loads(fh.attrs["meta"])
                n = int(fh["inputs"].shape[0])
                for name in ("inputs", "targets"):
                    _check_stored(path, fh[name], n)
                return cls(path, meta, str(fh.attrs["hash"]), n)
        except (OSError, KeyError, ValueError) as exc:
            raise DatasetError(f"{path} is not a readable hepemu dataset: {exc}") from None

    def read(self, name: str = "inputs", rows: slice | np.ndarray | None = None) -> np.ndarray:
        """Read ``inputs``, ``targets``, ``weights`` or ``aux/<name>`` (optionally some rows).

        A damaged file (e.g. a corrupted compressed chunk) raises ``DatasetError``.
        """
        try:
            with h5py.File(self.path, "r") as fh:
                if name not in fh:
                    raise DatasetError(f"{self.path} has no array {name!r}")
                return _read_rows(fh[name], rows)
        except (OSError, ValueError, KeyError) as exc:
            raise DatasetError(
                f"{self.path}: cannot read {name!r} (damaged or truncated file?): {exc}"
            ) from None

    def split(self, part: str) -> np.ndarray:
        """Row indices of ``part`` (train, validation, test) of the stored split."""
        if part not in PARTS:
            raise DatasetError(f"unknown split part {part!r}; choose from {', '.join(PARTS)}")
        info = self.meta.get("split")
        if not info:
            raise DatasetError(f"{self.path} stores no split: set one with `hepemu data split`")
        return split_indices(self.n, int(info["seed"]), tuple(info["fractions"]))[part]

    def set_split(self, seed: int, fractions: tuple[float, float, float]) -> None:
        """Store a new split (seed and fractions) in the metadata; the data are unchanged."""
        split_indices(0, seed, fractions)  # validates
        self.meta["split"] = {"seed": int(seed), "fractions": [float(f) for f in fractions]}
        try:
            with h5py.File(self.path, "r+") as fh:
                fh.attrs["meta"] = json.dumps(self.meta)
        except OSError as exc:
            raise DatasetError(f"{self.path}: cannot store the split: {exc}") from None

    def verify(self) -> bool:
        """Recompute the content hash from the stored arrays."""
        return content_hash(self.read("inputs"), self.read("targets")) == self.hash

    def arrays(self) -> list[str]:
        names: list[str] = []
        try:
            with h5py.File(self.path, "r") as fh:
                fh.visit(lambda k: names.append(k) if isinstance(fh[k], h5py.Dataset) else None)
        except (OSError, KeyError) as exc:
            raise DatasetError(f"{self.path}: cannot list its arrays: {exc}") from None
        return names


def _check_stored(path: Path, ds, n: int) -> None:
    """Refuse an array that does not have ``n`` rows, or that claims a shape its file does
    not store (a damaged or forged header: e.g. 10¹² rows in a few kB), before any read."""
    if not ds.shape or ds.shape[0] != n:
        raise DatasetError(f"{path}: {ds.name} has shape {ds.shape} but the inputs {n} rows")
    if not ds.size:
        return
    if ds.chunks is not None:
        pairs = zip(ds.shape, ds.chunks, strict=True)
        expected = math.prod(-(-size // chunk) for size, chunk in pairs)
        stored = ds.id.get_num_chunks()
    else:
        expected, stored = ds.size * ds.dtype.itemsize, ds.id.get_storage_size()
    if stored < expected:
        raise DatasetError(
            f"{path}: {ds.name} claims shape {ds.shape} but the file stores only part of it "
            f"({stored} of {expected} {'chunks' if ds.chunks else 'bytes'}): a damaged or "
            "forged file; refusing it"
        )


def _read_rows(ds, rows: slice | np.ndarray | None) -> np.ndarray:
    if rows is None:
        return ds[()]
    if isinstance(rows, slice):
        return ds[rows]
    # h5py needs strictly increasing indices: read each row once, then repeat and reorder
    unique, inverse = np.unique(np.asarray(rows), return_inverse=True)
    return ds[unique][inverse]


def split_indices(
    n: int, seed: int, fractions: tuple[float, float, float] = (0.8, 0.1, 0.1)
) -> dict[str, np.ndarray]:
    """Deterministic train/validation/test split of ``n`` rows from a stored seed."""
    if len(fractions) != 3 or any(f < 0 for f in fractions) or abs(sum(fractions) - 1) > 1e-9:
        raise ValueError(f"fractions must be three non-negative numbers summing to 1: {fractions}")
    perm = np.random.default_rng(seed).permutation(n)
    n_train = int(round(fractions[0] * n))
    n_val = int(round(fractions[1] * n))
    return {
        "train": np.sort(perm[:n_train]),
        "validation": np.sort(perm[n_train : n_train + n_val]),
        "test": np.sort(perm[n_train + n_val :]),
    }
