"""My notification settings page: digest frequency, time zone, a level per followed source."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from digests import preferences
from digests.models import DigestChoice, Frequency, Level, SiteSettings, SourceChoice, SourceKind
from groups import services as group_services
from groups.models import Group, Membership
from hashtags.models import Hashtag
from hashtags.services import follow_hashtag
from people.services import follow_person
from posts import selectors as post_selectors
from posts import services as post_services
from tests.factories import UserFactory
from tests.groups.helpers import make_group

pytestmark = pytest.mark.django_db
URL = reverse("digests:settings")
LEVEL_URL = reverse("digests:set_level")


def _site(**changes) -> SiteSettings:
    site = SiteSettings.current()
    for name, value in changes.items():
        setattr(site, name, value)
    site.save()
    return site


@pytest.fixture
def owner(db):
    return UserFactory(username="otto.owner", first_name="Otto", last_name="Owner")


@pytest.fixture
def coffee(owner, member):
    group = make_group(owner, Group.Kind.OPEN, name="Coffee Club")
    group_services.join_group(user=member, group=group)
    return group


def feed_bodies(user) -> list[str]:
    return [p.body for p in post_selectors.home_feed(user).posts]


def test_page_names_the_current_site_default_and_my_sources(
    member_client, member, colleague, coffee
):
    _site(digest_frequency=Frequency.DAILY, include_people=False)
    follow_person(follower=member, followee=colleague)
    follow_hashtag(user=member, hashtag=Hashtag.objects.create(name="Coffee", slug="coffee"))

    page = member_client.get(URL).content.decode()

    assert "Site default (now: Daily)" in page
    assert "Coffee Club" in page and "#Coffee" in page and "Carl Colleague" in page
    assert "Default (Feed only)" in page  # people, as the site says now
    assert "Default (Feed and digest)" in page  # groups and hashtags


def test_choosing_daily_saves_it_and_choosing_the_default_hands_it_back(member_client, member):
    _site(digest_frequency=Frequency.WEEKLY)
    response = member_client.post(URL, {"frequency": "daily", "time_zone": "Asia/Tokyo"})
    assert response.status_code == 302
    assert preferences.effective_frequency(member) == Frequency.DAILY
    assert DigestChoice.objects.get(user=member).time_zone == "Asia/Tokyo"

    member_client.post(URL, {"frequency": "", "time_zone": ""})
    _site(digest_frequency=Frequency.OFF)  # an admin changes the default later
    assert preferences.effective_frequency(member) == Frequency.OFF
    assert DigestChoice.objects.get(user=member).time_zone == ""


def test_an_unknown_time_zone_keeps_the_form_with_a_message(member_client, member):
    response = member_client.post(URL, {"frequency": "daily", "time_zone": "Mars/Olympus"})
    page = response.content.decode()
    assert response.status_code == 422
    assert "Mars/Olympus is not a time zone we know" in page
    assert re.search(r'<input type="radio" name="frequency" value="daily"[^>]*checked', page)
    assert not DigestChoice.objects.filter(user=member).exists()


def test_a_bad_frequency_is_refused_with_a_message(member_client, member):
    response = member_client.post(URL, {"frequency": "hourly"})
    assert response.status_code == 422 and "Select a valid choice" in response.content.decode()


def test_muting_a_group_here_mutes_it_in_the_feed(member_client, member, owner, coffee):
    post_services.create_post(author=owner, body="fresh beans", group=coffee)
    assert "fresh beans" in feed_bodies(member)

    member_client.post(LEVEL_URL, {"kind": "group", "object_id": coffee.pk, "level": "muted"})

    assert Membership.objects.get(user=member, group=coffee).muted
    assert "fresh beans" not in feed_bodies(member)
    assert not SourceChoice.objects.exists()  # one truth: the membership
    member_client.post(LEVEL_URL, {"kind": "group", "object_id": coffee.pk, "level": "feed"})
    assert not Membership.objects.get(user=member, group=coffee).muted
    assert preferences.source_levels(member, SourceKind.GROUP, [coffee.pk]) == {
        coffee.pk: Level.FEED
    }


def test_muting_a_person_keeps_the_follow_but_empties_their_part_of_my_feed(
    member_client, member, colleague
):
    follow_person(follower=member, followee=colleague)
    post_services.create_post(author=colleague, body="from carl")

    member_client.post(LEVEL_URL, {"kind": "person", "object_id": colleague.pk, "level": "muted"})

    assert "from carl" not in feed_bodies(member)
    assert member.following_links.filter(followee=colleague).exists()


def test_levels_only_for_what_i_follow(member_client, owner, colleague):
    other = make_group(owner, Group.Kind.OPEN)
    for kind, pk in (("group", other.pk), ("person", colleague.pk), ("hashtag", 999)):
        response = member_client.post(LEVEL_URL, {"kind": kind, "object_id": pk, "level": "muted"})
        assert response.status_code == 404, kind
    assert not SourceChoice.objects.exists()


def test_a_bad_level_gets_a_message_not_an_error(member_client, coffee):
    response = member_client.post(
        LEVEL_URL, {"kind": "group", "object_id": coffee.pk, "level": "loud"}, follow=True
    )
    assert "Choose feed and digest, feed only, or muted." in response.content.decode()


def test_htmx_answers_with_just_the_row(member_client, member, coffee):
    response = member_client.post(
        LEVEL_URL,
        {"kind": "group", "object_id": coffee.pk, "level": "feed"},
        headers={"HX-Request": "true"},
    )
    html = response.content.decode()
    assert "<html" not in html and f'id="source-group-{coffee.pk}"' in html
    assert 'role="status"' in html and "Saved" in html
    assert '<option value="feed" selected>' in html


def test_a_guest_is_told_the_site_sends_guests_no_digest(client, owner):
    guest = UserFactory(username="gina.guest", is_guest=True, sponsor=owner)
    client.force_login(guest)
    _site(guests_get_digests=False)
    page = client.get(URL).content.decode()
    assert "Guests do not get email digests on this site." in page
    assert 'name="frequency"' not in page
    response = client.post(URL, {"frequency": "daily"})
    assert response.status_code == 422
    assert not DigestChoice.objects.filter(user=guest).exists()


def test_the_page_runs_the_same_queries_for_any_number_of_sources(
    member_client, member, owner, django_assert_max_num_queries
):
    def follow_more(n):
        for _ in range(n):
            person = UserFactory()
            follow_person(follower=member, followee=person)
            tag = Hashtag.objects.create(name=f"t{person.pk}", slug=f"t{person.pk}")
            follow_hashtag(user=member, hashtag=tag)
            group_services.join_group(user=member, group=make_group(owner, Group.Kind.OPEN))

    SiteSettings.current()  # created on first use; cached afterwards
    follow_more(2)
    # session, user, my digest choice, my source choices, memberships with groups, hashtag
    # follows with hashtags, follows with people, the inbox badge (site settings are cached)
    with django_assert_max_num_queries(9):
        member_client.get(URL)
    follow_more(20)
    with django_assert_max_num_queries(9):
        page = member_client.get(URL).content.decode()
    assert page.count('class="source-row"') == 66
