"""Who may see a post or a comment (ARCHITECTURE.md rule 1).

- Nobody signed out, deactivated or past their guest end date sees anything.
- Removed posts and comments are hidden from everyone (moderators reach them through the
  moderation queue, authors through `removed_post_for_author`).
- A company-wide post (in no group) is for employees; a group post is for whoever may read
  its group (`access.groups.read_rule`, the same definition).
- A comment is as visible as its post.
- Blocking: by default nothing by someone the viewer blocked, or who blocked the viewer.
  The surfaces that deliberately show a whole conversation say so with
  `hide_blocked=False`: a group's page, a post opened by its link (and its images and
  comments), a person's profile, the inbox (its rows were addressed to the viewer).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db.models import Q, QuerySet

from access import terms
from access.groups import read_rule
from access.rules import NOTHING, Rule, SqlFacts, Via, either, every
from access.viewer import Standing, as_viewer
from posts.models import Comment, Post


def post_rule(standing: Standing, *, hide_blocked: bool = True) -> Rule:
    if standing not in (Standing.GUEST, Standing.EMPLOYEE, Standing.ADMIN):
        return NOTHING
    audience = read_rule(standing, at="group")
    if standing is not Standing.GUEST:
        audience = either(terms.company_wide(), audience)
    rule = every(terms.not_removed(), audience)
    return every(rule, terms.not_blocked("author")) if hide_blocked else rule


def comment_rule(standing: Standing, *, hide_blocked: bool = True) -> Rule:
    rule = every(terms.not_removed(), Via("post", post_rule(standing, hide_blocked=hide_blocked)))
    return every(rule, terms.not_blocked("author")) if hide_blocked else rule


# --- posts ----------------------------------------------------------------------------------


def visible_post_q(who: Any, prefix: str = "", *, hide_blocked: bool = True) -> Q:
    """The policy as a condition on a post row, or, with `prefix` ("post__"), on the post a
    relation points at: a list of other things (inbox rows, hashtag links) is filtered by the
    same rule with a join, not by an `IN (every visible post)` subquery."""
    viewer = as_viewer(who)
    return post_rule(viewer.standing, hide_blocked=hide_blocked).q(viewer, prefix)


def visible_posts(who: Any, *, hide_blocked: bool = True) -> QuerySet[Post]:
    """All posts the viewer may see, and nothing else."""
    viewer = as_viewer(who)
    if not viewer.can_use_site:
        return Post.objects.none()
    return Post.objects.filter(visible_post_q(viewer, hide_blocked=hide_blocked))


def can_view_post(who: Any, post: Post, *, hide_blocked: bool = True) -> bool:
    """The per-object form of `visible_posts`: True iff that queryset contains `post`."""
    viewer = as_viewer(who)
    if post.pk is None:
        return False
    return post_rule(viewer.standing, hide_blocked=hide_blocked).holds(viewer, post)


def visible_post_ids(who: Any, posts: Iterable[Post], *, hide_blocked: bool = True) -> set[int]:
    """The batch form: which of `posts` the viewer may see, on ties read at most once."""
    viewer = as_viewer(who)
    rule = post_rule(viewer.standing, hide_blocked=hide_blocked)
    return {p.pk for p in posts if p.pk is not None and rule.holds(viewer, p)}


def removed_post_for_author(who: Any, pk: int) -> Post | None:
    """A moderator-removed post, for its own author only (to show them why)."""
    viewer = as_viewer(who)
    if not viewer.can_use_site:
        return None
    return (
        Post.objects.filter(pk=pk, author_id=viewer.pk, removed_at__isnull=False)
        .select_related("group")
        .first()
    )


def post_sql(
    standing: Standing,
    alias: str = "p",
    facts: SqlFacts | None = None,
    *,
    hide_blocked: bool = True,
) -> str:
    """The rule as SQL on the post row `alias`, for the hand-tuned feed query."""
    return post_rule(standing, hide_blocked=hide_blocked).sql(alias, facts or SqlFacts())


def post_sql_by_standing(column: str, alias: str, facts: SqlFacts) -> str:
    """The rule for whoever `column` (a text column holding a `Standing`) says the viewer is:
    for the digest query, which builds many people's digests in one statement."""
    cases = [
        f"{column} = '{standing.value}' AND {post_sql(standing, alias, facts)}"
        for standing in (Standing.ADMIN, Standing.EMPLOYEE, Standing.GUEST)
    ]
    return "(" + " OR ".join(cases) + ")"


def live_q(prefix: str = "") -> Q:
    """Not removed by a moderator (a post or comment, or with `prefix` the one a relation
    points at): for writes and events that must not act on removed content."""
    return Q(**{f"{prefix}removed_at__isnull": True})  # access.terms.not_removed, as a Q


def removed_q(prefix: str = "") -> Q:
    """Removed by a moderator: the moderation queue's own list, for those who moderate."""
    return ~live_q(prefix)


# --- comments -------------------------------------------------------------------------------


def visible_comment_q(who: Any, prefix: str = "", *, hide_blocked: bool = True) -> Q:
    viewer = as_viewer(who)
    return comment_rule(viewer.standing, hide_blocked=hide_blocked).q(viewer, prefix)


def visible_comments(who: Any, *, hide_blocked: bool = True) -> QuerySet[Comment]:
    """Comments are exactly as visible as their post; removed ones are hidden."""
    viewer = as_viewer(who)
    if not viewer.can_use_site:
        return Comment.objects.none()
    return Comment.objects.filter(visible_comment_q(viewer, hide_blocked=hide_blocked))


def can_view_comment(who: Any, comment: Comment, *, hide_blocked: bool = True) -> bool:
    viewer = as_viewer(who)
    return comment_rule(viewer.standing, hide_blocked=hide_blocked).holds(viewer, comment)


def visible_comment_ids(
    who: Any, comments: Iterable[Comment], *, hide_blocked: bool = True
) -> set[int]:
    """The batch form for comments (their posts loaded with them)."""
    viewer = as_viewer(who)
    rule = comment_rule(viewer.standing, hide_blocked=hide_blocked)
    return {c.pk for c in comments if rule.holds(viewer, c)}
