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
    """Look up a parametric integral by name."""
    try:
        return INTEGRALS[name]
    except KeyError:
        raise ValueError(f"unknown integral {name!r}; known: {', '.join(INTEGRALS)}") from None
