"""The base the two interpolant kinds (``chebyshev``, ``sparse-grid``) share.

It holds a box of parameters with per-axis maps to t ∈ [−1, 1] (:mod:`hepemu.data.nodes`),
a target transform (``none``: y = p, ``log``: y = sign·exp p), a constant error estimate on
the transformed scale (relative for ``log``), the provider that labelled the nodes (for
:meth:`BoxInterpolant.reference`), the refusal of points outside the box, the envelope
settings and the export graph around the expansion. Each kind supplies only its
coefficients and their evaluation.
"""

from __future__ import annotations

from typing import ClassVar

import numpy as np
import torch
from torch import nn

from hepemu.models.envelope import header_json
from hepemu.models.surrogate import Region, Surrogate

TRANSFORMS = ("none", "log")
BOX_TOLERANCE = 1e-12  # relative to the box width: rows this close to it count as inside


class BoxInterpolant(Surrogate):
    """Base of the interpolants on a box: subclasses set ``self.bounds`` (d, 2) and
    ``self.maps`` and then call :meth:`init_box`; they implement :meth:`transformed`,
    :meth:`tensors`, :meth:`envelope_arrays` and :meth:`graph`."""

    region_slack = BOX_TOLERANCE  # the same edge tolerance as check_valid

    noun: ClassVar[str]  # e.g. "Chebyshev interpolant", in the refusal outside the box
    box_source: ClassVar[str]  # the region's description, e.g. "the interpolant's box"

    bounds: np.ndarray
    maps: tuple[str, ...]
    tail: float  # the uncalibrated error on the transformed scale

    def init_box(
        self,
        input_columns: list[str],
        target: str,
        transform: str,
        sign: float,
        provider: str | None,
        provider_options: dict | None,
        reference_options: dict | None,
        info: dict | None,
        sigma_scale: float,
        sigma_floor: float,
    ) -> None:
        """Check and set what every box interpolant holds besides its box and expansion."""
        if transform not in TRANSFORMS:
            raise ValueError(f"transform must be one of {', '.join(TRANSFORMS)}, got {transform!r}")
        if sign not in (1.0, -1.0):
            raise ValueError(f"sign must be 1 or -1, got {sign}")
        if len(input_columns) != len(self.bounds):
            raise ValueError(f"{len(input_columns)} input columns for a {len(self.bounds)}-D box")
        self.input_columns, self.target = list(input_columns), target
        self.transform, self.sign = transform, float(sign)
        self.provider = provider
        self.provider_options = dict(provider_options or {})
        self.reference_options = dict(reference_options or self.provider_options)
        self.info = dict(info or {})
        self.sigma_scale, self.sigma_floor = float(sigma_scale), float(sigma_floor)

    # -- prediction -------------------------------------------------------------------
    def transformed(self, x: np.ndarray) -> np.ndarray:
        """p(t(x)), the expansion on the transformed scale, at rows ``x`` inside the box."""
        raise NotImplementedError

    def mean_and_spread(self, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The interpolant and its error estimate ``tail`` (relative to |mean| for ``log``)."""
        x = self.checked(x)
        self.check_valid(x)
        p = self.transformed(x)
        if self.transform == "log":
            mean = self.sign * np.exp(p)
            return mean, self.tail * np.abs(mean)
        return p, np.full(len(p), self.tail)

    # -- region -----------------------------------------------------------------------
    def region(self) -> Region:
        return Region(tuple(self.input_columns), self.bounds.copy(), self.box_source)

    def check_valid(self, x: np.ndarray) -> None:
        """``ValueError`` naming the rows (from 1) outside the box: no extrapolation."""
        box = self.region()
        bad = np.flatnonzero(box.outside(self.checked(x), BOX_TOLERANCE))
        if len(bad):
            rows = ", ".join(map(str, bad[:10] + 1)) + (" …" if len(bad) > 10 else "")
            raise ValueError(
                f"{len(bad)} point(s) outside {box.describe()}: rows {rows} (a {self.noun} "
                "does not extrapolate)"
            )

    # -- truth, description -----------------------------------------------------------
    def reference(self, n: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
        """``n`` uniform points of the box and their values by the provider that labelled
        the nodes, with ``reference_options`` (e.g. a finer quadrature rule)."""
        if self.provider is None:
            return super().reference(n, seed)
        from hepemu.physics.providers import get_provider

        lo, hi = self.bounds[:, 0], self.bounds[:, 1]
        x = lo + (hi - lo) * np.random.default_rng(seed).random((n, len(lo)))
        truth = get_provider(self.provider, dict(self.reference_options))
        return x, np.asarray(truth(x), dtype=float)

    def described_parts(self) -> tuple[str, str, str]:
        """(what is interpolated, the axes and their maps, the labelling provider) for
        :meth:`describe`."""
        axes = ", ".join(f"{c} {m}" for c, m in zip(self.input_columns, self.maps, strict=True))
        what = f"log {self.target}" if self.transform == "log" else self.target
        src = f" labelled by {self.provider}" if self.provider else ""
        return what, axes, src

    # -- persistence ------------------------------------------------------------------
    def settings(self) -> dict:
        return {
            "bounds": self.bounds.tolist(),
            "maps": list(self.maps),
            "transform": self.transform,
            "sign": self.sign,
            "tail": self.tail,
            "provider": self.provider,
            "provider_options": self.provider_options,
            "reference_options": self.reference_options,
        }

    @classmethod
    def envelope_arrays(cls, tensors: dict) -> tuple[np.ndarray, ...]:
        """The constructor's leading arrays (the expansion) from the envelope's tensors."""
        raise NotImplementedError

    @classmethod
    def from_envelope(cls, tensors: dict, header: dict) -> BoxInterpolant:
        """Rebuild from a loaded (digest-checked) envelope of this kind."""
        get = lambda k, d=None: header_json(header, k, d)  # noqa: E731
        return cls(
            *cls.envelope_arrays(tensors),
            get("bounds"),
            get("maps"),
            get("input_columns"),
            get("target"),
            transform=get("transform"),
            sign=float(get("sign")),
            tail=float(get("tail")),
            provider=header_json(header, "provider") if header.get("provider") else None,
            provider_options=get("provider_options", {}),
            reference_options=get("reference_options", {}),
            info=get("info", {}),
            sigma_scale=float(get("sigma_scale", 1.0)),
            sigma_floor=float(get("sigma_floor", 0.0)),
        )


class BoxGraph(nn.Module):
    """Export form of a :class:`BoxInterpolant`: the axis maps, the clamp to the box, the
    target transform and the calibrated σ in torch operations, NaN outside the box; a
    subclass registers its expansion and implements :meth:`expansion` (p at rows t)."""

    def __init__(self, model: BoxInterpolant, dtype: torch.dtype) -> None:
        super().__init__()
        self.maps, self.log_target, self.sign = model.maps, model.transform == "log", model.sign
        self.tail, self.scale, self.floor = model.tail, model.sigma_scale, model.sigma_floor

    def register_box(self, model: BoxInterpolant, dtype: torch.dtype) -> None:
        """The box's ends on the mapped scale (log|x| on ``log`` axes) as buffers."""
        lo, hi = model.bounds[:, 0].copy(), model.bounds[:, 1].copy()
        for a, m in enumerate(self.maps):
            if m == "log":
                lo[a], hi[a] = np.log(abs(lo[a])), np.log(abs(hi[a]))
        self.register_buffer("lo", torch.tensor(lo, dtype=dtype))
        self.register_buffer("hi", torch.tensor(hi, dtype=dtype))

    def expansion(self, t: torch.Tensor) -> torch.Tensor:
        """p at reference rows ``t`` (N, d), clamped to [−1, 1]."""
        raise NotImplementedError

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        cols = [
            torch.log(torch.abs(x[:, a])) if m == "log" else x[:, a]
            for a, m in enumerate(self.maps)
        ]
        t = 2.0 * (torch.stack(cols, dim=1) - self.lo) / (self.hi - self.lo) - 1.0
        outside = ((t < -1.0 - BOX_TOLERANCE) | (t > 1.0 + BOX_TOLERANCE)).any(dim=1)
        p = self.expansion(torch.clamp(t, -1.0, 1.0))
        if self.log_target:
            mean = self.sign * torch.exp(p)
            spread = self.tail * torch.abs(mean)
        else:
            mean, spread = p, torch.full_like(p, self.tail)
        sigma = torch.sqrt((self.scale * spread) ** 2 + (self.floor * mean) ** 2)
        nan = torch.full_like(mean, float("nan"))
        return torch.where(outside, nan, mean), torch.where(outside, nan, sigma)
