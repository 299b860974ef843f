"""Results pages: the two-loop gg→HH double box (inn_dbox.json, inn_dbox_sectors.json)."""

from __future__ import annotations

import json

from results_format import RESULTS, hw, pct, sci


def dbox_part() -> list[str]:
    """Two-loop double box, control variates, step costs (benchmarks/inn_dbox.py)."""
    path = RESULTS / "inn_dbox.json"
    if not path.exists():
        return []
    d = json.loads(path.read_text())
    t, inn = d["truth"], d["dbox_inn"]
    chk = t["pysecdec_check"]
    out = [
        "### Two loops: the gg→HH double box, and INNs as control variates",
        "",
        f"From `{d['command']}` (`benchmarks/results/inn_dbox.json`, created {d['created']}, "
        f"{hw(d)}). Truth `gghh-dbox-2l`: 30 sectors on [0,1]⁶; {t['points']} parameter "
        f"points (the first the pySecDec point), digits against {t['reference']} "
        f"({t['reference_s_per_point']:.3g} s per point, median relative error "
        f"{sci(t['reference_median_rel_error'])}). At (−10, −5, −4) it gives "
        f"{chk['ours']:.10g} ± {sci(chk['ours_error'])}, pySecDec {chk['pysecdec']:.12g} "
        f"(pull {chk['pull']:.2f}).",
        "",
        "| method | integrand calls per point | s per point | mean digits | worst |",
        "|---|---|---|---|---|",
    ]
    for r in t["rules"]:
        out.append(
            f"| {r['rule']} | {r['evaluations_per_point']:.3g} | {r['s_per_point']:.3g} | "
            f"{r['mean_digits']:.2f} | {r['worst_digits']:.2f} |"
        )
    out.append(
        f"| INN {'×'.join(map(str, inn['hidden']))}, k = 6, {inn['steps']} Adam steps "
        f"({inn['train_s'] / 60:.0f} CPU-min, batch {inn['batch']}) | — | "
        f"{inn['us_per_point'] * 1e-6:.3g} | {inn['mean_digits']:.2f} | "
        f"{inn['worst_digits']:.2f} |"
    )
    faster = [r for r in t["rules"] if r["mean_digits"] >= inn["mean_digits"]]
    if faster:
        best = min(faster, key=lambda r: r["s_per_point"])
        out += [
            "",
            f"Where the INN wins: the cheapest rule here with at least the INN's mean digits "
            f"({best['rule']}, {best['mean_digits']:.2f} digits) costs "
            f"{best['s_per_point'] / (inn['us_per_point'] * 1e-6):.0f}× more per point than "
            f"the INN ({inn['mean_digits']:.2f} digits); at more digits quadrature is the only "
            "option so far.",
        ]
    box, dcv = d["box_control_variate"], d["dbox_control_variate"]
    sc = {r["k"]: r for r in d["step_costs"]}
    g = d["box_graph_throughput"]
    out += [
        "",
        f"The double-box INN is not a surrogate yet: {inn['steps']} steps of "
        f"{inn['s_per_step']:.2f} s reach {inn['mean_digits']:.2f} digits (target ≥ 3). A "
        f"k = 6 derivative step costs {sc[6]['subset_s']:.3g} s against "
        f"{sc[3]['subset_s']:.3g} s for k = 3 (batch {sc[6]['batch']}, "
        f"{'×'.join(map(str, sc[6]['hidden']))}; nested autograd "
        f"{sc[6]['nested_autograd_s']:.3g} s): the Faà di Bruno sum over the 877 set "
        "partitions of all subsets of 6 variables, against 15 for 3. Training it to the "
        "target is GPU work (issue 16).",
        "",
        f"**Control variates** (`hepemu integral reference --control-variate MODEL`): the "
        f"shipped one-loop INN leaves a residual f − ∂³N whose variance is "
        f"{sci(box['variance_ratio_median'])} of f's (median over {box['points']} points of "
        f"the region, worst {sci(box['variance_ratio_worst'])}): plain Monte Carlo needs "
        f"{box['variance_reduction_median']:.3g}× fewer integrand calls at equal error "
        f"(target ≥ 100×: met). Against lattice QMC, the strongest alternative for this "
        f"smooth 3-dimensional integrand, it does not pay: at {box['qmc_points']} × 8 points "
        f"the residual's QMC error is {sci(box['qmc_rel_error_cv_median'])} (relative, "
        f"median) against {sci(box['qmc_rel_error_plain_median'])} for f itself, and each "
        "point costs the network's derivative on top. The CPU-trained double-box INN "
        f"reduces the variance by {dcv['variance_reduction_median']:.3g}× (median); at "
        f"{dcv['qmc_points']} × 8 lattice points the QMC error is "
        f"{sci(dcv['qmc_rel_error_cv_median'])} with it and "
        f"{sci(dcv['qmc_rel_error_plain_median'])} without, but its k = 6 derivative makes a "
        f"point cost {dcv['qmc_s_per_point_cv']:.3g} s instead of "
        f"{dcv['qmc_s_per_point_plain']:.3g} s, and plain QMC with 10× more points (table "
        "above) is both cheaper and more precise: at two loops the control variate does not "
        "pay yet either.",
        "",
        f"**Device-resident path**: the shipped box through `predict` (NumPy in and out) "
        f"runs {sci(g['predict_per_s'])} integrals/s here, through its torch graph "
        f"(`INNSurrogate.graph`) {sci(g['graph_float32_per_s'])}/s in float32 and "
        f"{sci(g['graph_float64_per_s'])}/s in float64 (CPU; the GPU comparison awaits a "
        "GPU).",
        "",
    ]
    return out


def dbox_sectors_part() -> list[str]:
    """One INN on the sector sum against one per group (benchmarks/inn_dbox_sectors.py)."""
    path = RESULTS / "inn_dbox_sectors.json"
    if not path.exists():
        return []
    d = json.loads(path.read_text())
    a = d["args"]
    out = [
        f"**Sum or sectors, at equal budget** (`{d['command']}`, "
        f"`benchmarks/results/inn_dbox_sectors.json`, created {d['created']}, {hw(d)}): the "
        f"30 sectors as one network, or split into groups (`gghh-dbox-2l#sectors=…`, one "
        f"network each, {a['minutes']:g} CPU-min shared among them, {a['hidden']} GELU, batch "
        f"{a['batch']}), the groups' predictions added; digits on {a['points']} unseen points "
        f"against {d['reference']}.",
        "",
        "| partition | networks | CPU-min each | Adam steps each | mean digits | worst "
        "| µs per point |",
        "|---|---|---|---|---|---|---|",
    ]
    for p in d["partitions"]:
        steps = ", ".join(str(n["steps"]) for n in p["networks"])
        out.append(
            f"| {p['partition']} | {p['groups']} | {p['minutes_per_group']:.2g} | {steps} | "
            f"{p['mean_digits']:.2f} | {p['worst_digits']:.2f} | {p['us_per_point']:.3g} |"
        )
    best = max(d["partitions"], key=lambda p: p["mean_digits"])
    most = max(d["partitions"], key=lambda p: p["groups"])
    whole = next((p for p in d["partitions"] if p["groups"] == 1), None)
    others = ", ".join(
        f"{p['mean_digits']:.2f} ({p['partition']})" for p in d["partitions"] if p is not best
    )
    out += [
        "",
        f"At this budget the {best['partition']} partition gives the most digits "
        f"({best['mean_digits']:.2f}, against {others}).",
    ]
    if whole is not None and most is not whole:
        per = sum(n["steps"] for n in most["networks"]) / most["groups"]
        cost_whole = 60 * whole["minutes_per_group"] / whole["networks"][0]["steps"]
        cost_split = 60 * most["minutes_per_group"] / per
        out[-1] += (
            f" A step of a network carrying 1/{most['groups']} of the sectors still costs "
            f"{pct(cost_split / cost_whole)} of a step on the whole sum (the k = 6 derivative "
            f"dominates): {whole['networks'][0]['steps']} steps for the sum, {per:.0f} per "
            f"network in the {most['groups']}-way split. Per step the groups learn faster "
            f"({most['groups']} networks "
            f"of ~{per:.0f} steps reach {most['mean_digits']:.2f} digits), which did "
            f"{'' if most is best else 'not '}make up for it here."
        )
    return out + [""]
