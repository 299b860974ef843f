"""The factorisation-aware matrix-element emulator: a network fits dipole coefficients.

D. Maître & H. Truong, "A factorisation-aware matrix element emulator" ("MT"): the network
sees the momenta and log recoil factors and outputs c_ijk; C_ijk = S_coef sinh(c_ijk)
(MT eq. 2.5) multiply the Catani–Seymour dipoles, |M|² ≈ Σ C_ijk D_ijk (MT eq. 2.2), plus
w_ab (S_ab sin 2φ_ab + C_ab cos 2φ_ab) per gluon pair (MT eq. 2.4; w_ab carries the size of
the g → g g spin correlation, 1/s_ab when collinear, suppressed when a gluon is soft).
Deviations from MT, deliberate: S_dipole is the geometric mean of the training dipoles (the
output bias absorbs any scale); the penalty's |C_i D_i| is measured in units of
|prediction| + S_pred, so J is dimensionless but not comparable with the paper's.

The module returns the standardised arcsinh(|M|²/S_pred) (MT eq. 2.6), so the one trainer fits
it with its usual MSE; the sparsity penalty of MT eq. 2.8 is left in ``self.penalty`` for the
trainer to add.

Inputs are the ``ee-dipoles`` features (``hepemu.physics.tree.dipoles.EmulatorLayout``),
standardised by the model's ``Preprocessing``; the emulator undoes the standardisation of the
dipole columns itself (buffers set once by :meth:`DipoleEmulator.set_scales`).
"""

from __future__ import annotations

import math

import torch
from torch import nn

from hepemu.models.networks import DNN
from hepemu.physics.tree.dipoles import EmulatorLayout


class DipoleEmulator(nn.Module):
    """Σ C_ijk D_ijk (+ azimuthal terms) from a DNN body; see the module docstring.

    spec: {"kind": "dipole", "hidden": [...], "activation": "tanh", "penalty": J}.
    """

    def __init__(self, n_in: int, spec: dict) -> None:
        super().__init__()
        self.layout = EmulatorLayout.from_width(n_in)
        lay = self.layout
        self.n_net, self.n_dip, self.n_pair = lay.n_network, lay.n_dipoles, lay.n_pairs
        self.body = DNN(
            self.n_net,
            list(spec.get("hidden", [128, 128, 128])),
            spec.get("activation", "tanh"),
            n_out=self.n_dip + 2 * self.n_pair,
        )
        self.penalty_weight = float(spec.get("penalty", 0.0))
        n_extra = n_in - self.n_net
        f64 = torch.float64  # exact statistics; the trainer casts to its dtype afterwards
        self.register_buffer("col_mean", torch.zeros(n_extra, dtype=f64))
        self.register_buffer("col_std", torch.ones(n_extra, dtype=f64))
        # S_pred, z mean, z std, S_coef
        self.register_buffer("scales", torch.tensor([1.0, 0.0, 1.0, 1.0], dtype=f64))
        self.penalty = torch.zeros(())
        self.sinh = torch.sinh  # export graphs swap in a form ONNX can express

    def set_scales(self, pre) -> None:
        """Copy the preprocessing's statistics into the buffers (once, before training)."""
        if pre.target_transform != "arcsinh" or pre.reference is not None:
            raise ValueError(
                "the dipole emulator needs target_transform = 'arcsinh' and no reference "
                "(MT eq. 2.6: the target is arcsinh(|M|²/S_pred))"
            )
        mean = torch.tensor(pre.x_mean[self.n_net :], dtype=self.col_mean.dtype)
        std = torch.tensor(pre.x_std[self.n_net :], dtype=self.col_std.dtype)
        self.col_mean.copy_(mean)
        self.col_std.copy_(std)
        # S_coef = S_pred / S_dipole (MT eq. 2.5); S_dipole: geometric mean of the train dipoles
        s_dipole = math.exp(float(mean[: self.n_dip].mean()))
        self.scales.copy_(
            torch.tensor(
                [pre.y_scale, pre.z_mean, pre.z_std, pre.y_scale / s_dipole],
                dtype=self.scales.dtype,
            )
        )
        # start where Σ C D has the typical |M|², S_pred sinh(mean target), shared equally
        # by the dipoles: c₀ = asinh(sinh(z_mean)/n_dip); azimuthal terms start at zero
        last = self.body.body[-1]
        with torch.no_grad():
            last.bias.zero_()
            last.bias[: self.n_dip] = math.asinh(math.sinh(pre.z_mean) / self.n_dip)

    def msq(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """(|M|² prediction, the dipole terms C_i D_i, log D_i) for standardised inputs x."""
        out = self.body(x[:, : self.n_net])
        extra = x[:, self.n_net :] * self.col_std + self.col_mean
        s_coef = self.scales[3]
        log_d = extra[:, : self.n_dip]
        terms = s_coef * self.sinh(out[:, : self.n_dip]) * torch.exp(log_d)
        pred = terms.sum(dim=1)
        if self.n_pair:
            k = self.n_dip
            w = torch.exp(extra[:, k : k + self.n_pair])
            sin2 = extra[:, k + self.n_pair : k + 2 * self.n_pair]
            cos2 = extra[:, k + 2 * self.n_pair :]
            a = self.sinh(out[:, k : k + self.n_pair])
            b = self.sinh(out[:, k + self.n_pair :])
            pred = pred + s_coef * (w * (a * sin2 + b * cos2)).sum(dim=1)
        return pred, terms, log_d

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        pred, terms, log_d = self.msq(x)
        s_pred, z_mean, z_std = self.scales[0], self.scales[1], self.scales[2]
        if self.training and self.penalty_weight > 0:
            # MT eq. 2.8, D_i⁻²/Σ D_j⁻² as a softmax of −2 log D; |C_i D_i| in units of
            # |prediction| + S_pred so that J does not depend on the process's scale
            share = torch.softmax(-2.0 * log_d, dim=1)
            size = (share * terms.abs()).sum(dim=1) / (pred.abs() + s_pred)
            self.penalty = self.penalty_weight * size.mean()
        return (torch.asinh(pred / s_pred) - z_mean) / z_std
