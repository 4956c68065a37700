"""Text as people should see it: without the invisible characters that only serve to spoof
(zero-width spaces, bidirectional overrides), and "empty" meaning nothing visible."""

from __future__ import annotations

import unicodedata

# Zero-width space, word joiner, BOM/ZWNBSP, and the bidirectional embedding/override/isolate
# controls ("Trojan source" characters). ZWJ and ZWNJ are not here: scripts need them inside
# words (and emoji sequences).
_SPOOFING = dict.fromkeys(
    [0x200B, 0x2060, 0xFEFF, *range(0x202A, 0x202F), *range(0x2066, 0x206A)], None
)


def strip_spoofing_characters(text: str) -> str:
    return text.translate(_SPOOFING)


def clean_name(text: str) -> str:
    """A display name or a group name: no spoofing characters, no surrounding space."""
    return strip_spoofing_characters(text or "").strip()


def has_visible_text(text: str) -> bool:
    """Something a reader would see: a character that is not a space, a control or an
    invisible format character (a post of only zero-width characters is empty)."""
    return any(unicodedata.category(c) not in ("Zs", "Zl", "Zp", "Cc", "Cf") for c in text)
