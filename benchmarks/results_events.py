"""Results pages: surrogates in a Monte Carlo chain (events with a fast and a slow truth)."""

from __future__ import annotations

import json
from pathlib import Path

from results_events_common import chi2_against_one_stage, cost_same_t, stages, table_row
from results_format import RESULTS, big, hw, pct, pct2, sci


def events_part() -> list[str]:
    """Unweighting with surrogates (benchmarks/events.py)."""
    path = RESULTS / "events.json"
    if not path.exists():
        return []
    d = json.loads(path.read_text())
    out = [
        "### Surrogates in a Monte Carlo chain: two-stage unweighting",
        "",
        f"From `{d['command']}` (`benchmarks/results/events.json`, created {d['created']}, "
        f"{hw(d)}): {d['args']['trials']} phase-space points per mode, one vegas map adapted "
        "to the emulator, reduced maxima from a pilot run; the truth is pyamplicol. f_eff = "
        "cost per unweighted event one-stage / two-stage, every cost measured in this run "
        "(phase space, emulator, truth), and with the truth's cost set to 1 ms or 1 s per "
        "call (the measured efficiencies kept).",
        "",
        "| process | one-stage ε | two-stage ε₁ × ε₂ | overweights (share of σ) | σ one-stage "
        "[pb] | σ two-stage [pb] | truth µs | emulator µs | f_eff | f_eff, 1 ms | f_eff, 1 s "
        "| σ = ∫s + ∫(f − s): variance ÷ |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in d["results"]:
        a, b = r["one_stage"], r["two_stage"]
        out.append(
            f"| {r['process']} | {sci(a['efficiency'])} | {sci(b['first_stage_efficiency'])} "
            f"× {b['second_stage_efficiency']:.3f} | {pct(b['overweight_fraction'])} "
            f"({sci(b['overweight_share'])}) | {a['cross_section_pb']:.4g} ± "
            f"{sci(a['cross_section_err_pb'])} | {b['cross_section_pb']:.4g} ± "
            f"{sci(b['cross_section_err_pb'])} | {r['truth_us_per_point']:.3g} | "
            f"{r['surrogate_us_per_point']:.3g} | {r['f_eff_measured']:.3g} | "
            f"{r['f_eff_truth_1ms']:.3g} | {r['f_eff_truth_1s']:.3g} | "
            f"{r['unbiased_cross_section']['variance_reduction']:.3g} |"
        )
    lose = [r["process"] for r in d["results"] if r["f_eff_measured"] < 1]
    out += [
        "",
        (
            f"Where the surrogate does not win: for {', '.join(lose)} the measured f_eff is "
            "below 1 — pyamplicol's tree-level e⁺e⁻ amplitudes cost less per point than the "
            "emulator — so two-stage unweighting pays only for a truth costing more than the "
            "emulator (the 1 ms and 1 s columns; published anchor 16–350× for LHC multi-jet "
            "processes in Sherpa). "
            if lose
            else ""
        )
        + "The second stage accepts nearly every point the first stage passed (x = w/s ≈ 1 "
        "for a per-mille emulator), so f_eff → (t_truth/ε_one) / ((t_emu + ε₁ t_truth)/ε₁ε₂) "
        "grows with the truth's cost until the emulator's own cost dominates. The "
        "thrust distribution of the ee3j events is in `benchmarks/results/"
        "events-ee3j-thrust.png`.",
        "",
    ]
    return out


def slow_truth_part(path: Path = RESULTS / "events_slow_truth.json") -> list[str]:
    """Two-stage unweighting with the numerical one-loop truth (benchmarks/events_slow_truth.py)."""
    if not path.exists():
        return []
    d = json.loads(path.read_text())
    a, b, args = d["one_stage"], d["two_stage"], d["args"]
    o, t = d.get("one_stage_run"), a["truth_s_per_point"]
    runs = [("two-stage (run)", b)] + [
        (f"guarded, σ/\\|mean\\| ≥ {g['guard_max_rel_sigma']:g} (run)", g)
        for g in d.get("two_stage_guarded", [])
    ]

    row = table_row(runs)

    c = d["closed_form_reference"]
    return [
        "### With a slow truth: one-loop g g → γ γ g",
        "",
        f"From `{d['command']}` (`benchmarks/results/events_slow_truth.json`, created "
        f"{d['created']}, {hw(d)}, one thread): the truth is `{d['truth']}` (the numerical "
        "one-loop reduction; where its error estimate exceeds 1e-5 the closed form answers), "
        f"the surrogate `{d['surrogate']}`, partonic √s = 1 TeV with the provider's cuts; the "
        "vegas map adapted to the surrogate and the maxima from a pilot run of "
        f"{args['pilot']} points, as `hepemu events` makes them. Each run column is an actual "
        f"run directory of `hepemu events --process {d['truth']} --surrogate {d['surrogate']} "
        f"--n {args['events']} --pilot-points {args['pilot']} --vegas-points "
        f"{args['vegas_points']} --chunk-trials {args['chunk_trials']} --seed {args['seed']} "
        "[--guard sigma-threshold:T]` (whole chunks until at least "
        f"{args['events']} events; an interrupted run resumes from its finished chunks with "
        "the same events). "
        + (
            _one_stage_run_text(d)
            if d.get("one_stage_run")
            else "The one-stage column is **not** a run of events (that would need the truth "
            "on every trial: hours): its efficiency ε = ⟨min(1, w/w_max)⟩, σ and the truth's "
            f"time per point are measured on {a['trials']} fresh trials through the same map, "
            "each evaluated with the truth, and its cost per event is (phase space + truth per "
            "trial) / ε."
        ),
        "",
        "| | " + " | ".join(name for name, _ in runs) + " | one-stage (subsample) |",
        "|---" * (len(runs) + 2) + "|",
        row("trials", lambda x: f"{x['trials']}", f"{a['trials']}"),
        row(
            "efficiency",
            stages,
            f"ε {sci(a['efficiency'])} ± {sci(a['efficiency_err'])}",
        ),
        row("events", lambda x: f"{x['events']}", "—"),
        row("truth calls", lambda x: f"{x['truth_calls']}", f"{a['kept']} (inside the cuts)"),
        row("guard fallbacks", lambda x: f"{x.get('fallbacks', 0)}", "—"),
        row(
            "overweights (share of σ)",
            lambda x: f"{x['overweight']} events ({sci(x['overweight_share'])})",
            f"{a['overweight_trials']} trials ({sci(a['overweight_share'])})",
        ),
        row(
            "σ [pb]",
            lambda x: f"{x['cross_section_pb']:.4g} ± {sci(x['cross_section_err_pb'])}",
            f"{a['cross_section_pb']:.4g} ± {sci(a['cross_section_err_pb'])}",
        ),
        row("truth s per point", lambda x: f"{x['truth_s_per_point']:.3g}", ""),
        row(
            "cost per event: phase space, surrogate, truth [s]",
            lambda x: ", ".join(f"{v:.3g}" for v in x["cost_per_event_parts_s"].values()),
            f"{a['truth_s_per_point']:.3g} per truth call",
        ),
        row(
            "cost per unweighted event [s]",
            lambda x: f"{x['cost_per_event_s']:.3g} (measured)",
            f"{a['cost_per_event_s']:.3g} (t_truth / ε, both measured)",
        ),
        row(
            "f_eff (one-stage subsample's cost ÷ this)",
            lambda x: f"**{x.get('f_eff', d['f_eff']):.3g}**",
            "1",
        ),
        *(
            [
                row(
                    "f_eff against the one-stage run, one t_truth",
                    lambda x: f"**{big(o['cost_per_event_s'] / cost_same_t(x, t))}**",
                    "—",
                )
            ]
            if o
            else []
        ),
        row(
            f"σ pull against the closed form (`{c['provider']}`, {c['trials']} trials: "
            f"{c['cross_section_pb']:.4g} ± {sci(c['cross_section_err_pb'])} pb)",
            lambda x: f"{x.get('sigma_pull_vs_reference', d['sigma_pull_two_vs_reference']):.2f}",
            f"{d['sigma_pull_one_vs_reference']:.2f}",
        ),
        "",
        _slow_truth_notes(d),
        "",
        *_distributions(),
    ]


def _one_stage_run_text(d: dict) -> str:
    """How the one-stage run of the slow-truth benchmark was made, and what it gave."""
    o, a = d["one_stage_run"], d["one_stage"]
    return (
        f"The one-stage run is an actual run of {o['events']} events "
        f"({o['trials']:,} trials, ε {sci(o['efficiency'])}, σ = {o['cross_section_pb']:.4g} ± "
        f"{sci(o['cross_section_err_pb'])} pb, {o['overweight']} overweight events carrying "
        f"{pct(o['overweight_share'])} of σ) on the closed-form truth, the same |M|² as the "
        "reduction to ~1e-5 and exactly where the reduction is rescued, with w_max from "
        f"{o['pilot_points']:,} pilot points; its {o['truth_calls']:,} truth calls are costed "
        f"at the reduction's time per point measured on the subsample ({a['truth_s_per_point']:.3g}"
        f" s): {o['cost_per_event_s']:.3g} s per event. The one-stage column is the subsample: "
        f"{a['trials']} fresh trials through the same map, each evaluated with the reduction, "
        "its ε = ⟨min(1, w/w_max)⟩ with w_max from the short truth pilot."
    )


DISTRIBUTIONS = "events-ggyyg-distributions.png"


def _distributions() -> list[str]:
    """The slow-truth run's events against a one-stage closed-form run (hepemu plot-events)."""
    found = chi2_against_one_stage(DISTRIBUTIONS, "events-ggyyg-closed-one-stage.json")
    if found is None:
        return []
    ref, chi2 = found
    return [
        "The standard distributions of the two-stage run's events against an independent "
        "one-stage run on the closed-form truth (`hepemu events --process ggyyg-1l --surrogate "
        "ggyyg-1l-ensemble --mode one-stage --n 3000 --seed 2 -o closed.lhe`: "
        f"{ref['events']} events from {ref['trials']:,} trials, σ = "
        f"{ref['cross_section_pb']:.4g} ± {sci(ref['cross_section_err_pb'])} pb; its summary "
        "`benchmarks/results/events-ggyyg-closed-one-stage.json`; 3000 written), drawn by "
        "`hepemu plot-events closed.lhe "
        "runs/events_slow_truth.lhe --label one-stage --label two-stage --bins 15`: χ²/bin "
        f"of the two-stage histograms against the one-stage ones {chi2} (15 bins, 500 "
        "against 3000 events).",
        "",
        f"![two-stage events with the slow truth against one-stage closed-form events]"
        f"(../../benchmarks/results/{DISTRIBUTIONS})",
        "",
    ]


def _slow_truth_notes(d: dict) -> str:
    """The paragraph under the slow-truth table: f_eff, σ, rescued points, guard, overweights."""
    a, b, c = d["one_stage"], d["two_stage"], d["closed_form_reference"]
    met = "met" if d["f_eff"] >= d["f_eff_target"] else "not met"
    guards = ", ".join(
        f"{x['fallbacks']} (σ/|mean| > {x['max_rel_sigma']:g})"
        for x in d["guarded_subsample_counts"]
    )
    o = d.get("one_stage_run")
    run_text = ""
    if o:
        run_text = (
            f"Against the one-stage run, with every truth call at the subsample's time, f_eff = "
            f"{big(o['f_eff_same_t_truth'])} ({big(o['f_eff'])} with each run's own measured "
            f"times). The subsample's ε is {a['efficiency'] / o['efficiency']:.0f} times the "
            "run's because its w_max, from the 1000-point truth pilot, is low: its f_eff below "
            "understates the gain by that factor. "
        )
    text = run_text + (
        f"f_eff = {d['f_eff']:.3g} unguarded (target ≥ {d['f_eff_target']}: {met}), "
        f"{d['f_eff_same_t_truth']:.3g} with both modes' truth calls costed at the subsample's "
        "time per point (the shared machine's load varies between measurements); the "
        f"two-stage and one-stage σ differ by {d['sigma_pull']:.2f} standard errors. "
        f"On the subsample the reduction was unstable at {a['rescued_truth']} of {a['kept']} "
        f"points, {pct2(a['rescued_share_of_sigma'])} of σ, where the closed form answered "
        "(elsewhere the two agree to "
        f"{sci(c['subsample_max_rel_diff'])}). On the same subsample the guard would fall back "
        f"to the truth at {guards} of the {a['kept']} points inside the cuts."
    )
    if a["overweight_share"] > 0.5:
        text += (
            f" One subsample trial carries {pct(a['overweight_share'])} of the one-stage σ "
            "above w_max: the true weight has a heavy tail where the vegas map, adapted to "
            "the surrogate, is low — hence the one-stage σ's large error."
        )
    pilot = d["args"].get("surrogate_pilot", 0)
    if pilot > d["args"]["pilot"]:
        text += (
            f" The first stage's maximum s_max comes from {pilot:,} pilot points evaluated by "
            f"the surrogate alone (`--surrogate-pilot-points`), the second stage's from the "
            f"{d['args']['pilot']} truth points: the overweight events carry "
            f"{pct(b['overweight_share'])} of the two-stage σ, at the price of a lower first-stage "
            "efficiency — more trials, each costing only phase space and the surrogate."
        )
    for g in d.get("two_stage_guarded", []):
        text += (
            f" The guarded run (σ/|mean| ≥ {g['guard_max_rel_sigma']:g}) called the truth at "
            f"{g['fallbacks']} of its {g['trials']:,} trials besides the second stage: a guard "
            "costs truth calls in proportion to the trials, so its f_eff "
            f"({g['f_eff']:.3g} against the subsample"
            + (
                f", {big(o['cost_per_event_s'] / cost_same_t(g, a['truth_s_per_point']))} "
                "against the one-stage run"
                if o
                else ""
            )
            + ") is lower than the unguarded run's; it buys events that never rest on a "
            "surrogate value the surrogate itself doubts."
        )
    return text
