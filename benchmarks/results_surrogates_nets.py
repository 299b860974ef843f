"""Results page "which surrogate?": the network kinds where no grid applies — one-loop
g g → γ γ g (5D), e⁺e⁻ → dd̄gg (8D) and dd̄ggg (11D) — side by side at equal truth calls and
equal training time, from the committed loop_bnn*.json, surrogates_ggyyg_bdt.json,
me_emulator*.json and regressors*.json (no number is re-measured here)."""

from __future__ import annotations

import math
from collections.abc import Callable

from results_format import load, md, pct, sci

GGYYG_TITLE = "One-loop g g → γ γ g \\|M\\|² (5D): the network kinds"
EE_TITLES = {
    "ee4j": "e⁺e⁻ → dd̄gg \\|M\\|² (8D): the network kinds",
    "ee5j": "e⁺e⁻ → dd̄ggg \\|M\\|² (11D): the network kinds",
}
SHORT = {  # loop_bnn.py's labels → the kind's short name in the summary lines
    "Bayesian network": "BNN",
    "Bayesian network, boosted": "boosted BNN",
    "deep ensemble (heteroscedastic)": "deep ensemble",
    "plain DNN 3×128 on log A (no error bar)": "plain DNN",
}
INN_WHY = (
    "an integration network learns a parametric integral from its integrand (gg→HH box, "
    "double box); here the truth is an \\|M\\|² on a phase space, with no integrand to learn"
)
DIPOLE_WHY = (
    "its inputs and basis are the final-state Catani–Seymour dipoles of e⁺e⁻ → qq̄ + "
    "gluons (`ee-dipoles` features): built for that process family only, so not for "
    "g g → γ γ g"
)

USUAL = ("mean_digits", "worst_digits", "r_1", "q68", "cover", "us", "bytes")
# (key, header, format of the value); a column no row of a table has is left out of it
COLUMNS: list[tuple[str, str, Callable]] = [
    ("model", "model", md),
    ("source", "source", lambda s: f"`{s}`"),
    ("calls", "truth calls", str),
    ("build", "build (training)", str),
    ("mean_digits", "mean digits", lambda x: f"{x:.2f}"),
    ("worst_digits", "worst", lambda x: f"{x:.2f}"),
    ("r_1", "R_1", lambda x: r1(x)),  # r1: below
    ("median", "median \\|δ\\|", sci),
    ("q68", "68 % of \\|δ\\|", sci),
    ("top1", "68 % of \\|δ\\|, largest 1 %", sci),
    ("cover", "σ covers 1σ / 2σ", str),
    ("us", "µs/point", lambda x: f"{x:.1f}"),
    ("bytes", "bytes", lambda x: f"{x:d}"),
]


def r1(x: float) -> str:
    """R_1 in per cent: one decimal, two above 99.5 % (so 99.97 % is not '100.0 %')."""
    return f"{100 * x:.2f} %" if x > 0.995 else f"{100 * x:.1f} %"


def count(n: float) -> str:
    """10⁶, 3 × 10⁵ or 11 250."""
    e = math.floor(math.log10(n))
    m = n / 10**e
    sup = str(e).translate(str.maketrans("0123456789", "⁰¹²³⁴⁵⁶⁷⁸⁹"))
    if n >= 100_000 and abs(m - round(m)) < 1e-9:
        return f"10{sup}" if round(m) == 1 else f"{round(m)} × 10{sup}"
    return f"{n:,.0f}".replace(",", " ")


def build(seconds: float | None, threads: int, budget: float | None = None) -> str:
    """Training time: measured wall-minutes (or the budget, where none was recorded)."""
    t = f"{threads} thread{'s' if threads > 1 else ''}"
    if seconds is None:
        return f"{budget:g} min (budget) × {t}"
    return f"{seconds / 60:.1f} min × {t}"


def cover(c1: float | None, c2: float | None = None) -> str | None:
    return None if c1 is None else f"{pct(c1)} / {pct(c2) if c2 is not None else '–'}"


def table(groups: dict[str, list[dict]]) -> tuple[list[str], str]:
    """One table, a bold header row per group (equal truth calls and training budget), and
    a note naming the page's usual columns that no row here has."""
    rows = [r for g in groups.values() for r in g]
    cols = [c for c in COLUMNS if any(r.get(c[0]) is not None for r in rows)]
    out = ["| " + " | ".join(h for _, h, _ in cols) + " |", "|" + "---|" * len(cols)]
    for title, group in groups.items():
        out.append(f"| **{title}** |" + " |" * (len(cols) - 1))
        for r in group:
            cells = ["–" if r.get(k) is None else f(r[k]) for k, _, f in cols]
            out.append("| " + " | ".join(cells) + " |")
    shown = {k for k, _, _ in cols}
    left = [h for k, h, _ in COLUMNS if k in USUAL and k not in shown]
    note = "; boundary digits: no box here"
    if left:
        note = f"; not recorded by these benchmarks: {', '.join(left)}" + note
    return out + [""], note


# -- g g → γ γ g ----------------------------------------------------------------------------


def loop_row(label: str, r: dict, n: int, source: str, threads: int) -> dict:
    return {
        "model": label,
        "short": SHORT.get(label, label.split(" (")[0]),
        "source": source,
        "calls": f"{count(math.ceil(n / 0.8))} ({count(n)} train)",
        "build": build(r.get("train_s"), r.get("threads", threads))
        + ("" if r.get("fit_cpu_s") is None else f" ({r['fit_cpu_s'] / 60:.1f} CPU-min)"),
        "mean_digits": r.get("mean_digits"),
        "worst_digits": r.get("worst_digits"),
        "r_1": r.get("r_1"),
        "median": r.get("median_abs_delta"),
        "q68": r["q68_abs_delta"],
        "top1": r.get("top1pct_q68_abs_delta"),
        "cover": cover(r.get("coverage_1sigma"), r.get("coverage_2sigma")),
        "c1": r.get("coverage_1sigma"),
        "us": r.get("us_per_point"),
        "bytes": r.get("size_bytes"),
    }


LOOP_FILES = {  # the JSON files of the g g → γ γ g rows, and what made them
    "loop_bnn.json": "`benchmarks/loop_bnn.py`: Bayesian network, the same boosted, a deep "
    "ensemble of heteroscedastic networks, a plain DNN on log A",
    "loop_bnn_1e6.json": "`benchmarks/loop_bnn.py` at 10⁶ points: the plain DNN and the "
    "Bayesian network",
    "surrogates_ggyyg_bdt.json": "`benchmarks/surrogates_ggyyg_bdt.py`: a BDT, XGBoost "
    "`hist` (depth 12, learning rate 0.05) on ONE thread (`training.threads = 1`), target "
    "log A, inputs the log invariants as the DNN's",
}


def ggyyg_groups() -> tuple[dict[str, list[dict]], dict[str, dict]]:
    """{group title: rows} by training points and budget, and the JSON files that had rows."""
    keyed: dict[tuple[int, float], list[dict]] = {}
    found: dict[str, dict] = {}
    for name in LOOP_FILES:
        d = load(name)
        if not d:
            continue
        found[name] = d
        threads, minutes = d["args"].get("threads", 1), d["args"]["minutes"]
        for n, rows in d["results"].items():
            for label, r in rows.items():
                row = loop_row(label, r, int(n), name, threads)
                keyed.setdefault((int(n), minutes), []).append(row)
    groups = {}
    for n, minutes in sorted(keyed):
        title = f"{count(n)} training points, {minutes:g} min per fit"
        groups[title] = sorted(keyed[(n, minutes)], key=lambda r: r["q68"])
    return groups, found


def ggyyg_part(not_applicable: dict[str, str]) -> list[str]:
    groups, found = ggyyg_groups()
    if not groups:
        return []
    loop, big = found.get("loop_bnn.json"), found.get("loop_bnn_1e6.json")
    bdt = found.get("surrogates_ggyyg_bdt.json")
    multi = [n for n, d in found.items() if d["args"].get("threads", 1) > 1]
    tab, note = table(groups)
    out = [
        f"### {GGYYG_TITLE}",
        "",
        "The fits of "
        + "; ".join(f"{why} (`{n}`)" for n, why in LOOP_FILES.items() if n in found)
        + ". All are scored on the same 10 000 test points; at each size every kind saw the "
        "same training rows (the ⌈n/0.8⌉ labelled rows after the test rows, stored 80/10/10 "
        "split) under the same wall-clock budget (the boosted network fine-tunes its cycles "
        "on top, so it trained longer). Threads as the build column says"
        + (
            f" ({', '.join(f'`{n}`' for n in multi)}: 2 threads on 2 cores, so at equal wall "
            "time the 1-thread rows had less CPU time)"
            if multi
            else ""
        )
        + ". The largest 1 % are the test points of largest \\|M\\|²; σ covers: the "
        "fraction of test points within 1σ / 2σ of the truth" + note + ".",
        "",
        *tab,
    ]
    if loop and big:
        out += [
            f"Labels: the numerical reduction cost {loop['truth_us_per_point'] / 1e3:.0f} ms "
            f"per point when `loop_bnn.json` was made, the closed form "
            f"{big['truth_us_per_point']:.0f} µs (`loop_bnn_1e6.json`, one thread): 10⁶ "
            f"labels ≈ {big['truth_us_per_point'] * 1e6 / 6e7:.1f} CPU-min.",
            "",
        ]
    for title, rows in groups.items():
        ranked = "; ".join(f"{r['short']} {sci(r['q68'])}" for r in rows)
        with_sigma = [r for r in rows if r["c1"] is not None]
        line = f"*{title}*, 68 % of \\|δ\\|: {ranked}"
        if with_sigma:
            b = with_sigma[0]
            line += f" (the best with an error bar, {b['short']}, covers {pct(b['c1'])} at 1σ)"
        out += [line + ".", ""]
    if bdt:
        out += [bdt_line(bdt), ""]
    grid = next((why for job, why in not_applicable.items() if "γ γ g" in job), None)
    out += not_applicable_lines(
        {
            "Chebyshev, sparse grid": grid,
            "INN": INN_WHY,
            "dipole emulator": DIPOLE_WHY,
            "sk-DNN": "applies, not measured on this job",
        }
    )
    return out


def bdt_line(bdt: dict) -> str:
    """How the BDT rows were made: commands, stops, the CPU share the fits got, timing."""
    parts, starved = [], False
    for n, rows in bdt["results"].items():
        for r in rows.values():
            stop = "the time limit" if r["stop"].startswith("time") else "early stopping"
            part = f"{count(int(n))}: {r['rounds']} rounds, stopped by {stop}"
            if r.get("fit_cpu_s") is not None:
                share = r["fit_cpu_s"] / r["fit_wall_s"]
                starved |= share < 0.8
                part += f", {pct(share)} of a core during the fit"
            if r.get("us_per_point_first") is not None:
                part += (
                    f", µs/point timed again at load {r['loadavg_at_timing']:.1f} (first "
                    f"{r['us_per_point_first']:.0f} µs)"
                )
            parts.append(part)
    commands = bdt.get("commands") or [bdt["command"]]
    line = (
        "The BDT rows: "
        + "; then ".join(f"`{c}`" for c in commands)
        + f" (last written {bdt['created']}). Per size: "
        + "; ".join(parts)
        + ". The build column's CPU-min is the fitting process's own CPU time"
    )
    if starved:
        line += (
            ": other runs shared the 2 cores, so these fits had far less CPU time than "
            "their 5 wall-minutes (and their µs/point were timed under that load) — the BDT "
            "rows are not yet at equal CPU time with the networks; rerun the script on a "
            "quiet machine for that"
        )
    return line + "."


# -- e⁺e⁻ → 4 and 5 jets -------------------------------------------------------------------


def me_row(label: str, r: dict, d: dict, source: str) -> dict:
    a = d["args"]
    return {
        "model": label,
        "short": label.split(" (")[0],
        "source": source,
        "calls": count(a["points"]),
        "build": build(r.get("train_s"), a["threads"], a["minutes"]),
        "r_1": 1 - r["out_1"],
        "median": r["median_abs_delta"],
        "cover": cover(r.get("coverage_1sigma")),
        "us": r.get("us_per_point"),
        "bytes": None if r.get("MB") is None else round(r["MB"] * 2**20),
    }


def regressor_row(label: str, r: dict, d: dict, source: str) -> dict:
    a = d["args"]
    return {
        "model": label,
        "short": label,
        "source": source,
        "calls": count(a["points"]),
        "build": build(r["train_s"], a["threads"]),
        "mean_digits": r["digits"],
        "worst_digits": r["worst_digits"],
        "r_1": r["R1"],
        "us": r.get("us_per_point"),
        "bytes": None if r.get("MB") is None else round(r["MB"] * 2**20),
    }


def ee_groups(process: str) -> dict[str, list[dict]]:
    """{group title: rows} for ee4j or ee5j, sorted by truth calls and budget."""
    keyed: dict[tuple, list[dict]] = {}
    for name in ("me_emulator.json", "me_emulator_ee4j_12min.json", "me_emulator_40min.json"):
        d = load(name)
        if not d or process not in d:
            continue
        a = d["args"]
        key = (a["points"], a["minutes"], a["threads"], "per member")
        for label, r in d[process].items():
            if isinstance(r, dict) and "out_1" in r:
                keyed.setdefault(key, []).append(me_row(label, r, d, name))
    if process == "ee4j":
        for name in ("regressors.json", "regressors_8d_long.json"):
            d = load(name)
            if not d or "8d" not in d:
                continue
            a = d["args"]
            key = (a["points"], a["minutes"], a["threads"], "per fit")
            for label, r in d["8d"].items():
                if not label.startswith("_"):
                    keyed.setdefault(key, []).append(regressor_row(label, r, d, name))
    groups = {}
    for pts, minutes, threads, per in sorted(keyed, key=lambda k: (k[1] * k[2], k[0])):
        rows = sorted(keyed[(pts, minutes, threads, per)], key=lambda r: -r["r_1"])
        title = (
            f"{count(pts)} points, {minutes:g} min × {threads} thread{'s' * (threads > 1)} {per}"
        )
        groups[title] = rows
    return groups


def ee_part(process: str, not_applicable: dict[str, str]) -> list[str]:
    groups = ee_groups(process)
    if not groups:
        return []
    tab, note = table(groups)
    out = [
        f"### {EE_TITLES[process]}",
        "",
        "From `benchmarks/me_emulator.py` (the dipole emulator, a DNN on log s_ij ÷ the "
        "antenna-q2 reference, a DNN on the momenta; 80/10/10 split, scored on its test "
        "split; R_1 = 1 − the fraction outside 1 %; the dipole ensemble's σ is its spread "
        "calibrated to 68 % on the validation split, the '1 member' row its first network, "
        "the same budget as the other rows)"
        + (
            " and `benchmarks/regressors.py` (task 8d: DNN, sk-DNN and BDT, raw and ÷ "
            "antenna-q2, on their own 3 × 10⁵ points; the BDT there is XGBoost `hist`)"
            if process == "ee4j"
            else ""
        )
        + "; every row a RAMBO sample with every s_ij/s > 0.001 at √s = 1 TeV, the test "
        "sets differ between the groups" + note + ".",
        "",
        *tab,
    ]
    for title, rows in groups.items():
        ranked = "; ".join(f"{r['short']} {r1(r['r_1'])}" for r in rows)
        out += [f"*{title}*, R_1: {ranked}.", ""]
    grid = next((why for job, why in not_applicable.items() if "e⁺e⁻" in job), None)
    lines = {
        "Chebyshev, sparse grid": grid,
        "INN": INN_WHY,
        "Bayesian network, deep ensemble of heteroscedastic networks": (
            "apply, not measured on this job (the dipole emulator's ensemble is the error bar here)"
        ),
    }
    if process == "ee5j":
        lines["sk-DNN, BDT"] = (
            "apply, not measured on this job (the 8D section above compares them there)"
        )
    return out + not_applicable_lines(lines)


def not_applicable_lines(why: dict[str, str | None]) -> list[str]:
    return ["Not in the table:", ""] + [f"- {k}: {v}." for k, v in why.items() if v] + [""]


def nets_part(na: dict[str, str]) -> list[str]:
    """The three jobs' sections (``na``: surrogates.json's why-not of the grids)."""
    return ggyyg_part(na) + ee_part("ee4j", na) + ee_part("ee5j", na)


def leaders(groups: dict[str, list[dict]]) -> str:
    """Which kind led each group (rows sorted best first) of two or more rows."""
    top = {t: g[0]["short"] for t, g in groups.items() if len(g) > 1}
    if len(set(top.values())) == 1:
        return f"{next(iter(top.values()))} led in every group of two or more kinds"
    return "; ".join(f"{name} at {t}" for t, name in top.items())


def summary() -> list[str]:
    """One paragraph for the page's "In short": the leading kind per job, from the tables."""
    parts, mixed = [], []
    g, _ = ggyyg_groups()
    if g:
        parts.append(f"on g g → γ γ g (68 % of \\|δ\\|) {leaders(g)}")
        mixed += g.values()
    for process, what in (("ee4j", "e⁺e⁻ → 4 jets"), ("ee5j", "e⁺e⁻ → 5 jets")):
        e = ee_groups(process)
        if e:
            parts.append(f"on {what} (R_1) {leaders(e)}")
            mixed += e.values()
    if not parts:
        return []
    line = "Among the network kinds, at equal truth calls and equal training time: " + "; ".join(
        parts
    )
    # groups with a model that quotes σ (a coverage) and one that does not
    both = [rows for rows in mixed if len({r.get("cover") is None for r in rows}) == 2]
    if both and all(rows[0].get("cover") is None for rows in both):
        line += (
            ". In every group with both, the best model without an error bar beat every "
            "model with one (Bayesian network, deep ensemble, dipole ensemble)"
        )
    return [line + ".", ""]


def covered(job: str) -> bool:
    """Whether a job of surrogates.json's not_applicable has its own section here."""
    return bool(ggyyg_groups()[0] if "γ γ g" in job else "e⁺e⁻" in job and ee_groups("ee4j"))
