"""Networks that predict their own error: a Bayesian (variational) network and a deterministic
heteroscedastic one, both giving a mean and σ_model per point.

Bayesian network (Badger, Butter, Luchmann, Pitz & Plehn, "Loop amplitudes from precision
networks", eqs. (7)–(14), ../shared/papers): every weight is Gaussian, q(ω) = N(μ_q, σ_q²),
with a Gaussian prior N(0, σ_p²); the loss is the heteroscedastic Gaussian negative
log-likelihood |Ā(ω) − A|²/(2σ_model(ω)²) + log σ_model(ω), averaged over the batch, plus
KL[q, p] (eq. (13)) divided by the number of training points (the mini-batch rescaling of the
regulariser). Weights are sampled with the reparameterisation trick (one ω per batch).
Prediction samples ω: ⟨A⟩ and σ_pred from the spread of Ā(ω), σ_model² = ⟨σ_model(ω)²⟩
(eqs. (8)–(11)). The heteroscedastic network is the same head on ordinary weights.
Both output (mean, log σ²) on the preprocessed target scale.
"""

from __future__ import annotations

import math

import torch
from torch import nn

from hepemu.models.activations import activation

LOGVAR_RANGE = (-30.0, 10.0)  # clamp of log σ_model² (preprocessed units): stability


class VariationalLinear(nn.Module):
    """y = x Wᵀ + b with independent Gaussian weights; σ_q = softplus(ρ)."""

    def __init__(self, n_in: int, n_out: int, prior_sigma: float = 1.0) -> None:
        super().__init__()
        self.prior_sigma = float(prior_sigma)
        bound = math.sqrt(6.0 / (n_in + n_out))  # Glorot-uniform means
        self.mu_w = nn.Parameter(torch.empty(n_out, n_in).uniform_(-bound, bound))
        self.mu_b = nn.Parameter(torch.zeros(n_out))
        rho0 = math.log(math.expm1(1e-4))  # σ_q starts small: the means train first
        self.rho_w = nn.Parameter(torch.full((n_out, n_in), rho0))
        self.rho_b = nn.Parameter(torch.full((n_out,), rho0))

    def sigmas(self) -> tuple[torch.Tensor, torch.Tensor]:
        return nn.functional.softplus(self.rho_w), nn.functional.softplus(self.rho_b)

    def forward(self, x: torch.Tensor, sample: bool = False) -> torch.Tensor:
        if not sample:
            return nn.functional.linear(x, self.mu_w, self.mu_b)
        sw, sb = self.sigmas()
        w = self.mu_w + sw * torch.randn_like(sw)
        b = self.mu_b + sb * torch.randn_like(sb)
        return nn.functional.linear(x, w, b)

    def kl(self) -> torch.Tensor:
        """KL[q, p] of eq. (13), summed over weights and biases (μ_p = 0)."""
        sp2 = self.prior_sigma**2
        total = torch.zeros((), dtype=self.mu_w.dtype, device=self.mu_w.device)
        for mu, sq in ((self.mu_w, self.sigmas()[0]), (self.mu_b, self.sigmas()[1])):
            total = total + torch.sum(
                (sq**2 + mu**2 - sp2) / (2 * sp2) + math.log(self.prior_sigma) - torch.log(sq)
            )
        return total


def gaussian_nll(mean: torch.Tensor, logvar: torch.Tensor, z: torch.Tensor) -> torch.Tensor:
    """Per-point |mean − z|²/(2σ²) + log σ with σ² = exp(logvar)."""
    return 0.5 * (mean - z) ** 2 * torch.exp(-logvar) + 0.5 * logvar


class _Head(nn.Module):
    """Shared shape: hidden layers with ``act``, the last hidden one with ``last_act``."""

    def _acts(self, hidden: list[int], act: str, last_act: str | None) -> nn.ModuleList:
        return nn.ModuleList(
            activation(last_act if (last_act and i == len(hidden) - 1) else act)
            for i in range(len(hidden))
        )

    @staticmethod
    def _split(out: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        return out[..., 0], out[..., 1].clamp(*LOGVAR_RANGE)


class BayesianNet(_Head):
    """Variational network ``n_in → hidden… → (mean, log σ²_model)``."""

    probabilistic = True
    bayesian = True

    def __init__(
        self,
        n_in: int,
        hidden: list[int],
        act: str = "tanh",
        last_act: str | None = None,
        prior_sigma: float = 1.0,
    ) -> None:
        super().__init__()
        widths = [n_in, *hidden]
        self.layers = nn.ModuleList(
            VariationalLinear(a, b, prior_sigma) for a, b in zip(widths, widths[1:], strict=False)
        )
        self.out = VariationalLinear(widths[-1], 2, prior_sigma)
        self.acts = self._acts(hidden, act, last_act)

    def heads(self, x: torch.Tensor, sample: bool) -> tuple[torch.Tensor, torch.Tensor]:
        for layer, act in zip(self.layers, self.acts, strict=True):
            x = act(layer(x, sample))
        return self._split(self.out(x, sample))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """The mean prediction of the mean weights (validation, quick evaluation)."""
        return self.heads(x, sample=False)[0]

    def kl(self) -> torch.Tensor:
        return sum(layer.kl() for layer in [*self.layers, self.out])

    def loss(self, x: torch.Tensor, z: torch.Tensor, n_train: int) -> torch.Tensor:
        """Eq. (14) per training point: batch-mean NLL (one ω) + KL/n_train."""
        mean, logvar = self.heads(x, sample=True)
        return gaussian_nll(mean, logvar, z).mean() + self.kl() / n_train


class HeteroscedasticNet(_Head):
    """Deterministic network ``n_in → hidden… → (mean, log σ²_model)``, Gaussian NLL loss."""

    probabilistic = True
    bayesian = False

    def __init__(
        self, n_in: int, hidden: list[int], act: str = "tanh", last_act: str | None = None
    ) -> None:
        super().__init__()
        widths = [n_in, *hidden]
        self.layers = nn.ModuleList(
            nn.Linear(a, b) for a, b in zip(widths, widths[1:], strict=False)
        )
        self.out = nn.Linear(widths[-1], 2)
        self.acts = self._acts(hidden, act, last_act)
        for m in self.modules():
            if isinstance(m, nn.Linear):
                nn.init.xavier_uniform_(m.weight)
                nn.init.zeros_(m.bias)

    def heads(self, x: torch.Tensor, sample: bool = False) -> tuple[torch.Tensor, torch.Tensor]:
        for layer, act in zip(self.layers, self.acts, strict=True):
            x = act(layer(x))
        return self._split(self.out(x))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.heads(x)[0]

    def loss(self, x: torch.Tensor, z: torch.Tensor, n_train: int) -> torch.Tensor:
        """Batch-mean Gaussian NLL (``n_train`` unused: no prior term)."""
        mean, logvar = self.heads(x)
        return gaussian_nll(mean, logvar, z).mean()
