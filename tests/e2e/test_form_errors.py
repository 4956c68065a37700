"""Every htmx action answers (issue 11): a rejected form comes back where it was, with its
message, what was typed and the focus on the first thing to fix; any other failure is
announced instead of leaving a button that seems dead. One rule in base.html and esn.js
does it for every form; these journeys submit each kind of rejected form."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from groups.models import Group
from posts.models import Post
from tests.e2e.browser import PHONE, expected_failures, sign_in
from tests.factories import UserFactory, make_post
from tests.groups.helpers import make_group


@pytest.fixture
def ana(db):
    return UserFactory(username="ana.author", first_name="Ana", last_name="Author")


def test_a_rejected_post_keeps_its_text_question_flag_and_audience(
    page: Page, ana, settings, browser_errors
):
    settings.POST_MAX_LENGTH = 40
    group = make_group(ana, Group.Kind.OPEN, name="Standing desks")
    sign_in(page, ana)
    text = "Which standing desk do you all use, and would you buy it again today?"
    page.get_by_label("What would you like to share?").fill(text)
    page.get_by_label("This is a question").check()
    page.get_by_label("Share with").select_option(str(group.pk))
    page.get_by_role("button", name="Publish").click()

    composer = page.locator("#composer")
    expect(composer.get_by_role("alert")).to_contain_text("the limit is 40")
    expect(composer.locator(".form-errors")).to_be_focused()
    expect(page.get_by_label("What would you like to share?")).to_have_value(text)
    expect(page.get_by_label("This is a question")).to_be_checked()
    expect(page.get_by_label("Share with")).to_have_value(str(group.pk))
    assert not Post.objects.exists()
    expected_failures(browser_errors)

    # Fixed and sent again from the same form: published, in the feed.
    page.get_by_label("What would you like to share?").fill("Which standing desk?")
    page.get_by_role("button", name="Publish").click()
    expect(page.locator("#feed-items").get_by_role("article")).to_contain_text(
        "Which standing desk?"
    )
    expect(page.locator("#composer .form-errors")).to_have_count(0)


def test_an_empty_post_is_refused_with_a_message(page: Page, ana, browser_errors):
    sign_in(page, ana)
    page.get_by_role("button", name="Publish").click()
    expect(page.locator("#composer").get_by_role("alert")).to_contain_text(
        "Write something before publishing your post."
    )
    expected_failures(browser_errors)


def test_a_file_that_is_not_an_image_asks_for_the_images_again(
    page: Page, ana, tmp_path, browser_errors
):
    fake = tmp_path / "holiday.png"
    fake.write_bytes(b"this is not a picture at all")
    sign_in(page, ana)
    page.get_by_label("What would you like to share?").fill("Photos from the offsite")
    page.get_by_label("Add images").set_input_files(str(fake))
    page.get_by_role("button", name="Publish").click()

    composer = page.locator("#composer")
    expect(composer.get_by_role("alert").first).to_be_visible()
    expect(composer).to_contain_text("Please choose your images again.")
    expect(page.get_by_label("What would you like to share?")).to_have_value(
        "Photos from the offsite"
    )
    expected_failures(browser_errors)


def test_a_rejected_comment_says_why_and_keeps_what_was_typed(
    page: Page, ana, settings, browser_errors
):
    settings.COMMENT_MAX_LENGTH = 10
    post = make_post(ana, "Lunch at the new place?")
    sign_in(page, ana)
    page.goto(post.get_absolute_url())
    box = page.get_by_label("Add a comment")
    box.fill("Yes please, count me in for Thursday")
    page.get_by_role("button", name="Comment").click()

    comments = page.locator("#comments")
    expect(comments.get_by_role("alert")).to_contain_text("the limit is 10")
    expect(page.get_by_label("Add a comment")).to_have_value("Yes please, count me in for Thursday")
    expect(page.get_by_label("Add a comment")).to_be_focused()
    expected_failures(browser_errors)


def test_an_action_the_server_refuses_is_announced_not_silent(page: Page, ana, browser_errors):
    colleague = UserFactory(username="carl.colleague", first_name="Carl", last_name="Colleague")
    post = make_post(colleague, "Coffee machine is fixed")
    sign_in(page, ana)
    page.goto("/all/")
    article = page.get_by_role("article", name="Carl Colleague")
    expect(article).to_contain_text("Coffee machine is fixed")
    post.delete()  # gone while the page was open
    article.get_by_role("button", name=re.compile("Like")).click()

    alert = page.locator("#htmx-alert")
    expect(alert).to_be_visible()
    expect(alert).to_contain_text("That did not work. Nothing was changed")
    expected_failures(browser_errors)


def test_the_error_toast_fits_a_phone(new_page, ana, browser_errors):
    page = new_page(PHONE)
    colleague = UserFactory(username="carl.colleague", first_name="Carl", last_name="Colleague")
    post = make_post(colleague, "Coffee machine is fixed")
    sign_in(page, ana)
    page.goto("/all/")
    post.delete()
    page.get_by_role("article", name="Carl Colleague").get_by_role(
        "button", name=re.compile("Like")
    ).click()
    alert = page.locator("#htmx-alert")
    expect(alert).to_be_visible()
    box = alert.bounding_box()
    assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"]
    expected_failures(browser_errors)


def test_publishing_confirms_and_a_comment_updates_the_count_on_the_page(
    page: Page, ana, browser_errors
):
    sign_in(page, ana)
    page.get_by_label("What would you like to share?").fill("Standing desks: worth it?")
    page.get_by_role("button", name="Publish").click()
    expect(page.locator("#composer").get_by_role("status")).to_contain_text(
        "Your post is published."
    )
    article = page.locator("#feed-items").get_by_role("article", name="Ana Author")
    expect(article).to_contain_text("Standing desks: worth it?")
    expect(article.get_by_role("link", name="0 comments")).to_be_visible()

    page.locator("#composer").get_by_role("link", name="Open it").click()
    page.get_by_label("Add a comment").fill("Mine changed my afternoons.")
    page.get_by_role("button", name="Comment").click()
    expect(page.locator("#comments")).to_contain_text("Mine changed my afternoons.")
    # The post's own count, above the thread, follows without a reload.
    expect(page.get_by_role("link", name="1 comment", exact=True)).to_be_visible()
    expect(page.get_by_role("heading", name="1 comment")).to_be_visible()


def test_invisible_text_and_an_animated_bomb_are_refused_where_the_person_looks(
    page: Page, ana, tmp_path, settings, browser_errors
):
    """Bad input from the outside probe, as a person meets it (issue 11)."""
    from PIL import Image

    settings.IMAGE_MAX_PIXELS = 40_000_000
    sign_in(page, ana)
    box = page.get_by_label("What would you like to share?")
    box.fill("\u200b\u200b\u202e\u2060")
    page.get_by_role("button", name="Publish").click()
    expect(page.locator("#composer").get_by_role("alert")).to_contain_text(
        "Write something before publishing your post."
    )

    frames = [Image.new("P", (2000, 2000), n) for n in range(12)]
    gif = tmp_path / "party.gif"
    frames[0].save(gif, format="GIF", save_all=True, append_images=frames[1:], duration=80)
    page.get_by_label("What would you like to share?").fill("Party time")
    page.get_by_label("Add images").set_input_files(str(gif))
    page.get_by_role("button", name="Publish").click()
    composer = page.locator("#composer")
    expect(composer).to_contain_text("has too many pixels (all its frames together)")
    expect(page.get_by_label("What would you like to share?")).to_have_value("Party time")
    assert not Post.objects.exists()
    expected_failures(browser_errors)
