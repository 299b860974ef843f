"""Boosted decision trees (XGBoost) as a surrogate.

The trees are trained on the same saved preprocessing as the networks: inputs encoded with
``Preprocessing.encode_x``, the target with ``encode_y``, predictions mapped back with
``decode_y``. One BDT has no error estimate, so ``predict`` returns sigma = NaN. The model
travels in the hepemu envelope as XGBoost's own UBJSON bytes (a uint8 tensor, covered by the
file's digest); loading parses that format and executes no code (no pickle).

XGBoost evaluates trees in float32: leaf values and the encoded inputs are single precision,
so a prediction's relative resolution is ~1e-7 times the encoded target's size, far below
the |δ| ~ 1e-3 a BDT reaches.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch
import xgboost as xgb

from hepemu.models.envelope import ModelFileError, bytes_tensor, header_json, load_envelope
from hepemu.models.preprocessing import Preprocessing
from hepemu.models.surrogate import Surrogate

KIND = "bdt"
MODEL_TENSOR = "xgboost.ubj"


def gpu_visible() -> bool:
    """Whether a CUDA GPU is visible (to torch, or to the NVIDIA driver when torch is a CPU
    build)."""
    if torch.cuda.is_available():
        return True
    gpus = Path("/proc/driver/nvidia/gpus")
    try:
        return gpus.is_dir() and any(gpus.iterdir())
    except OSError:
        return False


def xgboost_device(name: str) -> str:
    """XGBoost's device for a card's ``training.device``: ``auto`` is ``cuda`` when XGBoost
    was built with CUDA and a GPU is visible, else ``cpu``; ``cuda[:i]`` needs both
    (``ValueError`` otherwise)."""
    head, _, index = name.partition(":")
    if head == "cpu":
        return "cpu"
    usable = bool(xgb.build_info().get("USE_CUDA", False)) and gpu_visible()
    if head == "auto":
        return "cuda" if usable else "cpu"
    if head != "cuda" or (index and not index.isdigit()):
        raise ValueError(f"unknown device {name!r}; use auto, cpu, cuda or cuda:N")
    if not usable:
        raise ValueError(
            f"device {name!r} requested but XGBoost has no CUDA build or no GPU is visible"
        )
    return name


class TreeRegressor(Surrogate):
    """An XGBoost booster with its preprocessing, named input columns and target.

    Parameters
    ----------
    booster : the trained ``xgboost.Booster`` (its trees are the whole model: a booster from
        an early-stopped run should already be cut at its best iteration).
    preprocessing : the saved input/target maps the booster was trained on.
    input_columns, target : names of the raw input columns and of the target.
    params : the tree settings (max_depth, learning_rate, …) recorded with the model.
    info : free-form provenance (training members, input ranges, card, dataset).
    """

    kind = KIND
    region_slack = 0.01  # the training rows' extremes, not the region's edges

    def __init__(
        self,
        booster: xgb.Booster,
        preprocessing: Preprocessing,
        input_columns: list[str],
        target: str,
        params: dict | None = None,
        info: dict | None = None,
    ) -> None:
        self.booster = booster
        self.pre = preprocessing
        self.input_columns = list(input_columns)
        self.target = target
        self.params = dict(params or {})
        self.info = dict(info or {})
        self._raw: bytes | None = None
        self._nthread = 0
        self.booster.set_param({"device": "cpu"})  # inputs arrive as NumPy arrays

    @property
    def n_trees(self) -> int:
        """Boosting rounds in the model (one tree each for a scalar target)."""
        return int(self.booster.num_boosted_rounds())

    def raw(self) -> bytes:
        """The booster in XGBoost's UBJSON format (what the envelope stores)."""
        if self._raw is None:
            self._raw = bytes(self.booster.save_raw(raw_format="ubj"))
        return self._raw

    @property
    def size_bytes(self) -> int:
        """Size of the XGBoost model (UBJSON bytes), the model's share of its file."""
        return len(self.raw())

    def predict_encoded(self, x: np.ndarray) -> np.ndarray:
        """The booster's output z (the preprocessed target) at raw inputs ``x``, shape (N,)."""
        x = self.checked(x)
        threads = torch.get_num_threads()  # follows --threads / HEPEMU_THREADS like torch
        if threads != self._nthread:
            self.booster.set_param({"nthread": threads})
            self._nthread = threads
        enc = np.ascontiguousarray(self.pre.encode_x(x), dtype=np.float32)
        return np.asarray(self.booster.inplace_predict(enc), dtype=float).reshape(len(x))

    @property
    def has_error(self) -> bool:
        return False

    def mean_and_spread(self, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Prediction on the truth scale and spread NaN (a single BDT has no error bar)."""
        x = self.checked(x)
        mean = self.pre.decode_y(x, self.predict_encoded(x))
        return mean, np.full_like(mean, np.nan)

    def describe(self) -> str:
        return f"boosted decision trees ({self.n_trees} trees) for {self.target}"

    @property
    def n_parameters(self) -> int:
        return self.size_bytes

    # -- persistence ----------------------------------------------------------------------
    def tensors(self) -> dict[str, torch.Tensor]:
        return {MODEL_TENSOR: bytes_tensor(self.raw())}

    def settings(self) -> dict:
        return {
            "model": {**self.params, "n_trees": self.n_trees, "format": "ubj"},
            "preprocessing": self.pre.to_dict(),
        }

    @classmethod
    def from_envelope(cls, tensors: dict, header: dict) -> TreeRegressor:
        """Rebuild from a loaded (digest-checked) envelope."""
        if MODEL_TENSOR not in tensors:
            raise ModelFileError(f"bdt model file has no {MODEL_TENSOR!r} tensor")
        blob = tensors[MODEL_TENSOR]
        if blob.dtype != torch.uint8 or blob.dim() != 1:
            raise ModelFileError(f"{MODEL_TENSOR!r} must be a 1-D uint8 tensor")
        raw = blob.numpy().tobytes()
        booster = xgb.Booster()
        try:
            booster.load_model(bytearray(raw))
        except xgb.core.XGBoostError as exc:
            why = str(exc).splitlines()[0].split(": ", 1)[-1]  # drop XGBoost's time and source
            raise ModelFileError(f"unreadable XGBoost model: {why}") from None
        params = dict(header_json(header, "model"))
        for key in ("n_trees", "format"):
            params.pop(key, None)
        model = cls(
            booster,
            Preprocessing.from_dict(header_json(header, "preprocessing")),
            header_json(header, "input_columns"),
            header_json(header, "target"),
            params,
            header_json(header, "info", {}),
        )
        model._raw = raw
        return model

    @classmethod
    def load(cls, path: str | Path) -> TreeRegressor:
        """Load a ``bdt`` model file (digest verified)."""
        tensors, header = load_envelope(path)
        if header_json(header, "kind") != KIND:
            raise ModelFileError(f"{path} holds a {header_json(header, 'kind')!r} model, not bdt")
        return cls.from_envelope(tensors, header)
