"""Second-order polish of a trained network: full-batch L-BFGS with a strong-Wolfe line search.

After Adam has found the basin, quasi-Newton steps on the whole (or a large subset of the)
train set reduce the error further, most of all for small networks in float64 (Michaud, Liu &
Tegmark, arXiv:2210.13447, sec. 3: second-order optimisers reach near machine precision with
small networks where Adam stalls). The loss is summed in chunks, so memory stays bounded;
every ``polish_every`` iterations the validation RMSE is checked and the best weights kept.
The optimiser's curvature history is checkpointed with the weights, so a resumed polish
continues where it stopped.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import torch

# ``trainer`` below is a hepemu.training.member.MemberTrainer, ``clock`` its runtime Clock
CHUNK = 65536  # rows per forward/backward pass of the full-batch loss


def make_lbfgs(trainer: Any) -> torch.optim.LBFGS:
    """L-BFGS on the parameters in training (the current stage's), as the card sets it."""
    t = trainer.card.training
    params = [p for p in trainer.net.parameters() if p.requires_grad]
    return torch.optim.LBFGS(
        params,
        lr=1.0,
        max_iter=t.polish_every,
        history_size=t.polish_history,
        line_search_fn="strong_wolfe",
        tolerance_grad=0.0,  # the time budget ends the polish, not a tolerance
        tolerance_change=0.0,
    )


def polish_rows(trainer: Any) -> tuple[torch.Tensor, torch.Tensor]:
    """The encoded train rows of the full-batch loss: all of them, or ``polish_rows`` of them
    drawn once with the member's seed (held in memory for the whole polish)."""
    cached = getattr(trainer, "_polish_data", None)
    if cached is not None:
        return cached
    rows = np.unique(trainer.train_rows)
    n = trainer.card.training.polish_rows
    if len(rows) > n:
        rows = np.sort(np.random.default_rng(trainer.seed).choice(rows, n, replace=False))
    trainer._polish_data = trainer.read_rows(rows)
    return trainer._polish_data


def full_batch_loss(net: torch.nn.Module, x: torch.Tensor, z: torch.Tensor) -> torch.Tensor:
    """Mean squared error over all rows, its gradient accumulated chunk by chunk."""
    total = torch.zeros((), dtype=torch.float64, device=x.device)
    for start in range(0, len(x), CHUNK):
        d = net(x[start : start + CHUNK]) - z[start : start + CHUNK]
        part = torch.sum(d**2) / len(x)
        part.backward()
        total += part.detach().double()
    return total


def run(trainer: Any, clock: Any, progress=None) -> bool:
    """Polish until ``polish_minutes`` of it have passed (True) or the run's time limit
    (False: the state and the optimiser's history are checkpointed for resumption)."""
    t, st, net, opt = trainer.card.training, trainer.state, trainer.net, trainer.opt
    x, z = polish_rows(trainer)

    def closure() -> torch.Tensor:
        opt.zero_grad(set_to_none=True)
        return full_batch_loss(net, x, z)

    while st.elapsed_s - st.polish_start_s < 60.0 * t.polish_minutes:
        loss = float(opt.step(closure))
        st.polish_iters += 1
        st.elapsed_s = clock.elapsed()
        rmse = trainer.validation_rmse()
        st.history.append(
            {
                "phase": "lbfgs",
                "stage": st.stage,
                "iteration": st.polish_iters,
                "train_mse": loss,
                "val_rmse": rmse,
            }
        )
        trainer.keep_if_best(rmse)
        if progress is not None:
            progress(st)
        if not (math.isfinite(loss) and math.isfinite(rmse)):
            st.stop_reason = "L-BFGS left finite values: its best weights kept"
            return True
        if clock.checkpoint_due():
            trainer.save_checkpoint()
        if clock.out_of_time():
            st.stop_reason = f"time limit ({t.max_minutes:g} min; rerun to continue)"
            return False
    st.stop_reason = f"L-BFGS polish done ({t.polish_minutes:g} min)"
    return True
