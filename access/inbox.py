"""Which of the rows addressed to a person they may still see (RELIABILITY.md 2): a row is
shown only while its subject is visible to its recipient now. A deleted post takes its rows
with it (foreign keys); a removed post or comment, a group the person left, or a profile
they may no longer open hides them."""

from __future__ import annotations

from typing import Any

from django.db.models import Q

from access.groups import known_group_q, managed_group_q, readable_group_q
from access.people import visible_person_q
from access.posts import visible_post_q
from access.terms import not_removed
from access.viewer import as_viewer
from digests.models import InboxItem

Kind = InboxItem.Kind


def visible_inbox_q(who: Any) -> Q:
    """A condition on inbox rows: addressed to the viewer and about something they may see.
    A row addressed to someone shows the whole conversation: blocks do not hide it (a block
    stops new rows from being made instead)."""
    viewer = as_viewer(who)
    if not viewer.can_use_site:
        return Q(pk__in=[])
    # About someone else's content: the post visible now, the comment (if any) not removed.
    about_content = (
        Q(post__isnull=False)
        & visible_post_q(viewer, "post__", hide_blocked=False)
        & (Q(comment__isnull=True) | not_removed().q(viewer, "comment__"))
    )
    # A moderator's notice is about the reader's own removed content: shown while they can
    # still read where it was.
    about_my_removed_content = Q(kind=Kind.MODERATION, post__author_id=viewer.pk) & (
        Q(post__group__isnull=True) | readable_group_q(viewer, "post__group__")
    )
    special = [
        Kind.JOIN_REQUESTS,
        Kind.REPORTS,
        Kind.REPORT_OUTCOME,
        Kind.MEMBERSHIP_ENDED,
        Kind.SPONSOR_LEFT,
        Kind.GROUP_UNMANAGED,
    ]
    about_a_group = (
        Q(post__isnull=True, group__isnull=False)
        & ~Q(kind__in=special)
        & known_group_q(viewer, "group__")
    )
    about_a_person = Q(kind=Kind.FOLLOWER) & visible_person_q(viewer, "actor_user__")
    # What the viewer's role makes theirs: requests and reports of a group they still
    # manage; the site's report queue for site admins.
    managing = Q(
        kind__in=[Kind.JOIN_REQUESTS, Kind.REPORTS, Kind.SPONSOR_LEFT], group__isnull=False
    ) & (managed_group_q(viewer, "group__") or Q(pk__isnull=False))
    # A guest whose sponsor managed alone is the site admins' to settle.
    site_queue = (
        Q(kind=Kind.REPORTS, group__isnull=True)
        | Q(kind=Kind.GROUP_UNMANAGED)
        | Q(kind=Kind.SPONSOR_LEFT)
        if viewer.is_admin
        else Q(pk__in=[])
    )
    # About their own act or their own membership: the group is named, whatever its kind
    # (they were in it, or they reported something there).
    my_report = Q(kind=Kind.REPORT_OUTCOME)
    my_membership = Q(kind=Kind.MEMBERSHIP_ENDED)
    # A guest told their own sponsor left.
    my_sponsor = Q(kind=Kind.SPONSOR_LEFT, data__yours=True)
    return Q(recipient_id=viewer.pk, deleted=False) & (
        about_content
        | about_my_removed_content
        | about_a_group
        | about_a_person
        | managing
        | site_queue
        | my_report
        | my_membership
        | my_sponsor
    )
