"""Times as people read them: "just now", "8 min ago", "8 h ago", "yesterday", then a date;
the exact moment on hover, in the reader's time zone (esn.middleware.TimeZoneMiddleware)."""

from __future__ import annotations

from datetime import date, datetime
from functools import lru_cache

from django import template
from django.utils import formats, timezone
from django.utils.translation import get_language, ngettext, pgettext
from django.utils.translation import gettext as _

register = template.Library()


def exact(value: datetime) -> str:
    local = timezone.localtime(value) if timezone.is_aware(value) else value
    return _exact(local.replace(second=0, microsecond=0, tzinfo=None), get_language())


@lru_cache(maxsize=8192)
def _exact(minute: datetime, language: str | None) -> str:
    """Formatting a date is the dearest part of a post card, and the same posts' minutes come
    back on every reader's Home. The key is the wall-clock minute in the reader's time zone
    (the format shows no zone) and the language the format and names are in."""
    del language  # the key only: formats and names come from the active language
    return formats.date_format(minute, pgettext("exact time, PHP date format", "D j M Y, H:i"))


@register.filter
def exact_time(value: datetime | None) -> str:
    """The moment, to the minute, in the reader's time zone: "Mon 30 Nov 2026, 14:05"."""
    return exact(value) if value else ""


@register.filter
def short_date(value: datetime | None) -> str:
    """The day, short and as the reader writes it, in their time zone: "3 Dec 2026",
    "3. Dez. 2026"."""
    if not value:
        return ""
    local = timezone.localtime(value) if timezone.is_aware(value) else value
    return _short_date(local.date(), get_language())


@lru_cache(maxsize=4096)
def _short_date(day: date, language: str | None) -> str:
    """A search page writes some 20-40 of these (35 µs each): once per day and language."""
    del language  # the key only, as in _exact
    return formats.date_format(day, pgettext("date, PHP date format", "j M Y"))


@register.filter
def iso_day(value: str | None) -> str:
    """A day kept as "2026-12-14" (in stored event data), as the reader writes it:
    "14 December 2026"."""
    try:
        day = date.fromisoformat(value or "")
    except ValueError:
        return value or ""
    return formats.date_format(day, pgettext("a day, PHP date format", "j F Y"))


@register.filter
def ago(value: datetime | None, now: datetime | None = None) -> str:
    if not value:
        return ""
    now = now or timezone.now()
    seconds = (now - value).total_seconds()
    if seconds < 60:
        return _("just now")
    minutes = int(seconds // 60)
    if minutes < 60:
        return ngettext("%(n)d min ago", "%(n)d min ago", minutes) % {"n": minutes}
    hours = minutes // 60
    if hours < 24:
        return ngettext("%(n)d h ago", "%(n)d h ago", hours) % {"n": hours}
    local, today = timezone.localtime(value), timezone.localtime(now).date()
    days = (today - local.date()).days
    if days <= 1:
        return _("yesterday")
    if days < 7:
        return ngettext("%(n)d day ago", "%(n)d days ago", days) % {"n": days}
    if local.year == today.year:
        return formats.date_format(local, pgettext("day and month, PHP date format", "j M"))
    return formats.date_format(local, pgettext("date, PHP date format", "j M Y"))
