"""Pieces shared by the event results sections (results_events.py, results_events_pp.py)."""

from __future__ import annotations

import json
from collections.abc import Callable

from results_format import RESULTS, sci


def cost_same_t(x: dict, t_truth: float) -> float:
    """Cost per event with the truth calls costed at one time per point ``t_truth``."""
    parts = x["cost_per_event_parts_s"]
    return parts["phase_space"] + parts["surrogate"] + t_truth * x["truth_calls"] / x["events"]


def stages(x: dict) -> str:
    """A two-stage run's efficiencies, ε₁ × ε₂."""
    return f"ε₁ {sci(x['first_stage_efficiency'])} × ε₂ {x['second_stage_efficiency']:.3f}"


def table_row(cols: list[tuple[str, dict]]) -> Callable[[str, Callable, str], str]:
    """A function (label, cell of a run, last cell) -> a table row over the runs ``cols``."""

    def row(label: str, fn: Callable[[dict], str], last: str) -> str:
        return f"| {label} | " + " | ".join(fn(x) for _, x in cols) + f" | {last} |"

    return row


def chi2_against_one_stage(plot: str, reference: str) -> tuple[dict, str] | None:
    """(the one-stage reference run's summary, "name χ²/bin, …" of the two-stage histograms)
    from `hepemu plot-events`' ``plot``.json; None if the plot was not made."""
    path = RESULTS / f"{plot}.json"
    if not path.exists():
        return None
    d = json.loads(path.read_text())
    ref = json.loads((RESULTS / reference).read_text())
    chi2 = ", ".join(
        f"{name} {h['chi2_per_bin_vs_first']['two-stage']:.2f}" for name, h in d.items()
    )
    return ref, chi2
