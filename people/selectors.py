from __future__ import annotations

from django.db.models import Case, Count, Q, QuerySet, TextField, Value, When
from django.db.models.functions import Coalesce, Concat, Lower
from taggit.models import TaggedItem

from esn.textsearch import Unaccent
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


def suggested_people(user: User, *, limit: int = 6) -> list[User]:
    """People to follow: colleagues with the most followers, the user's department first,
    leaving out whoever the user already follows."""
    already = Follow.objects.filter(follower=user).values("followee_id")
    qs = (
        active_people()
        .exclude(pk=user.pk)
        .exclude(pk__in=already)
        .annotate(n_followers=Count("follower_links"))
        .order_by("-n_followers", "username")
    )
    same_dept = (
        list(qs.filter(department_id=user.department_id)[:limit]) if user.department_id else []
    )
    others = list(qs.exclude(pk__in=[p.pk for p in same_dept])[: limit - len(same_dept) // 2])
    return (same_dept[: limit // 2] + others)[:limit]


def has_blocked(blocker: User, person: User) -> bool:
    return Block.objects.filter(blocker=blocker, blocked=person).exists()


# Words of a search that must each match somewhere in a profile.
MAX_PEOPLE_SEARCH_WORDS = 5


def word_start(word: str) -> Concat:
    """A PostgreSQL regular expression (as an SQL expression) matching text in which a word
    starts with `word`, accents folded: `\\m` is "start of a word". Search words hold only
    letters, digits and `_` (esn.textsearch.query_words), nothing a regex would read."""
    return Concat(Value(r"\m"), Unaccent(Lower(Value(word))), output_field=TextField())


def search_people(viewer: User, words: list[str]) -> QuerySet[User]:
    """People `viewer` may see (`visible_people`: a guest meets only the members of their
    groups) with every word at the start of a word of their name, username, title,
    department, location or one of their skills, accents and case ignored: "mar" finds
    Marieke, "muller" finds Müller. Alphabetical."""
    if not words:
        return User.objects.none()
    profile = Unaccent(
        Lower(
            Concat(
                "first_name",
                Value(" "),
                "last_name",
                Value(" "),
                "username",
                Value(" "),
                "title",
                Value(" "),
                Coalesce("department__name", Value("")),
                Value(" "),
                Coalesce("location__name", Value("")),
                output_field=TextField(),
            )
        )
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
    name = Unaccent(
        Lower(
            Concat(
                "first_name",
                Value(" "),
                "last_name",
                Value(" "),
                "username",
                output_field=TextField(),
            )
        )
    )
    by_name = Case(
        When(Q(search_name__regex=word_start(words[0])), then=Value(0)), default=Value(1)
    )
    return qs.annotate(search_name=name).order_by(by_name, "first_name", "last_name", "username")
