"""Shuffled mini-batches from HDF5 datasets larger than memory.

Rows are read in contiguous blocks (whole HDF5 chunks by default), the blocks are visited in a
random order, a buffer of several blocks is shuffled in memory and cut into batches. Memory
is bounded by ``buffer_rows``; every row is seen once per epoch; the order is a deterministic
function of (seed, epoch).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import h5py
import numpy as np


def iter_batches(
    path: str | Path,
    batch_size: int,
    seed: int = 0,
    epoch: int = 0,
    rows: np.ndarray | None = None,
    block_rows: int | None = None,
    buffer_rows: int = 262144,
    arrays: tuple[str, ...] = ("inputs", "targets"),
) -> Iterator[tuple[np.ndarray, ...]]:
    """Yield shuffled batches (one array per name in ``arrays``) over one epoch.

    Parameters
    ----------
    path
        HDF5 dataset written by :func:`hepemu.data.dataset.write_dataset`.
    batch_size
        Rows per batch (the last batch of an epoch may be smaller).
    seed, epoch
        Together they fix the order.
    rows
        Optional subset of row indices (e.g. the train split); default all rows.
    block_rows, buffer_rows
        Size of a contiguous read (default: the file's HDF5 chunk, so each compressed chunk
        is decompressed once per epoch), and of the in-memory shuffle buffer.
    """
    rng = np.random.default_rng([seed, epoch])
    with h5py.File(path, "r") as fh:
        n = fh[arrays[0]].shape[0]
        if block_rows is None:
            block_rows = (fh[arrays[0]].chunks or (8192,))[0]
        if batch_size < 1 or block_rows < 1 or buffer_rows < block_rows:
            raise ValueError("need batch_size >= 1 and buffer_rows >= block_rows >= 1")
        idx = np.arange(n) if rows is None else np.sort(np.asarray(rows, dtype=np.int64))
        blocks = [idx[i : i + block_rows] for i in range(0, len(idx), block_rows)]
        order = rng.permutation(len(blocks))
        per_buffer = max(1, buffer_rows // block_rows)
        carry: list[np.ndarray] | None = None
        for start in range(0, len(order), per_buffer):
            parts = [[] for _ in arrays]
            for b in order[start : start + per_buffer]:
                sel = blocks[b]
                contiguous = sel[-1] - sel[0] + 1 == len(sel)
                key = slice(int(sel[0]), int(sel[-1]) + 1) if contiguous else sel
                for j, name in enumerate(arrays):
                    parts[j].append(fh[name][key])
            buf = [np.concatenate(p) for p in parts]
            if carry is not None:
                buf = [np.concatenate([c, b]) for c, b in zip(carry, buf, strict=True)]
            perm = rng.permutation(len(buf[0]))
            buf = [b[perm] for b in buf]
            full = (len(buf[0]) // batch_size) * batch_size
            for i in range(0, full, batch_size):
                yield tuple(b[i : i + batch_size] for b in buf)
            carry = [b[full:] for b in buf] if full < len(buf[0]) else None
        if carry is not None:
            yield tuple(carry)
