"""The people directory: filters by department, location and skill (with the name box), a
Follow button per card, pages, and who is never listed (service accounts, people blocked
either way; guests get no directory at all)."""

from __future__ import annotations

import pytest
from django.urls import reverse

from access import people as access_people
from discovery.suggestions import suggested_people
from groups.models import Group
from people.models import Follow, User
from people.selectors import people_directory, people_for_picker, search_people
from people.services import block_person, follow_person
from tests.factories import DepartmentFactory, LocationFactory, UserFactory, make_post
from tests.groups.helpers import add_member, make_group

pytestmark = pytest.mark.django_db

DIRECTORY = reverse("people:directory")


@pytest.fixture
def company(member, colleague, outsider):
    """Mia (Sales, Utrecht), Carl (Engineering), Olga, plus:"""
    sales, eng = DepartmentFactory(name="Sales"), DepartmentFactory(name="Engineering")
    amsterdam, lisbon = LocationFactory(name="Amsterdam"), LocationFactory(name="Lisbon")
    sam = UserFactory(
        username="sam.sales",
        first_name="Sam",
        last_name="Seller",
        department=sales,
        location=amsterdam,
        password=None,
    )
    sam.skills.add("Code review", "Dutch")
    eve = UserFactory(
        username="eve.eng",
        first_name="Eve",
        last_name="Engineer",
        department=eng,
        location=lisbon,
        password=None,
    )
    eve.skills.add("code_review", "Python")
    colleague.skills.add("Python")
    return {"sales": sales, "eng": eng, "amsterdam": amsterdam, "lisbon": lisbon}


def _listed(response) -> list[str]:
    return [p.username for p in response.context["page_obj"]]


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({}, ["carl.colleague", "eve.eng", "mia.member", "olga.outsider", "sam.sales"]),
        ({"department": "sales"}, ["mia.member", "sam.sales"]),
        ({"location": "lisbon"}, ["eve.eng"]),
        ({"skill": "python"}, ["carl.colleague", "eve.eng"]),
        # A skill means its hashtag: "code review" and "code_review" are one skill.
        ({"skill": "Code Review"}, ["eve.eng", "sam.sales"]),
        ({"skill": "code_review"}, ["eve.eng", "sam.sales"]),
        ({"department": "eng", "skill": "python"}, ["carl.colleague", "eve.eng"]),
        ({"department": "eng", "location": "lisbon", "q": "eve"}, ["eve.eng"]),
        ({"department": "sales", "q": "engineer"}, []),
    ],
)
def test_filters_combine_with_the_name_box(member_client, company, params, expected):
    query = {k: company[v].pk if k in ("department", "location") else v for k, v in params.items()}

    response = member_client.get(DIRECTORY, query)

    assert response.status_code == 200
    assert _listed(response) == expected


def test_filters_stay_in_the_form_and_nobody_matching_says_so_with_a_way_back(
    member_client, company
):
    response = member_client.get(
        DIRECTORY, {"department": company["sales"].pk, "skill": "Knitting", "q": "sam"}
    )

    assert _listed(response) == []
    assert "Nobody matches that search." in response.text
    assert f'<option value="{company["sales"].pk}" selected>Sales</option>' in response.text
    assert 'value="Knitting"' in response.text and 'value="sam"' in response.text
    assert f'<a href="{DIRECTORY}">Clear the filters and show everyone</a>' in response.text


@pytest.mark.parametrize(
    "params",
    [
        {"department": "abc"},
        {"department": "999999"},
        {"location": "1 OR 1=1"},
        {"skill": "x" * 51},
        {"q": "a" * 500},
        {"page": "-3"},
        {"skill": "% _ \\ ' \" <script>"},
    ],
)
def test_odd_filter_values_get_a_message_or_are_ignored_never_a_500(member_client, company, params):
    response = member_client.get(DIRECTORY, params)

    assert response.status_code == 200
    assert "<script>" not in response.text.split('role="search"', 1)[1].split("</form>", 1)[0]
    if set(params) & {"department", "location"} or len(params.get("skill", "")) > 50:
        assert 'class="field-error"' in response.text
        # The filters that did validate still apply; the invalid one is left out.
        assert len(_listed(response)) == 5


def test_each_card_offers_follow_or_following_but_not_on_ones_own(member_client, member, company):
    sam = User.objects.get(username="sam.sales")
    follow_person(follower=member, followee=sam)

    response = member_client.get(DIRECTORY, {"department": company["sales"].pk})

    assert 'Following<span class="visually-hidden"> Sam Seller' in response.text
    assert reverse("people:follow", args=["mia.member"]) not in response.text
    # The plain form comes back to the filtered directory.
    assert f'name="next" value="{DIRECTORY}?department={company["sales"].pk}"' in response.text


def test_follow_from_a_card_with_htmx_swaps_the_button(member_client, member, company):
    eve = User.objects.get(username="eve.eng")

    response = member_client.post(
        reverse("people:follow", args=["eve.eng"]),
        {"next": f"{DIRECTORY}?skill=python"},
        HTTP_HX_REQUEST="true",
    )

    assert response.status_code == 200
    assert "Following" in response.text and "<html" not in response.text
    assert Follow.objects.filter(follower=member, followee=eve).exists()


def test_pages_keep_the_filters(member_client, company):
    for n in range(33):
        UserFactory(
            username=f"s{n:02d}", first_name=f"S{n:02d}", department=company["sales"], password=None
        )

    first = member_client.get(DIRECTORY, {"department": company["sales"].pk})
    second = member_client.get(DIRECTORY, {"department": company["sales"].pk, "page": 2})

    assert len(first.context["page_obj"]) == 30
    assert f"?department={company['sales'].pk}&amp;page=2" in first.text
    assert "Page 1 of 2" in first.text
    names = _listed(first) + _listed(second)
    assert len(names) == len(set(names)) == 35  # 33 + Mia + Sam, no overlap


def test_directory_queries_do_not_grow_with_the_page(
    member_client, company, django_assert_max_num_queries
):
    params = {"department": company["eng"].pk, "skill": "python", "q": "e"}
    member_client.get(DIRECTORY)  # the session's first request records the visit

    def load() -> int:
        # 1 session, 2 user, 3 the chosen department (form), 4 count, 5 the viewer's ties
        # (follow state of every card), 6 the page of people with department and location,
        # 7 their skills, 8 the skill box's common skills, 9 the inbox badge, 10-11 the
        # department and location choices.
        with django_assert_max_num_queries(11):
            response = member_client.get(DIRECTORY, params)
        return len(response.context["page_obj"])

    before = load()
    for n in range(20):
        person = UserFactory(
            username=f"eng{n}", first_name=f"Engineer{n}", department=company["eng"], password=None
        )
        person.skills.add("Python", f"skill{n}")
    assert load() == before + 20


# --- who is listed -------------------------------------------------------------------------


def test_guests_get_no_directory(client, colleague):
    guest = UserFactory(username="gus.guest", is_guest=True, sponsor=colleague)
    client.force_login(guest)

    assert client.get(DIRECTORY).status_code == 404
    assert client.get(DIRECTORY, {"skill": "python"}).status_code == 404


@pytest.mark.parametrize("side", ["blocker", "blocked"])
def test_people_blocked_either_way_are_not_listed(client, member, colleague, company, side):
    blocker, blocked = (member, colleague) if side == "blocker" else (colleague, member)
    block_person(blocker=blocker, blocked=blocked)
    client.force_login(member)

    listed = _listed(client.get(DIRECTORY))

    assert "carl.colleague" not in listed
    assert "sam.sales" in listed
    # The profile stays reachable, so a block can be undone from it.
    assert client.get(colleague.get_absolute_url()).status_code == 200


@pytest.fixture
def service_account(db):
    """The site admin's own login."""
    return UserFactory(
        username="ada.admin",
        first_name="Ada",
        last_name="Admin",
        is_staff=True,
        is_superuser=True,
        is_service_account=True,
        password=None,
    )


def test_a_service_account_is_in_no_list_but_its_profile_and_posts_stay(
    member, member_client, colleague, service_account
):
    make_post(service_account, "Welcome to the network")
    follow_person(follower=member, followee=colleague)
    follow_person(follower=colleague, followee=service_account)

    assert service_account not in people_directory(member)
    assert service_account not in search_people(member, ["ada"])
    assert people_for_picker(member, "ada") == []
    assert service_account not in [s.item for s in suggested_people(member)]
    assert "Ada Admin" not in member_client.get(DIRECTORY).text
    assert member_client.get(reverse("pick_people"), {"q": "ada"}).json() == {"results": []}
    profile = member_client.get(service_account.get_absolute_url())
    assert profile.status_code == 200 and "Welcome to the network" in profile.text
    # An ordinary account of the same name is listed: the flag decides, not the name.
    service_account.is_service_account = False
    service_account.save(update_fields=["is_service_account"])
    assert people_for_picker(member, "ada") == [service_account]


def test_a_service_account_in_a_guests_group_is_not_suggested_to_the_guest(
    colleague, service_account
):
    guest = UserFactory(username="gus.guest", is_guest=True, sponsor=colleague)
    group = make_group(colleague, Group.Kind.PRIVATE, name="Client", allow_guests=True)
    add_member(group, colleague, guest)
    add_member(group, colleague, service_account)

    assert [s.item for s in suggested_people(guest)] == [colleague]
    assert people_for_picker(guest, "ada") == []


def test_the_listed_rule_reads_the_same_as_a_q_a_check_and_a_batch(
    member, colleague, outsider, service_account
):
    guest = UserFactory(username="gus.guest", is_guest=True, sponsor=colleague)
    group = make_group(colleague, Group.Kind.PRIVATE, name="Client", allow_guests=True)
    add_member(group, colleague, guest)
    add_member(group, colleague, service_account)
    block_person(blocker=outsider, blocked=member)
    everyone = list(User.objects.all())
    for viewer in (member, guest, service_account, outsider):
        for hide_blocked in (True, False):
            by_q = set(
                access_people.visible_people(
                    viewer, hide_blocked=hide_blocked, listed=True
                ).values_list("pk", flat=True)
            )
            by_check = {
                p.pk
                for p in everyone
                if access_people.can_view_person(viewer, p, hide_blocked=hide_blocked, listed=True)
            }
            by_batch = access_people.visible_person_ids(
                viewer, everyone, hide_blocked=hide_blocked, listed=True
            )
            assert by_q == by_check == by_batch
            assert service_account.pk not in by_q
