"""The post card is built in Python (posts/templatetags/post_cards.py) instead of a template,
for speed: what the template engine did for free (escaping, translating, the reader's time
zone) is checked here, for every part of the card."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from django.utils import timezone

from esn.middleware import TIME_ZONE_SESSION_KEY
from groups.models import Group, Membership
from people.models import Follow
from posts.models import Post
from tests.factories import UserFactory, image_upload, make_post
from tests.groups.helpers import make_group

HOSTILE = '<script>alert("x")</script>&'
ESCAPED = "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&amp;"


def card_of(html: str, post: Post) -> str:
    match = re.search(rf'<article[^>]* id="post-{post.pk}".*?</article>', html, re.S)
    assert match, f"no card for post {post.pk}"
    return match.group(0)


@pytest.fixture
def author(db):
    return UserFactory(
        username="hostile.author",
        first_name=HOSTILE,
        last_name="",
        title=HOSTILE,
    )


def test_everything_a_person_typed_is_escaped(member_client, member, author):
    group = make_group(author, Group.Kind.OPEN, name=HOSTILE)
    Membership.objects.create(user=member, group=group)
    post = make_post(author, "Look", group=group, images=[image_upload()], image_alts=[HOSTILE])
    Follow.objects.create(follower=member, followee=author)

    card = card_of(member_client.get("/").content.decode(), post)

    assert "<script>" not in card
    # The name, the title, the group, the image's description and the reasons it is shown.
    assert card.count(ESCAPED) >= 4
    assert f'alt="{ESCAPED}"' in card
    assert f'<span class="muted">· {ESCAPED}</span>' in card


def test_card_parts_for_the_author_and_for_a_reader(client, member, colleague):
    post = make_post(colleague, "A question?", is_question=True)
    Post.objects.filter(pk=post.pk).update(like_count=2, comment_count=1)
    Follow.objects.create(follower=member, followee=colleague)

    client.force_login(member)
    reader = card_of(client.get("/").content.decode(), post)
    assert 'class="badge badge-question">Question</span>' in reader
    assert 'aria-label="2 likes">2</span>' in reader
    assert ">1 comment</a>" in reader
    assert 'aria-pressed="false"' in reader
    assert f'href="/groups/posts/{post.pk}/report/"' in reader or "post-report" in reader
    assert "post-owner-actions" not in reader
    assert re.search(r'name="csrfmiddlewaretoken" value="[A-Za-z0-9]{64}"', reader)
    assert 'name="next" value="/"' in reader

    client.force_login(colleague)
    own = card_of(client.get("/").content.decode(), post)
    assert f'<a href="/posts/{post.pk}/edit/">Edit</a>' in own
    assert "post-report" not in own


def test_former_colleagues_and_guests_are_marked(member_client, member):
    former = UserFactory(username="fred.former", is_active=True)
    post = make_post(former, "Before I left")
    Follow.objects.create(follower=member, followee=former)
    former.is_active = False
    former.save(update_fields=["is_active"])

    html = member_client.get(f"/posts/{post.pk}/").content.decode()
    assert 'class="badge badge-former">Former colleague</span>' in card_of(html, post)


def test_time_is_in_the_readers_zone_and_language(member_client, member, colleague):
    post = make_post(colleague, "Hallo", created_at=timezone.now() - timedelta(days=400))
    Post.objects.filter(pk=post.pk).update(created_at=datetime(2025, 3, 3, 23, 30, tzinfo=UTC))
    member.language = "nl"
    member.save(update_fields=["language"])
    session = member_client.session
    session[TIME_ZONE_SESSION_KEY] = "Asia/Tokyo"
    session.save()

    card = card_of(member_client.get(f"/posts/{post.pk}/").content.decode(), post)

    # 23:30 UTC is 8:30 the next morning in Tokyo; the date is written in Dutch.
    assert 'datetime="2025-03-04T08:30:00+09:00"' in card
    assert 'title="di 4 Mrt 2025, 08:30"' in card
    assert ">4 Mrt 2025</time>" in card
    assert "Vind ik leuk" in card
