"""``hepemu fit``: dataset-trained surrogates of any kind (``hepemu predict``: cli/predict.py)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from hepemu.cli.common import (
    THREADS,
    WAIT,
    check_run_dir,
    check_scheduler,
    err,
    fail,
    holding_lock,
    resumable,
)
from hepemu.fileio import write_atomic


def fit_cmd(
    card: Annotated[
        Path, typer.Argument(help="TOML card: [data], [model], [preprocessing], [training]")
    ],
    out: Annotated[
        Path | None, typer.Option(help="run directory (default runs/<card name>; resumes)")
    ] = None,
    executor: Annotated[
        str, typer.Option(help="serial, processes or dask: ensemble members in parallel")
    ] = "serial",
    workers: Annotated[int, typer.Option(min=1, help="parallel workers")] = 2,
    scheduler: Annotated[
        str | None, typer.Option(help="address of a running Dask scheduler (with dask)")
    ] = None,
    threads: Annotated[int | None, THREADS] = None,
    tolerance: Annotated[
        float | None,
        typer.Option(
            help="kind = chebyshev or sparse-grid: refine the nodes until the σ estimate is "
            "below this "
            "(overrides [model] tolerance)"
        ),
    ] = None,
    wait: Annotated[bool, WAIT] = False,
) -> None:
    """Fit a regressor (DNN, sk-DNN, BDT; ensembles; a Chebyshev or sparse-grid interpolant of
    a node dataset) to a dataset; rerunning resumes.

    Writes OUT/model.safetensors (load it with `hepemu predict --model`) and OUT/card.json.
    A finished run is not repeated; a run directory made from another card is refused.
    One run at a time writes OUT (lock OUT.lock): a second is refused (exit code 75) or, with
    --wait, waits.
    """
    from hepemu.cards import CardError
    from hepemu.data.dataset import Dataset, DatasetError
    from hepemu.data.executors import check_executor
    from hepemu.threads import choose_threads
    from hepemu.training.fit_config import FitCard
    from hepemu.training.runtime import ResumeError, refuse_old_run, resolve_device

    try:
        cfg = FitCard.from_toml(card)
        if tolerance is not None:
            if cfg.model.kind not in ("chebyshev", "sparse-grid") or not tolerance > 0:
                raise ValueError(
                    "--tolerance needs model.kind = 'chebyshev' or 'sparse-grid' and a positive "
                    "value"
                )
            cfg.model.tolerance = tolerance
        if executor == "serial":
            cfg.training.threads = choose_threads(threads or cfg.training.threads)
        if cfg.model.kind != "bdt":  # trees choose their device with XGBoost (fit_trees)
            resolve_device(cfg.training.device)
        check_executor(executor)
        ds = Dataset.open(cfg.data.path)
        ds.split("train")
    except CardError as exc:  # names the file and the key
        fail(str(exc))
    except (ValueError, DatasetError) as exc:
        fail(f"bad card {card}: {exc}")
    out = out if out is not None else Path("runs") / card.stem
    check_run_dir(out, ("preprocessing.json", "member0", "checkpoint.ckpt.safetensors"), "fit")
    if executor == "dask" and scheduler:
        check_scheduler(scheduler)
    with holding_lock(out, wait):
        model_path = out / "model.safetensors"
        if model_path.exists() and _same_card(out, cfg):
            from hepemu.registry import sha256

            err.print(
                f"{out} holds this fit, finished: nothing to do; model {model_path} "
                f"(sha256 {sha256(model_path)[:16]}…)"
            )
            return
        try:  # an older hepemu's checkpoints cannot be read: say so before any work
            refuse_old_run(out)
        except ResumeError as exc:
            fail(str(exc))
        try:
            with resumable("checkpoints are kept; rerun the same command to resume"):
                model = _fit(cfg, out, executor, workers, scheduler)
        except typer.Exit:
            raise
        except (RuntimeError, ValueError, OSError, DatasetError) as exc:
            fail(str(exc))
        unfinished = [m for m in model.info.get("members", []) if not m.get("finished", True)]
        if unfinished:
            err.print(
                f"stopped before the end ({unfinished[0]['stop']}): checkpoints kept in {out}; "
                "rerun the same command to continue"
            )
            raise typer.Exit(3)
        write_atomic(out / "card.json", cfg.model_dump_json(indent=2))
        digest = model.save(model_path)
        err.print(f"saved {model_path} (sha256 {digest[:16]}…)")
        for m in model.info.get("members", []):
            err.print(json.dumps(m))


def _same_card(out: Path, cfg) -> bool:
    from hepemu.training.fit_config import FitCard, same_fit

    path = out / "card.json"
    return path.exists() and same_fit(FitCard.model_validate_json(path.read_text()), cfg)


def _fit(cfg, out: Path, executor: str, workers: int, scheduler: str | None):
    """Train through :func:`hepemu.training.fit_card.fit_card` with the progress display the
    kind's trainer reports to."""
    from hepemu.cli.progress import fit_progress, replica_progress
    from hepemu.training.fit_card import fit_card

    if cfg.model.kind in ("chebyshev", "sparse-grid"):
        return fit_card(cfg, out, progress=err.print)
    if cfg.model.kind == "bdt":
        from types import SimpleNamespace

        with fit_progress(cfg.model.n_estimators, unit="round") as cb:

            def rounds(st) -> None:  # a TreeState shown like a FitState
                cb(
                    SimpleNamespace(
                        epoch=st.rounds,
                        best_rmse=st.best_rmse,
                        best_epoch=st.best_iteration,
                        elapsed_s=st.elapsed_s,
                    )
                )

            return fit_card(cfg, out, progress=rounds)
    if cfg.boosting.schedule and executor != "serial":
        fail("boosted training runs its members serially (drop --executor)")
    if cfg.boosting.schedule or (executor == "serial" and cfg.training.members == 1):
        with fit_progress(cfg.training.epochs * cfg.model.stages, stages=cfg.model.stages) as cb:
            return fit_card(cfg, out, cb)
    with replica_progress(
        cfg.training.members,
        "members",
        lambda r, i: f"member {r}: {i['epochs']} epochs, {i['stop']}",
    ) as done:
        return fit_card(cfg, out, None, executor, workers, scheduler, on_member_done=done)
