"""Pickers instead of exact usernames (issue 11): @mentions and #hashtags in the composer and
the comment box, people in the invitation box; keyboard and mouse."""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect

from groups.models import Group
from tests.e2e.browser import PHONE, expected_failures, scroll_width, sign_in
from tests.factories import UserFactory, make_post
from tests.groups.helpers import make_group


def test_mention_and_hashtag_pickers_in_the_composer_and_comments(page: Page):
    ana = UserFactory(username="ana.jansen", first_name="Ana", last_name="Jansen")
    UserFactory(username="zoe.mulder", first_name="Zoë", last_name="Mulder", title="Designer")
    UserFactory(username="zora.mills", first_name="Zora", last_name="Mills")
    for _ in range(2):
        make_post(ana, "Week one #sales_onboarding")
    sign_in(page, ana)

    box = page.get_by_label("What would you like to share?")
    box.press_sequentially("Thanks @mul")
    options = page.get_by_role("option")
    expect(options).to_have_count(1)
    expect(options.first).to_contain_text("Zoë Mulder")
    expect(options.first).to_contain_text("@zoe.mulder · Designer")
    box.press("Enter")
    expect(box).to_have_value("Thanks @zoe.mulder ")
    expect(page.get_by_role("option")).to_have_count(0)

    # Arrow keys move through the people; Escape closes the list and keeps what was typed.
    box.press_sequentially("and @zo")
    expect(page.get_by_role("option")).to_have_count(2)
    first, second = page.get_by_role("option").all_inner_texts()
    expect(page.get_by_role("option", selected=True)).to_contain_text(first.splitlines()[-2])
    box.press("ArrowDown")
    expect(page.get_by_role("option", selected=True)).to_contain_text(second.splitlines()[-2])
    box.press("ArrowUp")
    expect(page.get_by_role("option", selected=True)).to_contain_text(first.splitlines()[-2])
    box.press("Escape")
    expect(page.get_by_role("option")).to_have_count(0)
    expect(box).to_have_value("Thanks @zoe.mulder and @zo")
    box.press_sequentially("r")
    page.get_by_role("option", name=re.compile("Zora Mills")).click()
    expect(box).to_have_value("Thanks @zoe.mulder and @zora.mills ")

    box.press_sequentially("for #onbo")
    expect(page.get_by_role("option").first).to_contain_text("#sales_onboarding")
    expect(page.get_by_role("option").first).to_contain_text("2 posts this week")
    box.press("Tab")
    expect(box).to_have_value("Thanks @zoe.mulder and @zora.mills for #sales_onboarding ")
    page.get_by_role("button", name="Publish").click()
    article = page.locator("#feed-items").get_by_role("article").first
    expect(article.get_by_role("link", name="@zoe.mulder")).to_be_visible()

    # The same in a comment box.
    article.get_by_role("link", name="0 comments").click()
    comment = page.get_by_label("Add a comment")
    comment.press_sequentially("cc @zoe")
    expect(page.get_by_role("option", name=re.compile("Zoë Mulder"))).to_be_visible()
    comment.press("Enter")
    expect(comment).to_have_value("cc @zoe.mulder ")


def test_invite_people_by_name_with_the_picker_on_a_phone(new_page):
    page = new_page(PHONE)
    owner = UserFactory(username="kofi.owner", first_name="Kofi", last_name="Owner")
    UserFactory(username="zoe.mulder", first_name="Zoë", last_name="Mulder")
    UserFactory(username="marieke.devries", first_name="Marieke", last_name="de Vries")
    group = make_group(owner, Group.Kind.PRIVATE, name="Partner program")
    sign_in(page, owner)
    page.goto(f"/groups/{group.slug}/members/invitations/")
    box = page.get_by_label("People", exact=True)
    box.press_sequentially("zoe mul")
    page.get_by_role("option", name=re.compile("Zoë Mulder")).click()
    box.press_sequentially("marieke de")
    expect(page.get_by_role("option", name=re.compile("Marieke de Vries"))).to_be_visible()
    box.press("Enter")
    expect(box).to_have_value("zoe.mulder, marieke.devries, ")
    assert scroll_width(page) <= PHONE["width"]
    page.get_by_role("button", name="Send invitations").click()
    expect(
        page.get_by_text("2 invitations sent. Each person decides whether to join.")
    ).to_be_visible()


def test_a_mention_that_matches_nobody_is_flagged_before_publishing(page: Page, browser_errors):
    ana = UserFactory(username="ana.jansen", first_name="Ana", last_name="Jansen")
    UserFactory(username="marieke.devries", first_name="Marieke", last_name="de Vries")
    sign_in(page, ana)
    box = page.get_by_label("What would you like to share?")
    box.fill("Thanks @marieke for the numbers")
    page.get_by_role("button", name="Publish").click()

    warning = page.locator("#composer .form-errors")
    expect(warning).to_contain_text(
        "Nobody is called @marieke: did you mean Marieke de Vries (@marieke.devries)?"
    )
    expect(warning).to_be_focused()
    expect(box).to_have_value("Thanks @marieke for the numbers")
    expect(page.locator("#feed-items").get_by_role("article")).to_have_count(0)

    # Publishing again as it is: the author's choice.
    page.get_by_role("button", name="Publish").click()
    article = page.locator("#feed-items").get_by_role("article")
    expect(article).to_contain_text("Thanks @marieke for the numbers")
    expected_failures(browser_errors)


def test_the_search_box_offers_results_as_you_type_and_enter_still_searches(page: Page):
    ana = UserFactory(username="ana.jansen", first_name="Ana", last_name="Jansen")
    marieke = UserFactory(username="marieke.devries", first_name="Marieke", last_name="de Vries")
    make_post(marieke, "Standing desks for everyone")
    sign_in(page, ana)
    box = page.get_by_role("combobox", name="Search")
    box.press_sequentially("marieke")
    option = page.get_by_role("option", name=re.compile("Marieke de Vries"))
    expect(option).to_be_visible()
    box.press("ArrowDown")
    expect(option).to_have_attribute("aria-selected", "true")
    # Another answer for the same words comes in (a repeated input event): the option the
    # person moved to stays chosen, so Enter still opens it (it once fell back to searching).
    with page.expect_response(re.compile(r"/pick/search/\?q=marieke")):
        box.dispatch_event("input")
    expect(option).to_have_attribute("aria-selected", "true")
    box.press("Enter")
    expect(page).to_have_url(re.compile(r"/people/marieke\.devries/$"))

    box = page.get_by_role("combobox", name="Search")
    box.press_sequentially("standing")
    box.press("Enter")
    expect(page).to_have_url(re.compile(r"/search/\?q=standing"))
    expect(page.get_by_role("article")).to_contain_text("Standing desks for everyone")
