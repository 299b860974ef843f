"""Named parametric integrals (truth providers) known to hepemu."""

from __future__ import annotations

from hepemu.physics.integrals.base import ParametricIntegral
from hepemu.physics.integrals.gghh import GGHH_BOX_FULL, GGHH_BOX_SECTOR
from hepemu.physics.integrals.gghh2l import GGHH_DBOX

INTEGRALS: dict[str, ParametricIntegral] = {
    GGHH_BOX_SECTOR.name: GGHH_BOX_SECTOR,
    GGHH_BOX_FULL.name: GGHH_BOX_FULL,
    GGHH_DBOX.name: GGHH_DBOX,
}


def get_integral(name: str) -> ParametricIntegral:
    """Look up a parametric integral by name; ``gghh-dbox-2l#sectors=0-4,7`` (or
    ``#sectors=primary=2``) is the double box over those final sectors only."""
    base, sep, spec = name.partition("#sectors=")
    if sep and base == GGHH_DBOX.name:
        from hepemu.physics.integrals.gghh2l import double_box_subset

        return double_box_subset(spec)
    try:
        return INTEGRALS[name]
    except KeyError:
        raise ValueError(f"unknown integral {name!r}; known: {', '.join(INTEGRALS)}") from None
