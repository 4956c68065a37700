"""The CSV import page in Django admin (issue 13): a file is previewed with one line per row
and an error per bad row before anything is saved; the confirmation applies exactly the
previewed file and invites the new people; a file it cannot read says why on the same page."""

from __future__ import annotations

import re

import pytest
from django.contrib.auth.models import Permission
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile

from people.admin import IMPORT_SESSION_KEY
from people.models import User
from tests.factories import DepartmentFactory, LocationFactory, UserFactory

pytestmark = pytest.mark.django_db

URL = "/admin/people/user/import/"
HEADER = "email,first_name,last_name,department,location,title,guest,sponsor,access_end\n"
GOOD = (
    HEADER
    + "nina.peeters@example.com,Nina,Peeters,Sales,Utrecht,Account executive,no,,\n"
    + "gina@client.example,Gina,Client,,,,yes,kofi,2099-12-31\n"
    + "kofi@example.com,Kofi,Mensah,Sales,,Team lead,no,,\n"
)


@pytest.fixture
def places(db):
    return DepartmentFactory(name="Sales"), LocationFactory(name="Utrecht")


@pytest.fixture
def kofi(db):
    return UserFactory(username="kofi", email="kofi@example.com", first_name="Kofi")


@pytest.fixture
def staff_client(client, admin):
    client.force_login(admin)
    return client


def upload(client, text: str | bytes, name: str = "people.csv"):
    data = text.encode() if isinstance(text, str) else text
    return client.post(URL, {"file": SimpleUploadedFile(name, data, "text/csv")})


def digest_of(response) -> str:
    return re.search(r'name="digest" value="([0-9a-f]{64})"', response.text).group(1)


def rows_of(response) -> dict[str, str]:
    """The preview table, as {line number: the rest of its text}."""
    body = re.search(r"<tbody>(.*?)</tbody>", response.text, re.S).group(1)
    found = {}
    for row in re.findall(r"<tr>(.*?)</tr>", body, re.S):
        cells = [
            " ".join(re.sub(r"<[^>]+>", " ", c).split())
            for c in re.findall(r"<td>(.*?)</td>", row, re.S)
        ]
        found[cells[0]] = " | ".join(cells[1:])
    return found


def test_the_list_of_people_links_to_the_import_page(staff_client):
    page = staff_client.get("/admin/people/user/").text
    assert f'href="{URL}"' in page and "Import people from a CSV file" in page


def test_the_page_explains_the_columns_and_offers_a_template(staff_client):
    page = staff_client.get(URL)
    assert page.status_code == 200
    for column in ("email", "first_name", "sponsor", "access_end"):
        assert f"<code>{column}</code>" in page.text
    assert "nina.peeters@example.com,Nina,Peeters" in page.text  # the example
    template = staff_client.get(URL + "template.csv")
    assert template["Content-Type"].startswith("text/csv")
    assert "attachment" in template["Content-Disposition"]
    assert template.content.decode("utf-8-sig").strip() == HEADER.strip()


def test_a_good_file_is_previewed_with_counts_and_nothing_is_saved(staff_client, places, kofi):
    response = upload(staff_client, GOOD)

    assert response.status_code == 200
    assert "2 new people, to be invited" in response.text
    assert "1 person already here, to be updated" in response.text
    assert "0 lines with errors" in response.text
    rows = rows_of(response)
    assert rows["2"] == "nina.peeters@example.com | Nina Peeters | New: invited"
    assert rows["3"] == "gina@client.example | Gina Client | New: invited"
    assert rows["4"] == "kofi@example.com | Kofi Mensah | Update"
    assert "Import 3 people and send invitations" in response.text
    assert not User.objects.filter(email__in=["nina.peeters@example.com", "gina@client.example"])
    assert User.objects.get(pk=kofi.pk).last_name != "Mensah"
    assert mail.outbox == []


def test_confirming_creates_the_people_and_mails_each_new_one_a_one_time_link(
    staff_client, places, kofi, settings
):
    settings.SITE_URL = "http://testserver"
    preview = upload(staff_client, GOOD)

    done = staff_client.post(URL, {"digest": digest_of(preview)}, follow=True)

    assert done.redirect_chain[-1][0] == "/admin/people/user/"
    assert "2 people created and invited, 1 updated." in done.text
    nina = User.objects.get(email="nina.peeters@example.com")
    assert (nina.username, nina.department.name, nina.location.name) == (
        "nina.peeters",
        "Sales",
        "Utrecht",
    )
    assert not nina.has_usable_password()
    gina = User.objects.get(email="gina@client.example")
    assert gina.is_guest and gina.sponsor == kofi
    kofi.refresh_from_db()
    assert (kofi.last_name, kofi.title) == ("Mensah", "Team lead")
    assert sorted(m.to[0] for m in mail.outbox) == [
        "gina@client.example",
        "nina.peeters@example.com",
    ]
    # The link in Nina's mail lets her choose a password, once.
    [to_nina] = [m for m in mail.outbox if m.to == ["nina.peeters@example.com"]]
    link = re.search(r"http://testserver(/accounts/reset/\S+/)", to_nina.body).group(1)
    staff_client.logout()
    form = staff_client.get(link, follow=True)
    assert "Choose your password" in form.text
    choose = form.redirect_chain[-1][0]
    staff_client.post(
        choose, {"new_password1": "a-Long-walk-2027", "new_password2": "a-Long-walk-2027"}
    )
    assert User.objects.get(pk=nina.pk).check_password("a-Long-walk-2027")
    assert "This link no longer works" in staff_client.get(link, follow=True).text


def test_a_second_confirmation_of_the_same_preview_saves_nothing_twice(staff_client, places, kofi):
    preview = upload(staff_client, GOOD)
    staff_client.post(URL, {"digest": digest_of(preview)})
    mail.outbox.clear()

    again = staff_client.post(URL, {"digest": digest_of(preview)})

    assert again.status_code == 200 and "no longer waiting" in again.text
    assert User.objects.filter(email="nina.peeters@example.com").count() == 1
    assert mail.outbox == []


def test_only_the_previewed_file_is_applied(staff_client, places, kofi):
    first = upload(staff_client, GOOD)
    # Another file is previewed meanwhile (another tab): the first preview's confirmation
    # no longer matches what waits, so nothing of either is saved.
    upload(staff_client, HEADER + "zed@example.com,Zed,Z,,,,no,,\n")

    response = staff_client.post(URL, {"digest": digest_of(first)})

    assert "no longer waiting" in response.text
    assert not User.objects.filter(email__in=["zed@example.com", "nina.peeters@example.com"])


def test_what_changed_since_the_preview_is_shown_again_instead_of_saved(staff_client, places, kofi):
    preview = upload(staff_client, GOOD)
    # Meanwhile someone added Nina by hand: the file would now update her, not create her.
    nina = UserFactory(username="nina", email="Nina.Peeters@example.com")

    response = staff_client.post(URL, {"digest": digest_of(preview)})

    assert response.status_code == 200 and "Something changed since your preview" in response.text
    assert rows_of(response)["2"].endswith("| Update")
    assert "1 new person, to be invited" in response.text
    assert not User.objects.filter(email="gina@client.example").exists()
    assert mail.outbox == []
    # Confirming the new preview applies it.
    staff_client.post(URL, {"digest": digest_of(response)})
    nina.refresh_from_db()
    assert nina.last_name == "Peeters" and User.objects.filter(email="gina@client.example").exists()


def test_a_sponsor_deactivated_since_the_preview_turns_the_row_into_an_error(
    staff_client, places, kofi
):
    preview = upload(staff_client, GOOD)
    User.objects.filter(pk=kofi.pk).update(is_active=False)

    response = staff_client.post(URL, {"digest": digest_of(preview)})

    assert "Something changed since your preview" in response.text
    assert "No active employee is “kofi”" in rows_of(response)["3"]
    assert 'name="digest"' not in response.text  # no confirmation while a line is wrong
    assert not User.objects.filter(email="nina.peeters@example.com").exists()


def test_bad_rows_are_listed_with_their_errors_and_nothing_can_be_saved(staff_client, places):
    text = (
        HEADER
        + "not-an-email,Ann,A,,,,no,,\n"
        + "bo@example.com,,B,,,,no,,\n"
        + "cy@example.com,Cy,C,Legal,,,no,,\n"
        + "ok@example.com,Ok,Person,Sales,,,no,,\n"
    )
    response = upload(staff_client, text)

    rows = rows_of(response)
    assert (
        rows["2"].startswith("not-an-email | Ann A | Error")
        and "is not an email address" in rows["2"]
    )
    assert "The first name is empty" in rows["3"]
    assert "No department is called “Legal”" in rows["4"]
    assert rows["5"].endswith("| New: invited")
    assert "3 lines with errors" in response.text and "1 new person, to be invited" in response.text
    assert 'name="digest"' not in response.text and "send invitations" not in response.text
    # Even a hand-made confirmation of the waiting file saves nothing.
    waiting = staff_client.session[IMPORT_SESSION_KEY]["digest"]
    staff_client.post(URL, {"digest": waiting})
    assert not User.objects.filter(email="ok@example.com").exists() and mail.outbox == []


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("mail,first_name,last_name\nx@example.com,X,Y\n", "unknown columns: mail"),
        ("email,first_name\nx@example.com,X\n", "missing columns: last_name"),
        ("Email;First name;Last name\xe9\n".encode("latin-1"), "not UTF-8 text"),
        (b"PK\x03\x04\x14\x00\x06\x00\x08\x00\x00\x00!\x00\xb1\x9f", "not UTF-8 text"),
        ("", "The submitted file is empty"),
        (HEADER, "nobody under it"),
    ],
)
def test_an_unreadable_file_is_refused_on_the_same_page_with_the_form_still_there(
    staff_client, content, message
):
    response = upload(staff_client, content)

    assert response.status_code == 200
    assert message in response.text
    assert "The file could not be read" in response.text
    assert 'type="file" name="file"' in response.text and "Preview:" not in response.text
    assert IMPORT_SESSION_KEY not in staff_client.session


def test_too_many_rows_are_refused_before_anything_is_checked(staff_client, monkeypatch):
    monkeypatch.setattr("people.importing.MAX_ROWS", 3)
    text = HEADER + "".join(f"p{n}@example.com,P,Q,,,,no,,\n" for n in range(4))

    response = upload(staff_client, text)

    assert "At most 3 people per file" in response.text and "Preview:" not in response.text


def test_a_file_too_big_is_refused_with_the_limit(staff_client, monkeypatch):
    monkeypatch.setattr("people.admin.IMPORT_MAX_BYTES", 1024 * 1024)
    text = HEADER + "x" * (1024 * 1024)

    response = upload(staff_client, text)

    assert "at most 1 MB" in response.text


def test_people_without_the_right_to_add_people_are_refused(client, places, member):
    # Not staff: Django admin's sign-in page, nothing shown.
    client.force_login(member)
    page = client.get(URL)
    assert page.status_code == 302 and page["Location"].startswith("/admin/login/")
    assert upload(client, GOOD).status_code == 302
    assert client.get(URL + "template.csv").status_code == 302
    # Staff, but not allowed to add people: refused, and no link on the list either.
    staff = UserFactory(username="sam.staff", is_staff=True)
    staff.user_permissions.add(Permission.objects.get(codename="view_user"))
    client.force_login(staff)
    assert client.get(URL).status_code == 403
    assert upload(client, GOOD).status_code == 403
    assert "Import people from a CSV file" not in client.get("/admin/people/user/").text
    # Adding without changing is not enough either: an import updates people it knows.
    staff.user_permissions.add(Permission.objects.get(codename="add_user"))
    staff = User.objects.get(pk=staff.pk)  # forget the cached permissions
    client.force_login(staff)
    assert client.get(URL).status_code == 403
    staff.user_permissions.add(Permission.objects.get(codename="change_user"))
    assert client.get(URL).status_code == 200
    assert not User.objects.filter(email="nina.peeters@example.com").exists()


def test_the_preview_of_many_rows_takes_a_bounded_number_of_queries(
    staff_client, places, kofi, django_assert_max_num_queries
):
    def rows(count: int) -> str:
        return "".join(
            f"g{n}@client.example,G{n},Guest,,,,yes,kofi,\n"
            if n % 2
            else f"p{n}@example.com,P{n},Person,Sales,Utrecht,,no,,\n"
            for n in range(count)
        )

    # The request: session, signed-in user, the two-step policy (3). The import's checks:
    # existing accounts, departments, locations, sponsors (4). The admin's sidebar asks
    # whether each one-row settings model (groups, digests, welcome, two-step) has its row
    # yet (4). The file saved in the session: savepoint, update, release (3). 14 in all,
    # whatever the number of rows.
    with django_assert_max_num_queries(14):
        small = upload(staff_client, HEADER + rows(200))
    assert "200 new people, to be invited" in small.text
    with django_assert_max_num_queries(14):
        bigger = upload(staff_client, HEADER + rows(220))
    assert "220 new people, to be invited" in bigger.text
