"""What the pickers offer (issue 11): people by any word of their name, accents and case
ignored, and hashtags by use, only what the viewer may see, nobody blocked, in a fixed number
of queries."""

from __future__ import annotations

import pytest
from django.urls import reverse

from groups.models import Group
from people.services import block_person
from tests.factories import UserFactory, make_post
from tests.groups.helpers import add_member, make_group

pytestmark = pytest.mark.django_db


def handles(client, text: str) -> list[str]:
    response = client.get(reverse("pick_people"), {"q": text})
    assert response.status_code == 200
    return [r["handle"] for r in response.json()["results"]]


def tags(client, text: str) -> list[tuple[str, int]]:
    response = client.get(reverse("pick_hashtags"), {"q": text})
    return [(r["handle"], r["uses"]) for r in response.json()["results"]]


@pytest.fixture
def zoe(db):
    return UserFactory(
        username="zoe.mulder", first_name="Zoë", last_name="Mulder", title="Designer"
    )


def test_any_word_of_the_name_finds_a_person_whatever_the_accents(member_client, zoe):
    for text in ("zoe", "Zoë", "ZOE", "mulder", "mul", "zoe mul", "zoe.m"):
        assert handles(member_client, text) == ["zoe.mulder"], text
    assert handles(member_client, "oe") == []  # word starts only
    assert handles(member_client, "z") == []  # two letters at least


def test_the_answer_says_who_they_are(member_client, zoe):
    [found] = member_client.get(reverse("pick_people"), {"q": "zoe"}).json()["results"]
    assert found["name"] == "Zoë Mulder" and found["title"] == "Designer"
    assert found["initials"] == "ZM" and found["avatar"] == ""


def test_blocked_people_are_never_offered(member, member_client, zoe):
    block_person(blocker=zoe, blocked=member)
    assert handles(member_client, "zoe") == []


def test_a_guest_is_offered_only_the_members_of_their_groups(client, zoe):
    sponsor = UserFactory(first_name="Zora", last_name="Sponsor", username="zora.sponsor")
    guest = UserFactory(username="gus.guest", is_guest=True, sponsor=sponsor)
    room = make_group(sponsor, Group.Kind.SECRET, name="Client room", allow_guests=True)
    add_member(room, sponsor, guest)
    client.force_login(guest)
    assert handles(client, "zo") == ["zora.sponsor"]  # not Zoë, whom he never met


def test_hashtags_come_with_their_uses_and_only_if_the_viewer_may_know_them(
    member, member_client, colleague
):
    for _ in range(3):
        make_post(colleague, "Kick-off #sales_onboarding")
    make_post(colleague, "Once #sales_onboard")
    owner = UserFactory()
    secret = make_group(owner, Group.Kind.SECRET, name="Merger")
    make_post(owner, "Hush #sales_merger", group=secret)
    assert tags(member_client, "sales") == [("sales_onboarding", 3), ("sales_onboard", 1)]
    assert tags(member_client, "onboard") == [("sales_onboarding", 3), ("sales_onboard", 1)]
    assert tags(member_client, "#merg") == []


@pytest.mark.parametrize("extra", [0, 40])
def test_pickers_take_a_fixed_number_of_queries(
    member_client, zoe, colleague, extra, django_assert_max_num_queries
):
    UserFactory.create_batch(extra, first_name="Zoltan")
    for n in range(extra // 10):
        make_post(colleague, f"#zoning_{n} plans")
    # 1 session, 2 signed-in user, 3 the people (with department), nothing else
    with django_assert_max_num_queries(3):
        handles(member_client, "zo")
    # 1 session, 2 user, 3 hashtags known to the viewer, 4 their recent uses
    with django_assert_max_num_queries(4):
        tags(member_client, "zon")


def test_the_search_box_offers_people_groups_and_hashtags_the_viewer_may_know(
    member, member_client, colleague
):
    UserFactory(username="plan.person", first_name="Planck", last_name="Person")
    owner = UserFactory()
    make_group(owner, Group.Kind.OPEN, name="Planning guild")
    make_group(owner, Group.Kind.SECRET, name="Planned merger")
    make_post(colleague, "#planning_q3 kickoff")
    response = member_client.get(reverse("pick_search"), {"q": "plan"})
    found = {(r["name"], r["more"]) for r in response.json()["results"]}
    assert ("Planck Person", "Person") in found
    assert ("Planning guild", "Group") in found
    assert ("#planning_q3", "Hashtag") in found
    assert not any("merger" in name for name, _more in found)
    assert member_client.get(reverse("pick_search"), {"q": "p"}).json() == {"results": []}


@pytest.mark.parametrize("extra", [0, 30])
def test_the_search_box_answer_takes_a_fixed_number_of_queries(
    member_client, colleague, extra, django_assert_max_num_queries
):
    owner = UserFactory()
    UserFactory.create_batch(extra, first_name="Planck")
    for n in range(extra // 10 + 1):
        make_group(owner, Group.Kind.OPEN, name=f"Planning {n}")
        make_post(colleague, f"#planning_{n} notes")
    # 1 session, 2 user, 3 people, 4 groups, 5 hashtags
    with django_assert_max_num_queries(5):
        response = member_client.get(reverse("pick_search"), {"q": "plan"})
    # No Planck at first: a group and a hashtag; then three of each kind at most.
    assert len(response.json()["results"]) == (2 if extra == 0 else 3 + 3 + 3)


def test_a_word_after_a_hyphen_or_dot_starts_a_word_of_the_name(member_client):
    UserFactory(username="am.devries", first_name="Anne-Marie", last_name="de Vries")
    assert handles(member_client, "marie") == ["am.devries"]
    assert handles(member_client, "devr") == ["am.devries"]  # the username after its dot
    assert handles(member_client, "arie") == []


def group_offers(client, text: str) -> list[str]:
    response = client.get(reverse("pick_search"), {"q": text})
    return [r["name"] for r in response.json()["results"] if r["more"] == "Group"]


def test_the_search_box_offers_groups_by_name_the_viewer_may_know(member, member_client, client):
    owner = UserFactory()
    make_group(owner, Group.Kind.OPEN, name="Data and planning", description="x")
    make_group(owner, Group.Kind.PRIVATE, name="Planning office")
    mine = make_group(owner, Group.Kind.SECRET, name="Planning the merger")
    make_group(owner, Group.Kind.SECRET, name="Planning the layoffs")
    make_group(owner, Group.Kind.OPEN, name="Travel", description="Planning trips")
    add_member(mine, owner, member)
    # Whose name starts with the word first; the private group is listed, the secret one
    # only for its member; a description is not a name.
    assert group_offers(member_client, "plan") == [
        "Planning the merger",
        "Planning office",
        "Data and planning",
    ]
    guest = UserFactory(is_guest=True, sponsor=owner)
    room = make_group(owner, Group.Kind.SECRET, name="Planning with the client", allow_guests=True)
    add_member(room, owner, guest)
    client.force_login(guest)
    assert group_offers(client, "plan") == ["Planning with the client"]
