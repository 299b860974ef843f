"""Boosted training of self-aware networks (Badger, Butter, Luchmann, Pitz & Plehn, "Loop
amplitudes from precision networks", sec. "Boosting", ../shared/papers).

Cycle 0 is the ordinary fit. Each further cycle of ``[boosting] schedule`` looks at the train
split through the current model and adds copies of rows: "loss" boosting gives the rows
whose weight-sampled pull |t_model(ω)| = |Ā(ω) − A|/σ_model(ω) (preprocessed scale, one ω)
exceeds the threshold ``loss_weight − 1`` more copies (eq. (19): their loss weight grows);
"performance" boosting copies the rows of largest σ_tot. Training then continues from the
previous cycle's best weights on the enlarged set (the KL term sees its size), as a
fine-tuning (:func:`cycle_training`). Every cycle
lives in ``out_dir/cycle<k>`` with its multiplicities, so an interrupted run resumes.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import torch

from hepemu.data.dataset import Dataset
from hepemu.fileio import atomic_path, write_atomic
from hepemu.models.regressor import NetworkRegressor, _devices
from hepemu.training.fit import fit_networks
from hepemu.training.fit_config import FitCard


@torch.no_grad()
def weight_sampled_pulls(model: NetworkRegressor, x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """t_model(ω) per row on the preprocessed scale, one weight draw per member (max |t|)."""
    dtype, device = model._dtype_device()
    xt = torch.as_tensor(model.pre.encode_x(x), dtype=dtype, device=device)
    z = model.pre.encode_y(x, y)
    pulls = []
    for net in model.members:
        mean, logvar = net.heads(xt, sample=getattr(net, "bayesian", False))
        m, s = mean.double().cpu().numpy(), torch.exp(0.5 * logvar).double().cpu().numpy()
        pulls.append((m - z) / s)
    stacked = np.array(pulls)
    return stacked[np.argmax(np.abs(stacked), axis=0), np.arange(len(x))]


def next_multiplicity(
    card: FitCard, model: NetworkRegressor, ds: Dataset, mult: np.ndarray, mode: str, seed: int
) -> tuple[np.ndarray, dict]:
    """The multiplicities of the next cycle and what changed."""
    b = card.boosting
    rows = ds.split("train")
    x, y = ds.read("inputs", rows), ds.read("targets", rows)
    new = mult.copy()
    if mode == "loss":
        with torch.random.fork_rng(devices=_devices(model._dtype_device()[1])):
            torch.manual_seed(seed)
            t = weight_sampled_pulls(model, x, y)
        flagged = np.abs(t) > b.loss_threshold
        new[flagged] += b.loss_weight - 1
        return new, {"mode": mode, "flagged": int(flagged.sum())}
    sigma = model.uncertainties(x, samples=20, seed=seed)["sigma_tot"]
    top = np.argsort(-sigma)[: b.performance_points]
    new[top] += b.performance_copies
    return new, {"mode": mode, "flagged": int(len(top))}


def cycle_training(card: FitCard):
    """A cycle fine-tunes a trained network: ``epochs_per_cycle`` epochs from a tenth of the
    card's learning rate cooled to lr_min over them (no wall-clock schedule or limit)."""
    t, b = card.training, card.boosting
    return t.model_copy(
        update={
            "epochs": b.epochs_per_cycle,
            "decay_epochs": b.epochs_per_cycle,
            "decay_minutes": None,
            "max_minutes": None,
            "lr": max(t.lr / 10, t.lr_min),
            "patience": b.epochs_per_cycle,
        }
    )


def _finished(model: NetworkRegressor) -> bool:
    return all(m.get("finished", True) for m in model.info.get("members", []))


def fit_boosted(card: FitCard, out_dir: str | Path, progress=None) -> NetworkRegressor:
    """Cycle 0 (the card's fit), then one boosted cycle per ``[boosting] schedule`` entry.

    A cycle that stops unfinished (``max_minutes``) ends the call with that model (its
    members say ``finished: False``); a rerun continues there. Every cycle uses cycle 0's
    preprocessing.
    """
    out_dir = Path(out_dir)
    ds = Dataset.open(card.data.path)
    model = fit_networks(card, out_dir / "cycle0", progress)
    if not _finished(model):
        return model
    pre_json = (out_dir / "cycle0" / "preprocessing.json").read_text()
    mult = np.ones(len(ds.split("train")), dtype=np.int64)
    cycle_card = card.model_copy(update={"training": cycle_training(card)})
    history = []
    for k, mode in enumerate(card.boosting.schedule, start=1):
        cdir = out_dir / f"cycle{k}"
        cdir.mkdir(parents=True, exist_ok=True)
        mpath = cdir / "multiplicity.npy"
        if mpath.exists():  # a resumed run keeps the cycle's train set
            mult = np.load(mpath)
            change = json.loads((cdir / "boost.json").read_text())
        else:
            mult, change = next_multiplicity(card, model, ds, mult, mode, seed=k)
            write_atomic(cdir / "boost.json", json.dumps(change))
            with atomic_path(mpath) as tmp, open(tmp, "wb") as fh:
                np.save(fh, mult)
        write_atomic(cdir / "preprocessing.json", pre_json)
        prev = out_dir / f"cycle{k - 1}"
        init = [str(prev / f"member{r}") for r in range(card.training.members)]
        model = fit_networks(
            cycle_card, cdir, progress, multiplicity_path=str(mpath), init_dirs=init
        )
        history.append({**change, "train_rows": int(mult.sum())})
        if not _finished(model):
            return model
    model.info["boosting"] = history
    model.info["card"] = json.loads(card.model_dump_json())
    return model
