"""Search among tens of thousands of posts finds what each person may see, and only that,
whatever plan PostgreSQL picks (plans and timings are printed by bench/search.py, not
asserted here: they depend on the machine and the PostgreSQL version)."""

from __future__ import annotations

import pytest
from django.db import connection

from esn.textsearch import query_words
from groups.models import Group
from posts.models import Post
from posts.search import match_posts, search_page
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
                    || ' on the weekly plan' || CASE WHEN g IN (4240, 4243) THEN ' zygomorphic' ELSE ''
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


def _found(user, text: str) -> tuple[int, list[Post]]:
    matches = match_posts(user, query_words(text))
    return matches.total, [hit.post for hit in search_page(user, matches).hits]


@pytest.mark.parametrize("viewer", ["employee", "guest"])
def test_a_rare_word_among_many_finds_exactly_what_the_viewer_may_see(member, colleague, viewer):
    group = make_group(colleague, Group.Kind.PRIVATE, name="Plans", allow_guests=True)
    guest = UserFactory(username="gil.guest", is_guest=True, sponsor=colleague)
    add_member(group, colleague, guest)
    _fill(colleague.pk, group.pk)
    in_group = Post.objects.get(body__contains="zygomorphic", group=group)
    company_wide = Post.objects.get(body__contains="zygomorphic", group__isnull=True)

    total, posts = _found(member if viewer == "employee" else guest, "zygomorphic")

    # Each post matches twice (itself and its comment) and is listed once. The employee is
    # not in the private group; the guest sees only their group.
    expected = company_wide if viewer == "employee" else in_group
    assert posts == [expected]
    assert total == 1
