"""The community-health pages and downloads: who may see them, that nothing on them names a
person, that a secret group stays unnamed, that every look is in the audit log, and that the
measurement page is for everyone."""

from __future__ import annotations

from datetime import datetime, time, timedelta

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse
from django.utils import timezone

from analytics import rollup
from analytics.models import AuditEntry
from groups.models import Group, Membership
from posts import services as post_services
from posts.models import Comment, Post, Reaction
from tests.factories import DepartmentFactory, UserFactory, make_post
from tests.groups.helpers import add_manager, add_member, make_group

pytestmark = pytest.mark.django_db

YESTERDAY = timezone.localdate() - timedelta(days=1)
NOON = timezone.make_aware(datetime.combine(YESTERDAY, time(12)))


@pytest.fixture
def network(admin):
    """Two departments of eight, a private group of eight, a secret group of six, a tag used
    only in the secret group, all active yesterday; rolled up."""
    sales, ops = DepartmentFactory(name="Sales"), DepartmentFactory(name="Ops")
    people = [
        UserFactory(
            username=f"zz.person{i}",
            first_name=f"Firstname{i}",
            last_name=f"Lastname{i}",
            department=sales if i < 8 else ops,
        )
        for i in range(16)
    ]
    club = make_group(people[0], Group.Kind.PRIVATE, name="Book club")
    for person in people[1:8]:
        add_member(club, people[0], person)
    add_manager(club, people[0], people[8])
    secret = make_group(people[9], Group.Kind.SECRET, name="Skunkworks")
    for person in people[10:15]:
        add_member(secret, people[9], person)
    for i, person in enumerate(people):
        post = make_post(person, f"Update number {i} #weekly", created_at=NOON)
        other = people[(i + 1) % len(people)]
        post_services.add_comment(post=post, author=other, body="Thanks")
        post_services.toggle_like(post=post, user=people[(i + 2) % len(people)])
    for person in people[:8]:
        make_post(person, "Chapter three", group=club, created_at=NOON)
    for person in people[9:15]:
        make_post(person, "Prototype #skunkproject", group=secret, created_at=NOON)
    question = make_post(
        people[3],
        "Which chapter next?",
        group=club,
        created_at=NOON - timedelta(days=2),
        is_question=True,
    )
    Comment.objects.update(created_at=NOON)
    Reaction.objects.update(created_at=NOON)
    Group.objects.update(created_at=NOON - timedelta(days=3))
    Membership.objects.update(joined_at=NOON - timedelta(days=3))
    Post.objects.filter(pk=question.pk).update(created_at=NOON - timedelta(days=3))
    rollup.roll_up_range(YESTERDAY - timedelta(days=3), YESTERDAY)
    return {"people": people, "club": club, "secret": secret, "question": question}


def names_in(text: str, people) -> list[str]:
    """Usernames and names found in `text`, and ids in a link (a bare number is a figure)."""
    found = [
        value
        for person in people
        for value in (person.username, person.first_name, person.last_name)
        if value and value in text
    ]
    return found + [str(p.pk) for p in people if f"/{p.pk}/" in text or f"={p.pk}&" in text]


def test_only_admins_and_people_given_the_permission_see_the_networks_figures(
    client, network, member
):
    client.force_login(member)
    assert client.get(reverse("analytics:site")).status_code == 403
    assert client.get(reverse("analytics:site_csv")).status_code == 403
    member.user_permissions.add(Permission.objects.get(codename="view_site_analytics"))
    member = type(member).objects.get(pk=member.pk)
    client.force_login(member)
    assert client.get(reverse("analytics:site")).status_code == 200


def test_a_guest_never_sees_the_networks_figures_even_with_the_permission(client, network):
    guest = UserFactory(is_guest=True)
    guest.user_permissions.add(Permission.objects.get(codename="view_site_analytics"))
    client.force_login(guest)
    assert client.get(reverse("analytics:site")).status_code == 403


@pytest.mark.parametrize("period", ["day", "week", "month"])
def test_the_network_page_and_its_csv_name_nobody_and_no_secret_group(
    client, admin, network, period, django_assert_max_num_queries
):
    client.force_login(admin)
    with django_assert_max_num_queries(20):
        page = client.get(reverse("analytics:site"), {"period": period})
    csv = client.get(reverse("analytics:site_csv"), {"period": period})
    assert page.status_code == csv.status_code == 200
    text = page.content.decode() + csv.content.decode("utf-8-sig")
    assert names_in(text, network["people"]) == []
    assert "Skunkworks" not in text
    assert "skunkproject" not in text
    assert "Community health" in page.content.decode()


def test_the_network_page_shows_counts_and_hides_small_ones(client, admin, network):
    client.force_login(admin)
    text = client.get(reverse("analytics:site"), {"period": "day"}).content.decode()
    # 16 posts by employees outside groups + 8 in the private club; the secret group's 6 are not.
    assert ">24<" in text
    csv = client.get(reverse("analytics:site_csv"), {"period": "day"}).content.decode("utf-8-sig")
    assert "24" in csv


def test_a_groups_insights_are_for_its_managers_and_name_nobody(client, network, member):
    club = network["club"]
    people = network["people"]
    url = reverse("analytics:group", args=[club.slug])
    client.force_login(people[1])  # a member, not a manager
    assert client.get(url).status_code == 403
    client.force_login(member)  # not a member of the private group
    assert client.get(url).status_code == 403
    client.force_login(people[8])  # a manager
    page = client.get(url, {"period": "day"})
    csv = client.get(reverse("analytics:group_csv", args=[club.slug]), {"period": "day"})
    assert page.status_code == csv.status_code == 200
    # The page's own menu names the viewer; nothing else names anybody.
    others = [p for p in people if p.pk != people[8].pk]
    assert names_in(page.content.decode(), others) == []
    assert names_in(csv.content.decode("utf-8-sig"), people) == []
    # The question nobody answered is listed as content.
    assert "Which chapter next?" in page.content.decode()


def test_a_secret_groups_insights_are_for_its_managers_and_a_404_to_others(
    client, network, member, admin
):
    secret = network["secret"]
    url = reverse("analytics:group", args=[secret.slug])
    client.force_login(member)
    assert client.get(url).status_code == 404
    client.force_login(network["people"][9])  # its owner
    assert client.get(url).status_code == 200
    client.force_login(admin)
    assert client.get(url).status_code == 200


def test_every_look_and_download_is_in_the_audit_log(client, admin, network):
    client.force_login(admin)
    client.get(reverse("analytics:site"), {"period": "month"})
    client.get(reverse("analytics:site_csv"), {"period": "week"})
    client.get(reverse("analytics:group", args=[network["club"].slug]))
    kinds = list(AuditEntry.objects.filter(viewer=admin).values_list("kind", "detail"))
    assert ("site_page", "month") in kinds
    assert ("site_csv", "week") in kinds
    assert ("group_page", "week") in kinds


def test_the_measurement_page_is_for_everyone_and_says_what_is_measured(client, network):
    guest = UserFactory(is_guest=True)
    client.force_login(guest)
    page = client.get(reverse("analytics:measurement"))
    assert page.status_code == 200
    text = page.content.decode()
    assert "Nobody is scored." in text
    assert "fewer than 5" in text
    assert "35 days" in text
    assert "Your own numbers" in text


def test_my_own_numbers_are_mine(client, network):
    person = network["people"][0]
    client.force_login(person)
    page = client.get(reverse("analytics:measurement"))
    own = page.context["own"]
    # One post outside groups and one in the club, a comment, a like given, a like received.
    assert (own.posts, own.comments, own.likes_given, own.likes_received) == (2, 1, 1, 1)


def test_a_manager_finds_insights_in_the_groups_manage_links(client, network):
    club = network["club"]
    client.force_login(network["people"][8])
    page = client.get(club.get_absolute_url()).content.decode()
    assert reverse("analytics:group", args=[club.slug]) in page


def test_the_measurement_page_describes_every_figure_the_roll_up_writes(network):
    from analytics.catalog import described_metrics
    from analytics.models import Figure

    written = set(Figure.objects.values_list("metric", flat=True).distinct())
    assert written  # the fixture's network was rolled up
    assert written - described_metrics() == set()


def test_what_the_selectors_return_names_nobody(network):
    """Below the pages: the objects the figures travel in hold no person, name or user id
    (the waiting questions are their words and links, not their askers)."""
    from analytics import selectors

    people = network["people"]
    manager = people[8]
    for period in ("day", "week", "month"):
        site = repr(selectors.site_overview(period))
        group = repr(selectors.group_insights(manager, network["club"], period))
        words = site + group
        assert [p.username for p in people if p.username in words] == []
        assert [p.last_name for p in people if p.last_name in words] == []
        # No model instance of a person, nor a field that would carry one.
        assert "<User" not in words and "author" not in words and "user_id" not in words


def test_k_can_be_raised_by_an_admin_never_lowered(client, admin):
    from analytics.models import AnalyticsSettings

    client.force_login(admin)
    url = reverse("admin:analytics_analyticssettings_change", args=[1])
    AnalyticsSettings.load()
    refused = client.post(url, {"k": 4})
    assert refused.status_code == 200
    assert "never set below 5" in refused.content.decode()
    assert AnalyticsSettings.load().k == 5
    client.post(url, {"k": 8})
    assert AnalyticsSettings.load().k == 8


def test_a_hashtags_use_is_on_its_page_for_employees_not_for_guests(client, network):
    from hashtags.models import Hashtag

    tag = Hashtag.objects.get(slug="weekly")
    client.force_login(network["people"][0])
    assert (
        "Use over time" in client.get(reverse("hashtags:detail", args=[tag.slug])).content.decode()
    )
    owner = network["people"][0]
    guest = UserFactory(is_guest=True)
    Group.objects.filter(pk=network["club"].pk).update(allow_guests=True)
    club = Group.objects.get(pk=network["club"].pk)
    add_member(club, owner, guest)
    make_post(owner, "Guests welcome #weekly", group=club)
    client.force_login(guest)
    page = client.get(reverse("hashtags:detail", args=[tag.slug]))
    assert page.status_code == 200
    assert "Use over time" not in page.content.decode()


def test_the_network_page_shows_a_new_roll_up_at_once(client, admin, network):
    client.force_login(admin)
    url = reverse("analytics:site")
    assert ">24<" in client.get(url, {"period": "day"}).content.decode()
    for person in network["people"][:6]:
        make_post(person, "One more", created_at=NOON)
    rollup.roll_up_day(YESTERDAY)
    text = client.get(url, {"period": "day"}).content.decode()
    assert ">30<" in text and ">24<" not in text
    # Each look is still recorded, kept page or not.
    assert AuditEntry.objects.filter(viewer=admin, kind="site_page").count() == 2
