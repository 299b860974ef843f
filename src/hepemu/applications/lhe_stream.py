"""Streaming a Les Houches event file as raw bytes: header, init and event blocks, and
inserting named weights (LHE 3: ``<initrwgt>``/``<rwgt>``, Andersen et al.,
arXiv:1405.1067 sec. 3) without touching any other byte.

Assumes the layout every generator writes: ``<event …>`` starts a line and ``</event>`` ends
one (pylhe, MadGraph, Sherpa, Pythia, POWHEG); the event body is the LHE 1 record
(NUP IDPRUP XWGTUP SCALUP AQEDUP AQCDUP, then NUP particle lines; Alwall et al., CPC 176
(2007) 300), ``#`` lines and sub-blocks (``<rwgt>``, ``<weights>``, ``<mgrwt>`` …) after it.
"""

from __future__ import annotations

import gzip
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

import numpy as np

_EVENT = re.compile(rb"^\s*<event[\s>]")
_INIT = re.compile(rb"<init[\s>]")


class LHEFormatError(ValueError):
    """The file is not a Les Houches event file this reader understands."""


@dataclass
class LHEEventRecord:
    """One event's numbers: XWGTUP, PDG ids, ISTUP and momenta (n, 4) as E, px, py, pz."""

    weight: float
    scale: float
    ids: np.ndarray
    status: np.ndarray
    momenta: np.ndarray


def open_binary(path: str | Path, mode: str = "rb") -> BinaryIO:
    """A file opened in binary; ``.gz`` files through gzip."""
    path = Path(path)
    return gzip.open(path, mode) if path.suffix == ".gz" else open(path, mode)  # noqa: SIM115


def _eol(line: bytes) -> bytes:
    return b"\r\n" if line.endswith(b"\r\n") else b"\n"


def _insert_before(text: bytes, tag: bytes, insert: bytes) -> bytes:
    """``insert`` placed at the start of the line holding ``tag`` when only spaces precede
    the tag on that line, else just before the tag."""
    at = text.index(tag)
    start = max(text.rfind(b"\n", 0, at) + 1, 0)
    if text[start:at].strip():
        start = at
    return text[:start] + insert + text[start:]


def weight_declaration(name: str, text: str, eol: bytes) -> bytes:
    return f"<weight id='{name}'>{text}</weight>".encode() + eol


def _declares(line: bytes, name: str) -> bool:
    return (
        re.search(rb"<weight\s[^>]*id\s*=\s*['\"]" + re.escape(name.encode()) + rb"['\"]", line)
        is not None
    )


def stream_blocks(fh: BinaryIO, weights: dict[str, str]) -> Iterator[tuple[bytes, bool]]:
    """The file's bytes as (chunk, is_event) in order: everything before the events comes
    with the declarations of the weights (name → description) added to ``<initrwgt>`` (made,
    and a ``<header>`` too, if missing); event blocks come whole, everything else line by line.

    Raises :class:`LHEFormatError` if there is no ``<init>`` block or a name is declared.
    """

    def declarations(eol: bytes) -> bytes:
        return b"".join(weight_declaration(n, d, eol) for n, d in weights.items())

    state, declared, seen_header, block = "header", False, False, []
    for line in fh:
        if state == "header":
            eol = _eol(line)
            for name in weights:
                if _declares(line, name):
                    raise LHEFormatError(
                        f"the file already declares a weight {name!r} (a model's weight takes "
                        "another name with --name)"
                    )
            if b"<header" in line:
                seen_header = True
            if b"</initrwgt>" in line and not declared:
                line = _insert_before(line, b"</initrwgt>", declarations(eol))
                declared = True
            elif b"</header>" in line and not declared:
                group = b"<initrwgt>" + eol + declarations(eol) + b"</initrwgt>" + eol
                line = _insert_before(line, b"</header>", group)
                declared = True
            elif _INIT.search(line):
                if not declared:
                    group = b"<initrwgt>" + eol + declarations(eol) + b"</initrwgt>" + eol
                    if not seen_header:
                        group = b"<header>" + eol + group + b"</header>" + eol
                    else:  # a <header> left open before <init>: not LHE
                        raise LHEFormatError("<header> is not closed before <init>")
                    line = _insert_before(line, _INIT.search(line).group(0), group)
                    declared = True
                state = "init"
            if state == "init" and b"</init>" in line:
                state = "events"
            yield line, False
        elif state == "init":
            if b"</init>" in line:
                state = "events"
            yield line, False
        elif block:
            block.append(line)
            if b"</event>" in line:
                yield b"".join(block), True
                block = []
        elif _EVENT.match(line):
            block = [line]
            if b"</event>" in line:
                raise LHEFormatError("an <event> block on one line is not supported")
        else:
            yield line, False
    if state != "events":
        raise LHEFormatError("no <init> block: not a Les Houches event file")
    if block:
        raise LHEFormatError("the last <event> block is not closed (truncated file?)")


def parse_event(block: bytes) -> LHEEventRecord:
    """The LHE 1 record of an event block (raises :class:`LHEFormatError`)."""
    text = block.decode("ascii", errors="replace")
    body = text[text.index(">") + 1 :]
    body = body[: body.index("<")] if "<" in body else body
    lines = [ln for ln in body.splitlines() if ln.strip() and not ln.lstrip().startswith("#")]
    try:
        head = lines[0].split()
        nup, xwgtup, scalup = int(head[0]), float(head[2]), float(head[3])
        rows = [ln.split() for ln in lines[1 : 1 + nup]]
        if len(rows) != nup or any(len(r) < 10 for r in rows):
            raise ValueError
        ids = np.array([int(r[0]) for r in rows])
        status = np.array([int(r[1]) for r in rows])
        pup = np.array([[float(v) for v in r[6:10]] for r in rows])  # px py pz E
    except (IndexError, ValueError):
        raise LHEFormatError("malformed event record") from None
    return LHEEventRecord(xwgtup, scalup, ids, status, pup[:, [3, 0, 1, 2]])


def read_init(path: str | Path) -> list[float]:
    """The first line of the ``<init>`` block: IDBMUP1 IDBMUP2 EBMUP1 EBMUP2 PDFGUP1 PDFGUP2
    PDFSUP1 PDFSUP2 IDWTUP NPRUP (reads only up to it)."""
    with open_binary(path) as fh:
        inside = False
        for line in fh:
            if inside and line.strip() and not line.lstrip().startswith(b"#"):
                try:
                    return [float(v) for v in line.split()[:10]]
                except ValueError:
                    break
            if _INIT.search(line):
                inside = True
    raise LHEFormatError("no <init> block: not a Les Houches event file")


def with_weights(block: bytes, values: dict[str, float]) -> bytes:
    """The event block with ``<wgt id='name'>value</wgt>`` per entry appended to its
    ``<rwgt>`` block (made before ``</event>`` if missing); every other byte kept."""
    eol = _eol(block)
    wgts = b"".join(f"<wgt id='{n}'> {v:+.10e} </wgt>".encode() + eol for n, v in values.items())
    if b"</rwgt>" in block:
        return _insert_before(block, b"</rwgt>", wgts)
    return _insert_before(block, b"</event>", b"<rwgt>" + eol + wgts + b"</rwgt>" + eol)
