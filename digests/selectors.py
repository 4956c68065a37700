"""Reads of the inbox: only rows whose subject the recipient may still see (`access.inbox`)."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import QuerySet

from access.inbox import visible_inbox_q
from digests.models import InboxItem
from people.models import User
from posts.selectors import Cursor, before_cursor

Kind = InboxItem.Kind
UNREAD_CAP = 99


def inbox_items(user: User) -> QuerySet[InboxItem]:
    """The rows addressed to `user` that they may still see (`access.inbox`), newest first,
    with what a row needs to render already joined."""
    return (
        InboxItem.objects.filter(visible_inbox_q(user))
        .select_related("actor_user", "post", "comment", "group")
        .order_by("-timestamp", "-id")
    )


def unread_count(user: User) -> int:
    """Unread rows the user may see, counted up to 100 (the badge shows 99+): one indexed
    query, cheap enough for every page."""
    return inbox_items(user).filter(unread=True).order_by()[: UNREAD_CAP + 1].count()


@dataclass
class InboxPage:
    items: list[InboxItem]
    next_cursor: str | None


def inbox_page(user: User, *, cursor: Cursor | None = None, limit: int = 30) -> InboxPage:
    rows = list(
        inbox_items(user).filter(before_cursor(cursor, time_field="timestamp"))[: limit + 1]
    )
    next_cursor = None
    if len(rows) > limit:
        rows = rows[:limit]
        next_cursor = Cursor(rows[-1].timestamp, rows[-1].pk).encode()
    return InboxPage(rows, next_cursor)


def visible_item(user: User, pk: int) -> InboxItem | None:
    return inbox_items(user).filter(pk=pk).first()
