"""The console table of benchmarks/events_slow_truth.py."""

from __future__ import annotations

from rich.console import Console
from rich.table import Table

console = Console(width=200)


def report(r: dict) -> None:
    a, b = r["one_stage"], r["two_stage"]
    where = f"pp at √s = {r['sqrt_s_gev']:g} GeV" if r.get("collider") else "√s = 1 TeV"
    t = Table(title=f"{r['truth']} (truth) with {r['surrogate']} (surrogate), {where}")
    runs = [("two-stage (run)", b)] + [
        (f"guarded {g['guard_max_rel_sigma']:g} (run)", g) for g in r["two_stage_guarded"]
    ]
    for c in ("", *(name for name, _ in runs), "one-stage (subsample, truth everywhere)"):
        t.add_column(c)

    def add(label, fn, one):
        t.add_row(label, *(fn(x) for _, x in runs), one)

    add(
        "efficiency",
        lambda x: f"ε₁ {x['first_stage_efficiency']:.3g} × ε₂ {x['second_stage_efficiency']:.3g}",
        f"ε {a['efficiency']:.3g} ± {a['efficiency_err']:.2g}",
    )
    add("trials", lambda x: f"{x['trials']}", f"{a['trials']}")
    add("truth calls", lambda x: f"{x['truth_calls']}", f"{a['kept']}")
    add("fallbacks", lambda x: f"{x['fallbacks']}", "")
    add(
        "overweights",
        lambda x: f"{x['overweight']} events, {x['overweight_share']:.1e} of σ",
        f"{a['overweight_trials']} trials, {a['overweight_share']:.1e} of σ",
    )
    add(
        "σ (pb)",
        lambda x: f"{x['cross_section_pb']:.4g} ± {x['cross_section_err_pb']:.2g}",
        f"{a['cross_section_pb']:.4g} ± {a['cross_section_err_pb']:.2g}",
    )
    add(
        "truth s/point",
        lambda x: f"{x['truth_s_per_point']:.3g}",
        f"{a['truth_s_per_point']:.3g}",
    )
    add(
        "cost per event (s)",
        lambda x: f"{x['cost_per_event_s']:.3g} ({x['events']} events)",
        f"{a['cost_per_event_s']:.3g} (measured ε and t_truth)",
    )
    console.print(t)
    guards = ", ".join(
        f"σ/|μ| > {g['max_rel_sigma']:g}: {g['fallbacks']}" for g in r["guarded_subsample_counts"]
    )
    c = r["closed_form_reference"]
    console.print(
        f"closed-form σ ({c['trials']} trials): {c['cross_section_pb']:.4g} ± "
        f"{c['cross_section_err_pb']:.2g} pb, pulls two {r['sigma_pull_two_vs_reference']:.2f}, "
        f"one {r['sigma_pull_one_vs_reference']:.2f}; rescued (unstable) subsample points "
        f"{a['rescued_truth']} ({a['rescued_share_of_sigma']:.2%} of σ); elsewhere max "
        f"|num/closed − 1| {c['subsample_max_rel_diff']:.1e}"
    )
    if r.get("one_stage_run"):
        o = r["one_stage_run"]
        console.print(
            f"one-stage run (closed-form truth): {o['events']} events from {o['trials']} "
            f"trials, ε {o['efficiency']:.3g}, σ {o['cross_section_pb']:.4g} ± "
            f"{o['cross_section_err_pb']:.2g} pb, cost per event {o['cost_per_event_s']:.3g} s "
            f"at the numerical truth's time: f_eff {o['f_eff']:.3g} "
            f"({o['f_eff_same_t_truth']:.3g} at one t_truth)"
        )
    console.print(
        f"f_eff = {r['f_eff']:.3g} ({r['f_eff_same_t_truth']:.3g} at one t_truth) "
        f"(target ≥ {r['f_eff_target']}); guarded: "
        + ", ".join(f"{g['f_eff']:.3g}" for g in r["two_stage_guarded"])
        + f"; σ pull {r['sigma_pull']:.2f}; guard fallbacks on {a['kept']} subsample points: "
        + guards
    )
