"""The dashboard's modules import each other in one direction: no module imports (at
the top or inside a function) a module that imports it back, directly or through others."""

from __future__ import annotations

import ast
from pathlib import Path

from tests.dashboard.server import PROJECT_ROOT

PACKAGE = PROJECT_ROOT / "dashboard"


def _module_name(path: Path) -> str:
    return ".".join(path.relative_to(PROJECT_ROOT).with_suffix("").parts)


def dashboard_imports() -> dict[str, set[str]]:
    """module -> the dashboard modules it imports anywhere in its code."""
    modules = {_module_name(p): p for p in PACKAGE.glob("*.py")}
    graph: dict[str, set[str]] = {}
    for name, path in modules.items():
        found: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                found |= {a.name for a in node.names}
            elif isinstance(node, ast.ImportFrom) and node.module:
                found.add(node.module)
                found |= {f"{node.module}.{a.name}" for a in node.names}
        graph[name] = {m for m in found if m in modules and m != name}
    return graph


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    state: dict[str, int] = {}  # 1: on the path, 2: done
    path: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        path.append(node)
        for nxt in sorted(graph[node]):
            if state.get(nxt) == 1:
                return path[path.index(nxt):] + [nxt]
            if nxt not in state and (cycle := visit(nxt)):
                return cycle
        path.pop()
        state[node] = 2
        return None

    for start in sorted(graph):
        if start not in state and (cycle := visit(start)):
            return cycle
    return None


def test_the_graph_sees_the_imports_the_clip_view_relies_on():
    graph = dashboard_imports()
    assert "dashboard.state" in graph["dashboard.clipdata"]
    assert "dashboard.clipdata" in graph["dashboard.render"]
    assert {"dashboard.clipdata", "dashboard.render"} <= graph["dashboard.warmup"]


def test_no_dashboard_module_imports_one_that_imports_it_back():
    cycle = find_cycle(dashboard_imports())
    assert cycle is None, " -> ".join(cycle or [])
