"""Digests built together in one chunk (issue 16): the candidates query reads the posts of
everyone's sources once for the chunk, so nothing may cross from one person's digest to
another's, and each count of "more" is the person's own."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone

from digests import preferences
from digests.models import Frequency, Level, SiteSettings, SourceKind
from groups.models import Group
from hashtags.models import Hashtag
from hashtags.services import follow_hashtag
from people.models import User
from people.services import follow_person
from posts import services as post_services
from posts.models import Post
from tests.digests.test_digests import (  # noqa: F401 - the autouse fixture
    _digests_always_due,
    digest_to,
    run_digests,
    seen_long_ago,
)
from tests.factories import UserFactory
from tests.groups.helpers import add_member, make_group

pytestmark = pytest.mark.django_db


def _posted(author: User, body: str, hours_ago: float, **kwargs) -> Post:
    post = post_services.create_post(author=author, body=body, **kwargs)
    Post.objects.filter(pk=post.pk).update(created_at=timezone.now() - timedelta(hours=hours_ago))
    return post


def test_people_in_one_chunk_each_get_their_own_posts_and_their_own_count(owner_and_two):
    owner, ann, bob = owner_and_two
    carl = UserFactory(username="carl.writer")
    club = make_group(owner, Group.Kind.PRIVATE, name="Secret-ish Club")
    add_member(club, owner, bob)
    preferences.set_source_level(
        user=bob, kind=SourceKind.GROUP, object_id=club.pk, level=Level.DIGEST
    )
    tag = Hashtag.objects.create(name="beans", slug="beans")
    follow_person(follower=ann, followee=carl)
    follow_hashtag(user=bob, hashtag=tag)
    seen_long_ago(ann, bob)
    # Ann visited two hours ago: what came before is not mailed to her, but is to Bob.
    User.objects.filter(pk=ann.pk).update(last_seen_at=timezone.now() - timedelta(hours=2))
    site = SiteSettings.current()
    site.max_items = 2
    site.save()

    _posted(carl, "CARL-OLD before Ann's visit", 5)
    _posted(carl, "CARL-NEW-1 hello", 1)
    _posted(carl, "CARL-NEW-2 hello", 1)
    _posted(carl, "CARL-NEW-3 #beans too", 1)  # Ann's by person, Bob's by hashtag
    _posted(owner, "CLUB-1 #beans inside", 3, group=club)  # Bob's by group and hashtag: once
    _posted(owner, "CLUB-2 members only", 4, group=club)
    _posted(owner, "BEANS-OLD #beans", 6)

    result = run_digests()

    assert result.chunks == 1
    ann_text, bob_text = digest_to(ann).body, digest_to(bob).body
    assert "CLUB" not in ann_text and "BEANS-OLD" not in ann_text and "CARL-OLD" not in ann_text
    assert "CARL-NEW-1" not in bob_text and "CARL-NEW-2" not in bob_text
    # Ann: three posts by Carl since her visit, the two newest shown.
    assert "CARL-NEW-3" in ann_text and "CARL-NEW-2" in ann_text and "CARL-NEW-1" not in ann_text
    assert "And 1 more post in your feed" in ann_text
    # Bob: CARL-NEW-3, CLUB-1 (by group and by hashtag: once), CLUB-2 and BEANS-OLD.
    assert "CARL-NEW-3" in bob_text and bob_text.count("CLUB-1") == 1
    assert "And 2 more posts in your feed" in bob_text
    assert len(mail.outbox) == 2


@pytest.fixture
def owner_and_two(db):
    owner = UserFactory(username="otto.owner")
    ann = UserFactory(username="ann.reader")
    bob = UserFactory(username="bob.reader")
    preferences.set_frequency(user=owner, frequency=Frequency.OFF)
    return owner, ann, bob
