"""What to follow or join, each with its reason: people, hashtags and open groups (the home
page's side cards, `discovery.views`). Composition across apps, so it sits above them all.
Every candidate passes the access layer: nothing the viewer may not know of is suggested,
and nobody blocked either way or muted."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import timedelta
from itertools import zip_longest
from typing import Any

from django.core.cache import cache
from django.db.models import Count, F, Min, Q, Value
from django.db.models.functions import Concat
from django.utils import timezone
from django.utils.translation import get_language, ngettext
from django.utils.translation import gettext as _

from access.actions import banned_group_ids
from access.groups import visible_groups
from access.hashtags import carried_by_visible_post
from access.people import (
    blocked_either_way_q,
    employees_q,
    listed_person_q,
    may_be_suggested,
    visible_people,
)
from access.posts import visible_posts
from access.viewer import Ties, Viewer, as_viewer
from esn import generations
from groups.models import Group, Membership
from hashtags.models import Hashtag, HashtagFollow
from hashtags.selectors import trending_hashtags
from people.models import Follow, User


@dataclass
class Suggestion:
    """Something to follow or join, and in a few words why."""

    item: Any
    reason: str


def colleagues_q(ties: Ties, field: str = "user_id") -> Q:
    """`field` is a colleague: someone followed, or a member of one of the viewer's groups."""
    return Q(**{f"{field}__in": ties.following}) | Q(
        **{
            f"{field}__in": Membership.objects.filter(group_id__in=ties.member_groups).values(
                "user_id"
            )
        }
    )


def suggested_people(user: User | Viewer, *, limit: int = 5) -> list[Suggestion]:
    """People `user` might follow, each with the reason: employees active lately in another
    department or location with whom `user` shares no group (bridges across the company come
    first), then people followed by several people `user` follows. Never `user`, nobody
    already followed, blocked either way or muted, never a guest for an employee, only people
    `user` may see; a guest is offered the members of their own groups. At most four
    queries; the follow counts come off the (follower, followee) index alone, so someone who
    follows a thousand people costs a few milliseconds more, not a join per follow."""
    viewer = as_viewer(user)
    ties = viewer.ties
    if not viewer.can_use_site:
        return []
    skip = (ties.following | ties.blocked | ties.muted_people) | {viewer.pk}
    friend_rows: dict[int, dict] = {}
    bridge_ids: list[int] = []
    if viewer.is_guest:
        rows = (
            Membership.objects.filter(group_id__in=ties.member_groups, user__is_active=True)
            .filter(listed_person_q("user__"))
            .exclude(user_id__in=skip)
            .values("user_id")
            .annotate(group=Min("group__name"))
            .order_by("user_id")[:limit]
        )
        reasons = {
            row["user_id"]: _("a member of %(group)s, like you") % {"group": row["group"]}
            for row in rows
        }
    else:
        # Service accounts (the site admin's login) are no colleagues to suggest.
        employees = employees_q() & listed_person_q()
        # 1. Bridges: authors of recent posts the user may see (the newest 300, so the cost
        #    does not grow with the company), in another department or location, sharing no
        #    group with the user.
        recent = (
            visible_posts(viewer)
            .filter(created_at__gte=timezone.now() - timedelta(days=30))
            .order_by("-created_at", "-id")
            .values("id")[:300]
        )
        same_place = Q(department_id=viewer.user.department_id, location_id=viewer.user.location_id)
        bridges = (
            User.objects.filter(employees, posts__in=recent)
            .exclude(pk__in=skip)
            .exclude(same_place)
            .exclude(
                pk__in=Membership.objects.filter(group_id__in=ties.member_groups).values("user_id")
            )
            .exclude(blocked_either_way_q(viewer))
            .annotate(n=Count("posts"))
            .order_by("-n", "pk")
            .values_list("pk", flat=True)[:limit]
        )
        # 2. Followed by people the user follows: counted off the follow index alone (the
        #    names of one follower each are read with the people, below).
        friends = list(
            Follow.objects.filter(follower_id__in=ties.following, follower__is_active=True)
            .filter(listed_person_q("followee__"))
            .exclude(followee_id__in=skip)
            .exclude(blocked_either_way_q(viewer, "followee_id"))
            .values("followee_id")
            .annotate(n=Count("id"), first=Min("follower_id"))
            .order_by("-n", "followee_id")[: limit * 2]
        )
        # Bridges first (worded once the person's department is known), then friends of
        # friends, taking turns.
        bridge_ids = list(bridges)
        friend_rows = {row["followee_id"]: row for row in friends}
        friend_ids = [pk for pk in friend_rows if pk not in bridge_ids]
        order = [pk for pair in zip_longest(bridge_ids, friend_ids) for pk in pair if pk]
        reasons = dict.fromkeys(order, "")
        if len(reasons) < limit:
            # 3. Someone new follows nobody and nobody posted lately: people of their own
            #    department, or whoever used the site last, so the list is never empty.
            nearby = (
                User.objects.filter(employees)
                .exclude(pk__in=skip | set(reasons))
                .exclude(blocked_either_way_q(viewer))
                .order_by(F("last_seen_at").desc(nulls_last=True), "pk")
            )
            if viewer.user.department_id:
                nearby = nearby.filter(department_id=viewer.user.department_id)
                why = _("in your department")
            else:
                why = _("recently active")
            for pk in nearby.values_list("pk", flat=True)[: limit - len(reasons)]:
                reasons[pk] = why
    # One query for the people suggested and for the one follower named in each reason.
    wanted = set(reasons) | {row["first"] for row in friend_rows.values()}
    people = visible_people(viewer).in_bulk(wanted)
    result = []
    for pk, reason in reasons.items():
        person = people.get(pk)
        if person is None or not may_be_suggested(viewer, person):
            continue
        if pk in friend_rows and pk not in bridge_ids:
            row = friend_rows[pk]
            others, namer = row["n"] - 1, people.get(row["first"])
            name = namer.display_name if namer else _("someone")
            reason = (
                ngettext(
                    "followed by %(name)s and %(n)d other you follow",
                    "followed by %(name)s and %(n)d others you follow",
                    others,
                )
                % {"name": name, "n": others}
                if others
                else _("followed by %(name)s, whom you follow") % {"name": name}
            )
        elif not reason:
            where = ", ".join(str(x) for x in (person.department, person.location) if x)
            reason = (
                _("in %(where)s: you share no group yet") % {"where": where}
                if where
                else _("you share no group yet")
            )
        result.append(Suggestion(person, reason))
    return result[:limit]


def suggested_hashtags(
    user: User | Viewer,
    *,
    trending: list[Hashtag] | None = None,
    limit: int = 4,
) -> list[Suggestion]:
    """Hashtags `user` might follow, with the reason: the ones most followed by their
    colleagues (people they follow or share a group with), then this week's trending ones.
    Never one they follow or muted, never one they may not know exists (a post they may see
    must carry it: a tag used only in a secret group stays unknown). Nothing for guests: they
    see their groups, not the company's topics. Three queries (two with `trending` given)."""
    viewer = as_viewer(user)
    ties = viewer.ties
    if not viewer.is_employee:
        return []
    skip = ties.hashtags | ties.muted_tags
    # Counted first off the follow rows alone, then only the leading few are checked against
    # the policy (an EXISTS per follow row costs ~200 ms for someone following 900 people).
    rows = list(
        HashtagFollow.objects.filter(colleagues_q(ties))
        .exclude(user_id=viewer.row_id)
        .exclude(user_id__in=ties.blocked)
        .exclude(hashtag_id__in=skip)
        .values("hashtag_id")
        .annotate(
            n=Count("user_id", distinct=True),
            by_followed=Count("user_id", distinct=True, filter=Q(user_id__in=ties.following)),
        )
        .order_by("-by_followed", "-n", "hashtag_id")[: limit * 3]
    )
    known = {
        tag.pk: tag
        for tag in Hashtag.objects.filter(pk__in=[row["hashtag_id"] for row in rows]).filter(
            carried_by_visible_post(viewer)
        )
    }
    rows = [row for row in rows if row["hashtag_id"] in known][:limit]
    result = []
    for row in rows:
        tag = known[row["hashtag_id"]]
        if row["by_followed"]:
            reason = ngettext(
                "followed by %(n)d person you follow",
                "followed by %(n)d people you follow",
                row["by_followed"],
            ) % {"n": row["by_followed"]}
        else:
            reason = ngettext(
                "followed by %(n)d person in your groups",
                "followed by %(n)d people in your groups",
                row["n"],
            ) % {"n": row["n"]}
        result.append(Suggestion(tag, reason))
    if len(result) < limit:
        taken = skip | {s.item.pk for s in result}
        for tag in trending if trending is not None else trending_hashtags(viewer.user):
            if len(result) >= limit:
                break
            if tag.pk not in taken:
                reason = ngettext(
                    "trending: %(n)d person wrote about it this week",
                    "trending: %(n)d people wrote about it this week",
                    tag.authors,
                ) % {"n": tag.authors}
                result.append(Suggestion(tag, reason))
    return result


def suggested_groups(user: User | Viewer, *, limit: int = 3) -> list:
    """Open groups `user` might join, with the reason: the ones most joined by people they
    follow, then by people they share a group with. Never a group they are in or banned
    from, never an archived one, never a private or secret one (an invitation is the way
    there). Nothing for guests. One query for the ranking, one for the groups."""
    viewer = as_viewer(user)
    ties = viewer.ties
    if not viewer.is_employee:
        return []
    followed = Q(user_id__in=ties.following)
    rows = (
        Membership.objects.filter(colleagues_q(ties))
        # Deactivated people are neither counted nor named.
        .filter(user__is_active=True)
        .filter(group__kind=Group.Kind.OPEN, group__archived_at__isnull=True)
        .exclude(user_id=viewer.row_id)
        .exclude(user_id__in=ties.blocked)
        .exclude(group_id__in=ties.member_groups)
        .exclude(group_id__in=banned_group_ids(viewer))
        .values("group_id")
        .annotate(
            n=Count("user_id", distinct=True),
            by_followed=Count("user_id", distinct=True, filter=followed),
            named=Min(
                Concat("user__first_name", Value(" "), "user__last_name"),
                filter=followed,
            ),
        )
        .order_by("-by_followed", "-n", "group_id")[:limit]
    )
    picked = list(rows)
    groups = visible_groups(viewer).in_bulk([row["group_id"] for row in picked])
    result = []
    for row in picked:
        group = groups.get(row["group_id"])
        if group is None:
            continue
        if row["by_followed"]:
            name, others = (row["named"] or "").strip() or _("someone"), row["by_followed"] - 1
            reason = (
                ngettext(
                    "joined by %(name)s and %(n)d other you follow",
                    "joined by %(name)s and %(n)d others you follow",
                    others,
                )
                % {"name": name, "n": others}
                if others
                else _("joined by %(name)s, whom you follow") % {"name": name}
            )
        else:
            reason = ngettext(
                "joined by %(n)d person from your groups",
                "joined by %(n)d people from your groups",
                row["n"],
            ) % {"n": row["n"]}
        result.append(Suggestion(group, reason))
    return result


def discovery(user: User | Viewer) -> dict[str, Any]:
    """The home page's side cards: this week's trending hashtags and what to follow or join,
    each with its reason. The viewer's ties are read once for all of them; at most ten
    queries, whatever the size of the company, and none while the viewer's cards are kept
    (`cards_key` says when they are not)."""
    viewer = as_viewer(user)
    key = cards_key(viewer)
    cards = cache.get(key) if key else None
    if cards is None:
        trending = trending_hashtags(viewer.user, limit=6)
        cards = {
            "trending": trending,
            "suggested_people": suggested_people(viewer),
            "suggested_hashtags": suggested_hashtags(viewer, trending=trending),
            "suggested_groups": suggested_groups(viewer),
        }
        if key:
            cache.set(key, cards, CARDS_SECONDS)
    return cards


# The cards are the same for a person until what they are made of changes, and they load with
# every Home: each person's are kept for CARDS_SECONDS (a new post may wait that long to
# trend). Their key holds everything about the viewer they depend on (ties: follows,
# memberships, invitations, blocks either way, choices; kind of account; language), so a
# change there makes new ones at once; and the generation of what anyone may see
# (`generations.VISIBLE`, moved on by every deletion, removal or edit of a post or a hashtag
# link and every change to a group or a person: esn/apps.py), so what may no longer be shown
# is gone from everyone's cards on their next request.
CARDS_SECONDS = 300


def cards_key(viewer: Viewer) -> str | None:
    user = viewer.user
    if viewer.pk is None or user is None:
        return None
    ties = viewer.ties
    made_of = repr(
        (
            sorted(ties.following),
            sorted(ties.hashtags),
            sorted((pk, tie.role, tie.muted) for pk, tie in ties.groups.items()),
            sorted(ties.invited),
            sorted(ties.blocking),
            sorted(ties.blocked_by),
            sorted(ties.choices.items()),
            user.is_guest,
            user.is_staff,
            user.is_superuser,
            user.department_id,
            user.location_id,
            get_language(),
        )
    )
    digest = hashlib.blake2b(made_of.encode(), digest_size=12).hexdigest()
    generation = generations.current(generations.VISIBLE)
    return f"discovery:cards:{viewer.pk}:{generation}:{digest}"
