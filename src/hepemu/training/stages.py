"""Multi-stage residual training: stage k fits the normalised residual of stages < k.

The network is a :class:`hepemu.models.networks.StagedNetwork`, Σ_k s_k f_k(x). Stage 0 is
trained as any network; when its phases end, s_1 is set to the RMS of its residual on the
train rows, stage 1's output layer starts at zero (so the model starts where stage 0
ended) and only stage 1's weights train — on a residual of unit scale, which a fresh
network fits to its usual relative precision (Wang & Lai, arXiv:2307.08934, sec. 3:
multi-stage neural networks; HiPreNets, arXiv:2506.15064).
"""

from __future__ import annotations

from typing import Any

import torch

from hepemu.models.networks import StagedNetwork

# ``trainer`` below is a hepemu.training.member.MemberTrainer
RESIDUAL_ROWS = 200_000  # train rows the residual's scale is measured on


def count(net: torch.nn.Module) -> int:
    """Number of stages of ``net`` (1 for an ordinary network)."""
    return len(net.stages) if isinstance(net, StagedNetwork) else 1


def activate(net: torch.nn.Module, k: int) -> None:
    """Let only stage ``k`` of a staged network train (nothing to do for others)."""
    if isinstance(net, StagedNetwork):
        for j, stage in enumerate(net.stages):
            stage.requires_grad_(j == k)


def residual_rms(trainer: Any) -> float:
    """RMS of (target − network) on up to ``RESIDUAL_ROWS`` train rows, preprocessed units."""
    rows = trainer.train_rows[:: max(1, len(trainer.train_rows) // RESIDUAL_ROWS)]
    return trainer.rms_error(*trainer.read_rows(rows))


def begin_next(trainer: Any) -> None:
    """Start the next stage: its scale from the residual, its output at zero, Adam on it."""
    st, net = trainer.state, trainer.net
    k = st.stage + 1
    scale = residual_rms(trainer)
    with torch.no_grad():
        net.scales[k] = scale
        last = [m for m in net.stages[k].modules() if isinstance(m, torch.nn.Linear)][-1]
        last.weight.zero_()
        if last.bias is not None:
            last.bias.zero_()
    activate(net, k)
    trainer.opt = trainer.make_adam()
    st.history.append({"stage": k, "residual_rms": scale, "epoch": st.epoch})
    st.stage, st.phase = k, "adam"
    st.stage_epoch0, st.stage_start_s = st.epoch, st.elapsed_s
    st.stale_epochs, st.batch_in_epoch = 0, 0
    trainer.keep_current()
