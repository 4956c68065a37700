from __future__ import annotations

from typing import Any

from django.db.models import Case, Q, QuerySet, Value, When
from django.db.models.functions import Coalesce, Collate, Lower
from taggit.models import TaggedItem

from access.people import visible_people, visible_person_q
from esn.textsearch import Unaccent, folded, name_starts_with, name_word_start, word_start
from people.models import Follow, User


def people_directory(viewer: Any, *, query: str = "") -> QuerySet[User]:
    """People the viewer may see, optionally filtered by name, title, department or
    location."""
    qs = visible_people(viewer)
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


def following_of(viewer: Any, person: User) -> QuerySet[User]:
    """Whom `person` follows, of the people the viewer may see."""
    return (
        visible_people(viewer)
        .filter(follower_links__follower=person)
        .order_by("first_name", "last_name")
    )


def followers_of(viewer: Any, person: User) -> QuerySet[User]:
    """Who follows `person`, of the people the viewer may see."""
    return (
        visible_people(viewer)
        .filter(following_links__followee=person)
        .order_by("first_name", "last_name")
    )


def follow_counts(viewer: Any, person: User) -> dict[str, int]:
    """The counts of the lists above: only people the viewer may see are counted."""
    return {
        "following": Follow.objects.filter(
            visible_person_q(viewer, "followee__"), follower=person
        ).count(),
        "followers": Follow.objects.filter(
            visible_person_q(viewer, "follower__"), followee=person
        ).count(),
    }


def is_following(follower: User, followee: User) -> bool:
    return Follow.objects.filter(follower=follower, followee=followee).exists()


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
    # Whose name starts with the first word comes before whose department or skill does
    # (`search_name`: the folded name and username, stored).
    by_name = Case(
        When(Q(search_name__regex=word_start(words[0])), then=Value(0)), default=Value(1)
    )
    return qs.order_by(by_name, "first_name", "last_name", "username")


# People offered by the @mention and invitation pickers.
PICKER_LIMIT = 8


def people_for_picker(viewer: Any, text: str, *, limit: int = PICKER_LIMIT) -> list[User]:
    """People the viewer may see, nobody blocked either way, whose name or username has a
    word starting with each word of `text` (accents and case ignored: "zoe" and "mulder"
    both find Zoë Mulder). Whose first name starts with it first, then alphabetical. One
    query, with their department."""
    words = text.split()[:3]
    if not words:
        return []
    qs = visible_people(viewer, hide_blocked=True)
    for word in words:
        qs = qs.filter(name_word_start("search_name", word))
    # The stored name starts with the first name.
    first = Case(When(name_starts_with("search_name", words[0]), then=Value(0)), default=Value(1))
    # Alphabetical by the stored name (first name, last name, username, already folded), in
    # byte order: the language-aware collation made sorting 10,000 matches cost ~7 ms.
    return list(qs.order_by(first, Collate("search_name", "C"))[:limit])
