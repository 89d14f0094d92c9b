"""The leaderboard package has layers: the import graph of its modules (every import, at the top of
a module or inside a function) has no cycle, Starlette is imported by the web package only, and
the participant's client reaches neither the server nor the store."""
from __future__ import annotations

import ast
from pathlib import Path

import pytest

import benchmark.leaderboards as package

ROOT = Path(package.__file__).parent
NAME = package.__name__


def modules() -> dict[str, Path]:
    out = {}
    for path in sorted(ROOT.rglob("*.py")):
        parts = path.relative_to(ROOT).with_suffix("").parts
        if parts[-1] == "__init__":
            parts = parts[:-1]
        out[".".join((NAME, *parts))] = path
    return out


def imports(name: str, path: Path) -> set[str]:
    """Every module `name` imports (absolute names), wherever the import statement stands."""
    package_of = name if path.name == "__init__.py" else name.rsplit(".", 1)[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            found |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package_of.rsplit(".", node.level - 1)[0] if node.level > 1 else package_of
                module = f"{base}.{node.module}" if node.module else base
            else:
                module = node.module
            found.add(module)
            found |= {f"{module}.{a.name}" for a in node.names}  # `from . import api` imports a module
    return found


def graph() -> dict[str, set[str]]:
    mods = modules()
    return {name: {m for m in imports(name, path) if m in mods and m != name} for name, path in mods.items()}


def cycle(edges: dict[str, set[str]]) -> list[str] | None:
    """One import cycle, as the modules along it, or None."""
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(edges[node]):
            if state.get(nxt) == 1:
                return stack[stack.index(nxt):] + [nxt]
            if nxt not in state and (found := visit(nxt)):
                return found
        stack.pop()
        state[node] = 2
        return None

    for node in sorted(edges):
        if node not in state and (found := visit(node)):
            return found
    return None


def reach(edges: dict[str, set[str]], start: str) -> set[str]:
    seen, todo = set(), [start]
    while todo:
        node = todo.pop()
        for nxt in edges[node] - seen:
            seen.add(nxt)
            todo.append(nxt)
    return seen


def test_the_cycle_finder_finds_a_cycle():
    assert cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": set()}) == ["a", "b", "c", "a"]
    assert cycle({"a": {"b"}, "b": set()}) is None


def test_the_package_has_no_import_cycle():
    edges = graph()
    assert len(edges) > 20 and f"{NAME}.store.submissions" in edges
    found = cycle(edges)
    assert found is None, "import cycle: " + " -> ".join(found)


@pytest.mark.parametrize("module", ["values", "protocol", "track", "ranking"])
def test_plain_values_import_nothing_above_them(module):
    edges = graph()
    below = reach(edges, f"{NAME}.{module}")
    assert not {m for m in below if m.split(".")[2] in ("store", "web", "submit", "worker", "board", "site")}, below


def test_starlette_lives_in_the_web_package_only():
    for name, path in modules().items():
        uses = {m for m in imports(name, path) if m.split(".")[0] in ("starlette", "uvicorn")}
        assert not uses or name.startswith(f"{NAME}.web"), (name, uses)


def test_the_client_reaches_neither_the_server_nor_the_store():
    below = reach(graph(), f"{NAME}.client")
    assert below <= {f"{NAME}.protocol"}, below
