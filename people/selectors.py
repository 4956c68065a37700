from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from itertools import zip_longest

from django.db.models import Case, CharField, Count, F, Min, Q, QuerySet, Value, When
from django.db.models.functions import Coalesce, Lower
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from taggit.models import TaggedItem

from esn.textsearch import Unaccent, folded, word_start
from groups.selectors import visible_people
from people.models import Block, Follow, User


def active_people() -> QuerySet[User]:
    return User.objects.filter(is_active=True).select_related("department", "location")


def get_person(username: str) -> User | None:
    return active_people().filter(username=username).first()


def people_directory(*, query: str = "") -> QuerySet[User]:
    """Active people, optionally filtered by name, title, department or location."""
    qs = active_people()
    for word in query.split()[:5]:
        qs = qs.filter(
            Q(first_name__icontains=word)
            | Q(last_name__icontains=word)
            | Q(username__icontains=word)
            | Q(title__icontains=word)
            | Q(department__name__icontains=word)
            | Q(location__name__icontains=word)
        )
    return qs.order_by("first_name", "last_name", "username")


def following_of(person: User) -> QuerySet[User]:
    return (
        active_people().filter(follower_links__follower=person).order_by("first_name", "last_name")
    )


def followers_of(person: User) -> QuerySet[User]:
    return (
        active_people().filter(following_links__followee=person).order_by("first_name", "last_name")
    )


def follow_counts(person: User) -> dict[str, int]:
    return {
        "following": Follow.objects.filter(follower=person, followee__is_active=True).count(),
        "followers": Follow.objects.filter(followee=person, follower__is_active=True).count(),
    }


def is_following(follower: User, followee: User) -> bool:
    return Follow.objects.filter(follower=follower, followee=followee).exists()


def has_blocked(blocker: User, person: User) -> bool:
    return Block.objects.filter(blocker=blocker, blocked=person).exists()


# Words of a search that must each match somewhere in a profile.
MAX_PEOPLE_SEARCH_WORDS = 5


def search_people(viewer: User, words: list[str]) -> QuerySet[User]:
    """People `viewer` may see (`visible_people`: a guest meets only the members of their
    groups) with every word at the start of a word of their name, username, title,
    department, location or one of their skills, accents and case ignored: "mar" finds
    Marieke, "muller" finds Müller. Alphabetical."""
    if not words:
        return User.objects.none()
    profile = folded(
        "first_name",
        "last_name",
        "username",
        "title",
        Coalesce("department__name", Value("")),
        Coalesce("location__name", Value("")),
    )
    qs = visible_people(viewer).annotate(search_profile=profile)
    skills = TaggedItem.objects.filter(
        content_type__app_label="people", content_type__model="user"
    ).annotate(skill=Unaccent(Lower("tag__name")))
    for word in words[:MAX_PEOPLE_SEARCH_WORDS]:
        pattern = word_start(word)
        qs = qs.filter(
            Q(search_profile__regex=pattern)
            | Q(pk__in=skills.filter(skill__regex=pattern).values("object_id"))
        )
    # Whose name starts with the first word comes before whose department or skill does.
    name = folded("first_name", "last_name", "username")
    by_name = Case(
        When(Q(search_name__regex=word_start(words[0])), then=Value(0)), default=Value(1)
    )
    return qs.annotate(search_name=name).order_by(by_name, "first_name", "last_name", "username")


def blocked_either_way_q(user: User, field: str = "pk") -> Q:
    """`field` (a user id) is someone `user` blocked or someone who blocked `user`. Two small
    subqueries: PostgreSQL hashes each once, so excluding them costs no extra round trip."""
    return Q(**{f"{field}__in": Block.objects.filter(blocker_id=user.pk).values("blocked_id")}) | Q(
        **{f"{field}__in": Block.objects.filter(blocked_id=user.pk).values("blocker_id")}
    )


# --- suggestions ----------------------------------------------------------------------------


@dataclass
class Circle:
    """A person's own ties, read in one query, that suggestions build on and leave out:
    whom they follow, which hashtags they follow, their groups, the people blocked either way
    and the people and hashtags they muted."""

    followed: set[int] = field(default_factory=set)
    followed_tags: set[int] = field(default_factory=set)
    groups: set[int] = field(default_factory=set)
    blocked: set[int] = field(default_factory=set)
    muted_people: set[int] = field(default_factory=set)
    muted_tags: set[int] = field(default_factory=set)

    @classmethod
    def of(cls, user: User) -> Circle:
        from digests.models import Level, SourceChoice, SourceKind
        from groups.models import Membership
        from hashtags.models import HashtagFollow

        def tagged(qs, column: str, kind: str):
            return qs.annotate(tie=Value(kind, output_field=CharField())).values_list(column, "tie")

        muted = SourceChoice.objects.filter(user_id=user.pk, level=Level.MUTED)
        rows = tagged(Follow.objects.filter(follower_id=user.pk), "followee_id", "followed").union(
            tagged(HashtagFollow.objects.filter(user_id=user.pk), "hashtag_id", "followed_tags"),
            tagged(Membership.objects.filter(user_id=user.pk), "group_id", "groups"),
            tagged(Block.objects.filter(blocker_id=user.pk), "blocked_id", "blocked"),
            tagged(Block.objects.filter(blocked_id=user.pk), "blocker_id", "blocked"),
            tagged(muted.filter(kind=SourceKind.PERSON), "object_id", "muted_people"),
            tagged(muted.filter(kind=SourceKind.HASHTAG), "object_id", "muted_tags"),
            all=True,
        )
        circle = cls()
        for pk, kind in rows:
            getattr(circle, kind).add(pk)
        return circle

    @property
    def unsuggestable_people(self) -> set[int]:
        return self.followed | self.blocked | self.muted_people

    def colleagues_q(self, field: str = "user_id") -> Q:
        """`field` is a colleague: someone followed, or a member of one of the groups."""
        from groups.models import Membership

        return Q(**{f"{field}__in": self.followed}) | Q(
            **{
                f"{field}__in": Membership.objects.filter(group_id__in=self.groups).values(
                    "user_id"
                )
            }
        )


@dataclass
class Suggestion:
    """Something to follow or join, and in a few words why."""

    item: object
    reason: str


def suggested_people(
    user: User, circle: Circle | None = None, *, limit: int = 5
) -> list[Suggestion]:
    """People `user` might follow, each with the reason: employees active lately in another
    department or location with whom `user` shares no group (bridges across the company come
    first), then people followed by several people `user` follows. Never `user`, nobody
    already followed, blocked either way or muted, never a guest for an employee, only people
    `user` may see; a guest is offered the members of their own groups. At most four
    queries; the follow counts come off the (follower, followee) index alone, so someone who
    follows a thousand people costs a few milliseconds more, not a join per follow."""
    from groups.models import Membership
    from groups.selectors import can_use_site, visible_people
    from posts.selectors import visible_posts

    if not can_use_site(user):
        return []
    circle = circle or Circle.of(user)
    skip = circle.unsuggestable_people | {user.pk}
    friend_rows: dict[int, dict] = {}
    bridge_ids: list[int] = []
    if user.is_guest:
        rows = (
            Membership.objects.filter(group_id__in=circle.groups, user__is_active=True)
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
        employees = Q(is_active=True, is_guest=False)
        # 1. Bridges: authors of recent posts the user may see (the newest 300, so the cost
        #    does not grow with the company), in another department or location, sharing no
        #    group with the user.
        recent = (
            visible_posts(user)
            .filter(created_at__gte=timezone.now() - timedelta(days=30))
            .order_by("-created_at", "-id")
            .values("id")[:300]
        )
        same_place = Q(department_id=user.department_id, location_id=user.location_id)
        bridges = (
            User.objects.filter(employees, posts__in=recent)
            .exclude(pk__in=skip)
            .exclude(same_place)
            .exclude(pk__in=Membership.objects.filter(group_id__in=circle.groups).values("user_id"))
            .exclude(blocked_either_way_q(user))
            .annotate(n=Count("posts"))
            .order_by("-n", "pk")
            .values_list("pk", flat=True)[:limit]
        )
        # 2. Followed by people the user follows: counted off the follow index alone (the
        #    names of one follower each are read with the people, below).
        friends = list(
            Follow.objects.filter(follower_id__in=circle.followed, follower__is_active=True)
            .exclude(followee_id__in=skip)
            .exclude(blocked_either_way_q(user, "followee_id"))
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
                .exclude(blocked_either_way_q(user))
                .order_by(F("last_seen_at").desc(nulls_last=True), "pk")
            )
            if user.department_id:
                nearby = nearby.filter(department_id=user.department_id)
                why = _("in your department")
            else:
                why = _("recently active")
            for pk in nearby.values_list("pk", flat=True)[: limit - len(reasons)]:
                reasons[pk] = why
    # One query for the people suggested and for the one follower named in each reason.
    wanted = set(reasons) | {row["first"] for row in friend_rows.values()}
    people = visible_people(user).in_bulk(wanted)
    result = []
    for pk, reason in reasons.items():
        person = people.get(pk)
        if person is None or (person.is_guest and not user.is_guest):
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
