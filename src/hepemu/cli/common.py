"""Shared pieces of the command line: the error console and clean failure."""

from __future__ import annotations

from typing import NoReturn

import typer
from rich.console import Console

err = Console(stderr=True, soft_wrap=True)


def fail(msg: str, code: int = 2) -> NoReturn:
    """Print ``error: msg`` to stderr and exit with ``code`` (no traceback)."""
    err.print(f"[bold red]error:[/] {msg}")
    raise typer.Exit(code)
