"""Shared pieces of the command line: the error console, clean failure, output-path checks."""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import NoReturn

import typer
from rich.console import Console
from rich.markup import escape

err = Console(stderr=True, soft_wrap=True)

THREADS = typer.Option(
    help="torch threads (default: $HEPEMU_THREADS, else the cores that are not busy)", min=1
)

# what matplotlib writes (a plot to anything else fails after the work is done)
PLOT_SUFFIXES = (".png", ".pdf", ".svg", ".jpg", ".jpeg", ".eps", ".ps", ".tif", ".tiff", ".webp")


def fail(msg: str, code: int = 2) -> NoReturn:
    """Print ``error: msg`` to stderr and exit with ``code`` (no traceback).

    The message is printed literally (``[generate]`` is not taken for rich markup).
    """
    err.print(f"[bold red]error:[/] {escape(str(msg))}")
    raise typer.Exit(code)


def warn(msg: str) -> None:
    """Print ``warning: msg`` to stderr (literally)."""
    err.print(f"[yellow]warning:[/] {escape(str(msg))}")


def _rows_message(rows, what: str) -> str:
    """ "N point(s) WHAT: rows r1, …, r10 …" for 1-based ``rows``."""
    shown = ", ".join(map(str, rows[:10])) + (" …" if len(rows) > 10 else "")
    return f"{len(rows)} point(s) {what}: rows {shown}"


def flag_rows(bad, what: str, strict: bool, consequence: str) -> None:
    """Name the rows (1-based, first ten) where ``bad`` holds: "N point(s) WHAT: rows …" as an
    error with ``strict``, else as a warning ending in ``consequence``."""
    import numpy as np

    rows = np.flatnonzero(bad) + 1
    if not len(rows):
        return
    msg = _rows_message(rows, what)
    if strict:
        fail(msg)
    warn(f"{msg}; {consequence}")


class RowFlags:
    """:func:`flag_rows` over streamed chunks: rows are counted in the whole file (1-based,
    from each chunk's ``start``) and said once by :meth:`report`, as one whole-file call
    would; with ``strict`` the first chunk holding such rows fails at once (naming its rows).
    """

    def __init__(self, strict: bool, consequence: str) -> None:
        self.strict, self.consequence = strict, consequence
        self.found: dict[str, tuple[int, list[int]]] = {}

    def add(self, bad, what: str, start: int) -> None:
        """Flag the rows of a chunk where ``bad`` holds (the chunk follows ``start`` rows)."""
        import numpy as np

        rows = np.flatnonzero(bad) + 1 + start
        if not len(rows):
            return
        if self.strict:
            fail(_rows_message(rows, what))
        n, first = self.found.get(what, (0, []))
        self.found[what] = (n + len(rows), (first + rows[:11].tolist())[:11])

    def report(self) -> None:
        """Warn once per kind of problem, naming the first ten rows and the count."""
        for what, (n, first) in self.found.items():
            shown = ", ".join(map(str, first[:10])) + (" …" if n > 10 else "")
            warn(f"{n} point(s) {what}: rows {shown}; {self.consequence}")


def shift_rows(msg: str, start: int) -> str:
    """A message naming "rows 1, 2, …" of a chunk, renumbered as rows of the whole file (the
    chunk follows ``start`` rows)."""
    import re

    if not start:
        return msg
    return re.sub(
        r"rows (\d+(?:, \d+)*)",
        lambda m: "rows " + ", ".join(str(int(r) + start) for r in m.group(1).split(", ")),
        msg,
    )


def validation_message(exc) -> str:
    """A pydantic ``ValidationError`` as one line: ``where: what; where: what`` (no URLs);
    the cards' one formatter (:func:`hepemu.cards.describe`)."""
    from hepemu.cards import describe

    return describe(exc)


@contextmanager
def resumable(what: str) -> Iterator[None]:
    """Turn Ctrl-C into a short message that the work done so far is kept (exit code 130)."""
    try:
        yield
    except KeyboardInterrupt:
        err.print(f"[yellow]interrupted:[/] {escape(what)}")
        raise typer.Exit(130) from None


WAIT = typer.Option(help="wait for another run writing the same output, instead of refusing")
BUSY = 75  # exit code of a refusal because another run holds the output's lock (EX_TEMPFAIL)


@contextmanager
def holding_lock(path: Path, wait: bool = False) -> Iterator[Path]:
    """Hold the lock of an output file or run directory (:func:`hepemu.locks.output_lock`):
    another live writer → one error line naming the lock and its owner, exit code 75
    (or wait for it with ``wait``)."""
    from hepemu.locks import LockHeld, output_lock

    with ExitStack() as stack:
        try:
            held = stack.enter_context(output_lock(path, wait, notify=warn))
        except LockHeld as exc:
            fail(str(exc), BUSY)
        except OSError as exc:
            fail(f"cannot take the lock of {path}: {exc}")
        yield held


def _same_file(a: Path, b: Path) -> bool:
    try:
        return a.resolve() == b.resolve() or (a.exists() and b.exists() and a.samefile(b))
    except OSError:
        return False


def check_output(
    path: Path,
    force: bool = False,
    inputs: Iterable[Path] = (),
    suffixes: tuple[str, ...] | None = None,
    flag: str = "--out",
) -> Path:
    """Check an output *file* path before any work starts; fail with one line if unusable.

    Refused: a directory; one of the command's ``inputs``; an existing file unless ``force``;
    a wrong suffix (``suffixes``); a folder that cannot be created or written to.
    """
    path = Path(path)
    if path.is_dir():
        fail(f"{flag} {path} is a directory; give a file name inside it")
    for src in inputs:
        if _same_file(path, Path(src)):
            fail(f"{flag} {path} is also the input: refusing to overwrite it; choose another name")
    if suffixes is not None and path.suffix.lower() not in suffixes:
        fail(f"{flag} {path}: the file name must end in {', '.join(suffixes)}")
    if path.exists() and not force:
        fail(f"{path} exists; pass --force to replace it")
    check_writable_folder(path.parent, flag)
    return path


def check_run_dir(out: Path, markers: tuple[str, ...], what: str) -> None:
    """A run directory is new, empty, or one hepemu made (holding one of ``markers``):
    never a user's folder."""
    if out.exists() and not out.is_dir():
        fail(f"--out {out} is a file; give a directory for the run")
    if out.is_dir() and any(out.iterdir()) and not any((out / m).exists() for m in markers):
        fail(f"--out {out} holds other files and is not a hepemu {what} directory")
    check_writable_folder(out)


def check_writable_folder(folder: Path, flag: str = "--out") -> None:
    """Fail unless ``folder`` exists as a writable directory or can be created."""
    probe = Path(folder)
    while not probe.exists():
        probe = probe.parent
    if not probe.is_dir():
        fail(f"{flag}: {probe} is a file, so {folder} cannot be created")
    if not os.access(probe, os.W_OK | os.X_OK):
        fail(f"{flag}: no permission to write in {probe}")


def check_scheduler(address: str, timeout: float = 5.0) -> None:
    """Fail at once, not after a long wait, when a tcp:// scheduler cannot be reached."""
    import socket
    from urllib.parse import urlsplit

    url = urlsplit(address if "://" in address else f"tcp://{address}")
    if url.scheme != "tcp":
        return
    try:
        host, port = url.hostname, url.port
    except ValueError:
        host, port = None, None
    if not host or not port:
        fail(f"--scheduler {address!r} is not an address like tcp://HOST:PORT")
    try:
        with socket.create_connection((host, port), timeout=timeout):
            pass
    except OSError as exc:
        fail(f"cannot reach the Dask scheduler at {address}: {exc}")


def key_value(item: str, flag: str) -> tuple[str, str]:
    """Split ``key=value`` (stripped), or fail naming the option."""
    if "=" not in item:
        fail(f"{flag} expects key=value, got {item!r}")
    key, value = item.split("=", 1)
    if not key.strip():
        fail(f"{flag} expects key=value, got {item!r} (no key)")
    return key.strip(), value.strip()


def parse_option(item: str) -> tuple[str, float | int | str]:
    """``key=value`` of an ``--option`` flag, the value as int, float or text."""
    key, value = key_value(item, "--option")
    for cast in (int, float):
        try:
            return key, cast(value)
        except ValueError:
            pass
    return key, value


def variation_kinds(text: str) -> list[str]:
    """The kinds of ``--variations`` (scale, pdf), or fail."""
    from hepemu.applications.variations import KINDS

    wanted = [k.strip() for k in text.split(",") if k.strip()]
    if not wanted or set(wanted) - set(KINDS):
        fail(f"--variations {text!r}: give scale, pdf or scale,pdf")
    return wanted


def pdf_members(
    kinds: list[str], spec: str | None, n_members: int, name: str, central: int
) -> list[int]:
    """The PDF members of ``--pdf-members`` (``all`` (the default with pdf), ``3``, ``1-4,7``)
    for the variation ``kinds``, besides the ``central`` one the events were made with; fails
    on members the set lacks."""
    if "pdf" not in kinds:
        return []
    spec = spec or "all"
    if spec == "all":
        out = [m for m in range(n_members) if m != central]
    else:
        out = []
        try:
            for part in spec.split(","):
                lo, _, hi = part.partition("-")
                out += list(range(int(lo), int(hi or lo) + 1))
        except ValueError:
            fail(f"--pdf-members {spec!r}: give all, N or ranges such as 1-4,7")
    bad = [m for m in out if not 0 <= m < n_members or m == central]
    if bad:
        fail(
            f"--pdf-members: {name} has members 0 to {n_members - 1}, the events' own is "
            f"{central}; not {bad}"
        )
    if not out:
        fail(f"--variations pdf: no members of {name} besides {central} ({spec!r})")
    return out
