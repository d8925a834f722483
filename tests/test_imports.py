"""Imports follow the layers: no cycles between lib's modules, nothing below lib.report imports it."""

from __future__ import annotations

import ast
from pathlib import Path

LIB = Path(__file__).resolve().parents[1] / "lib"
BELOW_REPORT = ("lib.rules", "lib.io", "lib.present", "lib.interactive", "lib.catalogue", "lib.policy")


def _module_name(path: Path) -> str:
    parts = path.relative_to(LIB.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports(path: Path, top_level_only: bool) -> set[str]:
    """lib modules ``path`` imports (``from lib.x import y`` counts lib.x and lib.x.y if a module)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    nodes = tree.body if top_level_only else list(ast.walk(tree))
    found = set()
    for node in nodes:
        if isinstance(node, ast.Import):
            found.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            found.add(node.module)
            found.update(f"{node.module}.{a.name}" for a in node.names)
    return {name for name in found if name.startswith("lib.") and name in MODULES}


MODULES = {_module_name(p): p for p in LIB.rglob("*.py")}


def _cycles(modules: list[str], top_level_only: bool) -> list[str]:
    """The modules of ``modules`` that reach themselves through imports among ``modules``."""
    graph = {name: _imports(MODULES[name], top_level_only) & set(modules) - {name} for name in modules}
    # a module imports its package first: the package's own imports count for it
    for name in graph:
        package = name.rsplit(".", 1)[0]
        if package in graph:
            graph[name] |= graph[package] - {name}

    def reaches(start: str, goal: str, seen: set[str]) -> bool:
        for nxt in graph[start] - seen:
            seen.add(nxt)
            if nxt == goal or reaches(nxt, goal, seen):
                return True
        return False

    return sorted(name for name in graph if reaches(name, name, set()))


def test_no_import_cycles_at_import_time():
    assert _cycles(sorted(MODULES), top_level_only=True) == []


def test_no_cycles_in_the_upper_layers_even_through_lazy_imports():
    upper = sorted(n for n in MODULES if n.startswith(("lib.present", "lib.interactive", "lib.report")))
    assert _cycles(upper, top_level_only=False) == []


def test_nothing_below_report_imports_it():
    wrong = sorted(
        name for name, path in MODULES.items()
        if name.startswith(BELOW_REPORT) and any(m.startswith("lib.report") for m in _imports(path, False))
    )
    assert wrong == []


def test_the_report_package_itself_imports_nothing():
    # a briefing kernel's `from lib.report import store` must not pull papermill or nbconvert in
    assert _imports(LIB / "report" / "__init__.py", top_level_only=False) == set()
