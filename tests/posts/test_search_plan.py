"""The search queries use the GIN indexes on their own: with enough rows for the planner to
weigh its options (no `enable_seqscan = off`), the plan of the very SQL `match_posts` runs
for a rare word reads `posts_search` and `comments_search`. bench/search.py shows the same at
10k, 100k and 1M posts."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from esn.textsearch import query_words
from groups.models import Group
from posts.search import match_posts
from tests.factories import UserFactory
from tests.groups.helpers import add_member, make_group

pytestmark = pytest.mark.django_db

ROWS = 30_000


def _fill(author_id: int, group_id: int) -> None:
    """ROWS posts and as many comments of ordinary words (a vocabulary of 3,000), a tenth of
    them in a group; two posts (one in the group) and their comments carry the rare word."""
    with connection.cursor() as cur:
        cur.execute(
            """
            INSERT INTO posts_post (body, body_html, like_count, comment_count, created_at,
                updated_at, author_id, comments_locked, removal_reason, group_id)
            SELECT b.body, '<p>' || b.body || '</p>', 0, 1,
                now() - g * interval '1 minute', now(), %(author)s, false, '',
                CASE WHEN g %% 10 = 0 THEN %(group)s END
            FROM generate_series(1, %(n)s) AS g,
                LATERAL (SELECT 'note w' || (g::bigint * 7919 %% 3000) || ' w' || (g::bigint * 104729 %% 3000)
                    || ' on the weekly plan' || CASE WHEN g IN (4240, 4242) THEN ' zygomorphic' ELSE ''
                    END AS body) AS b;
            INSERT INTO posts_comment (body, body_html, created_at, updated_at, author_id,
                post_id, removal_reason)
            SELECT b.body, '<p>' || b.body || '</p>', p.created_at, now(), %(author)s, p.id, ''
            FROM posts_post AS p,
                LATERAL (SELECT 'reply w' || (p.id * 31 %% 3000)
                    || CASE WHEN p.body LIKE '%%zygomorphic%%' THEN ' zygomorphic' ELSE '' END AS body) AS b;
            ANALYZE posts_post;
            ANALYZE posts_comment;
            """,
            {"author": author_id, "group": group_id, "n": ROWS},
        )


def _plans(user, text: str) -> list[str]:
    with CaptureQueriesContext(connection) as ctx:
        matches = match_posts(user, query_words(text))
    assert matches.total >= 1
    plans = []
    with connection.cursor() as cur:
        for query in ctx.captured_queries:
            cur.execute("EXPLAIN " + query["sql"])
            plans.append("\n".join(row[0] for row in cur.fetchall()))
    return plans


@pytest.mark.parametrize("viewer", ["employee", "guest"])
def test_a_rare_word_is_looked_up_in_the_gin_indexes(member, colleague, viewer):
    group = make_group(colleague, Group.Kind.PRIVATE, name="Plans", allow_guests=True)
    guest = UserFactory(username="gil.guest", is_guest=True, sponsor=colleague)
    add_member(group, colleague, guest)
    _fill(colleague.pk, group.pk)
    user = member if viewer == "employee" else guest

    posts_plan, comments_plan = _plans(user, "zygomorphic")

    assert "posts_search" in posts_plan, posts_plan
    assert "comments_search" in comments_plan, comments_plan
    assert "Seq Scan on posts_post" not in posts_plan, posts_plan
