"""Field checks shared by the run cards (INN training, dataset fits)."""

from __future__ import annotations


def check_device(v: str) -> str:
    """``auto``, ``cpu``, ``cuda`` or ``cuda:N`` (availability is checked when a run starts)."""
    head, _, index = v.partition(":")
    if head not in ("auto", "cpu", "cuda") or (index and (head != "cuda" or not index.isdigit())):
        raise ValueError(f"unknown device {v!r}; use auto, cpu, cuda or cuda:N")
    return v


def check_widths(v: list[int]) -> list[int]:
    """A non-empty list of positive layer widths."""
    if not v or any(h < 1 for h in v):
        raise ValueError("hidden must be a non-empty list of positive widths")
    return v
