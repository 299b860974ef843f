"""An INN replica set as a surrogate for a parametric integral: predict(s) -> (mean, sigma).

Preprocessing (thesis sec. 2.3): parameters scaled to [−1,1]; the integrand optionally
Korobov-transformed and divided by a cheap per-point normalisation
(:mod:`hepemu.models.inn_target`). Saved in the one envelope as kind ``inn`` (safetensors +
JSON header with a digest of every tensor and setting, checked on load; loading executes no
code). Files of the earlier ``hepemu-inn/1`` format load through
:mod:`hepemu.models.loading`.
"""

from __future__ import annotations

import json

import numpy as np
import torch

from hepemu.models.envelope import ModelFileError, header_json
from hepemu.models.inn import INN
from hepemu.models.inn_target import NORMALISATIONS, normalisation, training_target
from hepemu.models.surrogate import Region, Surrogate
from hepemu.physics.integrals.base import ParametricIntegral
from hepemu.physics.integrals.quadrature import reference_integrals
from hepemu.physics.integrals.registry import get_integral

KIND = "inn"
__all__ = [
    "INNSurrogate",
    "ModelFileError",
    "NORMALISATIONS",
    "merge_surrogates",
    "normalisation",
    "training_target",
]


class INNSurrogate(Surrogate):
    """Replica set of INNs for one parametric integral.

    Parameters
    ----------
    integral
        The truth provider the networks were trained on.
    replicas
        Trained :class:`INN` modules with identical configuration.
    normalisation
        ``"gl3"``, ``"gl2"``, ``"centre"`` or ``"none"``.
    korobov_order
        Korobov order used for the training target (integral unchanged by it).
    info
        Free-form metadata (training settings, measured digits).
    sigma_scale, sigma_floor
        The error of :meth:`predict`, √((c·spread)² + (d·|I|)²), c = ``sigma_scale`` and d =
        ``sigma_floor``, set by :meth:`calibrate` on held-out points (1, 0: the bare spread).
    """

    def __init__(
        self,
        integral: ParametricIntegral,
        replicas: list[INN],
        normalisation: str = "gl3",
        korobov_order: int = 0,
        info: dict | None = None,
        sigma_scale: float = 1.0,
        sigma_floor: float = 0.0,
    ) -> None:
        if not replicas:
            raise ValueError("need at least one replica")
        if normalisation not in NORMALISATIONS:
            raise ValueError(
                f"normalisation must be one of {NORMALISATIONS}, got {normalisation!r}"
            )
        if korobov_order < 0:
            raise ValueError(f"korobov_order must be >= 0, got {korobov_order}")
        dtypes = {next(r.parameters()).dtype for r in replicas}
        if len(dtypes) > 1:
            raise ValueError(f"replicas must share one dtype, got {sorted(map(str, dtypes))}")
        self.integral = integral
        self.replicas = [r.eval() for r in replicas]
        self.normalisation = normalisation
        self.korobov_order = korobov_order
        self.info = dict(info or {})
        if not (np.isfinite(sigma_scale) and sigma_scale > 0):
            raise ValueError(f"sigma_scale must be positive, got {sigma_scale}")
        if not (np.isfinite(sigma_floor) and sigma_floor >= 0):
            raise ValueError(f"sigma_floor must be non-negative, got {sigma_floor}")
        self.sigma_scale, self.sigma_floor = float(sigma_scale), float(sigma_floor)

    kind = KIND

    @property
    def n_replicas(self) -> int:
        return len(self.replicas)

    @property
    def input_columns(self) -> list[str]:
        """The parameters ``s`` the integral depends on (the surrogate's inputs)."""
        return list(self.integral.param_names)

    target = "I"

    def _dtype_device(self):
        p = next(self.replicas[0].parameters())
        return p.dtype, p.device

    @torch.no_grad()
    def replica_integrals(self, s: np.ndarray, batch: int = 65536) -> np.ndarray:
        """Integral estimates of every replica, shape (n_replicas, N)."""
        s = np.atleast_2d(np.asarray(s, dtype=float))
        dtype, device = self._dtype_device()
        norm = normalisation(self.integral, s, self.normalisation)
        out = np.empty((self.n_replicas, len(s)))
        for start in range(0, len(s), batch):
            st = torch.as_tensor(
                self.integral.scale_params(s[start : start + batch]), dtype=dtype, device=device
            )
            for r, net in enumerate(self.replicas):
                out[r, start : start + batch] = net.integral(st).double().cpu().numpy()
        return out * norm[None, :]

    @property
    def has_error(self) -> bool:
        return self.n_replicas > 1

    def mean_and_spread(self, s: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Replica mean and spread (sample standard deviation; NaN for a single replica).

        The spread, not the standard error of the mean, is the error estimate: replicas share
        most of their error (``benchmarks/inn_error_calibration.py``); :meth:`calibrate` fits
        the factor and a relative floor on held-out points.
        """
        reps = self.replica_integrals(s)
        mean = reps.mean(axis=0)
        if self.n_replicas < 2:
            return mean, np.full_like(mean, np.nan)
        return mean, reps.std(axis=0, ddof=1)

    def region(self) -> Region:
        """The integral's parameter box."""
        ig = self.integral
        box = np.array(ig.param_ranges, dtype=float).reshape(-1, 2)
        return Region(tuple(ig.param_names), box, f"the parameter box of {ig.name}")

    def check_valid(self, s: np.ndarray) -> None:
        """``ValueError`` naming points where the integral is undefined."""
        self.integral.check_valid(s)

    def region_problems(self, s: np.ndarray) -> list[tuple[str, np.ndarray]]:
        region = dict(zip(self.integral.param_names, self.integral.param_ranges, strict=True))
        return [(f"outside the trained region {region}", self.integral.outside_region(s))]

    def reference(self, n: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
        """``n`` uniform points of the parameter box and their integrals by 32^k
        Gauss–Legendre (lattice QMC above 4 dimensions), as ``integral calibrate`` uses."""
        s = self.integral.sample_params(n, np.random.default_rng(seed))
        return s, reference_integrals(self.integral, s, self.integral.dim)[0]

    def example_inputs(self, n: int, rng: np.random.Generator) -> np.ndarray:
        return self.integral.sample_params(n, rng)

    def describe(self) -> str:
        cfg = self.replicas[0].config()
        return (
            f"integration network: {self.n_replicas} replica(s) of {cfg} for {self.integral.name}"
        )

    def graph(
        self,
        dtype: torch.dtype = torch.float64,
        own_erf: bool = False,
        device: str | torch.device = "cpu",
    ) -> torch.nn.Module:
        """The whole prediction as a torch module on ``device``: s (N, m) tensor → (mean,
        sigma), no NumPy round trips (:class:`hepemu.models.inn_graph.INNGraph`); ``own_erf``:
        GELU's erf from elementary operations (ONNX Runtime has no float64 Erf)."""
        from hepemu.models.inn_graph import INNGraph

        return INNGraph(self, dtype, own_erf=own_erf).to(device).eval()

    def to(self, device: str | torch.device, dtype: torch.dtype | None = None) -> INNSurrogate:
        for r in self.replicas:
            r.to(device=device, dtype=dtype)
        return self

    # -- persistence --------------------------------------------------------------------
    def tensors(self) -> dict[str, torch.Tensor]:
        return {
            f"replica{i}.{name}": t.detach().cpu().contiguous()
            for i, r in enumerate(self.replicas)
            for name, t in r.state_dict().items()
        }

    def settings(self) -> dict:
        return {
            "integral": self.integral.name,
            "n_replicas": self.n_replicas,
            "model": self.replicas[0].config(),
            "normalisation": self.normalisation,
            "korobov_order": self.korobov_order,
        }

    @classmethod
    def from_settings(
        cls,
        tensors: dict[str, torch.Tensor],
        settings: dict,
        info: dict,
        scale: float,
        floor: float,
    ) -> INNSurrogate:
        """Rebuild from tensors and the settings of :meth:`settings` (any file format)."""
        integral = get_integral(settings["integral"])
        cfg = dict(settings["model"])
        replicas = []
        for i in range(int(settings["n_replicas"])):
            prefix = f"replica{i}."
            state = {k[len(prefix) :]: v for k, v in tensors.items() if k.startswith(prefix)}
            if not state:
                raise KeyError(f"replica {i} has no tensors")
            net = INN(**cfg).to(dtype=next(iter(state.values())).dtype)
            net.load_state_dict(state)
            replicas.append(net)
        return cls(
            integral,
            replicas,
            normalisation=settings.get("normalisation", "gl3"),
            korobov_order=int(settings.get("korobov_order", 0)),
            info=info,
            sigma_scale=scale,
            sigma_floor=floor,
        )

    @classmethod
    def from_envelope(cls, tensors: dict, header: dict) -> INNSurrogate:
        """Rebuild from a loaded (digest-checked) ``kind = "inn"`` envelope."""
        keys = ("integral", "n_replicas", "model", "normalisation", "korobov_order")
        settings = {k: header_json(header, k) for k in keys}
        return cls.from_settings(
            tensors,
            settings,
            header_json(header, "info", {}),
            float(header_json(header, "sigma_scale", 1.0)),
            float(header_json(header, "sigma_floor", 0.0)),
        )


def merge_surrogates(parts: list[INNSurrogate]) -> INNSurrogate:
    """One replica set from several with the same integral, preprocessing and network shape."""
    if not parts:
        raise ValueError("nothing to merge")
    others = sorted({p.kind for p in parts} - {KIND})
    if others:
        raise ValueError(f"only integration networks merge; got {', '.join(others)} model(s)")
    first = parts[0]

    def key(p: INNSurrogate) -> tuple:
        return (
            p.integral.name,
            p.normalisation,
            p.korobov_order,
            json.dumps(p.replicas[0].config()),
            str(p._dtype_device()[0]),
        )

    for p in parts[1:]:
        if key(p) != key(first):
            raise ValueError(
                f"cannot merge replica sets with different settings: {key(first)} vs {key(p)}"
            )
    info = {"merged_from": [p.info for p in parts]}
    return INNSurrogate(
        first.integral,
        [r for p in parts for r in p.replicas],
        first.normalisation,
        first.korobov_order,
        info,
    )
