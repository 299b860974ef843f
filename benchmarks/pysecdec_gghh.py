"""Benchmark: real pySecDec (QMC) on the one-loop gg→HH top box, for comparison with hepemu.

Generates (once) and compiles a pySecDec library for the finite D=4 scalar box with four
propagators of mass² mt² = 1, checks it at a reference point against the known value, then
times one pySecDec integration per random Euclidean point (−30 ≤ s12, s14, mH² ≤ −3) and
compares the values with hepemu's Gauss–Legendre reference. Needs `pip install pysecdec`,
make and a C++17 compiler; the CPU-heavy steps (FORM, g++) are best run under `nice`.

    nice -n 19 python3 benchmarks/pysecdec_gghh.py                 # N=20, epsrel 1e-6, 1 thread
    nice -n 19 python3 benchmarks/pysecdec_gghh.py --points 100 --epsrel 1e-8 --threads 1

Generated code lives in --workdir (default runs/pysecdec, gitignored) and is reused.
"""

# pySecDec: Borowka et al., arXiv:1703.09692; Heinrich et al. (pySecDec 1.6), arXiv:2305.19768.

from __future__ import annotations

import argparse
import contextlib
import json
import os
import platform
import shutil
import subprocess
import sys
import time
from importlib import metadata
from pathlib import Path
from typing import Any

import numpy as np
from rich.console import Console
from rich.table import Table

from hepemu.evaluation.metrics import p_values
from hepemu.machine import cpu_name
from hepemu.physics.integrals.gghh import GGHH_BOX_FULL
from hepemu.physics.integrals.quadrature import integrate_gauss_legendre

console = Console()

MT2 = 1.0
REGION = (-30.0, -3.0)
# (s12, s14, mH2) and ∫ dx δ(1−Σx) 1/F² there (whole box, mt² = 1)
REF_POINT = (-10.0, -5.0, -4.0)
REF_VALUE = 4.1647332855491e-2
REAL_PARAMETERS = ("s12", "s14", "mH2", "mt2")
GENERATED_MARKER = "generated.ok"


def library_name(contour_deformation: bool) -> str:
    return "gghh_box_cd" if contour_deformation else "gghh_box"


def generate(workdir: Path, name: str, contour_deformation: bool) -> float:
    """Write the pySecDec C++ package ``workdir/name``; return the wall time in seconds.

    pySecDec normalises a loop with ∫ d^Dk / (iπ^{D/2}) and Feynman propagators 1/(q² − m²),
    and puts (−1)^{Nν} Γ(Nν − LD/2) / ∏Γ(νj) into the prefactor. With Nν = 4, L = 1,
    D = 4 − 2ε the prefactor is exp(−4iπ) Γ(2 + ε) = Γ(2 + ε) and the integrand is
    U^{2ε} F^{−2−ε}, so the ε⁰ coefficient of the result *with* prefactor is exactly
    ∫ dx δ(1 − Σx) 1/F². Nothing has to be divided out (checked at REF_POINT).
    """
    import pySecDec as psd

    pkg = workdir / name
    if pkg.exists():
        shutil.rmtree(pkg)
    workdir.mkdir(parents=True, exist_ok=True)
    # momentum conservation p1 + p2 + p3 + p4 = 0, p1² = p2² = 0, p3² = p4² = mH²
    rules = [
        ("p1*p1", "0"),
        ("p2*p2", "0"),
        ("p4*p4", "mH2"),
        ("p1*p2", "s12/2"),
        ("p1*p4", "(s14 - mH2)/2"),
        ("p2*p4", "-s12/2 - (s14 - mH2)/2"),  # from (p1 + p2 + p4)² = p3² = mH²
    ]
    box = psd.LoopIntegralFromPropagators(
        propagators=["(k+p1)**2 - mt2", "(k+p1+p4)**2 - mt2", "(k-p2)**2 - mt2", "k**2 - mt2"],
        loop_momenta=["k"],
        external_momenta=["p1", "p2", "p4"],
        replacement_rules=rules,
        regulators=["eps"],
        dimensionality="4 - 2*eps",
    )
    t0 = time.perf_counter()
    with contextlib.chdir(workdir):
        psd.loop_package(
            name=name,
            loop_integral=box,
            requested_orders=[0],
            real_parameters=list(REAL_PARAMETERS),
            # F > 0 everywhere in the Euclidean region: no contour deformation needed
            contour_deformation=contour_deformation,
            decomposition_method="geometric",
            form_threads=1,
            processes=1,
            pylink_qmc_transforms=["korobov3x3"],
        )
    elapsed = time.perf_counter() - t0
    (pkg / GENERATED_MARKER).write_text(f"{elapsed}\n")
    return elapsed


def compile_library(pkg: Path, jobs: int) -> float:
    """``make pylink`` in the package directory (FORM code generation + g++); wall seconds."""
    t0 = time.perf_counter()
    log = pkg / "make.log"
    with log.open("w") as fh:
        proc = subprocess.run(
            ["make", f"-j{jobs}", "-C", str(pkg), "pylink"], stdout=fh, stderr=subprocess.STDOUT
        )
    if proc.returncode != 0:
        tail = log.read_text().splitlines()[-30:]
        raise RuntimeError("make failed:\n" + "\n".join(tail))
    return time.perf_counter() - t0


def eps0(result: dict[str, Any], name: str) -> tuple[float, float]:
    """ε⁰ coefficient (value, error) from pySecDec's ``format="json"`` result."""
    value, error = result["sums"][name][(0,)]
    if abs(complex(value).imag) > 1e-12 * abs(complex(value)):
        raise RuntimeError(f"unexpected imaginary part in Euclidean region: {value}")
    return float(complex(value).real), float(abs(complex(error).real))


def integrate(
    lib: Any, name: str, point: tuple[float, float, float], args: argparse.Namespace
) -> dict[str, Any]:
    """One pySecDec call at ``point`` = (s12, s14, mH2); value, error estimate, wall time."""
    s12, s14, mh2 = point
    t0 = time.perf_counter()
    _, prefactor, with_prefactor = lib(
        real_parameters=[s12, s14, mh2, MT2],
        epsrel=args.epsrel,
        epsabs=args.epsabs,
        format="json",
    )
    wall = time.perf_counter() - t0
    value, error = eps0(with_prefactor, name)
    return {
        "s12": s12,
        "s14": s14,
        "mH2": mh2,
        "value": value,
        "error": error,
        "rel_error": error / abs(value),
        "wall_s": wall,
        "prefactor": prefactor,
    }


def hardware() -> dict[str, Any]:
    """The shared machine record's CPU model (hepemu.machine), plus the C++ compiler."""
    compiler = subprocess.run(
        [os.environ.get("CXX", "g++"), "--version"], capture_output=True, text=True, check=False
    ).stdout.splitlines()
    return {
        "machine": platform.machine(),
        "cpu": cpu_name(),
        "cpu_count": os.cpu_count(),
        "cpu_affinity": len(os.sched_getaffinity(0)),
        "platform": platform.platform(),
        "python": platform.python_version(),
        "compiler": compiler[0] if compiler else None,
        "loadavg_start": os.getloadavg(),
        "niceness": os.nice(0),
    }


def versions() -> dict[str, str]:
    out = {}
    for pkg in ("pysecdec", "hepemu", "numpy", "sympy"):
        try:
            out[pkg] = metadata.version(pkg)
        except metadata.PackageNotFoundError:
            out[pkg] = "not installed"
    return out


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--workdir", type=Path, default=Path("runs/pysecdec"))
    p.add_argument("--points", type=int, default=20, help="random Euclidean points to time")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--epsrel", type=float, default=1e-6, help="pySecDec target rel. accuracy")
    p.add_argument(
        "--epsabs", type=float, default=1e-30, help="absolute target (tiny, so that epsrel decides)"
    )
    p.add_argument(
        "--check-epsrel",
        type=float,
        default=1e-10,
        help="target rel. accuracy for the reference-point check",
    )
    p.add_argument(
        "--minn",
        type=int,
        default=10000,
        help="minimal QMC lattice size per sector (pySecDec default 10000)",
    )
    p.add_argument(
        "--threads",
        type=int,
        default=1,
        help="QMC CPU threads (1, like every other benchmark here; 0: pySecDec default, all "
        "cores in the affinity mask, which the committed pysecdec_gghh.json used)",
    )
    p.add_argument("--jobs", type=int, default=1, help="make -j")
    p.add_argument("--gl-nodes", type=int, default=32, help="Gauss–Legendre nodes per axis")
    p.add_argument(
        "--contour-deformation",
        action="store_true",
        help="generate with contour deformation (not needed in the Euclidean region)",
    )
    p.add_argument("--force", action="store_true", help="regenerate and rebuild the library")
    p.add_argument("--out", type=Path, default=Path("benchmarks/results/pysecdec_gghh.json"))
    return p.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    from pySecDec.integral_interface import IntegralLibrary

    name = library_name(args.contour_deformation)
    workdir = args.workdir.resolve()
    pkg = workdir / name
    so = pkg / f"{name}_pylink.so"
    info: dict[str, Any] = {"hardware": hardware(), "versions": versions()}

    gen_s = compile_s = None
    if args.force or not (pkg / GENERATED_MARKER).exists():
        console.print(f"[bold]generating[/] {pkg}")
        gen_s = generate(workdir, name, args.contour_deformation)
    if args.force or gen_s is not None or not so.exists():
        console.print(f"[bold]compiling[/] {pkg} (make -j{args.jobs}, log in make.log)")
        compile_s = compile_library(pkg, args.jobs)
    else:
        console.print(f"reusing {so}")

    lib = IntegralLibrary(str(so))
    qmc: dict[str, Any] = {"transform": "korobov3", "seed": args.seed, "minn": args.minn}
    if args.threads > 0:
        qmc["cputhreads"] = args.threads
    lib.use_Qmc(**qmc)

    # reference point, at tight accuracy
    check_args = argparse.Namespace(**{**vars(args), "epsrel": args.check_epsrel})
    check = integrate(lib, name, REF_POINT, check_args)
    check["reference"] = REF_VALUE
    check["digits"] = float(-p_values(check["value"], REF_VALUE))
    if check["digits"] < 8:
        console.print(f"[red]reference check failed:[/] {check['value']!r} vs {REF_VALUE!r}")

    # timed random points (first call above also warmed up the library)
    rng = np.random.default_rng(args.seed)
    s = rng.uniform(*REGION, size=(args.points, 3))
    rows = [integrate(lib, name, tuple(map(float, row)), args) for row in s]
    est = np.array([r["value"] for r in rows])
    walls = np.array([r["wall_s"] for r in rows])
    rel_err = np.array([r["rel_error"] for r in rows])
    gl = integrate_gauss_legendre(GGHH_BOX_FULL, s, 3, args.gl_nodes)
    gl_check = float(
        integrate_gauss_legendre(GGHH_BOX_FULL, np.array([REF_POINT]), 3, args.gl_nodes)[0]
    )
    digits = -p_values(est, gl)
    for r, g, d in zip(rows, gl, digits, strict=True):
        r["gauss_legendre"] = float(g)
        r["digits_vs_gl"] = float(d)

    summary = {
        "generation_s": gen_s,
        "compile_s": compile_s,
        "check_value": check["value"],
        "check_digits": check["digits"],
        "gl_check_digits": float(-p_values(gl_check, REF_VALUE)),
        "points": args.points,
        "median_ms_per_point": float(np.median(walls) * 1e3),
        "mean_ms_per_point": float(np.mean(walls) * 1e3),
        "total_s": float(walls.sum()),
        "mean_rel_error_estimate": float(rel_err.mean()),
        "max_rel_error_estimate": float(rel_err.max()),
        "mean_digits_vs_gl": float(digits.mean()),
        "min_digits_vs_gl": float(digits.min()),
    }
    info["hardware"]["loadavg_end"] = os.getloadavg()
    config = {k: (str(v) if isinstance(v, Path) else v) for k, v in vars(args).items()}
    result = {
        "benchmark": "pysecdec-gghh-box-1l",
        "integral": "∫ dx δ(1−Σx) 1/F², one-loop gg→HH top box, D=4, mt²=1",
        "region": {"s12": REGION, "s14": REGION, "mH2": REGION},
        "integrator": {"name": "Qmc", **qmc, "epsrel": args.epsrel, "epsabs": args.epsabs},
        "library": str(so),
        "config": config,
        **info,
        "summary": summary,
        "check": check,
        "results": rows,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2) + "\n")

    table = Table(title=f"pySecDec {info['versions']['pysecdec']} on the gg→HH box")
    table.add_column("quantity")
    table.add_column("value", justify="right")
    fmt = {
        "generation (s)": gen_s,
        "compile (s)": compile_s,
        "check value": check["value"],
        "check digits": check["digits"],
        "points": args.points,
        "epsrel": args.epsrel,
        "median (ms/point)": summary["median_ms_per_point"],
        "total (s)": summary["total_s"],
        "mean rel. error est.": summary["mean_rel_error_estimate"],
        "max rel. error est.": summary["max_rel_error_estimate"],
        "mean digits vs GL": summary["mean_digits_vs_gl"],
        "min digits vs GL": summary["min_digits_vs_gl"],
    }
    for key, val in fmt.items():
        text = "reused" if val is None else f"{val:.6g}" if isinstance(val, float) else str(val)
        table.add_row(key, text)
    console.print(table)
    console.print(f"wrote {args.out}")
    return 0 if check["digits"] >= 8 else 1


if __name__ == "__main__":
    sys.exit(main())
