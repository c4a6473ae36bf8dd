"""The layering of ARCHITECTURE.md, checked: each module imports only from its own layer or
the layers below (function-local and typing-only imports included), and no two modules import
each other, however indirectly."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "csvprep"

# Lowest first. A module may import from its own layer and those before it. Modules are named
# by their dotted path below csvprep; a package by its own name (its __init__), the top-level
# package as "__init__".
LAYERS: list[set[str]] = [
    {"_lazy", "errors", "problems", "routing", "suggest", "resources", "settings"},
    {"io.columns", "io.records", "io.manifest"},
    {"io", "io.decoding", "io.reading", "io.writing", "io.workbook"},
    {
        "phones.metadata",
        "phones.ranges",
        "phones.fast",
        "phones.numeric",
        "phones.dispatch",
        "phones",
        "phones.cache",
    },
    {
        "checks",
        "checks.headers",
        "report",
        "report.html",
        "checks.suppression",
        "checks.calling_hours",
        "checks.rules",
    },
    {"pipeline", "pipeline.validation"},
    {"outputs", "outputs.splitting", "outputs.preparing"},
    {
        "upload.campaign",
        "upload._client",
        "upload._ledger",
        "upload._dry_run",
        "upload._flows",
        "upload._agent",
        "upload",
    },
    {"render", "config"},
    {"cli", "__init__", "__main__", "_signals"},
]
LAYER = {module: n for n, layer in enumerate(LAYERS) for module in layer}


def _name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE).with_suffix("").parts)
    if parts[-1] == "__init__" and len(parts) > 1:
        parts.pop()
    return ".".join(parts)


FILES = {_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}
MODULES = sorted(FILES)


def _dotted(parts: list[str]) -> str:
    return ".".join(parts) or "__init__"


def imports(module: str, source: str | None = None) -> set[str]:
    """The csvprep modules ``module`` imports, anywhere in its body (its file, or ``source``)."""
    path = FILES.get(module, PACKAGE / f"{module.replace('.', '/')}.py")
    here = [] if module == "__init__" else module.split(".")
    package = here if path.name == "__init__.py" else here[:-1]
    tree = ast.parse(path.read_text(encoding="utf-8") if source is None else source)
    found = set()

    def add(base: list[str], names: list[str]) -> None:
        for name in names:  # `from pkg import submodule` imports the submodule
            candidate = _dotted([*base, name])
            found.add(candidate if candidate in FILES else _dotted(base))

    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            dotted = (node.module or "").split(".")
            if node.level:
                base = package[: len(package) - (node.level - 1)]
            elif dotted[0] == "csvprep":
                base, dotted = [], dotted[1:]
            else:
                continue
            add([*base, *filter(None, dotted)], [alias.name for alias in node.names])
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.split(".")[0] == "csvprep":
                    found.add(_dotted(alias.name.split(".")[1:]))
    return found - {module}


def upward(module: str, imported: set[str]) -> list[str]:
    """The modules of ``imported`` in a layer above ``module``'s."""
    return sorted(m for m in imported if LAYER.get(m, -1) > LAYER[module])


def cycles(graph: dict[str, set[str]]) -> set[frozenset[str]]:
    """Every pair of modules that reach each other in ``graph`` (module -> what it imports)."""

    def reach(start: str) -> set[str]:
        seen, todo = set(), [start]
        while todo:
            for nxt in graph.get(todo.pop(), set()):
                if nxt not in seen:
                    seen.add(nxt)
                    todo.append(nxt)
        return seen

    reached = {m: reach(m) for m in graph}
    return {frozenset({a, b}) for a in graph for b in reached[a] if a < b and a in reached[b]}


def test_every_module_has_a_layer():
    assert sorted(set(MODULES) - set(LAYER)) == []


@pytest.mark.parametrize("module", MODULES)
def test_imports_point_down_the_layers(module):
    found = upward(module, imports(module))
    assert found == [], f"{module} (layer {LAYER[module]}) imports from above: {found}"


def test_no_import_cycles():
    graph = {m: imports(m) & set(MODULES) for m in MODULES}
    assert cycles(graph) == set(), sorted(map(sorted, cycles(graph)))


def test_the_contract_can_fail():
    # a function-local import (the kind that hid the cycles) is seen, and both rules catch it:
    # the engines' shared metadata reaching for the integer engine closes a cycle, and the
    # foundations reaching for the upload stage (typing-only) point up the layers
    hidden = "def table():\n    from .numeric import table\n"
    assert imports("phones.metadata", hidden) == {"phones.numeric"}
    graph = {m: imports(m) & set(MODULES) for m in MODULES}
    graph["phones.metadata"] |= imports("phones.metadata", hidden)
    assert frozenset({"phones.metadata", "phones.numeric"}) in cycles(graph)
    reaching_up = "import typing\nif typing.TYPE_CHECKING:\n    from .upload import Api\n"
    assert upward("errors", imports("errors", reaching_up)) == ["upload"]
