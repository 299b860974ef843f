"""Parton densities from an LHAPDF6 grid set the user has, read with PyPI ``parton``.

The LHAPDF6 data format (Buckley et al., Eur. Phys. J. C 75 (2015) 132, sec. 3): a folder
``NAME/`` holding ``NAME.info`` (YAML: flavours, x and Q ranges, α_s) and one
``NAME_NNNN.dat`` per member (``lhagrid1`` blocks of x·f(x, Q) on an x × Q grid, x outer),
interpolated log-bicubically in (log x, log Q²) by ``parton``. A set is found by path or by
name in ``$LHAPDF_DATA_PATH`` / ``$LHAPATH`` (colon-separated folders, as LHAPDF searches).
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

MZ = 91.1876  # GeV (PDG 2024)


def find_set(name_or_path: str) -> Path:
    """The folder of an LHAPDF6 set: a path to it (or to its ``.info`` file), or a name
    looked up in ``$LHAPDF_DATA_PATH`` and ``$LHAPATH``. Raises ``ValueError`` if absent."""
    path = Path(name_or_path).expanduser()
    if path.suffix == ".info":
        path = path.parent
    if (path / f"{path.name}.info").is_file():
        return path.resolve()
    searched = []
    for var in ("LHAPDF_DATA_PATH", "LHAPATH"):
        for folder in filter(None, os.environ.get(var, "").split(os.pathsep)):
            searched.append(folder)
            if (Path(folder) / name_or_path / f"{name_or_path}.info").is_file():
                return (Path(folder) / name_or_path).resolve()
    where = ", ".join(searched) or "no $LHAPDF_DATA_PATH or $LHAPATH set"
    raise ValueError(
        f"PDF set {name_or_path!r} not found (a folder NAME/ with NAME.info; searched: {where})"
    )


@dataclass
class PartonDensity:
    """One member of an LHAPDF6 set: f(x, Q) per PDG flavour (0 or 21 the gluon), and α_s(Q).

    Outside the grid: Q is frozen at the grid's edges (LHAPDF's default for Q); x below the
    grid's smallest x gives NaN (callers keep x inside :attr:`x_range`).
    """

    folder: Path
    member: int = 0
    info: dict = field(init=False)

    def __post_init__(self) -> None:
        try:
            import yaml
            from parton import mkPDF
        except ImportError:
            raise ValueError(
                "parton densities need PyPI parton: pip install 'hepemu[pdf]'"
            ) from None

        self.folder = Path(self.folder)
        self.info = yaml.safe_load((self.folder / f"{self.folder.name}.info").read_text())
        self._pdf = mkPDF(self.folder.name, self.member, pdfdir=str(self.folder.parent))
        grids = self._pdf.pdfgrids
        self.x_range = (float(min(g.x.min() for g in grids)), float(max(g.x.max() for g in grids)))
        self.q_range = (float(min(g.Q.min() for g in grids)), float(max(g.Q.max() for g in grids)))

    @property
    def name(self) -> str:
        return self.folder.name

    @property
    def lhaid(self) -> int:
        """The set's LHAPDF id plus the member (0 if the info file has no SetIndex)."""
        return int(self.info.get("SetIndex", 0)) + self.member

    def xf(self, flavour: int, x: np.ndarray, q: np.ndarray) -> np.ndarray:
        """x·f(x, Q) of one flavour, vectorised over points (x and Q broadcast)."""
        x, q = np.broadcast_arrays(np.asarray(x, dtype=float), np.asarray(q, dtype=float))
        q = np.clip(q, *self.q_range)
        if x.size == 0:
            return np.zeros(x.shape)
        # parton 0.2.2 fails on one point under NumPy 2: evaluate it twice
        xs, q2 = np.resize(x.ravel(), max(x.size, 2)), np.resize(q.ravel(), max(x.size, 2)) ** 2
        out = self._pdf.xfxQ2(21 if flavour == 0 else flavour, xs, q2, grid=False)
        return np.asarray(out, dtype=float)[: x.size].reshape(x.shape)

    def alpha_s(self, q: np.ndarray) -> np.ndarray | None:
        """α_s(Q) from the set's table (AlphaS_Qs/AlphaS_Vals, interpolated in log Q), else
        one-loop running from AlphaS_MZ with 5 flavours (Ellis, Stirling, Webber eq. 2.23);
        None if the set records neither."""
        q = np.asarray(q, dtype=float)
        qs, vals = self.info.get("AlphaS_Qs"), self.info.get("AlphaS_Vals")
        if qs and vals:
            return np.interp(np.log(q), np.log(np.asarray(qs, float)), np.asarray(vals, float))
        a_mz = self.info.get("AlphaS_MZ")
        if a_mz is None:
            return None
        b0 = (33 - 2 * 5) / (12 * math.pi)
        return a_mz / (1 + a_mz * b0 * np.log(q**2 / MZ**2))
