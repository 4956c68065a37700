"""The Get started card (issue 12): what admins feature is offered, never imposed; people of
one's own department and location; it goes away after a few follows or when closed."""

from __future__ import annotations

import pytest
from django.urls import reverse

from groups import services as group_services
from groups.models import Group
from hashtags.models import Hashtag
from hashtags.services import follow_hashtag
from people.services import block_person, follow_person
from tests.factories import DepartmentFactory, LocationFactory, UserFactory, make_post
from tests.groups.helpers import add_member, make_group
from welcome.models import GetStartedDismissal, WelcomeSettings
from welcome.selectors import get_started

pytestmark = pytest.mark.django_db


@pytest.fixture
def sales(db):
    return DepartmentFactory(name="Sales")


@pytest.fixture
def utrecht(db):
    return LocationFactory(name="Utrecht")


@pytest.fixture
def nina(sales, utrecht):
    return UserFactory(
        username="nina.new", first_name="Nina", last_name="New", department=sales, location=utrecht
    )


def feature(*, groups=(), hashtags=(), text=""):
    site = WelcomeSettings.current()
    site.welcome_text = text
    site.save()
    site.featured_groups.set(groups)
    site.featured_hashtags.set(hashtags)


def test_a_newcomer_is_offered_what_admins_featured_and_nothing_is_joined(nina, sales):
    owner = UserFactory()
    welcome = make_group(owner, Group.Kind.OPEN, name="Welcome")
    make_post(owner, "Start here #sales_onboarding")
    tag = Hashtag.objects.get(slug="sales_onboarding")
    secret = make_group(owner, Group.Kind.SECRET, name="Board")
    make_post(owner, "Hush #board_only", group=secret)
    hidden = Hashtag.objects.get(slug="board_only")
    feature(groups=[welcome], hashtags=[tag, hidden], text="**Welcome** to ACME")
    card = get_started(nina)
    assert card is not None
    assert [g.name for g in card.groups] == ["Welcome"]
    assert [t.name for t in card.hashtags] == ["sales_onboarding"]
    assert "<strong>Welcome</strong>" in card.welcome_html
    # Offered, not enrolled.
    assert not welcome.memberships.filter(user=nina).exists()


def test_only_open_groups_the_newcomer_may_join_are_offered(nina):
    owner = UserFactory()
    private = make_group(owner, Group.Kind.PRIVATE, name="Partners")
    secret = make_group(owner, Group.Kind.SECRET, name="Board")
    banned_from = make_group(owner, Group.Kind.OPEN, name="Banned here")
    group_services.join_group(user=nina, group=banned_from)
    group_services.ban_member(group=banned_from, manager=owner, person=nina, reason="Spam")
    archived = make_group(owner, Group.Kind.OPEN, name="Old")
    Group.objects.filter(pk=archived.pk).update(archived_at="2026-01-01T00:00:00Z")
    feature(groups=[private, secret, banned_from, archived])
    assert get_started(nina).groups == []


def test_people_of_the_same_department_and_location_are_offered_never_guests_or_blocked(
    nina, sales, utrecht
):
    both = UserFactory(username="bo.both", department=sales, location=utrecht)
    same_dept = UserFactory(username="dee.dept", department=sales)
    same_place = UserFactory(username="lou.loc", location=utrecht)
    UserFactory(username="far.away", department=DepartmentFactory(name="Legal"))
    UserFactory(username="gus.guest", department=sales, is_guest=True, sponsor=both)
    blocker = UserFactory(username="bl.ocker", department=sales)
    block_person(blocker=blocker, blocked=nina)
    followed = UserFactory(username="al.ready", department=sales)
    follow_person(follower=nina, followee=followed)
    offered = [p.username for p in get_started(nina).people]
    assert offered[0] == both.username  # department and location both first
    assert set(offered) == {both.username, same_dept.username, same_place.username}


def test_the_card_goes_away_after_enough_follows_and_comes_back_below_it(nina):
    tags = [Hashtag.objects.create(name=f"t{n}") for n in range(3)]
    for tag in tags[:2]:
        follow_hashtag(user=nina, hashtag=tag)
    assert get_started(nina) is not None
    follow_hashtag(user=nina, hashtag=tags[2])
    assert get_started(nina) is None
    site = WelcomeSettings.current()
    site.enough_follows = 5
    site.save()
    assert get_started(nina) is not None  # the threshold is the admin's, for everyone


def test_closing_the_card_is_remembered(client, nina):
    client.force_login(nina)
    assert "Get started" in client.get(reverse("home")).content.decode()
    response = client.post(reverse("welcome:dismiss_get_started"), headers={"HX-Request": "true"})
    assert response.status_code == 200 and response.content == b""
    assert GetStartedDismissal.objects.filter(user=nina).exists()
    assert 'id="get-started"' not in client.get(reverse("home")).content.decode()


def test_guests_get_no_card(nina):
    owner = UserFactory()
    guest = UserFactory(is_guest=True, sponsor=owner)
    room = make_group(owner, Group.Kind.SECRET, name="Client room", allow_guests=True)
    add_member(room, owner, guest)
    feature(groups=[make_group(owner, Group.Kind.OPEN, name="Welcome")])
    assert get_started(guest) is None


def test_one_click_join_from_the_card_keeps_the_person_on_home(client, nina):
    welcome = make_group(UserFactory(), Group.Kind.OPEN, name="Welcome")
    feature(groups=[welcome])
    client.force_login(nina)
    html = client.get(reverse("home")).content.decode()
    assert reverse("groups:join", args=[welcome.slug]) in html
    response = client.post(reverse("groups:join", args=[welcome.slug]), {"next": "/"})
    assert response.status_code == 302 and response["Location"] == "/"
    assert welcome.memberships.filter(user=nina).exists()


def test_the_admin_offers_only_open_groups_to_feature(admin_client):
    owner = UserFactory()
    make_group(owner, Group.Kind.OPEN, name="Open one")
    make_group(owner, Group.Kind.PRIVATE, name="Private one")
    WelcomeSettings.current()
    html = admin_client.get(reverse("admin:welcome_welcomesettings_change", args=[1])).content
    assert b"Open one" in html and b"Private one" not in html
    assert admin_client.get(reverse("admin:welcome_welcomesettings_changelist")).status_code == 302


def test_service_accounts_are_not_offered_as_colleagues(nina, sales):
    UserFactory(username="svc.bot", department=sales, is_service_account=True)
    colleague = UserFactory(username="real.person", department=sales)
    assert [p.username for p in get_started(nina).people] == [colleague.username]
