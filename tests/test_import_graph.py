"""The source tree's import graph (every import, also those inside functions): no cycles,
and data flows one way, physics → data → models → training → evaluation → applications → cli.
"""

from __future__ import annotations

import ast
from pathlib import Path

import hepemu

SRC = Path(hepemu.__file__).resolve().parent.parent
LAYERS = ("physics", "data", "models", "training", "evaluation", "applications", "cli")
# cycles still being removed (issue 26); remove an entry when its cycle is gone
KNOWN_CYCLES: set[frozenset[str]] = set()  # none left


def _modules() -> dict[str, Path]:
    out = {}
    for f in (SRC / "hepemu").rglob("*.py"):
        parts = list(f.relative_to(SRC).with_suffix("").parts)
        out[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = f
    return out


def _graph() -> dict[str, set[str]]:
    mods = _modules()

    def resolve(name: str) -> str | None:
        while name and name not in mods:
            name = name.rpartition(".")[0]
        return name or None

    graph: dict[str, set[str]] = {m: set() for m in mods}
    for m, f in mods.items():
        package = m.split(".") if f.name == "__init__.py" else m.split(".")[:-1]
        for node in ast.walk(ast.parse(f.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    up = package[: len(package) - node.level + 1]
                    base = ".".join([*up, base] if base else up)
                names = [f"{base}.{a.name}" for a in node.names] + [base]
            else:
                continue
            for name in names:
                target = resolve(name) if name.startswith("hepemu") else None
                if target and target != m:
                    graph[m].add(target)
    return graph


def _cycles(graph: dict[str, set[str]]) -> list[frozenset[str]]:
    """Strongly connected components with more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    out: list[frozenset[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        for w in graph[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = set()
            while True:
                w = stack.pop()
                comp.add(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.append(frozenset(comp))

    for v in graph:
        if v not in index:
            visit(v)
    return out


def _layer(module: str) -> int:
    parts = module.split(".")
    if len(parts) > 1 and parts[1] in LAYERS:
        return LAYERS.index(parts[1])
    if module == "hepemu.registry":  # every shipped model: the models layer
        return LAYERS.index("models")
    if module == "hepemu.api":  # the Python API beside the command line: the top layer
        return LAYERS.index("cli")
    return -1  # hepemu, version, cards, fileio, machine, digits, threads: below every layer


def test_the_graph_sees_imports_inside_functions():
    graph = _graph()
    # imported inside a function there
    assert "hepemu.physics.integrals.quadrature" in graph["hepemu.physics.references"]
    assert "hepemu.physics.providers.registry" in graph["hepemu.physics.providers"]


def test_no_import_cycles_beyond_the_known_ones():
    assert set(_cycles(_graph())) <= KNOWN_CYCLES


def test_no_layer_imports_a_layer_above_it():
    graph = _graph()
    upward = sorted(f"{a} -> {b}" for a in graph for b in graph[a] if _layer(b) > _layer(a))
    assert upward == []
