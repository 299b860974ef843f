"""The one dispatch from a fit card to its trainer, shared by ``hepemu fit`` and
:func:`hepemu.fit`: interpolants, trees, boosted networks, or an ensemble of networks."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from hepemu.models.surrogate import Surrogate
from hepemu.training.fit_config import FitCard


def fit_card(
    card: FitCard,
    out: str | Path,
    progress: Callable | None = None,
    executor: str = "serial",
    workers: int = 2,
    scheduler: str | None = None,
    on_member_done: Callable | None = None,
) -> Surrogate:
    """Train (or resume) the surrogate ``card`` describes in the run directory ``out``.

    ``progress`` is passed to the kind's trainer as it is: a line printer for the
    interpolants, a ``TreeState`` callback for trees, a ``FitState`` callback for networks.
    ``executor``, ``workers``, ``scheduler`` and ``on_member_done`` spread an ensemble's
    members (``ValueError`` for boosted training, which runs its members serially)."""
    kind = card.model.kind
    if kind == "chebyshev":
        from hepemu.training.fit_chebyshev import fit_chebyshev

        return fit_chebyshev(card, out, progress=progress)
    if kind == "sparse-grid":
        from hepemu.training.fit_sparse_grid import fit_sparse_grid

        return fit_sparse_grid(card, out, progress=progress)
    if kind == "bdt":
        from hepemu.training.fit_trees import fit_trees

        return fit_trees(card, out, progress=progress)
    if card.boosting.schedule:
        from hepemu.training.boosting import fit_boosted

        if executor != "serial":
            raise ValueError("boosted training runs its members serially (drop --executor)")
        return fit_boosted(card, out, progress=progress)
    from hepemu.training.fit import fit_networks

    return fit_networks(
        card, out, progress, executor, workers, scheduler, on_member_done=on_member_done
    )
