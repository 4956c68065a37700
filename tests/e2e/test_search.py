"""Searching in a real browser: find a colleague by part of their name from the navigation's
search box, and find a post by a word, highlighted, on a desktop and on a phone."""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect

from posts import services as post_services
from tests.e2e.browser import PHONE, scroll_width, sign_in
from tests.factories import DepartmentFactory, UserFactory, make_post


def nav_search(page: Page, text: str) -> None:
    box = page.get_by_role("navigation", name="Main").get_by_role("combobox", name="Search")
    box.fill(text)
    box.press("Enter")


def test_find_a_colleague_by_part_of_their_name(page):
    mia = UserFactory(username="mia.member", first_name="Mia", last_name="Member")
    UserFactory(
        username="marielle.janssen",
        first_name="Mariëlle",
        last_name="Janssen",
        title="Payroll lead",
        department=DepartmentFactory(name="Finance"),
    )
    UserFactory(username="tom.other", first_name="Tom", last_name="Other")

    sign_in(page, mia)
    nav_search(page, "marie")  # typed without the accent
    expect(page).to_have_url(re.compile(r"/search/\?q=marie$"))
    # No post matches: the page opens on the tab that found someone.
    tabs = page.get_by_role("navigation", name="Kinds of results")
    expect(tabs.get_by_role("link", name=re.compile(r"^People 1$"))).to_have_attribute(
        "aria-current", "page"
    )
    expect(tabs.get_by_role("link", name=re.compile(r"^Posts 0$"))).not_to_have_attribute(
        "aria-current", "page"
    )
    expect(page.get_by_role("status")).to_have_text("1 person matches.")
    person = page.get_by_role("link", name="Mariëlle Janssen")
    expect(person).to_be_visible()
    expect(page.get_by_text("Payroll lead")).to_be_visible()
    expect(page.get_by_role("link", name="Tom Other")).to_have_count(0)

    person.click()
    expect(page).to_have_url(re.compile(r"/people/marielle\.janssen/$"))
    expect(page.get_by_role("heading", name="Mariëlle Janssen", level=1)).to_be_visible()


def test_find_a_post_by_a_word_highlighted_also_on_a_phone(page, new_page):
    carl = UserFactory(username="carl.colleague", first_name="Carl", last_name="Colleague")
    mia = UserFactory(username="mia.member", first_name="Mia", last_name="Member")
    post = make_post(carl, "The new **expense** policy starts in March. Questions welcome.")
    post_services.add_comment(post=post, author=mia, body="Do taxis count as an expense?")
    make_post(carl, "Lunch is on the third floor today.")

    sign_in(page, mia)
    nav_search(page, "expens")
    hit = page.get_by_role("article", name="Carl Colleague")
    expect(hit).to_have_count(1)
    expect(page.get_by_role("status")).to_contain_text("1 post matches.")
    expect(hit.locator("mark").first).to_have_text("expense")
    expect(hit).to_contain_text("Comment by Mia Member")
    expect(hit.locator(".hit-comment mark")).to_have_text("expense")

    hit.get_by_role("link", name=re.compile(r"^The new expense policy")).click()
    expect(page).to_have_url(re.compile(rf"/posts/{post.pk}/$"))

    phone = new_page(PHONE)
    sign_in(phone, mia)
    nav_search(phone, "expense")
    expect(
        phone.get_by_role("article", name="Carl Colleague").locator("mark").first
    ).to_be_visible()
    tabs = phone.get_by_role("navigation", name="Kinds of results").get_by_role("link")
    expect(tabs).to_have_count(4)
    for i in range(4):
        box = tabs.nth(i).bounding_box()
        assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"]
    assert scroll_width(phone) <= PHONE["width"]
