"""Shared pieces of the command line: the error console and clean failure."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import NoReturn

import typer
from rich.console import Console

err = Console(stderr=True, soft_wrap=True)


def fail(msg: str, code: int = 2) -> NoReturn:
    """Print ``error: msg`` to stderr and exit with ``code`` (no traceback)."""
    err.print(f"[bold red]error:[/] {msg}")
    raise typer.Exit(code)


@contextmanager
def resumable(what: str) -> Iterator[None]:
    """Turn Ctrl-C into a short message that the work done so far is kept (exit code 130)."""
    try:
        yield
    except KeyboardInterrupt:
        err.print(f"[yellow]interrupted:[/] {what}")
        raise typer.Exit(130) from None
