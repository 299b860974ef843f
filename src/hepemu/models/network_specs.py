"""A network from its JSON-able spec (what a fit card's [model] table and a model file store)."""

from __future__ import annotations

from torch import nn

from hepemu.models.bayesian import BayesianNet, HeteroscedasticNet
from hepemu.models.dipole_emulator import DipoleEmulator
from hepemu.models.networks import DNN, SkipDNN, StagedNetwork


def build_network(n_in: int, spec: dict) -> nn.Module:
    """A network from its JSON-able spec: {"kind": "dnn", "hidden": [...], "activation": …},
    {"kind": "skdnn", "width": w, "blocks": b, "activation": …}, {"kind": "dipole", …}
    (the factorisation-aware emulator, ``hepemu.models.dipole_emulator``) or {"kind": "bnn" |
    "hetero", "hidden", "activation", "last_activation", "prior_sigma"} (networks that
    predict their own error, ``hepemu.models.bayesian``) or {"kind": "staged", "stages":
    [spec, …]} (multi-stage residual networks, ``hepemu.training.stages``)."""
    act = spec.get("activation", "leaky_relu")
    if spec["kind"] == "staged":
        return StagedNetwork([build_network(n_in, s) for s in spec["stages"]])
    if spec["kind"] == "dnn":
        return DNN(n_in, list(spec["hidden"]), act)
    if spec["kind"] == "skdnn":
        return SkipDNN(n_in, int(spec["width"]), int(spec["blocks"]), act)
    if spec["kind"] == "dipole":
        return DipoleEmulator(n_in, spec)
    if spec["kind"] in ("bnn", "hetero"):
        last = spec.get("last_activation")
        if spec["kind"] == "bnn":
            return BayesianNet(
                n_in, list(spec["hidden"]), act, last, float(spec.get("prior_sigma", 1.0))
            )
        return HeteroscedasticNet(n_in, list(spec["hidden"]), act, last)
    raise ValueError(
        f"unknown network kind {spec['kind']!r}; use dnn, skdnn, dipole, bnn, hetero or staged"
    )
