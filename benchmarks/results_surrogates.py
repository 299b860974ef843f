"""Results page: "which surrogate?" — interpolants against networks (surrogates.json)."""

from __future__ import annotations

from results_format import hw, load, md, pct, sci

TITLES = {
    "box-1l": "One-loop gg→HH box I(s₁₂, s₁₄, m_H²) on [−30, −3]³ (3D)",
    "smooth-5d": "A smooth 5-D function on [0, 1]⁵ (1/(1.5 + w·x + ½ Π x), its pole outside)",
}


def cell(x, fmt: str) -> str:
    return "–" if x is None else format(x, fmt)


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
            f"{pct(r['r_1'])} | {sci(r['q68_abs_delta'])} | {cover} | "
            f"{r['us_per_point']:.1f} | {r['size_bytes']} |"
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
    na = d.get("not_applicable") or {}
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
    ]
    return out
