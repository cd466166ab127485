"""The layout rule: layers only point down, and no module imports itself back.

cli.py (the root group) may import anything; commands/ (the core click groups),
seed/ and console/ import only hms/ and themselves; hms/, the core library, imports
only itself and no click or web code. Imports inside functions count too.
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("hms", "commands", "seed", "console")
# Which top-level parts of the project each part may import.
ALLOWED = {
    "cli": {"cli", *PACKAGES},
    "commands": {"commands", "hms"},
    "seed": {"seed", "hms"},
    "console": {"console", "hms"},
    "hms": {"hms"},
}
# Outside libraries the core library must not use: the command line and the web are edges.
FORBIDDEN_IN_CORE = {"click", "flask", "flask_login", "flask_wtf", "wtforms"}


def project_modules() -> dict[str, Path]:
    """{dotted module name: file} for cli.py and every module of the four packages."""
    modules = {"cli": ROOT / "cli.py"}
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            parts = list(path.relative_to(ROOT).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts.pop()
            modules[".".join(parts)] = path
    return modules


def imports_of(name: str, path: Path, modules: dict[str, Path]) -> set[str]:
    """The project modules and outside top-level packages `name` imports, anywhere in the file."""
    is_package = path.name == "__init__.py"
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = name.split(".") if is_package else name.split(".")[:-1]
                base = base[: len(base) - (node.level - 1)]
                module = ".".join(base + ([node.module] if node.module else []))
            else:
                module = node.module or ""
            # `from pkg import sub` names a submodule: that is what is imported, not pkg's own code.
            subs = [f"{module}.{alias.name}" for alias in node.names if f"{module}.{alias.name}" in modules]
            targets = subs + ([module] if len(subs) < len(node.names) else [])
        else:
            continue
        for target in targets:
            while target and target not in modules and "." in target:
                target = target.rsplit(".", 1)[0]
            found.add(target)
    found.discard(name)
    return found


def graph() -> dict[str, set[str]]:
    modules = project_modules()
    return {name: imports_of(name, path, modules) for name, path in modules.items()}


def part(module: str) -> str:
    return module.split(".", 1)[0]


def test_layers_only_point_down():
    modules = project_modules()
    upward = [f"{name} imports {target}"
              for name, targets in graph().items() for target in sorted(targets)
              if target in modules and part(target) not in ALLOWED[part(name)]]
    assert upward == []


def test_the_core_library_has_no_click_or_web_code():
    used = [f"{name} imports {target}" for name, targets in graph().items() if part(name) == "hms"
            for target in sorted(targets) if part(target) in FORBIDDEN_IN_CORE]
    assert used == []


def test_no_import_cycles():
    known = set(project_modules())
    edges = {name: targets & known for name, targets in graph().items()}
    cycles: list[list[str]] = []
    state: dict[str, int] = {}   # 1 = on the current path, 2 = done
    path: list[str] = []

    def visit(node: str) -> None:
        state[node] = 1
        path.append(node)
        for nxt in sorted(edges[node]):
            if state.get(nxt) == 1:
                cycles.append(path[path.index(nxt):] + [nxt])
            elif nxt not in state:
                visit(nxt)
        path.pop()
        state[node] = 2

    for node in sorted(edges):
        if node not in state:
            visit(node)
    assert [" -> ".join(cycle) for cycle in cycles] == []


def test_the_checker_sees_an_upward_import_and_a_cycle(tmp_path):
    """The rules above can fail: a planted upward import and a planted cycle are both reported."""
    for package in PACKAGES:
        (tmp_path / package).mkdir()
        (tmp_path / package / "__init__.py").write_text("")
    (tmp_path / "cli.py").write_text("")
    (tmp_path / "hms" / "a.py").write_text("from seed import run\nfrom . import b\n")
    (tmp_path / "hms" / "b.py").write_text("def f():\n    from .a import x\n")
    (tmp_path / "seed" / "run.py").write_text("")
    globals()["ROOT"] = tmp_path
    try:
        edges = graph()
        assert "seed.run" in edges["hms.a"] and "hms.b" in edges["hms.a"] and "hms.a" in edges["hms.b"]
        for check in (test_layers_only_point_down, test_no_import_cycles):
            try:
                check()
            except AssertionError:
                continue
            raise AssertionError(f"{check.__name__} did not fail on a planted violation")
    finally:
        globals()["ROOT"] = Path(__file__).resolve().parent.parent
