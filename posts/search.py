"""Full-text search of posts and comments (the Posts tab of the search page).

Matching is PostgreSQL's: the GIN-indexed `search_vector` columns of posts and comments
(`simple` configuration, accents folded; see esn/textsearch.py) against `prefix_query`.
Every read starts from the visibility policy (`visible_post_q`, `visible_comments`): a
comment is exactly as visible as its post, and nothing hidden reaches a result, a snippet
or a count.

Cost is bounded whatever the query: each of the two lookups (posts, comments) takes at most
the newest RANK_WINDOW matches, ranks those (`ts_rank`), and the page shows at most
MAX_PAGES pages of them. A common word therefore costs a walk down the time index that stops
after RANK_WINDOW matches; a rare one an index lookup in `posts_search`. Both sorts ("Best
match" and "Newest") page through that window by page number (bounded OFFSET in Python, never
in SQL). bench/search.py measures it at 10k, 100k and 1M posts.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from django.contrib.postgres.search import SearchRank
from django.db import connection, transaction
from django.db.models import F, QuerySet
from django.utils import timezone
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from access.posts import visible_comments, visible_posts
from access.viewer import as_viewer
from esn.textsearch import fold, prefix_query
from groups.models import Group
from hashtags.models import Hashtag
from people.models import User
from posts.models import Comment, Post

PER_PAGE = 20
MAX_PAGES = 10
# Newest matches ranked per lookup. At 1M posts a word in 5% of them costs ~20k rows walked
# on the time index to find 1,000 (bench/README.md).
RANK_WINDOW = 1000

SORT_BEST = "best"
SORT_NEWEST = "newest"


@dataclass(frozen=True)
class PostFilters:
    """Narrowing a search. `author` and the dates apply to what matched (the post, or the
    comment); group, hashtag and "questions only" to the post the match belongs to. The
    objects are ones the viewer may know (the view resolves them through the policy)."""

    author: User | None = None
    group: Group | None = None
    hashtag: Hashtag | None = None
    since: date | None = None
    until: date | None = None
    questions_only: bool = False


@dataclass
class _Match:
    post_id: int
    rank: float = 0.0
    when: datetime | None = None  # the newest matching item: the post or a comment
    post_matched: bool = False
    comment_id: int | None = None
    comment_rank: float = -1.0


@dataclass
class PostHit:
    post: Post
    snippet: SafeString
    comment: Comment | None = None
    comment_snippet: SafeString = field(default_factory=lambda: mark_safe(""))  # noqa: S308


@dataclass
class PostMatches:
    """The posts matching a search, within the window: ids and ranks only (two queries)."""

    words: list[str]
    matches: list[_Match]
    more: bool  # a lookup filled its window: more posts match than `total` says

    @property
    def total(self) -> int:
        return len(self.matches)

    @property
    def pages(self) -> int:
        return min(MAX_PAGES, -(-self.total // PER_PAGE))


@dataclass
class PostPage:
    hits: list[PostHit]
    number: int
    pages: int

    @property
    def has_previous(self) -> bool:
        return self.number > 1

    @property
    def has_next(self) -> bool:
        return self.number < self.pages


def _day_start(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


def _filtered(qs: QuerySet, filters: PostFilters, *, post: str) -> QuerySet:
    """`post` is the path from the queryset's rows to their post ("" or "post__")."""
    if filters.author is not None:
        qs = qs.filter(author=filters.author)
    if filters.since is not None:
        qs = qs.filter(created_at__gte=_day_start(filters.since))
    if filters.until is not None:
        qs = qs.filter(created_at__lt=_day_start(filters.until + timedelta(days=1)))
    if filters.group is not None:
        qs = qs.filter(**{f"{post}group": filters.group})
    if filters.hashtag is not None:
        qs = qs.filter(**{f"{post}tagged_items__tag": filters.hashtag})
    if filters.questions_only:
        qs = qs.filter(**{f"{post}is_question": True})
    return qs


def matching_posts(user: User, words: list[str], filters: PostFilters) -> QuerySet[Post]:
    """Posts `user` may see whose own text matches `words` (all of them, the last one as a
    prefix). Never a post the user may not see."""
    query = prefix_query(words)
    if query is None:
        return Post.objects.none()
    found = visible_posts(user).filter(search_vector=query)
    return _filtered(found, filters, post="")


def matching_comments(user: User, words: list[str], filters: PostFilters) -> QuerySet[Comment]:
    """Comments `user` may see (on posts they may see, not removed) whose text matches."""
    query = prefix_query(words)
    if query is None:
        return Comment.objects.none()
    # Blocking hides both people's words from each other (the policy's default): comments
    # by either, and comments under the other's posts (which lead to those posts).
    found = visible_comments(user).filter(search_vector=query)
    return _filtered(found, filters, post="post__")


def match_posts(user: User, words: list[str], filters: PostFilters | None = None) -> PostMatches:
    """Which posts match, with their rank: the newest RANK_WINDOW matching posts and the
    newest RANK_WINDOW matching comments, each ranked with `ts_rank`. A post found through a
    comment carries its best-ranked matching comment. Where the posts fill their window, only
    comments at least as new as the oldest of those posts are looked up: an older comment
    belongs to an older post, which the window leaves out unless a newer comment brings it
    in (its rank and shown comment then come from the newer comments). Three queries (the planner's estimate and the two lookups), four for a very common word (see
    _PLANNER below)."""
    filters = filters or PostFilters()
    query = prefix_query(words)
    if query is None:
        return PostMatches(words, [], more=False)
    rank = SearchRank(F("search_vector"), query)
    common = _planned_matches(Post.objects.filter(search_vector=query)) > COMMON_WORD_ROWS
    newest_posts = (
        matching_posts(user, words, filters).order_by("-created_at", "-id").values("id")
    )[:RANK_WINDOW]
    with _walking_newest_first(common):
        post_rows = list(
            Post.objects.filter(pk__in=newest_posts)
            .annotate(rank=rank)
            .values_list("id", "created_at", "rank")
        )
    posts_cutoff = min(row[1] for row in post_rows) if len(post_rows) == RANK_WINDOW else None
    comments = matching_comments(user, words, filters)
    if posts_cutoff is not None:
        comments = comments.filter(created_at__gte=posts_cutoff)
    if common and as_viewer(user).is_guest:
        # The same comments, asked from the guest's side: the posts they may read (their
        # groups' few thousand), then those posts' comments. Otherwise PostgreSQL reads
        # every comment with the word (13,000 to 41,000 at 1M posts) and keeps the few on
        # those posts. For an employee, who may read nearly everything, this would be the
        # slow way round (bench/README.md, issue 16).
        comments = comments.filter(post__in=visible_posts(user).values("pk"))
    newest_comments = comments.order_by("-created_at", "-id").values("id")[:RANK_WINDOW]
    comment_rows = list(
        Comment.objects.filter(pk__in=newest_comments)
        .annotate(rank=rank)
        .order_by()
        .values_list("post_id", "id", "created_at", "rank")
    )

    found: dict[int, _Match] = {}
    for post_id, created_at, post_rank in post_rows:
        found[post_id] = _Match(post_id, post_rank, created_at, post_matched=True)
    for post_id, comment_id, created_at, comment_rank in comment_rows:
        match = found.setdefault(post_id, _Match(post_id))
        match.rank = max(match.rank, comment_rank)
        match.when = max(match.when, created_at) if match.when else created_at
        if comment_rank > match.comment_rank:
            match.comment_id, match.comment_rank = comment_id, comment_rank
    matches = list(found.values())

    # Where a lookup stopped at its window, older matches of the other lookup would be
    # listed with gaps between them: keep only what both windows cover.
    cutoffs = [posts_cutoff] if posts_cutoff is not None else []
    if len(comment_rows) == RANK_WINDOW:
        cutoffs.append(min(row[2] for row in comment_rows))
    if cutoffs:
        oldest = max(cutoffs)
        matches = [m for m in matches if m.when >= oldest]
    return PostMatches(words, matches, more=bool(cutoffs))


# _PLANNER: each lookup reads at most RANK_WINDOW rows and PostgreSQL picks how, with one
# correction for very common words, measured at 1M posts (bench/README.md, issue 16). For a
# word in tens of thousands of posts the planner prices the GIN lookup far below its cost
# (reading the 160,000 entries of such a word in `posts_search` took 40 ms) and combines it
# with the viewer's few groups (a guest) or a group filter, where walking those posts newest
# first and stopping at the window takes 10 ms; and for every viewer it may start parallel
# workers, which cost more to start on a busy machine than the bounded walk takes. So for
# such words the posts lookup runs without bitmap scans and without parallel workers.
# Whether a word is that common is the planner's own estimate (ANALYZE keeps the most
# common words of `search_vector`), read with an EXPLAIN of the bare match: no row is read.
COMMON_WORD_ROWS = 20_000


def _planned_matches(queryset: QuerySet) -> int:
    """How many rows PostgreSQL expects `queryset` to return: an EXPLAIN, no rows read."""
    sql, params = queryset.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN (FORMAT JSON) {sql}", params)
        (plan,) = cursor.fetchone()
    if isinstance(plan, str):
        plan = json.loads(plan)
    return int(plan[0]["Plan"]["Plan Rows"])


_WALK_SETTINGS = ("max_parallel_workers_per_gather", "enable_bitmapscan", "enable_seqscan", "jit")


@contextmanager
def _walking_newest_first(common: bool) -> Iterator[None]:
    """For a common word, the queries inside run without bitmap scans or parallel workers
    (SET LOCAL: this transaction only, restored on leaving when it is someone else's)."""
    if not common:
        yield
        return
    nested = connection.in_atomic_block
    with transaction.atomic(savepoint=False), connection.cursor() as cursor:
        cursor.execute(
            "SET LOCAL max_parallel_workers_per_gather = 0; SET LOCAL enable_bitmapscan = off; "
            "SET LOCAL enable_seqscan = off; SET LOCAL jit = off"
        )
        yield
        if nested:
            cursor.execute("; ".join(f"RESET {name}" for name in _WALK_SETTINGS))


def search_page(
    user: User, matches: PostMatches, *, sort: str = SORT_BEST, page: int = 1
) -> PostPage:
    """One page of hits (at most PER_PAGE, page 1 to MAX_PAGES), in two queries: the posts
    and the matching comments, both re-read through the visibility policy."""
    if sort == SORT_NEWEST:
        ordered = sorted(matches.matches, key=lambda m: (m.when, m.post_id), reverse=True)
    else:
        ordered = sorted(matches.matches, key=lambda m: (m.rank, m.when, m.post_id), reverse=True)
    pages = max(1, matches.pages)
    number = min(max(1, page), pages)
    chosen = ordered[(number - 1) * PER_PAGE : number * PER_PAGE]
    if not chosen:
        return PostPage([], number, pages)
    posts = visible_posts(user).filter(pk__in=[m.post_id for m in chosen])
    by_id = {p.pk: p for p in posts.select_related("author", "group")}
    comment_ids = [m.comment_id for m in chosen if m.comment_id is not None]
    comments = {}
    if comment_ids:
        comments = visible_comments(user).filter(pk__in=comment_ids).select_related("author")
        comments = {c.pk: c for c in comments}
    hits = []
    for match in chosen:
        post = by_id.get(match.post_id)
        if post is None:
            continue  # hidden or removed since the match was read
        comment = comments.get(match.comment_id)
        hits.append(
            PostHit(
                post=post,
                snippet=highlight(post.plain_text, matches.words if match.post_matched else []),
                comment=comment,
                comment_snippet=highlight(comment.plain_text, matches.words)
                if comment
                else mark_safe(""),  # noqa: S308
            )
        )
    return PostPage(hits, number, pages)


# --- highlighting ---------------------------------------------------------------------------

# Tokens as PostgreSQL's parser sees words: letters and digits; `_` separates.
_TOKEN = re.compile(r"[^\W_]+")
SNIPPET_LENGTH = 260
_LEAD = 70


def _matcher(words: list[str]):
    parts = [[p for p in re.split(r"_+", fold(w)) if p] for w in words]
    exact = {p for group in parts[:-1] for p in group}
    last = parts[-1] if parts else []
    exact.update(last[:-1])
    prefix = last[-1] if last else None

    def matches(token: str) -> bool:
        folded = fold(token)
        return folded in exact or (prefix is not None and folded.startswith(prefix))

    return matches


def highlight(text: str, words: list[str], *, length: int = SNIPPET_LENGTH) -> SafeString:
    """An excerpt of `text` around its first matching word, every matching word in <mark>.
    Everything else is escaped: the only markup in the result is our own <mark> tags.

    PostgreSQL decided that the text matches; this only shows where, folding accents the way
    `esn_unaccent` does (near enough: a word it cannot place is simply not marked)."""
    text = " ".join((text or "").split())
    matches = _matcher(words) if words else None
    found = [m for m in _TOKEN.finditer(text) if matches and matches(m.group())]
    start = 0
    if found and found[0].start() > _LEAD:
        start = text.rfind(" ", 0, found[0].start() - _LEAD) + 1
    end = len(text)
    if end - start > length:
        end = text.rfind(" ", start, start + length)
        end = end if end > start else start + length
    pieces = ["…" if start else ""]
    at = start
    for m in found:
        if m.start() < start:
            continue
        if m.end() > end:
            break
        pieces += [escape(text[at : m.start()]), "<mark>", escape(m.group()), "</mark>"]
        at = m.end()
    pieces.append(escape(text[at:end]))
    if end < len(text):
        pieces.append("…")
    return mark_safe("".join(pieces))  # noqa: S308 -- every piece of the text is escaped
