"""One member of a dataset fit: its network trained phase by phase, resumable at any step.

Phases, per stage of the network (one stage unless ``[model] stages`` asks for more): Adam
with exponential cooling lr → lr_min over ``decay_epochs`` or ``decay_minutes`` (Bishara,
Paul & Dy, "Learning rate"), early stopping on the validation RMSE and restore of the best
weights; then, with ``[training] polish = "lbfgs"``, a full-batch L-BFGS polish
(:mod:`hepemu.training.polish`); then the next stage fits the normalised residual of the
stages before it (:mod:`hepemu.training.stages`). Device, dtype, threads, the time limit,
the memory limit and the atomic checkpoint come from :mod:`hepemu.training.runtime`.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
import torch

from hepemu.data.dataset import Dataset
from hepemu.data.streaming import iter_batches
from hepemu.models.network_specs import build_network
from hepemu.models.preprocessing import Preprocessing
from hepemu.training import polish, stages
from hepemu.training.fit_config import ADDED_SETTINGS, RESUMABLE_CHANGES, FitCard
from hepemu.training.fit_data import dataset_columns
from hepemu.training.runtime import (
    Clock,
    Runtime,
    best_weights,
    checkpoint_path,
    fits_in_memory,
    read_meta,
    resume_training,
    save_training,
)


@dataclass
class FitState:
    epoch: int = 0
    batch_in_epoch: int = 0
    step: int = 0
    best_rmse: float = math.inf
    best_epoch: int = -1
    stale_epochs: int = 0
    elapsed_s: float = 0.0
    finished: bool = False
    stop_reason: str = ""
    history: list = field(default_factory=list)
    # the phase of the current stage: "adam", then "lbfgs" with a polish, then "done"
    stage: int = 0
    phase: str = "adam"
    stage_epoch0: int = 0  # the epoch and the training time at which the stage began
    stage_start_s: float = 0.0
    polish_iters: int = 0
    polish_start_s: float = 0.0


class MemberTrainer:
    """Trains one network of a card; resumable from its checkpoint in ``out_dir``."""

    def __init__(
        self,
        card: FitCard,
        pre: Preprocessing,
        out_dir: str | Path,
        seed: int,
        multiplicity: np.ndarray | None = None,
        init_from: str | Path | None = None,
    ) -> None:
        """``multiplicity``: how often each train-split row enters an epoch (boosting);
        ``init_from``: a member directory whose best weights start a fresh run (warm start)."""
        self.card, self.pre, self.seed = card, pre, seed
        self.out_dir = Path(out_dir)
        t = card.training
        self.rt = Runtime.setup(t.device, card.model.dtype, t.threads)
        self.device, self.dtype = self.rt.device, self.rt.dtype
        self.ds = Dataset.open(card.data.path)
        self.columns, self.target = dataset_columns(self.ds)
        torch.manual_seed(seed)
        self.net = build_network(pre.n_features, card.model.network_spec())
        if hasattr(self.net, "set_scales"):  # models that undo the preprocessing themselves
            self.net.set_scales(pre)
        self.net = self.net.to(device=self.device, dtype=self.dtype)
        self.state = FitState()
        stages.activate(self.net, 0)
        self.opt = self.make_adam()
        if init_from is not None:  # a member directory of an earlier run
            self.net.load_state_dict(best_weights(init_from))
        self.keep_current()
        self.train_rows = self.ds.split("train")
        if multiplicity is not None:
            if len(multiplicity) != len(self.train_rows) or np.any(multiplicity < 0):
                raise ValueError("need one non-negative multiplicity per train-split row")
            if multiplicity.sum() == 0:
                raise ValueError("the multiplicities leave no training row")
            self.train_rows = np.repeat(self.train_rows, multiplicity)
        self._load_validation()
        row_bytes = 8 * (pre.n_features + 1)
        self.in_memory = fits_in_memory(len(self.train_rows) * row_bytes, t.memory_limit_mb)
        if multiplicity is not None and not self.in_memory:
            raise ValueError("boosted training needs the train split in memory (memory_limit_mb)")
        self._train_x = self._train_z = None

    def make_adam(self) -> torch.optim.Optimizer:
        """Adam on the parameters of the stage in training."""
        params = [p for p in self.net.parameters() if p.requires_grad]
        return torch.optim.Adam(params, lr=self.card.training.lr)

    # -- data -----------------------------------------------------------------------------
    def encode(self, x: np.ndarray, y: np.ndarray) -> tuple[torch.Tensor, torch.Tensor]:
        """Preprocessed inputs and targets as tensors of the run's device and dtype."""
        return self.rt.tensor(self.pre.encode_x(x)), self.rt.tensor(self.pre.encode_y(x, y))

    def read_rows(self, rows: np.ndarray) -> tuple[torch.Tensor, torch.Tensor]:
        """The encoded inputs and targets of dataset rows ``rows``."""
        return self.encode(self.ds.read("inputs", rows), self.ds.read("targets", rows))

    def _load_validation(self) -> None:
        rows = self.ds.split("validation")
        cap = self.card.data.max_validation_rows
        if len(rows) > cap:
            rows = np.sort(np.random.default_rng(1).choice(rows, cap, replace=False))
        if len(rows) == 0:
            raise ValueError(f"{self.ds.path}: the validation split is empty")
        self.val_x, self.val_z = self.read_rows(rows)

    def _batches_per_epoch(self) -> int:
        t = self.card.training
        return t.steps_per_epoch or max(1, -(-len(self.train_rows) // t.batch_size))

    def _epoch_batches(self, epoch: int, skip: int):
        """The batches of ``epoch`` (deterministic in (seed, epoch)), the first ``skip``
        left out (resumption mid-epoch)."""
        t = self.card.training
        n_batches = self._batches_per_epoch()
        if self.in_memory:
            if self._train_x is None:
                self._train_x, self._train_z = self.read_rows(self.train_rows)
            n = len(self._train_x)
            g = torch.Generator().manual_seed(self.seed * 100_003 + epoch)
            perm = torch.cat(
                [torch.randperm(n, generator=g) for _ in range(-(-n_batches * t.batch_size // n))]
            ).to(self.device)
            for b in range(skip, n_batches):
                idx = perm[b * t.batch_size : (b + 1) * t.batch_size]
                yield self._train_x[idx], self._train_z[idx]
            return
        done = 0
        sweep = 0
        while done < n_batches:
            stream = iter_batches(
                self.ds.path,
                t.batch_size,
                seed=self.seed,
                epoch=epoch * 1000 + sweep,
                rows=self.train_rows,
            )
            for x, y in stream:
                if done >= n_batches:
                    return
                if done >= skip:
                    yield self.encode(x, y)
                done += 1
            sweep += 1

    # -- schedule -------------------------------------------------------------------------
    def lr_at(self, epoch: int, elapsed_s: float = 0.0) -> float:
        """Exponential cooling lr·(lr_min/lr)^f, f = epoch/decay_epochs or, with
        ``decay_minutes``, training seconds/(60·decay_minutes) — both counted from the start
        of the stage in training; floored at lr_min."""
        t, st = self.card.training, self.state
        if t.decay_minutes is not None:
            f = (elapsed_s - st.stage_start_s) / (60.0 * t.decay_minutes)
        else:
            f = (epoch - st.stage_epoch0) / (t.decay_epochs or t.epochs)
        return max(t.lr_min, t.lr * (t.lr_min / t.lr) ** min(1.0, f))

    def _schedule_done(self) -> bool:
        """A time-based schedule (``decay_minutes``) has reached its end."""
        t, st = self.card.training, self.state
        return t.decay_minutes is not None and st.elapsed_s - st.stage_start_s >= (
            60.0 * t.decay_minutes
        )

    def _set_lr(self) -> None:
        lr = self.lr_at(self.state.epoch, self.state.elapsed_s)
        for group in self.opt.param_groups:
            group["lr"] = lr

    @torch.no_grad()
    def rms_error(self, x: torch.Tensor, z: torch.Tensor) -> float:
        """RMS of (network − target) over encoded rows, in chunks of 65 536."""
        sq = torch.zeros((), dtype=torch.float64, device=self.device)
        for start in range(0, len(x), 65536):
            d = self.net(x[start : start + 65536]) - z[start : start + 65536]
            sq += (d.double() ** 2).sum()
        return float(torch.sqrt(sq / len(x)))

    def validation_rmse(self) -> float:
        return self.rms_error(self.val_x, self.val_z)

    def keep_current(self) -> None:
        """The network's current weights become the best ones (a copy)."""
        self.best = {k: v.detach().clone() for k, v in self.net.state_dict().items()}

    def keep_if_best(self, rmse: float) -> bool:
        """Record ``rmse``; keep the weights as the best if it is the lowest so far."""
        st = self.state
        if rmse < st.best_rmse:
            st.best_rmse, st.best_epoch, st.stale_epochs = rmse, st.epoch, 0
            self.keep_current()
            return True
        return False

    # -- checkpoints ----------------------------------------------------------------------
    @property
    def ckpt_path(self) -> Path:
        return checkpoint_path(self.out_dir)

    def settings(self) -> dict:
        """What the checkpoint must agree with on resume: the card and the member's seed."""
        return {"card": self.card.model_dump(mode="json"), "seed": self.seed}

    def save_checkpoint(self) -> None:
        meta = {"trainer": "network", "settings": self.settings(), "state": asdict(self.state)}
        save_training(self.out_dir, self.net, self.best, self.opt, meta)

    def try_resume(self) -> bool:
        """Restore the checkpoint of the same card and seed, if there is one (the card's
        ``RESUMABLE_CHANGES`` may differ)."""
        saved = (read_meta(self.out_dir) or {}).get("state", {})
        if saved.get("stage", 0) or saved.get("phase", "adam") != "adam":
            # the optimiser of the saved phase, on the saved stage's parameters
            stages.activate(self.net, saved.get("stage", 0))
            lbfgs = saved.get("phase") == "lbfgs"
            self.opt = polish.make_lbfgs(self) if lbfgs else self.make_adam()
        free = [f"card.{k}" for k in RESUMABLE_CHANGES]
        added = {f"card.{k}": v for k, v in ADDED_SETTINGS.items()}
        restored = resume_training(
            self.out_dir, self.net, self.opt, self.settings(), free, "card or seed", added
        )
        if restored is None:
            return False
        self.best, _, meta = restored
        self.state = FitState(**meta["state"])
        return True

    # -- the phases -----------------------------------------------------------------------
    def train(self, progress=None) -> FitState:
        """Train to the end (every stage's phases) or to ``max_minutes``; resumable."""
        try:
            return self._train(progress)
        finally:
            self.save_checkpoint()

    def _train(self, progress) -> FitState:
        t, st = self.card.training, self.state
        limit = None if t.max_minutes is None else 60.0 * t.max_minutes
        clock = Clock(st.elapsed_s, limit, t.checkpoint_every_s)
        while not st.finished:
            if st.phase == "adam":
                if not self._adam(clock, progress):
                    return st
                self.net.load_state_dict(self.best)  # the phase ends on its best weights
                st.phase = "lbfgs" if t.polish == "lbfgs" else "done"
                if st.phase == "lbfgs":
                    st.polish_start_s = st.elapsed_s
                    self.opt = polish.make_lbfgs(self)
            if st.phase == "lbfgs":
                if not polish.run(self, clock, progress):
                    return st
                self.net.load_state_dict(self.best)
                st.phase = "done"
            if st.stage + 1 < stages.count(self.net):
                stages.begin_next(self)
            else:
                st.finished = True
        self.net.load_state_dict(self.best)
        return st

    def _adam(self, clock: Clock, progress) -> bool:
        """Adam until the stage's epochs, early stop or schedule end (True), or the time
        limit (False: the state says where to resume)."""
        t, st = self.card.training, self.state
        by_time = t.decay_minutes is not None
        while st.epoch - st.stage_epoch0 < t.epochs:
            self._set_lr()
            for xb, zb in self._epoch_batches(st.epoch, st.batch_in_epoch):
                if by_time and st.step % 16 == 0:
                    if self._schedule_done():
                        break
                    self._set_lr()
                self.opt.zero_grad(set_to_none=True)
                if hasattr(self.net, "loss"):  # networks with their own likelihood (bnn, …)
                    loss = self.net.loss(xb, zb, len(self.train_rows))
                else:
                    loss = torch.mean((self.net(xb) - zb) ** 2)
                if hasattr(self.net, "penalty") and self.net.penalty_weight > 0:
                    loss = loss + self.net.penalty  # e.g. the dipole emulator's sparsity term
                loss.backward()
                self.opt.step()
                st.step += 1
                st.batch_in_epoch += 1
                st.elapsed_s = clock.elapsed()
                if clock.checkpoint_due():
                    self.save_checkpoint()
                if clock.out_of_time():
                    break
            else:
                if self._end_epoch(progress):
                    return True
                continue
            if self._schedule_done():
                # a time-based schedule ends the phase, as epochs do (reruns add nothing)
                st.stop_reason = f"lr schedule done ({t.decay_minutes:g} min)"
                return True
            st.stop_reason = f"time limit ({t.max_minutes:g} min; rerun to continue)"
            return False
        st.stop_reason = f"{t.epochs} epochs"
        return True

    def _end_epoch(self, progress) -> bool:
        """Validate, keep the best weights; True when patience runs out."""
        st, t = self.state, self.card.training
        rmse = self.validation_rmse()
        st.history.append(
            {
                "epoch": st.epoch,
                "step": st.step,
                "val_rmse": rmse,
                "lr": self.opt.param_groups[0]["lr"],
            }
        )
        if not self.keep_if_best(rmse):
            st.stale_epochs += 1
        st.epoch += 1
        st.batch_in_epoch = 0
        stop = st.stale_epochs >= t.patience
        if stop:
            st.stop_reason = f"early stop: no better validation RMSE for {t.patience} epochs"
        if progress is not None:
            progress(st)
        return stop
