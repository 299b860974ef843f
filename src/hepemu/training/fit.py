"""One trainer for every dataset-trained torch regressor (DNN, sk-DNN, dipole emulator,
Bayesian and heteroscedastic networks; ensembles of them).

Mini-batches come from the dataset's stored train split — held in memory (on the training
device) when it fits ``memory_limit_mb``, else streamed from the HDF5 file in shuffled
blocks (``hepemu.data.streaming``). Adam with exponential cooling lr → lr_min over
``decay_epochs`` (Bishara, Paul & Dy, "Learning rate") or over ``decay_minutes`` of training
time (for wall-clock budgets), MSE on the preprocessed target (or a network's own ``loss``:
the Gaussian likelihood of ``hepemu.models.bayesian``), early
stopping on the validation RMSE with ``patience`` epochs and restore of the best weights
(ibid., "Training epochs and validation"). Checkpoints are written atomically (every
``checkpoint_every_s`` seconds, at the end and on interruption), so a killed run resumes
where its last checkpoint left it, mid-epoch included. Ensemble members are independent
tasks for the executors (serial, processes, Dask).
"""

from __future__ import annotations

import json
import math
import time
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
from hepemu.training.fit_config import FitCard
from hepemu.training.inn_train import resolve_device

PREPROCESSING_ROWS = 1_000_000  # rows of the train split the statistics are fitted on


# card entries that may change between a run and its resumption (they change no result)
RUNTIME_FIELDS = {"training": {"device", "threads", "max_minutes", "checkpoint_every_s"}}


def same_fit(a: FitCard, b: FitCard) -> bool:
    """Whether two cards describe the same fit (``RUNTIME_FIELDS`` aside)."""
    return a.model_dump(exclude=RUNTIME_FIELDS) == b.model_dump(exclude=RUNTIME_FIELDS)


def dataset_columns(ds: Dataset) -> tuple[list[str], str]:
    """Input column names and the target name of a dataset (generated or imported)."""
    d = _width(ds)
    cols = list(ds.meta.get("columns") or [])
    targets = list(ds.meta.get("target_columns") or [])
    if len(cols) == d + 1 and not targets:
        cols, targets = cols[:d], cols[d:]
    if len(cols) != d:
        cols = [f"x{i + 1}" for i in range(d)]
    return cols, (targets[0] if targets else "y")


def _width(ds: Dataset) -> int:
    import h5py

    with h5py.File(ds.path, "r") as fh:
        shape = fh["inputs"].shape
    return int(shape[1]) if len(shape) == 2 else 1


def fit_preprocessing(card: FitCard, ds: Dataset) -> Preprocessing:
    """Preprocessing of the card, its statistics fitted on (up to 10⁶ rows of) the train split."""
    p = card.preprocessing
    pre = Preprocessing(
        target_transform=p.target_transform,
        standardise_target=p.standardise_target,
        reference=p.reference,
        canonicalise=list(p.canonicalise),
        features=p.features,
        arcsinh_scale=p.arcsinh_scale,
        provider=str(ds.meta.get("provider", "")),
    )
    rows = ds.split("train")
    if len(rows) < 2:
        raise ValueError(f"{ds.path}: the train split has {len(rows)} rows; need at least 2")
    if len(rows) > PREPROCESSING_ROWS:
        rows = np.sort(np.random.default_rng(0).choice(rows, PREPROCESSING_ROWS, replace=False))
    return pre.fit(ds.read("inputs", rows), ds.read("targets", rows))


def run_preprocessing(card: FitCard, ds: Dataset, out_dir: Path) -> Preprocessing:
    """The run's preprocessing: ``out_dir/preprocessing.json`` if a resumed run stored one
    (it keeps the statistics it was trained with), else fitted now and stored there."""
    pre_path = out_dir / "preprocessing.json"
    if pre_path.exists():
        return Preprocessing.from_dict(json.loads(pre_path.read_text()))
    pre = fit_preprocessing(card, ds)
    out_dir.mkdir(parents=True, exist_ok=True)
    pre_path.write_text(json.dumps(pre.to_dict(), indent=1))
    return pre


def run_info(card: FitCard, ds: Dataset, train_x: np.ndarray) -> dict:
    """The ``info`` every fitted model carries: input ranges of the train rows (raw inputs,
    shape (N, d)), the resolved card and the dataset's path, hash and provider."""
    return {
        "input_ranges": np.stack([train_x.min(axis=0), train_x.max(axis=0)], axis=1).tolist(),
        "card": json.loads(card.model_dump_json()),
        "dataset": {
            "path": str(card.data.path),
            "hash": ds.hash,
            "provider": ds.meta.get("provider"),
            "provider_options": ds.meta.get("provider_options", {}),
        },
    }


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
    """Trains one network of a card; resumable from ``out_dir/checkpoint.pt``."""

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
        ``init_from``: a checkpoint whose best weights start a fresh run (warm start)."""
        self.card, self.pre, self.seed = card, pre, seed
        self.out_dir = Path(out_dir)
        t = card.training
        self.device = resolve_device(t.device)
        self.dtype = torch.float64 if card.model.dtype == "float64" else torch.float32
        if t.threads:
            torch.set_num_threads(t.threads)
        self.ds = Dataset.open(card.data.path)
        self.columns, self.target = dataset_columns(self.ds)
        torch.manual_seed(seed)
        self.net = build_network(pre.n_features, card.model.network_spec())
        if hasattr(self.net, "set_scales"):  # models that undo the preprocessing themselves
            self.net.set_scales(pre)
        self.net = self.net.to(device=self.device, dtype=self.dtype)
        self.opt = torch.optim.Adam(self.net.parameters(), lr=t.lr)
        self.state = FitState()
        if init_from is not None:
            blob = torch.load(init_from, map_location="cpu", weights_only=True)
            self.net.load_state_dict(blob["best"])
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
        self.in_memory = len(self.train_rows) * row_bytes <= t.memory_limit_mb * 2**20
        if multiplicity is not None and not self.in_memory:
            raise ValueError("boosted training needs the train split in memory (memory_limit_mb)")
        self._train_x = self._train_z = None

    # -- data -----------------------------------------------------------------------------
    def _tensor(self, a: np.ndarray) -> torch.Tensor:
        return torch.as_tensor(a, dtype=self.dtype, device=self.device)

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
        return self.out_dir / "checkpoint.pt"

    def save_checkpoint(self) -> None:
        self.out_dir.mkdir(parents=True, exist_ok=True)
        blob = {
            "net": self.net.state_dict(),
            "best": self.best,
            "opt": self.opt.state_dict(),
            "state": json.dumps(asdict(self.state)),
            "card": self.card.model_dump_json(),
            "seed": self.seed,
        }
        tmp = self.ckpt_path.with_suffix(".tmp")
        torch.save(blob, tmp)
        tmp.replace(self.ckpt_path)

    def try_resume(self) -> bool:
        """Restore the checkpoint of the same card and seed, if there is one."""
        if not self.ckpt_path.exists():
            return False
        blob = torch.load(self.ckpt_path, map_location="cpu", weights_only=True)
        saved = FitCard.model_validate_json(blob["card"])
        if not same_fit(saved, self.card) or int(blob["seed"]) != self.seed:
            raise RuntimeError(
                f"checkpoint in {self.out_dir} was made with a different card or seed; "
                "use another output directory"
            )
        self.net.load_state_dict(blob["net"])
        self.best = {k: v.to(self.device) for k, v in blob["best"].items()}
        self.opt.load_state_dict(blob["opt"])
        self.state = FitState(**json.loads(blob["state"]))
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
        t0, t_ckpt, elapsed0 = time.perf_counter(), time.perf_counter(), st.elapsed_s
        limit = None if t.max_minutes is None else 60.0 * t.max_minutes
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
                st.elapsed_s = elapsed0 + time.perf_counter() - t0
                if time.perf_counter() - t_ckpt > t.checkpoint_every_s:
                    self.save_checkpoint()
                    t_ckpt = time.perf_counter()
                if limit is not None and st.elapsed_s - elapsed0 > limit:
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
    path = Path(out_dir) / "checkpoint.pt"
    if not path.exists():
        raise FileNotFoundError(f"no checkpoint in {out_dir}")
    blob = torch.load(path, map_location="cpu", weights_only=True)
    net = build_network(n_inputs, card.model.network_spec())
    net = net.to(torch.float64 if card.model.dtype == "float64" else torch.float32)
    net.load_state_dict(blob["best"])
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
    inits = [
        None if init_dirs is None else str(Path(init_dirs[r]) / "checkpoint.pt")
        for r in range(members)
    ]
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


def _validation_rows(ds: Dataset, max_rows: int) -> np.ndarray:
    rows = ds.split("validation")
    if len(rows) > max_rows:
        rows = np.sort(np.random.default_rng(2).choice(rows, max_rows, replace=False))
    return rows


def record_validation_coverage(model: NetworkRegressor, ds: Dataset, max_rows: int) -> None:
    """Store the share of validation points within 1σ and 2σ of a self-aware model."""
    rows = _validation_rows(ds, max_rows)
    mean, sigma = model.predict(ds.read("inputs", rows))
    pull = np.abs(mean - ds.read("targets", rows)) / np.maximum(sigma, np.finfo(float).tiny)
    model.info["validation_coverage"] = {
        "1sigma": float(np.mean(pull < 1)),
        "2sigma": float(np.mean(pull < 2)),
        "rows": int(len(rows)),
    }


def calibrate_on_validation(model: NetworkRegressor, ds: Dataset, max_rows: int) -> None:
    """Calibrate an ensemble's error bar on (up to ``max_rows`` of) the validation split."""
    rows = _validation_rows(ds, max_rows)
    fitted = model.calibrate(ds.read("inputs", rows), ds.read("targets", rows))
    model.info["sigma_calibration"] = {
        "scale": fitted["sigma_scale"],
        "floor": fitted["sigma_floor"],
        "levels": {"1sigma": 0.6827, "2sigma": 0.9545},
        "rows": int(len(rows)),
        "on": "validation split",
    }
