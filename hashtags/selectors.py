from __future__ import annotations

from datetime import timedelta

from django.db.models import Count, Exists, OuterRef, Q, QuerySet, TextField, Value
from django.db.models.functions import Concat, Lower
from django.utils import timezone

from esn.textsearch import Unaccent
from groups.selectors import can_use_site
from hashtags.models import Hashtag, HashtagFollow, TaggedPost
from people.models import User
from posts.selectors import visible_post_q, visible_posts


def get_hashtag(slug: str) -> Hashtag | None:
    from hashtags.parsing import normalise_hashtag

    return Hashtag.objects.filter(slug=normalise_hashtag(slug)).first()


def get_visible_hashtag(user: User, slug: str) -> Hashtag | None:
    """The hashtag, if `user` may know it exists: a post they may see carries it, or they
    follow it. Otherwise None, exactly as for a hashtag nobody used: a page for a tag found
    only on private, secret or removed posts would tell that those posts exist."""
    hashtag = get_hashtag(slug)
    if hashtag is None:
        return None
    carried = TaggedPost.objects.filter(tag=hashtag, content_object__in=visible_posts(user))
    if carried.exists() or is_following(user, hashtag):
        return hashtag
    return None


def search_hashtags(user: User, words: list[str]) -> QuerySet[Hashtag]:
    """Hashtags whose name, or a `_`-separated part of it, starts with one of `words`
    ("onboard" finds #sales_onboarding; accents and case ignored) that `user` may know exist: carried by a post they may see, or followed by them (the rule of
    `get_visible_hashtag`). Alphabetical, each with `is_followed`."""
    if not words or not can_use_site(user):
        return Hashtag.objects.none()
    starts = Q()
    for word in words:
        pattern = Concat(Value("(^|_)"), Unaccent(Lower(Value(word))), output_field=TextField())
        starts |= Q(folded_slug__regex=pattern)
    carried = Exists(
        TaggedPost.objects.filter(visible_post_q(user, "content_object__"), tag=OuterRef("pk"))
    )
    followed = Exists(HashtagFollow.objects.filter(user=user, hashtag=OuterRef("pk")))
    return (
        Hashtag.objects.annotate(folded_slug=Unaccent("slug"), is_followed=followed)
        .filter(starts)
        .filter(carried | Q(is_followed=True))
        .order_by("slug")
    )


def followed_hashtags(user: User) -> QuerySet[Hashtag]:
    return Hashtag.objects.filter(follows__user=user).order_by("slug")


def is_following(user: User, hashtag: Hashtag) -> bool:
    return HashtagFollow.objects.filter(user=user, hashtag=hashtag).exists()


def active_hashtags(user: User, *, days: int = 30, limit: int = 40) -> list[Hashtag]:
    """Hashtags with the most posts the user can see in the last `days`, each with `.recent`
    (that count) and `.followers`. Counts go through the visibility policy."""
    since = timezone.now() - timedelta(days=days)
    counts = list(
        TaggedPost.objects.filter(created_at__gte=since, content_object__in=visible_posts(user))
        .values("tag_id")
        .annotate(n=Count("id"))
        .order_by("-n", "tag_id")[:limit]
    )
    tags = Hashtag.objects.in_bulk([row["tag_id"] for row in counts])
    followers = dict(
        HashtagFollow.objects.filter(hashtag_id__in=tags)
        .values("hashtag_id")
        .annotate(n=Count("id"))
        .values_list("hashtag_id", "n")
    )
    result = []
    for row in counts:
        tag = tags[row["tag_id"]]
        tag.recent = row["n"]
        tag.followers = followers.get(tag.pk, 0)
        result.append(tag)
    return result


def suggested_hashtags(user: User, *, limit: int = 6) -> list[Hashtag]:
    followed = set(HashtagFollow.objects.filter(user=user).values_list("hashtag_id", flat=True))
    return [t for t in active_hashtags(user, limit=limit + len(followed)) if t.pk not in followed][
        :limit
    ]
