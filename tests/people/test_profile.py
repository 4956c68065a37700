"""Profiles: the bio in the posts' markdown, skills as chips leading to their hashtag, the
avatar shown and replaced or removed in place, guests naming their organisation instead of
an internal department, and a deactivated person's "former colleague" page."""

from __future__ import annotations

import pytest
from django.core.files.storage import default_storage
from django.urls import reverse

from groups.models import Group
from people.models import User
from people.services import update_profile
from tests.factories import DepartmentFactory, UserFactory, image_upload, make_post
from tests.groups.helpers import add_member, make_group

pytestmark = pytest.mark.django_db

EDIT = reverse("people:edit_profile")


def _data(**overrides):
    data = {"first_name": "Mia", "last_name": "Member", "title": "", "bio": "", "skills": ""}
    data.update(overrides)
    return data


# --- the bio -------------------------------------------------------------------------------


def test_the_bio_is_rendered_like_a_post(member_client, member, colleague):
    make_post(colleague, "All about #sales_onboarding")
    member.bio = (
        "**Ask me** about:\n\n- pipelines\n- #sales_onboarding\n\n"
        "Also #never_used, @carl.colleague, @nobody.here and <script>alert(1)</script>"
    )
    member.save()

    html = member_client.get(member.get_absolute_url()).text

    assert "<strong>Ask me</strong>" in html
    assert "<li>pipelines</li>" in html
    assert '<a class="hashtag" href="/hashtags/sales_onboarding/"' in html
    # A tag with no page the reader may open, and a name that is nobody, stay plain text.
    assert "#never_used" in html and 'href="/hashtags/never_used/"' not in html
    assert f'<a class="mention" href="{colleague.get_absolute_url()}"' in html
    assert "@nobody.here" in html and "<script>alert" not in html


def test_a_bio_mention_links_only_to_a_profile_the_reader_may_open(client, member, colleague):
    guest = UserFactory(username="gus.guest", is_guest=True, sponsor=colleague)
    group = make_group(colleague, Group.Kind.PRIVATE, name="Client", allow_guests=True)
    add_member(group, colleague, guest)
    colleague.bio = "Ask @mia.member or me"
    colleague.save()
    client.force_login(guest)

    html = client.get(colleague.get_absolute_url()).text

    assert "@mia.member" in html and member.get_absolute_url() not in html


def test_the_form_says_markdown_works(member_client):
    assert "Markdown works: **bold**" in member_client.get(EDIT).text


# --- "who knows" is opt-in ------------------------------------------------------------------


def test_the_who_knows_switch_is_off_until_chosen_and_saves_with_the_rest(member_client, member):
    sales = DepartmentFactory(name="Sales")
    form = member_client.get(EDIT).text
    switch = form.split('name="listed_as_knowing"', 1)[1].split(">", 1)[0]
    assert "checked" not in switch and 'aria-describedby="listed-as-knowing-help"' in switch
    assert "List me under &#x27;Who knows&#x27; on hashtag pages" in form
    assert "Colleagues who look at a hashtag see you listed" in form

    response = member_client.post(
        EDIT,
        _data(title="Analyst", department=sales.pk, skills="Budgets", listed_as_knowing="on"),
    )

    assert response.status_code == 302
    member.refresh_from_db()
    assert member.listed_as_knowing
    assert (member.title, member.department, list(member.skills.names())) == (
        "Analyst",
        sales,
        ["Budgets"],
    )
    assert "checked" in member_client.get(EDIT).text.split('name="listed_as_knowing"', 1)[1]

    member_client.post(EDIT, _data(title="Analyst", department=sales.pk, skills="Budgets"))
    member.refresh_from_db()
    assert not member.listed_as_knowing and member.title == "Analyst"


def test_a_guest_may_choose_to_be_listed_too(client, guest):
    client.force_login(guest)
    client.post(
        EDIT,
        _data(
            first_name="Gus",
            last_name="Guest",
            organisation="Acme Partners",
            listed_as_knowing="on",
        ),
    )
    guest.refresh_from_db()
    assert guest.listed_as_knowing and guest.organisation == "Acme Partners"


def test_the_admin_user_page_shows_the_switch_with_the_profile(admin_client, member):
    page = admin_client.get(reverse("admin:people_user_change", args=[member.pk])).text
    profile = page.split(">Profile</", 1)[1].split(">External guest</", 1)[0]
    assert 'name="listed_as_knowing"' in profile
    assert "List me under &#x27;Who knows&#x27; on hashtag pages" in profile


# --- skills --------------------------------------------------------------------------------


def test_skills_are_edited_without_quotes_and_saved_once_each(member_client, member):
    member.skills.add("Code review", "Dutch")

    form = member_client.get(EDIT).text
    assert 'value="Code review, Dutch"' in form or 'value="Dutch, Code review"' in form
    assert "&quot;" not in form.split('name="skills"', 1)[1].split(">", 1)[0]

    member_client.post(EDIT, _data(skills="Code review, dutch, Dutch ,, #Python, "))

    # Skills match in any case: the stored "Dutch" is kept.
    assert sorted(member.skills.names()) == ["Code review", "Dutch", "Python"]


@pytest.mark.parametrize(
    ("skills", "message"),
    [
        (", ".join(f"skill{n}" for n in range(21)), "You listed 21 skills; at most 20 fit"),
        ("x" * 51, "A skill can be at most 50 characters"),
    ],
)
def test_too_many_or_too_long_skills_are_refused_keeping_what_was_typed(
    member_client, member, skills, message
):
    response = member_client.post(EDIT, _data(skills=skills, title="Kept title"))

    assert response.status_code == 422
    assert message in response.text
    assert 'value="Kept title"' in response.text
    assert list(member.skills.names()) == []


def test_skill_chips_lead_to_their_hashtag_or_the_directory(member_client, member, colleague):
    make_post(colleague, "Tips for #code_review")
    colleague.skills.add("Code review", "C++", "Knitting")

    html = member_client.get(colleague.get_absolute_url()).text

    assert '<a class="chip chip-link" href="/hashtags/code_review/">Code review</a>' in html
    # No hashtag page: people with that skill instead.
    assert f'href="{reverse("people:directory")}?skill=Knitting">Knitting</a>' in html
    assert f'href="{reverse("people:directory")}?skill=C%2B%2B">C++</a>' in html


def test_a_guest_sees_skill_chips_without_a_directory_link(client, colleague):
    guest = UserFactory(username="gus.guest", is_guest=True, sponsor=colleague)
    group = make_group(colleague, Group.Kind.PRIVATE, name="Client", allow_guests=True)
    add_member(group, colleague, guest)
    colleague.skills.add("Knitting")
    client.force_login(guest)

    html = client.get(colleague.get_absolute_url()).text

    assert '<span class="chip">Knitting</span>' in html


def test_a_profile_reads_a_bounded_number_of_queries(
    member_client, member, colleague, django_assert_max_num_queries
):
    make_post(colleague, "On #code_review")
    colleague.bio = "**Ask** about #code_review and @mia.member"
    colleague.save()
    colleague.skills.add("Code review", "Python", "Dutch")
    member_client.get("/")

    # The profile's own reads (person, follow state, block, mute, skills, hashtags known,
    # mentioned people, counts, follow previews) plus its posts page; adding skills adds none.
    with django_assert_max_num_queries(30) as first:
        member_client.get(colleague.get_absolute_url())
    colleague.skills.add(*[f"skill{n}" for n in range(20)])
    with django_assert_max_num_queries(len(first.captured_queries)):
        member_client.get(colleague.get_absolute_url())


# --- the avatar ----------------------------------------------------------------------------


def test_edit_shows_the_current_avatar_with_replace_and_remove(member_client, member):
    member_client.post(EDIT, _data(avatar=image_upload("me.png")))
    member.refresh_from_db()

    form = member_client.get(EDIT).text

    assert f'src="{member.avatar_url}"' in form
    assert member.avatar_url.startswith(reverse("people:avatar", args=[member.username]) + "?v=")
    assert "/media/" not in form and "Currently:" not in form
    assert "Replace photo" in form and "Remove my photo" in form


def test_replacing_and_removing_the_avatar_deletes_the_old_file(
    member_client, member, django_capture_on_commit_callbacks
):
    member_client.post(EDIT, _data(avatar=image_upload("one.png")))
    member.refresh_from_db()
    first, first_url = member.avatar.name, member.avatar_url

    with django_capture_on_commit_callbacks(execute=True):
        member_client.post(EDIT, _data(avatar=image_upload("two.png")))
    member.refresh_from_db()
    assert member.avatar.name != first and member.avatar_url != first_url
    assert not default_storage.exists(first)
    second = member.avatar.name

    with django_capture_on_commit_callbacks(execute=True):
        response = member_client.post(EDIT, _data(remove_avatar="on"), follow=True)
    member.refresh_from_db()
    assert not member.avatar and not default_storage.exists(second)
    assert (
        reverse("people:avatar", args=[member.username]) not in response.text.split("<main", 1)[1]
    )


def test_a_refused_form_keeps_the_stored_avatar_and_asks_for_the_file_again(member_client, member):
    member_client.post(EDIT, _data(avatar=image_upload("one.png")))
    member.refresh_from_db()
    stored = member.avatar.name

    response = member_client.post(
        EDIT, _data(avatar=image_upload("two.png"), skills="x" * 51, remove_avatar="on")
    )

    assert response.status_code == 422
    assert "Choose your new photo again too" in response.text
    member.refresh_from_db()
    assert member.avatar.name == stored and default_storage.exists(stored)


# --- guests --------------------------------------------------------------------------------


@pytest.fixture
def guest(colleague):
    return UserFactory(
        username="gus.guest",
        first_name="Gus",
        last_name="Guest",
        is_guest=True,
        sponsor=colleague,
        organisation="Acme Partners",
    )


def test_a_guest_names_their_organisation_instead_of_a_department(client, guest):
    client.force_login(guest)
    sales = DepartmentFactory(name="Sales")

    form = client.get(EDIT).text
    assert 'name="department"' not in form and 'name="location"' not in form
    assert 'name="organisation"' in form

    client.post(
        EDIT,
        _data(first_name="Gus", last_name="Guest", organisation="Acme BV", department=sales.pk),
    )
    guest.refresh_from_db()
    assert guest.organisation == "Acme BV" and guest.department is None

    profile = client.get(guest.get_absolute_url()).text
    assert "Acme BV" in profile and "badge-guest" in profile


def test_an_employee_cannot_set_an_organisation(member_client, member):
    assert 'name="organisation"' not in member_client.get(EDIT).text
    member_client.post(EDIT, _data(organisation="Elsewhere Inc"))
    member.refresh_from_db()
    assert member.organisation == ""


def test_update_profile_ignores_fields_a_person_of_that_kind_may_not_change(guest, member):
    sales = DepartmentFactory(name="Sales")
    update_profile(person=guest, fields={"department": sales, "title": "CTO"}, skills=[])
    update_profile(person=member, fields={"organisation": "X", "is_staff": True}, skills=[])

    guest.refresh_from_db()
    member.refresh_from_db()
    assert guest.department is None and guest.title == "CTO"
    assert member.organisation == "" and not member.is_staff


def test_a_guest_profile_shows_the_organisation_not_a_department(member_client, guest):
    guest.department = DepartmentFactory(name="Sales")
    guest.save()

    html = member_client.get(guest.get_absolute_url()).text

    assert "Acme Partners" in html and "<dt>Department</dt>" not in html


# --- a former colleague --------------------------------------------------------------------


@pytest.fixture
def former(colleague):
    """Carl, who posted company-wide, in a private and in a secret group, then left."""
    private = make_group(colleague, Group.Kind.PRIVATE, name="Private club")
    secret = make_group(colleague, Group.Kind.SECRET, name="Secret club")
    make_post(colleague, "Company-wide farewell")
    make_post(colleague, "Private note", group=private)
    make_post(colleague, "Secret note", group=secret)
    colleague.avatar = image_upload("carl.png")
    colleague.is_active = False
    colleague.save()
    return colleague


def test_a_former_colleague_page_for_employees_without_follow(member_client, former):
    response = member_client.get(former.get_absolute_url())

    assert response.status_code == 200
    assert "Former colleague" in response.text
    assert "No longer works here: this account is deactivated." in response.text
    # Their posts the reader may see, no others.
    assert "Company-wide farewell" in response.text
    assert "Private note" not in response.text and "Secret note" not in response.text
    assert reverse("people:follow", args=[former.username]) not in response.text
    assert reverse("people:mute", args=[former.username]) not in response.text
    # Nothing to act on: following, muting, blocking and the follow lists stay 404.
    for name in ("follow", "mute", "block"):
        assert (
            member_client.post(reverse(f"people:{name}", args=[former.username])).status_code == 404
        )
    assert member_client.get(reverse("people:followers", args=[former.username])).status_code == 404
    # The photo stays on their old posts.
    assert member_client.get(reverse("people:avatar", args=[former.username])).status_code == 200


def test_a_former_colleague_is_in_no_list(member, member_client, former):
    from people.selectors import people_directory, people_for_picker, search_people

    assert former not in people_directory(member)
    assert list(search_people(member, ["carl"])) == []
    assert people_for_picker(member, "carl") == []


def test_a_group_member_sees_the_former_colleagues_group_posts(client, member, former):
    # Memberships outlive a deactivation; made directly, as the owner can no longer invite.
    Group.objects.get(name="Private club").memberships.create(user=member)
    client.force_login(member)

    assert "Private note" in client.get(former.get_absolute_url()).text


@pytest.mark.parametrize(("shares_a_group", "status"), [(True, 200), (False, 404)])
def test_a_guest_sees_a_former_colleague_only_if_they_shared_a_group(
    client, former, shares_a_group, status
):
    sponsor = UserFactory(username="spon.sor")
    guest = UserFactory(username="gus.guest", is_guest=True, sponsor=sponsor)
    group = make_group(sponsor, Group.Kind.PRIVATE, name="Client", allow_guests=True)
    add_member(group, sponsor, guest)
    if shares_a_group:
        group.memberships.create(user=former)
    client.force_login(guest)

    assert client.get(former.get_absolute_url()).status_code == status
    assert client.get(reverse("people:avatar", args=[former.username])).status_code == status


def test_nobody_signed_out_sees_a_former_colleague(client, former):
    response = client.get(former.get_absolute_url())

    assert response.status_code in (302, 404)
    assert "Former colleague" not in response.text


def test_an_unknown_name_is_still_a_404(member_client):
    assert member_client.get(reverse("people:profile", args=["no.body"])).status_code == 404


def test_the_avatar_url_changes_with_the_photo(member):
    assert member.avatar_url == ""
    member.avatar = image_upload("x.png")
    member.save()
    url = User.objects.get(pk=member.pk).avatar_url
    assert url.startswith("/people/mia.member/avatar/?v=")
