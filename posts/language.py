"""The language a post is written in, guessed offline from its words.

Only the site's languages (settings.LANGUAGES) are candidates, and a guess is kept only when
it is clear: a short or mixed text ("ok!", "#sales_onboarding 👍", "Top, dank je!") stays
unknown (""), which the feed filter never hides. Code, links, @mentions and #hashtags are
not words of a language and are left out first.

The detector (lingua, high-accuracy mode) takes about 0.4 s and ~140 MB to build, so it is
built once per process, on first use; one detection then takes well under a millisecond
(bench/language.py prints both).
"""

from __future__ import annotations

import html
import re
import threading
from typing import TYPE_CHECKING

from django.conf import settings
from django.utils.html import strip_tags

if TYPE_CHECKING:
    from lingua import LanguageDetector

# The edit form's "detect it for me" choice (posts.services.edit_post).
DETECT = "auto"

# Fewer words than this, or fewer letters, say too little to tell en/nl/de apart ("Danke!",
# "Nice work team"); the detector is not even asked.
MIN_WORDS = 3
MIN_LETTERS = 12
# Lingua's own margin between the best and the next language (log-probabilities), and the
# share of the confidence the best language must have. Measured on short en/nl/de posts
# (bench/language.py): clear sentences score 0.7-1.0; greetings, one-word thanks and
# mixed lines score 0.4-0.65.
MIN_RELATIVE_DISTANCE = 0.1
MIN_CONFIDENCE = 0.7
# The start of a long post says its language as well as the whole, at a bounded cost.
MAX_CHARACTERS = 2000

# What is not prose: code, and links, mentions and hashtags the renderer made.
_NOT_PROSE_HTML = re.compile(
    r"<pre\b.*?</pre>|<code\b.*?</code>|<a\b[^>]*class=\"(?:hashtag|mention)\"[^>]*>.*?</a>",
    re.IGNORECASE | re.DOTALL,
)
_BLOCK_END = re.compile(r"</(?:p|li|h[1-6]|blockquote|td|th)>|<br\s*/?>", re.IGNORECASE)
# In the plain text: addresses, and @names or #tags the renderer did not link.
_NOT_PROSE_TEXT = re.compile(r"\b(?:https?://|www\.)\S+|\S+@\S+\.\w+|[@#][\w.+-]*\w")
_WORD = re.compile(r"[^\W\d_]{2,}")

_detector: LanguageDetector | None = None
_detector_lock = threading.Lock()


def _site_languages() -> dict[str, object]:
    from lingua import IsoCode639_1, Language

    return {
        code: Language.from_iso_code_639_1(IsoCode639_1.from_str(code))
        for code, _name in settings.LANGUAGES
    }


def detector() -> LanguageDetector:
    """The process's one detector for the site's languages, built on first use."""
    global _detector
    if _detector is None:
        with _detector_lock:
            if _detector is None:
                from lingua import LanguageDetectorBuilder

                _detector = (
                    LanguageDetectorBuilder.from_languages(*_site_languages().values())
                    .with_minimum_relative_distance(MIN_RELATIVE_DISTANCE)
                    .with_preloaded_language_models()
                    .build()
                )
    return _detector


def prose(body_html: str) -> str:
    """The words of a rendered post a reader reads as language: without code, links'
    addresses, @mentions and #hashtags (a link's own text stays)."""
    text = _BLOCK_END.sub(" ", _NOT_PROSE_HTML.sub(" ", body_html))
    text = html.unescape(strip_tags(text))
    return " ".join(_NOT_PROSE_TEXT.sub(" ", text).split())


def detect_language(body_html: str) -> str:
    """The code (from settings.LANGUAGES) of the language the rendered post is written in,
    or "" when its words are too few or too mixed to tell."""
    text = prose(body_html)[:MAX_CHARACTERS]
    words = _WORD.findall(text)
    if len(words) < MIN_WORDS or sum(len(w) for w in words) < MIN_LETTERS:
        return ""
    found = detector().detect_language_of(text)
    if found is None or detector().compute_language_confidence(text, found) < MIN_CONFIDENCE:
        return ""
    code = found.iso_code_639_1.name.lower()
    return code if code in dict(settings.LANGUAGES) else ""
