"""Search building blocks shared by the apps that search (posts, people, groups, hashtags).

Language: one `simple` configuration for every post, with accents folded by `unaccent`.
The network is multilingual (English, Dutch, German side by side, often in one thread), and
a post says nothing reliable about its language: a per-language stemmer picked wrongly makes
a post unfindable, while `simple` never does. What it gives up is stemming (a search for
"meeting" does not find "meetings"); the last word of a query matches as a prefix, which
recovers most of that. `unaccent` makes "Muller" find "Müller" and "cafe" find "café".
"""

from __future__ import annotations

import re
import unicodedata

from django.contrib.postgres.search import SearchQuery
from django.db.models import Expression, Func, Q, TextField, Value
from django.db.models.functions import Concat, Lower

from esn.text import strip_spoofing_characters

SEARCH_CONFIG = "simple"


class Unaccent(Func):
    """`esn_unaccent(expr)`: the text with accents folded. unaccent() itself is only STABLE,
    which generated columns and indexes refuse; posts migration 0003 creates this IMMUTABLE
    wrapper, naming the extension's dictionary explicitly."""

    function = "esn_unaccent"
    output_field = TextField()


def folded(*parts) -> Unaccent:
    """The fields (names or expressions), space-separated, lowercased and accents folded, as
    one SQL expression: what `word_start` patterns are matched against."""
    if len(parts) == 1:
        return Unaccent(Lower(parts[0]))
    spaced = [piece for part in parts for piece in (part, Value(" "))][:-1]
    return Unaccent(Lower(Concat(*spaced, output_field=TextField())))


class _Fragment(Expression):
    """A piece of SQL with its parameters, as one expression. A search builds its patterns
    and its tsquery anew for every request: as Django's Concat, Replace and Func nodes they
    were some 300 expression copies and compilations a search page (several ms of CPU); as
    one fragment each, none. The SQL is the same."""

    output_field = TextField()

    def __init__(self, sql: str, params: list[str]) -> None:
        super().__init__()
        self.sql, self.params = sql, params

    def resolve_expression(self, *args, **kwargs):
        return self  # nothing in it refers to a column or a query

    def as_sql(self, compiler, connection):
        return self.sql, list(self.params)


# Every character a PostgreSQL regular expression reads as syntax.
_REGEX_SYNTAX = r"([.^$*+?()[\]{}|\\])"


# Where a word of a name starts: its beginning, or after a space, dot, apostrophe, hyphen or
# underscore ("marie" finds Anne-Marie, "jansen" finds ana.jansen). Stored names have these
# turned into spaces (`name_words`), so the people picker asks two LIKE prefixes a trigram
# index answers (people migration 0008) instead of a regular expression over every person.
NAME_SEPARATORS = ".'-_"
NAME_BOUNDARY = r"(^|[ .'_-])"


class _Spaced(Func):
    """The text with every name separator turned into a space."""

    function = "translate"
    output_field = TextField()

    def __init__(self, expression):
        super().__init__(expression, Value(NAME_SEPARATORS), Value(" " * len(NAME_SEPARATORS)))


def name_words(*parts) -> Func:
    """`folded` with name separators as spaces: what `name_word_start` is matched against."""
    return _Spaced(folded(*parts))


def name_word_start(field: str, word: str) -> Q:
    """`field` (a `name_words` column) has a word starting with `word`, folded by PostgreSQL
    the same way. Two LIKE prefixes: PostgreSQL escapes the word's own % and _."""
    typed = _Spaced(Unaccent(Lower(Value(word, output_field=TextField()))))
    return Q(**{f"{field}__startswith": typed}) | Q(
        **{f"{field}__contains": Concat(Value(" "), typed, output_field=TextField())}
    )


def name_starts_with(field: str, word: str) -> Q:
    """`field` (a `name_words` column) starts with `word`: the first name, for people."""
    return Q(**{f"{field}__startswith": _Spaced(Unaccent(Lower(Value(word))))})


def word_start(word: str, *, boundary: str = r"\m") -> _Fragment:
    r"""A PostgreSQL regular expression, as an SQL expression, matching `folded` text in which
    a word starts with `word` (`\\m`: the start of a word; hashtags pass `(^|_)`). The word is
    folded by PostgreSQL, then escaped: folding can turn a letter into regex syntax (⑴ into
    "(1)"), so it must not be read as a pattern."""
    return _Fragment(
        "(%s || regexp_replace(esn_unaccent(lower(%s)), %s, %s, %s))",
        [boundary, word, _REGEX_SYNTAX, r"\\\1", "g"],
    )


# A query is reduced to its words: operators, quotes and punctuation can never reach
# to_tsquery's syntax, so no input is an error.
_WORD = re.compile(r"\w+", re.UNICODE)
MAX_QUERY_WORDS = 12
# Longer "words" are pasted junk; PostgreSQL ignores words over 2047 characters anyway.
MAX_WORD_LENGTH = 100


def query_words(text: str) -> list[str]:
    """The words of a search box input, at most MAX_QUERY_WORDS of them, lowercased.
    Invisible spoofing characters (zero-width space, bidi overrides) are dropped first, so
    "sa\u200bles" is the word "sales", as it reads."""
    text = strip_spoofing_characters(text or "")
    words = [w.lower() for w in _WORD.findall(text) if w.strip("_") and len(w) <= MAX_WORD_LENGTH]
    return words[:MAX_QUERY_WORDS]


def fold(text: str) -> str:
    """Python's approximation of `esn_unaccent(lower(text))`, for highlighting matched words
    in text already found by PostgreSQL: accents dropped (é -> e, ß -> ss), case folded."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


# `word`, accents folded by PostgreSQL, as a quoted tsquery lexeme. Quoted after folding:
# unaccent turns some letters into tsquery syntax (ʼ into ', ː into :, ⑴ into (1)), which
# unquoted would be a syntax error.
_LEXEME = "%s || replace(replace(esn_unaccent(%s), %s, %s), %s, %s) || %s"


def _lexeme_params(word: str) -> list[str]:
    return ["'", word, "\\", "\\\\", "'", "''", "'"]


def prefix_query(words: list[str]) -> SearchQuery | None:
    """Every word must match; the last one also as a prefix ("stand" finds "standing").
    None when there are no words to search for. No input makes it a syntax error."""
    if not words:
        return None
    sql = " || %s || ".join([_LEXEME] * len(words)) + " || %s"
    params: list[str] = []
    for word in words[:-1]:
        params += [*_lexeme_params(word), " & "]
    params += [*_lexeme_params(words[-1]), ":*"]
    return SearchQuery(_Fragment(f"({sql})", params), config=SEARCH_CONFIG, search_type="raw")
