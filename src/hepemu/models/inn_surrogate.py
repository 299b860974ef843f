"""An INN replica set as a surrogate for a parametric integral: predict(s) -> (mean, sigma).

Preprocessing (thesis sec. 2.3): parameters scaled to [−1,1]; the integrand optionally
Korobov-transformed and divided by a cheap per-point normalisation, either its value at the
centre of the cube (thesis eq. 2.16) or a 3^k-node Gauss–Legendre estimate of the integral.
Files are safetensors (tensors) + JSON header: loading executes no code. The header holds a
SHA-256 digest of every tensor (name, dtype, shape, bytes), checked on load, so a damaged
file is refused rather than silently giving other numbers.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import numpy as np
import torch
from safetensors import SafetensorError, safe_open
from safetensors.torch import load_file

from hepemu.models.calibration import calibrated_sigma, fit_scale_and_floor
from hepemu.models.envelope import (  # one error class and one writer for every model file
    ModelFileError,
    hash_tensors,
    write_safetensors,
)
from hepemu.models.inn import INN
from hepemu.physics.integrals.base import ParametricIntegral
from hepemu.physics.integrals.quadrature import gauss_legendre_nodes, own_weighted_sums
from hepemu.physics.integrals.registry import get_integral
from hepemu.physics.integrals.transforms import korobov

FORMAT = "hepemu-inn/1"
NORMALISATIONS = ("gl3", "gl2", "centre", "none")


# header entries that change a model's answers: covered by its digest with the tensors
DIGESTED_HEADER = ("format", "integral", "n_replicas", "model", "normalisation", "korobov_order")
# digested when present (files written before them keep their digests)
DIGESTED_IF_PRESENT = ("sigma_scale", "sigma_floor")


def tensor_digest(tensors: dict[str, torch.Tensor], header: dict[str, str]) -> str:
    """SHA-256 over the answer-changing header entries and the names, dtypes, shapes and raw
    bytes of ``tensors`` (sorted by name)."""
    h = hashlib.sha256()
    entries = {k: header.get(k) for k in DIGESTED_HEADER}
    entries |= {k: header[k] for k in DIGESTED_IF_PRESENT if k in header}
    h.update(json.dumps(entries, sort_keys=True).encode())
    hash_tensors(h, tensors)
    return h.hexdigest()


def normalisation(integral: ParametricIntegral, s, scheme: str):
    """Per-point normaliser of the integrand (NumPy or torch ``s`` in physical units)."""
    if scheme == "none":
        return s[:, 0] * 0.0 + 1.0
    k = integral.dim
    if scheme == "centre":
        x = s[:, :1] * 0.0 + 0.5
        x = x.repeat(1, k) if isinstance(s, torch.Tensor) else np.repeat(x, k, axis=1)
        return integral(s, x)
    if scheme in ("gl3", "gl2"):  # 3^k or 2^k Gauss–Legendre nodes (gl2: cheaper at large k)
        nodes, weights = gauss_legendre_nodes(int(scheme[2]), k)
        own = own_weighted_sums(integral)
        if own is not None:  # e.g. sector sums: one rule for every s at once
            return own(s, nodes, weights)
        p = len(weights)
        if isinstance(s, torch.Tensor):
            nodes_t = torch.tensor(nodes, dtype=s.dtype, device=s.device)
            w_t = torch.tensor(weights, dtype=s.dtype, device=s.device)
            vals = integral(s.repeat_interleave(p, 0), nodes_t.repeat(s.shape[0], 1))
            return vals.reshape(-1, p) @ w_t
        vals = integral(np.repeat(s, p, axis=0), np.tile(nodes, (len(s), 1)))
        return vals.reshape(-1, p) @ weights
    raise ValueError(f"normalisation must be one of {NORMALISATIONS}, got {scheme!r}")


def training_target(integral: ParametricIntegral, s, t, korobov_order: int, scheme: str):
    """Normalised (and Korobov-transformed) integrand the derivative network is fitted to."""
    x, w = korobov(t, korobov_order)
    return integral(s, x) * w.prod(-1) / normalisation(integral, s, scheme)


class INNSurrogate:
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

    def predict(self, s: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Replica mean and, as its 1σ error, the replica spread (sample standard deviation)
        calibrated: √((c·spread)² + (d·|mean|)²) with c = ``sigma_scale``, d = ``sigma_floor``.

        The spread, not the standard error of the mean, is the error estimate: replicas share
        most of their error (``benchmarks/inn_error_calibration.py``); :meth:`calibrate` fits
        the factor on held-out points. A single replica has no error estimate: σ is NaN.
        """
        reps = self.replica_integrals(s)
        mean = reps.mean(axis=0)
        if self.n_replicas < 2:
            return mean, np.full_like(mean, np.nan)
        spread = reps.std(axis=0, ddof=1)
        return mean, calibrated_sigma(spread, mean, self.sigma_scale, self.sigma_floor)

    def calibrate(self, s: np.ndarray, truth: np.ndarray) -> tuple[float, float]:
        """Set ``sigma_scale`` and ``sigma_floor`` from held-out points (s, truth) so that the
        error covers the truth at 68 % (1σ) and 95 % (2σ) of them as nearly as possible
        (:func:`hepemu.models.calibration.fit_scale_and_floor`); returns them."""
        if self.n_replicas < 2:
            raise ValueError("calibration needs at least 2 replicas (a spread)")
        reps = self.replica_integrals(s)
        mean, spread = reps.mean(axis=0), reps.std(axis=0, ddof=1)
        self.sigma_scale, self.sigma_floor = fit_scale_and_floor(mean, truth, spread)
        return self.sigma_scale, self.sigma_floor

    def graph(self, dtype: torch.dtype = torch.float64, device: str | torch.device = "cpu"):
        """The whole prediction as a torch module on ``device``: s (N, m) tensor → (mean,
        sigma), no NumPy round trips (:class:`hepemu.models.inn_graph.INNGraph`)."""
        from hepemu.models.inn_graph import INNGraph

        return INNGraph(self, dtype, own_erf=False).to(device).eval()

    def to(self, device: str | torch.device, dtype: torch.dtype | None = None) -> INNSurrogate:
        for r in self.replicas:
            r.to(device=device, dtype=dtype)
        return self

    # -- persistence --------------------------------------------------------------------
    def save(self, path: str | Path) -> str:
        """Write the replica set to a safetensors file; returns its SHA-256."""
        path = Path(path)
        tensors = {}
        for i, r in enumerate(self.replicas):
            for name, t in r.state_dict().items():
                tensors[f"replica{i}.{name}"] = t.detach().cpu().contiguous()
        header = {
            "format": FORMAT,
            "integral": self.integral.name,
            "n_replicas": str(self.n_replicas),
            "model": json.dumps(self.replicas[0].config()),
            "normalisation": self.normalisation,
            "korobov_order": str(self.korobov_order),
            "info": json.dumps(self.info),
        }
        if (self.sigma_scale, self.sigma_floor) != (1.0, 0.0):
            header["sigma_scale"] = repr(self.sigma_scale)
            header["sigma_floor"] = repr(self.sigma_floor)
        header["tensor_sha256"] = tensor_digest(tensors, header)
        return write_safetensors(path, tensors, header)

    @classmethod
    def load(cls, path: str | Path, device: str = "cpu") -> INNSurrogate:
        """Load a replica set written by :meth:`save`; never unpickles anything."""
        path = Path(path)
        if not path.is_file():
            raise ModelFileError(f"model file not found: {path}")
        try:
            with safe_open(str(path), framework="pt") as fh:
                header = fh.metadata() or {}
            tensors = load_file(str(path), device="cpu")
        except (SafetensorError, OSError, ValueError, RuntimeError) as exc:
            raise ModelFileError(
                f"{path} is not a readable safetensors model file: {exc}"
            ) from None
        if header.get("format") != FORMAT:
            raise ModelFileError(
                f"{path} is not a hepemu INN model (format={header.get('format')})"
            )
        expected = header.get("tensor_sha256")
        if expected is None:
            raise ModelFileError(
                f"{path} stores no tensor digest (written before hepemu checked model files), "
                "so its weights cannot be verified; retrain it or re-save it with "
                "hepemu.models.inn_surrogate.resave_unverified"
            )
        if tensor_digest(tensors, header) != expected:
            raise ModelFileError(
                f"{path} is corrupted: its weights or settings do not match the digest in its "
                "header"
            )
        try:
            integral = get_integral(header["integral"])
            cfg = json.loads(header["model"])
            n_rep = int(header["n_replicas"])
            replicas = []
            for i in range(n_rep):
                prefix = f"replica{i}."
                state = {k[len(prefix) :]: v for k, v in tensors.items() if k.startswith(prefix)}
                if not state:
                    raise KeyError(f"replica {i} has no tensors")
                net = INN(**cfg).to(dtype=next(iter(state.values())).dtype)
                net.load_state_dict(state)
                replicas.append(net)
            surrogate = cls(
                integral,
                replicas,
                normalisation=header.get("normalisation", "gl3"),
                korobov_order=int(header.get("korobov_order", "0")),
                info=json.loads(header.get("info", "{}")),
                sigma_scale=float(header.get("sigma_scale", "1.0")),
                sigma_floor=float(header.get("sigma_floor", "0.0")),
            )
        except (KeyError, ValueError, TypeError, RuntimeError) as exc:
            raise ModelFileError(f"{path}: inconsistent hepemu INN model: {exc}") from None
        try:
            return surrogate.to(device)
        except (RuntimeError, AssertionError) as exc:
            raise ModelFileError(f"cannot move the model to device {device!r}: {exc}") from None


def resave_unverified(path: str | Path, out: str | Path) -> str:
    """Re-save a model file from before tensor digests, adding one (trusting its weights)."""
    tensors = load_file(str(path), device="cpu")
    with safe_open(str(path), framework="pt") as fh:
        header = dict(fh.metadata() or {})
    header["tensor_sha256"] = tensor_digest(tensors, header)
    return write_safetensors(out, tensors, header)


def merge_surrogates(parts: list[INNSurrogate]) -> INNSurrogate:
    """One replica set from several with the same integral, preprocessing and network shape."""
    if not parts:
        raise ValueError("nothing to merge")
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
