"""Suggestions to follow and join: people across departments and locations, hashtags and
open groups my colleagues chose, each with its reason; never what I follow, muted or blocked
either way, never guests for employees, and nothing outside a guest's groups."""

from __future__ import annotations

import pytest
from django.urls import reverse

from access.viewer import Viewer
from digests import preferences
from digests.models import Level, SourceKind
from discovery.suggestions import discovery, suggested_groups, suggested_hashtags, suggested_people
from groups import services as group_services
from groups.models import Group, Membership
from hashtags.models import Hashtag
from hashtags.services import follow_hashtag
from people.models import User
from people.services import block_person, follow_person
from tests.factories import DepartmentFactory, LocationFactory, UserFactory, make_post
from tests.groups.helpers import add_member, make_group

pytestmark = pytest.mark.django_db
HTMX = {"HTTP_HX_REQUEST": "true"}


def reasons(suggestions) -> dict[str, str]:
    def key(item):
        return getattr(item, "username", None) or getattr(item, "slug", None) or item.name

    return {key(s.item): s.reason for s in suggestions}


@pytest.fixture
def finance_person(db):
    return UserFactory(
        username="fay.finance",
        first_name="Fay",
        last_name="Finance",
        department=DepartmentFactory(name="Finance"),
        location=LocationFactory(name="Lisbon"),
    )


# --- people --------------------------------------------------------------------------------


def test_active_people_elsewhere_with_no_shared_group_are_suggested_with_where_they_are(
    member, finance_person
):
    make_post(finance_person, "quarter closed")
    same_place = UserFactory(
        username="sam.same", department=member.department, location=member.location
    )
    make_post(same_place, "hello")

    found = reasons(suggested_people(member))

    assert found["fay.finance"] == "in Finance, Lisbon: you share no group yet"
    # Same department and location: not a bridge (at most a colleague from my department).
    assert "share no group" not in found.get("sam.same", "")


def test_sharing_a_group_is_not_a_bridge(member, finance_person, colleague):
    group = make_group(colleague, Group.Kind.OPEN)
    group_services.join_group(user=member, group=group)
    group_services.join_group(user=finance_person, group=group)
    make_post(finance_person, "quarter closed")

    assert "share no group" not in reasons(suggested_people(member)).get("fay.finance", "")


def test_people_followed_by_people_i_follow_are_suggested_with_a_name(member, colleague):
    star = UserFactory(username="star.person", department=member.department)
    follow_person(follower=member, followee=colleague)
    for friend in [colleague, *UserFactory.create_batch(2)]:
        if friend != colleague:
            follow_person(follower=member, followee=friend)
        follow_person(follower=friend, followee=star)

    found = reasons(suggested_people(member))

    assert found["star.person"].startswith("followed by ")
    assert found["star.person"].endswith(" and 2 others you follow")


def test_never_suggested_followed_muted_blocked_guests_or_myself(
    member, colleague, outsider, finance_person
):
    guest = UserFactory(username="gus.guest", is_guest=True, sponsor=colleague)
    blocker = UserFactory(username="bea.blocker")
    muted = UserFactory(username="moe.muted")
    blocked = UserFactory(username="bob.blocked")
    for person in (member, colleague, outsider, finance_person, guest, blocker, muted, blocked):
        if not person.is_guest:
            make_post(person, "hello")
    follow_person(follower=member, followee=colleague)
    follow_person(follower=colleague, followee=guest)  # a friend of a friend, but a guest
    block_person(blocker=blocker, blocked=member)
    block_person(blocker=member, blocked=blocked)
    preferences.set_source_level(
        user=member, kind=SourceKind.PERSON, object_id=muted.pk, level=Level.MUTED
    )

    found = set(reasons(suggested_people(member, limit=20)))

    assert "fay.finance" in found
    assert not found & {"mia.member", "carl.colleague", "gus.guest", "bea.blocker"}
    assert not found & {"moe.muted", "bob.blocked"}


def test_a_newcomer_is_offered_people_of_their_department(db):
    sales = DepartmentFactory(name="Sales")
    newcomer = UserFactory(username="nina.new", department=sales)
    peer = UserFactory(username="pia.peer", department=sales)
    UserFactory(username="eli.elsewhere", department=DepartmentFactory(name="Legal"))

    assert reasons(suggested_people(newcomer)) == {"pia.peer": "in your department"}
    assert peer  # (nobody posted, nobody is followed: the fallback is the department)


def test_a_guest_is_offered_only_members_of_their_own_groups(member, colleague, outsider):
    partners = make_group(colleague, Group.Kind.PRIVATE, name="Partners", allow_guests=True)
    guest = UserFactory(username="gus.guest", is_guest=True, sponsor=colleague)
    add_member(partners, colleague, guest)
    make_post(outsider, "company-wide")

    assert reasons(suggested_people(guest)) == {"carl.colleague": "a member of Partners, like you"}
    assert suggested_hashtags(guest) == [] and suggested_groups(guest) == []


# --- hashtags ----------------------------------------------------------------------------------


def test_hashtags_my_colleagues_follow_are_suggested_with_how_many(member, colleague, outsider):
    make_post(colleague, "#python tips")
    friends = [colleague, outsider, UserFactory()]
    for friend in friends:
        follow_person(follower=member, followee=friend)
        follow_hashtag(user=friend, hashtag=Hashtag.objects.get(slug="python"))

    assert reasons(suggested_hashtags(member))["python"] == "followed by 3 people you follow"


def test_a_groupmates_hashtag_says_so(member, colleague):
    group = make_group(colleague, Group.Kind.OPEN)
    group_services.join_group(user=member, group=group)
    make_post(colleague, "#ops_notes")
    follow_hashtag(user=colleague, hashtag=Hashtag.objects.get(slug="ops_notes"))

    assert reasons(suggested_hashtags(member))["ops_notes"] == "followed by 1 person in your groups"


def test_hashtags_i_follow_muted_or_cannot_know_are_never_suggested(member, colleague):
    follow_person(follower=member, followee=colleague)
    secret = make_group(colleague, Group.Kind.SECRET, name="Hush")
    make_post(colleague, "#project_falcon", group=secret)
    make_post(colleague, "#mine #quiet #fine")
    for slug in ("project_falcon", "mine", "quiet", "fine"):
        follow_hashtag(user=colleague, hashtag=Hashtag.objects.get(slug=slug))
    follow_hashtag(user=member, hashtag=Hashtag.objects.get(slug="mine"))
    preferences.set_source_level(
        user=member,
        kind=SourceKind.HASHTAG,
        object_id=Hashtag.objects.get(slug="quiet").pk,
        level=Level.MUTED,
    )

    assert set(reasons(suggested_hashtags(member))) == {"fine"}


def test_trending_fills_in_when_colleagues_follow_nothing_new(member, colleague, outsider):
    for person in (colleague, outsider):
        make_post(person, "#town_hall questions")

    assert reasons(suggested_hashtags(member)) == {
        "town_hall": "trending: 2 people wrote about it this week"
    }


# --- groups ----------------------------------------------------------------------------------


def test_open_groups_people_i_follow_joined_are_suggested_with_a_name(member, colleague):
    owner = UserFactory(username="otto.owner", first_name="Otto", last_name="Owner")
    club = make_group(owner, Group.Kind.OPEN, name="Running Club")
    private = make_group(owner, Group.Kind.PRIVATE, name="Board")
    friends = [colleague, *UserFactory.create_batch(2)]
    for friend in friends:
        follow_person(follower=member, followee=friend)
        group_services.join_group(user=friend, group=club)
        add_member(private, owner, friend)

    found = reasons(suggested_groups(member))

    assert list(found) == ["running-club"]
    assert found["running-club"].startswith("joined by ")
    assert found["running-club"].endswith(" and 2 others you follow")


def test_groups_i_joined_or_am_banned_from_are_not_suggested(member, colleague):
    owner = UserFactory(username="otto.owner")
    mine = make_group(owner, Group.Kind.OPEN, name="Mine")
    banned = make_group(owner, Group.Kind.OPEN, name="Banned")
    archived = make_group(owner, Group.Kind.OPEN, name="Archived")
    follow_person(follower=member, followee=colleague)
    for group in (mine, banned, archived):
        group_services.join_group(user=colleague, group=group)
    group_services.join_group(user=member, group=mine)
    group_services.join_group(user=member, group=banned)
    group_services.ban_member(group=banned, manager=owner, person=member, reason="spam")
    group_services.archive_group(group=archived, user=owner, archived=True)

    assert suggested_groups(member) == []


def test_join_button_in_a_suggestion_works_in_place(member_client, member, colleague):
    club = make_group(colleague, Group.Kind.OPEN, name="Running Club")

    response = member_client.post(reverse("groups:join", args=[club.slug]), **HTMX)

    assert "<html" not in response.text and "Joined" in response.text
    assert Membership.objects.filter(user=member, group=club).exists()
    plain = member_client.post(reverse("groups:join", args=[club.slug]))
    assert plain.status_code == 302


# --- the home page -------------------------------------------------------------------------------


def test_home_page_shows_suggestions_with_reasons_and_buttons(
    member_client, member, colleague, finance_person
):
    make_post(member, "my own post")  # a feed with something in it: the side column
    make_post(finance_person, "quarter closed #budget")
    follow_person(follower=member, followee=colleague)
    club = make_group(colleague, Group.Kind.OPEN, name="Running Club")
    follow_hashtag(user=colleague, hashtag=Hashtag.objects.get(slug="budget"))

    # The home page loads its side cards with htmx once the feed is shown.
    html = member_client.get(
        reverse("discover"), headers={"HX-Request": "true", "HX-Current-URL": "http://testserver/"}
    ).text

    card = html.split('id="discover-title"')[1].split("</section>")[0]
    assert "in Finance, Lisbon: you share no group yet" in card
    assert reverse("people:follow", args=["fay.finance"]) in card
    assert "followed by 1 person you follow" in card
    assert reverse("hashtags:follow", args=["budget"]) in card
    assert "joined by Carl Colleague, whom you follow" in card
    assert f'hx-post="{reverse("groups:join", args=[club.slug])}"' in card
    assert 'name="next" value="/"' in card  # a plain form post comes back home


def _grow(member, colleague, n: int) -> None:
    """More of everything the suggestions read: people, posts, follows, tags, groups."""
    for i in range(n):
        person = UserFactory(department=DepartmentFactory(name=f"Dept {i % 4}"))
        make_post(person, f"note #topic_{i % 5}")
        follow_person(follower=colleague, followee=person)
        follow_hashtag(user=colleague, hashtag=Hashtag.objects.get(slug=f"topic_{i % 5}"))
        group = make_group(person, Group.Kind.OPEN)
        group_services.join_group(user=colleague, group=group)


def test_suggestions_cost_a_fixed_number_of_queries(
    member, colleague, django_assert_max_num_queries
):
    follow_person(follower=member, followee=colleague)
    _grow(member, colleague, 3)

    # 1 my follows, groups, blocks and mutes in one union, 2 trending hashtags, 3 people active
    # in other departments, 4 people followed by people I follow, 5 people of my department
    # (only when those are short), 6 the people (and the followers named), 7 hashtags my
    # colleagues follow, 8 which of them I may know exists, 9 open groups my colleagues
    # joined, 10 those groups
    with django_assert_max_num_queries(10):
        first = discovery(member)
    assert first["suggested_people"] and first["suggested_hashtags"]
    assert first["suggested_groups"] and first["trending"]

    _grow(member, colleague, 20)
    with django_assert_max_num_queries(10):
        more = discovery(member)
    assert len(more["suggested_people"]) == 5 and len(more["suggested_groups"]) == 3
    assert len(more["suggested_hashtags"]) == 4


def test_the_viewers_ties_are_read_in_one_query(member, colleague, django_assert_num_queries):
    follow_person(follower=member, followee=colleague)
    block_person(blocker=UserFactory(), blocked=member)
    with django_assert_num_queries(1):
        ties = Viewer.of(member).ties
    assert ties.following == {colleague.pk} and len(ties.blocked) == 1


def test_deactivated_people_are_neither_counted_nor_named_in_reasons(member, colleague, outsider):
    gone = UserFactory(username="gone.person", first_name="Gone", last_name="Person")
    follow_person(follower=member, followee=gone)
    follow_person(follower=gone, followee=outsider)
    club = make_group(gone, Group.Kind.OPEN, name="Chess Club")
    User.objects.filter(pk=gone.pk).update(is_active=False)
    member.refresh_from_db()

    people = {s.item.username: s.reason for s in suggested_people(member, limit=20)}
    assert "followed by" not in people.get("olga.outsider", "")
    groups = {s.item.pk: s.reason for s in suggested_groups(member)}
    assert "Gone" not in groups.get(club.pk, "")
