"""Results pages: the one-loop gg→HH box INN against quadrature (inn_gghh.json, pySecDec)."""

from __future__ import annotations

from results_format import load, pct, ratio, sci, size

LABELS = {
    "gl": "Gauss–Legendre, library (broadcast)",
    "gl_linear": "Gauss–Legendre, F linear in s (matrix product)",
    "qmc": "lattice QMC, library (broadcast)",
    "qmc_linear": "lattice QMC, F linear in s (matrix product)",
}
PUBLISHED = {"gelu": 3.9, "tanh": 3.4, "sigmoid": 2.9, "softsign": 0.8}  # Bentley 2024


def precision_part(inn: dict) -> list[str]:
    prec, cal = inn["precision"], inn["calibration"]
    n_rep = cal["replicas"]
    allr, first2 = prec[f"all {n_rep}"], prec.get("first 2")
    singles = [prec[k]["mean_digits"] for k in prec if k.startswith("replica ")]
    cov = allr["coverage"]
    out = [
        f"**Precision of the shipped `gghh-box-1l` replica set** ({allr['n_points']} unseen "
        "uniform points of the region, the same as in the throughput table; references by "
        "32³ Gauss–Legendre, ≈ 11 digits (median 11.4, worst 9.8 against 48³, measured by "
        "`hepemu run`); mean digits = mean of −log₁₀|I_INN/I_ref − 1|):",
        "",
        "| model | mean digits | median | worst | boundary layer (5 %) | truth covered by "
        "spread/√n · spread · 2×spread |",
        "|---|---|---|---|---|---|",
        f"| shipped: {n_rep} × GELU 3×64, float32 | **{allr['mean_digits']:.2f}** | "
        f"{allr['median_digits']:.2f} | {allr['worst_digits']:.2f} | "
        f"{allr['mean_digits_boundary']:.2f} | {pct(cov['sem (spread/sqrt(n))'])} · "
        f"{pct(cov['replica spread'])} · {pct(cov['2 x replica spread'])} |",
    ]
    if first2:
        c2 = first2["coverage"]
        out.append(
            f"| its first 2 replicas (the previous release) | {first2['mean_digits']:.2f} | "
            f"{first2['median_digits']:.2f} | {first2['worst_digits']:.2f} | "
            f"{first2['mean_digits_boundary']:.2f} | {pct(c2['sem (spread/sqrt(n))'])} · "
            f"{pct(c2['replica spread'])} · {pct(c2['2 x replica spread'])} |"
        )
    out += [
        "| its single replicas | " + ", ".join(f"{d:.2f}" for d in singles) + " | | | | |",
        "| published (Bentley 2024, GPU, hours; quoted, not run here): "
        "GELU / tanh / sigmoid / softsign | "
        + " / ".join(f"{v:.1f}" for v in PUBLISHED.values())
        + " | | | | |",
        "",
    ]
    d = allr["mean_digits"]
    tanh_ok = "is met" if d >= PUBLISHED["tanh"] else "is not met"
    gelu_ok = "is reached" if d >= PUBLISHED["gelu"] else "is not reached"
    text = (
        f"The published tanh result ({PUBLISHED['tanh']}) {tanh_ok}; the published GELU best "
        f"({PUBLISHED['gelu']}) {gelu_ok}, and our 4.5-digit goal is not: the models were "
        "trained on 2 CPU cores (no GPU was available)."
    )
    if first2:
        text += (
            f" The two later replicas (trained in parallel with `scripts/build_pretrained.sh`) "
            f"took the set from {first2['mean_digits']:.2f} to {d:.2f} digits."
        )
    cc = cal["coverage"]
    sem = cc.get("spread/sqrt(n)", cc.get("I_err (spread/sqrt(n))"))  # key before sigma_scale
    text += (
        f" Error bars: the standard error of the replica mean (spread/√{n_rep}) covers the "
        f"truth at only {pct(cov['sem (spread/sqrt(n))'])} of these points where 68 % would "
        "be honest — the replicas share most of their error, so averaging does not remove it. "
        f"On {cal['points']} further points used for nothing else (seed {cal['seed']}) the "
        f"replica spread itself covers {pct(cc['replica spread'])} and twice the spread "
        f"{pct(cc['2 x replica spread'])} (spread/√{n_rep}: {pct(sem)})"
    )
    if "I_err (calibrated spread)" in cc:
        text += (
            f"; the shipped `I_err` = √(({cal['sigma_scale']:.3g}·spread)² + "
            f"({cal['sigma_floor']:.2g}·|I|)²), fitted by `hepemu integral calibrate` on 2000 "
            "held-out points (seed 777), covers "
            f"{pct(cc['I_err (calibrated spread)'])} at 1σ and {pct(cc['2 x I_err'])} at 2σ "
            "(targets 68 ± 5 % and 95 ± 3 %)."
        )
    else:
        text += ": read the replica spread as the 1σ error."
    out += [text, ""]
    return out


def grid_part(inn: dict) -> list[str]:
    grid = inn["training_grid"]
    if not grid:
        return []
    a = inn["args"]
    vals = ", ".join(f"{r['activation']} {r['mean_digits']:.2f}" for r in grid)
    order = [r["activation"] for r in sorted(grid, key=lambda r: -r["mean_digits"])]
    pub = [k for k in sorted(PUBLISHED, key=lambda k: -PUBLISHED[k]) if k in order]
    same = "the published ordering" if order == pub else "not the published ordering"
    return [
        f"**Activation comparison at equal (short) budget** — {a['minutes']:g} CPU minute(s) "
        f"each, {a['threads']} thread, {grid[0]['architecture']}, same recipe, mean digits on "
        f"the same points: {vals} — {same}.",
        "",
    ]


def throughput_part(inn: dict) -> list[str]:
    thr = inn["throughput"]
    lad, at = thr["ladders"], thr["at_inn_digits"]
    keys = sorted(thr["inn"], key=int)
    top = keys[-1]
    lo_t = min(thr["inn"][k]["digits"] for k in keys)
    hi_t = max(thr["inn"][k]["digits"] for k in keys)
    shifts = inn["args"]["qmc_shifts"]
    agree = max(
        r.get("max_rel_diff_vs_library", 0.0)
        for rows in [*lad.values(), *(inn["whole_box"][m] for m in ("gl", "gl_linear"))]
        for r in rows
    )
    out = [
        f"**Throughput at equal digits** — all methods on the same {thr['points']} points, "
        f"{thr['threads']} thread each (torch, OpenMP and BLAS pinned), medians of "
        f"{thr['repeats']} repeats after a warm-up. Baselines are the strongest we could write: "
        "the library's rules (which now broadcast the integrand over the nodes instead of "
        "copying (N·nodes, 3) arrays) and hand-written ones that use that the box's F is linear "
        "in the invariants, F = A(x) + s·B(x): A, B on the nodes (cached like GL's nodes; "
        "recomputed in every QMC call, whose shifts are random), then one matrix product per "
        "block (`linear_gl`, `linear_qmc` in the benchmark; they agree with the "
        f"library to {agree:.0e} relative). QMC: rank-1 lattice, Korobov 3, "
        f"{shifts} random shifts (for an error estimate, as the INN's replicas give one).",
        "",
        "| method | size | mean digits | integrals/s |",
        "|---|---|---|---|",
    ]
    for k in keys:
        r = thr["inn"][k]
        name = f"INN, {k} replica{'s' if int(k) > 1 else ''}"
        if k == top:
            name = f"**{name}, shipped**"
        name += " (incl. its 27-point normalisation)"
        out.append(f"| {name} | | {r['digits']:.2f} | {sci(r['per_s'])} |")
    for method, rows in lad.items():
        # the sizes around the INN's digits: last below the lowest, up to first above highest
        first_hi = next((i for i, r in enumerate(rows) if r["digits"] >= hi_t), len(rows) - 1)
        below = [i for i, r in enumerate(rows) if r["digits"] < lo_t]
        start = below[-1] if below else 0
        for r in rows[start : first_hi + 1]:
            out.append(
                f"| {LABELS[method]} | {size(method, r['setting'], shifts)} | "
                f"{r['digits']:.2f} | {sci(r['per_s'])} |"
            )
    out += [
        "",
        "INN rate ÷ baseline rate at the INN's own digits (> 1: the INN is faster): the "
        "baseline's rate log-interpolated between the two sizes that bracket the INN's digits, "
        "and in brackets at the smallest size that reaches them:",
        "",
        "| INN | digits | integrals/s | " + " | ".join(LABELS[m] for m in lad) + " |",
        "|---|---|---|" + "---|" * len(lad),
    ]
    for k in keys:
        r = thr["inn"][k]
        cells = []
        for m in lad:
            a = at[k][m]
            if not a["reached"]:
                cells.append("not reached")
                continue
            main = ratio(r["per_s"], a["interp_per_s"]) if a["interp_per_s"] else "–"
            cells.append(
                f"{main} ({size(m, a['setting'], shifts)}: {ratio(r['per_s'], a['per_s'])})"
            )
        out.append(f"| {k} | {r['digits']:.2f} | {sci(r['per_s'])} | " + " | ".join(cells) + " |")
    out.append("")
    # where the INN loses / wins, said plainly
    r = thr["inn"][top]
    loses = [
        (m, a)
        for m, a in at[top].items()
        if a["reached"] and r["per_s"] < (a["interp_per_s"] or a["per_s"])
    ]
    wins = [
        (m, a)
        for m, a in at[top].items()
        if a["reached"] and r["per_s"] >= (a["interp_per_s"] or a["per_s"])
    ]
    text = f"**Where the INN loses.** At its own {r['digits']:.2f} digits the shipped set "
    if loses:
        text += "is slower than " + "; ".join(
            f"{LABELS[m]} ({ratio(a['interp_per_s'] or a['per_s'], r['per_s'])} faster than "
            "the INN)"
            for m, a in loses
        )
        text += "."
    if wins:
        text += (" It is faster than " if loses else "is faster than ") + "; ".join(
            f"{LABELS[m]} ({ratio(r['per_s'], a['interp_per_s'] or a['per_s'])})" for m, a in wins
        )
        text += "."
    one = thr["inn"][keys[0]]
    text += (
        f" One replica alone runs at {sci(one['per_s'])}/s but at {one['digits']:.2f} digits "
        "and with no error estimate. For this smooth 3-parameter integral a user who needs "
        "the integral at a few points, or at more than the INN's digits, should use "
        "Gauss–Legendre (`hepemu integral reference`; the linear-in-s form is specific to "
        "this box). Each INN replica costs one network evaluation per point, whatever the "
        "dimension, while tensor rules grow as nᵏ (12⁶ ≈ 3 × 10⁶ nodes for a 6-parameter "
        "sector): that, and GPUs, is where the INN's case would have to be made — neither is "
        "measured here."
    )
    out += [text, ""]
    return out


def pysecdec_part(inn: dict) -> list[str]:
    psd, box = inn["pysecdec"], inn["whole_box"]
    same_run = psd.get("status") == "measured in this run"
    out = []
    if "digits" not in psd:
        out += [f"**pySecDec**: {psd.get('status')}.", ""]
        return out
    when = (
        "in the same run"
        if same_run
        else f"in an earlier run ({psd['created']}, `{psd['source']}`; pySecDec is not "
        "installed in this environment, so no ratio with this run is formed)"
    )
    ap = box.get("at_pysecdec_digits", {})
    gl, gll = ap.get("gl", {}), ap.get("gl_linear", {})
    version = f" {psd['version']}" if psd.get("version") else ""
    text = (
        f"**pySecDec — not the same integral.** pySecDec{version} integrates "
        "the *whole* box "
        "(all four primary sectors, with its own sector decomposition); the shipped INN learns "
        "*one* primary sector (x4 = 1, `src/hepemu/physics/integrals/gghh.py`). pySecDec's "
        f"QMC at epsrel {psd['epsrel']:g} with a {psd['minn']}-point minimum lattice, "
        f"{psd['threads']} thread, measured {when}: {psd['digits']:.2f} mean digits on "
        f"{psd['points']} points, {1e3 / psd['per_s']:.1f} ms per point "
        f"({sci(psd['per_s'])} integrals/s). We give no INN/pySecDec ratio: the integrals "
        f"differ (one sector vs four) and so do the digits ({psd['digits']:.1f} vs the INN's "
        f"{inn['throughput']['inn'][max(inn['throughput']['inn'], key=int)]['digits']:.1f}), "
        "and pySecDec was not timed on one sector or at fewer digits."
    )
    if gl.get("reached"):
        text += (
            f" Like for like — the whole box at pySecDec's digits, on {box['points']} points "
            f"of this run — Gauss–Legendre needs {gl['setting']}³ nodes ({gl['digits']:.2f} "
            f"digits): {sci(gl['per_s'])}/s from the library, {sci(gll['per_s'])}/s in the "
            "linear form"
        )
        if same_run:
            text += (
                f", i.e. {ratio(gl['per_s'], psd['per_s'])} and "
                f"{ratio(gll['per_s'], psd['per_s'])} pySecDec's rate (same run)"
            )
        text += "."
    out += [text, ""]
    full = load("pysecdec_gghh.json")
    if full:
        s, cfg, h = full["summary"], full["config"], full["hardware"]
        threads = (
            f"{cfg['threads']} QMC thread(s)"
            if cfg["threads"]
            else f"pySecDec's default QMC threads (all cores: {h['cpu_affinity']})"
        )
        out += [
            f"The standalone pySecDec run (`nice -n 19 python benchmarks/pysecdec_gghh.py`, "
            f"`benchmarks/results/pysecdec_gghh.json`, {h['cpu']}): generation "
            f"{s['generation_s']:.1f} s, compile {s['compile_s']:.0f} s (`make -j{cfg['jobs']}`), "
            f"the reference point reproduced to {s['check_digits']:.0f} digits, "
            f"{s['median_ms_per_point']:.0f} ms per point at epsrel {cfg['epsrel']:g} and its "
            f"default {cfg['minn']}-point minimum lattice ({s['mean_digits_vs_gl']:.1f} digits, "
            f"{s['points']} points) — with {threads}, niced, load average "
            f"{h['loadavg_start'][0]:.1f}: not comparable with the 1-thread timings above.",
            "",
        ]
    return out


def kernels_part(inn: dict) -> list[str]:
    thr = inn["threads"]
    out = []
    ds = inn["derivative_speedup"]
    if ds:
        parts = "; ".join(
            f"k = {r['k']}: {r['subset_s']:.3f} s vs {r['nested_autograd_s']:.3f} s "
            f"({r['speedup']:.1f}×)"
            for r in ds
        )
        out += [
            "**Subset-derivative forward pass vs nested autograd** (fit step: derivative + "
            f"backward, batch {ds[0]['batch']}, GELU 3×64, {thr} thread, same run): {parts}. "
            "The Faà di Bruno sum is evaluated by a memoised recursion over the block holding "
            "the lowest variable, so products shared by the 203 partitions of a 6-set are "
            "formed once.",
        ]
    cs = inn.get("compile_speedup")
    if cs:
        out += [
            f"`torch.compile` of the training loss: {cs['speedup']:.2f}× "
            f"({cs['eager_steps_per_s']:.1f} → {cs['compiled_steps_per_s']:.1f} Adam steps/s, "
            f"batch {cs['batch']}, {thr} thread, same run; compiling took "
            f"{cs['first_compiled_call_s']:.0f} s).",
        ]
    return out + [""] if out else out
