"""`make lint` keeps the layers (ARCHITECTURE.md: models -> access -> selectors/services ->
views/tasks/admin -> urls) and forbids import cycles. These tests run the same two checks on
a copy of the code, clean and then with one deliberate bad import, and see them pass and
fail."""

from __future__ import annotations

import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
from django.conf import settings

BASE = Path(settings.BASE_DIR)
# Every package of the project, as pyproject.toml lists them for import-linter.
PACKAGES = tuple(
    tomllib.loads((BASE / "pyproject.toml").read_text())["tool"]["importlinter"]["root_packages"]
)
BIN = Path(sys.executable).parent


@pytest.fixture
def copy(tmp_path: Path) -> Path:
    for name in PACKAGES:
        shutil.copytree(BASE / name, tmp_path / name, ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(BASE / "pyproject.toml", tmp_path / "pyproject.toml")
    shutil.copytree(BASE / "tools", tmp_path / "tools")
    return tmp_path


def run(cwd: Path, *command: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(  # noqa: S603 - our own tools, fixed arguments
        command, cwd=cwd, capture_output=True, text=True, timeout=120, check=False
    )


def lint_imports(cwd: Path) -> subprocess.CompletedProcess[str]:
    return run(cwd, str(BIN / "lint-imports"), "--no-cache")


def find_cycles(cwd: Path) -> subprocess.CompletedProcess[str]:
    return run(cwd, sys.executable, "tools/import_cycles.py")


def add_line(path: Path, line: str) -> None:
    path.write_text(path.read_text() + f"\n\n{line}\n")


def test_the_code_as_it_is_keeps_every_contract_and_has_no_cycle(copy):
    result = lint_imports(copy)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout
    cycles = find_cycles(copy)
    assert cycles.returncode == 0, cycles.stdout
    assert "0 import cycles" in cycles.stdout


def test_the_access_layer_importing_a_selector_breaks_the_layers(copy):
    add_line(copy / "access" / "viewer.py", "from posts import selectors  # noqa")
    result = lint_imports(copy)
    assert result.returncode == 1
    assert "BROKEN" in result.stdout
    assert "access.viewer -> posts.selectors" in result.stdout


def test_a_selector_importing_a_view_breaks_the_layers(copy):
    add_line(copy / "people" / "selectors.py", "from posts import views  # noqa")
    result = lint_imports(copy)
    assert result.returncode == 1
    assert "people.selectors -> posts.views" in result.stdout


def test_a_function_level_import_that_closes_a_cycle_is_found(copy):
    # people.selectors imports access.people; a function-level import back closes a cycle
    # Python would tolerate at runtime.
    add_line(
        copy / "access" / "people.py",
        "def _late():\n    from people import selectors  # noqa\n    return selectors",
    )
    cycles = find_cycles(copy)
    assert cycles.returncode == 1
    assert "import cycle:" in cycles.stdout
    assert "access.people" in cycles.stdout and "people.selectors" in cycles.stdout
