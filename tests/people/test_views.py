from __future__ import annotations

import io

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils.html import escape
from PIL import Image

from people.models import Follow
from people.services import follow_person
from tests.factories import DepartmentFactory, LocationFactory, UserFactory, image_upload

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}


def _follow_url(person) -> str:
    return reverse("people:follow", args=[person.username])


# --- following people ---------------------------------------------------------------------


def test_follow_and_unfollow_with_plain_forms(member_client, member, colleague):
    followed = member_client.post(_follow_url(colleague), follow=True)

    assert Follow.objects.filter(follower=member, followee=colleague).exists()
    assert followed.redirect_chain[-1][0] == colleague.get_absolute_url()
    assert 'value="unfollow"' in followed.text
    assert "<strong>1</strong> follower" in followed.text

    unfollowed = member_client.post(_follow_url(colleague), {"action": "unfollow"}, follow=True)

    assert not Follow.objects.exists()
    assert 'value="unfollow"' not in unfollowed.text
    assert "<strong>0</strong> followers" in unfollowed.text


def test_follow_and_unfollow_with_htmx_returns_just_the_button(member_client, colleague):
    followed = member_client.post(_follow_url(colleague), **HTMX)
    unfollowed = member_client.post(_follow_url(colleague), {"action": "unfollow"}, **HTMX)

    assert followed.status_code == 200
    assert followed.text.strip().startswith('<form class="follow-form"')
    assert "<html" not in followed.text
    assert 'aria-pressed="true"' in followed.text
    assert f"{colleague.display_name} — unfollow" in followed.text
    assert 'aria-pressed="false"' in unfollowed.text
    assert not Follow.objects.exists()


def test_following_yourself_is_refused_with_a_clear_message(member_client, member):
    response = member_client.post(_follow_url(member), follow=True)

    assert "You cannot follow yourself." in response.text
    assert not Follow.objects.exists()


def test_following_yourself_through_the_service_raises_a_readable_error(member):
    with pytest.raises(ValidationError, match="You cannot follow yourself."):
        follow_person(follower=member, followee=member)


def test_following_twice_is_harmless(member_client, member, colleague):
    member_client.post(_follow_url(colleague))
    again = member_client.post(_follow_url(colleague))
    htmx_again = member_client.post(_follow_url(colleague), **HTMX)

    assert again.status_code == 302
    assert htmx_again.status_code == 200 and 'aria-pressed="true"' in htmx_again.text
    assert Follow.objects.filter(follower=member, followee=colleague).count() == 1
    assert follow_person(follower=member, followee=colleague) is False


def test_unfollowing_someone_not_followed_is_harmless(member_client, colleague):
    response = member_client.post(_follow_url(colleague), {"action": "unfollow"})

    assert response.status_code == 302
    assert not Follow.objects.exists()


def test_following_someone_who_does_not_exist_or_left_is_404(member_client, outsider):
    outsider.is_active = False
    outsider.save()

    assert member_client.post(reverse("people:follow", args=["no.body"])).status_code == 404
    assert member_client.post(_follow_url(outsider)).status_code == 404
    assert not Follow.objects.exists()
    # Their name on old posts leads to a "former colleague" page, with no Follow button.
    page = member_client.get(outsider.get_absolute_url())
    assert page.status_code == 200
    assert "Former colleague" in page.text
    assert _follow_url(outsider) not in page.text


def test_follow_needs_a_post_request(member_client, colleague):
    assert member_client.get(_follow_url(colleague)).status_code == 405
    assert not Follow.objects.exists()


# --- editing one's profile -----------------------------------------------------------------


def _profile_data(**overrides):
    data = {
        "first_name": "Mia",
        "last_name": "Member-Jansen",
        "title": "Head of <Sales> & Onboarding",
        "department": DepartmentFactory(name="Marketing").pk,
        "location": LocationFactory(name="Rotterdam").pk,
        "bio": "I run the onboarding programme.\nAsk me anything.",
        "skills": "negotiation, onboarding",
    }
    data.update(overrides)
    return data


def test_profile_edit_saves_and_shows_the_new_details(member_client, member):
    response = member_client.post(reverse("people:edit_profile"), _profile_data(), follow=True)

    assert response.redirect_chain[-1][0] == member.get_absolute_url()
    assert "Your profile is saved." in response.text
    assert escape("Head of <Sales> & Onboarding") in response.text
    assert "Marketing" in response.text and "Rotterdam" in response.text
    assert "negotiation" in response.text
    member.refresh_from_db()
    assert member.last_name == "Member-Jansen"
    assert sorted(member.skills.names()) == ["negotiation", "onboarding"]


def test_invalid_avatar_gives_a_message_and_keeps_everything_typed(member_client, member):
    not_an_image = SimpleUploadedFile("me.png", b"this is not a picture" * 20, "image/png")

    response = member_client.post(
        reverse("people:edit_profile"), _profile_data(avatar=not_an_image)
    )

    assert response.status_code == 422
    assert "image" in response.text.split('class="field-error"', 1)[1].split("</p>", 1)[0]
    assert 'value="Member-Jansen"' in response.text
    assert escape("Head of <Sales> & Onboarding") in response.text
    assert "I run the onboarding programme." in response.text
    assert 'value="negotiation, onboarding"' in response.text
    assert "selected>Marketing</option>" in response.text
    member.refresh_from_db()
    assert member.last_name == "Member"
    assert member.title != "Head of <Sales> & Onboarding"
    assert not member.avatar


def test_oversized_avatar_is_refused_stating_the_limit(member_client, member, settings):
    settings.IMAGE_MAX_BYTES = 1024 * 1024
    png = image_upload().read()
    big = SimpleUploadedFile("big.png", png + b"\0" * (2 * 1024 * 1024), "image/png")

    response = member_client.post(reverse("people:edit_profile"), _profile_data(avatar=big))

    assert response.status_code == 422
    assert "images can be at most 1 MB" in response.text
    assert 'value="Member-Jansen"' in response.text
    member.refresh_from_db()
    assert not member.avatar


def test_avatar_is_stored_without_exif_and_served(member_client, member):
    exif = Image.Exif()
    exif[0x010F] = "SpyCam Inc"
    photo = image_upload("me.jpg", fmt="JPEG", exif=exif)

    member_client.post(reverse("people:edit_profile"), _profile_data(avatar=photo))

    member.refresh_from_db()
    assert member.avatar
    served = member_client.get(reverse("people:avatar", args=[member.username]))
    data = b"".join(served.streaming_content)
    assert served.status_code == 200
    assert b"SpyCam" not in data
    with Image.open(io.BytesIO(data)) as image:
        assert dict(image.getexif()) == {}


def test_profile_edit_changes_only_ones_own_profile(member_client, member, colleague):
    member_client.post(reverse("people:edit_profile"), _profile_data(first_name="Changed"))

    colleague.refresh_from_db()
    member.refresh_from_db()
    assert colleague.first_name == "Carl"
    assert member.first_name == "Changed"


# --- the people directory ------------------------------------------------------------------


@pytest.fixture
def staff(member, colleague, outsider):
    UserFactory(
        username="sam.sales",
        first_name="Sam",
        last_name="Jansen",
        title="Account manager",
        department=DepartmentFactory(name="Sales"),
        location=LocationFactory(name="Amsterdam"),
        password=None,  # never signs in: skip the slow password hashing
    )
    UserFactory(
        username="gone.person",
        first_name="Gone",
        department=member.department,
        is_active=False,
        password=None,
    )


def _names(response) -> set[str]:
    return {
        name
        for name in ["Mia Member", "Carl Colleague", "Olga Outsider", "Sam Jansen", "Gone"]
        if name in response.text
    }


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("carl", {"Carl Colleague"}),
        ("Jansen", {"Sam Jansen"}),
        ("sales", {"Mia Member", "Sam Jansen"}),
        ("engineering", {"Carl Colleague"}),
        ("amsterdam", {"Sam Jansen"}),
        ("account manager", {"Sam Jansen"}),
        ("sales utrecht", {"Mia Member"}),
        ("nobody-matches-this", set()),
    ],
)
def test_directory_search_by_name_title_department_or_location(
    member_client, staff, query, expected
):
    response = member_client.get(reverse("people:directory"), {"q": query})

    assert response.status_code == 200
    assert _names(response) == expected
    if not expected:
        assert "Nobody matches that search." in response.text


def test_directory_without_a_query_lists_active_people_only(member_client, staff):
    response = member_client.get(reverse("people:directory"))

    assert _names(response) == {"Mia Member", "Carl Colleague", "Olga Outsider", "Sam Jansen"}


@pytest.mark.parametrize("query", ["& | ! : * ( ) ' \"", "%", "_", "\\", "<script>", "a" * 500])
def test_directory_search_survives_odd_characters(member_client, staff, query):
    response = member_client.get(reverse("people:directory"), {"q": query})

    assert response.status_code == 200
    assert "<script>" not in response.text.split('id="people-q"', 1)[1].split("</form>", 1)[0]
