"""A dataset-trained network regressor (one network or a deep ensemble) as a surrogate.

``predict(x) -> (mean, sigma)`` on the raw input columns: each member's output is mapped
back through the saved preprocessing; the mean is the members' mean, sigma their spread
times ``sigma_scale``, a factor calibrated on held-out data so that sigma covers the truth at
68 % of points (members share much of their error, so the raw spread is too small)
(sample standard deviation; NaN for a single network: no error estimate). Networks that
predict their own error (``hepemu.models.bayesian``) give σ_tot instead (weight draws and
members, :meth:`NetworkRegressor.uncertainties`), not rescaled unless calibrated.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch
from torch import nn

from hepemu.models.envelope import header_json, load_envelope
from hepemu.models.network_specs import build_network
from hepemu.models.preprocessing import Preprocessing
from hepemu.models.surrogate import Surrogate

KIND = "network"


def _devices(device) -> list:
    """The CUDA device whose random state a prediction forks (none on the CPU)."""
    return [device] if getattr(device, "type", "cpu") == "cuda" else []


class NetworkRegressor(Surrogate):
    """Members with one network spec, one preprocessing, named input columns and target."""

    kind = KIND
    region_slack = 0.01  # the training rows' extremes, not the region's edges

    def __init__(
        self,
        members: list[nn.Module],
        spec: dict,
        preprocessing: Preprocessing,
        input_columns: list[str],
        target: str,
        info: dict | None = None,
        sigma_scale: float = 1.0,
        sigma_floor: float = 0.0,
    ) -> None:
        if not members:
            raise ValueError("need at least one network")
        self.members = [m.eval() for m in members]
        self.spec = dict(spec)
        self.pre = preprocessing
        self.input_columns = list(input_columns)
        self.target = target
        self.info = dict(info or {})
        self.sigma_scale, self.sigma_floor = float(sigma_scale), float(sigma_floor)

    @property
    def n_members(self) -> int:
        return len(self.members)

    def _dtype_device(self):
        p = next(self.members[0].parameters())
        return p.dtype, p.device

    @torch.no_grad()
    def member_predictions(self, x: np.ndarray, batch: int = 65536) -> np.ndarray:
        """Every member's prediction on the truth scale, shape (members, N)."""
        x = self.checked(x)
        dtype, device = self._dtype_device()
        z = np.empty((self.n_members, len(x)))
        enc = self.pre.encode_x(x)
        for start in range(0, len(x), batch):
            xt = torch.as_tensor(enc[start : start + batch], dtype=dtype, device=device)
            for m, net in enumerate(self.members):
                z[m, start : start + batch] = net(xt).double().cpu().numpy()
        return self.pre.decode_y(x, z)

    @property
    def probabilistic(self) -> bool:
        """Members predict their own error (``hepemu.models.bayesian``: bnn, hetero)."""
        return bool(getattr(self.members[0], "probabilistic", False))

    @torch.no_grad()
    def draws(
        self, x: np.ndarray, samples: int = 50, batch: int = 65536, seed: int = 0
    ) -> tuple[np.ndarray, np.ndarray]:
        """Ā(ω) and σ_model(ω)² on the truth scale for every draw, each (draws, N).

        Every Bayesian member is sampled ``samples`` times (weights ω ~ q), a deterministic
        one once; σ_model(ω) is mapped back through the target preprocessing as the
        half-width of the image of z ± σ_z. Reproducible (``seed``).
        """
        if not self.probabilistic:
            raise ValueError("this model's networks do not predict their own error")
        x = self.checked(x)
        dtype, device = self._dtype_device()
        enc = self.pre.encode_x(x)
        means, var_model = [], []
        with torch.random.fork_rng(devices=_devices(device)):
            torch.manual_seed(seed)
            for net in self.members:
                bayes = getattr(net, "bayesian", False)
                for _ in range(samples if bayes else 1):
                    mean_z, sig_z = np.empty(len(x)), np.empty(len(x))
                    for start in range(0, len(x), batch):
                        xt = torch.as_tensor(enc[start : start + batch], dtype=dtype, device=device)
                        m, logvar = net.heads(xt, sample=bayes)
                        mean_z[start : start + batch] = m.double().cpu().numpy()
                        sig_z[start : start + batch] = (
                            torch.exp(0.5 * logvar).double().cpu().numpy()
                        )
                    hi, lo = self.pre.decode_y(x, np.stack([mean_z + sig_z, mean_z - sig_z]))
                    means.append(self.pre.decode_y(x, mean_z))
                    var_model.append((0.5 * np.abs(hi - lo)) ** 2)
        return np.array(means), np.array(var_model)

    def uncertainties(
        self, x: np.ndarray, samples: int = 50, batch: int = 65536, seed: int = 0
    ) -> dict[str, np.ndarray]:
        """⟨A⟩, σ_model, σ_pred and σ_tot on the truth scale (loop-BNN paper, eqs. (8)–(11)):
        ⟨A⟩ is the mean of the draws Ā(ω) (:meth:`draws`), σ_pred their spread (across
        weight draws and members: a deep ensemble's spread), σ_model² the mean of
        σ_model(ω)², σ_tot² = σ_model² + σ_pred²."""
        means, var_model = self.draws(x, samples, batch, seed)
        sigma_model = np.sqrt(var_model.mean(axis=0))
        sigma_pred = means.std(axis=0)
        return {
            "mean": means.mean(axis=0),
            "sigma_model": sigma_model,
            "sigma_pred": sigma_pred,
            "sigma_tot": np.sqrt(sigma_model**2 + sigma_pred**2),
        }

    @property
    def has_error(self) -> bool:
        return self.probabilistic or self.n_members > 1

    def mean_and_spread(self, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The mean and its uncalibrated error: σ_tot for networks predicting their own
        error, else the ensemble spread (NaN for one member: no error estimate)."""
        if self.probabilistic:
            u = self.uncertainties(x)
            return u["mean"], u["sigma_tot"]
        preds = self.member_predictions(x)
        mean = preds.mean(axis=0)
        if self.n_members < 2:
            return mean, np.full_like(mean, np.nan)
        return mean, preds.std(axis=0, ddof=1)

    def region_problems(self, x: np.ndarray) -> list[tuple[str, np.ndarray]]:
        """The training data's input box and, for a matrix-element emulator (momenta in, msq
        out), its provider's cuts, y_min and collision energy."""
        problems = super().region_problems(x)
        dataset = self.info.get("dataset") or {}
        if self.target == "msq" and len(self.input_columns) % 4 == 0 and dataset:
            from hepemu.models.momentum_region import trained_region

            p = np.asarray(x, dtype=float).reshape(len(x), -1, 4)
            problems += [(what, bad(p)) for what, bad in trained_region(dataset)]
        return problems

    def graph(self, dtype: torch.dtype = torch.float64, own_erf: bool = False) -> nn.Module:
        """The whole prediction as a torch module (:class:`RegressorGraph`)."""
        from hepemu.models.regressor_graph import RegressorGraph

        return RegressorGraph(self, dtype).eval()

    def example_inputs(self, n: int, rng: np.random.Generator) -> np.ndarray:
        """``n`` rows drawn through the provider the model was trained on (a dataset without
        one, e.g. imported from a table: uniform rows in the training box)."""
        from hepemu.physics.providers import get_provider

        if not self.pre.provider:
            return super().example_inputs(n, rng)

        provider = get_provider(self.pre.provider)
        rows = np.empty((0, len(self.input_columns)))
        for _ in range(100):
            x, kept = provider.from_unit(rng.random((16 * n, provider.unit_dim)))
            rows = np.concatenate([rows, x[kept]])
            if len(rows) >= n:
                return rows[:n]
        raise ValueError(f"{provider.name} kept too few points to make {n} example inputs")

    def describe(self) -> str:
        what, cols = self.spec.get("kind", "network"), ", ".join(self.input_columns)
        return f"{self.n_members} × {what} network(s) for {self.target}({cols})"

    def to(self, device) -> NetworkRegressor:
        for m in self.members:
            m.to(device)
        return self

    def tensors(self) -> dict[str, torch.Tensor]:
        return {
            f"member{i}.{k}": v
            for i, m in enumerate(self.members)
            for k, v in m.state_dict().items()
        }

    def settings(self) -> dict:
        return {
            "n_members": self.n_members,
            "model": self.spec,
            "preprocessing": self.pre.to_dict(),
        }

    @classmethod
    def from_envelope(cls, tensors: dict, header: dict) -> NetworkRegressor:
        spec = header_json(header, "model")
        cols = header_json(header, "input_columns")
        pre = Preprocessing.from_dict(header_json(header, "preprocessing"))
        members = []
        for i in range(int(header_json(header, "n_members"))):
            prefix = f"member{i}."
            state = {k[len(prefix) :]: v for k, v in tensors.items() if k.startswith(prefix)}
            net = build_network(pre.n_features, spec).to(next(iter(state.values())).dtype)
            net.load_state_dict(state)
            members.append(net)
        info = header_json(header, "info", {})
        scale = float(header_json(header, "sigma_scale", 1.0))
        floor = float(header_json(header, "sigma_floor", 0.0))
        return cls(members, spec, pre, cols, header_json(header, "target"), info, scale, floor)

    @classmethod
    def load(cls, path: str | Path) -> NetworkRegressor:
        tensors, header = load_envelope(path)
        return cls.from_envelope(tensors, header)
