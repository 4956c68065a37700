"""Each kind of rejected form, in Chromium (issue 11): the message where the person is
looking, everything typed kept. The in-place (htmx) forms are in test_form_errors.py; these
are the page forms."""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect

from groups.models import Group
from tests.e2e.browser import expected_failures, sign_in
from tests.factories import UserFactory, make_post
from tests.groups.helpers import make_group


def test_page_forms_keep_what_was_typed_and_say_what_to_fix(
    page: Page, new_page, settings, browser_errors
):
    settings.POST_MAX_LENGTH = 30
    kofi = UserFactory(username="kofi.owner", first_name="Kofi", last_name="Owner")
    dina = UserFactory(username="dina.haddad", first_name="Dina", last_name="Haddad")
    private = make_group(kofi, Group.Kind.PRIVATE, name="Partner program")
    post = make_post(dina, "Short and sweet")

    # A new group without a name.
    sign_in(page, dina)
    page.goto("/groups/new/")
    page.get_by_label("Description").fill("Everything about standing desks")
    page.get_by_label("Name").fill("   ")
    page.get_by_role("button", name="Create the group").click()
    expect(page.get_by_role("alert").first).to_contain_text("Give the group a name.")
    expect(page.get_by_label("Description")).to_have_value("Everything about standing desks")

    # Editing a post past the limit.
    page.goto(post.get_absolute_url() + "edit/")
    long_text = "Short and sweet, then much longer than allowed"
    page.get_by_label("Text").fill(long_text)
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("alert").first).to_contain_text("the limit is 30")
    expect(page.get_by_label("Text")).to_have_value(long_text)

    # A note to the managers: the browser stops typing at the limit (the server refuses
    # longer ones from other clients, with the page and the note: tests/esn).
    page.goto(private.get_absolute_url())
    expect(page.get_by_label("A note for the managers (optional)")).to_have_attribute(
        "maxlength", "1000"
    )

    # Kofi invites someone who does not exist, next to someone who does.
    page = new_page()
    sign_in(page, kofi)
    page.goto(f"/groups/{private.slug}/members/invitations/")
    page.get_by_label("People", exact=True).fill("dina.haddad, nobody.here")
    page.get_by_role("button", name="Send invitations").click()
    expect(page.get_by_role("alert").first).to_contain_text("Nobody is called nobody.here.")
    expect(page.get_by_label("People", exact=True)).to_have_value("dina.haddad, nobody.here")
    expect(page).to_have_url(re.compile(r"/invite/$"))
    expected_failures(browser_errors)
