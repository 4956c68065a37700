"""Who must hear of an event hears of it, in their inbox, in a real browser (issue 11): the
owner of a private group of requests to join, a manager of a report and the reporter of its
outcome, a banned member of the ban."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from groups import services as group_services
from groups.models import Group
from tests.e2e.browser import sign_in
from tests.factories import UserFactory, make_post
from tests.groups.helpers import add_member, make_group


def nav_inbox(page):
    return page.get_by_role("navigation", name="Main").get_by_role("link", name=re.compile("Inbox"))


def test_requests_reports_and_bans_reach_the_people_concerned(new_page):
    kofi = UserFactory(username="kofi.owner", first_name="Kofi", last_name="Owner")
    dina = UserFactory(username="dina.haddad", first_name="Dina", last_name="Haddad")
    ana = UserFactory(username="ana.jansen", first_name="Ana", last_name="Jansen")
    group = make_group(kofi, Group.Kind.PRIVATE, name="Partner program")
    add_member(group, kofi, ana)

    # Dina asks to join; Kofi sees it in his inbox and beside the manage links.
    dina_page = new_page()
    sign_in(dina_page, dina)
    dina_page.goto(group.get_absolute_url())
    dina_page.get_by_label("A note for the managers (optional)").fill("I run the partner desk.")
    dina_page.get_by_role("button", name="Ask to join").click()
    expect(dina_page.get_by_text("Your request is with the group's managers.")).to_be_visible()

    kofi_page = new_page()
    sign_in(kofi_page, kofi)
    expect(nav_inbox(kofi_page)).to_contain_text("1")
    kofi_page.goto("/inbox/")
    row = kofi_page.get_by_role(
        "link", name=re.compile("Dina Haddad asked to join Partner program")
    )
    expect(row).to_be_visible()
    row.click()
    expect(kofi_page).to_have_url(re.compile(r"/members/requests/$"))
    requests = kofi_page.locator("#requests")
    expect(requests).to_contain_text("Dina Haddad")
    expect(requests).to_contain_text("I run the partner desk.")
    # The group page counts what waits beside the manage link.
    kofi_page.goto(group.get_absolute_url())
    manage = kofi_page.get_by_role("navigation", name="Manage the group")
    expect(
        manage.get_by_role("link", name=re.compile("Members, requests and invitations"))
    ).to_be_visible()
    expect(manage).to_contain_text("1 request waiting")
    # Dina, outside, sees when the group was started, not that anything happens inside.
    dina_page.goto("/groups/")
    expect(dina_page.get_by_role("listitem").filter(has_text="Partner program")).to_contain_text(
        "started"
    )

    # Ana reports a post in the group; Kofi moderates; Ana hears the outcome.
    bo = UserFactory(username="bo.seller", first_name="Bo", last_name="Seller")
    add_member(group, kofi, bo)
    post = make_post(bo, "Selling my old laptop, DM me", group=group)
    ana_page = new_page()
    sign_in(ana_page, ana)
    ana_page.goto(post.get_absolute_url())
    ana_page.get_by_role("link", name="Report").click()
    ana_page.get_by_label("What is wrong with it?").fill("Not what this group is for")
    ana_page.get_by_role("button", name="Report").click()

    kofi_page.goto("/inbox/")
    report_row = kofi_page.get_by_role("link", name=re.compile("1 open report in Partner program"))
    expect(report_row).to_be_visible()
    report_row.click()
    expect(kofi_page).to_have_url(re.compile(r"/moderation/$"))
    expect(kofi_page.get_by_text("Not what this group is for")).to_be_visible()
    kofi_page.goto(group.get_absolute_url())
    expect(kofi_page.get_by_role("navigation", name="Manage the group")).to_contain_text(
        "1 open report"
    )
    kofi_page.goto(f"/groups/{group.slug}/moderation/")

    # Kofi keeps the post; Ana is told, without his note.
    kofi_page.get_by_label("Kept it").check()
    kofi_page.get_by_label("Note (the author sees it if you remove)").fill("PRIVATE-NOTE")
    kofi_page.get_by_role("button", name="Resolve").click()
    ana_page.goto("/inbox/")
    expect(
        ana_page.get_by_role("link", name=re.compile("looked at the post you reported and kept it"))
    ).to_be_visible()
    expect(ana_page.get_by_text("PRIVATE-NOTE")).to_have_count(0)

    # Kofi bans Ana: she is told once, and the group no longer offers her a way back in.
    group_services.ban_member(group=group, manager=kofi, person=ana, reason="Spamming reports")
    ana_page.goto("/inbox/")
    expect(
        ana_page.get_by_role("link", name=re.compile("Kofi Owner banned you from Partner program"))
    ).to_be_visible()
    expect(ana_page.get_by_text("Spamming reports")).to_be_visible()
    ana_page.goto(group.get_absolute_url())
    expect(ana_page.get_by_role("button", name="Ask to join")).to_have_count(0)
    expect(
        ana_page.get_by_text("You were removed from this group and cannot rejoin.")
    ).to_be_visible()


def test_site_admins_see_the_site_queue_count_in_their_menu(new_page):
    admin = UserFactory(username="ada.admin", is_staff=True, is_superuser=True)
    author = UserFactory(username="carl.colleague", first_name="Carl", last_name="Colleague")
    reporter = UserFactory(username="mia.member")
    post = make_post(author, "Company-wide, off topic")
    from groups import moderation

    moderation.report(reporter=reporter, post=post, reason="Off topic")
    page = new_page()
    sign_in(page, admin)
    page.get_by_label("Your account").click()
    link = page.get_by_role("link", name=re.compile("Site moderation"))
    expect(link).to_contain_text("1")
    expect(link).to_contain_text("open reports")
    link.click()
    expect(page.get_by_text("reported this", exact=False)).to_contain_text("Off topic")
