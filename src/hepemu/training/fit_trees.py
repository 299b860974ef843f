"""Train a boosted-decision-tree surrogate (XGBoost, ``hist``) from a card; resumable.

The preprocessing is the networks' one (``run_preprocessing``: fitted on the train split,
stored as ``out_dir/preprocessing.json``). The trees see the whole train split in memory
(XGBoost's quantile matrix, float32) — ``training.memory_limit_mb`` does not apply. MSE on
the encoded target; early stopping on the validation RMSE after
``model.early_stopping_rounds`` rounds without improvement, the model cut at its best round
(Bishara, Paul & Dy: BDTs with early stopping after 25 stale rounds). The booster (its UBJ
bytes) and the run's state are written atomically to the runtime's one checkpoint file
(``out_dir/checkpoint.ckpt.safetensors``, :mod:`hepemu.training.runtime`) every
``checkpoint_every_s`` seconds, at the end and on interruption; a rerun continues from
there (``xgb_model=``) to the same trees. ``training.max_minutes`` stops a run early
(unfinished: rerun to continue); ``training.threads`` sets XGBoost's ``nthread`` and
``training.device`` its device (``auto``: CUDA when a GPU is visible and XGBoost has CUDA).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
import torch
import xgboost as xgb

from hepemu.data.dataset import Dataset
from hepemu.models.trees import TreeRegressor, xgboost_device
from hepemu.threads import choose_threads
from hepemu.training.fit_config import RESUMABLE_CHANGES, FitCard
from hepemu.training.fit_data import dataset_columns, run_info, run_preprocessing
from hepemu.training.runtime import (
    Clock,
    check_resume,
    has_checkpoint,
    load_checkpoint,
    save_checkpoint,
)


@dataclass
class TreeState:
    """Progress of a tree run (saved next to the booster)."""

    rounds: int = 0
    best_iteration: int = -1
    best_rmse: float = float("inf")
    elapsed_s: float = 0.0
    finished: bool = False
    stop: str = ""
    history: list = field(default_factory=list)  # validation RMSE per round


def tree_params(card: FitCard, device: str) -> dict:
    """XGBoost parameters of a card (squared error on the encoded target, ``hist``)."""
    m, t = card.model, card.training
    return {
        "objective": "reg:squarederror",
        "eval_metric": "rmse",
        "tree_method": "hist",
        "max_depth": m.max_depth,
        "learning_rate": m.learning_rate,
        "max_bin": m.max_bin,
        "seed": t.seed,
        "nthread": choose_threads(t.threads),
        "device": device,
    }


class _Control(xgb.callback.TrainingCallback):
    """Early stopping, time limit, checkpoints and progress, one round at a time."""

    def __init__(self, run: TreeRun, progress: Callable[[TreeState], None] | None) -> None:
        super().__init__()
        self.run, self.progress = run, progress
        t = run.card.training
        limit = None if t.max_minutes is None else 60.0 * t.max_minutes
        self.clock = Clock(run.state.elapsed_s, limit, t.checkpoint_every_s)
        self.model: xgb.Booster | None = None

    def after_iteration(self, model: xgb.Booster, epoch: int, evals_log: dict) -> bool:
        run, st = self.run, self.run.state
        card = run.card
        self.model = model
        rmse = float(evals_log["validation"]["rmse"][-1])
        st.history.append(rmse)
        st.rounds += 1
        st.elapsed_s = self.clock.elapsed()
        if rmse < st.best_rmse:
            st.best_rmse, st.best_iteration = rmse, st.rounds - 1
        stop = False
        patience = card.model.early_stopping_rounds
        if st.rounds - 1 - st.best_iteration >= patience:
            st.finished, stop = True, True
            st.stop = f"early stop: no better validation RMSE for {patience} rounds"
        elif st.rounds >= card.model.n_estimators:
            st.finished, stop = True, True
            st.stop = f"{card.model.n_estimators} rounds"
        if not stop and self.clock.out_of_time():
            limit = card.training.max_minutes
            st.stop, stop = f"time limit ({limit:g} min; rerun to continue)", True
        if not stop and self.clock.checkpoint_due():
            run.save_checkpoint(model)
        if self.progress is not None:
            self.progress(st)
        return stop


class TreeRun:
    """One resumable XGBoost run of a card in ``out_dir``."""

    def __init__(self, card: FitCard, out_dir: str | Path) -> None:
        if card.model.kind != "bdt":
            raise ValueError(f"fit_trees needs model.kind = 'bdt', got {card.model.kind!r}")
        if card.training.members != 1:
            raise ValueError(
                "a bdt run trains one booster (deterministic trees: members would be copies); "
                "set training.members = 1"
            )
        self.card = card
        self.out_dir = Path(out_dir)
        self.device = xgboost_device(card.training.device)
        self.ds = Dataset.open(card.data.path)
        self.columns, self.target = dataset_columns(self.ds)
        self.pre = run_preprocessing(card, self.ds, self.out_dir)
        self.params = tree_params(card, self.device)
        self.state = TreeState()
        self.booster: xgb.Booster | None = None

    # -- checkpoints ----------------------------------------------------------------------
    def save_checkpoint(self, booster: xgb.Booster) -> None:
        """Booster (cut to the rounds the state has seen) and state, in one atomic file."""
        if self.state.rounds == 0:
            return
        if booster.num_boosted_rounds() != self.state.rounds:  # interrupted mid-round
            booster = booster[: self.state.rounds]
        raw = bytearray(booster.save_raw(raw_format="ubj"))
        state = asdict(self.state)
        state["history"] = state["history"][: self.state.rounds]
        meta = {"trainer": "trees", "settings": self.settings(), "state": state}
        save_checkpoint(self.out_dir, {"booster": torch.frombuffer(raw, dtype=torch.uint8)}, meta)

    def settings(self) -> dict:
        """What the checkpoint must agree with on resume: the card."""
        return {"card": self.card.model_dump(mode="json")}

    def try_resume(self) -> bool:
        """Restore the checkpoint of the same card (``RESUMABLE_CHANGES`` aside), if any."""
        if not has_checkpoint(self.out_dir):
            return False
        tensors, meta = load_checkpoint(self.out_dir)
        free = [f"card.{k}" for k in RESUMABLE_CHANGES]
        check_resume(meta["settings"], self.settings(), free, self.out_dir, "card")
        state = TreeState(**meta["state"])
        booster = xgb.Booster()
        booster.load_model(bytearray(tensors["booster"].numpy().tobytes()))
        if booster.num_boosted_rounds() != state.rounds:
            raise RuntimeError(f"checkpoint in {self.out_dir} is inconsistent; remove it")
        self.state, self.booster = state, booster
        return True

    # -- data -----------------------------------------------------------------------------
    def _train_inputs(self) -> np.ndarray:
        """Raw inputs of the train split, shape (N, d)."""
        return self.ds.read("inputs", self.ds.split("train")).reshape(-1, len(self.columns))

    def _matrices(self, x: np.ndarray) -> tuple[xgb.QuantileDMatrix, xgb.QuantileDMatrix]:
        """Train (raw inputs ``x``) and validation matrices, encoded, float32."""
        d = len(self.columns)
        z = self.pre.encode_y(x, self.ds.read("targets", self.ds.split("train")))
        threads = self.params["nthread"]
        dtrain = xgb.QuantileDMatrix(
            self.pre.encode_x(x).astype(np.float32),
            label=z,
            max_bin=self.params["max_bin"],
            nthread=threads,
        )
        vrows = self.ds.split("validation")
        if len(vrows) == 0:
            raise ValueError(f"{self.ds.path}: the validation split is empty")
        cap = self.card.data.max_validation_rows
        if len(vrows) > cap:
            vrows = np.sort(np.random.default_rng(1).choice(vrows, cap, replace=False))
        vx = self.ds.read("inputs", vrows).reshape(-1, d)
        dval = xgb.QuantileDMatrix(
            self.pre.encode_x(vx).astype(np.float32),
            label=self.pre.encode_y(vx, self.ds.read("targets", vrows)),
            ref=dtrain,
            max_bin=self.params["max_bin"],
            nthread=threads,
        )
        return dtrain, dval

    # -- the loop -------------------------------------------------------------------------
    def train(self, progress: Callable[[TreeState], None] | None = None) -> TreeRegressor:
        """Train to the end (n_estimators, early stop or max_minutes) and return the model
        cut at its best validation round; resumable."""
        train_x = self._train_inputs()
        st = self.state
        booster = self.booster
        if not st.finished:
            dtrain, dval = self._matrices(train_x)
            control = _Control(self, progress)
            try:
                booster = xgb.train(
                    self.params,
                    dtrain,
                    num_boost_round=self.card.model.n_estimators - st.rounds,
                    evals=[(dval, "validation")],
                    xgb_model=booster,
                    callbacks=[control],
                    verbose_eval=False,
                )
            except BaseException:  # Ctrl-C: keep the rounds done
                if control.model is not None:
                    self.save_checkpoint(control.model)
                raise
            self.booster = booster
            self.save_checkpoint(booster)
        assert booster is not None
        best = booster[: st.best_iteration + 1] if st.finished else booster
        member = {
            "finished": st.finished,
            "stop": st.stop,
            "rounds": st.rounds,
            "best_iteration": st.best_iteration,
            "best_val_rmse": st.best_rmse,
            "train_s": st.elapsed_s,
            "device": self.device,
            "seed": self.card.training.seed,
        }
        info = {**run_info(self.card, self.ds, train_x), "members": [member]}
        settings = {
            k: self.params[k] for k in ("max_depth", "learning_rate", "max_bin", "tree_method")
        }
        return TreeRegressor(best, self.pre, self.columns, self.target, settings, info)


def fit_trees(
    card: FitCard,
    out_dir: str | Path,
    progress: Callable[[TreeState], None] | None = None,
) -> TreeRegressor:
    """Fit (or resume, or reload a finished) BDT run of ``card`` in ``out_dir``.

    Returns
    -------
    TreeRegressor
        Cut at the best validation round once finished; ``info["members"][0]`` says whether
        it finished and why it stopped (an unfinished run returns its trees so far).
    """
    run = TreeRun(card, out_dir)
    run.try_resume()
    return run.train(progress)
