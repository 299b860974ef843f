"""Named parametric integrals (truth providers) known to hepemu."""

from __future__ import annotations

from hepemu.physics.integrals.base import ParametricIntegral
from hepemu.physics.integrals.gghh import GGHH_BOX_FULL, GGHH_BOX_SECTOR
from hepemu.physics.integrals.gghh2l import GGHH_DBOX, double_box_subset

INTEGRALS: dict[str, ParametricIntegral] = {
    GGHH_BOX_SECTOR.name: GGHH_BOX_SECTOR,
    GGHH_BOX_FULL.name: GGHH_BOX_FULL,
    GGHH_DBOX.name: GGHH_DBOX,
}


def find_integral(name: str) -> ParametricIntegral | None:
    """The integral called ``name``, or None if none is; ``gghh-dbox-2l#sectors=0-4,7`` (or
    ``#sectors=primary=2``) is the double box over those final sectors only (a malformed
    sector list raises)."""
    base, sep, spec = name.partition("#sectors=")
    if sep and base == GGHH_DBOX.name:
        return double_box_subset(spec)
    return INTEGRALS.get(name)


def get_integral(name: str) -> ParametricIntegral:
    """Look up a parametric integral by name (see :func:`find_integral`)."""
    integral = find_integral(name)
    if integral is None:
        raise ValueError(f"unknown integral {name!r}; known: {', '.join(INTEGRALS)}")
    return integral
