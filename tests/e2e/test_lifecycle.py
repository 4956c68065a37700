"""Leaving and coming back, in a real browser (issue 13): an admin deactivates an employee in
Django admin; their open session is refused at its next click; the managers of the guest they
sponsored are told until when the guest keeps access; the group they alone led is flagged to
the site admins (inbox and the admin's list filter); their post stays, marked as a former
colleague's. Reactivation gives sign-in back, not the group role handed over meanwhile."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.utils import formats, timezone
from playwright.sync_api import Page, expect

from groups.models import Group, Membership
from people.models import User
from tests.e2e.browser import PHONE, scroll_width, sign_in
from tests.factories import PASSWORD, UserFactory, make_post
from tests.groups.helpers import add_manager, add_member, make_group


def _nav(page: Page):
    return page.get_by_role("navigation", name="Main")


def _sign_in_as_typed(page: Page, username: str) -> None:
    page.goto("/accounts/login/")
    page.get_by_label("Username or email").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()


def _set_role(page: Page, name: str, role: str) -> None:
    """A site admin on a group's members page: Manage <name> → Role → Change role."""
    row = page.locator(".manage-row").filter(has_text=name)
    row.get_by_text(f"Manage {name}").click()
    row.get_by_label("Role").select_option(label=role)
    row.get_by_role("button", name="Change role").click()
    expect(page.locator(".page-messages")).to_contain_text(f"{name}'s role is changed.")


@pytest.fixture
def cast(db):
    ada = UserFactory(
        username="ada.admin", first_name="Ada", last_name="Admin", is_staff=True, is_superuser=True
    )
    kofi = UserFactory(username="kofi.owner", first_name="Kofi", last_name="Owner")
    mo = UserFactory(username="mo.manager", first_name="Mo", last_name="Manager")
    mia = UserFactory(username="mia.member", first_name="Mia", last_name="Member")
    gus = UserFactory(
        username="gus.partner",
        first_name="Gus",
        last_name="Partner",
        is_guest=True,
        sponsor=kofi,
        guest_expires_on=timezone.localdate() + timedelta(days=90),
    )
    partners = make_group(kofi, Group.Kind.PRIVATE, name="Partner room", allow_guests=True)
    add_manager(partners, kofi, mo)
    add_member(partners, kofi, gus)
    desks = make_group(kofi, Group.Kind.OPEN, name="Standing desks")
    add_member(desks, kofi, mia)
    make_post(kofi, "My last words on standing desks")
    return ada, kofi, mo, mia, gus, partners, desks


def test_an_admin_deactivates_an_employee_and_reactivates_them(new_page, cast):
    ada, kofi, mo, mia, gus, partners, desks = cast

    # Kofi is signed in on his phone.
    leaver = new_page(PHONE)
    sign_in(leaver, kofi)

    # Ada unticks Active on his page in Django admin.
    admin = new_page()
    sign_in(admin, ada)
    admin.goto(f"/admin/people/user/{kofi.pk}/change/")
    active = admin.get_by_role("checkbox", name="Active")
    expect(active).to_be_checked()
    active.uncheck()
    admin.get_by_role("button", name="Save", exact=True).click()
    expect(admin.locator(".messagelist")).to_contain_text("was changed successfully")
    assert not User.objects.get(pk=kofi.pk).is_active

    # Kofi's next click lands on the sign-in page; his password no longer lets him in.
    _nav(leaver).get_by_role("link", name="Groups").click()
    expect(leaver).to_have_url(re.compile(r"/accounts/login/\?next=/groups/$"))
    expect(leaver.get_by_role("button", name="Sign in")).to_be_visible()
    _sign_in_as_typed(leaver, "kofi.owner")
    expect(leaver.get_by_role("alert")).to_have_text(
        "This account is deactivated. Ask your administrator if you think this is a mistake."
    )
    assert scroll_width(leaver) <= PHONE["width"]

    # Mo, who manages the group Kofi's guest is in, is told until when Gus keeps access.
    gus.refresh_from_db()
    until = gus.guest_expires_on
    assert until < timezone.localdate() + timedelta(days=90)  # shortened to the grace period
    manager = new_page()
    sign_in(manager, mo)
    manager.goto("/inbox/")
    told = manager.get_by_role("link", name=re.compile("Gus Partner, a guest in Partner room"))
    expect(told).to_contain_text("lost their sponsor Kofi Owner, who left the company")
    expect(told).to_contain_text(f"their access ends on {formats.date_format(until, 'j F Y')}")
    told.click()
    expect(manager).to_have_url(re.compile(r"/groups/partner-room/members/$"))

    # Gus still signs in and still reads his group meanwhile.
    guest = new_page()
    sign_in(guest, gus)
    guest.goto(partners.get_absolute_url())
    expect(guest.get_by_text("You are a member.")).to_be_visible()

    # Ada: the group Kofi alone led is flagged in her inbox, and by the admin's filter.
    admin.goto("/inbox/")
    flag = admin.get_by_role("link", name=re.compile("Standing desks has no owner or manager left"))
    expect(flag).to_contain_text("Kofi Owner left the company")
    expect(admin.locator("main")).not_to_contain_text("Partner room has no owner")
    admin.goto("/admin/groups/group/")
    admin.get_by_role("link", name="None active (needs someone to take over)").click()
    expect(admin).to_have_url(re.compile(r"led=no"))
    results = admin.locator("#result_list")
    expect(results.get_by_role("link", name="Standing desks")).to_be_visible()
    expect(results).not_to_contain_text("Partner room")

    # His post is still there for Mia, shown as a former colleague's.
    reader = new_page()
    sign_in(reader, mia)
    reader.goto("/all/")
    post = reader.get_by_role("article", name="Kofi Owner")
    expect(post).to_contain_text("My last words on standing desks")
    expect(post).to_contain_text("Former colleague")
    post.get_by_role("link", name="Kofi Owner").click()
    expect(reader.get_by_role("heading", name="Kofi Owner", level=1)).to_be_visible()
    expect(reader.get_by_text("No longer works here: this account is deactivated.")).to_be_visible()

    # Ada hands the group over from the flag: Mia owner, Kofi an ordinary member.
    admin.goto("/inbox/")
    flag.click()
    expect(admin).to_have_url(re.compile(r"/groups/standing-desks/members/$"))
    _set_role(admin, "Mia Member", "Owner")
    _set_role(admin, "Kofi Owner", "Member")
    admin.goto("/admin/groups/group/?led=no")
    expect(admin.locator("#changelist")).not_to_contain_text("Standing desks")

    # Ada reactivates Kofi with the list's action: he signs in again, as a member only.
    admin.goto("/admin/people/user/?is_active__exact=0")
    admin.get_by_role("row").filter(has_text="kofi.owner").get_by_role("checkbox").check()
    admin.get_by_label("Action:").select_option(label="Reactivate selected people")
    admin.get_by_role("button", name="Run").or_(admin.get_by_role("button", name="Go")).click()
    expect(admin.locator(".messagelist")).to_contain_text("1 person reactivated.")

    sign_in(leaver, kofi)
    leaver.goto(desks.get_absolute_url())
    expect(leaver.get_by_role("navigation", name="Manage the group")).to_have_count(0)
    leaver.goto(f"/groups/{desks.slug}/members/")
    mia_row = leaver.locator(".manage-row").filter(has_text="Mia Member")
    expect(mia_row.locator(".badge")).to_have_text("Owner")
    expect(
        leaver.locator(".manage-row").filter(has_text="Kofi Owner").locator(".badge")
    ).to_have_count(0)
    assert Membership.objects.get(group=desks, user=kofi).role == Membership.Role.MEMBER
    assert scroll_width(leaver) <= PHONE["width"]


def test_the_guest_is_told_their_sponsor_left_and_until_when(new_page, cast):
    ada, kofi, _mo, _mia, gus, _partners, _desks = cast
    admin = new_page()
    sign_in(admin, ada)
    admin.goto(f"/admin/people/user/{kofi.pk}/change/")
    admin.get_by_role("checkbox", name="Active").uncheck()
    admin.get_by_role("button", name="Save", exact=True).click()
    expect(admin.locator(".messagelist")).to_contain_text("was changed successfully")
    gus.refresh_from_db()

    guest = new_page()
    sign_in(guest, gus)
    guest.goto("/inbox/")
    told = guest.locator(".inbox-row").filter(has_text=re.compile(r"Kofi Owner.*left", re.S))
    expect(told).to_have_count(1)
    day = formats.date_format(gus.guest_expires_on, "j F Y")
    expect(told).to_contain_text(
        f"Your sponsor Kofi Owner left the company: your access ends on {day}"
    )
    # The row opens the guest's group, where its managers are listed.
    told.get_by_role("link").first.click()
    expect(guest).to_have_url(re.compile(r"/groups/[\w-]+/$"))
