"""The external legs of a momentum provider's process: PDG codes and incoming/outgoing, in
the order of its inputs, and whether its |M|² is free of any mass scale."""

from __future__ import annotations

INCOMING, OUTGOING = -1, 1  # LHE ISTUP of the legs (Alwall et al., CPC 176 (2007) 300)

# providers without a "legs" record: PDG codes in input order (PDG RPP, Monte Carlo numbering)
_LEGS: dict[str, list[int]] = {
    "ee-qq": [-11, 11, 2, -2],  # one massless flavour, charge 2/3 by default: u ū
    "ee-qqg": [-11, 11, 2, -2, 21],
    "ggyy-1l": [21, 21, 22, 22],
    "ggyyg-1l": [21, 21, 22, 22, 21],
    "ggyyg-1l-numerical": [21, 21, 22, 22, 21],
}
# α_s power of |M|² and the α_s it was computed with (hepemu.physics.loop: 0.118)
_ALPHA_S = {"ggyy-1l": (2, 0.118), "ggyyg-1l": (3, 0.118), "ggyyg-1l-numerical": (3, 0.118)}
# |M|² of massless legs with fixed couplings and no internal mass: |M|²(λp) = λ^(2(4−n))|M|²(p)
_SCALE_FREE = {"ee-qq", "ee-qqg", "ggyy-1l", "ggyyg-1l", "ggyyg-1l-numerical"}


def process_legs(provider) -> list[tuple[int, int]]:
    """(PDG code, ISTUP) of every leg in the provider's input order: −1 incoming, 1 outgoing.

    Raises ``ValueError`` for a provider whose legs are not known (not a momentum provider).
    """
    meta = provider.metadata()
    if "legs" in meta:
        return [
            (int(leg["pdg"]), INCOMING if leg["role"] == "initial" else OUTGOING)
            for leg in meta["legs"]
        ]
    name = getattr(provider, "name", "")
    if name not in _LEGS:
        raise ValueError(f"the particles of provider {name!r} are not known")
    return [(pdg, INCOMING if i < 2 else OUTGOING) for i, pdg in enumerate(_LEGS[name])]


def scale_free(provider) -> bool:
    """Whether the provider's |M|² has no mass scale (massless legs, no internal mass,
    fixed couplings), so a surrogate trained at one √s serves every √ŝ by rescaling; a
    provider may say so in ``metadata()["scale_free"]``."""
    declared = provider.metadata().get("scale_free")
    return bool(declared) if declared is not None else getattr(provider, "name", "") in _SCALE_FREE


def alpha_s_power(provider) -> tuple[int, float] | None:
    """(k, α_s⁰): |M|² ∝ α_s^k computed at α_s⁰, for running α_s(μ_R); None where unknown
    (the provider's fixed coupling is kept)."""
    meta = provider.metadata()
    if "alpha_s_power" in meta and "alpha_s" in meta:
        return int(meta["alpha_s_power"]), float(meta["alpha_s"])
    return _ALPHA_S.get(getattr(provider, "name", ""))
