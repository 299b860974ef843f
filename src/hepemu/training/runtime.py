"""The training runtime shared by every trainer (INN replicas, network members, trees).

- :class:`Runtime`: device (``cpu``, ``cuda``, ``cuda:N``, ``auto``), dtype (``float32``,
  ``float64``) and torch threads (:mod:`hepemu.threads`), resolved once per run.
- :class:`Clock`: training time across resumptions, the time limit (a run stops cleanly at
  it, checkpointed, and the next call resumes) and the checkpoint cadence.
- :func:`fits_in_memory`: the memory limit (a train split above it is streamed).
- One checkpoint layout: ``out_dir/checkpoint.ckpt.safetensors`` — tensors (weights, optimiser
  moments, RNG state, raw bytes such as an XGBoost booster) plus a JSON header (settings,
  progress, optimiser hyper-parameters), written atomically; never pickle.
- Resume rules: a checkpoint stores the run's settings; resuming compares them with the
  current ones and only the keys a trainer lists as changeable (:data:`RUNTIME_SETTINGS`:
  how a run executes, never what it computes) may differ — anything else (network shape,
  data, seed, …) fails with one line naming the key.

The trainers keep only their step logic.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
from safetensors import safe_open

from hepemu.models.envelope import write_safetensors
from hepemu.threads import set_threads

CHECKPOINT_FILE = "checkpoint.ckpt.safetensors"
CHECKPOINT_FORMAT = "hepemu-checkpoint/1"
# layouts written before the runtime existed (pickled torch blobs; tree runs' booster + JSON)
OLD_CHECKPOINTS = ("checkpoint.pt", "trees.json", "trees.ubj")
# settings that may change when a run resumes: how it runs, not what it computes
RUNTIME_SETTINGS = ("device", "threads", "max_minutes", "checkpoint_every_s", "compile")


class ResumeError(RuntimeError):
    """A run directory that cannot be resumed with the current settings (one line)."""


# -- device, dtype, threads ----------------------------------------------------------------
def resolve_device(name: str) -> torch.device:
    """``auto``, ``cpu`` or ``cuda[:i]`` → a usable device (``ValueError`` if it is not)."""
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    try:
        dev = torch.device(name)
    except RuntimeError:
        raise ValueError(f"unknown device {name!r}; use cpu, cuda, cuda:N or auto") from None
    if dev.type not in ("cpu", "cuda"):
        raise ValueError(f"unsupported device {name!r}; use cpu, cuda, cuda:N or auto")
    if dev.type == "cuda":
        if not torch.cuda.is_available():
            raise ValueError(f"device {name!r} requested but no CUDA device is available")
        if dev.index is not None and dev.index >= torch.cuda.device_count():
            raise ValueError(
                f"device {name!r} requested but only {torch.cuda.device_count()} CUDA "
                "device(s) are visible"
            )
    return dev


def torch_dtype(name: str) -> torch.dtype:
    """``float32`` or ``float64`` → the torch dtype."""
    if name not in ("float32", "float64"):
        raise ValueError(f"unknown dtype {name!r}; use float32 or float64")
    return torch.float64 if name == "float64" else torch.float32


@dataclass(frozen=True)
class Runtime:
    """Where and how a trainer computes: device, dtype, torch threads."""

    device: torch.device
    dtype: torch.dtype
    threads: int

    @classmethod
    def setup(cls, device: str = "auto", dtype: str = "float32", threads: int = 0) -> Runtime:
        """Resolve the device and dtype; ``threads`` > 0 sets torch's intra-op threads
        (0 leaves them as they are: the CLI resolves them with :mod:`hepemu.threads`)."""
        if threads:
            set_threads(int(threads))
        return cls(resolve_device(device), torch_dtype(dtype), torch.get_num_threads())

    def tensor(self, a: Any) -> torch.Tensor:
        """``a`` as a tensor of the run's dtype on its device."""
        return torch.as_tensor(a, dtype=self.dtype, device=self.device)


def fits_in_memory(n_bytes: float, limit_mb: float) -> bool:
    """Whether ``n_bytes`` stay within the memory limit of ``limit_mb`` MiB."""
    return n_bytes <= limit_mb * 2**20


class Clock:
    """Training time of a resumable run: ``elapsed`` counts earlier sessions too, the time
    limit and the checkpoint cadence count this session only.

    Parameters
    ----------
    elapsed0
        Training seconds of the sessions before this one (from the checkpoint).
    limit_s
        Seconds this session may train (None: no limit).
    checkpoint_every_s
        Seconds between periodic checkpoints.
    """

    def __init__(
        self, elapsed0: float = 0.0, limit_s: float | None = None, checkpoint_every_s: float = 60.0
    ) -> None:
        self.elapsed0, self.limit_s, self.every = elapsed0, limit_s, checkpoint_every_s
        self.t0 = self.t_ckpt = time.perf_counter()

    def elapsed(self) -> float:
        """Training seconds so far, all sessions."""
        return self.elapsed0 + time.perf_counter() - self.t0

    def out_of_time(self) -> bool:
        """This session has used up its time limit."""
        return self.limit_s is not None and time.perf_counter() - self.t0 > self.limit_s

    def checkpoint_due(self) -> bool:
        """A periodic checkpoint is due (the next one then counts from now)."""
        now = time.perf_counter()
        if now - self.t_ckpt > self.every:
            self.t_ckpt = now
            return True
        return False


# -- the one checkpoint layout ---------------------------------------------------------------
def checkpoint_path(out_dir: str | Path) -> Path:
    return Path(out_dir) / CHECKPOINT_FILE


def refuse_old_layout(out_dir: str | Path) -> None:
    """``ResumeError`` when ``out_dir`` holds a checkpoint of the pre-runtime layout only."""
    out_dir = Path(out_dir)
    old = [n for n in OLD_CHECKPOINTS if (out_dir / n).exists()]
    if old and not checkpoint_path(out_dir).exists():
        raise ResumeError(
            f"{out_dir} holds a checkpoint of an older hepemu ({old[0]}), which this version "
            "cannot read: the run must be restarted — use another output directory or remove it"
        )


def refuse_old_run(run_dir: str | Path) -> None:
    """:func:`refuse_old_layout` for a run directory and its member/replica/cycle folders
    (two levels down), so that a command refuses before it starts any work."""
    run_dir = Path(run_dir)
    if not run_dir.is_dir():
        return
    for folder in (run_dir, *run_dir.glob("*/"), *run_dir.glob("*/*/")):
        if folder.is_dir():
            refuse_old_layout(folder)


def has_checkpoint(out_dir: str | Path) -> bool:
    """Whether ``out_dir`` holds a checkpoint (``ResumeError`` for an old-layout one)."""
    refuse_old_layout(out_dir)
    return checkpoint_path(out_dir).exists()


def save_checkpoint(out_dir: str | Path, tensors: dict[str, torch.Tensor], meta: dict) -> Path:
    """Write ``tensors`` and the JSON-able ``meta`` to ``out_dir/checkpoint.ckpt.safetensors``
    atomically: a failed write leaves the previous checkpoint (or none), never half a file."""
    path = checkpoint_path(out_dir)
    flat = {k: v.detach().to("cpu").contiguous().clone() for k, v in tensors.items()}
    header = {"format": CHECKPOINT_FORMAT, "meta": json.dumps(meta)}
    write_safetensors(path, flat, header)  # atomic, header entries in a fixed order
    return path


def read_meta(out_dir: str | Path) -> dict | None:
    """The JSON header of the checkpoint in ``out_dir`` (None if there is none)."""
    if not has_checkpoint(out_dir):
        return None
    with safe_open(str(checkpoint_path(out_dir)), framework="pt") as fh:
        header = fh.metadata() or {}
    return _meta(header, out_dir)


def load_checkpoint(out_dir: str | Path) -> tuple[dict[str, torch.Tensor], dict]:
    """(tensors on the CPU, JSON header) of the checkpoint in ``out_dir``."""
    if not has_checkpoint(out_dir):
        raise FileNotFoundError(f"no checkpoint in {out_dir}")
    with safe_open(str(checkpoint_path(out_dir)), framework="pt") as fh:
        header = fh.metadata() or {}
        tensors = {k: fh.get_tensor(k) for k in fh.keys()}  # noqa: SIM118 (not a dict)
    return tensors, _meta(header, out_dir)


def _meta(header: dict, out_dir: str | Path) -> dict:
    if header.get("format") != CHECKPOINT_FORMAT:
        raise ResumeError(f"{checkpoint_path(out_dir)} is not a hepemu checkpoint")
    return json.loads(header["meta"])


# -- packing states into flat tensor dictionaries -------------------------------------------
def pack_state(prefix: str, state: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    """A module's ``state_dict`` under ``prefix.`` keys."""
    return {f"{prefix}.{k}": v for k, v in state.items()}


def unpack_state(prefix: str, tensors: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    """The ``state_dict`` packed under ``prefix`` by :func:`pack_state`."""
    head = prefix + "."
    return {k[len(head) :]: v for k, v in tensors.items() if k.startswith(head)}


def pack_optimizer(opt: torch.optim.Optimizer) -> tuple[dict[str, torch.Tensor], dict]:
    """An optimiser's state as (tensors under ``opt.<param>.<name>``, JSON-able rest).

    Lists of tensors (L-BFGS's curvature history) are stored element by element under
    ``opt.<param>.<name>[i]``, their layout (``None`` entries, length) with the scalars."""
    sd = opt.state_dict()
    tensors, scalars = {}, {}
    for pid, entries in sd["state"].items():
        for name, value in entries.items():
            if isinstance(value, torch.Tensor):
                tensors[f"opt.{pid}.{name}"] = value
            elif isinstance(value, list):
                layout = []
                for i, v in enumerate(value):
                    if isinstance(v, torch.Tensor):
                        tensors[f"opt.{pid}.{name}[{i}]"] = v
                        layout.append("tensor")
                    else:
                        layout.append(v)
                scalars[f"{pid}.{name}"] = {"list": layout}
            else:
                scalars[f"{pid}.{name}"] = value
    return tensors, {"param_groups": sd["param_groups"], "scalars": scalars}


def unpack_optimizer(opt: torch.optim.Optimizer, tensors: dict, packed: dict) -> None:
    """Restore an optimiser from :func:`pack_optimizer`'s output."""
    state: dict[int, dict] = {}
    for key, value in packed["scalars"].items():
        pid, name = key.split(".", 1)
        if isinstance(value, dict) and "list" in value:
            value = list(value["list"])
        state.setdefault(int(pid), {})[name] = value
    for key, value in tensors.items():
        if key.startswith("opt."):
            pid, name = key[4:].split(".", 1)
            if name.endswith("]"):
                name, index = name[:-1].split("[")
                state[int(pid)][name][int(index)] = value
            else:
                state.setdefault(int(pid), {})[name] = value
    opt.load_state_dict({"state": state, "param_groups": packed["param_groups"]})


# -- a trainer's checkpoint: weights, best weights, optimiser, settings, progress ------------
def save_training(
    out_dir: str | Path,
    net: torch.nn.Module,
    best: dict[str, torch.Tensor],
    opt: torch.optim.Optimizer,
    meta: dict,
    extra: dict[str, torch.Tensor] | None = None,
) -> Path:
    """Checkpoint a torch trainer: ``meta`` holds its ``settings`` and progress, ``extra``
    further tensors (RNG state, the batch in use)."""
    opt_tensors, opt_meta = pack_optimizer(opt)
    tensors = {
        **pack_state("net", net.state_dict()),
        **pack_state("best", best),
        **opt_tensors,
        **(extra or {}),
    }
    return save_checkpoint(out_dir, tensors, {**meta, "opt": opt_meta})


def resume_training(
    out_dir: str | Path,
    net: torch.nn.Module,
    opt: torch.optim.Optimizer,
    settings: dict,
    may_change: Iterable[str],
    what: str,
    added: dict[str, Any] | None = None,
) -> tuple[dict[str, torch.Tensor], dict[str, torch.Tensor], dict] | None:
    """Restore ``net`` and ``opt`` from the checkpoint in ``out_dir`` after checking the
    resume rules (:func:`check_resume`); None if there is no checkpoint.

    Returns
    -------
    (best weights on the network's device, all tensors, the JSON header)
    """
    if not has_checkpoint(out_dir):
        return None
    tensors, meta = load_checkpoint(out_dir)
    check_resume(meta["settings"], settings, may_change, out_dir, what, added)
    net.load_state_dict(unpack_state("net", tensors))
    device = next(net.parameters()).device
    best = {k: v.to(device) for k, v in unpack_state("best", tensors).items()}
    unpack_optimizer(opt, tensors, meta["opt"])  # moves its state to the parameters' device
    return best, tensors, meta


def best_weights(out_dir: str | Path) -> dict[str, torch.Tensor]:
    """The best-validation weights in the checkpoint of ``out_dir`` (on the CPU)."""
    return unpack_state("best", load_checkpoint(out_dir)[0])


# -- resume rules ----------------------------------------------------------------------------
def flatten(settings: dict, prefix: str = "") -> dict[str, Any]:
    """Nested settings as ``{"a.b": value}``."""
    out: dict[str, Any] = {}
    for k, v in settings.items():
        key = f"{prefix}{k}"
        if isinstance(v, dict):
            out.update(flatten(v, key + "."))
        else:
            out[key] = v
    return out


def changed_fixed_settings(
    saved: dict, current: dict, may_change: Iterable[str], added: dict[str, Any] | None = None
) -> list[str]:
    """Dotted keys whose value differs between ``saved`` and ``current``, those in
    ``may_change`` aside; ``added``: settings introduced after ``saved`` was written, with
    the default they had before they existed (absent from ``saved`` means that default)."""
    free = set(may_change)
    a, b = {**(added or {}), **flatten(saved)}, flatten(current)
    return [k for k in sorted(set(a) | set(b)) if k not in free and a.get(k) != b.get(k)]


def check_resume(
    saved: dict,
    current: dict,
    may_change: Iterable[str],
    where: str | Path,
    what: str,
    added: dict[str, Any] | None = None,
) -> None:
    """``ResumeError`` (one line) unless only ``may_change`` settings differ."""
    may_change = list(may_change)
    changed = changed_fixed_settings(saved, current, may_change, added)
    if changed:
        key = changed[0]
        old, new = flatten(saved).get(key), flatten(current).get(key)
        more = f" (and {len(changed) - 1} more)" if len(changed) > 1 else ""
        raise ResumeError(
            f"checkpoint in {where} was made with a different {what}: {key} {old!r} → "
            f"{new!r}{more}; only {', '.join(may_change)} may change on resume — restore it "
            "or use another output directory"
        )
