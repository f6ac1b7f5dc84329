"""The layering contract, checked on the source: no import cycles, no upward imports, no private cross imports.

Every ``import`` of every module under ``src/seqfeed`` is read with :mod:`ast`: module-level and
function-level, relative and absolute. Each module belongs to one *component* (a subpackage, or a
named group of top-level modules) and each component to one *layer*. The rules:

(a) the module import graph has no cycle (function-level imports included);
(b) a module imports only from its own component or from components of lower layers
    (components of the same layer are independent of each other);
(c) no name starting with one underscore is imported from another component.

``LAYERS`` below is the single statement of the layers; ``docs/architecture.md`` shows the same
table (checked by ``test_docs_show_the_layer_table``).
"""

from __future__ import annotations

import ast
import pathlib
from dataclasses import dataclass

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[1]
SRC = ROOT / "src" / "seqfeed"
DOC = ROOT / "docs" / "architecture.md"
PACKAGE = "seqfeed"

# lowest first; the components of one layer do not import each other
LAYERS = (
    ("base", ("base",)),
    ("core", ("core",)),
    ("readers and transforms", ("sources", "transforms")),
    ("batching and baselines", ("batching", "baselines")),
    ("datasets and engines", ("datasets", "spark")),
    ("models", ("keras",)),
    ("command line", ("cli",)),
    ("package namespace", ("seqfeed",)),
)

# top-level modules grouped into one component (the others are their own component)
GROUPS = {
    "base": ("_errors", "_checks", "_fs", "_version", "metrics"),
    "baselines": ("baselines", "_baseline_common", "_forecast_baselines", "_dtw", "_dtw_numba"),
}



@dataclass(frozen=True)
class Import:
    source: str          # importing module, e.g. "seqfeed.core._pad"
    target: str          # imported module, e.g. "seqfeed.core._batch"
    names: tuple         # names taken from it (empty for `import x.y`)
    line: int
    module_level: bool

    def where(self) -> str:
        level = "module level" if self.module_level else "inside a function"
        return f"{self.source} line {self.line} ({level})"


def module_sources(src: pathlib.Path = SRC) -> dict:
    """``{module name: (source text, is_package)}`` for every ``.py`` file under ``src``."""
    out = {}
    for path in sorted(src.rglob("*.py")):
        parts = list(path.relative_to(src.parent).with_suffix("").parts)
        is_pkg = parts[-1] == "__init__"
        if is_pkg:
            parts = parts[:-1]
        out[".".join(parts)] = (path.read_text(encoding="utf-8"), is_pkg)
    return out


def _resolve(module: str, is_pkg: bool, node: ast.ImportFrom) -> str:
    if node.level == 0:
        return node.module or ""
    base = module.split(".") if is_pkg else module.split(".")[:-1]
    base = base[: len(base) - (node.level - 1)]
    return ".".join(base + ([node.module] if node.module else []))


def collect_imports(sources: dict) -> list:
    """Every import of a ``seqfeed`` module, at any depth of the syntax tree."""
    modules = set(sources)
    found = []
    for module, (text, is_pkg) in sources.items():
        tree = ast.parse(text)
        top = {id(n) for n in tree.body}
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                for alias in node.names:
                    if alias.name == PACKAGE or alias.name.startswith(PACKAGE + "."):
                        found.append(Import(module, alias.name, (), node.lineno, id(node) in top))
            elif isinstance(node, ast.ImportFrom):
                target = _resolve(module, is_pkg, node)
                if target != PACKAGE and not target.startswith(PACKAGE + "."):
                    continue
                # `from pkg import sub` imports the module pkg.sub; `from pkg import name` the package
                plain = [a.name for a in node.names if f"{target}.{a.name}" not in modules]
                for alias in node.names:
                    if f"{target}.{alias.name}" in modules:
                        found.append(Import(module, f"{target}.{alias.name}", (alias.name,), node.lineno,
                                            id(node) in top))
                if plain:
                    found.append(Import(module, target, tuple(plain), node.lineno, id(node) in top))
    return found


def component(module: str) -> str:
    parts = module.split(".")
    if len(parts) == 1:
        return PACKAGE
    for group, members in GROUPS.items():
        if parts[1] in members:
            return group
    return parts[1]


def layer_of() -> dict:
    return {comp: i for i, (_, comps) in enumerate(LAYERS) for comp in comps}


def find_cycles(imports: list) -> list:
    """Every strongly connected component of more than one module (or a module importing itself)."""
    graph = {}
    for imp in imports:
        graph.setdefault(imp.source, set()).add(imp.target)
        graph.setdefault(imp.target, set())
    index, low, on_stack, stack, out = {}, {}, set(), [], []
    counter = [0]

    def visit(v):  # Tarjan, iterative enough for this graph's depth
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on_stack.add(v)
        for w in sorted(graph[v]):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            scc = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                scc.append(w)
                if w == v:
                    break
            if len(scc) > 1 or v in graph[v]:
                out.append(sorted(scc))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return out


def violations(sources: dict) -> list:
    """The broken rules, one readable line each (empty when the contract holds)."""
    imports = collect_imports(sources)
    layers = layer_of()
    problems = []
    for comp in sorted({component(m) for m in sources} - set(layers)):
        problems.append(f"component {comp!r} has no layer: add it to LAYERS (and docs/architecture.md)")
    for scc in find_cycles(imports):
        edges = [f"{i.where()} imports {i.target}" for i in imports if i.source in scc and i.target in scc]
        problems.append("import cycle among " + ", ".join(scc) + ":\n    " + "\n    ".join(edges))
    for imp in imports:
        src, dst = component(imp.source), component(imp.target)
        if src == dst or src not in layers or dst not in layers:
            pass
        elif layers[dst] > layers[src]:
            problems.append(f"upward import: {imp.where()} imports {imp.target} "
                            f"({src!r}, layer {layers[src]}, may not import {dst!r}, layer {layers[dst]})")
        elif layers[dst] == layers[src]:
            problems.append(f"sibling import: {imp.where()} imports {imp.target} "
                            f"({src!r} and {dst!r} are both in layer {layers[src]} and independent)")
        if src != dst:
            private = [n for n in imp.names if n.startswith("_") and not n.startswith("__")]
            if private:
                problems.append(f"private name imported across components: {imp.where()} imports "
                                f"{', '.join(private)} from {imp.target} (make it public in {dst!r})")
    return problems


# ---------------------------------------------------------------------------------------------------
# the real tree
# ---------------------------------------------------------------------------------------------------
def test_source_tree_keeps_the_layering_contract():
    problems = violations(module_sources())
    assert not problems, "\n" + "\n".join(problems)


def test_checker_reads_the_real_tree():
    """The collector sees the imports it must see (so an empty violation list means something)."""
    imports = collect_imports(module_sources())
    edges = {(i.source, i.target) for i in imports}
    assert ("seqfeed.core._pad", "seqfeed.core._batch") in edges                  # relative, module level
    assert ("seqfeed.cli._train", "seqfeed.keras") in edges                       # inside a function
    assert ("seqfeed.datasets", "seqfeed.sources._bundled") in edges
    assert len(module_sources()) > 60 and len(imports) > 250


def test_docs_show_the_layer_table():
    text = DOC.read_text(encoding="utf-8")
    for i, (name, comps) in enumerate(LAYERS):
        row = f"| {i} | {name} | {', '.join(f'`{c}`' for c in comps)} |"
        assert row in text, f"docs/architecture.md lacks the row {row!r}"
    for group, members in GROUPS.items():
        assert f"`{group}`: " + ", ".join(f"`{m}`" for m in members) in text


# ---------------------------------------------------------------------------------------------------
# the checker detects what it must (synthetic module graphs)
# ---------------------------------------------------------------------------------------------------
def _tree(**modules) -> dict:
    """``name="source"`` pairs; a name ending in ``__init__`` is a package."""
    out = {"seqfeed": ("", True)}
    for name, text in modules.items():
        dotted = name.replace("__", ".")
        is_pkg = dotted.endswith(".init")
        out["seqfeed." + (dotted[:-5] if is_pkg else dotted)] = (text, is_pkg)
    return out


def test_checker_accepts_a_clean_graph():
    tree = _tree(core__init="from ._a import A\n", core___a="import numpy\nA = 1\n",
                 transforms___w="from ..core import A\nfrom ..core._a import A as B\n",
                 keras___m="def f():\n    from ..transforms._w import thing\n")
    assert violations(tree) == []


def test_checker_detects_a_function_level_cycle():
    tree = _tree(core___a="from ._b import x\n",
                 core___b="def f():\n    from seqfeed.core._a import y\n")
    [problem] = violations(tree)
    assert problem.startswith("import cycle among seqfeed.core._a, seqfeed.core._b")
    assert "seqfeed.core._b line 2 (inside a function) imports seqfeed.core._a" in problem


def test_checker_detects_a_cycle_through_a_package_namespace():
    tree = _tree(sources__init="from ._read import read\n", sources___read="from .. import sources\n")
    assert any(p.startswith("import cycle among seqfeed.sources, seqfeed.sources._read")
               for p in violations(tree))


def test_checker_detects_an_upward_import():
    tree = _tree(batching___stream="def to_model(ds):\n    from ..keras._model import SequenceModel\n",
                 keras___model="SequenceModel = None\n")
    assert violations(tree) == [
        "upward import: seqfeed.batching._stream line 2 (inside a function) imports seqfeed.keras._model "
        "('batching', layer 3, may not import 'keras', layer 5)"]


def test_checker_detects_an_import_between_siblings_and_an_unplaced_module():
    tree = _tree(sources___read="from ..transforms import scale\n", transforms__init="scale = 1\n",
                 helpers="x = 1\n")
    problems = violations(tree)
    assert "component 'helpers' has no layer: add it to LAYERS (and docs/architecture.md)" in problems
    assert any(p.startswith("sibling import: seqfeed.sources._read line 1") for p in problems)


@pytest.mark.parametrize("line", [
    "from ..core._sequence_set import _gather_index",
    "from seqfeed.core._sequence_set import SequenceSet, _gather_index",
    "from ..core import _sequence_set",
])
def test_checker_detects_a_private_name_imported_across_components(line):
    tree = _tree(core___sequence_set="SequenceSet = _gather_index = None\n", cli___train=line + "\n")
    problems = violations(tree)
    assert len(problems) == 1 and problems[0].startswith(
        "private name imported across components: seqfeed.cli._train line 1 (module level) imports _")


def test_checker_allows_private_names_inside_a_component():
    tree = _tree(core___copy="from ._sequence_set import _gather_index\n",
                 core___sequence_set="_gather_index = None\n", baselines="from . import _dtw\n",
                 _dtw="x = 1\n")
    assert violations(tree) == []
