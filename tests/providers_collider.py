"""Momentum providers for the hadron-collider tests, loaded as ``providers_collider:NAME``."""

from dataclasses import dataclass, field
from functools import cache

import numpy as np

from hepemu.physics.cuts import PhotonJetCut
from hepemu.physics.kinematics import massless_volume
from hepemu.physics.providers.momenta import RamboMomenta


@dataclass(frozen=True)
class _ToyGluonFusion(RamboMomenta):
    """g g → γ γ with a constant |M|² (dimensionless for 2 → 2, so scale-free) at √s 1000."""

    name: str = "toy-gg-yy"
    msq: float = 3.0
    n_out: int = 2
    sqrt_s: float = 1000.0
    cut: object = None
    target_name = "msq"

    def columns(self) -> list[str]:
        return [f"{c}_{leg}" for leg in ("g1", "g2", "a1", "a2") for c in ("E", "px", "py", "pz")]

    def __call__(self, inputs: np.ndarray) -> np.ndarray:
        return np.full(len(inputs), self.msq)

    def metadata(self) -> dict:
        legs = [(21, "initial"), (21, "initial"), (22, "final"), (22, "final")]
        return {
            "legs": [{"pdg": p, "role": r} for p, r in legs],
            "scale_free": True,
            "phase_space_weight": massless_volume(2, self.sqrt_s),
        }


toy_gluon_fusion = _ToyGluonFusion()


@cache
def _bnn():
    from hepemu.registry import load_model

    return load_model("ggyyg-1l-bnn")


@dataclass(frozen=True)
class _BNNGluonFusion(RamboMomenta):
    """g g → γ γ g whose "truth" is the shipped ggyyg-1l-bnn's mean × (1 + 0.05 cos θ_γ1),
    at any √ŝ through the scale-free rescaling: a cheap stand-in for the one-loop truth."""

    name: str = "bnn-gg-yyg"
    n_out: int = 3
    sqrt_s: float = 1000.0
    cut: object = field(default_factory=PhotonJetCut)
    target_name = "msq"

    def columns(self) -> list[str]:
        legs = ("g1", "g2", "a1", "a2", "g3")
        return [f"{c}_{leg}" for leg in legs for c in ("E", "px", "py", "pz")]

    def __call__(self, inputs: np.ndarray) -> np.ndarray:
        from hepemu.physics.hadronic import rescaled

        p = self.momenta(inputs)
        x, factor = rescaled(p, self.sqrt_s)
        cos = p[:, 2, 3] / p[:, 2, 0]
        return _bnn().predict(x)[0] * factor * (1 + 0.05 * cos)

    def metadata(self) -> dict:
        legs = [(21, "initial"), (21, "initial"), (22, "final"), (22, "final"), (21, "final")]
        return {
            "legs": [{"pdg": p, "role": r} for p, r in legs],
            "scale_free": True,
            "alpha_s_power": 3,
            "alpha_s": 0.118,
            "phase_space_weight": massless_volume(3, self.sqrt_s),
        }


bnn_gluon_fusion = _BNNGluonFusion()


def pp_events_args(folder, n: int, scale: str = "mgg") -> list[str]:
    """`hepemu events` arguments of a small 13.6 TeV run of ``bnn_gluon_fusion`` with the
    shipped ggyyg-1l-bnn and the PDF set ``folder`` (add ``--out`` and any other flags)."""
    args = ["events", "--surrogate", "ggyyg-1l-bnn", "--n", str(n)]
    args += ["--process", "providers_collider:bnn_gluon_fusion", "--chunk-trials", "5000"]
    return args + ["--collider", "pp", "--sqrt-s", "13600", "--pdf", str(folder), "--scale", scale]
