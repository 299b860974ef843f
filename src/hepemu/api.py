"""The Python API beside the command line: load, generate, fit, evaluate.

Each call does what its command does, without the terminal: ``load`` ↔ ``--model``,
``generate`` ↔ ``hepemu data generate``, ``fit`` ↔ ``hepemu fit``, ``evaluate`` ↔
``hepemu evaluate``. Exported lazily from the package root (``hepemu.load`` …).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from hepemu.fileio import write_atomic
from hepemu.models.surrogate import Surrogate


def load(name_or_path: str | Path, device: str = "cpu") -> Surrogate:
    """A shipped model by name (checksum verified) or any hepemu model file, of any kind."""
    from hepemu.registry import load_model

    return load_model(str(name_or_path), device=device)


def generate(
    provider: str,
    n: int,
    out: str | Path,
    chunk: int | None = None,
    seed: int = 0,
    sampler: str = "uniform",
    chebyshev_nodes: tuple[int, ...] = (),
    axis_maps: tuple[str, ...] = (),
    sparse_level: int | None = None,
    executor: str = "serial",
    workers: int = 2,
    force: bool = False,
    **options: Any,
) -> str:
    """Evaluate the truth ``provider`` (with its ``options``) at ``n`` sampled points into the
    dataset ``out`` (resumable; an existing file of other data is replaced only with
    ``force``); returns the dataset's content hash. Sampler ``chebyshev``: the tensor grid of
    ``chebyshev_nodes`` Chebyshev–Lobatto points per axis (``axis_maps``: linear or log per
    axis; ``n`` 0 or their product; ``nodes`` stays the integral providers' option). Sampler
    ``sparse-grid``: the Smolyak grid of ``sparse_level`` (``axis_maps`` as for chebyshev;
    ``n`` 0 or its node count)."""
    from hepemu.data.generate import generate as run
    from hepemu.data.generation_plan import GenerateCard

    settings = {
        "provider": provider,
        "out": out,
        "seed": seed,
        "sampler": sampler,
        "nodes": list(chebyshev_nodes),
        "axis_maps": list(axis_maps),
        "level": sparse_level,
        "executor": executor,
        "workers": workers,
        "options": options,
    }
    settings |= {"n": n} if n else {}  # a node design without n: its node count
    settings |= {"chunk": chunk} if chunk else {}  # else the command's default
    cfg = GenerateCard.model_validate(settings)
    return run(cfg.plan(), cfg.out, executor=cfg.executor, workers=cfg.workers, force=force)


def fit(card: str | Path, out: str | Path | None = None) -> Surrogate:
    """Train the surrogate a fit card describes (any kind: networks, ensembles, Bayesian
    networks, boosting, trees, Chebyshev and sparse-grid interpolants) into the run directory
    ``out`` (default ``runs/<card name>``; resumable); saves and returns the model
    (``out/model.safetensors``)."""
    from hepemu.training.fit_card import fit_card
    from hepemu.training.fit_config import FitCard

    cfg = FitCard.from_toml(card)
    out = Path(out) if out is not None else Path("runs") / Path(card).stem
    model = fit_card(cfg, out)
    write_atomic(out / "card.json", cfg.model_dump_json(indent=2))
    model.save(out / "model.safetensors")
    return model


def evaluate(
    model: Surrogate | str | Path,
    data: str | Path | None = None,
    split: str | None = "test",
    **kwargs: Any,
) -> dict:
    """Metrics of ``model`` (a surrogate, a shipped name or a file) on ``data``'s ``split``, or
    on fresh reference points (integration networks); see
    :func:`hepemu.evaluation.assess.evaluate` for the keywords."""
    from hepemu.evaluation.assess import evaluate as run

    if not isinstance(model, Surrogate):
        model = load(model)
    return run(model, data, split, **kwargs)
