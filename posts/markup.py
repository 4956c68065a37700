"""Post and comment text: markdown in, safe HTML out, with hashtags and @mentions found.

Rendering and finding happen in one pass over the markdown tree, so what is linked is
exactly what is recorded: nothing inside code spans, code blocks or link targets. The
result is always sanitised by nh3 with an allow-list; links keep only http(s) and mailto
schemes and get rel="nofollow noopener".
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from xml.etree import ElementTree

import markdown
import nh3
from django.urls import reverse
from markdown.blockprocessors import HashHeaderProcessor
from markdown.inlinepatterns import InlineProcessor
from markdown.treeprocessors import Treeprocessor

from esn.text import strip_spoofing_characters
from hashtags.parsing import can_precede_tag, normalise_hashtag, scan_tag

ALLOWED_TAGS = {
    "p", "br", "h1", "strong", "em", "del", "code", "pre", "blockquote", "ul", "ol", "li", "a",
    "h2", "h3", "h4", "hr",
}  # fmt: skip
MENTION_RE = r"(?<![\w@/.+-])@([\w.+-]*\w)"
URL_RE = r"\bhttps?://[^\s<>\"'`]+[^\s<>\"'`.,:;!?)\]}]"


@dataclass
class Markup:
    html: str
    hashtags: list[str] = field(default_factory=list)  # spellings as typed, first one per key
    mentions: list[str] = field(default_factory=list)  # usernames as typed, in order
    # Markdown images (`![alt](src)`), as "alt (src)": the allow-list has no <img>, since posts
    # show uploaded images only; the author is told these were left out.
    images: list[str] = field(default_factory=list)


class _StrictHashHeader(HashHeaderProcessor):
    # Python-Markdown turns "#standing_desk rocks" into a heading; a heading needs a space.
    RE = re.compile(r"(?:^|\n)(?P<level>#{1,6})[ \t]+(?P<header>(?:\\.|[^\\])*?)#*(?:\n|$)")


class _HashtagProcessor(InlineProcessor):
    def __init__(self, found: list[str], link: Callable[[str], bool]):
        super().__init__(r"#", None)
        self.found = found
        self.link = link

    def handleMatch(self, m, data):  # noqa: N802 (Python-Markdown API)
        start = m.start(0)
        if start > 0 and not can_precede_tag(data[start - 1]):
            return None, None, None
        name = scan_tag(data, start + 1)
        if not name:
            return None, None, None
        self.found.append(name)
        if not self.link(name):
            return None, None, None
        el = ElementTree.Element("a")
        el.set("href", reverse("hashtags:detail", args=[normalise_hashtag(name)]))
        el.set("class", "hashtag")
        el.text = f"#{name}"
        return el, start, start + 1 + len(name)


class _MentionProcessor(InlineProcessor):
    def __init__(self, found: list[str], resolve: Callable[[str], str | None]):
        super().__init__(MENTION_RE, None)
        self.found = found
        self.resolve = resolve

    def handleMatch(self, m, data):  # noqa: N802
        username = m.group(1)
        self.found.append(username)
        url = self.resolve(username)
        if url is None:
            return None, None, None
        el = ElementTree.Element("a")
        el.set("href", url)
        el.set("class", "mention")
        el.text = f"@{username}"
        return el, m.start(0), m.end(0)


class _UrlProcessor(InlineProcessor):
    def handleMatch(self, m, data):  # noqa: N802
        el = ElementTree.Element("a")
        el.set("href", m.group(0))
        el.text = m.group(0)
        return el, m.start(0), m.end(0)


class _NoNestedLinks(Treeprocessor):
    """`[see #tag](https://...)` would nest a tag link inside a link: keep the outer one."""

    def run(self, root):
        for outer in root.iter("a"):
            for inner in list(outer.iter("a")):
                if inner is outer:
                    continue
                inner.tag = "span"
                inner.attrib.clear()
        return None


class _ImageFinder(Treeprocessor):
    def __init__(self, md, found: list[str]):
        super().__init__(md)
        self.found = found

    def run(self, root):
        for img in root.iter("img"):
            alt, src = img.get("alt", "").strip(), img.get("src", "")
            self.found.append(f"{alt} ({src})" if alt else src)
        return None


def render(
    text: str,
    *,
    resolve_mention: Callable[[str], str | None] | None = None,
    link_hashtag: Callable[[str], bool] | None = None,
) -> Markup:
    """Render markdown to sanitised HTML, collecting hashtags and mentions.

    `resolve_mention(username)` returns the profile URL of an existing person, or None to
    leave the text unlinked. `link_hashtag(name)` (default: always) says whether a tag gets a
    link (a profile's bio links only tags with a page the reader may open).
    """
    hashtags: list[str] = []
    mentions: list[str] = []
    images: list[str] = []
    md = markdown.Markdown(extensions=["sane_lists", "nl2br", "fenced_code"])
    md.parser.blockprocessors.register(_StrictHashHeader(md.parser), "hashheader", 70)
    # Below Python-Markdown's raw "html" pattern (90): text inside a typed HTML tag's
    # attributes is neither a URL, a hashtag nor a mention.
    md.inlinePatterns.register(_UrlProcessor(URL_RE, md), "bare_url", 89)
    md.inlinePatterns.register(
        _HashtagProcessor(hashtags, link_hashtag or (lambda _: True)), "hashtag", 88
    )
    md.inlinePatterns.register(
        _MentionProcessor(mentions, resolve_mention or (lambda _: None)), "mention", 87
    )
    md.treeprocessors.register(_NoNestedLinks(md), "no_nested_links", 0)
    md.treeprocessors.register(_ImageFinder(md, images), "image_finder", 1)
    html = md.convert(strip_spoofing_characters(text))
    clean = nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes={"a": {"href", "title"}},
        allowed_classes={"a": {"hashtag", "mention"}},
        url_schemes={"http", "https", "mailto"},
        link_rel="nofollow noopener",
    )
    seen: set[str] = set()
    unique_tags = []
    for name in hashtags:
        key = normalise_hashtag(name)
        if key not in seen:
            seen.add(key)
            unique_tags.append(name)
    return Markup(
        html=clean,
        hashtags=unique_tags,
        mentions=list(dict.fromkeys(mentions)),
        images=list(dict.fromkeys(images)),
    )
