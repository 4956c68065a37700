"""In Chromium, against a production gunicorn (DEBUG off, gunicorn.conf.py) whose media are on
an S3-compatible store: a person publishes a photo from a phone, a colleague at a desk sees it
(the browser follows the signed redirect, and the page's Content-Security-Policy lets the
image in: a blocked image or a CSP violation fails the test); after a moderator removes the
post, its image address gives the colleague nothing."""

from __future__ import annotations

from pathlib import Path

import pytest
from PIL import Image
from playwright.sync_api import Page, expect

from groups.moderation import remove_post
from posts.models import Post
from tests.e2e.browser import DESKTOP, PHONE
from tests.factories import PASSWORD, UserFactory
from tests.servers import free_port, gunicorn, production_env, server_password

pytestmark = pytest.mark.django_db(transaction=True)

SHOTS = Path("/tmp/shots/object-storage")  # noqa: S108 (where the reviewers look)


def person(username: str, first: str, last: str, **fields):
    user = UserFactory(username=username, first_name=first, last_name=last, **fields)
    server_password(user, PASSWORD)
    return user


def open_as(browser, base: str, viewport: dict, errors: list[str], user) -> Page:
    context = browser.new_context(viewport=viewport, base_url=base)
    context.set_default_timeout(15_000)
    page = context.new_page()
    page.on("console", lambda m: m.type == "error" and errors.append(f"console: {m.text}"))
    page.on("pageerror", lambda exc: errors.append(f"page error: {exc}"))
    page.goto("/accounts/login/")
    page.get_by_label("Username").fill(user.username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_label("Password").press("Enter")
    expect(page.get_by_role("heading", name="Home", level=1)).to_be_visible()
    return page


def loaded(image) -> bool:
    return image.evaluate("img => img.complete && img.naturalWidth > 0")


def test_a_photo_on_the_object_store_reaches_a_colleague_until_it_is_removed(
    browser, browser_errors, s3_media, collected_static, tmp_path
):
    ana = person("ana.jansen", "Ana", "Jansen")
    carl = person("carl.colleague", "Carl", "Colleague")
    ada = UserFactory(username="ada.admin", is_staff=True, is_superuser=True)
    env = production_env(
        collected_static,
        plain_http=True,
        **s3_media.env,
    )
    photo = tmp_path / "desk.png"
    Image.new("RGB", (320, 200), "teal").save(photo, format="PNG")

    with gunicorn(free_port(), env, tmp_path / "gunicorn.log") as site:
        phone = open_as(browser, site, PHONE, browser_errors, ana)
        phone.get_by_label("What would you like to share?").fill("My new standing desk")
        phone.get_by_label("Add images").set_input_files(str(photo))
        phone.get_by_label("Image description (alt text)").fill("A teal standing desk")
        phone.get_by_role("button", name="Publish").click()
        mine = phone.get_by_role("img", name="A teal standing desk")
        expect(mine).to_be_visible()
        phone.wait_for_function("img => img.naturalWidth > 0", arg=mine.element_handle())
        SHOTS.mkdir(parents=True, exist_ok=True)
        mine.scroll_into_view_if_needed()
        phone.screenshot(path=SHOTS / "published-390.png")

        desk = open_as(browser, site, DESKTOP, browser_errors, carl)
        post = Post.objects.get(author=ana)
        desk.goto(post.get_absolute_url())
        seen = desk.get_by_role("img", name="A teal standing desk")
        expect(seen).to_be_visible()
        desk.wait_for_function("img => img.naturalWidth > 0", arg=seen.element_handle())
        assert loaded(seen)
        desk.screenshot(path=SHOTS / "colleague-1280.png")
        image_url = post.images.get().get_absolute_url()

        before = desk.request.get(image_url, max_redirects=0)
        remove_post(post=post, user=ada, reason="Not for the whole company")
        after = desk.request.get(image_url, max_redirects=0)

        assert before.status == 302
        assert before.headers["location"].startswith(f"{s3_media.endpoint}/{s3_media.bucket}/")
        assert after.status == 404
        assert "location" not in after.headers
    assert browser_errors == []
