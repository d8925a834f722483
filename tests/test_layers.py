"""The layers of `lib` as the import graph shows them (every import, also inside functions).

domain (catalogue, policy, codes) ← rules ← present ← io ← interactive ← report ← demo, cli.
A module may import its own layer and the layers below it, never one above: the rules stay
pure (no I/O, no pages), and reading or drawing never reaches up into a report run.
"""

from __future__ import annotations

import ast
from functools import cache
from pathlib import Path

import pytest

LIB = Path(__file__).resolve().parents[1] / "lib"

DOMAIN = {"lib", "lib.catalogue", "lib.policy", "lib.codes"}
# layer → the layers it may import (besides itself)
ALLOWED = {
    "domain": {"domain"},
    "rules": {"domain"},
    "io": {"domain", "rules", "present"},  # the files it writes use the one cell formatting
    "present": {"domain", "rules"},
    "interactive": {"domain", "rules", "io", "present"},
    "report": {"domain", "rules", "io", "present", "interactive"},
    "demo": {"domain", "rules", "io", "present", "interactive", "report"},
    "cli": {"domain", "rules", "io", "present", "interactive", "report", "demo"},
}


def module_name(path: Path) -> str:
    parts = path.relative_to(LIB.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def layer(module: str) -> str:
    if module in DOMAIN:
        return "domain"
    if module == "lib.cli":
        return "cli"
    return module.split(".")[1]


def imports(path: Path) -> set[str]:
    """Every lib module the file imports, at the top or inside a function."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found |= {a.name for a in node.names if a.name.startswith("lib")}
        elif isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("lib") and node.level == 0:
            for alias in node.names:  # `from lib.present import charts` imports lib.present.charts
                sub = f"{node.module}.{alias.name}"
                found.add(sub if (LIB.parent / (sub.replace(".", "/") + ".py")).exists() else node.module)
    return found


@cache
def graph() -> dict[str, set[str]]:
    return {module_name(p): imports(p) for p in sorted(LIB.rglob("*.py"))}


def test_every_module_belongs_to_a_layer():
    for module in graph():
        assert layer(module) in ALLOWED, module


@pytest.mark.parametrize("module", sorted(graph()))
def test_no_import_reaches_up_a_layer(module):
    own = layer(module)
    wrong = {m for m in graph()[module] if layer(m) != own and layer(m) not in ALLOWED[own]}
    assert not wrong, f"{module} ({own}) imports {sorted(wrong)}"


def test_rules_never_import_io_presentation_or_reports():
    for module, targets in graph().items():
        if layer(module) == "rules":
            assert all(layer(t) in {"domain", "rules"} for t in targets), (module, targets)


def test_the_check_itself_sees_an_upward_import(tmp_path):
    bad = tmp_path / "risk.py"
    bad.write_text("def f():\n    from lib.report.html import escape\n", encoding="utf-8")
    assert "lib.report.html" in imports(bad)


def test_no_module_cycles():
    edges = {m: {t for t in ts if t in graph() and t != m} for m, ts in graph().items()}
    # a module's package __init__ is imported by its children implicitly; only explicit edges count
    state: dict[str, int] = {}

    def visit(node: str, path: list[str]) -> None:
        state[node] = 1
        for nxt in edges.get(node, ()):
            if state.get(nxt) == 1:
                cycle = path[path.index(nxt):] + [nxt] if nxt in path else [node, nxt]
                pytest.fail("import cycle: " + " → ".join(cycle))
            if nxt not in state:
                visit(nxt, path + [nxt])
        state[node] = 2

    for module in sorted(edges):
        if module not in state:
            visit(module, [module])


def test_the_report_package_itself_imports_nothing():
    # a briefing kernel's `from lib.report import store` must not pull papermill or nbconvert in
    assert imports(LIB / "report" / "__init__.py") == set()
