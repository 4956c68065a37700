"""Reads of the inbox. A row is shown only while its subject is still visible to its
recipient (RELIABILITY.md 2): a deleted post takes its rows with it (foreign keys), a removed
post or comment, a group the person left or a profile they may no longer open hides them."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Q, QuerySet

from digests.models import InboxItem
from groups.selectors import can_use_site, readable_groups, visible_groups, visible_person_q
from people.models import User
from posts.selectors import Cursor, before_cursor, visible_post_q

Kind = InboxItem.Kind
UNREAD_CAP = 99


def inbox_items(user: User) -> QuerySet[InboxItem]:
    """The rows addressed to `user` that they may still see, newest first, with what a row
    needs to render already joined."""
    if not can_use_site(user):
        return InboxItem.objects.none()
    # About someone else's content: the post must be visible to the reader now and the
    # comment, if any, not removed.
    about_content = (
        Q(post__isnull=False)
        & visible_post_q(user, prefix="post__")
        & (Q(comment__isnull=True) | Q(comment__removed_at__isnull=True))
    )
    # A moderator's notice is about the reader's own removed content: shown while they can
    # still read where it was.
    about_my_removed_content = Q(kind=Kind.MODERATION, post__author=user) & (
        Q(post__group__isnull=True) | Q(post__group__in=readable_groups(user))
    )
    about_a_group = Q(post__isnull=True, group__in=visible_groups(user))
    about_a_person = Q(kind=Kind.FOLLOWER) & visible_person_q(user, prefix="actor_user__")
    return (
        InboxItem.objects.filter(recipient=user, deleted=False)
        .filter(about_content | about_my_removed_content | about_a_group | about_a_person)
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
