"""Community health in a real browser: a manager finds a small group's insights from its
Manage links on a phone and meets only hidden figures; a colleague lists herself under
"Who knows" and another finds her on the hashtag's page; the network's page for an admin."""

from __future__ import annotations

import re
from datetime import datetime, time, timedelta

from django.utils import timezone
from playwright.sync_api import expect

from analytics import rollup
from groups.models import Group
from tests.e2e.browser import PHONE, scroll_width, sign_in
from tests.factories import UserFactory, make_post
from tests.groups.helpers import add_member, make_group


def test_a_manager_on_a_phone_sees_a_small_groups_insights_only_as_hidden_figures(new_page):
    owner = UserFactory(username="olga.owner", first_name="Olga", last_name="Owner")
    members = [UserFactory(first_name=f"Member{i}", last_name="Small") for i in range(3)]
    group = make_group(owner, Group.Kind.PRIVATE, name="Tiny team")
    for person in members:
        add_member(group, owner, person)
    yesterday = timezone.localdate() - timedelta(days=1)
    noon = timezone.make_aware(datetime.combine(yesterday, time(12)))
    for person in [owner, *members]:
        make_post(person, "Standup notes", group=group, created_at=noon)
    make_post(
        members[0],
        "Who has the projector key?",
        group=group,
        is_question=True,
        created_at=noon - timedelta(days=3),
    )
    rollup.roll_up_range(yesterday - timedelta(days=3), yesterday)

    page = new_page(PHONE)
    sign_in(page, owner)
    page.goto(group.get_absolute_url())
    page.get_by_role("link", name="Insights").click()
    expect(page.get_by_role("heading", name="Insights", level=1)).to_be_visible()
    expect(page.get_by_role("link", name="Weeks")).to_have_attribute("aria-current", "page")
    members_table = page.get_by_role("table").filter(has_text="Members").first
    expect(members_table).to_contain_text("fewer than 5")
    expect(page.locator("svg[role=img]").first).to_be_visible()
    # The waiting question is listed by its words; nobody's name is on the page's content.
    expect(page.get_by_role("link", name="Who has the projector key?")).to_be_visible()
    expect(page.locator("main")).not_to_contain_text("Member0")
    page.get_by_role("link", name="Days").click()
    expect(page).to_have_url(re.compile(r"period=day"))
    expect(page.get_by_role("link", name="Days")).to_have_attribute("aria-current", "page")
    assert scroll_width(page) <= PHONE["width"]
    with page.expect_download() as download:
        page.get_by_role("link", name="Download all figures (CSV)").click()
    assert "fewer than 5" in download.value.path().read_text(encoding="utf-8-sig")


def test_listing_myself_under_who_knows_puts_me_on_the_hashtags_page(new_page):
    fay = UserFactory(username="fay.finance", first_name="Fay", last_name="Finance")
    mia = UserFactory(username="mia.member", first_name="Mia", last_name="Member")
    make_post(fay, "How I read the #budget each quarter")

    reader = new_page()
    sign_in(reader, mia)
    reader.goto("/hashtags/budget/")
    panel = reader.get_by_role("region", name="Who knows about #budget")
    expect(panel).not_to_contain_text("Fay Finance")
    # The tag's use over time is beside it, a chart with its figures behind a summary.
    expect(reader.get_by_role("region", name="Use over time")).to_be_visible()

    page = new_page(PHONE)
    sign_in(page, fay)
    page.goto("/people/me/edit/")
    switch = page.get_by_label("List me under 'Who knows' on hashtag pages")
    expect(switch).not_to_be_checked()
    switch.check()
    page.get_by_role("button", name="Save profile").click()
    expect(page.get_by_text("Your profile is saved.")).to_be_visible()
    page.goto("/people/me/edit/")
    expect(page.get_by_label("List me under 'Who knows' on hashtag pages")).to_be_checked()

    reader.reload()
    expect(panel.get_by_role("listitem").filter(has_text="Fay Finance")).to_contain_text("1 post")


def test_an_admin_reads_the_networks_figures_and_what_is_measured(new_page, admin):
    people = [UserFactory() for _ in range(6)]
    yesterday = timezone.localdate() - timedelta(days=1)
    noon = timezone.make_aware(datetime.combine(yesterday, time(12)))
    for person in people:
        make_post(person, "Quarterly update", created_at=noon)
    rollup.roll_up_day(yesterday)

    page = new_page()
    sign_in(page, admin)
    page.get_by_label("Your account").click()
    page.get_by_role("link", name="Community health").click()
    expect(page.get_by_role("heading", name="Community health", level=1)).to_be_visible()
    page.get_by_role("link", name="Days").click()
    posts = page.get_by_role("table").filter(has_text="Posts").first
    expect(posts).to_contain_text("6")
    page.get_by_role("link", name="What this network measures").first.click()
    expect(page.get_by_role("heading", name="What this network measures")).to_be_visible()
    expect(page.locator("main")).to_contain_text("Nobody is scored.")
