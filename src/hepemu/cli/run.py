"""``hepemu run``: the main job on its built-in default (the gg→HH one-loop box)."""

from __future__ import annotations

import json
import platform
from pathlib import Path
from typing import Annotated

import numpy as np
import torch
import typer
from rich.console import Console

console = Console(stderr=True)


def run_main(
    out: Annotated[Path, typer.Option(help="report folder")] = Path("reports/gghh-box-1l"),
    model: Annotated[str, typer.Option(help="shipped model to evaluate")] = "gghh-box-1l",
    points: Annotated[int, typer.Option(help="unseen reference points")] = 2000,
    train_minutes: Annotated[float, typer.Option(help="length of the demo training")] = 2.0,
) -> None:
    """Evaluate the shipped gg→HH box INN, run a short fresh training, write a report."""
    from hepemu.cli.common import fail
    from hepemu.evaluation.inn_eval import ReferenceSet, evaluate, gl_digits, median_time
    from hepemu.evaluation.plots import precision_histograms, training_curve
    from hepemu.evaluation.report import Report, md_table
    from hepemu.models.inn_surrogate import ModelFileError
    from hepemu.physics.integrals.quadrature import integrate_gauss_legendre
    from hepemu.registry import load_model
    from hepemu.training.inn_config import INNTrainConfig
    from hepemu.training.inn_train import INNTrainer

    torch.set_num_threads(max(1, min(2, torch.get_num_threads())))
    try:
        surrogate = load_model(model)
    except ModelFileError as exc:
        fail(str(exc))
    integ = surrogate.integral
    rep = Report(out, f"hepemu — integration network for {integ.name}")
    rep.text(
        f"{integ.description}. Region: "
        + ", ".join(
            f"{n} ∈ [{a:g}, {b:g}]"
            for n, (a, b) in zip(integ.param_names, integ.param_ranges, strict=True)
        )
        + f". Machine: {platform.processor() or platform.machine()}, "
        f"{torch.get_num_threads()} torch threads."
    )

    console.print(f"[bold]1/4[/] reference integrals at {points} unseen points (GL 32³)…")
    refset = ReferenceSet.make(integ, points, seed=2024)
    summary, est, sigma = evaluate(surrogate, refset)
    png = precision_histograms(
        est,
        refset.ref,
        integ.scale_params(refset.s),
        out / "shipped_precision.png",
        sigma,
        title=f"shipped {model}: {surrogate.n_replicas} replicas",
    )
    rows = [[k, v] for k, v in summary.as_dict().items()]
    rep.section(
        f"Shipped model `{model}` on {points} unseen points", md_table(["metric", "value"], rows)
    )
    rep.figure(png.relative_to(out), "P, R and error-honesty histograms of the shipped replica set")

    console.print("[bold]2/4[/] throughput: INN vs tensor Gauss–Legendre…")
    s_bench = refset.s[:1000]
    t_inn = median_time(lambda: surrogate.predict(s_bench), 3) / len(s_bench)
    t_gl = median_time(lambda: integrate_gauss_legendre(integ, s_bench, integ.dim, 12), 3)
    t_gl /= len(s_bench)
    rep.section(
        "Throughput on this machine (median of 3, 1000 integrals)",
        md_table(
            ["method", "integrals/s", "mean digits"],
            [
                ["INN (shipped)", 1.0 / t_inn, summary.mean_digits],
                ["Gauss–Legendre 12³", 1.0 / t_gl, gl_digits(integ, refset, 12)],
            ],
        ),
    )

    console.print(f"[bold]3/4[/] short fresh training ({train_minutes:g} min, CPU)…")
    cfg = INNTrainConfig(
        integral=integ.name,
        activation="gelu",
        ansatz="anchored",
        korobov_order=1,
        steps=10**6,
        val_every=100,
        batch_size=2048,
    )
    trainer = INNTrainer(cfg, out / "demo_training")
    trainer.train(max_seconds=60 * train_minutes)
    curve = training_curve(
        trainer.state.history, out / "demo_training.png", title="demo training: validation digits"
    )
    rep.section(
        "Demo training",
        f"{trainer.state.step} Adam steps in "
        f"{trainer.state.elapsed_s:.0f} s reached {trainer.state.best_digits:.2f} mean "
        "digits on the validation set (a full-length run reaches far more; see README).",
    )
    rep.figure(curve.relative_to(out), "validation digits during the demo training")
    console.print("[bold]4/4[/] truth data: chunked generation of two datasets…")
    data_rows = _data_demo(out / "data", rep)
    (out / "summary.json").write_text(
        json.dumps(
            {
                "shipped": summary.as_dict(),
                "demo_training_digits": trainer.state.best_digits,
                "inn_integrals_per_s": 1.0 / t_inn,
                "gl12_integrals_per_s": 1.0 / t_gl,
                "datasets": data_rows,
            },
            indent=2,
        )
    )
    path = rep.write()
    console.print(f"[green]report written to {path}[/]")
    np.set_printoptions()


def _data_demo(folder: Path, rep) -> list[dict]:
    """Generate two small datasets (integrand; e⁺e⁻ → qq̄g with a 3-jet cut), plot one."""
    import shutil
    import time

    from hepemu.data.dataset import Dataset
    from hepemu.data.generate import GenerationPlan, generate
    from hepemu.evaluation.plots import dataset_overview
    from hepemu.evaluation.report import md_table

    plans = [
        GenerationPlan("gghh-box-1l", 200_000, 50_000, seed=1),
        GenerationPlan("ee-qqg", 200_000, 50_000, seed=1, options=(("ycut", 0.01),)),
    ]
    rows = []
    for plan in plans:
        out = folder / f"{plan.provider}.h5"
        shutil.rmtree(str(out) + ".parts", ignore_errors=True)  # time a fresh run
        out.unlink(missing_ok=True)
        t0 = time.perf_counter()
        digest = generate(plan, out)
        dt = time.perf_counter() - t0
        ds = Dataset.open(out)
        rows.append(
            {
                "provider": plan.provider,
                "options": dict(plan.options),
                "sampled": plan.n,
                "kept": ds.n,
                "points_per_s": plan.n / dt,
                "hash": digest,
            }
        )
    ds = Dataset.open(folder / "ee-qqg.h5")
    png = dataset_overview(
        ds.read("inputs"),
        ds.read("targets"),
        ds.meta["columns"],
        folder / "ee-qqg.png",
        "ee-qqg, Durham ycut 0.01: 3-jet events",
    )
    table = md_table(
        ["provider", "options", "sampled", "kept", "points/s (serial, incl. writing)", "hash"],
        [
            [
                r["provider"],
                " ".join(f"{k}={v}" for k, v in r["options"].items()) or "-",
                r["sampled"],
                r["kept"],
                r["points_per_s"],
                r["hash"][:16] + "…",
            ]
            for r in rows
        ],
    )
    rep.section(
        "Truth data (`hepemu data generate`; rerunning resumes, files are identical for any "
        "executor)",
        table,
    )
    rep.figure(png.relative_to(folder.parent), "inputs and log10 |M|² of the ee-qqg dataset")
    return rows
