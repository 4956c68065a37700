from __future__ import annotations

from django.db import IntegrityError, transaction

from hashtags.models import Hashtag, HashtagFollow, TaggedPost
from hashtags.parsing import normalise_hashtag


def get_or_create_hashtags(names: list[str]) -> list[Hashtag]:
    """The hashtags for these spellings, creating missing ones with the spelling given.
    Safe under concurrency: two posts introducing the same new tag meet on its slug."""
    by_key = {normalise_hashtag(name): name for name in reversed(names)}
    existing = {tag.slug: tag for tag in Hashtag.objects.filter(slug__in=by_key)}
    missing = [Hashtag(name=by_key[key], slug=key) for key in by_key if key not in existing]
    if missing:
        Hashtag.objects.bulk_create(missing, ignore_conflicts=True)
        existing = {tag.slug: tag for tag in Hashtag.objects.filter(slug__in=by_key)}
    return [existing[normalise_hashtag(name)] for name in names]


def set_post_hashtags(*, post, names: list[str]) -> None:
    """Make the post carry exactly these hashtags (one row per tag, with the post's time)."""
    tags = get_or_create_hashtags(names)
    wanted = {tag.pk for tag in tags}
    TaggedPost.objects.filter(content_object=post).exclude(tag_id__in=wanted).delete()
    TaggedPost.objects.bulk_create(
        [TaggedPost(content_object=post, tag=tag, created_at=post.created_at) for tag in tags],
        ignore_conflicts=True,
    )


@transaction.atomic
def follow_hashtag(*, user, hashtag: Hashtag) -> None:
    try:
        with transaction.atomic():
            HashtagFollow.objects.get_or_create(user=user, hashtag=hashtag)
    except IntegrityError:
        pass  # a double click: already following


def unfollow_hashtag(*, user, hashtag: Hashtag) -> None:
    HashtagFollow.objects.filter(user=user, hashtag=hashtag).delete()
