"""Finding people, groups and hashtags by the first letters of their words (the People,
Groups and Hashtags tabs of the search page), only as far as the viewer may see them."""

from __future__ import annotations

import pytest

from groups.models import Group
from groups.selectors import search_groups
from hashtags.models import Hashtag
from hashtags.selectors import search_hashtags
from hashtags.services import follow_hashtag
from people.selectors import search_people
from tests.factories import DepartmentFactory, LocationFactory, UserFactory, make_post
from tests.groups.helpers import add_member, make_group

pytestmark = pytest.mark.django_db


@pytest.fixture
def marieke(db):
    person = UserFactory(
        username="marieke.jansen",
        first_name="Marieke",
        last_name="Jansen",
        title="Payroll specialist",
        department=DepartmentFactory(name="Finance"),
        location=LocationFactory(name="Rotterdam"),
    )
    person.skills.add("Excel", "négociation")
    return person


@pytest.fixture
def zoe(db):
    return UserFactory(
        username="zoe.muller", first_name="Zoë", last_name="Müller", title="Designer"
    )


def names(qs) -> list[str]:
    return [p.username for p in qs]


@pytest.mark.parametrize(
    "text",
    ["mar", "MAR", "marieke", "jans", "marieke jan", "payroll", "spec", "fin", "rotter", "excel"],
)
def test_people_are_found_by_the_start_of_any_word_of_their_profile(member, marieke, text):
    from esn.textsearch import query_words

    assert names(search_people(member, query_words(text))) == ["marieke.jansen"]


@pytest.mark.parametrize("text", ["zoe", "Zoë", "muller", "müll", "MULLER"])
def test_accents_and_case_do_not_matter(member, zoe, text):
    from esn.textsearch import query_words

    assert names(search_people(member, query_words(text))) == ["zoe.muller"]


def test_skills_match_accent_insensitive(member, marieke):
    assert names(search_people(member, ["negoc"])) == ["marieke.jansen"]


def test_words_across_profile_department_and_location_all_count(member, marieke):
    # The stored profile holds name, username and title; the department and the location
    # are matched in their own tables: one word from each still finds her.
    assert names(search_people(member, ["payroll", "finance", "rotterdam"])) == ["marieke.jansen"]


def test_a_changed_title_department_or_location_is_found_at_once(member, marieke):
    marieke.title = "Zoöloog"
    marieke.save()
    marieke.department.name = "Kassa"
    marieke.department.save()
    marieke.location.name = "Delft"
    marieke.location.save()

    for word in ("zooloog", "kassa", "delft"):
        assert names(search_people(member, [word])) == ["marieke.jansen"], word
    for word in ("payroll", "finance", "rotterdam"):
        assert names(search_people(member, [word])) == [], word


def test_the_middle_of_a_word_does_not_match(member, marieke):
    assert names(search_people(member, ["rieke"])) == []


def test_every_word_must_match_somewhere(member, marieke, zoe):
    assert names(search_people(member, ["mar", "designer"])) == []


def test_a_name_match_comes_before_a_department_match(member, marieke):
    UserFactory(
        username="aaron.abbot",
        first_name="Aaron",
        last_name="Abbot",
        department=DepartmentFactory(name="Marketing"),
    )

    assert names(search_people(member, ["mar"])) == ["marieke.jansen", "aaron.abbot"]


def test_inactive_people_are_not_found(member, marieke):
    marieke.is_active = False
    marieke.save(update_fields=["is_active"])

    assert names(search_people(member, ["marieke"])) == []


def test_a_guest_finds_only_the_people_of_their_groups(colleague, marieke, zoe):
    guest = UserFactory(username="gil.guest", first_name="Gil", is_guest=True, sponsor=colleague)
    shared = make_group(colleague, Group.Kind.PRIVATE, name="Client", allow_guests=True)
    add_member(shared, colleague, guest)
    add_member(shared, colleague, zoe)

    assert names(search_people(guest, ["zoe"])) == ["zoe.muller"]
    assert names(search_people(guest, ["marieke"])) == []


def test_no_words_finds_nobody(member, marieke):
    assert names(search_people(member, [])) == []


# --- groups -------------------------------------------------------------------------------


def test_groups_by_name_or_description_and_never_a_secret_one_to_outsiders(
    member, colleague, outsider
):
    make_group(colleague, Group.Kind.OPEN, name="Café Society", description="Coffee lovers")
    make_group(colleague, Group.Kind.PRIVATE, name="Pricing desk", description="coffee budget")
    secret = make_group(colleague, Group.Kind.SECRET, name="Coffee merger")
    add_member(secret, colleague, member)

    def found(user, words):
        return sorted(g.name for g in search_groups(user, words))

    assert found(outsider, ["cafe"]) == ["Café Society"]
    assert found(outsider, ["coff"]) == ["Café Society", "Pricing desk"]
    assert found(member, ["coff"]) == ["Café Society", "Coffee merger", "Pricing desk"]
    assert [g.is_member for g in search_groups(member, ["merger"])] == [True]


# --- hashtags -----------------------------------------------------------------------------


def test_hashtags_by_the_start_of_their_name_or_of_a_part_of_it(member, colleague):
    make_post(colleague, "#sales_onboarding and #salary_bands and #Ünicode")

    def found(words):
        return [t.slug for t in search_hashtags(member, words)]

    assert found(["sal"]) == ["salary_bands", "sales_onboarding"]
    assert found(["onboard"]) == ["sales_onboarding"]
    assert found(["unic"]) == ["ünicode"]
    assert found(["boarding"]) == []


def test_a_hashtag_only_on_hidden_posts_is_unknown_unless_followed(member, colleague, outsider):
    secret = make_group(colleague, Group.Kind.SECRET, name="Hush")
    make_post(colleague, "#hush_project kickoff", group=secret)

    assert list(search_hashtags(outsider, ["hush"])) == []
    assert [t.slug for t in search_hashtags(colleague, ["hush"])] == ["hush_project"]
    follow_hashtag(user=outsider, hashtag=Hashtag.objects.get(slug="hush_project"))
    assert [(t.slug, t.is_followed) for t in search_hashtags(outsider, ["hush"])] == [
        ("hush_project", True)
    ]
