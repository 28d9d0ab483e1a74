"""The layout rules of docs/architecture.md, checked on the source: one module opens GSD
files, no import cycles, no library function longer than 100 lines, one installed package."""

from __future__ import annotations

import ast
import re
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
PACKAGE = REPO / "mesocrystal"
MAX_FUNCTION_LINES = 100


def _modules() -> dict[str, Path]:
    modules = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        name = ".".join(path.relative_to(REPO).with_suffix("").parts)
        modules[name.removesuffix(".__init__")] = path
    return modules


def _imports(name: str, path: Path, modules: dict[str, Path]) -> set[str]:
    """Modules of the package that ``name`` imports (at any level, outside TYPE_CHECKING)."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    tree = ast.parse(path.read_text())
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            node.body = []
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parent = package
                for _ in range(node.level - 1):
                    parent = parent.rpartition(".")[0]
                base = f"{parent}.{base}" if base else parent
            children = [f"{base}.{alias.name}" for alias in node.names]
            submodules = [c for c in children if c in modules]
            found.update(submodules if len(submodules) == len(children) else [base, *submodules])
    return {m for m in found if m in modules and m != name}


def test_gsd_files_are_opened_in_one_module():
    opens = re.compile(r"gsd\.(hoomd|fl)\.open\(|gsd\.hoomd\.read_log\(")
    users = sorted(
        str(path.relative_to(REPO))
        for path in [*PACKAGE.rglob("*.py"), REPO / "project.py", REPO / "dashboard.py"]
        if opens.search(path.read_text())
    )
    assert users == ["mesocrystal/schema.py"]


def test_no_import_cycles():
    modules = _modules()
    graph = {name: _imports(name, path, modules) for name, path in modules.items()}
    state: dict[str, int] = {}  # 1: on the current path, 2: done

    def visit(name: str, path: list[str]) -> None:
        state[name] = 1
        for other in sorted(graph[name]):
            if state.get(other) == 1:
                cycle = path[path.index(other) :] + [name, other]
                raise AssertionError("import cycle: " + " -> ".join(cycle))
            if other not in state:
                visit(other, path + [name])
        state[name] = 2

    for name in sorted(graph):
        if name not in state:
            visit(name, [])


def test_no_library_function_is_longer_than_100_lines():
    long = [
        f"{path.relative_to(REPO)}:{node.lineno} {node.name} ({node.end_lineno - node.lineno + 1})"
        for path in PACKAGE.rglob("*.py")
        for node in ast.walk(ast.parse(path.read_text()))
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
        and node.end_lineno - node.lineno + 1 > MAX_FUNCTION_LINES
    ]
    assert long == []


def test_only_the_mesocrystal_namespace_is_installed():
    text = (REPO / "pyproject.toml").read_text()
    assert re.search(r'^include = \["mesocrystal\*"\]$', text, re.MULTILINE)
    # the folder beside project.py only runs the command line; it is no package
    assert sorted(p.name for p in (REPO / "analysis").glob("*.py")) == ["__main__.py"]
