"""Reweighting a generator's Les Houches file: named weights per event.

A surrogate's weight (:class:`Reweighter`) = |M|²_model at the event's momenta, or
XWGTUP × |M|²_model / |M|²_P with a denominator provider P (the matrix element the events
were generated with); scale and PDF variations (:mod:`hepemu.applications.variations`) add
theirs in the same pass. The file is streamed in batches of events
(:mod:`hepemu.applications.lhe_stream`); every byte other than the new weights is kept.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from hepemu.applications.lhe_stream import (
    LHEFormatError,
    open_binary,
    parse_event,
    stream_blocks,
    with_weights,
)
from hepemu.applications.process_legs import process_legs, scale_free
from hepemu.fileio import atomic_path
from hepemu.physics.hadronic import rescaled, to_partonic_frame

BATCH = 4096  # events evaluated together
SQRT_S_TOLERANCE = 1e-6  # relative: √ŝ of an event against the model's √s (not scale-free)
MOMENTUM_TOLERANCE = 1e-6  # relative to √ŝ: momentum conservation of an event


class EventMismatch(ValueError):
    """An event the model cannot weight (other particles, order, energy); names the event."""


@dataclass
class CheckStats:
    """Surrogate against truth on the first events: δ = mean/truth − 1 and σ coverage."""

    deltas: list[float] = field(default_factory=list)
    covered: list[bool] = field(default_factory=list)

    def as_dict(self) -> dict:
        d = np.abs(np.array(self.deltas))
        n = len(d)
        return {
            "events": n,
            "median_abs_delta": float(np.median(d)) if n else None,
            "fraction_within_1pct": float(np.mean(d < 0.01)) if n else None,
            "sigma_coverage": float(np.mean(self.covered)) if n else None,
            "sigma_coverage_expected": 0.6827,
        }


def _describe(legs) -> str:
    return " ".join(f"{pdg}{'(in)' if st < 0 else ''}" for pdg, st in legs)


@dataclass
class Reweighter:
    """What weights an event: the model, its truth provider's legs and √s, a denominator
    and a truth to check against (providers or None)."""

    model: object
    provider: object  # the model's own process (legs, √s, scale behaviour)
    denominator: object | None = None
    check_truth: object | None = None
    check_events: int = 0
    name: str = "surrogate"
    description: str = ""

    def __post_init__(self) -> None:
        self.legs = process_legs(self.provider)
        self.sqrt_s = float(self.provider.sqrt_s)
        self.scale_free = scale_free(self.provider)

    def momenta(self, records, first: int) -> np.ndarray:
        """The events' momenta (N, n, 4) in the partonic frame, in the model's leg order;
        raises :class:`EventMismatch` naming the first event that does not fit."""
        out = np.empty((len(records), len(self.legs), 4))
        for k, rec in enumerate(records):
            keep = np.abs(rec.status) == 1  # intermediate resonances (2) left out
            legs = list(zip(rec.ids[keep].tolist(), rec.status[keep].tolist(), strict=True))
            if legs != self.legs:
                raise EventMismatch(
                    f"event {first + k}: particles {_describe(legs)} do not match the model's "
                    f"legs {_describe(self.legs)} (PDG ids in order, (in) incoming)"
                )
            out[k] = rec.momenta[keep]
        p = to_partonic_frame(out)
        self._check_kinematics(p, first)
        return p

    def _check_kinematics(self, p: np.ndarray, first: int) -> None:
        total_in = p[:, 0] + p[:, 1]
        sqrt_shat = np.sqrt(np.maximum(total_in[:, 0] ** 2 - np.sum(total_in[:, 1:] ** 2, 1), 0))
        imbalance = np.max(np.abs(total_in - p[:, 2:].sum(axis=1)), axis=1)
        bad = [
            (imbalance > MOMENTUM_TOLERANCE * sqrt_shat, "does not conserve momentum"),
            (np.hypot(p[:, 0, 1], p[:, 0, 2]) > MOMENTUM_TOLERANCE * sqrt_shat,
             "has an incoming particle off the z axis"),
            (p[:, 0, 3] <= 0, "has its first incoming particle along -z (the model's is along +z)"),
        ]  # fmt: skip
        if not self.scale_free:
            off = np.abs(sqrt_shat / self.sqrt_s - 1) > SQRT_S_TOLERANCE
            bad.append((off, f"is not at the model's sqrt(s) = {self.sqrt_s:g} GeV"))
        for mask, what in bad:
            if mask.any():
                k = int(np.flatnonzero(mask)[0])
                raise EventMismatch(
                    f"event {first + k} {what} (sqrt(s_hat) = {sqrt_shat[k]:.8g} GeV)"
                )

    def predict(self, p: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The model's |M|² and σ at partonic-frame momenta (rescaled to its √s when the
        process is scale-free: |M|²(p) = λ^(2(n−4)) |M|²(λp), λ = √s/√ŝ)."""
        if self.scale_free:
            x, factor = rescaled(p, self.sqrt_s)
        else:
            x, factor = p.reshape(len(p), -1), np.ones(len(p))
        mean, sigma = self.model.predict(x)
        return np.asarray(mean) * factor, np.asarray(sigma) * factor

    @property
    def names(self) -> dict[str, str]:
        return {self.name: self.description}

    def named_weights(self, records, first: int, check: CheckStats) -> dict[str, np.ndarray]:
        return {self.name: self.weight(records, first, check)}

    def weight(self, records, first: int, check: CheckStats) -> np.ndarray:
        """The new weight of each event (``first``: the 1-based number of the first)."""
        p = self.momenta(records, first)
        flat = p.reshape(len(p), -1)
        mean, sigma = self.predict(p)
        n_check = min(max(self.check_events - (first - 1), 0), len(p))
        if self.check_truth is not None and n_check:
            truth = np.asarray(self.check_truth(flat[:n_check]), dtype=float)
            check.deltas += (mean[:n_check] / truth - 1).tolist()
            check.covered += (np.abs(mean[:n_check] - truth) <= sigma[:n_check]).tolist()
        if self.denominator is None:
            return mean
        den = np.asarray(self.denominator(flat), dtype=float)
        if not np.all(np.isfinite(den) & (den > 0)):
            k = int(np.flatnonzero(~(np.isfinite(den) & (den > 0)))[0])
            raise EventMismatch(f"event {first + k}: the denominator |M|^2 is {den[k]:g}")
        xwgtup = np.array([r.weight for r in records])
        return xwgtup * mean / den


def _named(weighers: list, records, first: int, check: CheckStats) -> dict[str, np.ndarray]:
    out: dict[str, np.ndarray] = {}
    for w in weighers:
        out.update(w.named_weights(records, first, check))
    return out


def _summary(weighers: list, n_events: int, totals: dict[str, float], check) -> dict:
    summary = {"events": n_events, "sums_of_new_weights": totals}
    for w in weighers:
        if isinstance(w, Reweighter):
            summary.update(weight_name=w.name, sum_of_new_weights=totals.get(w.name, 0.0))
            if w.check_truth is not None:
                summary["check"] = check.as_dict()
    return summary


def reweight_file(src: str | Path, out: str | Path, weighers: list, progress=None) -> dict:
    """Stream ``src`` into ``out`` (atomically) with every weigher's weights (a
    :class:`Reweighter`, :class:`~hepemu.applications.variations.Variations`: ``names``
    and ``named_weights``) added to every event; returns a summary (events,
    weight sums, check statistics). ``progress(events)`` is called after every batch.
    Raises :class:`EventMismatch`, ``ValueError`` or :class:`LHEFormatError`."""
    names = {k: v for w in weighers for k, v in w.names.items()}
    if len(names) != sum(len(w.names) for w in weighers):
        raise ValueError("two weights share a name")
    if Path(out).suffix == ".hepmc3":
        return _reweight_to_hepmc(src, out, weighers, names, progress)
    check, n_events, totals = CheckStats(), 0, dict.fromkeys(names, 0.0)
    gz = ".gz" if Path(out).suffix == ".gz" else ""
    with atomic_path(out, gz) as tmp, open_binary(src) as fin, open_binary(tmp, "wb") as fout:
        pending: list[bytes] = []  # chunks after the first event of the batch
        blocks: list[int] = []  # indices of the event blocks in ``pending``

        def flush() -> None:
            nonlocal n_events
            if blocks:
                records = [
                    parse_numbered(pending[i], n_events + 1 + j) for j, i in enumerate(blocks)
                ]
                w = _named(weighers, records, n_events + 1, check)
                for j, i in enumerate(blocks):
                    pending[i] = with_weights(pending[i], {k: float(v[j]) for k, v in w.items()})
                n_events += len(blocks)
                for k, v in w.items():
                    totals[k] += float(np.sum(v))
                if progress is not None:
                    progress(n_events)
            fout.write(b"".join(pending))
            pending.clear()
            blocks.clear()

        for chunk, is_event in stream_blocks(fin, names):
            if is_event:
                blocks.append(len(pending))
            pending.append(chunk)
            if len(blocks) >= BATCH:
                flush()
        flush()
    return _summary(weighers, n_events, totals, check)


def _reweight_to_hepmc(src, out, weighers: list, names: dict, progress=None) -> dict:
    """The events of ``src`` as HepMC3 (:mod:`hepemu.applications.hepmc`) with the weights
    ``Weight`` (XWGTUP) and the new ones; incoming and final legs only."""
    import pyhepmc

    from hepemu.applications.hepmc import gen_event, run_info
    from hepemu.applications.lhe_stream import read_init

    init = read_init(src)
    hadrons = abs(int(init[0])) > 100  # proton beams: partons from them, PDF records
    beams = (int(init[0]), init[2], int(init[6])) if hadrons else None
    run = run_info(pyhepmc, ["Weight", *names], "hepemu reweight")
    check, n_events, blocks = CheckStats(), 0, []
    totals = dict.fromkeys(names, 0.0)

    def flush(f) -> None:
        nonlocal n_events
        records = [parse_numbered(b, n_events + 1 + j) for j, b in enumerate(blocks)]
        w = _named(weighers, records, n_events + 1, check)
        for j, rec in enumerate(records):
            keep = np.abs(rec.status) == 1
            p, ids = rec.momenta[keep], rec.ids[keep].tolist()
            weights = [rec.weight, *(float(w[k][j]) for k in names)]
            f.write(gen_event(pyhepmc, run, n_events + j, p, ids, weights, beams, rec.scale))
        n_events += len(blocks)
        for k, v in w.items():
            totals[k] += float(np.sum(v))
        blocks.clear()
        if progress is not None:
            progress(n_events)

    with atomic_path(out, ".hepmc3") as tmp, open_binary(src) as fin:
        with pyhepmc.open(str(tmp), "w") as f:
            for chunk, is_event in stream_blocks(fin, names):
                if is_event:
                    blocks.append(chunk)
                    if len(blocks) >= BATCH:
                        flush(f)
            if blocks:
                flush(f)
    return _summary(weighers, n_events, totals, check)


def parse_numbered(block: bytes, number: int):
    """:func:`parse_event` with the event's number in the error."""
    try:
        return parse_event(block)
    except LHEFormatError as exc:
        raise LHEFormatError(f"event {number}: {exc}") from None
