"""Reads for a newcomer's Home: the Get started card and the announcements. Every item comes
through the access layer: a featured group the viewer may not know, a person they may not
see, a post they may not read is simply not offered."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.core.cache import cache
from django.db.models import Case, IntegerField, Q, Value, When
from django.utils import timezone
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext_lazy as _

from access.actions import announce_refusal, banned_group_ids, can_announce
from access.groups import visible_groups
from access.hashtags import known_hashtags
from access.people import employees_q, visible_people
from access.viewer import Viewer, as_viewer
from groups.models import Group
from hashtags.models import Hashtag
from people.models import User
from posts.markup import render
from posts.models import Post
from posts.selectors import load_posts
from welcome.models import Announcement, GetStartedDismissal, WelcomeSettings

# How long an announcement may stay pinned (days, and how the form says it).
DURATION_CHOICES = [
    (1, _("1 day")),
    (3, _("3 days")),
    (7, _("1 week")),
    (14, _("2 weeks")),
]

# The card offers at most this many people from the newcomer's department and location.
PEOPLE_OFFERED = 5


@dataclass
class GetStarted:
    welcome_html: SafeString | str
    groups: list[Group] = field(default_factory=list)
    hashtags: list[Hashtag] = field(default_factory=list)
    people: list[User] = field(default_factory=list)
    follows: int = 0
    enough: int = 0


def follow_count(viewer: Viewer) -> int:
    """People and hashtags followed and groups joined: how settled in someone is."""
    ties = viewer.ties
    return len(ties.following) + len(ties.hashtags) + len(ties.groups)


def get_started(who: Any) -> GetStarted | None:
    """The Get started card for an employee who follows fewer than the site's "enough" and
    has not closed it, or None. Nothing in it is already theirs."""
    viewer = as_viewer(who)
    if not viewer.is_employee:
        return None
    site = WelcomeSettings.current()
    follows = follow_count(viewer)
    if follows >= site.enough_follows:
        return None
    if GetStartedDismissal.objects.filter(user_id=viewer.row_id).exists():
        return None
    ties, user = viewer.ties, viewer.user
    group_ids = set(site.featured_group_ids) - ties.member_groups
    groups = (
        list(
            visible_groups(viewer)
            .filter(pk__in=group_ids, kind=Group.Kind.OPEN, archived_at__isnull=True)
            .exclude(pk__in=banned_group_ids(viewer))
            .order_by("name")
        )
        if group_ids
        else []
    )
    tag_ids = set(site.featured_hashtag_ids) - ties.hashtags
    # Only tags the viewer may know exist (carried by a post they may read): a featured tag
    # of nothing but a secret group's posts is not offered.
    hashtags = (
        list(known_hashtags(viewer).filter(pk__in=tag_ids).order_by("slug")) if tag_ids else []
    )
    near = Q(pk__in=[])
    if user.department_id:
        near |= Q(department_id=user.department_id)
    if user.location_id:
        near |= Q(location_id=user.location_id)
    both = Case(
        When(department_id=user.department_id, location_id=user.location_id, then=Value(0)),
        default=Value(1),
        output_field=IntegerField(),
    )
    people = list(
        visible_people(viewer, hide_blocked=True, listed=True)
        .filter(employees_q(), near)
        .exclude(pk=viewer.row_id)
        .exclude(pk__in=ties.following | ties.muted_people)
        .order_by(both, "-last_seen_at", "first_name", "last_name")[:PEOPLE_OFFERED]
    )
    return GetStarted(
        # The sanitised HTML of the posts' own pipeline.
        welcome_html=mark_safe(render(site.welcome_text).html) if site.welcome_text else "",  # noqa: S308
        groups=groups,
        hashtags=hashtags,
        people=people,
        follows=follows,
        enough=site.enough_follows,
    )


# When announcements are pinned, for every Home: usually none, and then Home asks nothing
# more. Forgotten when one is made, ended, edited or deleted (welcome/apps.py, services); the
# time limit bounds what a process with a cache of its own (no CACHE_USE_REDIS) may miss.
PINNED_KEY = "welcome:pinned:v1"
PINNED_SECONDS = 60


def forget_pinned(**_kwargs: Any) -> None:
    cache.delete(PINNED_KEY)


def _pinned_windows(now) -> list[tuple[Any, Any]]:
    windows = cache.get(PINNED_KEY)
    if windows is None:
        # Everything not ended before the earlier of `now` and the clock's now (a caller may
        # ask about another moment: the windows are filtered on each call).
        windows = list(
            Announcement.objects.filter(ends_at__gt=min(now, timezone.now()))
            .order_by()
            .values_list("starts_at", "ends_at")[:100]
        )
        cache.set(PINNED_KEY, windows, PINNED_SECONDS)
    return windows


def announcements(who: Any, now=None) -> list[tuple[Announcement, Post]]:
    """The announcements pinned now that the viewer may read and has not dismissed, newest
    first, each with its post ready to render."""
    viewer = as_viewer(who)
    if not viewer.can_use_site:
        return []
    now = now or timezone.now()
    if not any(starts <= now < ends for starts, ends in _pinned_windows(now)):
        return []
    pinned = list(
        Announcement.objects.filter(starts_at__lte=now, ends_at__gt=now)
        .exclude(dismissals__user_id=viewer.row_id)
        .order_by("-starts_at", "-id")
    )
    if not pinned:
        return []
    # Few rows: the posts are read by id, through the visibility policy.
    posts = {p.pk: p for p in load_posts(viewer, [a.post_id for a in pinned])}
    return [(a, posts[a.post_id]) for a in pinned if a.post_id in posts]


def announce_panel(who: Any, post: Post, *, days: str | None = None) -> dict[str, Any]:
    """What the post page offers someone who may make announcements: pin this post (with
    why not, if it cannot be), or end its announcement. Empty for everyone else. `days`
    (from the address of a refused pin) is the duration chosen, kept for another try."""
    viewer = as_viewer(who)
    if not can_announce(viewer):
        return {}
    now = timezone.now()
    pinned = Announcement.objects.filter(post=post, starts_at__lte=now, ends_at__gt=now).first()
    return {
        "announce": {
            "refusal": announce_refusal(viewer, post),
            "pinned": pinned,
            "durations": DURATION_CHOICES,
            "chosen": next((d for d, _label in DURATION_CHOICES if str(d) == days), 3),
        }
    }
