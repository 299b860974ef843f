"""Write the Les Houches toy parton densities as an LHAPDF6 set, for hadron-collider
benchmarks on machines where no fitted set can be fetched.

The densities are the initial conditions of the Les Houches PDF-evolution benchmark at
Q₀² = 2 GeV² (Giele et al., hep-ph/0204316, sec. 1.3; also Salam & Rojo, HOPPET):
xu_v = 5.1072 x^0.8 (1−x)³, xd_v = 3.06432 x^0.8 (1−x)⁴, xg = 1.7 x^−0.1 (1−x)⁵,
xd̄ = 0.1939875 x^−0.1 (1−x)⁶, xū = (1−x) xd̄, xs = xs̄ = 0.2 x(ū + d̄), no charm or bottom.
They are **not evolved**: the grid repeats them at every Q, so only α_s(μ) (run at one
loop from α_s(M_Z) = 0.118 by ``hepemu.physics.pdf.PartonDensity``) depends on the scale.
Absolute cross sections from this set are those of a toy; efficiencies and costs of the
event generation are what the benchmarks measure.

    python benchmarks/toy_pdf.py runs/pdf            # writes runs/pdf/LHToyQ0/
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

NAME = "LHToyQ0"
MZ, ALPHA_S_MZ = 91.1876, 0.118


def densities(x: np.ndarray) -> dict[int, np.ndarray]:
    """x·f(x) per PDG code (hep-ph/0204316, sec. 1.3, eq. for the toy initial conditions)."""
    uv = 5.1072 * x**0.8 * (1 - x) ** 3
    dv = 3.06432 * x**0.8 * (1 - x) ** 4
    dbar = 0.1939875 * x**-0.1 * (1 - x) ** 6
    ubar = (1 - x) * dbar
    s = 0.2 * (ubar + dbar)
    g = 1.7 * x**-0.1 * (1 - x) ** 5
    return {-3: s, -2: ubar, -1: dbar, 1: dv + dbar, 2: uv + ubar, 3: s, 21: g}


def write(root: Path, force: bool = False) -> Path:
    """Write ``root/LHToyQ0/`` (info file and member 0); an existing set is kept (the same
    numbers) unless ``force``."""
    folder = Path(root) / NAME
    if folder.exists() and not force:
        return folder
    folder.mkdir(parents=True, exist_ok=True)
    x = np.unique(np.concatenate([np.logspace(-8, -1, 120), np.linspace(0.1, 1, 91)]))
    q = np.logspace(0, 5, 26)
    flavours = [-3, -2, -1, 1, 2, 3, 21]
    xf = densities(np.where(x < 1, x, 0.5))
    table = np.stack([np.where(x < 1, xf[f], 0.0) for f in flavours], axis=1)  # (x, flavour)
    rows = [" ".join(f"{v:.10e}" for v in table[i]) for i in range(len(x)) for _ in q]
    (folder / f"{NAME}.info").write_text(
        "SetDesc: Les Houches toy densities at Q0^2 = 2 GeV^2 (hep-ph/0204316), not evolved\n"
        "Format: lhagrid1\nDataVersion: 1\nNumMembers: 1\nParticle: 2212\n"
        f"Flavors: {flavours}\nOrderQCD: 0\nXMin: {x[0]:g}\nXMax: 1\nQMin: {q[0]:g}\n"
        f"QMax: {q[-1]:g}\nMZ: {MZ}\nAlphaS_MZ: {ALPHA_S_MZ}\nAlphaS_OrderQCD: 0\n"
        "SetIndex: 990100\n"
    )
    (folder / f"{NAME}_0000.dat").write_text(
        "PdfType: central\nFormat: lhagrid1\n---\n"
        + " ".join(f"{v:.10e}" for v in x) + "\n"
        + " ".join(f"{v:.10e}" for v in q) + "\n"
        + " ".join(str(f) for f in flavours) + "\n"
        + "\n".join(rows) + "\n---\n"
    )  # fmt: skip
    return folder


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("root", nargs="?", default="runs/pdf")
    ap.add_argument("--force", action="store_true", help="rewrite an existing set")
    args = ap.parse_args(argv)
    print(write(Path(args.root), args.force))


if __name__ == "__main__":
    main()
