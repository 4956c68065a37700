"""Invitations in a real browser (issues 12-13): a manager invites a colleague from the group's
Invitations tab and the colleague answers from the inbox row, yes to one group and no to
another; a sponsor invites a guest by email, who chooses a password through the one-time
link and sees only that group."""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect

from groups.models import Group, Invitation
from people.models import User
from tests.e2e.browser import PHONE, expected_failures, scroll_width, sign_in
from tests.factories import UserFactory, make_post
from tests.groups.helpers import is_member, make_group

GUEST_PASSWORD = "partner-portal-passphrase-7"


def _nav(page: Page):
    return page.get_by_role("navigation", name="Main")


def _invite_from_the_tab(page: Page, group: Group, username: str) -> None:
    """The manager's way: group page → Members, requests and invitations → Invitations."""
    page.goto(group.get_absolute_url())
    page.get_by_role("navigation", name="Manage the group").get_by_role(
        "link", name=re.compile("Members, requests and invitations")
    ).click()
    page.get_by_role("navigation", name="Members, requests and invitations").get_by_role(
        "link", name=re.compile("^Invitations")
    ).click()
    expect(page).to_have_url(re.compile(r"/members/invitations/$"))
    page.get_by_label("People", exact=True).fill(username)
    page.get_by_role("button", name="Send invitations").click()


def test_a_colleague_joins_one_group_from_the_inbox_and_declines_another(new_page):
    kofi = UserFactory(username="kofi.owner", first_name="Kofi", last_name="Owner")
    dina = UserFactory(username="dina.haddad", first_name="Dina", last_name="Haddad")
    partners = make_group(kofi, Group.Kind.PRIVATE, name="Partner program")
    pricing = make_group(kofi, Group.Kind.PRIVATE, name="Pricing desk")
    make_post(kofi, "Partner onboarding starts Monday", group=partners)

    # Kofi invites Dina to both private groups from their Invitations tabs.
    manager = new_page()
    sign_in(manager, kofi)
    for group in (partners, pricing):
        _invite_from_the_tab(manager, group, "dina.haddad")
        expect(manager.locator(".page-messages")).to_contain_text(
            "Invitation sent to Dina Haddad. Each person decides whether to join."
        )
        waiting = manager.get_by_role("region", name=re.compile("Waiting for an answer"))
        expect(waiting.get_by_role("listitem")).to_have_count(1)
        expect(waiting.get_by_role("listitem")).to_contain_text("Dina Haddad")
        expect(manager.get_by_label("People", exact=True)).to_have_value("")
    assert not is_member(dina, partners)  # invited is not enrolled

    # Dina's inbox: two invitation rows, each with its own Join and No, thanks.
    page = new_page()
    sign_in(page, dina)
    _nav(page).get_by_role("link", name=re.compile(r"^Inbox 2 unread$")).click()
    expect(page).to_have_url(re.compile(r"/inbox/$"))
    partner_row = page.locator(".inbox-row").filter(
        has_text="Kofi Owner invited you to join Partner program"
    )
    pricing_row = page.locator(".inbox-row").filter(
        has_text="Kofi Owner invited you to join Pricing desk"
    )
    expect(partner_row.get_by_role("button", name="Join Partner program")).to_be_visible()
    expect(partner_row.get_by_role("button", name="No, thanks — Partner program")).to_be_visible()
    expect(pricing_row.get_by_role("button", name="Join Pricing desk")).to_be_visible()
    expect(pricing_row.get_by_role("button", name="No, thanks — Pricing desk")).to_be_visible()

    # Join, from the keyboard: she lands in the group, a member, its posts open to her.
    join = partner_row.get_by_role("button", name="Join Partner program")
    join.focus()
    expect(join).to_be_focused()
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"/groups/partner-program/$"))
    expect(page.locator(".page-messages")).to_contain_text("Welcome to Partner program.")
    expect(page.get_by_text("You are a member.")).to_be_visible()
    expect(page.get_by_text("Partner onboarding starts Monday")).to_be_visible()
    assert is_member(dina, partners)

    # Back in the inbox the answered row says so and offers nothing more; the other still asks.
    page.goto("/inbox/")
    expect(partner_row).to_contain_text("Answered or withdrawn.")
    expect(partner_row.get_by_role("button")).to_have_count(0)
    expect(_nav(page).get_by_role("link", name=re.compile(r"^Inbox 1 unread$"))).to_be_visible()

    # No, thanks: the inbox again, that row answered too, and she is not in the group.
    pricing_row.get_by_role("button", name="No, thanks — Pricing desk").click()
    expect(page).to_have_url(re.compile(r"/inbox/$"))
    expect(page.locator(".page-messages")).to_contain_text("Invitation declined.")
    expect(pricing_row).to_contain_text("Answered or withdrawn.")
    expect(pricing_row.get_by_role("button", name=re.compile("Join|No, thanks"))).to_have_count(0)
    expect(_nav(page).get_by_role("link", name="Inbox", exact=True)).to_be_visible()
    assert not is_member(dina, pricing)
    assert Invitation.objects.get(group=pricing, invitee=dina).status == "declined"
    page.goto(pricing.get_absolute_url())
    expect(page.get_by_role("heading", name="Members only")).to_be_visible()
    expect(page.get_by_role("button", name="Ask to join")).to_be_visible()

    # Kofi: Dina is among Partner program's members; Pricing desk waits for nobody. A "no"
    # is not pushed to him (no inbox row: declining is the invitee's own business), it is
    # in the group's audit log.
    manager.goto(f"/groups/{partners.slug}/members/")
    expect(manager.get_by_role("listitem").filter(has_text="Dina Haddad")).to_be_visible()
    manager.goto(f"/groups/{pricing.slug}/members/invitations/")
    expect(manager.get_by_text("Nobody is waiting to answer an invitation.")).to_be_visible()
    manager.goto("/inbox/")
    expect(manager.locator("main")).not_to_contain_text("Dina Haddad")
    manager.goto(f"/groups/{pricing.slug}/audit/")
    declined = manager.get_by_role("row").filter(has_text="declined an invitation")
    expect(declined).to_contain_text("Dina Haddad")


def test_an_invitation_row_on_a_phone(new_page):
    kofi = UserFactory(username="kofi.owner", first_name="Kofi", last_name="Owner")
    dina = UserFactory(username="dina.haddad", first_name="Dina", last_name="Haddad")
    group = make_group(kofi, Group.Kind.PRIVATE, name="Customer advisory board of Benelux")
    manager = new_page()
    sign_in(manager, kofi)
    _invite_from_the_tab(manager, group, "dina.haddad")
    expect(manager.locator(".page-messages")).to_contain_text("Invitation sent to Dina Haddad.")

    phone = new_page(PHONE)
    sign_in(phone, dina)
    phone.goto("/inbox/")
    row = phone.locator(".inbox-row").filter(has_text="invited you to join")
    join = row.get_by_role("button", name=f"Join {group.name}")
    no = row.get_by_role("button", name=f"No, thanks — {group.name}")
    expect(join).to_be_visible()
    expect(no).to_be_visible()
    assert scroll_width(phone) <= PHONE["width"]
    # Both buttons wholly on the screen, big enough to tap.
    for button in (join, no):
        box = button.bounding_box()
        assert box is not None
        assert box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"]
        assert box["height"] >= 24
    no.click()
    expect(phone.locator(".page-messages")).to_contain_text("Invitation declined.")
    expect(row).to_contain_text("Answered or withdrawn.")
    assert scroll_width(phone) <= PHONE["width"]
    assert not is_member(dina, group)


def test_a_sponsor_invites_a_guest_by_email_who_sees_only_that_group(
    new_page, live_server, settings, mailoutbox, browser_errors
):
    settings.SITE_URL = live_server.url
    sam = UserFactory(username="sam.sponsor", first_name="Sam", last_name="Sponsor")
    partners = make_group(sam, Group.Kind.PRIVATE, name="Partner program", allow_guests=True)
    other = make_group(sam, Group.Kind.OPEN, name="Pricing strategy")
    make_post(sam, "Rollout plan for partners", group=partners)
    make_post(sam, "Internal price list", group=other)
    make_post(sam, "Company party on Friday")

    # Sam invites Gus from the group's Invitations tab: a guest, sponsored by Sam.
    page = new_page()
    sign_in(page, sam)
    page.goto(partners.get_absolute_url())
    page.get_by_role("link", name=re.compile("Members, requests and invitations")).click()
    page.get_by_role("link", name=re.compile("^Invitations")).click()
    guest_form = page.get_by_role("region", name="Invite a guest by email")
    expect(guest_form).to_contain_text("You become their sponsor.")
    guest_form.get_by_label("Email address").fill("gus@partner.example")
    guest_form.get_by_label("First name").fill("Gus")
    guest_form.get_by_label("Last name").fill("Partner")
    guest_form.get_by_label("Organisation").fill("Partner BV")
    guest_form.get_by_role("button", name="Invite the guest").click()
    expect(page.locator(".page-messages")).to_contain_text(
        "Gus Partner is invited. Unless they already had an account, they get an email"
    )
    waiting = page.get_by_role("region", name=re.compile("Waiting for an answer"))
    expect(waiting.get_by_role("listitem").filter(has_text="Gus Partner")).to_contain_text("Guest")
    gus = User.objects.get(email="gus@partner.example")
    assert gus.is_guest and gus.sponsor == sam and not gus.has_usable_password()

    # One email, with a one-time link to choose a password.
    [mail] = mailoutbox
    assert mail.to == ["gus@partner.example"]
    match = re.search(r"(http://\S+/accounts/reset/\S+/\S+/)", mail.body)
    assert match, mail.body
    link = match.group(1)
    assert link.startswith(live_server.url)

    # Gus, on his phone: the link, a password, then signing in with his email address.
    phone = new_page(PHONE)
    phone.goto(link)
    expect(phone.get_by_role("heading", name="Choose your password")).to_be_visible()
    expect(phone.get_by_text("Choose a password to sign in as gus@partner.example")).to_be_visible()
    phone.get_by_label("New password", exact=True).fill(GUEST_PASSWORD)
    phone.get_by_label("New password confirmation").fill(GUEST_PASSWORD)
    phone.get_by_role("button", name="Set password").click()
    # Signed in at once, on the profile the sponsor's invitation filled in.
    expect(phone).to_have_url(re.compile(r"/people/me/edit/$"))
    expect(phone.locator(".page-messages")).to_contain_text("Your password is set")
    assert scroll_width(phone) <= PHONE["width"]
    phone.goto("/")
    expect(phone.get_by_role("heading", name="Home", level=1)).to_be_visible()
    assert scroll_width(phone) <= PHONE["width"]

    # A guest's menu: no All, People or Hashtags; the invitation waits on Home.
    for hidden in ("All", "People", "Hashtags"):
        expect(_nav(phone).get_by_role("link", name=hidden, exact=True)).to_have_count(0)
    phone.get_by_role("button", name="Join Partner program").click()
    expect(phone).to_have_url(re.compile(r"/groups/partner-program/$"))
    expect(phone.get_by_text("Rollout plan for partners")).to_be_visible()
    assert is_member(gus, partners)

    phone.goto("/")
    expect(phone.get_by_text("Rollout plan for partners")).to_be_visible()
    for secret in ("Internal price list", "Company party", "Pricing strategy"):
        expect(phone.locator("body")).not_to_contain_text(secret)
    _nav(phone).get_by_role("link", name="Groups").click()
    expect(phone.locator("main")).to_contain_text("Partner program")
    expect(phone.locator("main")).not_to_contain_text("Pricing strategy")
    for path in ("/people/", "/all/", other.get_absolute_url()):
        response = phone.goto(path)
        assert response is not None and response.status == 404, path
        expect(phone.locator("body")).not_to_contain_text("Internal price list")

    # The same link a second time: it says plainly that it no longer works.
    again = new_page()
    again.goto(link)
    expect(again.get_by_role("heading", name="This link no longer works")).to_be_visible()
    expect(again.get_by_text("It was already used or has expired.")).to_be_visible()
    expect(again.get_by_role("button", name="Set password")).to_have_count(0)
    expect(again.get_by_role("link", name="Reset your password")).to_be_visible()

    # The 404s above were the point; Chromium logs each on the console.
    assert all("404 (Not Found)" in error for error in browser_errors), browser_errors
    browser_errors.clear()
    expected_failures(browser_errors)
