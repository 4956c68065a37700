from __future__ import annotations

from django.db.models import Count, Q, QuerySet

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
