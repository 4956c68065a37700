"""Messages never move the layout (issue 12, walkthrough finding 8): on every page with
columns, a flash message sits above the page's grid, full width, and each column stays where
it is without the message. At 1280 and 390 px."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from groups.models import Group
from hashtags.models import Hashtag
from tests.e2e.browser import DESKTOP, PHONE, scroll_width, sign_in
from tests.factories import UserFactory, make_post
from tests.groups.helpers import make_group

# The grids of the pages with columns, and the element that starts each one's first column.
GRIDS = {
    "group": (".page-two-col", ".page-two-col > :first-child"),
    "profile": (".page-two-col", ".page-two-col > :first-child"),
    "home": (".page-aside", ".page-aside > .stream"),
    "hashtag": (".page-aside", ".page-aside > .stream"),
}


def _flash(page: Page, text: str) -> None:
    """Leave a message for the next page, as any action would (a closed Get started card
    says so): a POST with the page's own session and CSRF token."""
    token = next(c["value"] for c in page.context.cookies() if c["name"] == "csrftoken")
    response = page.request.post(
        "/welcome/get-started/dismiss/",
        headers={"X-CSRFToken": token, "Referer": page.url},
        max_redirects=0,
    )
    assert response.status == 302, text


def _boxes(page: Page, grid: str, first: str) -> tuple[dict, dict]:
    grid_box = page.locator(grid).first.bounding_box()
    first_box = page.locator(first).first.bounding_box()
    assert grid_box and first_box
    return grid_box, first_box


@pytest.mark.parametrize("size", [DESKTOP, PHONE], ids=["1280", "390"])
def test_a_message_sits_above_the_columns_of_every_page(new_page, size):
    mia = UserFactory(username="mia.member", first_name="Mia", last_name="Member")
    carl = UserFactory(username="carl.c", first_name="Carl", last_name="C")
    group = make_group(carl, Group.Kind.OPEN, name="Standing desks")
    make_post(carl, "Desk talk #standing_desk", group=group)
    tag = Hashtag.objects.get(slug="standing_desk")
    pages = {
        "group": group.get_absolute_url(),
        "profile": carl.get_absolute_url(),
        "home": "/",
        "hashtag": tag.get_absolute_url(),
    }
    page = new_page(viewport=size)
    page.set_viewport_size(size)
    sign_in(page, mia)
    for name, url in pages.items():
        grid, first = GRIDS[name]
        page.goto(url)
        expect(page.locator(".page-messages")).to_have_count(0)
        plain_grid, plain_first = _boxes(page, grid, first)

        _flash(page, name)
        page.goto(url)
        message = page.locator(".page-messages")
        expect(message).to_be_visible()
        flash_box = message.bounding_box()
        grid_box, first_box = _boxes(page, grid, first)
        # Above the grid, never inside it; the columns keep their place and width.
        assert flash_box["y"] + flash_box["height"] <= grid_box["y"] + 1, name
        assert abs(first_box["x"] - plain_first["x"]) < 1, name
        assert abs(first_box["width"] - plain_first["width"]) < 1, name
        assert abs(grid_box["width"] - plain_grid["width"]) < 1, name
        assert scroll_width(page) <= size["width"], name
