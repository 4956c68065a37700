"""Bringing people in from a CSV file in Chromium (issue 13): the admin sees the bad line's
error before anything is saved, corrects the file, imports it, and finds the new person on
the list of people."""

from __future__ import annotations

import re

from django.core import mail
from playwright.sync_api import Page, expect

from people.models import User
from tests.e2e.browser import sign_in
from tests.factories import DepartmentFactory, UserFactory

HEADER = "email,first_name,last_name,department,location,title,guest,sponsor,access_end\n"


def csv_file(text: str) -> dict:
    return {"name": "people.csv", "mimeType": "text/csv", "buffer": text.encode()}


def test_an_admin_corrects_a_bad_line_and_imports_the_people(page: Page):
    DepartmentFactory(name="Sales")
    admin = UserFactory(username="ada.admin", first_name="Ada", is_staff=True, is_superuser=True)
    sign_in(page, admin)

    page.goto("/admin/people/user/")
    page.get_by_role("link", name="Import people from a CSV file").click()
    expect(page.get_by_role("heading", name="Import people from a CSV file")).to_be_visible()

    # A typo in the department: that line's error, and no way to import yet.
    page.get_by_label("CSV file").set_input_files(
        csv_file(
            HEADER
            + "nina.peeters@example.com,Nina,Peeters,Sales,,Account executive,no,,\n"
            + "omar@example.com,Omar,Haddad,Slaes,,,no,,\n"
        )
    )
    page.get_by_role("button", name="Check the file").click()
    rows = page.locator("#import-rows tbody tr")
    expect(rows).to_have_count(2)
    expect(rows.nth(1)).to_contain_text("omar@example.com")
    expect(rows.nth(1)).to_contain_text("No department is called “Slaes”")
    expect(rows.nth(0)).to_contain_text("New: invited")
    expect(page.locator("#import-counts")).to_contain_text("1 line with errors")
    expect(page.get_by_role("button", name=re.compile("send invitations"))).to_have_count(0)
    assert not User.objects.filter(email="nina.peeters@example.com").exists()

    # The corrected file: both new, one button to import them.
    page.get_by_label("CSV file").set_input_files(
        csv_file(
            HEADER
            + "nina.peeters@example.com,Nina,Peeters,Sales,,Account executive,no,,\n"
            + "omar@example.com,Omar,Haddad,Sales,,,no,,\n"
        )
    )
    page.get_by_role("button", name="Check the file").click()
    expect(page.locator("#import-counts")).to_contain_text("0 lines with errors")
    expect(page.locator("#import-counts")).to_contain_text("2 new people, to be invited")
    page.get_by_role("button", name="Import 2 people and send invitations").click()

    expect(page).to_have_url(re.compile(r"/admin/people/user/$"))
    expect(page.locator(".messagelist")).to_contain_text("2 people created and invited, 0 updated.")
    expect(page.locator("#result_list")).to_contain_text("omar@example.com")
    expect(page.locator("#result_list")).to_contain_text("nina.peeters")
    assert sorted(m.to[0] for m in mail.outbox) == ["nina.peeters@example.com", "omar@example.com"]
