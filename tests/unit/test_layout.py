"""The layout rules of ``src/memmark``, read from the source with ``ast`` so they cannot regress.

1. No module imports a private module of another package (``memmark._optional`` and the
   ``memmark._core`` package itself excepted): a package's private modules are its own.
2. Nothing calls another class's private method.
3. No import runs back up the layers, and a backend imports no other backend.
4. No import cycles between modules.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[2] / "src"

SHARED_PRIVATE = {"memmark._optional", "memmark._core"}
"""Private modules any package may import: the root helpers."""

LAYERS = [
    ["memmark.errors", "memmark._optional", "memmark.message"],
    ["memmark._core"],
    ["memmark.backends"],
    ["memmark.memory", "memmark.store"],
    ["memmark._connect", "memmark"],
    ["memmark._agentscope_import", "memmark.integrations"],
    ["memmark._cli"],
]
"""Lowest first: a module imports only from its own layer or the layers below it."""

FOREIGN_PRIVATE_CALLS = {
    # aiosqlite has no public way to run a callable on its thread (the one-hop SQLite add).
    ("memmark.backends.sql._lifecycle", "driver._execute"),
    # Driver-level reads and writes turn asyncpg's own errors into the DBAPI errors SQLAlchemy
    # raises, with SQLAlchemy's helper; taken only where that helper exists.
    ("memmark.backends.sql._driver", "_asyncpg_adapter()._handle_exception_no_connection"),
}
"""Known calls of a third party's private method, each with its reason."""


@dataclass(frozen=True)
class Import:
    importer: str
    target: str
    line: int
    module_level: bool
    type_checking: bool


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(SRC).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _package_of(module: str, path: Path) -> str:
    return module if path.name == "__init__.py" else module.rpartition(".")[0]


MODULES = {_module_name(path): path for path in sorted(SRC.rglob("*.py"))}


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _imports(module: str, path: Path) -> Iterator[Import]:
    package = _package_of(module, path)

    def visit(node: ast.AST, *, module_level: bool, type_checking: bool) -> Iterator[Import]:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.Import):
                for alias in child.names:
                    if alias.name.split(".")[0] == "memmark":
                        yield Import(module, alias.name, child.lineno, module_level, type_checking)
            elif isinstance(child, ast.ImportFrom):
                base = child.module or ""
                if child.level:
                    anchor = package.split(".")
                    anchor = anchor[: len(anchor) - child.level + 1]
                    base = ".".join([*anchor, *([base] if base else [])])
                if base.split(".")[0] != "memmark":
                    continue
                for alias in child.names:
                    full = f"{base}.{alias.name}"
                    # ``from package import submodule`` imports the submodule itself.
                    target = full if full in MODULES else base
                    yield Import(module, target, child.lineno, module_level, type_checking)
            elif isinstance(child, ast.If) and _is_type_checking(child.test):
                yield from visit(child, module_level=module_level, type_checking=True)
            elif isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
                yield from visit(child, module_level=False, type_checking=type_checking)
            else:
                yield from visit(child, module_level=module_level, type_checking=type_checking)

    yield from visit(ast.parse(path.read_text("utf-8")), module_level=True, type_checking=False)


IMPORTS = [found for module, path in MODULES.items() for found in _imports(module, path)]


def _private_owner(target: str) -> str | None:
    """The package a private module of ``target``'s path belongs to, if it names one."""
    parts = target.split(".")
    for index, part in enumerate(parts):
        if part.startswith("_") and not part.startswith("__"):
            if ".".join(parts[: index + 1]) in SHARED_PRIVATE:
                return None
            return ".".join(parts[:index])
    return None


def _layer(module: str) -> int:
    best, rank = -1, -1
    for index, names in enumerate(LAYERS):
        for name in names:
            if (module == name or module.startswith(name + ".")) and len(name) > best:
                best, rank = len(name), index
    assert rank >= 0, f"{module} is in no layer: add it to LAYERS"
    return rank


def _backend(module: str) -> str | None:
    parts = module.split(".")
    return ".".join(parts[:3]) if parts[:2] == ["memmark", "backends"] and len(parts) > 2 else None


def test_the_scan_sees_the_package() -> None:
    assert "memmark._core._memory_base" in MODULES
    assert any(i.target == "memmark._core" for i in IMPORTS)
    assert any(not i.module_level for i in IMPORTS)


def test_no_module_imports_a_private_module_of_another_package() -> None:
    offenders = []
    for found in IMPORTS:
        owner = _private_owner(found.target)
        if owner is None:
            continue
        package = _package_of(found.importer, MODULES[found.importer])
        if package != owner and not package.startswith(owner + "."):
            offenders.append(f"{found.importer}:{found.line} imports {found.target}")
    assert offenders == []


def test_no_import_runs_back_up_the_layers() -> None:
    offenders = [
        f"{found.importer}:{found.line} imports {found.target}"
        for found in IMPORTS
        if not found.type_checking and _layer(found.target) > _layer(found.importer)
    ]
    assert offenders == []


def test_a_backend_imports_no_other_backend() -> None:
    offenders = [
        f"{found.importer}:{found.line} imports {found.target}"
        for found in IMPORTS
        if _backend(found.importer) and _backend(found.target)
        if _backend(found.importer) != _backend(found.target)
    ]
    assert offenders == []


def test_no_import_cycles() -> None:
    graph: dict[str, set[str]] = {module: set() for module in MODULES}
    for found in IMPORTS:
        if found.module_level and not found.type_checking and found.target != found.importer:
            graph[found.importer].add(found.target)
    # A module's own package __init__ runs first anyway: that edge is no cycle of its own.
    for module, path in MODULES.items():
        package = _package_of(module, path)
        if package != module:
            graph[module].discard(package)

    cycles: list[list[str]] = []
    state: dict[str, int] = {}

    def walk(module: str, trail: list[str]) -> None:
        state[module] = 1
        for target in sorted(graph.get(module, ())):
            if state.get(target) == 1:
                cycles.append([*trail[trail.index(target) :], target])
            elif target not in state:
                walk(target, [*trail, target])
        state[module] = 2

    for module in sorted(graph):
        if module not in state:
            walk(module, [module])
    assert cycles == []


def _private_calls(module: str, path: Path) -> Iterator[str]:
    tree = ast.parse(path.read_text("utf-8"))
    own_methods = {
        item.name
        for node in ast.walk(tree)
        if isinstance(node, ast.ClassDef)
        for item in node.body
        if isinstance(item, (ast.FunctionDef, ast.AsyncFunctionDef))
    }
    for node in ast.walk(tree):
        if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)):
            continue
        name, receiver = node.func.attr, node.func.value
        if not name.startswith("_") or name.startswith("__"):
            continue
        if isinstance(receiver, ast.Name) and receiver.id in ("self", "cls"):
            continue
        if isinstance(receiver, ast.Call) and ast.unparse(receiver.func) == "super":
            continue
        if name in own_methods:  # an instance of this module's own class, e.g. from __new__
            continue
        yield ast.unparse(node.func)


@pytest.mark.parametrize("module", sorted(MODULES))
def test_nothing_calls_another_classes_private_method(module: str) -> None:
    calls = {call for call in _private_calls(module, MODULES[module])}
    allowed = {call for owner, call in FOREIGN_PRIVATE_CALLS if owner == module}
    assert calls - allowed == set()
