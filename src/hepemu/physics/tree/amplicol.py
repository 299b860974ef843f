"""Tree-level matrix elements from pyamplicol (current recursion, full colour, helicity sums).

pyamplicol (Frederix, Hirschi, Vitos; https://github.com/mg5amcnlo/pyamplicol) generates an
*artifact* per process: evaluator code built once, in about 15–20 s, then evaluated natively
in µs per point. Artifacts are cached per process in ``$HEPEMU_CACHE/pyamplicol/<key>`` (else
``$XDG_CACHE_HOME/hepemu/pyamplicol`` or ``~/.cache/hepemu/pyamplicol``):

- a build happens under an exclusive file lock (``fcntl.flock`` on ``<root>/.lock``, released
  by the kernel if the builder dies), into a temporary directory renamed atomically into
  place, so concurrent workers never see a half-written entry;
- ``manifest.json`` (size and SHA-256 of every file) is written last; an entry whose
  manifest is missing or does not match (truncated, corrupted, half-deleted) is removed and
  rebuilt, never trusted.

Generation needs Symbolica, which without a licence runs in *restricted mode*: one
Symbolica process per user at a time (a second one aborts). So generation runs in a child
process, one at a time per user (a second lock in the temporary directory), retried while
another Symbolica process holds the allowance; evaluation (native binary64) never imports
Symbolica, so any number of workers can evaluate at once.

Cache keys, manifests and their checks are in :mod:`hepemu.physics.tree.amplicol_cache`
(re-exported here); this module builds, loads and evaluates artifacts.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np

from hepemu.physics.tree.amplicol_cache import (
    CACHE_SCHEMA,
    MANIFEST,
    MODEL,
    AmplicolError,
    cache_key,
    cache_root,
    file_table,
    locked,
    normalize_expression,
    pyamplicol_version,
    remove_dir,
    verify_entry,
)

__all__ = [
    "BUILD_TIMEOUT_S",
    "CACHE_SCHEMA",
    "MANIFEST",
    "MODEL",
    "NAMED_PROCESSES",
    "SYMBOLICA_WAIT_S",
    "AmplicolError",
    "build_entry",
    "cache_key",
    "cache_root",
    "ensure_artifact",
    "evaluate",
    "leg_names",
    "load_runtime",
    "massive_legs",
    "normalize_expression",
    "physics_summary",
    "pyamplicol_version",
    "verify_entry",
]

NAMED_PROCESSES: dict[str, str] = {
    "ee3j": "e+ e- > d d~ g",
    "ee4j": "e+ e- > d d~ g g",
    "ee5j": "e+ e- > d d~ g g g",
}
BUILD_TIMEOUT_S = 3600.0
SYMBOLICA_WAIT_S = 600.0  # how long a build waits for another user's Symbolica process

# Runs in a child process: generation imports Symbolica, and a second concurrent Symbolica
# process of the same user aborts (SIGABRT) in restricted mode; a child keeps that contained.
_BUILD_SCRIPT = """
import sys, time
from pyamplicol import Generator
from pyamplicol.config import resolve_config

expression, out = sys.argv[1], sys.argv[2]
card = {
    "schema_version": 1,
    "action": "generate",
    "model": {"source": "built-in-sm"},
    "process": {"entries": [{"expression": expression}]},
    "color": {"accuracy": "full"},
    "generation": {"output": out, "mode": "error", "workers": 1, "emit_api_bundle": False},
    "output": {"progress": "off"},
}
start = time.perf_counter()
Generator(resolve_config(card)).generate(expression, out, mode="error")
print(f"generation_seconds {time.perf_counter() - start:.3f}")
"""


def _symbolica_lock() -> Path:
    """One pyamplicol generation at a time per user, whatever the cache root."""
    return Path(tempfile.gettempdir()) / f"hepemu-symbolica-{os.getuid()}.lock"


def _generate(expression: str, out: Path, log: Path) -> float:
    """Run pyamplicol's generator in a child process; its output goes to ``log``."""
    env = {**os.environ, "SYMBOLICA_HIDE_BANNER": "1", "PYTHONWARNINGS": "ignore"}
    deadline = time.monotonic() + SYMBOLICA_WAIT_S
    wait = 2.0
    while True:
        with locked(_symbolica_lock()), open(log, "w") as f:
            start = time.perf_counter()
            try:
                rc = subprocess.run(
                    [sys.executable, "-c", _BUILD_SCRIPT, expression, str(out)],
                    stdout=f,
                    stderr=subprocess.STDOUT,
                    env=env,
                    timeout=BUILD_TIMEOUT_S,
                    check=False,
                ).returncode
            except subprocess.TimeoutExpired:
                raise AmplicolError(
                    f"pyamplicol generation of {expression!r} took over {BUILD_TIMEOUT_S:.0f} s"
                ) from None
            elapsed = time.perf_counter() - start
        text = log.read_text(errors="replace")
        if rc == 0:
            return elapsed
        busy = "restricted Symbolica" in text and "allowance is in use" in text
        if busy and time.monotonic() < deadline:  # another Symbolica process of this user
            shutil.rmtree(out, ignore_errors=True)
            time.sleep(wait)
            wait = min(2 * wait, 30.0)
            continue
        tail = "\n".join(text.strip().splitlines()[-15:])
        hint = (
            " (Symbolica restricted mode allows one Symbolica process per user, and another "
            "one kept running; a Symbolica licence lifts this)"
            if busy
            else ""
        )
        raise AmplicolError(
            f"pyamplicol generation of {expression!r} failed (exit {rc}){hint}:\n{tail}"
        )


def build_entry(expression: str, root: Path) -> Path:
    """Build the cache entry of ``expression`` in ``root`` (caller holds the root lock)."""
    expression = normalize_expression(expression)
    entry = root / cache_key(expression)
    for stale in [*root.glob(".build-*"), *root.glob(".trash-*")]:  # a killed builder's
        shutil.rmtree(stale, ignore_errors=True)  # (builds hold the lock: none is running)
    print(
        f"hepemu: building the pyamplicol artifact of {expression!r} in {entry} (once; about 20 s)",
        file=sys.stderr,
        flush=True,
    )
    tmp = Path(tempfile.mkdtemp(prefix=".build-", dir=root))
    try:
        seconds = _generate(expression, tmp / "artifact", tmp / "build.log")
        artifact = json.loads((tmp / "artifact" / "artifact.json").read_text())
        manifest = {
            "expression": expression,
            "model": MODEL,
            "color": "full",
            "pyamplicol": pyamplicol_version(),
            "schema": CACHE_SCHEMA,
            "artifact_id": artifact.get("artifact_id"),
            "generation_seconds": round(seconds, 3),
            "created_utc": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
            "files": file_table(tmp),
        }
        with open(tmp / MANIFEST, "w") as f:  # written last: it vouches for the files
            json.dump(manifest, f, indent=1)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, 0o755)  # mkdtemp makes it private; an entry is a readable cache
        remove_dir(entry)
        os.rename(tmp, entry)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return entry


def ensure_artifact(expression: str, root: Path | None = None, rebuild: bool = False) -> Path:
    """The verified cache entry of ``expression`` (built if missing or broken).

    Returns the entry directory; the pyamplicol artifact is its ``artifact`` subdirectory.
    """
    expression = normalize_expression(expression)
    root = cache_root() if root is None else Path(root)
    entry = root / cache_key(expression)
    if not rebuild and verify_entry(entry, expression) is not None:
        return entry
    with locked(root / ".lock"):
        if not rebuild and verify_entry(entry, expression) is not None:
            return entry  # built by another process while we waited
        return build_entry(expression, root)


@contextlib.contextmanager
def _without_symbolica() -> Iterator[None]:
    """Import and run pyamplicol's native runtime without Symbolica.

    pyamplicol imports Symbolica on import when it is installed, and a second Symbolica
    process of the same user aborts in restricted mode; native binary64 evaluation does not
    use it, and pyamplicol falls back to running without it when it cannot be imported.
    """
    if "symbolica" in sys.modules:  # already imported here: nothing to avoid
        yield
        return
    sys.modules["symbolica"] = None  # type: ignore[assignment]  # import raises ImportError
    try:
        yield
    finally:
        if sys.modules.get("symbolica", 0) is None:
            del sys.modules["symbolica"]


_RUNTIMES: dict[tuple[str, str], Any] = {}
_FAILED: dict[tuple[str, str], str] = {}  # builds that failed in this process: not retried


def load_runtime(expression: str, root: Path | None = None) -> tuple[Any, dict[str, Any]]:
    """pyamplicol ``Runtime`` of ``expression`` and its physics record, built and loaded once
    per process (a cache entry that verifies but does not load is rebuilt once; a failed
    build is not retried in the same process, so retries and bisection of the points by
    ``data generate`` fail at once)."""
    expression = normalize_expression(expression)
    root = cache_root() if root is None else Path(root)
    key = (str(root), expression)
    if key in _FAILED:
        raise AmplicolError(_FAILED[key])
    if key not in _RUNTIMES:
        try:
            entry = ensure_artifact(expression, root)
            try:
                loaded = _load(entry, expression)
            except AmplicolError:
                raise
            except Exception:  # noqa: BLE001 - a cache entry pyamplicol cannot load is rebuilt
                entry = ensure_artifact(expression, root, rebuild=True)
                loaded = _load(entry, expression)
        except AmplicolError as exc:
            _FAILED[key] = str(exc)
            raise
        _RUNTIMES[key] = loaded
    return _RUNTIMES[key]


def _load(entry: Path, expression: str) -> tuple[Any, dict[str, Any]]:
    artifact = entry / "artifact"
    index = json.loads((artifact / "artifact.json").read_text())
    processes = index.get("processes") or []
    if len(processes) != 1:
        raise AmplicolError(
            f"{expression!r} expands to {len(processes)} processes; give one concrete process"
        )
    with _without_symbolica():
        from pyamplicol import Runtime

        runtime = Runtime.load(artifact, process=expression, mute_warnings=True)
    physics = json.loads((artifact / processes[0]["physics_path"]).read_text())
    return runtime, physics


def evaluate(runtime: Any, momenta: np.ndarray) -> np.ndarray:
    """|M|² at momenta (N, n, 4) (E, px, py, pz in GeV, legs in the process's order)."""
    p = np.ascontiguousarray(momenta, dtype=float)
    if len(p) == 0:
        return np.empty(0)
    with _without_symbolica():
        values = runtime.evaluate(p)
    return np.real(np.asarray(values, dtype=complex))


_PARTICLE_LABELS = {"23": "Z", "24": "W", "25": "H", "6": "t"}


def physics_summary(physics: dict[str, Any]) -> dict[str, Any]:
    """Legs, normalisation and parameter values of a pyamplicol process, for metadata."""
    norm = physics.get("extensions", {}).get("normalization", {})
    params = {r["name"]: r["default_real"] for r in physics.get("model_parameters", [])}
    legs = [
        {"particle": leg["particle"], "pdg": leg["pdg"], "role": leg["role"]}
        for leg in physics.get("external_particles", [])
    ]
    mz, mw = params.get("particle.23.mass"), params.get("particle.24.mass")
    couplings: dict[str, Any] = {
        "alpha_ew": params.get("normalization.alpha_ew"),
        "alpha_s": params.get("normalization.alpha_s_me_check"),
    }
    if mz and mw:
        couplings["sin2_theta_w"] = 1.0 - (mw / mz) ** 2  # on-shell: built-in SM's s_W
    for name, value in params.items():
        if name.startswith("particle."):  # particle.<pdg>.mass / .width
            _, pdg, kind = name.split(".")
            label = _PARTICLE_LABELS.get(pdg, pdg)
            couplings[f"{'m' if kind == 'mass' else kind}_{label}"] = value
    return {
        "legs": legs,
        "color_accuracy": physics.get("color_accuracy"),
        "normalization": {
            "initial_spin_colour_average": norm.get("average_factor"),
            "identical_final_state_factor": norm.get("identical_factor"),
            "alpha_s_power": norm.get("qcd_coupling_power"),
            "alpha_ew_power": norm.get("electroweak_coupling_power"),
        },
        "couplings": couplings,
    }


def massive_legs(physics: dict[str, Any]) -> list[str]:
    """External particles with a nonzero mass in the model (RAMBO here is massless)."""
    params = {r["name"]: r["default_real"] for r in physics.get("model_parameters", [])}
    return [
        leg["particle"]
        for leg in physics.get("external_particles", [])
        if params.get(f"particle.{abs(int(leg['pdg']))}.mass", 0.0)
    ]


def leg_names(expression: str) -> list[str]:
    """Column-friendly names of the legs: e+ → ep, d~ → dbar, repeated names numbered."""
    initial, final = normalize_expression(expression).split(">")
    raw = [*initial.split(), *final.split()]
    names = [
        re.sub(r"[^A-Za-z0-9]", "", t.replace("~", "bar").replace("+", "p").replace("-", "m"))
        for t in raw
    ]
    counts = {n: names.count(n) for n in names}
    seen: dict[str, int] = {}
    out = []
    for n in names:
        if counts[n] > 1:
            seen[n] = seen.get(n, 0) + 1
            out.append(f"{n}{seen[n]}")
        else:
            out.append(n)
    return out
