"""Compiles the translators' catalogs (locale/<language>/LC_MESSAGES/django.po) into the .mo
files Django reads, in pure Python (polib): a fresh machine or the Docker image needs no GNU
gettext to run the site. `make` runs it before `make run` and `make test` (only for a .po
newer than its .mo); the Dockerfile runs it at build time. The .mo files are not committed.

    python tools/compile_messages.py              every catalog under locale/
    python tools/compile_messages.py FILE.po ...  these

Untranslated and fuzzy entries are left out, as GNU msgfmt leaves them out: they read in
English until translated (`make lint` fails on them: tools/check_messages.py)."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import polib

ROOT = Path(__file__).resolve().parent.parent


def compile_catalog(po: Path, mo: Path | None = None) -> Path:
    """Write `po`'s translations to `mo` (next to it by default), replacing the old file in
    one step: a running server never reads half a catalog."""
    mo = mo or po.with_suffix(".mo")
    partial = mo.with_name(mo.name + ".partial")
    polib.pofile(str(po)).save_as_mofile(str(partial))
    os.replace(partial, mo)
    return mo


def catalogs(root: Path = ROOT) -> list[Path]:
    return sorted((root / "locale").glob("*/LC_MESSAGES/django.po"))


def main(argv: list[str]) -> int:
    for po in [Path(arg) for arg in argv] or catalogs():
        print(f"compiled {compile_catalog(po)}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
