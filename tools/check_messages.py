"""Fails when the translation catalogs are out of step with the code, or incomplete. Run by
`make lint`:

    python tools/check_messages.py                 the catalogs under locale/
    python tools/check_messages.py --locale DIR    the catalogs under DIR (DIR/nl/LC_MESSAGES/...)

1. Up to date: Django's makemessages (GNU gettext's xgettext and msgmerge, Debian's `gettext`
   package) runs on a temporary copy of the project and its catalogs, never on the real files,
   and the messages it finds must be exactly those the catalogs hold: a string marked in a
   template or in Python but missing from a catalog fails, and so does an entry nothing uses
   any more (makemessages --no-obsolete would drop it).
2. Complete: no entry untranslated (every plural form too), none fuzzy, no obsolete (#~)
   entries left over, and every %(name)s placeholder of a translation is one of its message's
   (a translation may not invent one; outside plurals it may not drop one either).

The catalogs' header (POT-Creation-Date and the rest) and the order of entries are not compared.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess  # noqa: S404 - runs our own manage.py
import sys
import tempfile
from pathlib import Path

import polib

ROOT = Path(__file__).resolve().parent.parent

MAKEMESSAGES_OPTIONS = [
    "--no-obsolete",
    "--add-location=never",
    "--ignore=.venv",
    "--ignore=var",
    "--ignore=tests",
    "--ignore=bench",
    "--ignore=tools",
]
# Not copied into the temporary project: nothing in them is extracted.
SKIPPED = {
    ".git",
    ".venv",
    ".mypy_cache",
    ".ruff_cache",
    ".pytest_cache",
    ".import_linter_cache",
    "__pycache__",
    "var",
    "tests",
    "bench",
    "tools",
    "test-results",
    "staticfiles",
    "node_modules",
}
# Enough settings for manage.py to start; nothing connects to a database.
SETTINGS_ENV = {
    "DEBUG": "1",
    "SECRET_KEY": "check-messages",
    "DATABASE_URL": "postgres://check-messages@127.0.0.1/check-messages",
}
SHOWN = 20
PLACEHOLDER = re.compile(r"%\((\w+)\)[#0 +-]*\d*(?:\.\d+)?[diouxXeEfFgGcrsa]")

Key = tuple[str, str, str]


def key(entry: polib.POEntry) -> Key:
    return (entry.msgctxt or "", entry.msgid, entry.msgid_plural or "")


def languages_in(locale: Path) -> list[str]:
    return sorted(p.parent.parent.name for p in locale.glob("*/LC_MESSAGES/django.po"))


def extracted_catalogs(locale: Path, languages: list[str], project: Path = ROOT) -> Path:
    """Copies of `locale`'s catalogs updated by makemessages from the project's code: the
    temporary locale directory holding them (the caller removes its parent)."""
    work = Path(tempfile.mkdtemp(prefix="esn-messages-"))
    copy = work / "project"
    shutil.copytree(
        project,
        copy,
        ignore=lambda _dir, names: [
            n for n in names if n in SKIPPED or n.endswith((".mo", ".pyc")) or n == "locale"
        ],
    )
    shutil.copytree(locale, copy / "locale", ignore=shutil.ignore_patterns("*.mo"))
    env = {**os.environ}
    for name, value in SETTINGS_ENV.items():
        env.setdefault(name, value)
    command = [sys.executable, "manage.py", "makemessages", *MAKEMESSAGES_OPTIONS]
    for language in languages:
        command += ["-l", language]
    done = subprocess.run(command, cwd=copy, env=env, capture_output=True, text=True, check=False)  # noqa: S603
    if done.returncode != 0:
        raise RuntimeError(
            "makemessages failed (is GNU gettext installed? Debian: apt-get install gettext):\n"
            + done.stdout
            + done.stderr
        )
    return copy / "locale"


def _listed(title: str, items: list[str]) -> list[str]:
    lines = [f"  {title} ({len(items)}):"]
    lines += [f"    {item!r}" for item in items[:SHOWN]]
    if len(items) > SHOWN:
        lines.append(f"    ... and {len(items) - SHOWN} more")
    return lines


def differences(committed: Path, extracted: Path) -> list[str]:
    """What makemessages would change in the committed catalog, as lines to print."""
    ours = {key(e) for e in polib.pofile(str(committed)) if not e.obsolete}
    found = {key(e) for e in polib.pofile(str(extracted)) if not e.obsolete}
    lines = []
    missing = sorted(k[1] for k in found - ours)
    unused = sorted(k[1] for k in ours - found)
    if missing:
        lines += _listed("marked in the code but missing from the catalog", missing)
    if unused:
        lines += _listed("in the catalog but no longer marked anywhere", unused)
    return lines


def _placeholders(text: str) -> set[str]:
    return set(PLACEHOLDER.findall(text))


def incomplete(catalog: Path) -> list[str]:
    """Untranslated, fuzzy and obsolete entries, and translations with wrong placeholders."""
    po = polib.pofile(str(catalog))
    untranslated, fuzzy, obsolete, placeholders = [], [], [], []
    for entry in po:
        if entry.obsolete:
            obsolete.append(entry.msgid)
            continue
        if "fuzzy" in entry.flags:
            fuzzy.append(entry.msgid)
            continue
        if entry.msgid_plural:
            forms = [entry.msgstr_plural[i] for i in sorted(entry.msgstr_plural)]
            if not forms or not all(forms):
                untranslated.append(entry.msgid)
                continue
            allowed = _placeholders(entry.msgid) | _placeholders(entry.msgid_plural)
            if any(_placeholders(form) - allowed for form in forms):
                placeholders.append(entry.msgid)
        elif not entry.msgstr:
            untranslated.append(entry.msgid)
        elif _placeholders(entry.msgstr) != _placeholders(entry.msgid):
            placeholders.append(entry.msgid)
    lines = []
    if untranslated:
        lines += _listed("untranslated", untranslated)
    if fuzzy:
        lines += _listed("fuzzy (check the translation, then remove the fuzzy flag)", fuzzy)
    if obsolete:
        lines += _listed("obsolete (#~) entries: remove them", obsolete)
    if placeholders:
        lines += _listed("placeholders differing from the message's (keep %(name)s)", placeholders)
    return lines


def check(locale: Path, project: Path = ROOT, expected: list[str] | None = None) -> list[str]:
    """Every problem found, as lines to print; empty when the catalogs are in order.
    `expected`: languages that must have a catalog (those of settings.LANGUAGES but English)."""
    languages = languages_in(locale)
    problems = [
        f"{locale / code / 'LC_MESSAGES' / 'django.po'}: no catalog for a language the site offers"
        for code in expected or []
        if code not in languages
    ]
    if not languages:
        return problems
    extracted = extracted_catalogs(locale, languages, project)
    try:
        for language in languages:
            committed = locale / language / "LC_MESSAGES" / "django.po"
            found = differences(committed, extracted / language / "LC_MESSAGES" / "django.po")
            found += incomplete(committed)
            if found:
                problems += [f"{committed}:", *found]
    finally:
        shutil.rmtree(extracted.parent.parent, ignore_errors=True)
    return problems


def site_languages() -> list[str]:
    """The site's languages but its source language (English)."""
    for name, value in SETTINGS_ENV.items():
        os.environ.setdefault(name, value)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "esn.settings")
    sys.path.insert(0, str(ROOT))
    from django.conf import settings

    return [code for code, _name in settings.LANGUAGES if code != "en"]


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--locale", type=Path, default=ROOT / "locale")
    args = parser.parse_args(argv)
    problems = check(args.locale.resolve(), expected=site_languages())
    if problems:
        print("\n".join(problems))
        print(
            "\nThe translation catalogs are not in step with the code (README: Languages). "
            "Update them with: .venv/bin/python manage.py makemessages "
            + " ".join(f"-l {code}" for code in languages_in(args.locale))
            + " "
            + " ".join(MAKEMESSAGES_OPTIONS)
            + ", then translate what is new."
        )
        return 1
    print(f"translation catalogs complete and up to date: {', '.join(languages_in(args.locale))}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
