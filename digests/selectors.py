"""Reads of the inbox: only rows whose subject the recipient may still see (`access.inbox`)."""

from __future__ import annotations

from dataclasses import dataclass

from django.core.cache import cache
from django.db.models import QuerySet

from access.inbox import visible_inbox_q
from access.people import visible_person_ids
from access.viewer import as_viewer
from digests.models import InboxItem
from esn import generations
from groups.models import Invitation
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


# The badge is on every page; counting it is one query through the whole inbox policy (about
# 3 ms of SQL and 2 of Python at bench/feed.py's size). It is kept per person until a write
# to their rows or to what rows are about (esn.apps) moves a generation in its key on, and
# for a minute at most, in case a write escaped those signals (a bulk update elsewhere).
BADGE_SECONDS = 60


def unread_count(user: User) -> int:
    """Unread rows the user may see, counted up to 100 (the badge shows 99+)."""
    key = _badge_key(user)
    if key is not None:
        cached = cache.get(key)
        if cached is not None:
            return cached
    count = inbox_items(user).filter(unread=True).order_by()[: UNREAD_CAP + 1].count()
    if key is not None:
        # The key was made before counting: a row written meanwhile has moved a generation
        # on, so this count is stored where nobody will read it.
        cache.set(key, count, BADGE_SECONDS)
    return count


def _badge_key(user: User) -> str | None:
    viewer = as_viewer(user)
    if viewer.pk is None:
        return None
    mine = generations.inbox_of(viewer.pk)
    numbers = generations.current_many([mine, generations.VISIBLE])
    return (
        f"inbox:badge:{viewer.pk}:{numbers[mine]}:{numbers[generations.VISIBLE]}:"
        f"{viewer.standing.value}"
    )


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
    attach_invitations(user, rows)
    attach_followers(user, rows)
    return InboxPage(rows, next_cursor)


def attach_followers(user: User, rows: list[InboxItem]) -> None:
    """Each day's new-followers row gets `.followers`: those of its followers the reader may
    see now, newest first (the row was written with who they could see then; a follower who
    left or blocked them since is no longer named or counted). One query per page."""
    wanted = {
        pk
        for row in rows
        if row.kind == InboxItem.Kind.FOLLOWER
        for pk in (row.data or {}).get("ids", [])
    }
    if not wanted:
        return
    people = {p.pk: p for p in User.objects.filter(pk__in=wanted, is_active=True)}
    seen = visible_person_ids(user, list(people.values()), hide_blocked=True)
    for row in rows:
        ids = (row.data or {}).get("ids") if row.kind == InboxItem.Kind.FOLLOWER else None
        if ids:
            row.followers = [people[pk] for pk in ids if pk in seen]


def attach_invitations(user: User, rows: list[InboxItem]) -> None:
    """Each invitation row gets `.invitation`: the pending invitation it is about, so the row
    offers Join and No thanks in place; None once answered or withdrawn. One query, only
    when the page has invitation rows."""
    asked = {row.group_id for row in rows if row.kind == InboxItem.Kind.INVITATION}
    pending = {}
    if asked:
        pending = {
            inv.group_id: inv
            for inv in Invitation.objects.filter(
                invitee=user, group_id__in=asked, status=Invitation.Status.PENDING
            )
        }
    for row in rows:
        if row.kind == InboxItem.Kind.INVITATION:
            row.invitation = pending.get(row.group_id)


def visible_item(user: User, pk: int) -> InboxItem | None:
    return inbox_items(user).filter(pk=pk).first()
