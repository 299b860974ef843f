"""Integration network: an MLP N(s, x) whose mixed derivative ∂ᵏN/∂x₁…∂x_k fits f(s; x).

All 2ᵏ subset derivatives ∂_S a⁽ˡ⁾ are propagated forward through the layers: the linear map
acts on each, and the activation combines them by Faà di Bruno's formula over set partitions,
∂_S φ(z) = Σ_π φ^(|π|)(z) Π_{B∈π} ∂_B z (Maître & Santos-Mateos, arXiv:2211.02834, sec. 2;
INN thesis eqs. 2.6–2.12). The integral over [0,1]^k is the alternating corner sum
Σ_b (−1)^(k−|b|) N(s; b) (thesis eq. 2.14).

Ansatz ``"anchored"`` writes N = x₁⋯x_k · g(s, x): the same derivative network, but N vanishes
on every face through the origin, so the corner sum is the single term g(s; 1,…,1).
"""

from __future__ import annotations

import torch
from torch import nn

from hepemu.models.activations import get_activation

MAX_K = 6


def submasks(mask: int):
    """All subsets of the bitmask ``mask`` (itself first, the empty set last)."""
    sub = mask
    while True:
        yield sub
        if sub == 0:
            return
        sub = (sub - 1) & mask


def faa_di_bruno_subsets(
    phis: list[torch.Tensor], z: list[torch.Tensor | None], masks
) -> list[torch.Tensor | None]:
    """∂_S φ(z) = Σ_π φ^(|π|)(z) Π_{B∈π} ∂_B z for the requested subsets S (bitmasks).

    Evaluated by the recursion over the block holding the lowest element,
    Q_j(R) = Σ_{B ⊆ R, min R ∈ B} ∂_B z · Q_{j+1}(R ∖ B), Q_j(∅) = φ^(j), a_S = Q_0(S),
    with memoisation: sub-products shared by many partitions are formed once. ``z[B]`` is
    None where ∂_B z vanishes identically; the result is None where ∂_S φ does.
    """
    memo: dict[tuple[int, int], torch.Tensor | None] = {}

    def q(j: int, rest: int) -> torch.Tensor | None:
        if rest == 0:
            return phis[j]
        key = (j, rest)
        if key in memo:
            return memo[key]
        low = rest & -rest
        others = rest ^ low
        acc = None
        for sub in submasks(others):  # blocks {low} ∪ sub
            zb = z[low | sub]
            if zb is not None:
                tail = q(j + 1, others ^ sub)
                if tail is not None:
                    term = zb * tail
                    acc = term if acc is None else acc + term
        memo[key] = acc
        return acc

    out: list[torch.Tensor | None] = [None] * len(z)
    out[0] = phis[0]
    for mask in masks:
        out[mask] = q(0, mask)
    return out


def corner_signs(k: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Corners b ∈ {0,1}^k (2ᵏ, k) and the signs (−1)^(k−|b|)."""
    corners = torch.tensor([[(c >> i) & 1 for i in range(k)] for c in range(2**k)])
    signs = torch.tensor([(-1) ** (k - int(c.sum())) for c in corners])
    return corners, signs


class INN(nn.Module):
    """MLP on inputs (x ∈ [0,1]^k, s̃ ∈ [−1,1]^m) with forward subset derivatives in x.

    Parameters
    ----------
    n_params
        Number m of (already scaled) parameters s̃.
    dim
        Number k ≤ 6 of integration variables.
    hidden
        Widths of the hidden layers.
    activation
        Name from :data:`hepemu.models.activations.ACTIVATIONS`.
    gain
        Xavier-uniform gain for the weights (biases start at zero; thesis eq. 4.2).
    ansatz
        ``"plain"`` (N is the MLP) or ``"anchored"`` (N = x₁⋯x_k · MLP).
    """

    def __init__(
        self,
        n_params: int,
        dim: int,
        hidden: tuple[int, ...] = (64, 64, 64),
        activation: str = "gelu",
        gain: float = 1.0,
        ansatz: str = "plain",
    ) -> None:
        super().__init__()
        if not 1 <= dim <= MAX_K:
            raise ValueError(f"dim must be in 1..{MAX_K}, got {dim}")
        if not hidden or any(int(h) < 1 for h in hidden):
            raise ValueError(f"hidden must be a non-empty sequence of positive widths: {hidden}")
        if ansatz not in ("plain", "anchored"):
            raise ValueError(f"ansatz must be 'plain' or 'anchored', got {ansatz!r}")
        self.n_params, self.dim = n_params, dim
        self.hidden = tuple(int(h) for h in hidden)
        self.activation_name = activation
        self.ansatz = ansatz
        self.gain = gain
        self._act = get_activation(activation)
        sizes = (dim + n_params, *self.hidden, 1)
        self.layers = nn.ModuleList(
            nn.Linear(a, b) for a, b in zip(sizes[:-1], sizes[1:], strict=True)
        )
        for layer in self.layers:
            nn.init.xavier_uniform_(layer.weight, gain=gain)
            nn.init.zeros_(layer.bias)
        self._full = (1 << dim) - 1

    def config(self) -> dict:
        """Constructor arguments, JSON-serialisable."""
        return {
            "n_params": self.n_params,
            "dim": self.dim,
            "hidden": list(self.hidden),
            "activation": self.activation_name,
            "gain": self.gain,
            "ansatz": self.ansatz,
        }

    # -- plain evaluation ---------------------------------------------------------------
    def mlp(self, s: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
        """The MLP value g(s̃, x) (x mapped to [−1,1] inside), shape (N,)."""
        a = torch.cat([2.0 * x - 1.0, s], dim=-1)
        for layer in self.layers[:-1]:
            a = self._act(layer(a), 0)[0]
        return self.layers[-1](a).squeeze(-1)

    def forward(self, s: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
        """N(s̃, x), shape (N,)."""
        g = self.mlp(s, x)
        if self.ansatz == "anchored":
            g = g * torch.prod(x, dim=-1)
        return g

    # -- subset derivatives -------------------------------------------------------------
    def mlp_subset_derivatives(
        self, s: torch.Tensor, x: torch.Tensor, top_only: bool = False
    ) -> list[torch.Tensor | None]:
        """∂_S g for every subset S of the x's (index = bitmask), None where identically 0."""
        k, n_sub = self.dim, 1 << self.dim
        first = self.layers[0]
        z: list[torch.Tensor | None] = [None] * n_sub
        z[0] = first(torch.cat([2.0 * x - 1.0, s], dim=-1))
        for i in range(k):  # d(2x−1)/dx = 2
            z[1 << i] = 2.0 * first.weight[:, i].unsqueeze(0)
        for li, layer in enumerate(self.layers[1:], start=1):
            last = li == len(self.layers) - 1
            phis = self._act(z[0], k)
            masks = [self._full] if (last and top_only) else range(1, n_sub)
            a = faa_di_bruno_subsets(phis, z, masks)
            new: list[torch.Tensor | None] = [None] * n_sub
            for mask in range(n_sub):
                if a[mask] is None or (last and top_only and mask != self._full):
                    continue
                if mask == 0:
                    new[0] = layer(a[0])
                else:
                    new[mask] = a[mask] @ layer.weight.T
            z = new
        return [None if t is None else t.squeeze(-1) for t in z]

    def subset_derivatives(self, s: torch.Tensor, x: torch.Tensor) -> list[torch.Tensor | None]:
        """∂_S N for every subset S (bitmask index); None where identically zero."""
        if self.ansatz == "plain":
            return self.mlp_subset_derivatives(s, x)
        g = self.mlp_subset_derivatives(s, x)
        return self._anchor(g, x)

    def _anchor(self, g: list, x: torch.Tensor) -> list:
        # ∂_S (P g) = Σ_{A⊆S} ∂_A P · ∂_{S∖A} g, with P = Πx and ∂_A P = Π_{i∉A} x_i
        k, n_sub = self.dim, 1 << self.dim
        prods = {}
        for A in range(n_sub):
            idx = [i for i in range(k) if not (A >> i) & 1]
            prods[A] = torch.prod(x[:, idx], dim=-1) if idx else None
        out: list = [None] * n_sub
        for S in range(n_sub):
            acc = None
            for A in submasks(S):
                gb = g[S ^ A]
                if gb is not None:
                    term = gb if prods[A] is None else prods[A] * gb
                    acc = term if acc is None else acc + term
            out[S] = acc
        return out

    def derivative(self, s: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
        """The mixed derivative ∂ᵏN/∂x₁…∂x_k, shape (N,)."""
        if self.ansatz == "plain":
            return self.mlp_subset_derivatives(s, x, top_only=True)[self._full]
        return self.subset_derivatives(s, x)[self._full]

    def integral(self, s: torch.Tensor) -> torch.Tensor:
        """∫_[0,1]^k ∂ᵏN dx = Σ_b (−1)^(k−|b|) N(s; b), shape (N,)."""
        k = self.dim
        if self.ansatz == "anchored":
            ones = s.new_ones(s.shape[0], k)
            return self.mlp(s, ones)
        corners, signs = corner_signs(k)
        n = s.shape[0]
        xc = corners.to(s).repeat(n, 1)
        sc = s.repeat_interleave(2**k, dim=0)
        vals = self.forward(sc, xc).reshape(n, 2**k)
        return vals @ signs.to(s)


def nested_autograd_derivative(model: INN, s: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
    """Reference ∂ᵏN/∂x₁…∂x_k by nested autograd (slow; for tests and benchmarks)."""
    x = x.detach().clone().requires_grad_(True)
    out = model(s, x)
    for i in range(model.dim):
        (g,) = torch.autograd.grad(out.sum(), x, create_graph=True)
        out = g[:, i]
    return out
