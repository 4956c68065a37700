"""Select boxes of model choices are read with one plain query: no server-side cursor (its
DECLARE, FETCH and CLOSE are three round trips, on every search page and every Home with a
group to post in)."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from groups.models import Group
from groups.services import join_group
from tests.factories import UserFactory
from tests.groups.helpers import make_group

pytestmark = pytest.mark.django_db


@pytest.fixture
def groups_of_member(member):
    owner = UserFactory()
    names = ["Running club", "Standing desks", "Book circle"]
    for name in names:
        join_group(user=member, group=make_group(owner, Group.Kind.OPEN, name=name))
    return names


@pytest.mark.parametrize("url", [reverse("search") + "?q=desk", reverse("home")])
def test_the_group_choices_come_in_one_plain_query(member_client, groups_of_member, url):
    member_client.get(url)
    with CaptureQueriesContext(connection) as queries:
        page = member_client.get(url).text
    assert not [q for q in queries.captured_queries if "DECLARE" in q["sql"].upper()]
    for name in groups_of_member:
        assert f">{name}</option>" in page


def test_a_chosen_group_is_still_checked_against_the_readable_ones(member, member_client):
    """Only the choices' reading changed: a group the reader may not read is refused."""
    owner = UserFactory()
    secret = make_group(owner, Group.Kind.SECRET, name="Hidden")
    page = member_client.get(reverse("search"), {"q": "desk", "group": secret.pk}).text
    assert "Hidden" not in page
    assert "Select a valid choice" in page
