from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse

from hashtags.models import Hashtag
from hashtags.services import follow_hashtag
from people.services import follow_person
from posts.selectors import Cursor, home_feed
from tests.factories import UserFactory, make_post, now

pytestmark = pytest.mark.django_db


def test_home_feed_has_own_followed_people_and_followed_hashtags(member, colleague, outsider):
    follow_person(follower=member, followee=colleague)
    mine = make_post(member, "my own thoughts")
    theirs = make_post(colleague, "from a colleague I follow")
    stranger = UserFactory()
    make_post(stranger, "about #standing_desk")
    follow_hashtag(user=member, hashtag=Hashtag.objects.get(slug="standing_desk"))
    tagged = make_post(stranger, "another #Standing_Desk story")
    unrelated = make_post(outsider, "nothing to do with me")

    page = home_feed(member)

    ids = [p.pk for p in page.posts]
    assert mine.pk in ids and theirs.pk in ids and tagged.pk in ids
    assert unrelated.pk not in ids
    reasons = {item.post.pk: item.reasons for item in page.items}
    assert reasons[theirs.pk] == ["you follow @carl.colleague"]
    assert reasons[tagged.pk] == ["you follow #standing_desk"]


def test_reasons_name_every_followed_hashtag_of_a_post_in_its_order_and_no_other(member):
    stranger = UserFactory()
    make_post(stranger, "seed #zebra #apple #mango")
    for slug in ("zebra", "mango"):
        follow_hashtag(user=member, hashtag=Hashtag.objects.get(slug=slug))
    tagged = make_post(stranger, "both #Zebra and #apple and #mango")
    other = make_post(member, "mine, with #apple only")

    reasons = {item.post.pk: item.reasons for item in home_feed(member).items}

    assert reasons[tagged.pk] == ["you follow #zebra", "you follow #mango"]
    assert reasons[other.pk] == ["your post"]


def test_home_feed_pages_by_keyset_without_gaps_or_repeats(member, colleague):
    follow_person(follower=member, followee=colleague)
    start = now() - timedelta(days=10)
    posts = [
        make_post(colleague, f"post {i}", created_at=start + timedelta(hours=i)) for i in range(25)
    ]
    seen = []
    cursor = None
    while True:
        page = home_feed(member, cursor=cursor, limit=7)
        seen += [p.pk for p in page.posts]
        if not page.next_cursor:
            break
        cursor = Cursor.decode(page.next_cursor)
    assert seen == [p.pk for p in reversed(posts)]


def test_home_page_renders_for_signed_in_person(member_client):
    response = member_client.get(reverse("home"))
    assert response.status_code == 200
    assert "Your feed is what you follow" in response.text
