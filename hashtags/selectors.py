from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from django.db.models import Count, Exists, F, OuterRef, Q, QuerySet
from django.db.models.functions import Lower
from django.utils import timezone
from taggit.models import Tag

from access.hashtags import known_hashtags, visible_follower_counts
from access.people import visible_people, visible_person_q
from access.posts import visible_comment_q, visible_post_q
from access.viewer import as_viewer
from digests import preferences
from digests.models import SourceKind
from esn.textsearch import word_start
from hashtags.models import Hashtag, HashtagFollow, TaggedPost
from hashtags.parsing import normalise_hashtag
from people.models import User
from posts.models import Comment, Post


def get_hashtag(slug: str) -> Hashtag | None:
    return Hashtag.objects.filter(slug=normalise_hashtag(slug)).first()


def get_visible_hashtag(user: User, slug: str) -> Hashtag | None:
    """The hashtag, if `user` may know it exists (`access.hashtags`). Otherwise None,
    exactly as for a hashtag nobody used: a page for a tag found only on private, secret or
    removed posts would tell that those posts exist."""
    return known_hashtags(user).filter(slug=normalise_hashtag(slug)).first()


def hashtag_for_page(user: User, slug: str) -> Hashtag | None:
    """`get_visible_hashtag`, with `is_followed` and `is_muted` (by `user`) read in the same
    query, for the hashtag's page."""
    muted = preferences.muted_choice(user, SourceKind.HASHTAG, OuterRef("pk"))
    return (
        known_hashtags(user)
        .annotate(is_muted=Exists(muted))
        .filter(slug=normalise_hashtag(slug))
        .first()
    )


def search_hashtags(user: User, words: list[str]) -> QuerySet[Hashtag]:
    """Hashtags whose name, or a `_`-separated part of it, starts with one of `words`
    ("onboard" finds #sales_onboarding; accents and case ignored) that `user` may know
    exist. Alphabetical, each with `is_followed`."""
    if not words:
        return Hashtag.objects.none()
    starts = Q()
    for word in words:
        starts |= Q(folded_slug__regex=word_start(word, boundary="(^|_)"))
    return known_hashtags(user).filter(starts).order_by("slug")


def followed_hashtags(user: User) -> QuerySet[Hashtag]:
    return Hashtag.objects.filter(follows__user=user).order_by("slug")


def is_following(user: User, hashtag: Hashtag) -> bool:
    return HashtagFollow.objects.filter(user=user, hashtag=hashtag).exists()


def _recent_links(user: User, days: int) -> QuerySet[TaggedPost]:
    """Hashtag links of the last `days` on posts `user` may see (the policy as a join, blocks
    included: a count says what the viewer would find on the tag's page)."""
    since = timezone.now() - timedelta(days=days)
    # The link's time is its post's time: saying so of both lets PostgreSQL read only the
    # recent posts (posts_newest) instead of scanning them all to join (~200 ms at 1M posts).
    return TaggedPost.objects.filter(
        created_at__gte=since, content_object__created_at__gte=since
    ).filter(visible_post_q(user, "content_object__"))


def _with_followers(user: User, tags: list[Hashtag]) -> list[Hashtag]:
    """Sets `.followers` (the people following it whom `user` may see: a count of people,
    not of content) and `.is_followed` (by `user`) on each tag, in one query."""
    counts = visible_follower_counts(user, [t.pk for t in tags])
    for tag in tags:
        tag.followers, tag.is_followed = counts.get(tag.pk, (0, False))
    return tags


def active_hashtags(user: User, *, days: int = 30, limit: int = 40) -> list[Hashtag]:
    """Hashtags with the most posts the user can see in the last `days`, each with `.recent`
    (that count), `.authors` (distinct authors of those posts), `.followers` and
    `.is_followed`. Counts go through the visibility policy. Three queries."""
    if not as_viewer(user).can_use_site:
        return []
    counts = list(
        _recent_links(user, days)
        .values("tag_id")
        .annotate(n=Count("id"), authors=Count("content_object__author_id", distinct=True))
        .order_by("-n", "tag_id")[:limit]
    )
    tags = Hashtag.objects.in_bulk([row["tag_id"] for row in counts])
    result = []
    for row in counts:
        tag = tags[row["tag_id"]]
        tag.recent, tag.authors = row["n"], row["authors"]
        result.append(tag)
    return _with_followers(user, result)


def trending_hashtags(user: User, *, days: int = 7, limit: int = 8) -> list[Hashtag]:
    """The hashtags most people wrote about in the last `days`, in posts `user` may see:
    ranked by distinct authors, then by posts, so one loud account cannot make a tag trend.
    A guest's trending comes from their own groups; a secret group's tags trend only for its
    members. Each tag carries `.authors` and `.recent` (posts). One query."""
    if not as_viewer(user).can_use_site:
        return []
    rows = (
        _recent_links(user, days)
        .values("tag_id", "tag__name", "tag__slug")
        .annotate(authors=Count("content_object__author_id", distinct=True), n=Count("id"))
        .order_by("-authors", "-n", "tag__slug")[:limit]
    )
    result = []
    for row in rows:
        tag = Hashtag(pk=row["tag_id"], name=row["tag__name"], slug=row["tag__slug"])
        tag.authors, tag.recent = row["authors"], row["n"]
        result.append(tag)
    return result


@dataclass
class HashtagDirectory:
    followed: list[Hashtag]
    trending: list[Hashtag]
    active: list[Hashtag]


def hashtag_directory(user: User) -> HashtagDirectory:
    """The directory: the tags `user` follows, this week's trending and this month's active
    tags, with follower counts and recent activity counted through the visibility policy.
    Seven queries whatever the number of tags."""
    followed = list(followed_hashtags(user))
    recent = dict(
        _recent_links(user, 30)
        .filter(tag_id__in=[t.pk for t in followed])
        .values("tag_id")
        .annotate(n=Count("id"))
        .values_list("tag_id", "n")
    )
    for tag in followed:
        tag.recent = recent.get(tag.pk, 0)
    trending = trending_hashtags(user)
    active = active_hashtags(user)
    _with_followers(user, followed + trending)
    for tag in followed:
        tag.is_followed = True
    return HashtagDirectory(followed, trending, active)


# --- who knows about a hashtag --------------------------------------------------------------


@dataclass
class Expert:
    """Someone who knows about a hashtag, and why we think so (aggregate figures only)."""

    person: User | None
    posts: int = 0
    answers: int = 0
    accepted: int = 0
    has_skill: bool = False

    @property
    def score(self) -> int:
        # An accepted answer counts three times: once as an answer, twice more as accepted.
        return self.posts + self.answers + 2 * self.accepted + (2 if self.has_skill else 0)


def _skill_tag_ids(hashtag: Hashtag) -> list[int]:
    """Profile skills that mean this hashtag: the skill's name normalised as hashtags are
    (`normalise_hashtag`), with spaces read as underscores (a tag cannot hold a space, so the
    skill "code review" can only be #code_review)."""
    spellings = {hashtag.slug, hashtag.name.lower()}
    spellings |= {s.replace("_", " ") for s in spellings}
    candidates = Tag.objects.annotate(key=Lower("name")).filter(key__in=spellings)
    return [
        tag.pk
        for tag in candidates.only("pk", "name")
        if normalise_hashtag(tag.name.strip().replace(" ", "_")) == hashtag.slug
    ]


# "Who knows" reads at most this many of a hashtag's newest posts (within its 90 days).
RECENT_POSTS = 2000


def who_knows(user: User, hashtag: Hashtag, *, days: int = 90, limit: int = 6) -> list[Expert]:
    """People who wrote about `hashtag` and answered on it in the last `days`, plus people
    who list it as a skill: at most `limit`, most involved first. Only people who chose to
    be listed (`User.listed_as_knowing`): suggesting experts from what people write is
    itself a measurement of them, so it waits for their consent.

    Counts only what `user` may see (posts and comments through the visibility policy), and
    only people `user` may see (`visible_person_q`: a guest meets members of their groups);
    never `user`, and never anyone `user` blocked or who blocked `user`. An "answer" is a
    comment on someone else's post carrying the tag (counted once per post); an accepted
    answer counts extra. Five queries, each bounded (the newest RECENT_POSTS posts of the
    tag; `limit` people)."""
    if not as_viewer(user).can_use_site:
        return []
    since = timezone.now() - timedelta(days=days)
    wide = limit * 4  # enough candidates from each source that the merge ranks well
    # Only people the viewer may see, nobody blocked either way, and only those who opted in.
    people_q = visible_person_q(user, "author__", hide_blocked=True) & Q(
        author__listed_as_knowing=True
    )

    # The tag's newest posts of the window, at most RECENT_POSTS of them, off its own index:
    # a tag on thousands of posts a month costs the same as a quiet one.
    newest = (
        TaggedPost.objects.filter(tag=hashtag, created_at__gte=since)
        .order_by("-created_at", "-content_object_id")
        .values("content_object_id")[:RECENT_POSTS]
    )
    posts = (
        Post.objects.filter(pk__in=newest)
        .filter(visible_post_q(user), people_q)
        .exclude(author_id=user.pk)
        .values("author_id")
        .annotate(n=Count("id"))
        .order_by("-n", "author_id")[:wide]
    )
    answers = (
        Comment.objects.filter(created_at__gte=since, post__tagged_items__tag=hashtag)
        .filter(visible_comment_q(user, hide_blocked=False), people_q)
        .exclude(author_id=F("post__author_id"))
        .exclude(author_id=user.pk)
        .values("author_id")
        .annotate(
            n=Count("post_id", distinct=True),
            accepted=Count("id", filter=Q(post__accepted_answer_id=F("id"))),
        )
        .order_by("-accepted", "-n", "author_id")[:wide]
    )
    experts: dict[int, Expert] = {}
    for row in posts:
        pk = row["author_id"]
        experts.setdefault(pk, Expert(person=None)).posts = row["n"]
    for row in answers:
        expert = experts.setdefault(row["author_id"], Expert(person=None))
        expert.answers, expert.accepted = row["n"], row["accepted"]
    skilled = (
        User.objects.filter(
            visible_person_q(user, hide_blocked=True),
            listed_as_knowing=True,
            skills__in=_skill_tag_ids(hashtag),
        )
        .exclude(pk=user.pk)
        .order_by("pk")
        .values_list("pk", flat=True)[:wide]
    )
    for pk in skilled:
        experts.setdefault(pk, Expert(person=None)).has_skill = True
    ranked = sorted(experts.items(), key=lambda item: (-item[1].score, item[0]))[:limit]
    people = visible_people(user).in_bulk([pk for pk, _e in ranked])
    result = []
    for pk, expert in ranked:
        if pk in people:
            expert.person = people[pk]
            result.append(expert)
    return result


def hashtags_for_picker(user: User, text: str, *, limit: int = 8, days: int = 7) -> list[Hashtag]:
    """Hashtags the viewer may know whose name, or a `_`-separated part of it, starts with
    `text` (as search does), most used first: `.uses` counts this week's posts that carry it
    and the viewer may see, so people reuse the spelling everyone uses. A week, not a
    quarter: counting 90 days of links of 32 busy tags through the policy took ~190 ms at
    1M posts (bench/pickers.py), a week ~20 ms. Two queries."""
    word = text.strip().lstrip("#")
    if not word or not as_viewer(user).can_use_site:
        return []
    tags = list(search_hashtags(user, [word])[: limit * 4])
    uses = dict(
        _recent_links(user, days)
        .filter(tag_id__in=[t.pk for t in tags])
        .values("tag_id")
        .annotate(n=Count("id"))
        .values_list("tag_id", "n")
    )
    for tag in tags:
        tag.uses = uses.get(tag.pk, 0)
    return sorted(tags, key=lambda t: (-t.uses, t.slug))[:limit]
