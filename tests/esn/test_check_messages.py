"""`make lint`'s translation check (tools/check_messages.py) and the pure-Python compiler
(tools/compile_messages.py), run on temporary catalogs: the real ones are never touched."""

from __future__ import annotations

import gettext
import shutil
from pathlib import Path

import polib
import pytest

from tools.check_messages import check, incomplete
from tools.compile_messages import compile_catalog

ROOT = Path(__file__).resolve().parent.parent.parent

CATALOG = r"""msgid ""
msgstr ""
"Content-Type: text/plain; charset=UTF-8\n"
"Language: nl\n"
"Plural-Forms: nplurals=2; plural=(n != 1);\n"

msgid "Save"
msgstr "Opslaan"

msgid "Cancel"
msgstr ""

#, fuzzy
msgid "Sign in"
msgstr "Inloggen"

#, python-format
msgid "Hello %(name)s,"
msgstr "Hallo %(naam)s,"

#, python-format
msgid "%(n)d new post today"
msgid_plural "%(n)d new posts today"
msgstr[0] "één nieuw bericht vandaag"
msgstr[1] ""

#, python-format
msgid "%(n)d like"
msgid_plural "%(n)d likes"
msgstr[0] "één like"
msgstr[1] "%(n)d likes"

#~ msgid "Gone"
#~ msgstr "Weg"
"""


def write_catalog(tmp_path: Path, text: str = CATALOG) -> Path:
    po = tmp_path / "nl" / "LC_MESSAGES" / "django.po"
    po.parent.mkdir(parents=True)
    po.write_text(text, encoding="utf-8")
    return po


def section(lines: list[str], title: str) -> list[str]:
    """The entries listed under a heading such as "  fuzzy (...) (2):"."""
    start = next(i for i, line in enumerate(lines) if line.strip().startswith(title))
    found = []
    for line in lines[start + 1 :]:
        if not line.startswith("    "):
            break
        found.append(line.strip())
    return found


def test_an_incomplete_catalog_lists_untranslated_fuzzy_obsolete_and_wrong_placeholders(
    tmp_path,
):
    lines = incomplete(write_catalog(tmp_path))

    assert section(lines, "untranslated") == ["'Cancel'", "'%(n)d new post today'"]
    assert section(lines, "fuzzy") == ["'Sign in'"]
    assert section(lines, "obsolete") == ["'Gone'"]
    # A singular may say "one" in words; a translation may not invent a placeholder.
    assert section(lines, "placeholders") == ["'Hello %(name)s,'"]


def test_a_complete_catalog_passes(tmp_path):
    po = write_catalog(
        tmp_path,
        CATALOG.split('msgid "Cancel"')[0]
        + '#, python-format\nmsgid "%(n)d like"\nmsgid_plural "%(n)d likes"\n'
        'msgstr[0] "één like"\nmsgstr[1] "%(n)d likes"\n',
    )
    assert incomplete(po) == []


def test_the_compiled_catalog_reads_in_gettext_without_its_fuzzy_entries(tmp_path):
    mo = compile_catalog(write_catalog(tmp_path))

    with mo.open("rb") as f:
        catalog = gettext.GNUTranslations(f)
    assert catalog.gettext("Save") == "Opslaan"
    assert catalog.gettext("Sign in") == "Sign in"  # fuzzy: left out, reads in English
    assert catalog.ngettext("%(n)d like", "%(n)d likes", 3) == "%(n)d likes"
    assert catalog.ngettext("%(n)d like", "%(n)d likes", 1) == "één like"
    assert not list(tmp_path.rglob("*.partial"))


@pytest.mark.skipif(
    shutil.which("xgettext") is None, reason="makemessages needs GNU gettext (Debian: gettext)"
)
def test_the_check_finds_a_message_missing_from_a_catalog_and_a_fuzzy_entry(tmp_path):
    locale = tmp_path / "locale"
    shutil.copytree(ROOT / "locale", locale, ignore=shutil.ignore_patterns("*.mo"))
    dutch = polib.pofile(str(locale / "nl" / "LC_MESSAGES" / "django.po"))
    dutch.remove(dutch.find("Forgot your password?"))
    dutch.save()
    german = polib.pofile(str(locale / "de" / "LC_MESSAGES" / "django.po"))
    german.find("Sign in").flags.append("fuzzy")
    german.save()
    real = {p: p.read_bytes() for p in (ROOT / "locale").rglob("django.po")}

    problems = check(locale)

    nl_at = problems.index(f"{locale / 'nl' / 'LC_MESSAGES' / 'django.po'}:")
    de_at = problems.index(f"{locale / 'de' / 'LC_MESSAGES' / 'django.po'}:")
    dutch_lines, german_lines = problems[nl_at:], problems[de_at:nl_at]
    assert "'Forgot your password?'" in section(dutch_lines, "marked in the code but missing")
    assert "'Sign in'" in section(german_lines, "fuzzy")
    # The committed catalogs are read, never written.
    assert {p: p.read_bytes() for p in (ROOT / "locale").rglob("django.po")} == real
