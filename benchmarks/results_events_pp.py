"""Results page: the slow-truth event runs at a hadron collider (events_slow_truth.py --pdf)."""

from __future__ import annotations

import json
from pathlib import Path

from results_events_common import chi2_against_one_stage, cost_same_t, stages, table_row
from results_format import RESULTS, big, hw, pct, pct2, sci

PP = RESULTS / "events_slow_truth_pp.json"
PP_PARTONIC = RESULTS / "events_slow_truth_partonic-model_pp.json"


def pp_part() -> list[str]:
    """The slow-truth runs at a 13.6 TeV pp collider (events_slow_truth.py --pdf)."""
    if not PP.exists():
        return []
    d = json.loads(PP.read_text())
    base = json.loads(PP_PARTONIC.read_text()) if PP_PARTONIC.exists() else None
    a, o, args = d["one_stage"], d["one_stage_run"], d["args"]
    t = a["truth_s_per_point"]
    cols = [(f"partonic model `{base['surrogate']}`", base["two_stage"])] if base else []
    cols.append((f"`{d['surrogate']}`", d["two_stage"]))
    for g in d["two_stage_guarded"]:
        cols.append((f"`{d['surrogate']}`, guard σ/\\|mean\\| ≥ {g['guard_max_rel_sigma']:g}", g))

    row = table_row(cols)

    outside = ""
    if base:
        g = next(x for x in base["guarded_subsample_counts"] if x["max_rel_sigma"] == 0.1)
        outside = (
            f" On {base['one_stage']['kept']} subsample points inside the cuts, "
            f"{g['outside_region']} ({pct2(g['outside_region'] / base['one_stage']['kept'])}) "
            "lie outside the partonic model's region (its cuts in the partonic frame: a boosted "
            "event's photons pass |η| < 2.37 in the lab, not in the partonic frame), where a "
            "guard must call the truth; the pp-trained model has none outside its region. The "
            f"partonic model's first-stage maximum s_max = {base['maxima']['s_max']:.4g} is "
            f"{base['maxima']['s_max'] / o['w_max']:.2g} times the largest true weight found "
            f"by the one-stage run's pilot ({o['w_max']:.4g}; the pp model's s_max "
            f"{d['maxima']['s_max']:.4g}), so its first stage needs that many more trials for "
            "the same events; its f_eff is taken against the same one-stage run, made through "
            "the pp model's vegas map."
        )
    c = d["closed_form_reference"]
    return [
        "### At a hadron collider: p p → γ γ j at 13.6 TeV",
        "",
        f"From `{d['command']}` (`benchmarks/results/events_slow_truth_pp.json`, created "
        f"{d['created']}, {hw(d)}, one thread)"
        + (f" and, for the partonic model, `{base['command']}`" if base else "")
        + f": the same truth folded with the gluon densities of `{Path(args['pdf']).name}` "
        "(the Les Houches toy densities at Q₀² = 2 GeV², not evolved, written by "
        "`python benchmarks/toy_pdf.py runs/pdf`: no fitted set can be fetched here, so "
        "absolute σ are a toy's; efficiencies and costs are what is measured), μ_F = μ_R = "
        f"m_γγ, the photon and jet cuts in the lab. Surrogates: `{d['surrogate']}`, trained "
        "on the images of 13.6 TeV lab phase space (`cards/ggyyg_pp_ensemble.toml`), and "
        + (f"the partonic `{base['surrogate']}`" if base else "none")
        + ". Every run column is an actual `hepemu events --collider pp` run directory. The "
        f"one-stage run is an actual run of {o['events']} events on the closed-form truth "
        "(the same |M|² as the reduction to ~1e-5, and exactly where the reduction is "
        f"rescued), w_max from {o['pilot_points']:,} pilot points, its {o['truth_calls']:,} "
        f"truth calls costed at the reduction's time per point ({t:.3g} s, measured on "
        f"{a['trials']} subsample trials). Costs below take every truth call at that one time "
        "(the shared machine's load varied between runs); f_eff = one-stage cost ÷ this.",
        "",
        "| | " + " | ".join(n for n, _ in cols) + " | one-stage (run, closed form) |",
        "|---" * (len(cols) + 2) + "|",
        row("trials", lambda x: f"{x['trials']:,}", f"{o['trials']:,}"),
        row(
            "efficiency",
            stages,
            f"ε {sci(o['efficiency'])}",
        ),
        row("events", lambda x: f"{x['events']}", f"{o['events']}"),
        row("truth calls", lambda x: f"{x['truth_calls']}", f"{o['truth_calls']:,}"),
        row(
            "guard fallbacks (outside the region)",
            lambda x: f"{x.get('fallbacks', 0)} ({x.get('fallbacks_outside', 0)})",
            "—",
        ),
        row(
            "overweights (share of σ)",
            lambda x: f"{x['overweight']} ({sci(x['overweight_share'])})",
            f"{o['overweight']} ({sci(o['overweight_share'])})",
        ),
        row(
            "σ [pb]",
            lambda x: f"{x['cross_section_pb']:.4g} ± {sci(x['cross_section_err_pb'])}",
            f"{o['cross_section_pb']:.4g} ± {sci(o['cross_section_err_pb'])}",
        ),
        row(
            "cost per event [s]",
            lambda x: f"{cost_same_t(x, t):.3g}",
            f"{o['cost_per_event_s']:.3g}",
        ),
        row(
            "**f_eff**",
            lambda x: f"**{big(o['cost_per_event_s'] / cost_same_t(x, t))}**",
            "1",
        ),
        "",
        f"σ through the same map with the closed form on {c['trials']:,} trials: "
        f"{c['cross_section_pb']:.4g} ± {sci(c['cross_section_err_pb'])} pb. The one-stage "
        f"subsample ({a['trials']} trials, the reduction on each, w_max from the "
        f"{args['pilot']}-point truth pilot) gives ε {sci(a['efficiency'])} ± "
        f"{sci(a['efficiency_err'])}, inflated by a low w_max ({a['overweight_trials']} "
        f"overweight trials carry {pct(a['overweight_share'])} of its σ): a short truth "
        "pilot finds too low a maximum, which is why the one-stage run above takes w_max from "
        "as many pilot points as the two-stage run's s_max." + outside,
        "",
        *pp_distributions(),
    ]


PP_PLOT = "events-ggyyg-pp-distributions.png"


def pp_distributions() -> list[str]:
    """The pp two-stage run's events against an independent closed-form one-stage run."""
    found = chi2_against_one_stage(PP_PLOT, "events-ggyyg-pp-closed-one-stage.json")
    if found is None:
        return []
    ref, chi2 = found
    return [
        "The standard distributions of the pp two-stage run's events against an independent "
        "one-stage run on the closed-form truth (`hepemu events --process ggyyg-1l --surrogate "
        "ggyyg-1l-pp-ensemble --mode one-stage --n 3000 --seed 2 --pilot-points 50000 "
        "--collider pp --sqrt-s 13600 --pdf runs/pdf/LHToyQ0 -o closed-pp.lhe`: "
        f"{ref['events']} events from {ref['trials']:,} trials, σ = "
        f"{ref['cross_section_pb']:.4g} ± {sci(ref['cross_section_err_pb'])} pb; its summary "
        "`benchmarks/results/events-ggyyg-pp-closed-one-stage.json`), drawn by `hepemu "
        "plot-events closed-pp.lhe runs/events_slow_truth_pp.lhe --label one-stage --label "
        "two-stage --bins 15` (the two-stage file written from the benchmark's run directory by "
        "the same `hepemu events` command, which resumes it): χ²/bin of the two-stage "
        f"histograms against the one-stage ones {chi2}.",
        "",
        f"![pp two-stage events with the slow truth against one-stage closed-form events]"
        f"(../../benchmarks/results/{PP_PLOT})",
        "",
    ]
