"""Layers import only downward: dashboard → analysis → collectors (never backwards)."""

import ast
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
FORBIDDEN = {"collectors": {"analysis", "dashboard"}, "analysis": {"dashboard"}}


def _imported_packages(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
    return names


@pytest.mark.parametrize("layer", sorted(FORBIDDEN))
def test_no_upward_imports(layer):
    offenders = {str(p.relative_to(REPO)): sorted(_imported_packages(p) & FORBIDDEN[layer])
                 for p in (REPO / layer).rglob("*.py")}
    assert not {k: v for k, v in offenders.items() if v}
