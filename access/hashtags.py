"""Who may know a hashtag exists: someone who follows it, or who may see a post carrying it
(`access.posts`). A tag used only in private, secret or removed posts stays unknown to
everyone else: its page is a 404 exactly like a tag nobody used, and no count, suggestion
or search result names it."""

from __future__ import annotations

from typing import Any

from django.db.models import Count, Exists, OuterRef, Q, QuerySet

from access.people import visible_person_q
from access.posts import visible_post_q
from access.viewer import as_viewer
from hashtags.models import Hashtag, HashtagFollow, TaggedPost


def carried_by_visible_post(who: Any) -> Exists:
    """A condition on a hashtag row: a post the viewer may see carries it. Blocked authors
    count here: knowing a tag exists is not seeing the blocked person's post."""
    viewer = as_viewer(who)
    return Exists(
        TaggedPost.objects.filter(
            visible_post_q(viewer, "content_object__", hide_blocked=False), tag=OuterRef("pk")
        )
    )


def followed_by_viewer(who: Any) -> Exists:
    return Exists(
        HashtagFollow.objects.filter(user_id=as_viewer(who).row_id, hashtag=OuterRef("pk"))
    )


def known_hashtags(who: Any) -> QuerySet[Hashtag]:
    """Hashtags the viewer may know exist, each with `is_followed`."""
    viewer = as_viewer(who)
    if not viewer.can_use_site:
        return Hashtag.objects.none()
    return Hashtag.objects.annotate(is_followed=followed_by_viewer(viewer)).filter(
        carried_by_visible_post(viewer) | Q(is_followed=True)
    )


def visible_follower_counts(who: Any, tag_ids: list[int]) -> dict[int, tuple[int, bool]]:
    """For each tag: how many people the viewer may see follow it, and whether the viewer
    does. A guest's count is of the people of their groups: the number of employees
    following a tag is not theirs to know. One query."""
    viewer = as_viewer(who)
    rows = (
        HashtagFollow.objects.filter(hashtag_id__in=tag_ids)
        .filter(visible_person_q(viewer, "user__"))
        .values("hashtag_id")
        .annotate(n=Count("id"), mine=Count("id", filter=Q(user_id=viewer.row_id)))
    )
    return {row["hashtag_id"]: (row["n"], bool(row["mine"])) for row in rows}
