"""Helpers for the browser journeys (imported by the tests; fixtures live in conftest.py)."""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect

from tests.factories import PASSWORD

DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 390, "height": 844}


def sign_in(page: Page, user, password: str = PASSWORD) -> None:
    """Sign in through the real form, as a person would, and land on Home."""
    page.goto("/accounts/login/")
    page.get_by_label("Username").fill(user.username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(re.compile(r"/$"))
    expect(page.get_by_role("heading", name="Home", level=1)).to_be_visible()


def sign_out(page: Page) -> None:
    """Sign out through the profile menu."""
    page.get_by_label("Your account").click()
    page.get_by_role("button", name="Sign out").click()
    expect(page).to_have_url(re.compile(r"/accounts/login/"))


def scroll_width(page: Page) -> int:
    """The document's full width; wider than the viewport means a horizontal scrollbar."""
    return page.evaluate("() => document.documentElement.scrollWidth")


def expected_failures(browser_errors: list[str]) -> None:
    """A 4xx answer is logged by Chromium (and htmx, for the ones it does not swap) on the
    console; here that is the point of the test, so those lines are expected."""
    browser_errors[:] = [
        e
        for e in browser_errors
        if "status of 4" not in e
        and "htmx:responseError" not in e
        and "Response Status Error" not in e
    ]
