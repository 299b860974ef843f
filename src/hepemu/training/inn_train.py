"""Training of integration-network replicas: fit ∂ᵏN to the normalised integrand by MSE.

Fresh (s, x) samples every ``resample_every`` steps (uniform, Sobol or rank-1 lattice); Adam
with cosine decay or ReduceLROnPlateau (thesis sec. 4.4); optional full-batch L-BFGS polishing
on fixed samples; the best state by validation digits is kept (thesis sec. 5, fig. 9b).
Device, dtype, threads, the time limit and the atomic checkpoint (an interrupted run resumes
where it stopped) come from :mod:`hepemu.training.runtime`.
"""

from __future__ import annotations

import math
import os
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
import torch

from hepemu.data.executors import map_unordered
from hepemu.digits import mean_digits  # the one formula (also hepemu.evaluation.metrics)
from hepemu.models.inn import INN
from hepemu.models.inn_surrogate import INNSurrogate, normalisation, training_target
from hepemu.physics.integrals.registry import get_integral
from hepemu.training.inn_config import INNTrainConfig
from hepemu.training.inn_sampling import PointSampler, ValidationSet
from hepemu.training.runtime import (
    RUNTIME_SETTINGS,
    Clock,
    Runtime,
    best_weights,
    checkpoint_path,
    has_checkpoint,
    read_meta,
    resume_training,
    save_training,
    torch_dtype,
)

# settings that may differ between a run and its resumption (they do not change the maths
# of steps already taken; more steps or L-BFGS rounds extend the run)
RESUMABLE_CHANGES = (*RUNTIME_SETTINGS, "steps", "lbfgs_rounds")


def build_network(cfg: INNTrainConfig) -> INN:
    """A freshly initialised INN of the configured shape and dtype, on the CPU."""
    integ = get_integral(cfg.integral)
    net = INN(integ.n_params, integ.dim, tuple(cfg.hidden), cfg.activation, cfg.gain, cfg.ansatz)
    return net.to(torch_dtype(cfg.dtype))


@dataclass
class TrainState:
    step: int = 0
    best_digits: float = -math.inf
    best_step: int = 0
    elapsed_s: float = 0.0
    lbfgs_done: int = 0
    history: list = field(default_factory=list)
    lbfgs_history: list = field(default_factory=list)


class INNTrainer:
    """Trains one INN replica; resumable from its checkpoint directory."""

    def __init__(self, cfg: INNTrainConfig, out_dir: str | Path) -> None:
        self.cfg = cfg
        self.out_dir = Path(out_dir)
        self.integral = get_integral(cfg.integral)
        self.rt = Runtime.setup(cfg.device, cfg.dtype, cfg.threads)
        self.device, self.dtype = self.rt.device, self.rt.dtype
        torch.manual_seed(cfg.seed)
        self.net = build_network(cfg).to(self.device)
        if cfg.init_from:
            self._init_weights(Path(cfg.init_from))
        self.opt = torch.optim.Adam(self.net.parameters(), lr=cfg.lr)
        if cfg.schedule == "cosine":
            self.sched = torch.optim.lr_scheduler.CosineAnnealingLR(
                self.opt, T_max=max(cfg.steps, 1), eta_min=cfg.lr_min
            )
        else:
            self.sched = torch.optim.lr_scheduler.ReduceLROnPlateau(
                self.opt,
                factor=cfg.plateau_factor,
                patience=cfg.plateau_patience,
                min_lr=cfg.lr_min,
            )
        self.sampler = PointSampler(self.integral, cfg.sampler, cfg.batch_size, cfg.seed + 1)
        self.val = ValidationSet.make(self.integral, cfg.val_points, cfg.val_seed)
        self.state = TrainState()
        self._raw_batch: tuple[np.ndarray, np.ndarray] | None = None
        self._consistent = True
        self._loss_fn = torch.compile(self.loss) if cfg.compile else self.loss
        self.best_state = {k: v.clone() for k, v in self.net.state_dict().items()}
        self._batch = None

    def _init_weights(self, path: Path) -> None:
        """Start from the best weights of an earlier run (its directory or checkpoint file)."""
        if path.is_file():
            path = path.parent
        if not has_checkpoint(path):
            raise FileNotFoundError(f"init_from: no checkpoint in {path}")
        best = best_weights(path)
        self.net.load_state_dict({k: v.to(self.device, self.dtype) for k, v in best.items()})

    # -- checkpointing ------------------------------------------------------------------
    @property
    def ckpt_path(self) -> Path:
        return checkpoint_path(self.out_dir)

    def save_checkpoint(self) -> None:
        """Weights, best weights, optimiser, scheduler, sampler and RNG states, progress."""
        extra = {"rng.torch": torch.get_rng_state()}
        if self._raw_batch is not None:  # the batch in use, for resample_every > 1
            extra["batch.s"] = torch.as_tensor(self._raw_batch[0])
            extra["batch.t"] = torch.as_tensor(self._raw_batch[1])
        meta = {
            "trainer": "inn",
            "settings": self.cfg.model_dump(mode="json"),
            "state": asdict(self.state),
            "sched": self.sched.state_dict(),
            "sampler": self.sampler.get_state(),
        }
        save_training(self.out_dir, self.net, self.best_state, self.opt, meta, extra)

    def try_resume(self) -> bool:
        """Restore the checkpoint if there is one; only ``RESUMABLE_CHANGES`` may differ."""
        restored = resume_training(
            self.out_dir,
            self.net,
            self.opt,
            self.cfg.model_dump(mode="json"),
            RESUMABLE_CHANGES,
            "configuration",
        )
        if restored is None:
            return False
        self.best_state, tensors, meta = restored
        self.sched.load_state_dict(meta["sched"])
        if self.cfg.schedule == "cosine":  # the run may have been extended (more steps)
            self.sched.T_max = max(self.cfg.steps, 1)
        self.state = TrainState(**meta["state"])
        self.sampler.set_state(meta["sampler"])
        torch.set_rng_state(tensors["rng.torch"])
        if "batch.s" in tensors:
            self._raw_batch = (tensors["batch.s"].numpy(), tensors["batch.t"].numpy())
            self._batch = self.make_batch(*self._raw_batch)
        return True

    # -- pieces -------------------------------------------------------------------------
    def _tensor(self, a: np.ndarray) -> torch.Tensor:
        return self.rt.tensor(a)

    def make_batch(self, s: np.ndarray, t: np.ndarray):
        st, tt = self._tensor(s), self._tensor(t)
        y = training_target(self.integral, st, tt, self.cfg.korobov_order, self.cfg.normalisation)
        return self._tensor(self.integral.scale_params(s)), tt, y

    def loss(self, s_scaled, t, y) -> torch.Tensor:
        return torch.mean((self.net.derivative(s_scaled, t) - y) ** 2)

    @torch.no_grad()
    def validate(self) -> float:
        s = self.val.s
        pred = self.net.integral(self._tensor(self.integral.scale_params(s)))
        pred = pred.double().cpu().numpy() * normalisation(self.integral, s, self.cfg.normalisation)
        return mean_digits(pred, self.val.ref)

    def _record(self, loss: float) -> None:
        digits = self.validate()
        st = self.state
        st.history.append(
            {
                "step": st.step,
                "loss": loss,
                "digits": digits,
                "lr": self.opt.param_groups[0]["lr"],
                "time_s": st.elapsed_s,
            }
        )
        if digits > st.best_digits:
            st.best_digits, st.best_step = digits, st.step
            self.best_state = {k: v.detach().clone() for k, v in self.net.state_dict().items()}
        if self.cfg.schedule == "plateau":
            self.sched.step(-digits)

    # -- main loops ---------------------------------------------------------------------
    def train(self, progress=None, max_seconds: float | None = None) -> TrainState:
        """Run Adam steps then L-BFGS rounds up to the configured totals (resumable).

        A checkpoint is written every ``checkpoint_every_s`` seconds, at the end, and when the
        run is interrupted (KeyboardInterrupt or an exception): rerunning resumes from it.
        ``max_seconds`` (default: the card's ``max_minutes``) stops the Adam phase cleanly.
        """
        try:
            return self._train(progress, max_seconds)
        finally:
            if self._consistent:  # never save weights updated mid-step with a stale counter
                self.save_checkpoint()

    def _train(self, progress, max_seconds: float | None) -> TrainState:
        cfg, st = self.cfg, self.state
        if max_seconds is None and cfg.max_minutes is not None:
            max_seconds = 60.0 * cfg.max_minutes
        clock = Clock(st.elapsed_s, max_seconds, cfg.checkpoint_every_s)
        running = 0.0
        while st.step < cfg.steps:
            if self._batch is None or st.step % cfg.resample_every == 0:
                self._raw_batch = self.sampler.draw()
                self._batch = self.make_batch(*self._raw_batch)
            self.opt.zero_grad(set_to_none=True)
            loss = self._loss_fn(*self._batch)
            loss.backward()
            self._consistent = False
            self.opt.step()
            if cfg.schedule == "cosine":
                self.sched.step()
            st.step += 1
            self._consistent = True
            running = loss.item() if running == 0.0 else 0.98 * running + 0.02 * loss.item()
            st.elapsed_s = clock.elapsed()
            if st.step % cfg.val_every == 0 or st.step == cfg.steps:
                self._record(running)
                if progress is not None:
                    progress(st)
            if clock.checkpoint_due():
                self.save_checkpoint()
            if clock.out_of_time():
                if not st.history or st.history[-1]["step"] != st.step:
                    self._record(running)  # a time-limited run ends validated
                    if progress is not None:
                        progress(st)
                break
        else:
            while st.lbfgs_done < cfg.lbfgs_rounds:
                self.lbfgs_round()
                st.lbfgs_done += 1
                st.elapsed_s = clock.elapsed()
                if progress is not None:
                    progress(st)
                self.save_checkpoint()
        return st

    def lbfgs_round(self) -> None:
        """Full-batch L-BFGS on a fixed fresh sample, starting from the best state."""
        cfg = self.cfg
        self.net.load_state_dict(self.best_state)
        sampler = PointSampler(
            self.integral, cfg.sampler, cfg.lbfgs_points, cfg.seed + 1000 + self.state.lbfgs_done
        )
        batch = self.make_batch(*sampler.draw())
        opt = torch.optim.LBFGS(
            self.net.parameters(),
            lr=1.0,
            max_iter=cfg.lbfgs_iters,
            history_size=50,
            line_search_fn="strong_wolfe",
            tolerance_grad=0.0,
            tolerance_change=0.0,
        )

        def closure():
            opt.zero_grad(set_to_none=True)
            loss = self.loss(*batch)
            loss.backward()
            return loss

        with torch.no_grad():
            before = float(self.loss(*batch))
        opt.step(closure)
        with torch.no_grad():
            after = float(self.loss(*batch))
        self.state.lbfgs_history.append(
            {"round": self.state.lbfgs_done, "loss_before": before, "loss_after": after}
        )
        self._record(after)

    def best_network(self) -> INN:
        net = INN(**self.net.config()).to(self.device, self.dtype)
        net.load_state_dict(self.best_state)
        return net.eval()


def checkpoint_steps(out_dir: str | Path) -> tuple[int, int] | None:
    """(Adam steps, L-BFGS rounds) done by the replica checkpoint in ``out_dir``, if any."""
    if not checkpoint_path(out_dir).exists():  # none, or an old layout (refused on resume)
        return None
    state = read_meta(out_dir)["state"]
    return int(state["step"]), int(state.get("lbfgs_done", 0))


def replica_config(cfg: INNTrainConfig, r: int) -> INNTrainConfig:
    """Configuration of replica ``r``: the same run with its own seed."""
    return cfg.model_copy(update={"seed": cfg.seed + 7919 * r})


def train_one_replica(
    cfg_json: str, out_dir: str, max_seconds: float | None = None, threads: int = 0, progress=None
) -> dict:
    """Train (or resume) one replica in ``out_dir``; a task for the executors."""
    cfg = INNTrainConfig.model_validate_json(cfg_json)
    if threads and not cfg.threads:
        cfg = cfg.model_copy(update={"threads": threads})
    trainer = INNTrainer(cfg, out_dir)
    trainer.try_resume()
    st = trainer.train(progress=progress, max_seconds=max_seconds)
    return {
        "seed": cfg.seed,
        "best_digits": st.best_digits,
        "steps": st.step,
        "train_time_s": st.elapsed_s,
    }


def load_best_network(cfg: INNTrainConfig, out_dir: str | Path) -> INN:
    """The best-validation network stored in a replica's checkpoint (on the CPU)."""
    net = build_network(cfg)
    net.load_state_dict(best_weights(out_dir))
    return net.eval()


def train_replicas(
    cfg: INNTrainConfig,
    out_dir: str | Path,
    n_replicas: int = 1,
    progress=None,
    max_seconds: float | None = None,
    executor: str = "serial",
    workers: int = 2,
    scheduler: str | None = None,
    on_replica_done=None,
) -> INNSurrogate:
    """Train ``n_replicas`` independently seeded replicas (each resumable) into a surrogate.

    With ``executor`` ``processes`` or ``dask`` the replicas train in parallel, one per task
    (``progress`` is then not called; ``on_replica_done(r, info)`` is, as each finishes);
    each worker uses ``cfg.threads`` torch threads, or the CPU count shared among workers.
    """
    out_dir = Path(out_dir)
    cfgs = [replica_config(cfg, r) for r in range(n_replicas)]
    dirs = [str(out_dir / f"replica{r}") for r in range(n_replicas)]
    infos: list[dict] = [{} for _ in range(n_replicas)]
    if executor == "serial":
        for r in range(n_replicas):
            infos[r] = train_one_replica(
                cfgs[r].model_dump_json(), dirs[r], max_seconds, progress=progress
            )
            if on_replica_done is not None:
                on_replica_done(r, infos[r])
    else:
        threads = max(1, (os.cpu_count() or 1) // min(workers, n_replicas))
        tasks = [
            (cfgs[r].model_dump_json(), dirs[r], max_seconds, threads, None, r)
            for r in range(n_replicas)
        ]
        for r, info in map_unordered(_indexed_replica, tasks, executor, workers, scheduler):
            infos[r] = info
            if on_replica_done is not None:
                on_replica_done(r, info)
    nets = [load_best_network(c, d) for c, d in zip(cfgs, dirs, strict=True)]
    integral = get_integral(cfg.integral)
    info = {"config": cfg.model_dump(), "replicas": infos}
    return INNSurrogate(integral, nets, cfg.normalisation, cfg.korobov_order, info)


def _indexed_replica(*args) -> tuple[int, dict]:
    *rest, r = args
    return r, train_one_replica(*rest)
