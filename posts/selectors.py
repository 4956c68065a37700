"""Reads of posts and comments: streams, the home feed, threads, questions.

Who may see what is not decided here: every read starts from `access.posts`
(`visible_posts`, `can_view_post`), with the viewer from `access.viewer`.
"""

from __future__ import annotations

import base64
import binascii
from collections import defaultdict
from collections.abc import Iterable, Sequence, Set
from dataclasses import dataclass, field
from datetime import datetime

from django.conf import settings
from django.db import connection
from django.db.models import (
    BooleanField,
    Exists,
    ExpressionWrapper,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Value,
)
from django.utils.translation import gettext as _

from access.posts import (
    post_sql,
    visible_comments,
    visible_posts,
)
from access.rules import SqlFacts
from access.viewer import Viewer, as_viewer
from groups.models import Group
from hashtags.models import Hashtag, TaggedPost
from people.models import User
from posts.models import PAGE_IMAGES, Comment, Post, Reaction

# Up to this many followed sources (people, hashtags and the user) the feed takes the newest
# posts of each source from its own index: the cost grows with the number of sources, whatever
# they post. Above it one query walks the global time index until a page is found: fast when
# the sources are busy, slow when they are quiet, and slower as the table grows. See
# ARCHITECTURE.md rule 2. bench/feed.py, 1M posts, 2 cores: per-source ~2 ms for 200 sources,
# ~5.5 ms for 500, ~10 ms for 1,000; the walk ~1-2 ms for busy sources, but ~30 ms for 100
# quiet ones, ~16 ms for 300, ~10 ms for 500. 500 keeps both sides' worst case near 10 ms.
PER_SOURCE_MAX = 500


# --- keyset cursors ---------------------------------------------------------------------


class InvalidCursorError(ValueError):
    pass


@dataclass(frozen=True)
class Cursor:
    created_at: datetime
    id: int

    def encode(self) -> str:
        raw = f"{self.created_at.isoformat()}|{self.id}".encode()
        return base64.urlsafe_b64encode(raw).decode().rstrip("=")

    @classmethod
    def decode(cls, token: str | None) -> Cursor | None:
        if not token:
            return None
        try:
            raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)).decode()
            when, _sep, pk = raw.partition("|")
            created_at = datetime.fromisoformat(when)
            if created_at.tzinfo is None:
                raise ValueError("naive datetime")
            return cls(created_at=created_at, id=int(pk))
        except (ValueError, binascii.Error, UnicodeDecodeError) as exc:
            raise InvalidCursorError(token) from exc


def before_cursor(
    cursor: Cursor | None, *, time_field: str = "created_at", id_field: str = "id"
) -> Q:
    """Rows strictly after the cursor in (created_at DESC, id DESC) order. The redundant
    `created_at <= t` lets PostgreSQL start the index scan at the cursor."""
    if cursor is None:
        return Q()
    return Q(**{f"{time_field}__lte": cursor.created_at}) & (
        Q(**{f"{time_field}__lt": cursor.created_at})
        | Q(**{time_field: cursor.created_at, f"{id_field}__lt": cursor.id})
    )


# --- pages of posts ---------------------------------------------------------------------


@dataclass
class FeedItem:
    post: Post
    reasons: list[str] = field(default_factory=list)


@dataclass
class FeedPage:
    items: list[FeedItem]
    next_cursor: str | None

    @property
    def posts(self) -> list[Post]:
        return [item.post for item in self.items]


def with_post_details(qs: QuerySet[Post]) -> QuerySet[Post]:
    """What a rendered post needs, fetched in a fixed number of queries for any page size:
    author, group and images (a card links its hashtags in its HTML). Not the search column:
    PostgreSQL's own, a few KB for a long post, never read in Python."""
    return (
        qs.select_related("author", "group")
        .defer("search_vector")
        .prefetch_related(Prefetch("images", to_attr=PAGE_IMAGES))
    )


def _load_page(
    viewer: Viewer,
    candidates: Sequence[tuple[int, datetime]],
    limit: int,
    *,
    hide_blocked: bool = True,
) -> tuple[list[Post], str | None]:
    """Fetch the first `limit` candidate ids (newest first) through the visibility policy.
    The cursor comes from the candidates, so posts hidden by the policy never stall paging."""
    page = list(candidates[:limit])
    next_cursor = Cursor(page[-1][1], page[-1][0]).encode() if len(candidates) > limit else None
    ids = [pk for pk, _ in page]
    visible = visible_posts(viewer, hide_blocked=hide_blocked)
    by_id = (
        {p.pk: p for p in _with_my_like(viewer, with_post_details(visible.filter(pk__in=ids)))}
        if ids
        else {}
    )
    posts = [by_id[pk] for pk in ids if pk in by_id]
    return posts, next_cursor


def load_posts(viewer: Viewer, ids: Sequence[int]) -> list[Post]:
    """The posts of `ids` the viewer may see, in that order, ready to render (details and
    whether the viewer liked each)."""
    if not ids:
        return []
    posts_qs = _with_my_like(viewer, with_post_details(visible_posts(viewer).filter(pk__in=ids)))
    by_id = {p.pk: p for p in posts_qs}
    return [by_id[pk] for pk in ids if pk in by_id]


def _with_my_like(viewer: Viewer, qs: QuerySet[Post]) -> QuerySet[Post]:
    """`liked_by_me` on each post, in the posts' own query (not one more per page)."""
    if viewer.pk is None:
        return qs.annotate(liked_by_me=Value(False, output_field=BooleanField()))
    mine = Reaction.objects.filter(
        user_id=viewer.pk, post_id=OuterRef("pk"), kind=Reaction.Kind.LIKE
    )
    return qs.annotate(liked_by_me=Exists(mine))


def _mark_liked(viewer: Viewer, posts: Iterable[Post]) -> None:
    posts = list(posts)
    liked = set()
    if posts and viewer.pk is not None:
        liked = set(
            Reaction.objects.filter(
                user_id=viewer.pk, post_id__in=[p.pk for p in posts], kind=Reaction.Kind.LIKE
            ).values_list("post_id", flat=True)
        )
    for post in posts:
        post.liked_by_me = post.pk in liked  # type: ignore[attr-defined]  # for templates


def _newest(qs: QuerySet[Post], cursor: Cursor | None, limit: int) -> list[tuple[int, datetime]]:
    return list(
        qs.filter(before_cursor(cursor))
        .order_by("-created_at", "-id")
        .values_list("id", "created_at")[: limit + 1]
    )


def _stream(
    viewer: Viewer, qs: QuerySet[Post], cursor: Cursor | None, limit: int, *, hide_blocked: bool
) -> FeedPage:
    posts, next_cursor = _load_page(
        viewer, _newest(qs, cursor, limit), limit, hide_blocked=hide_blocked
    )
    return FeedPage([FeedItem(p) for p in posts], next_cursor)


def all_stream(user: User | Viewer, *, cursor: Cursor | None = None, limit: int = 20) -> FeedPage:
    """Every post the user may see, newest first (nobody blocked either way)."""
    viewer = as_viewer(user)
    return _stream(viewer, visible_posts(viewer), cursor, limit, hide_blocked=True)


def posts_by(
    user: User | Viewer, *, author: User, cursor: Cursor | None = None, limit: int = 20
) -> FeedPage:
    """A person's posts that `user` may see, newest first (profile page: all of them, also
    when a block stands between the two)."""
    viewer = as_viewer(user)
    qs = visible_posts(viewer, hide_blocked=False).filter(author=author)
    return _stream(viewer, qs, cursor, limit, hide_blocked=False)


def posts_in_group(
    user: User | Viewer, *, group: Group, cursor: Cursor | None = None, limit: int = 20
) -> FeedPage:
    """A group's posts that `user` may see, newest first (group page: the whole conversation,
    blocks or not)."""
    viewer = as_viewer(user)
    qs = visible_posts(viewer, hide_blocked=False).filter(group=group)
    return _stream(viewer, qs, cursor, limit, hide_blocked=False)


def pinned_in_group(user: User | Viewer, *, group: Group) -> list[Post]:
    """The group's pinned posts (at most three), most recently pinned first."""
    viewer = as_viewer(user)
    posts = list(
        with_post_details(
            visible_posts(viewer, hide_blocked=False).filter(group=group, pinned_at__isnull=False)
        ).order_by("-pinned_at")[:3]
    )
    _mark_liked(viewer, posts)
    return posts


def posts_tagged(
    user: User | Viewer, *, hashtag: Hashtag, cursor: Cursor | None = None, limit: int = 20
) -> FeedPage:
    """Posts carrying `hashtag` that `user` may see, newest first, off the tag's own index
    (nobody blocked either way)."""
    viewer = as_viewer(user)
    candidates = list(
        TaggedPost.objects.filter(tag=hashtag, content_object__in=visible_posts(viewer))
        .filter(before_cursor(cursor, id_field="content_object_id"))
        .order_by("-created_at", "-content_object_id")
        .values_list("content_object_id", "created_at")[: limit + 1]
    )
    posts, next_cursor = _load_page(viewer, candidates, limit)
    return FeedPage([FeedItem(p) for p in posts], next_cursor)


# --- the home feed ----------------------------------------------------------------------

# The feed's candidates are filtered by the policy itself, as SQL generated from the same
# rule as `visible_posts` (`access.posts.post_sql`), so a page is never cut short by posts
# the viewer may not see; `_load_page` then fetches the rows through `visible_posts`, the
# last word on every post. Muting is the viewer's choice, not access, and stays here.
_NOT_MUTED_SQL = """(p.group_id IS NULL OR NOT p.group_id = ANY(%(muted_groups)s::bigint[]))
    AND NOT p.author_id = ANY(%(muted_authors)s::bigint[])
    AND NOT (cardinality(%(muted_tags)s::bigint[]) > 0 AND p.author_id <> %(user)s AND EXISTS (
        SELECT 1 FROM hashtags_taggedpost AS mt
        WHERE mt.content_object_id = p.id AND mt.tag_id = ANY(%(muted_tags)s::bigint[])))"""

_PER_SOURCE_SQL = """
SELECT id, created_at FROM (
    SELECT p.id, p.created_at
    FROM unnest(%(authors)s::bigint[]) AS a(author_id)
    CROSS JOIN LATERAL (
        SELECT id, created_at FROM posts_post AS p
        WHERE author_id = a.author_id AND (created_at, id) < (%(ts)s, %(pk)s)
            AND {visible} AND {not_muted}{in_languages}
        ORDER BY created_at DESC, id DESC LIMIT %(n)s
    ) p
    UNION
    SELECT p.id, p.created_at
    FROM unnest(%(groups)s::bigint[]) AS gr(group_id)
    CROSS JOIN LATERAL (
        SELECT id, created_at FROM posts_post AS p
        WHERE group_id = gr.group_id AND (created_at, id) < (%(ts)s, %(pk)s)
            AND {visible} AND {not_muted}{in_languages}
        ORDER BY created_at DESC, id DESC LIMIT %(n)s
    ) p
    UNION
    SELECT t.content_object_id, t.created_at
    FROM unnest(%(tags)s::bigint[]) AS tg(tag_id)
    CROSS JOIN LATERAL (
        SELECT t.content_object_id, t.created_at
        FROM hashtags_taggedpost AS t JOIN posts_post AS p ON p.id = t.content_object_id
        WHERE t.tag_id = tg.tag_id AND (t.created_at, t.content_object_id) < (%(ts)s, %(pk)s)
            AND {visible} AND {not_muted}{in_languages}
        ORDER BY t.created_at DESC, t.content_object_id DESC LIMIT %(n)s
    ) t
) candidates
ORDER BY created_at DESC, id DESC
LIMIT %(n)s
"""
# One walk down posts_newest, stopping at the first page. OFFSET 0 keeps the hashtag test a
# probe of the (post, tag) index for each post walked: without it PostgreSQL, not counting on
# the LIMIT, first hashes every link of every followed hashtag (130k rows, ~50 ms, for the
# heavy follower of bench/feed.py; ~0.5 ms with the probe). The cardinality test is folded at
# planning time and spares the probes when no hashtag is followed.
_SINGLE_QUERY_SQL = """
SELECT id, created_at FROM posts_post AS p
WHERE (created_at, id) < (%(ts)s, %(pk)s)
    AND (author_id = ANY(%(authors)s::bigint[])
        OR group_id = ANY(%(groups)s::bigint[])
        OR cardinality(%(tags)s::bigint[]) > 0 AND EXISTS (
            SELECT 1 FROM hashtags_taggedpost AS t
            WHERE t.content_object_id = p.id AND t.tag_id = ANY(%(tags)s::bigint[])
            OFFSET 0
        ))
    AND {visible} AND {not_muted}{in_languages}
ORDER BY created_at DESC, id DESC
LIMIT %(n)s
"""
# The viewer's choice to see only posts in the languages they read. A post of unknown
# language ("") always stays, and so do the viewer's own posts (a post one just wrote never
# seems lost). A filter on the rows already read, like muting: no index of its own
# (bench/language.py --feed measures it).
_IN_LANGUAGES_SQL = """
    AND (p.language = '' OR p.language = ANY(%(languages)s::varchar[]) OR p.author_id = %(user)s)"""
_FAR_FUTURE = datetime.fromisoformat("9999-12-31T00:00:00+00:00")


def _id_array(ids: Iterable[int]) -> str:
    # As array literals ('{1,2,3}'): for a thousand ids, parsed ~3 ms faster than ARRAY[...].
    return "{" + ",".join(str(pk) for pk in ids) + "}"


@dataclass
class FeedSources:
    """What a home feed is made of, from the viewer's ties: people, hashtags and groups
    followed (a membership is a follow), less what the viewer muted."""

    people: set[int]
    tags: set[int]
    groups: set[int]
    muted_groups: set[int]
    muted_authors: set[int]
    muted_tags: set[int]

    @classmethod
    def of(cls, viewer: Viewer) -> FeedSources:
        ties = viewer.ties
        muted_people, muted_tags = ties.muted_people, ties.muted_tags
        return cls(
            people=ties.following - muted_people,
            tags=ties.hashtags - muted_tags,
            groups=ties.member_groups - ties.muted_groups,
            muted_groups=ties.muted_groups,
            muted_authors=muted_people - {viewer.pk},
            muted_tags=muted_tags,
        )

    @property
    def count(self) -> int:
        return len(self.people) + 1 + len(self.tags) + len(self.groups)


def feed_languages(viewer: Viewer) -> list[str]:
    """The languages the viewer limited their home feed to, or [] for every language (the
    default: the choice is off, or they named no language they read). Read from the user
    row the request already has: no query."""
    user = viewer.user
    if viewer.pk is None or not user.only_read_languages_in_feed:
        return []
    known = dict(settings.LANGUAGES)
    return sorted({code for code in user.reads_languages or () if code in known})


def home_candidates(
    viewer: Viewer, sources: FeedSources, cursor: Cursor | None, limit: int
) -> list[tuple[int, datetime]]:
    """Ids and times of the newest `limit + 1` posts from the viewer's sources after `cursor`
    that the viewer may see, in one query (bench/feed.py times it); only posts in the
    languages the viewer reads (or of unknown language) if they chose so."""
    template = _PER_SOURCE_SQL if sources.count <= PER_SOURCE_MAX else _SINGLE_QUERY_SQL
    languages = feed_languages(viewer)
    sql = template.format(
        visible=post_sql(viewer.standing, "p", SqlFacts()),
        not_muted=_NOT_MUTED_SQL,
        in_languages=_IN_LANGUAGES_SQL if languages else "",
    )
    ties = viewer.ties
    params = {
        "authors": _id_array(sorted(sources.people | {viewer.row_id})),
        "tags": _id_array(sorted(sources.tags)),
        "groups": _id_array(sorted(sources.groups)),
        "member_groups": _id_array(sorted(ties.member_groups)),
        "blocked": _id_array(sorted(ties.blocked)),
        "muted_groups": _id_array(sorted(sources.muted_groups)),
        "muted_authors": _id_array(sorted(sources.muted_authors)),
        "muted_tags": _id_array(sorted(sources.muted_tags)),
        "user": viewer.pk,
        "ts": cursor.created_at if cursor else _FAR_FUTURE,
        "pk": cursor.id if cursor else 2**62,
        "n": limit + 1,
        "languages": languages,
    }
    with connection.cursor() as cur:
        cur.execute(sql, params)
        return list(cur.fetchall())


def _followed_tags_on(posts: Sequence[Post], followed: Set[int]) -> defaultdict[int, list[str]]:
    """The names of the followed hashtags each post carries, in the order they were linked:
    one query of names, and none when the viewer follows no hashtag."""
    names: defaultdict[int, list[str]] = defaultdict(list)
    if followed and posts:
        rows = (
            TaggedPost.objects.filter(
                content_object_id__in=[p.pk for p in posts], tag_id__in=sorted(followed)
            )
            .order_by("id")
            .values_list("content_object_id", "tag__name")
        )
        for post_id, name in rows:
            names[post_id].append(name)
    return names


def home_feed(user: User | Viewer, *, cursor: Cursor | None = None, limit: int = 20) -> FeedPage:
    """The user's own posts and posts by the people, hashtags and groups they follow (a
    membership is a follow, unless muted), newest first, each with the reasons it is there;
    if the user chose so, only posts in the languages they read, of unknown language, or
    their own.
    Never returns a post the user may not see, nor one by someone blocked either way.

    Pull model: computed at read time from follows, in a fixed number of queries."""
    viewer = as_viewer(user)
    if not viewer.can_use_site:
        return FeedPage([], None)
    sources = FeedSources.of(viewer)
    candidates = home_candidates(viewer, sources, cursor, limit)
    posts, next_cursor = _load_page(viewer, candidates, limit)
    followed_tags = _followed_tags_on(posts, sources.tags)
    items = []
    for post in posts:
        reasons = []
        if post.author_id == viewer.pk:
            reasons.append(_("your post"))
        elif post.author_id in sources.people:
            reasons.append(_("you follow @%(name)s") % {"name": post.author.username})
        if post.group is not None and post.group_id in sources.groups:
            reasons.append(_("you are in %(group)s") % {"group": post.group.name})
        reasons += [_("you follow #%(tag)s") % {"tag": name} for name in followed_tags[post.pk]]
        items.append(FeedItem(post, reasons))
    return FeedPage(items, next_cursor)


# --- single posts and threads -------------------------------------------------------------


def get_visible_post(user: User | Viewer, pk: int) -> Post | None:
    """The post if the user may see it, else None (callers answer 404 either way). A post
    opened by its link shows also when a block stands between reader and author."""
    viewer = as_viewer(user)
    post = with_post_details(visible_posts(viewer, hide_blocked=False).filter(pk=pk)).first()
    if post is not None:
        _mark_liked(viewer, [post])
    return post


def refresh_counts(post: Post) -> None:
    """The post's like and comment counts read again (after a like or a comment), without
    reading the post through the policy again: the caller already did."""
    counts = Post.objects.filter(pk=post.pk).values("like_count", "comment_count").first()
    if counts is not None:
        post.like_count = counts["like_count"]
        post.comment_count = counts["comment_count"]


def thread(user: User | Viewer, post: Post) -> QuerySet[Comment]:
    """The post's comments, oldest first, if the user may see the post; a question's accepted
    answer comes first. The conversation stays whole: blocks do not cut it."""
    comments = visible_comments(user, hide_blocked=False).filter(post=post).select_related("author")
    if post.accepted_answer_id is None:
        return comments.order_by("created_at", "id")
    accepted = ExpressionWrapper(Q(pk=post.accepted_answer_id), output_field=BooleanField())
    return comments.annotate(is_accepted=accepted).order_by("-is_accepted", "created_at", "id")


# --- questions ------------------------------------------------------------------------------


def questions(
    user: User | Viewer,
    *,
    answered: bool = False,
    group: Group | None = None,
    hashtag: Hashtag | None = None,
    cursor: Cursor | None = None,
    limit: int = 20,
) -> FeedPage:
    """Questions the user may see, newest first: the open ones (no accepted answer yet), or
    with `answered` the answered ones; optionally only in one group or with one hashtag.
    Open questions are walked off their own partial index (posts_open_questions). Nothing
    by someone blocked either way."""
    viewer = as_viewer(user)
    qs = visible_posts(viewer).filter(is_question=True, accepted_answer__isnull=not answered)
    if group is not None:
        qs = qs.filter(group=group)
    if hashtag is not None:
        qs = qs.filter(pk__in=TaggedPost.objects.filter(tag=hashtag).values("content_object_id"))
    return _stream(viewer, qs, cursor, limit, hide_blocked=True)
