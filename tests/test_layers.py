"""Layers import only downward, so the tree reads as the pipeline:

collectors → analysis/core → analysis/nlp → analysis/stats → analysis/reports → dashboard
"""

import ast
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
ORDER = ["collectors", "analysis.core", "analysis.nlp", "analysis.stats", "analysis.reports", "dashboard"]


def _layer(module: str) -> str | None:
    """The layer a dotted module name belongs to (the longest matching prefix)."""
    hits = [layer for layer in ORDER if module == layer or module.startswith(layer + ".")]
    return max(hits, key=len) if hits else None


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
    return names


def _module_files(layer: str) -> list[Path]:
    return sorted((REPO / layer.replace(".", "/")).rglob("*.py"))


@pytest.mark.parametrize("layer", ORDER)
def test_no_upward_imports(layer):
    rank = ORDER.index(layer)
    offenders = {}
    for path in _module_files(layer):
        if layer == "analysis" or _layer(".".join(path.relative_to(REPO).with_suffix("").parts)) != layer:
            continue
        above = sorted(m for m in _imports(path) if (other := _layer(m)) and ORDER.index(other) > rank)
        if above:
            offenders[str(path.relative_to(REPO))] = above
    assert not offenders


def test_every_analysis_module_sits_in_a_stage():
    loose = [p.name for p in (REPO / "analysis").glob("*.py") if p.name != "__init__.py"]
    assert not loose, f"analysis/ modules outside a stage package: {loose}"


def test_the_check_sees_an_upward_import(tmp_path):
    """The rule itself: a stats module importing reports is caught."""
    bad = tmp_path / "bad.py"
    bad.write_text("from analysis.reports.export import export\nimport analysis.stats.timeseries\n")
    found = {m for m in _imports(bad) if ORDER.index(_layer(m)) > ORDER.index("analysis.stats")}
    assert "analysis.reports.export" in found and "analysis.stats.timeseries" not in found
