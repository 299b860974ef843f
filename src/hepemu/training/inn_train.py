"""Training of integration-network replicas: fit ∂ᵏN to the normalised integrand by MSE.

Fresh (s, x) samples every ``resample_every`` steps (uniform, Sobol or rank-1 lattice); Adam
with cosine decay or ReduceLROnPlateau (thesis sec. 4.4); optional full-batch L-BFGS polishing
on fixed samples; the best state by validation digits is kept (thesis sec. 5, fig. 9b).
Checkpoints are written atomically, so an interrupted run resumes where it stopped.
"""

from __future__ import annotations

import json
import math
import os
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch

from hepemu.data.executors import map_unordered
from hepemu.data.samplers import UnitCubeSampler
from hepemu.digits import mean_digits  # the one formula (also hepemu.evaluation.metrics)
from hepemu.models.inn import INN
from hepemu.models.inn_surrogate import INNSurrogate, normalisation, training_target
from hepemu.physics.integrals.base import ParametricIntegral
from hepemu.physics.integrals.quadrature import reference_integrals
from hepemu.physics.integrals.registry import get_integral
from hepemu.training.inn_config import INNTrainConfig

# settings that may differ between a run and its resumption (they do not change the maths
# of steps already taken)
RESUMABLE_CHANGES = {"steps", "lbfgs_rounds", "device", "threads", "compile", "checkpoint_every_s"}


def resolve_device(name: str) -> torch.device:
    """``auto``, ``cpu`` or ``cuda[:i]`` → a usable device (``ValueError`` if it is not)."""
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    try:
        dev = torch.device(name)
    except RuntimeError:
        raise ValueError(f"unknown device {name!r}; use cpu, cuda or auto") from None
    if dev.type == "cuda" and not torch.cuda.is_available():
        raise ValueError(f"device {name!r} requested but no CUDA device is available")
    if dev.type not in ("cpu", "cuda"):
        raise ValueError(f"unsupported device {name!r}; use cpu, cuda or auto")
    return dev


def torch_dtype(cfg: INNTrainConfig) -> torch.dtype:
    return torch.float64 if cfg.dtype == "float64" else torch.float32


def build_network(cfg: INNTrainConfig) -> INN:
    """A freshly initialised INN of the configured shape and dtype, on the CPU."""
    integ = get_integral(cfg.integral)
    net = INN(integ.n_params, integ.dim, tuple(cfg.hidden), cfg.activation, cfg.gain, cfg.ansatz)
    return net.to(torch_dtype(cfg))


class PointSampler:
    """Draws (s, x) batches on the parameter box × [0,1]^k."""

    def __init__(self, integral: ParametricIntegral, kind: str, batch: int, seed: int) -> None:
        self.integral = integral
        self.cube = UnitCubeSampler(kind, integral.n_params + integral.dim, batch, seed)

    def get_state(self) -> dict:
        return self.cube.get_state()

    def set_state(self, state: dict) -> None:
        self.cube.set_state(state)

    def draw(self) -> tuple[np.ndarray, np.ndarray]:
        u = self.cube.draw()
        m = self.integral.n_params
        return self.integral.params_from_unit(u[:, :m]), u[:, m:]


@dataclass
class ValidationSet:
    """Fixed parameter points with reference integrals (high-order Gauss–Legendre; lattice
    QMC above 4 dimensions)."""

    s: np.ndarray
    ref: np.ndarray

    @classmethod
    def make(cls, integral: ParametricIntegral, n: int, seed: int, gl_nodes: int = 32):
        s = integral.sample_params(n, np.random.default_rng(seed))
        return cls(s, reference_integrals(integral, s, integral.dim, gl_nodes, 30011)[0])


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
        self.device = resolve_device(cfg.device)
        self.dtype = torch_dtype(cfg)
        if cfg.threads:
            torch.set_num_threads(cfg.threads)
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
        if path.is_dir():
            path = path / "checkpoint.pt"
        if not path.exists():
            raise FileNotFoundError(f"init_from: no checkpoint at {path}")
        blob = torch.load(path, map_location=self.device, weights_only=True)
        state = {k: v.to(self.dtype) for k, v in blob["best"].items()}
        self.net.load_state_dict(state)

    # -- checkpointing ------------------------------------------------------------------
    @property
    def ckpt_path(self) -> Path:
        return self.out_dir / "checkpoint.pt"

    def save_checkpoint(self) -> None:
        self.out_dir.mkdir(parents=True, exist_ok=True)
        blob = {
            "net": self.net.state_dict(),
            "best": self.best_state,
            "opt": self.opt.state_dict(),
            "sched": self.sched.state_dict(),
            "state": json.dumps(self.state.__dict__),
            "config": self.cfg.model_dump_json(),
            "sampler": json.dumps(self.sampler.get_state()),
            "torch_rng": torch.get_rng_state(),
        }
        if self._raw_batch is not None:  # the batch in use, for resample_every > 1
            blob["batch_s"] = torch.as_tensor(self._raw_batch[0])
            blob["batch_t"] = torch.as_tensor(self._raw_batch[1])
        tmp = self.ckpt_path.with_suffix(".tmp")
        torch.save(blob, tmp)
        tmp.replace(self.ckpt_path)

    def try_resume(self) -> bool:
        """Restore from the checkpoint if one exists for the same configuration."""
        if not self.ckpt_path.exists():
            return False
        blob = torch.load(self.ckpt_path, map_location="cpu", weights_only=True)
        saved = INNTrainConfig.model_validate_json(blob["config"])
        if saved.model_dump(exclude=RESUMABLE_CHANGES) != self.cfg.model_dump(
            exclude=RESUMABLE_CHANGES
        ):
            raise RuntimeError(
                f"checkpoint in {self.out_dir} was made with a different configuration; "
                "use another output directory"
            )
        self.net.load_state_dict(blob["net"])
        self.best_state = {k: v.to(self.device) for k, v in blob["best"].items()}
        self.opt.load_state_dict(blob["opt"])  # moves its state to the parameters' device
        self.sched.load_state_dict(blob["sched"])
        if self.cfg.schedule == "cosine":  # the run may have been extended (more steps)
            self.sched.T_max = max(self.cfg.steps, 1)
        self.state = TrainState(**json.loads(blob["state"]))
        self.sampler.set_state(json.loads(blob["sampler"]))
        torch.set_rng_state(blob["torch_rng"].cpu())
        if "batch_s" in blob:
            self._raw_batch = (blob["batch_s"].numpy(), blob["batch_t"].numpy())
            self._batch = self.make_batch(*self._raw_batch)
        return True

    # -- pieces -------------------------------------------------------------------------
    def _tensor(self, a: np.ndarray) -> torch.Tensor:
        return torch.as_tensor(a, dtype=self.dtype, device=self.device)

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
        """
        try:
            return self._train(progress, max_seconds)
        finally:
            if self._consistent:  # never save weights updated mid-step with a stale counter
                self.save_checkpoint()

    def _train(self, progress, max_seconds: float | None) -> TrainState:
        cfg, st = self.cfg, self.state
        t_start, t_ckpt = time.perf_counter(), time.perf_counter()
        elapsed0 = st.elapsed_s
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
            st.elapsed_s = elapsed0 + time.perf_counter() - t_start
            if st.step % cfg.val_every == 0 or st.step == cfg.steps:
                self._record(running)
                if progress is not None:
                    progress(st)
            if time.perf_counter() - t_ckpt > cfg.checkpoint_every_s:
                self.save_checkpoint()
                t_ckpt = time.perf_counter()
            if max_seconds is not None and st.elapsed_s - elapsed0 > max_seconds:
                if not st.history or st.history[-1]["step"] != st.step:
                    self._record(running)  # a time-limited run ends validated
                    if progress is not None:
                        progress(st)
                break
        else:
            while st.lbfgs_done < cfg.lbfgs_rounds:
                self.lbfgs_round()
                st.lbfgs_done += 1
                st.elapsed_s = elapsed0 + time.perf_counter() - t_start
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
    path = Path(out_dir) / "checkpoint.pt"
    if not path.exists():
        return None
    blob = torch.load(path, map_location="cpu", weights_only=True)
    state = json.loads(blob["state"])
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
    path = Path(out_dir) / "checkpoint.pt"
    if not path.exists():
        raise FileNotFoundError(f"no checkpoint in {out_dir}")
    blob = torch.load(path, map_location="cpu", weights_only=True)
    net = build_network(cfg)
    net.load_state_dict(blob["best"])
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
