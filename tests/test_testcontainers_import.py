"""tests/conftest.py imports testcontainers only when a Docker engine answers; this
imports the same modules here, under the suite's warning filters (`filterwarnings =
error`), so a deprecated import fails on every machine, not only where Docker runs."""

from __future__ import annotations

import ast
import importlib
import sys
import warnings
from pathlib import Path

import pytest

CONFTEST = Path(__file__).resolve().with_name("conftest.py")


def imports_in_conftest() -> list[tuple[str, list[str]]]:
    """(module, names) of every `from testcontainers... import ...` / `import testcontainers...` in conftest.py."""
    found = []
    for node in ast.walk(ast.parse(CONFTEST.read_text(), str(CONFTEST))):
        if isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[0] == "testcontainers":
            found.append((node.module, [alias.name for alias in node.names]))
        elif isinstance(node, ast.Import):
            found += [(alias.name, []) for alias in node.names if alias.name.split(".")[0] == "testcontainers"]
    return found


def test_conftest_imports_testcontainers_without_a_warning():
    imports = imports_in_conftest()
    assert imports, "tests/conftest.py no longer imports testcontainers: drop or change this test"
    with pytest.raises(DeprecationWarning):  # the suite's filters are in force here
        warnings.warn("probe", DeprecationWarning)
    # Import afresh even if something imported testcontainers already (a module warns only once, when first run).
    loaded = {name: module for name, module in sys.modules.items() if name.split(".")[0] == "testcontainers"}
    for name in loaded:
        del sys.modules[name]
    try:
        for module, names in imports:
            imported = importlib.import_module(module)
            for name in names:
                getattr(imported, name)
    finally:
        for name in [name for name in sys.modules if name.split(".")[0] == "testcontainers"]:
            del sys.modules[name]
        sys.modules.update(loaded)
