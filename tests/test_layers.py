"""The import contract: the layers of docs/architecture.md, one way down, and no import cycles.

    drills.cli (the command line), drills.console (the web app)
        →  drills.usecases (play a move, score, record, report: written once)
        →  reports (render only)  →  drills (the domain)  →  real_backend  →  simulator

A module may import its own layer or any layer below it, never one above; the two front
ends never import each other. The command line alone may import click, the console alone
the web stack. Type-only imports count: a layer that needs another's types
takes a protocol from below (simulator/engine/host.py) instead."""

from __future__ import annotations

from collections.abc import Iterator

import grimp
import pytest

PACKAGES = ("drills", "reports", "real_backend", "simulator")
LAYERS = (
    "drills.cli",
    "drills.console",
    "drills.usecases",
    "reports",
    "drills",
    "real_backend",
    "simulator",
)
FRONT_ENDS = 2  # the first two layers sit side by side


@pytest.fixture(scope="module")
def graph():
    return grimp.build_graph(*PACKAGES)


def layer(module: str) -> int:
    if module == "drills.__main__":
        return 0  # `python -m drills` is the command line
    found = next(
        i for i, name in enumerate(LAYERS) if module == name or module.startswith(name + ".")
    )
    return max(found, FRONT_ENDS - 1)  # the front ends share a level


def test_imports_only_go_down_the_layers(graph):
    upward = []
    for module in sorted(graph.modules):
        for imported in graph.find_modules_directly_imported_by(module):
            if layer(imported) < layer(module):
                lines = graph.get_import_details(importer=module, imported=imported)
                upward.append(f"{module} → {imported} (line {lines[0]['line_number']})")
    assert upward == []


def front_end(module: str) -> str | None:
    if module == "drills.__main__":
        return "drills.cli"
    return next((f for f in LAYERS[:FRONT_ENDS] if module.startswith(f + ".")), None)


def test_the_front_ends_do_not_import_each_other(graph):
    crossing = [
        f"{module} → {imported}"
        for module in sorted(graph.modules)
        for imported in graph.find_modules_directly_imported_by(module)
        if front_end(module)
        and front_end(imported)
        and front_end(module) != front_end(imported)
        and not (front_end(module) == "drills.cli" and imported == "drills.console.app")
    ]
    assert crossing == []  # `speechdrill serve` starts the app: the one allowed crossing


@pytest.mark.parametrize(
    "package, owner",
    [("click", "drills.cli"), ("starlette", "drills.console"), ("jinja2", "drills.console")],
)
def test_only_its_front_end_imports_a_ui_library(package, owner):
    graph = grimp.build_graph(*PACKAGES, package, include_external_packages=True)
    users = {
        m for m in graph.find_modules_that_directly_import(package) if m.split(".")[0] in PACKAGES
    }
    assert {m for m in users if front_end(m) != owner} == set()


def cycles(graph) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found = []

    def imports(module: str) -> Iterator[str]:
        return iter(sorted(graph.find_modules_directly_imported_by(module)))

    for root in sorted(graph.modules):
        if root in index:
            continue
        work = [(root, imports(root))]
        index[root] = low[root] = len(index)
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = len(index)
                    stack.append(child)
                    on_stack.add(child)
                    work.append(
                        (child, iter(sorted(graph.find_modules_directly_imported_by(child))))
                    )
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1:
                    found.append(sorted(component))
    return found


def test_there_are_no_import_cycles(graph):
    assert cycles(graph) == []


def test_the_cycle_finder_finds_cycles():
    toy = grimp.ImportGraph()
    for importer, imported in (("a", "b"), ("b", "c"), ("c", "a"), ("c", "d"), ("d", "e")):
        toy.add_import(importer=importer, imported=imported)
    assert cycles(toy) == [["a", "b", "c"]]


def test_docs_layout_names_every_folder_by_job():
    """docs/layout.md's table is checked against the code: every package folder of the
    simulator and the drills is in it, and every folder it names exists."""
    import re
    from pathlib import Path

    root = Path(__file__).parents[1]
    table = (root / "docs" / "layout.md").read_text().split("## Speed notes")[0]
    named = {m.rstrip("/") for m in re.findall(r"^\| `([\w/]+)/?`", table, re.M)}
    named |= {m.rstrip("/") for m in re.findall(r"`(\w+/\w+)/`", table)}
    folders = {
        str(p.parent.relative_to(root))
        for top in ("simulator", "drills")
        for p in (root / top).glob("*/__init__.py")
    }
    assert folders - named == set()
    assert all((root / n).exists() or (root / f"{n}.py").exists() for n in named)
