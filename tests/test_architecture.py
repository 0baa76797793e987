"""The package's shape: imports point down the layers, no cycles, streamlit only in tco/ui.

Every import of a ``tco`` module is read from the source (top level or inside a function: a lazy
import must not hide a cycle either) and checked against the layer table below. A new module
must be placed in the table, which is the architecture written down.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from tests.conftest import ROOT

PACKAGE = ROOT / "tco"

LAYERS: list[tuple[str, ...]] = [
    # 0: leaves: units, formats, errors, distributions, declarations; metrics is array maths
    ("tco.errors", "tco.units", "tco.format", "tco.distributions", "tco.lines", "tco.version",
     "tco.metrics", "tco.budget", "tco._runtime"),
    # 1: reference data and physics
    ("tco.catalog", "tco.prices", "tco.capacity", "tco.engines", "tco.published", "tco.published_harness",
     "tco.published_latency",
     "tco.ledger", "tco.calendar", "tco.calibration", "tco.fx"),
    # 2: schema: bounded fields, risk kinds, option kinds (their models, resolve and rows), the
    # pydantic models
    ("tco.fields", "tco.limits", "tco.risks", "tco.sections", "tco.options", "tco.decisions",
     "tco.schema"),
    # 3: YAML I/O, and the labels of the schema's fields and of options
    ("tco.yamlio", "tco.glossary", "tco.option_labels"),
    # 4: the load boundary: the parameter table, validate/load
    ("tco.inputs", "tco.load"),
    # 5: draws
    ("tco.draws",),
    # 6: the kernel and its typed inputs
    ("tco.views", "tco.kernel", "tco.releases"),
    # 7: deterministic model and Monte Carlo
    ("tco.chunks", "tco.model", "tco.simulate", "tco.engine"),
    # 8: analysis and words
    ("tco.narrative", "tco.sensitivity", "tco.stress", "tco.report", "tco.story", "tco.compare",
     "tco.gate", "tco.hazards", "tco.backtest", "tco.holdout", "tco.tax", "tco.triggers", "tco.sweep",
     "tco.optimise", "tco.portfolio"),
    # 9: figures
    ("tco.figures",),
    # 10: exports and deck
    ("tco.export", "tco.excel", "tco.images", "tco.slides", "tco.deck", "tco.focus", "tco.optimise.slide",
     "tco.portfolio.slides"),
    # 11: the edges: page and command line
    ("tco.ui", "tco.cli", "tco.__main__"),
]


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def layer_of(module: str) -> int:
    """The layer of a module, by its own name or the package it is part of; the most specific
    entry wins (``tco.optimise.slide`` over ``tco.optimise``)."""
    matches = [(len(name), depth) for depth, names in enumerate(LAYERS) for name in names
               if module == name or module.startswith(name + ".")]
    if matches:
        return max(matches)[1]
    raise AssertionError(f"{module} is in no layer of tests/test_architecture.py: place it")


def imported_tco_modules(path: Path) -> set[str]:
    """Every ``tco`` module a file imports, anywhere in it.

    ``from tco.x import y`` counts as importing ``tco.x`` (its ``__init__`` runs) even when ``y``
    is a submodule: so ``from tco import prices`` imports the package facade, which imports every
    layer, and reads as the cycle it is. Inside the package, import ``tco.prices`` by its name.
    """
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(a.name for a in node.names if a.name.split(".")[0] == "tco")
        elif (isinstance(node, ast.ImportFrom) and node.module and node.level == 0
              and node.module.split(".")[0] == "tco"):
            found.add(node.module)
    return found


def graph() -> dict[str, set[str]]:
    modules = {module_name(p): p for p in PACKAGE.rglob("*.py")}
    # The package facade (tco/__init__.py) is a node too: it re-exports the public API from every
    # layer, so any module that imports it closes a cycle.
    return {name: imported_tco_modules(path) - {name} for name, path in modules.items()}


def test_every_module_has_a_layer() -> None:
    for name in graph():
        if name != "tco":
            layer_of(name)


def test_imports_point_down_the_layers() -> None:
    edges = graph()
    facade = [source for source, targets in edges.items() if source != "tco" and "tco" in targets]
    assert not facade, f"import tco.<module> by name, not through the package: {facade}"
    upward = [f"{source} (layer {layer_of(source)}) imports {target} (layer {layer_of(target)})"
              for source, targets in edges.items() if source != "tco" for target in targets
              if layer_of(target) > layer_of(source)]
    assert not upward, "\n".join(upward)


def find_cycle(edges: dict[str, set[str]]) -> list[str] | None:
    """A cycle in the import graph as a list of modules, or None (depth-first search)."""
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        stack.append(node)
        for target in sorted(edges.get(node, ())):
            if state.get(target) == 1:
                return [*stack[stack.index(target):], target]
            if target not in state and (cycle := visit(target)):
                return cycle
        stack.pop()
        state[node] = 2
        return None

    for node in sorted(edges):
        if node not in state and (cycle := visit(node)):
            return cycle
    return None


def test_no_import_cycles() -> None:
    cycle = find_cycle(graph())
    assert cycle is None, " -> ".join(cycle or [])


def test_the_cycle_finder_finds_a_cycle() -> None:
    """The oracle itself: a three-module cycle is found, a chain is not."""
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": set()}) is None


@pytest.mark.parametrize("path", sorted(PACKAGE.rglob("*.py")), ids=module_name)
def test_streamlit_only_in_the_ui(path: Path) -> None:
    if module_name(path).startswith("tco.ui"):
        return
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names = {a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
    names |= {n.module for n in ast.walk(tree) if isinstance(n, ast.ImportFrom) and n.module}
    assert not any(name.split(".")[0] == "streamlit" for name in names)


def test_no_module_is_over_450_lines() -> None:
    long = {module_name(p): n for p in PACKAGE.rglob("*.py")
            if (n := len(p.read_text(encoding="utf-8").splitlines())) > 450}
    assert not long, long


def test_the_page_is_composition_only() -> None:
    assert len((ROOT / "app.py").read_text(encoding="utf-8").splitlines()) < 250


OPTION_KIND_NAMES = ("api", "hosted_open", "self_hosted")
"""The registry's kinds, written out so that this test does not import the code it checks (a kind
added to the registry but not here is caught by ``test_the_kind_list_is_the_registry``)."""
KIND_HOMES = ("tco.options", "tco.risks")
"""Where an option's kind may be read: its own declaration and the risks' ``applies_to``."""


def kind_probes(source: str) -> list[str]:
    """Places in ``source`` that branch on an option's kind instead of asking its declaration:
    ``isinstance(x, <an option model>)``, a comparison with an option kind's name
    (``kind == "api"``, ``o.kind in ("api", ...)``) and ``getattr(option, "field", ...)`` probing.
    """
    import tco.options as options

    models = {k.model.__name__ for k in options.REGISTRY.values()}
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
            if node.func.id == "isinstance" and len(node.args) == 2:
                names = {n.id for n in ast.walk(node.args[1]) if isinstance(n, ast.Name)}
                names |= {n.attr for n in ast.walk(node.args[1]) if isinstance(n, ast.Attribute)}
                if names & models:
                    found.append(f"line {node.lineno}: isinstance on an option model")
            if node.func.id == "getattr" and node.args:
                target = ast.unparse(node.args[0])
                if "option" in target.lower() or target in ("o", "opt"):
                    found.append(f"line {node.lineno}: getattr({target}, ...) probes an option")
        if isinstance(node, ast.Compare):
            strings = {n.value for n in ast.walk(node) if isinstance(n, ast.Constant)
                       and isinstance(n.value, str)}
            if strings & set(OPTION_KIND_NAMES):
                found.append(f"line {node.lineno}: compares with an option kind's name")
    return found


def test_the_kind_list_is_the_registry() -> None:
    import tco.options as options

    assert tuple(sorted(options.REGISTRY)) == OPTION_KIND_NAMES


def test_the_kind_probe_finds_each_form() -> None:
    """The oracle: each forbidden form is found, and the declaration's way is not."""
    bad = ("isinstance(o, SelfHostedOption)\nif option.kind == 'api': pass\n"
           "x = getattr(option, 'reserved', None)\nif kind in ('self_hosted', 'x'): pass\n")
    assert len(kind_probes(bad)) == 4
    good = "kind = options.of(option)\nif kind.billing == 'fleet': pass\nif spec.kind == 'hbar': pass\n"
    assert kind_probes(good) == []


@pytest.mark.parametrize("path", sorted(PACKAGE.rglob("*.py")), ids=module_name)
def test_no_module_branches_on_an_option_kind(path: Path) -> None:
    """Only an option kind's own module (and the risks' ``applies_to``) reads its kind: the rest
    ask the registry (``tco.options.of(option)``) for the declared hook."""
    if module_name(path).startswith(KIND_HOMES):
        return
    assert kind_probes(path.read_text(encoding="utf-8")) == []


MAX_KERNEL_PARAMETERS = 12


def test_no_kernel_function_takes_more_than_twelve_parameters() -> None:
    """The kernel passes a few typed records (``tco.kernel.records``), never dozens of loose
    arrays: a function that needs more has a record missing."""
    wide = []
    for path in sorted((PACKAGE / "kernel").glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.FunctionDef):
                count = len(node.args.args) + len(node.args.kwonlyargs)
                if count > MAX_KERNEL_PARAMETERS:
                    wide.append(f"{path.name}:{node.name} takes {count}")
    assert not wide, wide
