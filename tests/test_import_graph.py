"""The import graph of l2lab's packages: no cycles, and every import points down the layers.

Layers, lowest first (docs/ARCHITECTURE.md): primitives (the math) ->
contracts_spec (the rules) -> rollup, plasma, channels (the actors) -> node
(the world) -> benchmarks. A module may import its own layer and the ones
below, never one above.

How the graph is read, from the source alone (nothing is imported):

* every ``import`` and ``from ... import`` statement anywhere in a file counts,
  inside functions, methods, classes and ``try`` blocks too, because a lazy
  import still makes the importer depend on the imported module at run time;
* statements under ``if TYPE_CHECKING:`` do not count (they never run), but
  its ``else:`` branch does;
* relative imports are resolved against the importing module's package;
* ``from pkg import name`` is an edge to ``pkg.name`` when that is a module
  file of ours, and to ``pkg`` otherwise; ``import a.b.c`` is an edge to the
  longest prefix of ``a.b.c`` that is a module of ours;
* names loaded as strings (``importlib.import_module``) are not edges: the
  ``l2lab`` entry point and the scheme registry use them on purpose.

Package ``__init__`` modules: importing ``pkg.sub`` also runs ``pkg/__init__``
first, but that implicit step is *not* an edge -- Python always finishes
starting a package before its submodules, and counting it would make every
``__init__`` that imports one of its own submodules look like a cycle. An
``__init__``'s explicit imports of its own submodules do count like any other
edge, so ``pkg/__init__ -> pkg.sub -> pkg`` (where ``pkg.sub`` names ``pkg``
itself, e.g. ``from pkg import helper``) is still reported as the cycle it is.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
LAYERS = {
    "primitives": 0,
    "contracts_spec": 1,
    "rollup": 2,
    "plasma": 2,
    "channels": 2,
    "node": 3,
    "benchmarks": 4,
}
LAYER_NAMES = {0: "primitives", 1: "contracts_spec", 2: "actors", 3: "node", 4: "benchmarks"}


@dataclass(frozen=True)
class Edge:
    """``importer`` imports ``imported`` at ``path:line``."""

    importer: str
    imported: str
    path: str
    line: int

    def __str__(self) -> str:
        return f"{self.importer} -> {self.imported} ({self.path}:{self.line})"


# ---------------------------------------------------------------- reading the sources


def project_modules(root: Path = ROOT, packages: tuple[str, ...] = tuple(LAYERS)) -> dict[str, Path]:
    """Every module of the given top-level packages: dotted name -> file (``pkg/__init__.py`` is ``pkg``)."""
    modules = {}
    for top in packages:
        for path in sorted((root / top).rglob("*.py")):
            rel = path.relative_to(root).with_suffix("")
            parts = rel.parts[:-1] if rel.name == "__init__" else rel.parts
            if "__pycache__" in parts or not all(p.isidentifier() for p in parts):
                continue
            modules[".".join(parts)] = path
    return modules


def _is_type_checking(test: ast.expr) -> bool:
    if isinstance(test, ast.Name):
        return test.id == "TYPE_CHECKING"
    return isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"


def runtime_imports(tree: ast.AST) -> Iterator[ast.Import | ast.ImportFrom]:
    """Every import statement in ``tree`` except those in the body of ``if TYPE_CHECKING:``."""
    if isinstance(tree, ast.If) and _is_type_checking(tree.test):
        for node in tree.orelse:
            yield from runtime_imports(node)
        return
    if isinstance(tree, ast.Import | ast.ImportFrom):
        yield tree
    for child in ast.iter_child_nodes(tree):
        yield from runtime_imports(child)


def _package_of(module: str, path: Path) -> str:
    return module if path.name == "__init__.py" else module.rpartition(".")[0]


def _longest_known(name: str, modules: dict[str, Path]) -> str | None:
    parts = name.split(".")
    for n in range(len(parts), 0, -1):
        candidate = ".".join(parts[:n])
        if candidate in modules:
            return candidate
    return None


def imported_modules(module: str, path: Path, modules: dict[str, Path]) -> Iterator[tuple[str, int]]:
    """(project module, line) for each runtime import in ``module``; other imports are skipped."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    for node in runtime_imports(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                target = _longest_known(alias.name, modules)
                if target is not None:
                    yield target, node.lineno
            continue
        if node.level:
            base = _package_of(module, path).split(".")
            if node.level > 1:
                base = base[: len(base) - (node.level - 1)]
            pkg = ".".join(base + ([node.module] if node.module else []))
        else:
            pkg = node.module or ""
        for alias in node.names:
            sub = f"{pkg}.{alias.name}"
            target = sub if sub in modules else _longest_known(pkg, modules)
            if target is not None:
                yield target, node.lineno


def import_edges(root: Path = ROOT, packages: tuple[str, ...] = tuple(LAYERS)) -> list[Edge]:
    modules = project_modules(root, packages)
    edges = set()
    for module, path in modules.items():
        rel = str(path.relative_to(root))
        for target, line in imported_modules(module, path, modules):
            edges.add(Edge(module, target, rel, line))
    return sorted(edges, key=lambda e: (e.importer, e.imported, e.line))


# ---------------------------------------------------------------- cycles and layers


def cycles(edges: list[Edge]) -> list[tuple[list[str], list[Edge]]]:
    """Per strongly connected component with a loop: its modules, and one concrete cycle's edges."""
    graph: dict[str, list[Edge]] = {}
    for e in edges:
        graph.setdefault(e.importer, []).append(e)
        graph.setdefault(e.imported, [])
    # Tarjan's algorithm, iterative so a long chain cannot hit the recursion limit.
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    on_stack: set[str] = set()
    stack: list[str] = []
    components: list[set[str]] = []
    for start in sorted(graph):
        if start in index:
            continue
        work = [(start, iter(graph[start]))]
        index[start] = low[start] = len(index)
        stack.append(start)
        on_stack.add(start)
        while work:
            node, it = work[-1]
            edge = next(it, None)
            if edge is not None:
                nxt = edge.imported
                if nxt not in index:
                    index[nxt] = low[nxt] = len(index)
                    stack.append(nxt)
                    on_stack.add(nxt)
                    work.append((nxt, iter(graph[nxt])))
                elif nxt in on_stack:
                    low[node] = min(low[node], index[nxt])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                comp = set()
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    comp.add(member)
                    if member == node:
                        break
                self_loop = any(e.imported == node for e in graph[node])
                if len(comp) > 1 or self_loop:
                    components.append(comp)
    return [(sorted(comp), _one_cycle(comp, graph)) for comp in sorted(components, key=min)]


def _one_cycle(comp: set[str], graph: dict[str, list[Edge]]) -> list[Edge]:
    """A shortest cycle through the component's first module, by breadth-first search."""
    start = min(comp)
    came: dict[str, Edge] = {}
    frontier = [start]
    while frontier:
        nxt_frontier = []
        for node in frontier:
            for e in graph[node]:
                if e.imported not in comp:
                    continue
                if e.imported == start:
                    path = [e]
                    while path[0].importer != start:
                        path.insert(0, came[path[0].importer])
                    return path
                if e.imported not in came:
                    came[e.imported] = e
                    nxt_frontier.append(e.imported)
        frontier = nxt_frontier
    raise AssertionError(f"no cycle found in component {sorted(comp)}")


def layer_of(module: str) -> int:
    return LAYERS[module.split(".")[0]]


def upward_imports(edges: list[Edge]) -> list[Edge]:
    return [e for e in edges if layer_of(e.imported) > layer_of(e.importer)]


def _describe_cycle(component: list[str], cycle: list[Edge]) -> str:
    text = " -> ".join([cycle[0].importer] + [e.imported for e in cycle])
    if len(component) > len(cycle):
        text += f"\n      (one loop of a tangle of {len(component)} modules: {', '.join(component)})"
    return text + "\n" + "\n".join(f"      {e}" for e in cycle)


# ---------------------------------------------------------------- the rules


def test_the_project_has_modules_in_every_layer_that_exists() -> None:
    modules = project_modules()
    assert "primitives.snark.groth16" in modules and "node.chain" in modules
    assert {layer_of(m) for m in modules} == set(LAYER_NAMES)


def test_no_import_cycles() -> None:
    found = cycles(import_edges())
    if found:
        pytest.fail(f"{len(found)} import cycle(s):\n" + "\n".join(
            f"  {i + 1}. {_describe_cycle(*c)}" for i, c in enumerate(found)), pytrace=False)


def test_imports_only_point_down_the_layers() -> None:
    bad = upward_imports(import_edges())
    if bad:
        pytest.fail(f"{len(bad)} import(s) pointing up the layers:\n" + "\n".join(
            f"  {LAYER_NAMES[layer_of(e.importer)]} imports {LAYER_NAMES[layer_of(e.imported)]}: {e}"
            for e in bad), pytrace=False)


# ---------------------------------------------------------------- the reader itself


def _write(root: Path, files: dict[str, str]) -> None:
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)


def _pairs(edges: list[Edge]) -> set[tuple[str, str]]:
    return {(e.importer, e.imported) for e in edges}


def test_reader_resolves_relative_lazy_and_submodule_imports(tmp_path: Path) -> None:
    _write(tmp_path, {
        "low/__init__.py": "",
        "low/a.py": "from . import b\nfrom .b import thing\n",
        "low/b.py": "def f():\n    import low.sub.c\n",
        "low/sub/__init__.py": "from .c import x\nfrom .. import a\n",
        "low/sub/c.py": "import os\nfrom low import helper_name\n",
        "high/__init__.py": "",
        "high/top.py": "from low.sub import c, missing_name\nimport low.sub.c.attr\n",
    })
    edges = import_edges(tmp_path, ("low", "high"))
    assert _pairs(edges) == {
        ("low.a", "low.b"),
        ("low.b", "low.sub.c"),
        ("low.sub", "low.sub.c"),
        ("low.sub", "low.a"),
        ("low.sub.c", "low"),
        ("high.top", "low.sub.c"),
        ("high.top", "low.sub"),
    }


def test_reader_skips_type_checking_but_not_its_else(tmp_path: Path) -> None:
    _write(tmp_path, {
        "p/__init__.py": "",
        "p/x.py": "",
        "p/y.py": "",
        "p/z.py": "",
        "p/m.py": (
            "import typing\nfrom typing import TYPE_CHECKING\n"
            "if TYPE_CHECKING:\n    from p import x\nelse:\n    from p import y\n"
            "if typing.TYPE_CHECKING:\n    import p.x\n"
            "class K:\n    def f(self):\n        from p import z\n"
        ),
    })
    assert _pairs(import_edges(tmp_path, ("p",))) == {("p.m", "p.y"), ("p.m", "p.z")}


def test_cycle_finder_reports_the_modules_of_each_loop() -> None:
    edges = [Edge(a, b, "f.py", i) for i, (a, b) in enumerate(
        [("m.a", "m.b"), ("m.b", "m.c"), ("m.c", "m.a"), ("m.c", "m.d"), ("m.e", "m.e"), ("m.d", "m.f")])]
    found = cycles(edges)
    assert [comp for comp, _ in found] == [["m.a", "m.b", "m.c"], ["m.e"]]
    assert [[e.importer for e in c] for _, c in found] == [["m.a", "m.b", "m.c"], ["m.e"]]
    assert _describe_cycle(*found[0]).splitlines()[0] == "m.a -> m.b -> m.c -> m.a"
    assert cycles([e for e in edges if e.importer not in ("m.c", "m.e")]) == []


def test_cycle_finder_names_every_module_of_a_tangle() -> None:
    # a <-> b and a <-> c: one component of three, the shortest loop through a has two.
    edges = [Edge(a, b, "f.py", 1) for a, b in [("m.a", "m.b"), ("m.b", "m.a"), ("m.a", "m.c"), ("m.c", "m.a")]]
    [(component, cycle)] = cycles(edges)
    assert component == ["m.a", "m.b", "m.c"] and len(cycle) == 2
    assert "tangle of 3 modules: m.a, m.b, m.c" in _describe_cycle(component, cycle)


@pytest.mark.parametrize(("importer", "imported", "up"), [
    ("primitives.keccak", "contracts_spec.l1", True),
    ("contracts_spec.l1", "node.rpc", True),
    ("rollup.x", "plasma.y", False),
    ("node.cli", "benchmarks.cli", True),
    ("benchmarks.zk", "primitives.snark.groth16", False),
])
def test_layer_rule_examples(importer: str, imported: str, up: bool) -> None:
    assert bool(upward_imports([Edge(importer, imported, "f.py", 1)])) is up
