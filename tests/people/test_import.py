"""Bringing people in from a CSV file (issue 13): every bad line says what is wrong and
nothing is saved; importing again updates instead of duplicating; new people are sent a
one-time link to choose their password, which expires, works once and refuses tampering."""

from __future__ import annotations

import io
import re
from datetime import timedelta

import pytest
from django.core import mail
from django.core.management import CommandError, call_command
from django.urls import reverse
from django.utils import timezone

from people import importing
from people.models import User
from tests.factories import DepartmentFactory, LocationFactory, UserFactory

pytestmark = pytest.mark.django_db

HEADER = "email,first_name,last_name,department,location,title,guest,sponsor,access_end\n"


@pytest.fixture
def places(db):
    return DepartmentFactory(name="Sales"), LocationFactory(name="Utrecht")


def preview(text: str) -> importing.Preview:
    return importing.check(importing.read(text))


def test_a_clean_file_adds_people_and_a_second_import_updates_them(places, tmp_path):
    kofi = UserFactory(username="kofi", email="kofi@example.com")
    path = tmp_path / "people.csv"
    in_a_month = (timezone.localdate() + timedelta(days=30)).isoformat()
    path.write_text(
        HEADER
        + "Nina.Peeters@Example.com,Nina,Peeters,sales,Utrecht,Account executive,no,,\n"
        + f"gina@client.example,Gina,Client,,,,yes,kofi,{in_a_month}\n"
    )
    out = io.StringIO()
    call_command("import_people", str(path), stdout=out)
    assert "2 people added, 0 updated, 2 invitations sent." in out.getvalue()
    nina = User.objects.get(email__iexact="nina.peeters@example.com")
    assert (nina.username, nina.department.name, nina.title) == (
        "nina.peeters",
        "Sales",
        "Account executive",
    )
    assert not nina.has_usable_password()  # nobody typed a password for her
    gina = User.objects.get(username="gina")
    assert (
        gina.is_guest and gina.sponsor == kofi and gina.guest_expires_on.isoformat() == in_a_month
    )

    path.write_text(
        HEADER + "nina.peeters@example.com,Nina,Peeters-de Vries,Sales,,Team lead,no,,\n"
    )
    out = io.StringIO()
    call_command("import_people", str(path), stdout=out)
    assert "0 people added, 1 updated, 0 invitations sent." in out.getvalue()
    nina.refresh_from_db()
    assert (nina.last_name, nina.title) == ("Peeters-de Vries", "Team lead")
    assert User.objects.filter(email__iexact="nina.peeters@example.com").count() == 1


def test_every_bad_line_says_what_is_wrong_and_nothing_is_saved(places, tmp_path):
    UserFactory(username="kofi", email="kofi@example.com")
    text = (
        HEADER
        + "not-an-email,Ann,A,,,,no,,\n"
        + "bo@example.com,,B,,,,no,,\n"
        + "cy@example.com,Cy,C,Legal,,,no,,\n"
        + "cy@example.com,Cy,C,,,,no,,\n"
        + "dee@client.example,Dee,D,,,,yes,,\n"
        + "eve@client.example,Eve,E,,,,maybe,,\n"
        + "fay@client.example,Fay,F,,,,yes,nobody,31-12-2027\n"
        + "ok@example.com,Ok,Person,Sales,,,no,,\n"
    )
    found = preview(text)
    errors = {row.line: " ".join(row.errors) for row in found.bad}
    assert "is not an email address" in errors[2]
    assert "first name is empty" in errors[3]
    assert "No department is called “Legal”" in errors[4]
    assert "same email as line 4" in errors[5]
    assert "A guest needs a sponsor" in errors[6]
    assert "Guest must be yes or no" in errors[7]
    assert "No active employee is “nobody”" in errors[8] and "YYYY-MM-DD" in errors[8]
    assert 9 not in errors
    path = tmp_path / "bad.csv"
    path.write_text(text)
    with pytest.raises(CommandError, match="Nothing was saved"):
        call_command("import_people", str(path), stdout=io.StringIO())
    assert not User.objects.filter(email="ok@example.com").exists()
    assert mail.outbox == []


def test_wrong_columns_are_refused_with_the_right_ones_named(tmp_path):
    with pytest.raises(importing.UnreadableFileError, match="unknown columns: mail"):
        importing.read("mail,first_name,last_name\nx@example.com,X,Y\n")
    with pytest.raises(importing.UnreadableFileError, match="missing columns: last_name"):
        importing.read("email,first_name\nx@example.com,X\n")


def test_a_dry_run_saves_and_sends_nothing(places, tmp_path):
    path = tmp_path / "people.csv"
    path.write_text(HEADER + "nina@example.com,Nina,Peeters,Sales,,,no,,\n")
    out = io.StringIO()
    call_command("import_people", str(path), "--dry-run", stdout=out)
    assert "1 new, 0 to update, 0 with errors. Dry run" in out.getvalue()
    assert not User.objects.filter(email="nina@example.com").exists() and mail.outbox == []


def _link(message) -> str:
    return re.search(r"http://\S+/accounts/reset/\S+/", message.body).group(0)


def test_the_invitation_link_works_once_and_refuses_tampering(client, places, tmp_path, settings):
    settings.SITE_URL = "http://testserver"
    path = tmp_path / "people.csv"
    path.write_text(HEADER + "nina@example.com,Nina,Peeters,Sales,,,no,,\n")
    call_command("import_people", str(path), stdout=io.StringIO())
    [message] = mail.outbox
    assert message.to == ["nina@example.com"] and "Choose your password" in message.body
    link = _link(message).removeprefix("http://testserver")

    tampered = link[:-3] + "xx/"
    assert "This link no longer works" in client.get(tampered, follow=True).content.decode()

    form = client.get(link, follow=True)
    assert "Choose your password" in form.content.decode()
    assert "Welcome, Nina. Choose a password to sign in as nina@example.com." in (
        form.content.decode()
    )
    choose = form.redirect_chain[-1][0]  # Django moves the token into the session
    done = client.post(
        choose, {"new_password1": "a-Long-walk-2027", "new_password2": "a-Long-walk-2027"}
    )
    # Signed in at once, and sent to check the profile the import filled in.
    assert done.status_code == 302 and done["Location"] == reverse("people:edit_profile")
    nina = User.objects.get(email="nina@example.com")
    assert nina.check_password("a-Long-walk-2027")
    assert client.get(reverse("people:edit_profile")).status_code == 200
    client.logout()
    # Used once: the same link now says so, and sets nothing.
    assert "This link no longer works" in client.get(link, follow=True).content.decode()
    client.post(choose, {"new_password1": "x-Other-2027!", "new_password2": "x-Other-2027!"})
    assert User.objects.get(pk=nina.pk).check_password("a-Long-walk-2027")


def test_an_expired_invitation_link_says_so(client, places, tmp_path, settings):
    settings.SITE_URL = "http://testserver"
    path = tmp_path / "people.csv"
    path.write_text(HEADER + "nina@example.com,Nina,Peeters,Sales,,,no,,\n")
    call_command("import_people", str(path), stdout=io.StringIO())
    link = _link(mail.outbox[0]).removeprefix("http://testserver")
    settings.PASSWORD_RESET_TIMEOUT = -1  # the link's days are over
    assert "This link no longer works" in client.get(link, follow=True).content.decode()


def test_ten_thousand_rows_are_checked_in_a_fixed_number_of_queries(
    places, django_assert_max_num_queries
):
    rows = "".join(f"p{n}@example.com,P{n},Person,Sales,Utrecht,,no,,\n" for n in range(2000))
    # existing accounts, departments, locations (sponsors: none named)
    with django_assert_max_num_queries(3):
        found = preview(HEADER + rows)
    assert len(found.new) == 2000 and not found.bad


def test_the_admins_add_form_asks_for_no_password_and_sends_the_link(admin_client, settings):
    settings.SITE_URL = "http://testserver"
    page = admin_client.get("/admin/people/user/add/").content.decode()
    assert 'name="password1"' not in page and "choose their own" in page
    response = admin_client.post(
        "/admin/people/user/add/",
        {"username": "nina.p", "email": "nina@example.com", "first_name": "Nina", "last_name": "P"},
    )
    assert response.status_code == 302
    nina = User.objects.get(username="nina.p")
    assert not nina.has_usable_password()
    [message] = mail.outbox
    assert message.to == ["nina@example.com"] and "/accounts/reset/" in message.body
    # A clash in case only is refused.
    clash = admin_client.post(
        "/admin/people/user/add/", {"username": "Nina.P", "email": "n2@example.com"}
    )
    assert clash.status_code == 200 and "already exists" in clash.content.decode()


@pytest.mark.parametrize(("said", "guest"), [("ja", True), ("nee", False), ("nein", False)])
def test_guest_yes_or_no_in_dutch_or_german(said, guest):
    [row] = importing.read(HEADER + f"x@example.com,X,Y,,,,{said},,\n")
    importing.check([row])
    assert row.guest is guest
    assert not any("yes or no" in e for e in row.errors)


def test_numbers_in_messages_are_written_the_readers_way(monkeypatch):
    from django.utils import translation

    monkeypatch.setattr(importing, "MAX_ROWS", 1500)
    text = HEADER + "".join(f"p{n}@example.com,P,Q,,,,no,,\n" for n in range(1501))
    for language, written in (("en", "1,500"), ("de", "1.500"), ("nl", "1.500")):
        with translation.override(language), pytest.raises(importing.UnreadableFileError) as err:
            importing.read(text)
        assert written in str(err.value)
