"""Reads of posts and comments, and THE visibility policy (ARCHITECTURE.md rule 1).

Every read path (feeds, profile, hashtag pages, post detail, comments, images, counts)
starts from `visible_posts(user)` or asks `can_view_post(user, post)`. Both must always
agree; tests/posts/test_visibility.py checks that they do.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from django.db import connection
from django.db.models import BooleanField, ExpressionWrapper, Prefetch, Q, QuerySet
from django.utils.translation import gettext as _

from groups.models import Group, Membership
from groups.selectors import can_use_site, is_admin, member_group_ids
from hashtags.models import Hashtag, TaggedPost
from people.models import Block, User
from people.selectors import blocked_either_way_q
from posts.models import Comment, Post, Reaction

# Up to this many followed sources (people, hashtags and the user) the feed takes the newest
# posts of each source from its own index: the cost grows with the number of sources, whatever
# they post. Above it one query walks the global time index until a page is found: fast when
# the sources are busy, slow when they are quiet, and slower as the table grows. See
# ARCHITECTURE.md rule 2. bench/feed.py, 1M posts, 2 cores: per-source ~2 ms for 200 sources,
# ~5.5 ms for 500, ~10 ms for 1,000; the walk ~1-2 ms for busy sources, but ~30 ms for 100
# quiet ones, ~16 ms for 300, ~10 ms for 500. 500 keeps both sides' worst case near 10 ms.
PER_SOURCE_MAX = 500


def visible_post_q(user: User, prefix: str = "") -> Q:
    """The policy as a condition on a post row, or, with `prefix` ("post__"), on the post a
    relation points at: so a list of other things (inbox rows) is filtered by the same rule
    with a join, not by an `IN (every visible post)` subquery.

    - Nobody signed out, deactivated or past their guest end date sees anything.
    - Removed posts are hidden from everyone (moderators reach them through the queue).
    - Employees see company-wide posts, open groups' posts and their own groups' posts.
    - Guests see only the posts of groups they belong to.
    - Admins see every group's posts.
    """
    if not can_use_site(user):
        return Q(**{f"{prefix}pk__in": []})
    shown = Q(**{f"{prefix}removed_at__isnull": True})
    if is_admin(user):
        return shown
    in_my_groups = Q(**{f"{prefix}group__in": member_group_ids(user)})
    if user.is_guest:
        return shown & in_my_groups
    return shown & (
        Q(**{f"{prefix}group__isnull": True})
        | Q(**{f"{prefix}group__kind": Group.Kind.OPEN})
        | in_my_groups
    )


def visible_posts(user: User) -> QuerySet[Post]:
    """All posts `user` may see, and nothing else (the rules: `visible_post_q`)."""
    if not can_use_site(user):
        return Post.objects.none()
    return Post.objects.filter(visible_post_q(user))


def _may_view(user: User, post: Post, is_member) -> bool:
    """The per-object rule; `is_member()` is asked only when membership decides."""
    if not can_use_site(user) or post.pk is None or post.removed_at is not None:
        return False
    if is_admin(user):
        return True
    if post.group_id is None:
        return not user.is_guest
    if post.group.kind == Group.Kind.OPEN and not user.is_guest:
        return True
    return is_member()


def can_view_post(user: User, post: Post) -> bool:
    """The per-object form of `visible_posts`: True iff that queryset contains `post`."""
    return _may_view(
        user,
        post,
        lambda: Membership.objects.filter(user=user, group_id=post.group_id).exists(),
    )


def can_view_post_knowing(user: User, post: Post, member_group_ids: set[int]) -> bool:
    """`can_view_post` when the user's group ids are already loaded (batch work such as
    digests, which checks many people against many posts without a query per pair)."""
    return _may_view(user, post, lambda: post.group_id in member_group_ids)


def who_can_view_post(post: Post, user_ids: Iterable[int]) -> set[int]:
    """`can_view_post` for many people at once (who of them may see `post` now), in at most
    two queries: for inbox events addressed to several people."""
    ids = set(user_ids)
    if not ids or post.removed_at is not None:
        return set()
    members = set()
    if post.group_id is not None:
        members = set(
            Membership.objects.filter(group_id=post.group_id, user_id__in=ids).values_list(
                "user_id", flat=True
            )
        )
    return {
        person.pk
        for person in User.objects.filter(pk__in=ids)
        if _may_view(person, post, lambda person=person: person.pk in members)
    }


def blocked_authors_q(user: User, prefix: str = "") -> Q:
    """Rows written by someone `user` blocked or who blocked `user` (or, with `prefix`, whose
    related author is). Two small subqueries PostgreSQL hashes once: a stream that excludes
    them still walks its own index, and spends no extra round trip."""
    return blocked_either_way_q(user, f"{prefix}author_id")


def visible_comments(user: User) -> QuerySet[Comment]:
    """Comments are exactly as visible as their post; removed ones are hidden."""
    return Comment.objects.filter(post__in=visible_posts(user), removed_at__isnull=True)


def comment_refusal(*, post: Post, user: User) -> str:
    """Why `user` may not comment on `post` because of a block, or "" if no block stands in
    the way. Blocking works both ways here: the blocked person cannot reply into the blocker's
    threads, and the blocker cannot reply to the person they blocked (unblocking first is a
    deliberate step)."""
    if not user.is_authenticated or post.author_id == user.pk:
        return ""
    blocks = set(
        Block.objects.filter(
            Q(blocker_id=user.pk, blocked_id=post.author_id)
            | Q(blocker_id=post.author_id, blocked_id=user.pk)
        ).values_list("blocker_id", flat=True)
    )
    if user.pk in blocks:
        return _("You blocked %(name)s: unblock them to comment on their posts.") % {
            "name": post.author.display_name
        }
    if blocks:
        return _("You cannot comment on %(name)s's posts.") % {"name": post.author.display_name}
    return ""


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
    """What a rendered post needs, fetched in a fixed number of queries for any page size."""
    return qs.select_related("author", "group").prefetch_related(
        "images",
        Prefetch("tagged_items", queryset=TaggedPost.objects.select_related("tag").order_by("id")),
    )


def _load_page(
    user: User, candidates: Sequence[tuple[int, datetime]], limit: int
) -> tuple[list[Post], str | None]:
    """Fetch the first `limit` candidate ids (newest first) through the visibility policy.
    The cursor comes from the candidates, so posts hidden by the policy never stall paging."""
    page = list(candidates[:limit])
    next_cursor = Cursor(page[-1][1], page[-1][0]).encode() if len(candidates) > limit else None
    ids = [pk for pk, _ in page]
    by_id = (
        {p.pk: p for p in with_post_details(visible_posts(user).filter(pk__in=ids))} if ids else {}
    )
    posts = [by_id[pk] for pk in ids if pk in by_id]
    _mark_liked(user, posts)
    return posts, next_cursor


def _mark_liked(user: User, posts: Iterable[Post]) -> None:
    posts = list(posts)
    liked = set()
    if posts and user.is_authenticated:
        liked = set(
            Reaction.objects.filter(
                user=user, post_id__in=[p.pk for p in posts], kind=Reaction.Kind.LIKE
            ).values_list("post_id", flat=True)
        )
    for post in posts:
        post.liked_by_me = post.pk in liked


def _newest(qs: QuerySet[Post], cursor: Cursor | None, limit: int) -> list[tuple[int, datetime]]:
    return list(
        qs.filter(before_cursor(cursor))
        .order_by("-created_at", "-id")
        .values_list("id", "created_at")[: limit + 1]
    )


def all_stream(user: User, *, cursor: Cursor | None = None, limit: int = 20) -> FeedPage:
    """Every post the user may see, newest first, leaving out the posts of people the user
    blocked or who blocked the user."""
    qs = visible_posts(user).exclude(blocked_authors_q(user))
    posts, next_cursor = _load_page(user, _newest(qs, cursor, limit), limit)
    return FeedPage([FeedItem(p) for p in posts], next_cursor)


def posts_by(
    user: User, *, author: User, cursor: Cursor | None = None, limit: int = 20
) -> FeedPage:
    """A person's posts that `user` may see, newest first (profile page)."""
    qs = visible_posts(user).filter(author=author)
    posts, next_cursor = _load_page(user, _newest(qs, cursor, limit), limit)
    return FeedPage([FeedItem(p) for p in posts], next_cursor)


def posts_in_group(
    user: User, *, group: Group, cursor: Cursor | None = None, limit: int = 20
) -> FeedPage:
    """A group's posts that `user` may see, newest first (group page)."""
    qs = visible_posts(user).filter(group=group)
    posts, next_cursor = _load_page(user, _newest(qs, cursor, limit), limit)
    return FeedPage([FeedItem(p) for p in posts], next_cursor)


def pinned_in_group(user: User, *, group: Group) -> list[Post]:
    """The group's pinned posts (at most three), most recently pinned first."""
    posts = list(
        with_post_details(
            visible_posts(user).filter(group=group, pinned_at__isnull=False)
        ).order_by("-pinned_at")[:3]
    )
    _mark_liked(user, posts)
    return posts


def posts_tagged(
    user: User, *, hashtag: Hashtag, cursor: Cursor | None = None, limit: int = 20
) -> FeedPage:
    """Posts carrying `hashtag` that `user` may see, newest first, off the tag's own index;
    posts of people the user blocked or who blocked the user are left out."""
    candidates = list(
        TaggedPost.objects.filter(tag=hashtag, content_object__in=visible_posts(user))
        .exclude(blocked_authors_q(user, "content_object__"))
        .filter(before_cursor(cursor, id_field="content_object_id"))
        .order_by("-created_at", "-content_object_id")
        .values_list("content_object_id", "created_at")[: limit + 1]
    )
    posts, next_cursor = _load_page(user, candidates, limit)
    return FeedPage([FeedItem(p) for p in posts], next_cursor)


# --- the home feed ----------------------------------------------------------------------

# The feed's candidates are filtered by the same rules as `visible_posts`, written in SQL,
# so a page is never cut short by posts the viewer may not see; `_load_page` then fetches the
# rows through `visible_posts` itself, so a mistake here can only hide posts, never leak them.
_VISIBLE_SQL = {
    "admin": "p.removed_at IS NULL",
    "employee": """p.removed_at IS NULL AND (
        p.group_id IS NULL
        OR p.group_id = ANY(%(member_groups)s::bigint[])
        OR EXISTS (SELECT 1 FROM groups_group AS g WHERE g.id = p.group_id AND g.kind = 'open'))""",
    "guest": "p.removed_at IS NULL AND p.group_id = ANY(%(member_groups)s::bigint[])",
}
_NOT_MUTED_SQL = """(p.group_id IS NULL OR NOT p.group_id = ANY(%(muted_groups)s::bigint[]))
    AND NOT p.author_id = ANY(%(hidden_authors)s::bigint[])
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
            AND {visible} AND {not_muted}
        ORDER BY created_at DESC, id DESC LIMIT %(n)s
    ) p
    UNION
    SELECT p.id, p.created_at
    FROM unnest(%(groups)s::bigint[]) AS gr(group_id)
    CROSS JOIN LATERAL (
        SELECT id, created_at FROM posts_post AS p
        WHERE group_id = gr.group_id AND removed_at IS NULL
            AND (created_at, id) < (%(ts)s, %(pk)s) AND {not_muted}
        ORDER BY created_at DESC, id DESC LIMIT %(n)s
    ) p
    UNION
    SELECT t.content_object_id, t.created_at
    FROM unnest(%(tags)s::bigint[]) AS tg(tag_id)
    CROSS JOIN LATERAL (
        SELECT t.content_object_id, t.created_at
        FROM hashtags_taggedpost AS t JOIN posts_post AS p ON p.id = t.content_object_id
        WHERE t.tag_id = tg.tag_id AND (t.created_at, t.content_object_id) < (%(ts)s, %(pk)s)
            AND {visible} AND {not_muted}
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
    AND {visible} AND {not_muted}
ORDER BY created_at DESC, id DESC
LIMIT %(n)s
"""
_FAR_FUTURE = datetime.fromisoformat("9999-12-31T00:00:00+00:00")


def _id_array(ids: Iterable[int]) -> str:
    # As array literals ('{1,2,3}'): for a thousand ids, parsed ~3 ms faster than ARRAY[...].
    return "{" + ",".join(str(pk) for pk in ids) + "}"


# A person or hashtag set to "muted" in the person's notification settings stays followed
# but feeds nothing; a group's mute is on the membership. Besides the sources, the same round
# trip reads what keeps posts out whatever way they would come in: the people muted, blocked
# or blocking (their posts never reach the home feed), and the hashtags muted (posts carrying
# one stay out, except the viewer's own).
_SOURCES_SQL = """
SELECT 'person', f.followee_id, NULL, c.level IS NOT NULL
FROM people_follow AS f LEFT JOIN digests_sourcechoice AS c
    ON c.user_id = f.follower_id AND c.kind = 'person' AND c.object_id = f.followee_id
    AND c.level = 'muted'
WHERE f.follower_id = %(user)s
UNION ALL
SELECT 'tag', f.hashtag_id, h.name, c.level IS NOT NULL
FROM hashtags_hashtagfollow AS f JOIN hashtags_hashtag AS h ON h.id = f.hashtag_id
LEFT JOIN digests_sourcechoice AS c
    ON c.user_id = f.user_id AND c.kind = 'hashtag' AND c.object_id = f.hashtag_id
    AND c.level = 'muted'
WHERE f.user_id = %(user)s
UNION ALL
SELECT 'group', m.group_id, g.name, m.muted
FROM groups_membership AS m JOIN groups_group AS g ON g.id = m.group_id
WHERE m.user_id = %(user)s
UNION ALL
SELECT 'hide_' || c.kind, c.object_id, NULL, true
FROM digests_sourcechoice AS c
WHERE c.user_id = %(user)s AND c.kind IN ('person', 'hashtag') AND c.level = 'muted'
UNION ALL
SELECT 'hide_person', CASE WHEN b.blocker_id = %(user)s THEN b.blocked_id ELSE b.blocker_id END,
    NULL, true
FROM people_block AS b
WHERE b.blocker_id = %(user)s OR b.blocked_id = %(user)s
"""


@dataclass
class FeedSources:
    """What a user's home feed is made of: their choices, read once per page."""

    people: set[int]
    tags: dict[int, str]
    groups: dict[int, str]
    muted_groups: set[int]
    member_groups: set[int]
    hidden_authors: set[int] = field(default_factory=set)
    muted_tags: set[int] = field(default_factory=set)

    @classmethod
    def of(cls, user: User) -> FeedSources:
        # One round trip for the three kinds of source and what is kept out (this runs on
        # every home page).
        people, tags, groups, muted, member = set(), {}, {}, set(), set()
        hidden_authors, muted_tags = set(), set()
        with connection.cursor() as cur:
            cur.execute(_SOURCES_SQL, {"user": user.pk})
            for kind, pk, name, is_muted in cur.fetchall():
                if kind == "hide_person":
                    hidden_authors.add(pk)
                elif kind == "hide_hashtag":
                    muted_tags.add(pk)
                elif kind == "person":
                    if not is_muted:
                        people.add(pk)
                elif kind == "tag":
                    if not is_muted:
                        tags[pk] = name
                else:
                    member.add(pk)
                    if is_muted:
                        muted.add(pk)
                    else:
                        groups[pk] = name
        return cls(people, tags, groups, muted, member, hidden_authors, muted_tags)

    @property
    def count(self) -> int:
        return len(self.people) + 1 + len(self.tags) + len(self.groups)


def _home_candidates(
    user: User, sources: FeedSources, cursor: Cursor | None, limit: int
) -> list[tuple[int, datetime]]:
    """Ids and times of the newest `limit + 1` posts from the user's sources after `cursor`
    that the user may see, in one query."""
    viewer = "admin" if is_admin(user) else "guest" if user.is_guest else "employee"
    template = _PER_SOURCE_SQL if sources.count <= PER_SOURCE_MAX else _SINGLE_QUERY_SQL
    sql = template.format(visible=_VISIBLE_SQL[viewer], not_muted=_NOT_MUTED_SQL)
    params = {
        "authors": _id_array(sorted(sources.people | {user.pk})),
        "tags": _id_array(sorted(sources.tags)),
        "groups": _id_array(sorted(sources.groups)),
        "member_groups": _id_array(sorted(sources.member_groups)),
        "muted_groups": _id_array(sorted(sources.muted_groups)),
        "hidden_authors": _id_array(sorted(sources.hidden_authors - {user.pk})),
        "muted_tags": _id_array(sorted(sources.muted_tags)),
        "user": user.pk,
        "ts": cursor.created_at if cursor else _FAR_FUTURE,
        "pk": cursor.id if cursor else 2**62,
        "n": limit + 1,
    }
    with connection.cursor() as cur:
        cur.execute(sql, params)
        return list(cur.fetchall())


def home_feed(user: User, *, cursor: Cursor | None = None, limit: int = 20) -> FeedPage:
    """The user's own posts and posts by the people, hashtags and groups they follow (a
    membership is a follow, unless muted), newest first, each with the reasons it is there.
    Never returns a post the user may not see.

    Pull model: computed at read time from follows, in a fixed number of queries."""
    if not can_use_site(user):
        return FeedPage([], None)
    sources = FeedSources.of(user)
    candidates = _home_candidates(user, sources, cursor, limit)
    posts, next_cursor = _load_page(user, candidates, limit)
    items = []
    for post in posts:
        reasons = []
        if post.author_id == user.pk:
            reasons.append(_("your post"))
        elif post.author_id in sources.people:
            reasons.append(_("you follow @%(name)s") % {"name": post.author.username})
        if post.group_id in sources.groups:
            reasons.append(_("you are in %(group)s") % {"group": sources.groups[post.group_id]})
        reasons += [
            _("you follow #%(tag)s") % {"tag": sources.tags[t.tag_id]}
            for t in post.tagged_items.all()
            if t.tag_id in sources.tags
        ]
        items.append(FeedItem(post, reasons))
    return FeedPage(items, next_cursor)


# --- single posts and threads -------------------------------------------------------------


def get_visible_post(user: User, pk: int) -> Post | None:
    """The post if the user may see it, else None (callers answer 404 either way)."""
    post = with_post_details(visible_posts(user).filter(pk=pk)).first()
    if post is not None:
        _mark_liked(user, [post])
    return post


def removed_post_of(user: User, pk: int) -> Post | None:
    """A moderator-removed post, for its own author only (to show them why)."""
    if not can_use_site(user):
        return None
    return (
        Post.objects.filter(pk=pk, author=user, removed_at__isnull=False)
        .select_related("group")
        .first()
    )


def thread(user: User, post: Post) -> QuerySet[Comment]:
    """The post's comments, oldest first, if the user may see the post; a question's accepted
    answer comes first."""
    comments = visible_comments(user).filter(post=post).select_related("author")
    if post.accepted_answer_id is None:
        return comments.order_by("created_at", "id")
    accepted = ExpressionWrapper(Q(pk=post.accepted_answer_id), output_field=BooleanField())
    return comments.annotate(is_accepted=accepted).order_by("-is_accepted", "created_at", "id")


# --- questions ------------------------------------------------------------------------------


def questions(
    user: User,
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
    qs = (
        visible_posts(user)
        .filter(is_question=True, accepted_answer__isnull=not answered)
        .exclude(blocked_authors_q(user))
    )
    if group is not None:
        qs = qs.filter(group=group)
    if hashtag is not None:
        qs = qs.filter(pk__in=TaggedPost.objects.filter(tag=hashtag).values("content_object_id"))
    posts, next_cursor = _load_page(user, _newest(qs, cursor, limit), limit)
    return FeedPage([FeedItem(p) for p in posts], next_cursor)
