"""Results page: "which surrogate?" — interpolants against networks (surrogates.json); the
network kinds where no grid applies: results_surrogates_nets.py."""

from __future__ import annotations

from results_format import hw, load, md, pct, sci
from results_surrogates_nets import covered, nets_part, summary

TITLES = {
    "box-1l": "One-loop gg→HH box I(s₁₂, s₁₄, m_H²) on [−30, −3]³ (3D)",
    "smooth-5d": "A smooth 5-D function on [0, 1]⁵ (1/(1.5 + w·x + ½ Π x), its pole outside)",
}


DBOX_TITLE = "Two-loop gg→HH double box I(s₁₂, s₁₄, m_H²) on [−30, −3]³ (3D)"


def cell(x, fmt) -> str:
    """``x`` formatted (``fmt``: a format spec or a function), or a dash for a missing value."""
    if x is None:
        return "–"
    return fmt(x) if callable(fmt) else format(x, fmt)


def table(rows: dict[str, dict]) -> list[str]:
    out = [
        "| model | truth calls | build CPU-min | mean digits | boundary | worst | R_1 | "
        "68 % of \\|δ\\| | σ covers 1σ / 2σ | µs/point | bytes |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for name, r in rows.items():
        cover = (
            "–"
            if r["coverage_1sigma"] is None
            else f"{pct(r['coverage_1sigma'])} / {pct(r['coverage_2sigma'])}"
        )
        cpu = r.get("cpu_min")
        cpu = "–" if cpu is None else (f"{cpu:.0f}" if cpu >= 10 else f"{cpu:.3f}")
        out.append(
            f"| {md(name)} | {r['truth_calls']} | {cpu} | {r['mean_digits']:.2f} | "
            f"{cell(r.get('mean_digits_boundary'), '.2f')} | {r['worst_digits']:.2f} | "
            f"{cell(r['r_1'], pct)} | {cell(r['q68_abs_delta'], sci)} | {cover} | "
            f"{r['us_per_point']:.1f} | {cell(r['size_bytes'], 'd')} |"
        )
    return out + [""]


def best(rows: dict[str, dict], keep) -> tuple[str, dict]:
    """The row of most mean digits among those ``keep(name, row)`` accepts."""
    return max(((n, r) for n, r in rows.items() if keep(n, r)), key=lambda nr: nr[1]["mean_digits"])


def is_network(name: str) -> bool:
    return "DNN" in name or "INN" in name or "regressor" in name


def verdict(rows: dict[str, dict], calls: int, what: str) -> list[str]:
    """Equal truth calls and equal CPU time, from the rows."""
    near = lambda n, r: 0 < r["truth_calls"] <= 1.05 * calls  # noqa: E731
    grid_name, grid = best(rows, lambda n, r: near(n, r) and not is_network(n))
    out = [
        f"*Equal truth calls* ({what}, ≤ {calls} labels): the best interpolant, {grid_name}, "
        f"gives {grid['mean_digits']:.2f} mean digits from {grid['truth_calls']} labels"
    ]
    nets = {n: r for n, r in rows.items() if is_network(n) and near(n, r)}
    if nets:
        name, net = best(nets, lambda n, r: True)
        out[-1] += f"; {name} gives {net['mean_digits']:.2f} from {net['truth_calls']}"
    out[-1] += "."
    timed = {n: r for n, r in rows.items() if r.get("cpu_min") is not None}
    fast_name, fast = best(timed, lambda n, r: not is_network(n))
    net_rows = {n: r for n, r in timed.items() if is_network(n)}
    if net_rows:
        name, net = best(net_rows, lambda n, r: True)
        cpu = net["cpu_min"]
        cost = f"{cpu:.0f} CPU-min" if cpu >= 10 else f"{cpu * 60:.0f} CPU-s"
        secs = fast["cpu_min"] * 60
        took = f"{secs:.1f} CPU-s" if secs >= 0.1 else "< 0.1 CPU-s"
        out.append(
            f"*Equal CPU time*: {fast_name} took {took} to build "
            f"(labels included) for {fast['mean_digits']:.2f} mean digits at "
            f"{fast['us_per_point']:.1f} µs per point; the best network, {name}, {cost} for "
            f"{net['mean_digits']:.2f} at {net['us_per_point']:.1f} µs."
        )
    sparse = [r["coverage_2sigma"] for n, r in rows.items() if n.startswith("sparse")]
    if sparse:
        out.append(
            f"σ is calibrated to cover 68 %; at 2σ the sparse grids cover {pct(min(sparse))} to "
            f"{pct(max(sparse))} (their errors have heavier tails than a Gaussian's)."
        )
    return out + [""]


def dbox_part() -> list[str]:
    """The double box (surrogates_dbox.json): its labelling rule, interpolants and the INN."""
    d = load("surrogates_dbox.json")
    if not d:
        return []
    out = [f"### {DBOX_TITLE}", ""]
    rule = d.get("rule")
    if rule:
        out += [
            f"The labels: a tensor Gauss–Legendre rule per sector (30 sectors, 6 Feynman "
            f"parameters each) in u with x = u² (`--option rule=gl-u2 --option nodes=n`), "
            f"against the same rule at {rule['reference_nodes']} nodes on 12 points (the six "
            "corners of the box and six uniform points), and plain Gauss–Legendre in x; "
            "seconds per point on one thread, the 12 points as one batch (the per-rule tables "
            "included, so larger batches cost less per point):",
            "",
            "| rule | max relative error | median | s per point |",
            "|---|---|---|---|",
            *[
                f"| {name} nodes per axis | {sci(r['max_rel_error'])} | "
                f"{sci(r['median_rel_error'])} | {r['s_per_point']:.2f} |"
                for name, r in rule["rules"].items()
            ],
            "",
        ]
    per = d.get("label_s_per_point") or {}
    cost = ", ".join(f"{name} {s:.2f} s" for name, s in per.items())
    err = d["label_error"]
    fine = err["fine_nodes"]
    out += [
        f"The interpolants (log I, log|s| axes; `benchmarks/surrogates_dbox.py`, created "
        f"{d['created']}, {hw(d)}, one thread) are labelled by {d['labels']} "
        f"(`scripts/label_dbox.sh`; seconds per label as generated, one thread, in chunks: "
        f"{cost}). σ is calibrated on {d['calibration_points']} other points and every model "
        f"scored on the same {d['points']} fresh uniform points, both labelled by the rule at "
        f"{fine} nodes; there the {d['labels']} labels themselves are off by "
        f"{sci(err['median_rel_error'])} (median), {sci(err['max_rel_error'])} at worst "
        f"({err['mean_digits']:.2f} mean digits), which bounds what an interpolant of them "
        "can reach. The INN row is the k = 6 integration network of [two loops](two-loop.md) "
        "as recorded there (its own test points, not re-run):",
        "",
        *table(d["dbox-2l"]),
    ]
    rows = d["dbox-2l"]
    grids = {n: r for n, r in rows.items() if n.startswith("chebyshev")}
    if grids:
        name, grid = best(grids, lambda n, r: True)
        inn = next((r for n, r in rows.items() if "INN" in n), None)
        line = (
            f"The best grid, {name}, gives {grid['mean_digits']:.2f} mean digits (worst "
            f"{grid['worst_digits']:.2f}) from {grid['truth_calls']} labels "
            f"({grid['cpu_min']:.0f} CPU-min of labels and build)"
        )
        if inn:
            line += (
                f"; the INN, trained for {inn['cpu_min']:.0f} CPU-min on the integrand, "
                f"{inn['mean_digits']:.2f}"
            )
        vs_rule = grid.get("mean_digits_vs_rule")
        if vs_rule is not None:
            line += (
                f". Against the labelling rule's own values at the test points, {name} gives "
                f"{vs_rule:.2f} mean digits: the interpolation error is far below the labels' "
                "error"
            )
        out += [line + ".", ""]
    return out


def surrogates_part() -> list[str]:
    d = load("surrogates.json")
    if not d:
        return []
    out = [
        f"Every number on this page comes from one run of `python benchmarks/surrogates.py` "
        f"(`benchmarks/results/surrogates.json`, created {d['created']}, "
        f"{d.get('wall_s', 0) / 60:.0f} min, {hw(d)}, {d['threads']} thread for every build "
        f"and timing; the DNNs fitted {d.get('dnn_minutes', 0.5):g} min per member). Each "
        f"model is scored on the same {d['points']} fresh uniform points; the box's truth is "
        f"{d['reference']} (Gauss–Legendre), its interpolants' labels {d['labels']}. Digits = "
        "−⟨log₁₀|δ|⟩, δ = prediction/truth − 1; R_1 = fraction with |δ| < 1 %; boundary = the "
        "points within 5 % of a face of the box; σ of the interpolants is their error estimate "
        "(coefficient tail, or the surpluses of the last Smolyak level) calibrated to 68 % on "
        "500 other points (the shipped models: as their cards say); build CPU-min: labels "
        "and build on one thread (the shipped networks': their recorded training time, not "
        "re-run).",
        "",
    ]
    for key, title in TITLES.items():
        rows = d.get(key)
        if not rows:
            continue
        out += [f"### {title}", "", *table(rows)]
        calls = 14**3 if key == "box-1l" else 5**5
        out += verdict(rows, calls, "14³" if key == "box-1l" else "5⁵")
    out += dbox_part()
    na = d.get("not_applicable") or {}
    out += nets_part(na)
    if load("surrogates_dbox.json"):  # the double box has its own section above
        na = {job: why for job, why in na.items() if "double box" not in job}
    na = {job: why for job, why in na.items() if not covered(job)}  # sections above
    if na:
        out += [
            "### Where a grid does not apply",
            "",
            "| job | why not (and what to use) |",
            "|---|---|",
            *[f"| {job} | {why} |" for job, why in na.items()],
            "",
        ]
    out += [
        "### In short",
        "",
        "Networks lose wherever the truth is smooth on a box of a few parameters: a Chebyshev "
        "tensor grid or a Smolyak sparse grid (adaptive, it follows the function's effective "
        "dimension) gives several more digits from the same labels and builds in seconds "
        "where a network trains for minutes to hours; per point it answers in about a "
        "network's time, a large sparse grid several times slower. Networks win where there "
        "is no box or no smoothness up to its edge — phase spaces with cuts and soft/collinear "
        "limits (gg → γγg, e⁺e⁻ → 4 and 5 jets) — and where a grid's label count grows out of "
        "reach (tensor grids beyond ~5 parameters; sparse grids for truths that are not "
        "smooth).",
        "",
        *summary(),
    ]
    return out
