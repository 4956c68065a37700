"""The inbox badge is kept in the cache per person (digests.selectors.unread_count): every
change that adds, reads or hides a row shows on the next page, with the cache warm."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from digests import selectors
from digests import services as inbox_services
from digests.models import InboxItem
from groups import moderation
from groups import services as group_services
from groups.models import Group
from posts import services as post_services
from tests.factories import UserFactory
from tests.groups.helpers import add_member, make_group

pytestmark = pytest.mark.django_db


def badge(client) -> str | None:
    page = client.get(reverse("home")).content.decode()
    marker = 'id="inbox-unread">'
    if marker not in page:
        return None
    return page.split(marker, 1)[1].split("<", 1)[0]


def mention(author, body: str, capture, **kwargs):
    with capture(execute=True):
        return post_services.create_post(author=author, body=body, **kwargs)


def test_a_kept_badge_is_not_counted_again(member, colleague):
    selectors.unread_count(member)
    with CaptureQueriesContext(connection) as queries:
        assert selectors.unread_count(member) == 0
    assert len(queries) == 0


def test_new_read_and_hidden_rows_show_on_the_next_page(
    member, colleague, client, django_capture_on_commit_callbacks
):
    capture = django_capture_on_commit_callbacks
    client.force_login(member)
    assert badge(client) is None  # counted, and kept

    first = mention(colleague, "@mia.member one", capture)
    assert badge(client) == "1"
    mention(colleague, "@mia.member two", capture)
    assert badge(client) == "2"

    row = InboxItem.objects.get(recipient=member, post=first)
    inbox_services.mark_read(user=member, item_id=row.pk)
    assert badge(client) == "1"

    # A moderator removes the other post: its row is hidden, and no longer counted.
    other = InboxItem.objects.get(recipient=member, unread=True).post
    moderation.remove_post(
        post=other, user=UserFactory(is_staff=True, is_superuser=True), reason="spam"
    )
    assert badge(client) is None


def test_leaving_a_private_group_hides_its_rows_from_the_badge(
    member, colleague, client, django_capture_on_commit_callbacks
):
    group = make_group(colleague, Group.Kind.PRIVATE, name="Inner circle")
    add_member(group, colleague, member)
    mention(colleague, "@mia.member in here", django_capture_on_commit_callbacks, group=group)
    client.force_login(member)
    assert badge(client) == "1"

    group_services.leave_group(user=member, group=group)

    assert badge(client) is None


def test_a_row_taken_back_by_an_update_is_no_longer_counted(
    member, colleague, client, django_capture_on_commit_callbacks
):
    capture = django_capture_on_commit_callbacks
    client.force_login(member)
    mention(colleague, "@mia.member look", capture)
    mention(colleague, "@mia.member again", capture)
    assert badge(client) == "2"

    inbox_services.mark_all_read(user=member)

    assert badge(client) is None


def test_a_sign_in_leaves_everyone_elses_badge_kept(member, colleague, client):
    selectors.unread_count(member)
    client.force_login(colleague)  # saves the colleague's last_login
    with CaptureQueriesContext(connection) as queries:
        selectors.unread_count(member)
    assert len(queries) == 0
