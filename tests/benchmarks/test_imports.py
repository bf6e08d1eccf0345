"""Benchmarks run rarely, so an API they import can move without a test noticing (the
prior benchmark's round trip imported a module renamed months before). Every
``from dgan_blender... import name`` in them, function-level ones included, must resolve."""

import ast
import importlib
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[2] / "benchmarks"


def _imports():
    for f in sorted(BENCH.glob("*.py")):
        for node in ast.walk(ast.parse(f.read_text())):
            if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("dgan_blender"):
                yield f.name, node.module, [a.name for a in node.names]


@pytest.mark.parametrize("script,module,names", list(_imports()))
def test_benchmark_imports_resolve(script, module, names):
    mod = importlib.import_module(module)
    for name in names:
        if not hasattr(mod, name):
            importlib.import_module(f"{module}.{name}")  # a submodule imported by name
