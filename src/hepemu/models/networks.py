"""Fully connected regressors of Bishara, Paul & Dy, "High-precision regressors for particle
physics" (sec. "Models", Fig. 2; ../shared/papers): DNN and DNN with skip connections.

DNN: Linear layers with Leaky ReLU (others selectable), Glorot-initialised, linear output.
sk-DNN: blocks y = g(h(x) + W x) with h two Leaky-ReLU layers and a linear one, W trainable
when the width changes and the identity otherwise (the paper's Fig. 2).
"""

from __future__ import annotations

import torch
from torch import nn

from hepemu.models.activations import activation


def glorot(module: nn.Module) -> None:
    """Glorot-uniform weights and zero biases for every Linear layer (paper: Glorot init)."""
    for m in module.modules():
        if isinstance(m, nn.Linear):
            nn.init.xavier_uniform_(m.weight)
            if m.bias is not None:
                nn.init.zeros_(m.bias)


class DNN(nn.Module):
    """Fully connected network ``n_in → hidden… → n_out`` (squeezed to (N,) for one output)."""

    def __init__(
        self, n_in: int, hidden: list[int], act: str = "leaky_relu", n_out: int = 1
    ) -> None:
        super().__init__()
        layers: list[nn.Module] = []
        width = n_in
        for h in hidden:
            layers += [nn.Linear(width, h), activation(act)]
            width = h
        layers.append(nn.Linear(width, n_out))
        self.body = nn.Sequential(*layers)
        self.n_out = n_out
        glorot(self)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = self.body(x)
        return out.squeeze(-1) if self.n_out == 1 else out


class SkipBlock(nn.Module):
    """y = g(h(x) + W x): h = Linear-act-Linear-act-Linear; W = I when widths agree."""

    def __init__(self, n_in: int, width: int, act: str = "leaky_relu") -> None:
        super().__init__()
        self.h = nn.Sequential(
            nn.Linear(n_in, width),
            activation(act),
            nn.Linear(width, width),
            activation(act),
            nn.Linear(width, width),
        )
        self.w = nn.Linear(n_in, width, bias=False) if n_in != width else nn.Identity()
        self.g = activation(act)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.g(self.h(x) + self.w(x))


class SkipDNN(nn.Module):
    """``blocks`` skip blocks of ``width``, then a linear output."""

    def __init__(self, n_in: int, width: int, blocks: int, act: str = "leaky_relu") -> None:
        super().__init__()
        self.blocks = nn.Sequential(
            *[SkipBlock(n_in if i == 0 else width, width, act) for i in range(blocks)]
        )
        self.out = nn.Linear(width, 1)
        glorot(self)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.out(self.blocks(x)).squeeze(-1)


class StagedNetwork(nn.Module):
    """Σ_k s_k f_k(x): stage k fits the normalised residual of the stages before it (Wang &
    Lai, arXiv:2307.08934, eq. 3.1); the scales s_k are a buffer (s_0 = 1, the others 0 until
    their stage trains), so a partly trained network is a valid model."""

    def __init__(self, stages: list[nn.Module]) -> None:
        super().__init__()
        self.stages = nn.ModuleList(stages)
        scales = torch.zeros(len(stages))
        scales[0] = 1.0
        self.register_buffer("scales", scales)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = self.scales[0] * self.stages[0](x)
        for k in range(1, len(self.stages)):
            out = out + self.scales[k] * self.stages[k](x)
        return out
