"""Results pages: one-loop g g → γ γ g networks, cross sections, truth data."""

from __future__ import annotations

import json
from pathlib import Path

from results_format import RESULTS, ROOT, hw, load, pct, pct2, sci

# commit 643343d: GL/QMC broadcast over the nodes; runs created earlier used np.repeat/np.tile
QUADRATURE_BROADCAST = "2026-11-27T11:45:31"


def inputs_line(features: str | None) -> str:
    """What the loop networks saw, and the measured comparison behind the choice."""
    if features is None:
        return "the 20 momentum components, standardised (the paper's)"
    line = f"`--features {features}` (standardised)"
    path = RESULTS / "loop_bnn_features.json"
    if features == "log-invariants" and path.exists():
        q = json.loads(path.read_text())["summary"]["q68_abs_delta"]
        bnn = {k: v["Bayesian network"]["q68_abs_delta"] for k, v in q.items()}
        line += (
            ": log(s_ij/s) of every pair, beams included. At 9 k points and 2 CPU-minutes the "
            f"Bayesian network's 68 % abs(Δ) was {sci(bnn['log-invariants'])} with them, "
            f"{sci(bnn['invariants'])} with linear beam invariants and "
            f"{sci(bnn['momenta'])} with the paper's 20 momentum components "
            "(`benchmarks/results/loop_bnn_features.json`)"
        )
    return line


def loop_bnn_part(path: Path | None = None) -> list[str]:
    """One-loop g g → γ γ g surrogates that know their error (benchmarks/loop_bnn.py)."""
    path = path or RESULTS / "loop_bnn.json"
    if not path.exists():
        return []
    d = json.loads(path.read_text())
    out = [
        "### One-loop g g → γ γ g: networks that know their error",
        "",
        f"From `{d['command']}` (`{path.relative_to(ROOT) if path.is_relative_to(ROOT) else path}`"
        f", created {d['created']}, {hw(d)}): {d['test_points']} test points; the truth "
        f"(the numerical reduction, now `ggyyg-1l-numerical`) cost "
        f"{d['truth_us_per_point'] / 1e3:.0f} ms per point on one core (the closed form "
        "`ggyyg-1l` since: [below](#one-loop-truth-in-closed-form)). Δ = "
        "A_NN/A_true − 1; pull width = half the 16–84 % interval of (⟨A⟩ − A)/σ. "
        f"Inputs: {inputs_line(d['args'].get('features'))}.",
        "",
        "| training points | model | 68 % of abs(Δ) below | largest 1 %: 68 % below | "
        "largest 1 % within 1 % | pull width σ_tot / σ_model / σ_pred | 1σ / 2σ coverage | "
        "train s |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for n, rows in d["results"].items():
        for label, r in rows.items():
            if "coverage_1sigma" not in r:  # a model without an error bar
                out.append(
                    f"| {n} | {label} | {sci(r['q68_abs_delta'])} | "
                    f"{sci(r['top1pct_q68_abs_delta'])} | {pct(r['top1pct_within_1pct'])} | — "
                    f"| — | {r['train_s']:.0f} |"
                )
                continue
            out.append(
                f"| {n} | {label} | {sci(r['q68_abs_delta'])} | "
                f"{sci(r['top1pct_q68_abs_delta'])} | {pct(r['top1pct_within_1pct'])} | "
                f"{r['pull_width_sigma_tot']:.2f} / {r['pull_width_sigma_model']:.2f} / "
                f"{r['pull_width_sigma_pred']:.2f} | {pct(r['coverage_1sigma'])} / "
                f"{pct(r['coverage_2sigma'])} | {r['train_s']:.0f} |"
            )
    best = {  # the best model with an error bar (the pull target needs one)
        n: min(
            (r for r in rows.values() if "coverage_1sigma" in r),
            key=lambda r: r["q68_abs_delta"],
        )
        for n, rows in d["results"].items()
    }
    verdicts = []
    for n, r in best.items():
        ok68 = r["q68_abs_delta"] < 2e-3
        oktop = r["top1pct_q68_abs_delta"] < 1e-2
        okpull = 0.8 <= r["pull_width_sigma_tot"] <= 1.2
        verdicts.append(
            f"{n} points (best model): 68 % of abs(Δ) below 0.2 % "
            f"{'met' if ok68 else 'not met'}, largest 1 % of amplitudes within 1 % (68 % of "
            f"them) {'met' if oktop else 'not met'}, pull width 0.8–1.2 "
            f"{'met' if okpull else 'not met'}"
        )
    out += ["", "Targets (issue 15): " + "; ".join(verdicts) + ".", ""]
    sizes = sorted(d["results"], key=int)
    if len(sizes) > 1:
        q = {n: min(r["q68_abs_delta"] for r in d["results"][n].values()) for n in sizes}
        out += [
            f"The best 68 % of abs(Δ) moves from {sci(q[sizes[0]])} ({sizes[0]} points) to "
            f"{sci(q[sizes[-1]])} ({sizes[-1]} points) at the same {d['args']['minutes']:g} "
            "CPU-minutes per fit: ten times more data does not help at this budget, while more "
            "time did (the Bayesian network at 9 k points after 2 CPU-minutes: above). The "
            "targets need far longer training than this machine gives (GPU work).",
            "",
        ]
    return out


def loop_cross_section_part() -> list[str]:
    """σ(gg → γγg) = ∫s + ∫(f − s) with the Bayesian network (loop_cross_section.py)."""
    path = RESULTS / "loop_cross_section.json"
    if not path.exists():
        return []
    d = json.loads(path.read_text())
    xs = d["cross_section"]
    top, lb = "", load("loop_bnn.json")
    shipped = [
        r
        for rows in (lb or {}).get("results", {}).values()
        for r in rows.values()
        if r.get("shipped")
    ]
    if shipped:
        top = f" (largest 1 %: 68 % within {pct(shipped[0]['top1pct_q68_abs_delta'])}, above)"
    declined = (
        f"The truth declined (NaN) at {xs['truth_unresolved']} of them "
        f"({pct2(d['unresolved_fraction'])}); the network stands in there, and its error over "
        f"them, summed linearly, sizes the bias they can leave: {sci(xs['unresolved_error'])} pb "
        f"({pct2(d['unresolved_relative_bound'])} of σ). "
        if xs["truth_unresolved"]
        else "The closed-form truth answered at every point (no declined points, no bias "
        "bound needed). "
    )
    flat = d.get("flat_reference")
    check = (
        f"An independent check, the truth alone on {flat['points']:,} flat RAMBO points: "
        f"{flat['value']:.4g} ± {sci(flat['error'])} pb; its largest weight is "
        f"{flat['max_weight_over_mean']:.3g}× the mean — a heavy tail (soft and collinear jets at "
        "the cuts) that a few thousand points sample poorly: the named run before the closed "
        "form (2000 true evaluations) gave 0.002718 ± 1.0 × 10⁻⁴ pb, several standard errors "
        "low. "
        if flat
        else ""
    )
    return [
        f"**One-loop cross section kept unbiased** (`{d['command']}`, "
        f"`benchmarks/results/loop_cross_section.json`, created {d['created']}, {hw(d)}): "
        f"σ(gg → γγg, √ŝ = 1 TeV, cuts) = ∫s + ∫(f − s) with `{d['args']['model']}` as s "
        f"({xs['surrogate_points']} surrogate points through a vegas map adapted to it) and "
        f"{xs['truth_points']} true one-loop evaluations: {xs['value']:.4g} ± "
        f"{sci(xs['error'])} pb ({pct2(d['relative_error'])}); ∫s alone "
        f"{xs['surrogate_part']:.4g} pb. {declined}Plain "
        f"MC with the same true evaluations gives {xs['plain']:.4g} ± {sci(xs['plain_error'])} "
        f"pb; the correction's variance is "
        f"{xs['variance_reduction']:.3g}× smaller than the plain weights'. {check}Costs here: "
        f"truth {d['truth_s_per_point'] * 1e6:.3g} µs per point, network "
        f"{d['surrogate_us_per_point']:.3g} µs: with the closed form the truth is as cheap as "
        "the network, so plain MC of the truth is the better use of CPU time here. The network "
        f"alone is off by {pct((xs['surrogate_part'] - xs['value']) / xs['value'])}"
        f" ({abs(xs['correction']) / xs['error']:.1f} standard errors): σ weights the largest "
        f"amplitudes, where the network is least precise{top}; the correction term is what "
        "keeps such a surrogate usable in a cross section.",
        "",
    ]


def data_part() -> list[str]:
    d = load("data_generation.json")
    if not d:
        return []
    gen = {}
    for r in d["generation"]:
        gen.setdefault(r["provider"], {})[r["executor"]] = r
    names = {
        "gghh-box-1l (integrand)": "`gghh-box-1l` integrand",
        "ee-qqg, Durham ycut 0.01": "`ee-qqg`, RAMBO + Durham 3-jet cut (ycut 0.01, fastjet)",
        "gghh-box-1l/integral (GL 24^3)": "`gghh-box-1l/integral` (I(s) by 24³ Gauss–Legendre)",
    }
    a = d["args"]
    out = [
        f"**Truth-data generation and streaming reads** (`python benchmarks/data_generation.py`, "
        f"{d['wall_s'] / 60:.1f} min; `benchmarks/results/data_generation.json`, created "
        f"{d['created']}, {hw(d)}; medians of {a['repeats']} fresh runs each; the content "
        "hash is checked equal across executors in the same run):",
        "",
        f"| provider | points | serial points/s | {a['workers']} local processes | "
        f"Dask LocalCluster, {a['workers']} workers |",
        "|---|---|---|---|---|",
    ]
    for prov, ex in gen.items():
        ser = ex["serial"]
        cells = [names.get(prov, prov), sci(ser["points"], 1), sci(ser["points_per_s"])]
        for e in ("processes", "dask"):
            r = ex.get(e)
            cells.append(f"{sci(r['points_per_s'])} ({r['speedup_vs_first']:.2f}×)" if r else "–")
        out.append("| " + " | ".join(cells) + " |")
    out.append("")
    if d["created"] < QUADRATURE_BROADCAST:
        out += [
            "This run predates the broadcasting quadrature (commit 643343d), so the "
            "`gghh-box-1l/integral` row understates that provider's present speed; rerun the "
            "script to refresh it.",
            "",
        ]
    rd = d["reader"]
    best = max(
        (
            (r["speedup_vs_first"], prov, e)
            for prov, ex in gen.items()
            for e, r in ex.items()
            if e != "serial"
        ),
        default=None,
    )
    if best is not None and best[0] > 1:
        pays = (
            f"Workers paid off only for {names.get(best[1], best[1])} ({best[0]:.2f}× with "
            f"{best[2]}, the ideal being {a['workers']}×)"
        )
    else:
        pays = (
            "No provider here gained from workers on this machine: even the 24³-node integral "
            "per point is too cheap for the start-up and assembly to pay"
        )
    out += [
        "Where scale-out does not win: for truths as cheap as these, starting worker "
        "processes (each imports numpy, scipy, sympy) and the single-process HDF5 assembly "
        f"cost more than the evaluation on {hw(d).split(', ')[-1]} — use `--executor serial`. "
        f"{pays}. Workers are for truths costing milliseconds per point or more, on many "
        "cores or a cluster (not measured here).",
        "",
        f"Streaming reader: one shuffled epoch of batch-{rd['batch']} mini-batches from a "
        f"{sci(rd['rows'], 1)}-row file ({rd['file_mb']:.0f} MB gzip, "
        f"{rd['file_over_buffer']:.0f}× the {rd['buffer_rows']}-row shuffle buffer): "
        f"{rd['file_batches_per_s']:.0f} batches/s ({sci(rd['file_rows_per_s'])} rows/s), "
        f"against {rd['memory_batches_per_s']:.0f} batches/s for shuffled batches from the "
        f"same arrays in memory (page cache {rd['page_cache'].split()[0]}).",
        "",
    ]
    return out


def closed_form_part() -> list[str]:
    """The closed-form one-loop truth against the numerical reduction (speed, finiteness,
    agreement), from benchmarks/results/ggyyg_closed_form.json."""
    d = load("ggyyg_closed_form.json")
    if not d:
        return []
    t, fin, agree = d["timings"], d["finite"], d["agreement"]
    rows = [
        f"| {name} | {v['points']} | {v['us_per_point_cpu']:.3g} | {v['us_per_point_wall']:.3g} |"
        for name, v in (
            ("closed form, batches of 256", t["closed_256"]),
            ("closed form, batches of 4096", t["closed_4096"]),
            ("numerical reduction (`ggyyg-1l-numerical`)", t["numerical"]),
        )
    ]
    ref = agree.get("reference") or agree["stored"]
    return [
        "### One-loop truth in closed form",
        "",
        f"From `python benchmarks/ggyyg_closed_form.py --threads 1` (`benchmarks/results/"
        f"ggyyg_closed_form.json`, created {d['created']}, {hw(d)}, load average at the start "
        f"{d['hardware_at_start']['loadavg'][0]:.1f}): µs per point on one thread (CPU time; wall "
        "time on the loaded machine beside it), the closed form against the numerical "
        "reduction in the same run.",
        "",
        "| truth | points | µs per point (CPU) | µs per point (wall) |",
        "|---|---|---|---|",
        *rows,
        "",
        f"CPU-time ratio: {d['speedup_cpu']:.0f}×. Finite at {fin['points'] - fin['non_finite']} "
        f"of {fin['points']:,} points inside the cuts ({fin['non_positive']} non-positive; "
        f"{fin['seconds']:.0f} s). Agreement with the reduction where it answers "
        f"({ref['answered']} of {ref['points']} points): {sci(ref['rms_relative'])} rms, "
        f"{sci(ref['max_relative'])} at worst in |M|².",
        "",
    ]


def loop_million_part() -> list[str]:
    """The one-loop networks with 10⁶ closed-form training points (loop_bnn.py, one size)."""
    d = load("loop_bnn_1e6.json")
    if not d:
        return []
    rows = [
        f"| {label} | {sci(r['q68_abs_delta'])} | {sci(r['top1pct_q68_abs_delta'])} | "
        + (
            f"{pct(r['coverage_1sigma'])} / {pct(r['coverage_2sigma'])}"
            if "coverage_1sigma" in r
            else "—"
        )
        + f" | {r['train_s']:.0f} |"
        for n, models in d["results"].items()
        for label, r in models.items()
    ]
    return [
        "### With 10⁶ training points from the closed-form truth",
        "",
        f"From `{d['command']}` (`benchmarks/results/loop_bnn_1e6.json`, created "
        f"{d['created']}, {hw(d)}): the truth data now cost {d['truth_us_per_point']:.0f} µs "
        f"per point ({d['truth_generation_s'] / 60:.0f} min for the whole set, one process); "
        f"{d['args']['minutes']:g} CPU-minutes per fit on one thread, {d['test_points']} test "
        "points.",
        "",
        "| model | 68 % of abs(Δ) below | largest 1 %: 68 % below | 1σ / 2σ coverage | train s |",
        "|---|---|---|---|---|",
        *rows,
        "",
        "At a fixed few CPU-minutes, 10⁶ points do no better than 9 × 10⁴ (above): a fit sees "
        "each point only a few times. Data is no longer the limit; training time is (issue 30).",
        "",
    ]
