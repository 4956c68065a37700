"""No existence oracles (RELIABILITY.md 3): nothing an outsider can do or count tells them
that a secret group exists, or that something happened inside a group they may not read."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from groups import selectors
from groups import services as group_services
from groups.models import Group
from hashtags.models import Hashtag
from hashtags.selectors import hashtag_directory
from hashtags.services import follow_hashtag
from posts import services as post_services
from tests.factories import UserFactory
from tests.groups.helpers import add_member, make_group

pytestmark = pytest.mark.django_db


def test_a_new_group_named_like_a_secret_one_gets_the_plain_address(owner, member):
    secret = make_group(owner, Group.Kind.SECRET, name="Project Falcon")
    mine = make_group(member, Group.Kind.OPEN, name="Project Falcon")

    assert mine.slug == "project-falcon"
    # The secret group's address is not its name: it cannot be guessed, and it takes no
    # plain name from anyone.
    assert re.fullmatch(r"project-falcon-[0-9a-f]{8}", secret.slug)


def test_creating_a_group_named_like_a_secret_one_looks_like_any_other_name(owner, member, client):
    make_group(owner, Group.Kind.SECRET, name="Project Falcon")
    client.force_login(member)
    response = client.post(
        reverse("groups:create"), {"name": "Project Falcon", "kind": Group.Kind.PRIVATE}
    )
    assert response.status_code == 302
    assert response["Location"] == "/groups/project-falcon/"
    # A second group of the same name shows the numbering a known name gets.
    other = make_group(member, Group.Kind.OPEN, name="Project Falcon")
    assert other.slug == "project-falcon-2"


def test_a_group_made_secret_leaves_its_plain_address(owner):
    group = make_group(owner, Group.Kind.PRIVATE, name="Board Prep")
    assert group.slug == "board-prep"
    group_services.update_group(group=group, editor=owner, kind=Group.Kind.SECRET)
    group.refresh_from_db()
    assert group.slug.startswith("board-prep-") and group.slug != "board-prep"
    # The plain name is free again for anyone.
    assert make_group(owner, Group.Kind.OPEN, name="Board Prep").slug == "board-prep"


def _directory_order(viewer) -> list[str]:
    return [g.name for g in selectors.directory(viewer)]


def test_a_post_inside_a_private_group_moves_it_only_for_its_readers(owner, member, outsider):
    quiet = make_group(owner, Group.Kind.PRIVATE, name="Quiet Room")
    make_group(owner, Group.Kind.PRIVATE, name="Busy Room")
    add_member(quiet, owner, member)
    long_ago = timezone.now() - timedelta(days=30)
    Group.objects.filter(pk=quiet.pk).update(created_at=long_ago, last_activity_at=long_ago)
    before = _directory_order(outsider)
    assert before.index("Busy Room") < before.index("Quiet Room")

    post_services.create_post(author=member, body="inside news", group=quiet)

    # A member sees the room come alive; an outsider sees nothing change, not even its
    # "active" time.
    assert _directory_order(member).index("Quiet Room") < _directory_order(member).index(
        "Busy Room"
    )
    assert _directory_order(outsider) == before
    seen = {g.name: g.active_at for g in selectors.directory(outsider)}
    assert seen["Quiet Room"] == long_ago
    assert {g.name: g.active_at for g in selectors.directory(member)}["Quiet Room"] > long_ago


def test_the_directory_page_shows_an_outsider_no_activity_inside(owner, member, outsider, client):
    quiet = make_group(owner, Group.Kind.PRIVATE, name="Quiet Room")
    add_member(quiet, owner, member)
    long_ago = timezone.now() - timedelta(days=30)
    Group.objects.filter(pk=quiet.pk).update(created_at=long_ago, last_activity_at=long_ago)
    post_services.create_post(author=member, body="inside news", group=quiet)

    client.force_login(outsider)
    html = client.get(reverse("groups:directory")).content.decode()
    card = html[html.index("Quiet Room") :][:600]
    # When it was started (a date, a month ago), not "active just now".
    assert "started" in card and "active" not in card
    assert "just now" not in card
    assert f"started {timezone.localtime(long_ago).day} " in card
    # A member sees the activity.
    client.force_login(member)
    html = client.get(reverse("groups:directory")).content.decode()
    card = html[html.index("Quiet Room") :][:600]
    assert "active just now" in card


def test_hashtag_follower_counts_count_only_people_the_viewer_may_see(owner, member, guest):
    tag = Hashtag.objects.create(name="client_launch", slug="client_launch")
    room = make_group(owner, Group.Kind.PRIVATE, name="Client Room", allow_guests=True)
    add_member(room, owner, guest)
    for person in [UserFactory() for _ in range(4)] + [owner, guest]:
        follow_hashtag(user=person, hashtag=tag)
    gone = UserFactory(is_active=False)
    follow_hashtag(user=gone, hashtag=tag)

    def followers(viewer) -> int:
        return next(t.followers for t in hashtag_directory(viewer).followed if t.pk == tag.pk)

    follow_hashtag(user=member, hashtag=tag)
    # An employee counts every active follower (the deactivated one is nobody's to count).
    assert followers(member) == 7
    # A guest counts the people of their own groups: the owner and themselves.
    assert followers(guest) == 2
