"""A dataset-trained regressor's whole prediction as one torch module: x (N, d) → (mean, sigma).

The raw input columns in the units ``predict`` takes go through the saved preprocessing (named
features such as log invariants or the Catani–Seymour dipoles of the factorisation-aware
emulator, computed by the same physics functions in torch; standardisation), every member,
the target transform undone and the reference multiplied back, then the members combined as
:meth:`NetworkRegressor.predict` does: the mean and the calibrated ensemble spread, or for
networks predicting their own error ⟨A⟩ and σ_tot over weight draws. A Bayesian network's
draws are sampled once, with the generator state :meth:`NetworkRegressor.draws` uses, and
kept as constants: the graph gives ``predict``'s numbers (batches up to its batch size) and is
deterministic. This is the graph ``hepemu export`` writes for regressors.
"""

from __future__ import annotations

import copy

import torch
from torch import nn

from hepemu.models.activations import gelu_export, softplus_export
from hepemu.models.bayesian import LOGVAR_RANGE, BayesianNet
from hepemu.models.dipole_emulator import DipoleEmulator
from hepemu.models.inn_graph import GaussLegendreGraph
from hepemu.models.surrogate import Surrogate
from hepemu.physics.features import get_feature
from hepemu.physics.references import get_reference
from hepemu.physics.symmetries import get_canonicaliser

NOT_IN_GRAPHS = ("ee-dipoles-born+invariants",)  # reduced-Born antennas: NumPy only


def expm1(t: torch.Tensor) -> torch.Tensor:
    """eˣ − 1 without ONNX's missing Expm1, exact to rounding (Kahan's u − 1 · x / log u)."""
    t = torch.clamp(t, min=-50.0)  # e^−50 − 1 = −1 in float64; keeps log u finite
    u = torch.exp(t)
    kahan = torch.where(u == 1.0, t, (u - 1.0) * t / torch.log(u))
    return torch.where(torch.isinf(u), u, kahan)


def sinh(t: torch.Tensor) -> torch.Tensor:
    """sinh t = sign(t) (E + E/(E + 1))/2 with E = e^|t| − 1 (:func:`expm1`): exact to
    rounding near 0, for graphs (the ONNX exporter has no Sinh)."""
    e = expm1(t.abs())
    ratio = torch.where(e < 1e300, e / (e + 1.0), torch.ones_like(e))  # no inf/inf
    return torch.sign(t) * 0.5 * (e + ratio)


class Softplus(nn.Module):
    """Softplus from operations ONNX Runtime has in float64 (:func:`softplus_export`)."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return softplus_export(x)


class GELU(nn.Module):
    """x Φ(x) with an erf from elementary operations (:func:`gelu_export`)."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return gelu_export(x)


def export_safe(module: nn.Module) -> nn.Module:
    """``module`` with Softplus and GELU activations swapped for the forms above (in place)."""
    for name, child in module.named_children():
        if isinstance(child, DipoleEmulator):
            child.sinh = sinh
        if isinstance(child, nn.Softplus):
            setattr(module, name, Softplus())
        elif isinstance(child, nn.GELU):
            setattr(module, name, GELU())
        else:
            export_safe(child)
    return module


def _sampled_layers(net: BayesianNet) -> list[tuple[torch.Tensor, torch.Tensor]]:
    """One weight draw ω of every layer, in the order :meth:`BayesianNet.heads` draws them."""
    out = []
    for layer in [*net.layers, net.out]:
        sw, sb = layer.sigmas()
        out.append((layer.mu_w + sw * torch.randn_like(sw), layer.mu_b + sb * torch.randn_like(sb)))
    return out


class _BayesianDraws(nn.Module):
    """A Bayesian network at D fixed weight draws: (N, n_in) → mean, log σ² each (D, N)."""

    def __init__(self, net: BayesianNet, samples: int, dtype: torch.dtype) -> None:
        super().__init__()
        with torch.no_grad():
            draws = [_sampled_layers(net) for _ in range(samples)]
        for i in range(len(draws[0])):
            w = torch.stack([d[i][0] for d in draws]).to(dtype)  # (D, out, in)
            b = torch.stack([d[i][1] for d in draws]).to(dtype)  # (D, out)
            self.register_buffer(f"w{i}", w)
            self.register_buffer(f"b{i}", b[:, None, :])
        self.n_layers = len(draws[0])
        self.acts = copy.deepcopy(net.acts)

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        a = x[None]  # (1, N, n_in), broadcast over the draws
        for i in range(self.n_layers):
            a = torch.matmul(a, getattr(self, f"w{i}").transpose(1, 2)) + getattr(self, f"b{i}")
            if i < self.n_layers - 1:
                a = self.acts[i](a)
        return a[..., 0], a[..., 1].clamp(*LOGVAR_RANGE)


class RegressorGraph(nn.Module):
    """(mean, sigma) of a :class:`NetworkRegressor` from raw inputs x (N, d) in a graph.

    Parameters
    ----------
    model
        The loaded regressor (any network kind: dnn, skdnn, dipole, bnn, hetero).
    dtype
        The networks' precision, float64 or float32 (inputs and outputs of the graph have it
        too); features, standardisation and decoding always run in float64, as in
        :meth:`NetworkRegressor.predict`, whose float32 networks a float32 graph reproduces.
    samples, seed
        Weight draws per Bayesian member and the seed, as :meth:`NetworkRegressor.draws`.
    """

    def __init__(
        self,
        model: Surrogate,
        dtype: torch.dtype = torch.float64,
        samples: int = 50,
        seed: int = 0,
    ) -> None:
        super().__init__()
        pre = model.pre
        self.canonicalisers = [get_canonicaliser(name) for name in pre.canonicalise]
        if pre.features in NOT_IN_GRAPHS:
            raise ValueError(f"features {pre.features!r} are computed in NumPy only")
        self.features = get_feature(pre.features) if pre.features is not None else None
        self.pre = pre
        f64 = torch.float64
        self.net_dtype = dtype
        self.register_buffer("x_mean", torch.tensor(pre.x_mean, dtype=f64))
        self.register_buffer("x_std", torch.tensor(pre.x_std, dtype=f64))
        self.reference = None
        if pre.reference == "gl3":
            from hepemu.physics.integrals.registry import get_integral

            integral = get_integral(pre.provider.removesuffix("/integral"))
            self.reference = GaussLegendreGraph(integral, 3, f64)
        elif pre.reference is not None:
            self.reference = get_reference(pre.reference, pre.provider)
        self.probabilistic = model.probabilistic
        self.scale = model.sigma_scale
        members = [copy.deepcopy(m).cpu().eval() for m in model.members]
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(seed)  # the draws of NetworkRegressor.draws(seed=seed), drawn in
            members = [  # the members' own dtype, then cast
                _BayesianDraws(m, samples, dtype)
                if getattr(m, "bayesian", False)
                else m.to(dtype=dtype)
                for m in members
            ]
        self.members = export_safe(nn.ModuleList(members))

    def _decode(self, x: torch.Tensor, z: torch.Tensor) -> torch.Tensor:
        t = z * self.pre.z_std + self.pre.z_mean
        if self.pre.target_transform == "log1p":
            y = expm1(t) * self.pre.y_scale
        elif self.pre.target_transform == "arcsinh":
            y = sinh(t) * self.pre.y_scale
        else:
            y = self.pre.inverse_transform(t)
        return y if self.reference is None else y * self.reference(x)

    def _member(self, x: torch.Tensor, m: nn.Module, enc: torch.Tensor) -> torch.Tensor:
        """One deterministic member's truth-scale prediction; the dipole emulator's Σ C D
        directly (its arcsinh target and the decoding's sinh cancel: MT eq. 2.6)."""
        if isinstance(m, DipoleEmulator):
            return m.msq(enc)[0].double()
        return self._decode(x, m(enc).double())

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        mean, sigma = self._predict(x.double())
        return mean.to(x.dtype), sigma.to(x.dtype)

    def _predict(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        c = x
        for canonicalise in self.canonicalisers:  # into the fundamental domain, as predict
            c = canonicalise(c)
        enc = self.features(c) if self.features is not None else c
        # rows whose features are not finite (s_ij ≤ 0: not a physical point, where predict
        # raises) give NaN, never a finite number from a saturated network
        enc = torch.where(torch.isfinite(enc).all(1, keepdim=True), enc, float("nan"))
        enc = ((enc - self.x_mean) / self.x_std).to(self.net_dtype)
        if not self.probabilistic:
            preds = torch.stack([self._member(x, m, enc) for m in self.members])
            mean = preds.mean(0)
            if len(self.members) < 2:
                return mean, mean * float("nan")
            return mean, self.scale * preds.std(0, unbiased=True)
        means, var_model = [], []
        for m in self.members:
            mean_z, logvar = m.heads(enc) if not isinstance(m, _BayesianDraws) else m(enc)
            mean_z, logvar = mean_z.double(), logvar.double()
            mean_z = mean_z if mean_z.dim() == 2 else mean_z[None]
            sig_z = torch.exp(0.5 * (logvar if logvar.dim() == 2 else logvar[None]))
            hi, lo = self._decode(x, mean_z + sig_z), self._decode(x, mean_z - sig_z)
            means.append(self._decode(x, mean_z))
            var_model.append((0.5 * (hi - lo).abs()) ** 2)
        means_t, var_t = torch.cat(means), torch.cat(var_model)
        sigma_model2 = var_t.mean(0)
        sigma_pred = means_t.std(0, unbiased=False)
        return means_t.mean(0), self.scale * torch.sqrt(sigma_model2 + sigma_pred**2)
