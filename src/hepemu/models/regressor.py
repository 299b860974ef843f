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

from hepemu.models.calibration import coverage_scale, error_ratios
from hepemu.models.envelope import header_json, load_envelope, save_envelope
from hepemu.models.networks import build_network
from hepemu.models.preprocessing import Preprocessing

KIND = "network"


def _devices(device) -> list:
    """The CUDA device whose random state a prediction forks (none on the CPU)."""
    return [device] if getattr(device, "type", "cpu") == "cuda" else []


class NetworkRegressor:
    """Members with one network spec, one preprocessing, named input columns and target."""

    def __init__(
        self,
        members: list[nn.Module],
        spec: dict,
        preprocessing: Preprocessing,
        input_columns: list[str],
        target: str,
        info: dict | None = None,
        sigma_scale: float = 1.0,
    ) -> None:
        if not members:
            raise ValueError("need at least one network")
        self.members = [m.eval() for m in members]
        self.spec = dict(spec)
        self.pre = preprocessing
        self.input_columns = list(input_columns)
        self.target = target
        self.info = dict(info or {})
        self.sigma_scale = float(sigma_scale)

    @property
    def n_members(self) -> int:
        return len(self.members)

    def _dtype_device(self):
        p = next(self.members[0].parameters())
        return p.dtype, p.device

    @torch.no_grad()
    def member_predictions(self, x: np.ndarray, batch: int = 65536) -> np.ndarray:
        """Every member's prediction on the truth scale, shape (members, N)."""
        x = np.atleast_2d(np.asarray(x, dtype=float))
        if x.shape[1] != len(self.input_columns):
            raise ValueError(
                f"expected {len(self.input_columns)} input columns "
                f"({', '.join(self.input_columns)}), got {x.shape[1]}"
            )
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
        x = np.atleast_2d(np.asarray(x, dtype=float))
        if x.shape[1] != len(self.input_columns):
            raise ValueError(f"expected {len(self.input_columns)} input columns, got {x.shape[1]}")
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

    def predict(self, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Mean and error: σ_tot for networks predicting their own error, else the ensemble
        spread (calibrated; NaN for one member: no error estimate)."""
        if self.probabilistic:
            u = self.uncertainties(x)
            return u["mean"], self.sigma_scale * u["sigma_tot"]
        preds = self.member_predictions(x)
        mean = preds.mean(axis=0)
        if self.n_members < 2:
            return mean, np.full_like(mean, np.nan)
        return mean, self.sigma_scale * preds.std(axis=0, ddof=1)

    def calibrate(self, x: np.ndarray, y: np.ndarray, level: float = 0.6827) -> float:
        """Set ``sigma_scale`` so that the error of :meth:`predict` (the ensemble spread, or
        σ_tot for networks predicting their own error) covers |mean − y| at ``level`` of the
        held-out points (x, y); returns it (1 for a single ordinary network)."""
        if self.probabilistic:
            u = self.uncertainties(x)
            mean, spread = u["mean"], u["sigma_tot"]
        elif self.n_members < 2:
            return 1.0
        else:
            preds = self.member_predictions(x)
            mean, spread = preds.mean(axis=0), preds.std(axis=0, ddof=1)
        ratios = error_ratios(mean, y, spread)
        self.sigma_scale = coverage_scale(ratios, [(1.0, level, 0.0)])
        return self.sigma_scale

    def to(self, device) -> NetworkRegressor:
        for m in self.members:
            m.to(device)
        return self

    def save(self, path: str | Path) -> str:
        tensors = {
            f"member{i}.{k}": v
            for i, m in enumerate(self.members)
            for k, v in m.state_dict().items()
        }
        header = {
            "kind": KIND,
            "input_columns": self.input_columns,
            "target": self.target,
            "n_members": self.n_members,
            "model": self.spec,
            "preprocessing": self.pre.to_dict(),
            "sigma_scale": self.sigma_scale,
            "info": self.info,
        }
        return save_envelope(path, tensors, header)

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
        return cls(members, spec, pre, cols, header_json(header, "target"), info, scale)

    @classmethod
    def load(cls, path: str | Path) -> NetworkRegressor:
        tensors, header = load_envelope(path)
        return cls.from_envelope(tensors, header)
