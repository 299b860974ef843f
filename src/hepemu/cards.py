"""The one TOML card loader: every card (``[inn]`` training, fit, ``[generate]``) is read here
and validated by its pydantic model; anything wrong is one line naming the file and the key.

It sits at the package root (beside ``fileio`` and ``threads``) because cards belong to
more than one layer: the generate card is the data layer's, the training cards the trainers'.
"""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import TypeVar

from pydantic import BaseModel, ValidationError

M = TypeVar("M", bound=BaseModel)


class CardError(ValueError):
    """A card that cannot be used; ``str()`` is one line naming the file (and the key)."""


def read_toml(path: str | Path) -> dict:
    """The parsed TOML of ``path`` (``CardError`` if missing or not TOML text)."""
    path = Path(path)
    if not path.is_file():
        raise CardError(f"card not found: {path}")
    try:
        with open(path, "rb") as fh:
            return tomllib.load(fh)
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise CardError(f"{path} is not a readable TOML card: {exc}") from None


def describe(exc: ValidationError, prefix: str | None = None) -> str:
    """A pydantic ``ValidationError`` as one line, ``key: what (got …)`` per error, the keys
    dotted as in the card (``training.epochs``, ``inn.hidden.0``); no URLs."""
    parts = []
    for e in exc.errors():
        loc = [str(p) for p in e.get("loc", ())]
        where = ".".join([prefix, *loc] if prefix else loc) or (prefix or "card")
        kind = e.get("type")
        if kind == "extra_forbidden":
            parts.append(f"unknown key {where}")
            continue
        if kind == "missing":
            parts.append(f"{where}: required key is missing")
            continue
        given = e.get("input")
        shown = "" if isinstance(given, dict) else f" (got {given!r})"
        parts.append(f"{where}: {e.get('msg', 'invalid')}{shown}")
    return "; ".join(parts)


def card_table(path: str | Path, table: str) -> dict:
    """The ``[table]`` of a card that must hold nothing else (``CardError`` otherwise)."""
    data = read_toml(path)
    if table not in data or not isinstance(data[table], dict):
        found = ", ".join(data) or "nothing"
        raise CardError(
            f"{path} has no [{table}] table (found: {found}); put the settings under [{table}]"
        )
    stray = [k for k in data if k != table]
    if stray:
        raise CardError(
            f"{path}: settings outside the [{table}] table would be ignored: {', '.join(stray)}"
        )
    return dict(data[table])


def validate_card(data: dict, schema: type[M], path: str | Path, table: str | None = None) -> M:
    """``schema`` validated from ``data`` read from ``path`` (``CardError``: one line)."""
    try:
        return schema.model_validate(data)
    except ValidationError as exc:
        raise CardError(f"{path}: {describe(exc, table)}") from None


def load_card(path: str | Path, schema: type[M], table: str | None = None) -> M:
    """Read the card at ``path`` into ``schema``: the whole file, or only its ``[table]``
    (which must then be the file's only content).

    Raises
    ------
    CardError
        Missing or unreadable file, missing table, keys outside it, unknown keys or wrong
        types — one line naming the file and the offending key.
    """
    data = card_table(path, table) if table else read_toml(path)
    return validate_card(data, schema, path, table)
