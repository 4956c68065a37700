"""The search page's result card is built in Python (post_cards.search_hit), for speed: the
markup is the one the template it replaced produced (kept as search_hit_reference.html), for
every part of a hit, in every language and time zone, with everything typed escaped."""

from __future__ import annotations

import zoneinfo
from pathlib import Path

import pytest
from django.template import Context, Template
from django.utils import timezone, translation

from groups.models import Group, Membership
from people.models import User
from posts import services
from posts.models import Post
from posts.search import match_posts, search_page
from posts.templatetags.post_cards import search_hit
from tests.factories import UserFactory, make_post
from tests.groups.helpers import make_group

pytestmark = pytest.mark.django_db

REFERENCE = Template((Path(__file__).parent / "search_hit_reference.html").read_text())
HOSTILE = '<b>"Desk" & co</b>'


@pytest.fixture
def hits(member, colleague):
    hostile = UserFactory(username="hostile.one", first_name=HOSTILE, last_name="")
    guest = UserFactory(username="gus.guest", first_name="Gus", is_guest=True)
    group = make_group(colleague, Group.Kind.OPEN, name=HOSTILE)
    Membership.objects.get_or_create(user=member, group=group)
    Membership.objects.get_or_create(user=guest, group=group)
    Membership.objects.get_or_create(user=hostile, group=group)
    make_post(colleague, "A standing desk, day one")
    make_post(hostile, "My desk <script>alert(1)</script>", group=group)
    question = make_post(colleague, "Which desk should we order?", is_question=True)
    answer = services.add_comment(post=question, author=guest, body="The oak desk, surely")
    Post.objects.filter(pk=question.pk).update(accepted_answer=answer)
    found_by_comment = make_post(colleague, "Friday lunch")
    services.add_comment(post=found_by_comment, author=hostile, body="Bring a desk lamp")
    for n in range(3):
        make_post(guest, f"desk note {n}", group=group)
    Post.objects.update(comment_count=2)
    page = search_page(member, match_posts(member, ["desk"]))
    assert len(page.hits) == 7
    assert any(hit.comment for hit in page.hits)
    return page.hits


@pytest.mark.parametrize("language", ["en", "nl", "de"])
@pytest.mark.parametrize("zone", [None, "Pacific/Auckland"])
def test_the_same_markup_as_the_template(hits, language, zone):
    if zone:
        timezone.activate(zoneinfo.ZoneInfo(zone))
    try:
        with translation.override(language):
            for hit in hits:
                assert str(search_hit(hit)) == REFERENCE.render(Context({"hit": hit}))
    finally:
        timezone.deactivate()


def test_what_people_typed_is_escaped(hits):
    html = "".join(search_hit(hit) for hit in hits)
    assert "<script>" not in html and "<b>" not in html
    assert "&lt;b&gt;&quot;Desk&quot; &amp; co&lt;/b&gt;" in html  # names and the group
    assert "<mark>" in html  # highlight's own markup stays


def test_the_search_page_shows_the_hits(member_client, hits):
    page = member_client.get("/search/", {"q": "desk"}).text
    for hit in hits:
        assert f'id="hit-{hit.post.pk}"' in page
    assert User.objects.filter(is_guest=True).exists()
    assert "Comment by" in page
