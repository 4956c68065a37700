"""What counts as a hashtag, and when two spellings are the same tag.

A hashtag is `#` followed by letters, combining marks, digits, `_` and the joiners ZWJ/ZWNJ
(needed inside words in several scripts), containing at least one letter, not preceded by
a word character, `/`, `&` or `#` (so `page#anchor`, `/#/route`, `&#39;` and `##` are not
tags). Trailing `_` and joiners are not part of it. Code spans, code blocks and link targets
never yield tags: `posts.markup` finds tags while rendering markdown, outside those.
"""

from __future__ import annotations

import unicodedata

from esn.text import strip_spoofing_characters

ZWNJ, ZWJ = "\u200c", "\u200d"


def is_tag_character(char: str) -> bool:
    if char in "_" + ZWNJ + ZWJ:
        return True
    return unicodedata.category(char)[0] in "LMN"


def can_precede_tag(char: str) -> bool:
    """True if a `#` after this character may start a tag."""
    return not (is_tag_character(char) or char in "/&#@")


def scan_tag(text: str, start: int) -> str:
    """The tag name starting at text[start] (just after `#`), or '' if there is none."""
    end = start
    while end < len(text) and is_tag_character(text[end]):
        end += 1
    name = text[start:end].rstrip("_" + ZWNJ + ZWJ)
    if not any(unicodedata.category(c).startswith("L") for c in name):
        return ""
    return name


def normalise_hashtag(name: str) -> str:
    """The key under which spellings of one tag meet: `Sales_Onboarding` -> `sales_onboarding`."""
    cleaned = strip_spoofing_characters(name).lstrip("#")
    return unicodedata.normalize("NFC", cleaned).casefold()
