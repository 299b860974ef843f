"""One trainer for every dataset-trained torch regressor (DNN, sk-DNN, dipole emulator,
Bayesian and heteroscedastic networks; ensembles of them; multi-stage residual networks).

Each member is trained by :class:`hepemu.training.member.MemberTrainer` (Adam with
exponential cooling, early stopping on the validation RMSE, an optional L-BFGS polish and
further residual stages; checkpointed and resumable). Mini-batches come from the dataset's
stored train split — held in memory (on the training device) when it fits
``memory_limit_mb``, else streamed from the HDF5 file in shuffled blocks
(``hepemu.data.streaming``). Ensemble members are independent executor tasks.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import torch

from hepemu.data.dataset import Dataset
from hepemu.data.executors import map_unordered
from hepemu.models.network_specs import build_network
from hepemu.models.preprocessing import Preprocessing
from hepemu.models.regressor import NetworkRegressor
from hepemu.training.fit_config import FitCard
from hepemu.training.fit_data import (
    calibrate_on_validation,
    dataset_columns,
    record_validation_coverage,
    run_info,
    run_preprocessing,
)
from hepemu.training.member import FitState, MemberTrainer
from hepemu.training.runtime import best_weights, torch_dtype

__all__ = [
    "FitState",
    "MemberTrainer",
    "dataset_columns",
    "fit_networks",
    "load_member",
    "run_info",
    "train_member",
]


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
