"""One trainer for every dataset-trained torch regressor (DNN, sk-DNN, dipole emulator,
Bayesian and heteroscedastic networks; ensembles of them).

Mini-batches come from the dataset's stored train split — held in memory (on the training
device) when it fits ``memory_limit_mb``, else streamed from the HDF5 file in shuffled
blocks (``hepemu.data.streaming``). Adam with exponential cooling lr → lr_min over
``decay_epochs`` (Bishara, Paul & Dy, "Learning rate") or over ``decay_minutes`` of training
time (for wall-clock budgets), MSE on the preprocessed target (or a network's own ``loss``:
the Gaussian likelihood of ``hepemu.models.bayesian``), early
stopping on the validation RMSE with ``patience`` epochs and restore of the best weights
(ibid., "Training epochs and validation"). Device, dtype, threads, the time limit
(``max_minutes``), the memory limit and the atomic checkpoint (every ``checkpoint_every_s``
seconds, at the end and on interruption: a killed run resumes mid-epoch) come from
:mod:`hepemu.training.runtime`. Ensemble members are independent executor tasks.
"""

from __future__ import annotations

import json
import math
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
import torch

from hepemu.data.dataset import Dataset
from hepemu.data.executors import map_unordered
from hepemu.data.streaming import iter_batches
from hepemu.models.network_specs import build_network
from hepemu.models.preprocessing import Preprocessing
from hepemu.models.regressor import NetworkRegressor
from hepemu.training.fit_config import RESUMABLE_CHANGES, FitCard
from hepemu.training.fit_data import (
    calibrate_on_validation,
    dataset_columns,
    record_validation_coverage,
    run_info,
    run_preprocessing,
)
from hepemu.training.runtime import (
    Clock,
    Runtime,
    best_weights,
    checkpoint_path,
    fits_in_memory,
    resume_training,
    save_training,
    torch_dtype,
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
        self.opt = torch.optim.Adam(self.net.parameters(), lr=t.lr)
        self.state = FitState()
        if init_from is not None:  # a member directory of an earlier run
            self.net.load_state_dict(best_weights(init_from))
        self.best = {k: v.detach().clone() for k, v in self.net.state_dict().items()}
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

    # -- data -----------------------------------------------------------------------------
    def _tensor(self, a: np.ndarray) -> torch.Tensor:
        return self.rt.tensor(a)

    def _encode(self, x: np.ndarray, y: np.ndarray) -> tuple[torch.Tensor, torch.Tensor]:
        return self._tensor(self.pre.encode_x(x)), self._tensor(self.pre.encode_y(x, y))

    def _load_validation(self) -> None:
        rows = self.ds.split("validation")
        cap = self.card.data.max_validation_rows
        if len(rows) > cap:
            rows = np.sort(np.random.default_rng(1).choice(rows, cap, replace=False))
        if len(rows) == 0:
            raise ValueError(f"{self.ds.path}: the validation split is empty")
        self.val_x, self.val_z = self._encode(
            self.ds.read("inputs", rows), self.ds.read("targets", rows)
        )

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
                self._train_x, self._train_z = self._encode(
                    self.ds.read("inputs", self.train_rows),
                    self.ds.read("targets", self.train_rows),
                )
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
                    yield self._encode(x, y)
                done += 1
            sweep += 1

    # -- schedule -------------------------------------------------------------------------
    def lr_at(self, epoch: int, elapsed_s: float = 0.0) -> float:
        """Exponential cooling lr·(lr_min/lr)^f, f = epoch/decay_epochs or, with
        ``decay_minutes``, training seconds/(60·decay_minutes); floored at lr_min."""
        t = self.card.training
        if t.decay_minutes is not None:
            f = elapsed_s / (60.0 * t.decay_minutes)
        else:
            f = epoch / (t.decay_epochs or t.epochs)
        return max(t.lr_min, t.lr * (t.lr_min / t.lr) ** min(1.0, f))

    def _schedule_done(self) -> bool:
        """A time-based schedule (``decay_minutes``) has reached its end."""
        t = self.card.training
        return t.decay_minutes is not None and self.state.elapsed_s >= 60.0 * t.decay_minutes

    def _set_lr(self) -> None:
        lr = self.lr_at(self.state.epoch, self.state.elapsed_s)
        for group in self.opt.param_groups:
            group["lr"] = lr

    @torch.no_grad()
    def validation_rmse(self) -> float:
        sq = torch.zeros((), dtype=torch.float64, device=self.device)
        for start in range(0, len(self.val_x), 65536):
            d = self.net(self.val_x[start : start + 65536]) - self.val_z[start : start + 65536]
            sq += (d.double() ** 2).sum()
        return float(torch.sqrt(sq / len(self.val_x)))

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
        free = [f"card.{k}" for k in RESUMABLE_CHANGES]
        restored = resume_training(
            self.out_dir, self.net, self.opt, self.settings(), free, "card or seed"
        )
        if restored is None:
            return False
        self.best, _, meta = restored
        self.state = FitState(**meta["state"])
        return True

    # -- the loop -------------------------------------------------------------------------
    def train(self, progress=None) -> FitState:
        """Train to the end (epochs, early stop or ``max_minutes``); resumable."""
        try:
            return self._train(progress)
        finally:
            self.save_checkpoint()

    def _train(self, progress) -> FitState:
        t, st = self.card.training, self.state
        limit = None if t.max_minutes is None else 60.0 * t.max_minutes
        clock = Clock(st.elapsed_s, limit, t.checkpoint_every_s)
        by_time = t.decay_minutes is not None
        while not st.finished and st.epoch < t.epochs:
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
                self._end_epoch(progress)
                continue
            if self._schedule_done():
                # a time-based schedule ends the run, as epochs do (reruns add nothing)
                st.finished, st.stop_reason = True, f"lr schedule done ({t.decay_minutes:g} min)"
            else:
                st.stop_reason = f"time limit ({t.max_minutes:g} min; rerun to continue)"
            break
        if st.epoch >= t.epochs and not st.finished:
            st.finished, st.stop_reason = True, f"{t.epochs} epochs"
        if st.finished:  # the run ends on its best validation weights
            self.net.load_state_dict(self.best)
        return st

    def _end_epoch(self, progress) -> None:
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
        if rmse < st.best_rmse:
            st.best_rmse, st.best_epoch, st.stale_epochs = rmse, st.epoch, 0
            self.best = {k: v.detach().clone() for k, v in self.net.state_dict().items()}
        else:
            st.stale_epochs += 1
        st.epoch += 1
        st.batch_in_epoch = 0
        if st.stale_epochs >= t.patience:
            st.finished = True
            st.stop_reason = f"early stop: no better validation RMSE for {t.patience} epochs"
        if progress is not None:
            progress(st)


def load_member(card: FitCard, n_inputs: int, out_dir: str | Path) -> torch.nn.Module:
    """The best-validation network stored in a member's checkpoint (on the CPU)."""
    net = build_network(n_inputs, card.model.network_spec()).to(torch_dtype(card.model.dtype))
    net.load_state_dict(best_weights(out_dir))
    return net.eval()


def train_member(
    card_json: str,
    pre_json: str,
    out_dir: str,
    seed: int,
    progress=None,
    multiplicity_path: str | None = None,
    init_from: str | None = None,
) -> dict:
    """Train (or resume) one member in ``out_dir``; a task for the executors."""
    card = FitCard.model_validate_json(card_json)
    mult = None if multiplicity_path is None else np.load(multiplicity_path)
    pre = Preprocessing.from_dict(json.loads(pre_json))
    trainer = MemberTrainer(card, pre, out_dir, seed, mult, init_from)
    trainer.try_resume()
    st = trainer.train(progress)
    return {
        "seed": seed,
        "epochs": st.epoch,
        "steps": st.step,
        "best_val_rmse": st.best_rmse,
        "best_epoch": st.best_epoch,
        "stop": st.stop_reason,
        "train_s": st.elapsed_s,
        "finished": st.finished,
    }


def _indexed_member(*args) -> tuple[int, dict]:
    *rest, r = args
    return r, train_member(*rest)


def fit_networks(
    card: FitCard,
    out_dir: str | Path,
    progress=None,
    executor: str = "serial",
    workers: int = 2,
    scheduler: str | None = None,
    on_member_done=None,
    multiplicity_path: str | None = None,
    init_dirs: list[str] | None = None,
) -> NetworkRegressor:
    """Train the card's ensemble (members in parallel with ``processes``/``dask``).

    ``multiplicity_path`` (a ``.npy`` of one count per train-split row) and ``init_dirs``
    (member directories whose best weights start each member) serve boosted training.
    """
    out_dir = Path(out_dir)
    ds = Dataset.open(card.data.path)
    pre = run_preprocessing(card, ds, out_dir)
    members = card.training.members
    seeds = [card.training.seed + 7919 * r for r in range(members)]
    dirs = [str(out_dir / f"member{r}") for r in range(members)]
    inits = [None if init_dirs is None else str(init_dirs[r]) for r in range(members)]
    args = [
        (card.model_dump_json(), json.dumps(pre.to_dict()), dirs[r], seeds[r])
        for r in range(members)
    ]
    infos: list[dict] = [{} for _ in range(members)]
    if executor == "serial":
        for r in range(members):
            infos[r] = train_member(*args[r], progress, multiplicity_path, inits[r])
            if on_member_done is not None:
                on_member_done(r, infos[r])
    else:
        tasks = [(*args[r], None, multiplicity_path, inits[r], r) for r in range(members)]
        for r, info in map_unordered(_indexed_member, tasks, executor, workers, scheduler):
            infos[r] = info
            if on_member_done is not None:
                on_member_done(r, info)
    cols, target = dataset_columns(ds)
    nets = [load_member(card, pre.n_features, d) for d in dirs]
    train = ds.read("inputs", ds.split("train")).reshape(-1, len(cols))
    info = {**run_info(card, ds, train), "members": infos}
    model = NetworkRegressor(nets, card.model.network_spec(), pre, cols, target, info)
    if model.probabilistic:  # its own error bar, not rescaled; its coverage is recorded
        record_validation_coverage(model, ds, card.data.max_validation_rows)
    elif members > 1:
        calibrate_on_validation(model, ds, card.data.max_validation_rows)
    return model
