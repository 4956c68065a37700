"""What a person does in a real browser: sign in, post, follow a hashtag, read, like, sign out."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from hashtags import services as hashtag_services
from hashtags.selectors import get_hashtag
from posts import services as post_services
from posts.models import Reaction
from tests.e2e.browser import DESKTOP, PHONE, scroll_width, sign_in, sign_out
from tests.factories import (
    DepartmentFactory,
    FollowFactory,
    LocationFactory,
    UserFactory,
    make_post,
)

SCREENSHOT_DIR = Path(__file__).resolve().parents[2] / "test-results" / "screenshots"


def main_nav(page: Page):
    return page.get_by_role("navigation", name="Main")


def test_post_follow_hashtag_read_and_sign_out(page, new_page):
    ana = UserFactory(username="ana.author", first_name="Ana", last_name="Author")
    UserFactory(username="carl.colleague", first_name="Carl", last_name="Colleague")
    mia = UserFactory(username="mia.member", first_name="Mia", last_name="Member")

    # Ana posts from the home composer; htmx puts the post on top of her feed.
    sign_in(page, ana)
    composer = page.get_by_label("What would you like to share?")
    composer.fill("Kick-off for the new #sales_onboarding track: @carl.colleague hosts it.")
    page.get_by_role("button", name="Publish").click()
    post = page.locator("#feed-items").get_by_role("article", name="Ana Author")
    expect(post).to_contain_text("Kick-off for the new")
    expect(post.locator(".post-reason")).to_have_text("your post")
    expect(post.get_by_role("link", name="#sales_onboarding")).to_have_attribute(
        "href", "/hashtags/sales_onboarding/"
    )
    expect(page.get_by_label("What would you like to share?")).to_have_value("")
    page.reload()
    expect(page.get_by_role("article", name="Ana Author")).to_contain_text("Kick-off")

    # Mia, in her own browser, finds the hashtag and follows it.
    other = new_page()
    sign_in(other, mia)
    expect(other.get_by_role("article")).to_have_count(0)
    main_nav(other).get_by_role("link", name="Hashtags", exact=True).click()
    other.get_by_role("link", name="#sales_onboarding").first.click()
    expect(other).to_have_url(re.compile(r"/hashtags/sales_onboarding/$"))
    expect(other.get_by_role("heading", name="#sales_onboarding", level=1)).to_be_visible()
    other.get_by_role("button", name="Follow #sales_onboarding").click()
    following = other.get_by_role("button", name=re.compile(r"^Following #sales_onboarding"))
    expect(following).to_have_attribute("aria-pressed", "true")

    # Her home feed now carries Ana's post, saying why it is there.
    main_nav(other).get_by_role("link", name="Home", exact=True).click()
    seen = other.get_by_role("article", name="Ana Author")
    expect(seen).to_contain_text("Kick-off for the new")
    expect(seen.locator(".post-reason")).to_have_text("you follow #sales_onboarding")

    # The mention leads to Carl's profile.
    seen.get_by_role("link", name="@carl.colleague").click()
    expect(other).to_have_url(re.compile(r"/people/carl\.colleague/$"))
    expect(other.get_by_role("heading", name="Carl Colleague", level=1)).to_be_visible()

    # Signing out ends the session: Home now asks to sign in.
    sign_out(other)
    expect(other.get_by_role("heading", name="Sign in")).to_be_visible()
    other.goto("/")
    expect(other).to_have_url(re.compile(r"/accounts/login/\?next=/$"))
    # Ana's session is untouched.
    page.goto("/")
    expect(page.get_by_role("heading", name="Home", level=1)).to_be_visible()


def test_like_toggles_in_place(page):
    ana = UserFactory(username="ana.author", first_name="Ana", last_name="Author")
    mia = UserFactory(username="mia.member", first_name="Mia", last_name="Member")
    post = make_post(ana, "Coffee in the atrium at three.")

    sign_in(page, mia)
    main_nav(page).get_by_role("link", name="All", exact=True).click()
    article = page.get_by_role("article", name="Ana Author")
    like = article.get_by_role("button", name=re.compile(r"^Like"))
    expect(like).to_have_attribute("aria-pressed", "false")
    expect(like.locator(".count")).to_have_text("0")
    # A marker on the window survives an htmx swap but not a page load.
    page.evaluate("() => { window.__e2eNoReload = true; }")

    with page.expect_response(re.compile(rf"/posts/{post.pk}/like/$")) as answer:
        like.click()
    assert answer.value.request.headers.get("hx-request") == "true"
    expect(like).to_have_attribute("aria-pressed", "true")
    expect(like.locator(".count")).to_have_text("1")
    expect(like).to_have_accessible_name(re.compile(r"1 like$"))
    assert Reaction.objects.filter(post=post, user=mia).count() == 1

    like.click()
    expect(like).to_have_attribute("aria-pressed", "false")
    expect(like.locator(".count")).to_have_text("0")
    assert not Reaction.objects.filter(post=post, user=mia).exists()

    assert page.evaluate("() => window.__e2eNoReload") is True
    expect(page).to_have_url(re.compile(r"/all/$"))


def test_phone_navigation_reachable_without_horizontal_scroll(new_page):
    ana = UserFactory(username="ana.author", first_name="Ana", last_name="Author")
    mia = UserFactory(username="mia.member", first_name="Mia", last_name="Member")
    make_post(
        ana,
        "Slides for #sales_onboarding: https://intranet.example.com/wiki/sales/onboarding/"
        "2025/slides-for-the-first-week-final-v3.pdf",
    )
    page = new_page(PHONE)
    sign_in(page, mia)
    width = PHONE["width"]
    assert scroll_width(page) <= width

    nav = main_nav(page)
    destinations = [
        ("Home", r"/$", "Home"),
        ("All", r"/all/$", "All posts"),
        ("Questions", r"/questions/$", "Questions"),
        ("Groups", r"/groups/$", "Groups"),
        ("Hashtags", r"/hashtags/$", "Hashtags"),
        ("People", r"/people/$", "People"),
        ("Inbox", r"/inbox/$", "Inbox"),
    ]
    for name, url, heading in destinations:
        link = nav.get_by_role("link", name=name, exact=True)
        expect(link).to_be_in_viewport()
        box = link.bounding_box()
        assert box is not None
        assert box["x"] >= 0
        assert box["x"] + box["width"] <= width, f"{name} sticks out of the screen"
        link.click()
        expect(page).to_have_url(re.compile(url))
        expect(page.get_by_role("heading", name=heading, level=1)).to_be_visible()
        expect(nav.get_by_role("link", name=name, exact=True)).to_have_attribute(
            "aria-current", "page"
        )
        assert scroll_width(page) <= width, f"{name} page scrolls sideways"

    search = nav.get_by_role("combobox", name="Search")
    expect(search).to_be_in_viewport()
    search.fill("carl")
    search.press("Enter")
    expect(page).to_have_url(re.compile(r"/search/\?q=carl$"))
    expect(page.get_by_role("heading", name="Search", level=1)).to_be_visible()
    assert scroll_width(page) <= width

    account = nav.get_by_label("Your account")
    expect(account).to_be_in_viewport()
    account.click()
    my_profile = nav.get_by_role("link", name="My profile")
    expect(my_profile).to_be_in_viewport()
    assert scroll_width(page) <= width, "the open profile menu scrolls sideways"
    my_profile.click()
    expect(page).to_have_url(re.compile(r"/people/mia\.member/$"))
    expect(page.get_by_role("heading", name="Mia Member", level=1)).to_be_visible()
    assert scroll_width(page) <= width

    sign_out(page)


LONG_TAG = "customer_success_quarterly_business_review_playbook_emea_2025"  # 61 of 64


def _overflow_case_home_suggestions(author):
    make_post(author, f"Our new playbook: #{LONG_TAG}")
    return "/"


def _overflow_case_hashtag_page(author):
    make_post(author, f"Our new playbook: #{LONG_TAG}")
    return f"/hashtags/{LONG_TAG}/"


def _overflow_case_profile_with_code(author):
    make_post(author, "The fix:\n\n```\n" + "SELECT id, created_at FROM posts_post " * 3 + "\n```")
    return author.get_absolute_url()


def _overflow_case_post_with_long_url(author):
    post = make_post(
        author,
        "https://intranet.example.com/wiki/architecture/reviews/2025/q3/"
        "feed-performance-and-keyset-pagination-notes-final",
    )
    return post.get_absolute_url()


def _overflow_case_all_with_code(author):
    make_post(author, "The fix:\n\n```\n" + "SELECT id, created_at FROM posts_post " * 3 + "\n```")
    return "/all/"


@pytest.mark.parametrize(
    "make_case",
    [
        pytest.param(_overflow_case_home_suggestions, id="home-suggested-long-hashtag"),
        pytest.param(_overflow_case_hashtag_page, id="hashtag-page-long-name"),
        pytest.param(_overflow_case_profile_with_code, id="profile-code-block"),
        pytest.param(_overflow_case_post_with_long_url, id="post-long-url"),
        pytest.param(_overflow_case_all_with_code, id="all-code-block"),
    ],
)
def test_phone_long_content_does_not_scroll_sideways(new_page, make_case):
    ana = UserFactory(username="ana.author", first_name="Ana", last_name="Author")
    mia = UserFactory(username="mia.member", first_name="Mia", last_name="Member")
    url = make_case(ana)
    page = new_page(PHONE)
    sign_in(page, mia)
    page.goto(url)
    expect(page.get_by_role("main")).to_be_visible()
    assert scroll_width(page) <= PHONE["width"]


def _seed_screenshot_data():
    """A small, plausible company: enough to judge the layout of every main page."""
    sales = DepartmentFactory(name="Sales")
    engineering = DepartmentFactory(name="Engineering")
    utrecht = LocationFactory(name="Utrecht")
    lisbon = LocationFactory(name="Lisbon")
    ana = UserFactory(
        username="ana.author",
        first_name="Ana",
        last_name="Jansen",
        title="Sales enablement lead",
        department=sales,
        location=utrecht,
    )
    carl = UserFactory(
        username="carl.colleague",
        first_name="Carl",
        last_name="Colleague",
        title="Staff engineer",
        department=engineering,
        location=lisbon,
    )
    mia = UserFactory(
        username="mia.member",
        first_name="Mia",
        last_name="Member",
        title="Account executive",
        department=sales,
        location=utrecht,
    )
    for n in range(6):
        UserFactory(
            username=f"person.{n}",
            department=engineering if n % 2 else sales,
            location=lisbon if n % 3 else utrecht,
        )
    FollowFactory(follower=mia, followee=carl)
    first = make_post(
        ana,
        "Kick-off for the new #sales_onboarding track next Monday. @carl.colleague will demo "
        "the pipeline dashboards.\n\n- bring a laptop\n- **coffee** is on us",
    )
    make_post(carl, "Deploy freeze lifted. Thanks all for the patience #release_notes")
    long_post = make_post(
        carl,
        "Notes from the architecture review: https://intranet.example.com/wiki/architecture/"
        "reviews/2025/q3/feed-performance-and-keyset-pagination plus "
        "#an_unusually_long_hashtag_for_narrow_screens and `code_snippet_here()`.",
    )
    hashtag_services.follow_hashtag(user=mia, hashtag=get_hashtag("sales_onboarding"))
    post_services.toggle_like(post=first, user=mia)
    post_services.toggle_like(post=first, user=carl)
    post_services.add_comment(post=first, author=carl, body="Looking forward to it!")
    post_services.add_comment(post=first, author=mia, body="Can we record it for Lisbon?")
    return mia, first, long_post


@pytest.mark.skipif(
    os.environ.get("ESN_SCREENSHOTS") != "1",
    reason="screenshots only on request: ESN_SCREENSHOTS=1",
)
def test_screenshots(new_page):
    mia, first, _ = _seed_screenshot_data()
    SCREENSHOT_DIR.mkdir(parents=True, exist_ok=True)
    pages = {
        "home": "/",
        "all": "/all/",
        "post": first.get_absolute_url(),
        "profile": "/people/carl.colleague/",
        "hashtag": "/hashtags/sales_onboarding/",
        "hashtags": "/hashtags/",
        "people": "/people/",
        # The filters open with a field error: the form's widgets (esn/form_renderer.py).
        "search": "/search/?q=desk&since=not-a-date",
        # Hits: the result card (posts/templatetags/post_cards.search_hit), a comment's too.
        "search-hits": "/search/?q=lisbon+record",
    }
    for label, viewport in (("1280", DESKTOP), ("390", PHONE)):
        page = new_page(viewport)
        page.goto("/accounts/login/")
        page.screenshot(path=SCREENSHOT_DIR / f"login-{label}.png", full_page=True)
        sign_in(page, mia)
        for name, url in pages.items():
            page.goto(url)
            page.wait_for_load_state("networkidle")
            page.screenshot(path=SCREENSHOT_DIR / f"{name}-{label}.png", full_page=True)
            assert scroll_width(page) <= viewport["width"], f"{name} scrolls sideways at {label}"
        page.get_by_label("Your account").click()
        page.screenshot(path=SCREENSHOT_DIR / f"menu-{label}.png")
