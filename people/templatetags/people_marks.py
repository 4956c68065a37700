"""How a person is shown beside their name: their avatar (photo, else initials) and the mark of
an external guest. One markup for every page: the templates `people/_avatar.html` and
`people/_guest_badge.html`, and the post card (posts/templatetags/post_cards.py), which builds
it in Python on every feed."""

from __future__ import annotations

from functools import cache
from typing import Any

from django import template
from django.utils.html import format_html
from django.utils.safestring import SafeString
from django.utils.translation import get_language
from django.utils.translation import gettext as _

register = template.Library()


@register.simple_tag
def avatar(person: Any, size: str = "") -> SafeString:
    size = size or "md"
    if person.avatar:
        return format_html(
            '<img class="avatar avatar-{}" src="{}" alt="" width="40" height="40">',
            size,
            person.avatar_url,
        )
    return format_html(
        '<span class="avatar avatar-{} avatar-initials" aria-hidden="true">{}</span>',
        size,
        person.initials,
    )


@cache
def _guest_mark(language: str | None) -> SafeString:
    """In `language` (the key: the active one is used); translations do not change while a
    process runs."""
    del language
    return format_html(
        ' <span class="badge badge-guest" title="{}">{}</span>',
        _("External guest: sees only the groups they were invited to"),
        _("Guest"),
    )


@register.simple_tag
def guest_badge(person: Any) -> SafeString | str:
    return _guest_mark(get_language()) if person.is_guest else ""
