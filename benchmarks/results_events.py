"""Results pages: surrogates in a Monte Carlo chain (events with a fast and a slow truth)."""

from __future__ import annotations

import json

from results_format import RESULTS, hw, pct, pct2, sci


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


def slow_truth_part() -> list[str]:
    """Two-stage unweighting with the numerical one-loop truth (benchmarks/events_slow_truth.py)."""
    path = RESULTS / "events_slow_truth.json"
    if not path.exists():
        return []
    d = json.loads(path.read_text())
    a, b = d["one_stage"], d["two_stage"]
    parts = ", ".join(f"{v:.3g}" for v in b["cost_per_event_parts_s"].values())
    return [
        "### With a slow truth: one-loop g g → γ γ g",
        "",
        f"From `{d['command']}` (`benchmarks/results/events_slow_truth.json`, created "
        f"{d['created']}, {hw(d)}, one thread): the truth is `{d['truth']}` (the numerical "
        f"one-loop reduction), the surrogate `{d['surrogate']}`, partonic √s = 1 TeV with the "
        "provider's cuts; one vegas map adapted to the surrogate and the maxima from one pilot "
        f"run of {d['args']['pilot']} points, both as `hepemu events` makes them: the "
        "two-stage run is the run directory of `hepemu events --process ggyyg-1l-numerical "
        f"--surrogate ggyyg-1l-bnn --n {d['args']['events']} --pilot-points {d['args']['pilot']} "
        f"--vegas-points {d['args']['vegas_points']} --chunk-trials "
        f"{d['args']['chunk_trials']} --seed {d['args']['seed']}`, which "
        "resumes an interrupted run from its finished chunks with the same events. The "
        f"two-stage column is an actual run producing {b['events']} unweighted events (whole "
        f"chunks until at least {d['args']['events']}). The "
        "one-stage column is **not** a run of events (that would need the truth on every "
        "trial: hours): its efficiency ε = ⟨min(1, w/w_max)⟩, σ and the truth's time per "
        f"point are measured on {a['trials']} fresh trials through the same map, each "
        "evaluated with the truth, and its cost per event is (phase space + truth per "
        "trial) / ε.",
        "",
        "| | two-stage (run) | one-stage (subsample, truth everywhere) |",
        "|---|---|---|",
        f"| trials | {b['trials']} | {a['trials']} |",
        f"| efficiency | ε₁ {sci(b['first_stage_efficiency'])} × ε₂ "
        f"{b['second_stage_efficiency']:.3f} | ε {sci(a['efficiency'])} ± "
        f"{sci(a['efficiency_err'])} |",
        f"| truth calls | {b['truth_calls']} | {a['kept']} (inside the cuts) |",
        f"| non-finite truth (no events) | {b['nonfinite_truth']} | {a['nonfinite_truth']} |",
        f"| overweights (share of σ) | {b['overweight']} events ({sci(b['overweight_share'])})"
        f" | {a['overweight_trials']} trials ({sci(a['overweight_share'])}) |",
        f"| σ [pb] | {b['cross_section_pb']:.4g} ± {sci(b['cross_section_err_pb'])} | "
        f"{a['cross_section_pb']:.4g} ± {sci(a['cross_section_err_pb'])} |",
        f"| truth s per point | {b['truth_s_per_point']:.3g} | {a['truth_s_per_point']:.3g} |",
        f"| two-stage cost per event: phase space, surrogate, truth [s] | {parts} | |",
        f"| cost per unweighted event [s] | {b['cost_per_event_s']:.3g} (measured) | "
        f"{a['cost_per_event_s']:.3g} (t_truth / ε, both measured) |",
        *_reference_row(d),
        "",
        _slow_truth_notes(d),
        "",
    ]


def _reference_row(d: dict) -> list[str]:
    c = d.get("closed_form_reference")
    if c is None:
        return []
    return [
        f"| σ pull against the closed form [`{c['provider']}`, {c['trials']} trials: "
        f"{c['cross_section_pb']:.4g} ± {sci(c['cross_section_err_pb'])} pb] | "
        f"{d['sigma_pull_two_vs_reference']:.2f} | {d['sigma_pull_one_vs_reference']:.2f} |"
    ]


def _slow_truth_notes(d: dict) -> str:
    """The paragraph under the slow-truth table: f_eff, σ, NaN points, guard, overweights."""
    a, b, c = d["one_stage"], d["two_stage"], d.get("closed_form_reference")
    met = "met" if d["f_eff"] >= d["f_eff_target"] else "not met"
    guards = ", ".join(
        f"{x['fallbacks']} (σ/|mean| > {x['max_rel_sigma']:g})" for x in d["guarded"]
    )
    same = (
        f", {d['f_eff_same_t_truth']:.3g} with both modes' truth calls costed at the "
        "subsample's time per point (the shared machine's load varies between the two)"
        if "f_eff_same_t_truth" in d
        else ""
    )
    text = (
        f"f_eff = {d['f_eff']:.3g} (target ≥ {d['f_eff_target']}: {met})"
        + same
        + "; the two σ differ "
        f"by {d['sigma_pull']:.2f} standard errors. The reduction declines (NaN) unstable "
        "points: such trials are counted above and are never events (weight 0), so σ of "
        "both modes misses their share"
    )
    if c is None:
        text += ", which is unknown."
    else:
        text += (
            f": on the subsample the closed form puts {pct2(c['subsample_nan_share_of_sigma'])} "
            "of σ there (and agrees with the reduction elsewhere to "
            f"{sci(c['subsample_max_rel_diff'])})."
        )
    if a["overweight_share"] > 0.5:
        text += (
            f" One subsample trial carries {pct(a['overweight_share'])} of the one-stage σ "
            "above w_max: the true weight has a heavy tail where the surrogate, and so the "
            "vegas map adapted to it, is low — hence the one-stage σ's large error."
        )
    text += (
        " A guarded surrogate (`hepemu.applications.guarded.GuardedSurrogate`, the truth where "
        f"σ/|mean| of the network exceeds a threshold) would call the truth at {guards} of the "
        f"{a['kept']} subsample points inside the cuts."
    )
    if b["overweight_share"] > 0.01:
        text += (
            f" With the truth at only {d['args']['pilot']} pilot points the reduced maxima come "
            f"out low: the overweights (events of weight > 1) carry {pct(b['overweight_share'])} "
            "of the two-stage σ — σ stays unbiased, but the events are not all of weight 1; a "
            "longer pilot (or s_max from a surrogate-only pilot) would lower this at the price "
            "of efficiency."
        )
    return text
