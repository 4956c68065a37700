"""The composer as a person uses it (issue 12): one line until used, so the feed starts on
the first screen; Ctrl/Cmd+Enter sends; leaving with unsent text asks first; chosen images
show as previews with a description each; the author adds, removes and describes images
when editing."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from PIL import Image
from playwright.sync_api import Page, expect

from groups import services as group_services
from groups.models import Group
from posts.models import Post
from tests.e2e.browser import DESKTOP, PHONE, scroll_width, sign_in
from tests.factories import FollowFactory, UserFactory, image_upload, make_post
from tests.groups.helpers import make_group

SHOTS = Path("/tmp/shots/composer")  # noqa: S108 (where the reviewers look)

BOX = "What would you like to share?"


@pytest.fixture
def ana(db):
    """Settled in (two groups, two colleagues followed) with two invitations waiting: Home
    shows the invitations card and the group chips above the composer."""
    ana = UserFactory(username="ana.jansen", first_name="Ana", last_name="Jansen")
    owner = UserFactory(username="kofi.owner", first_name="Kofi", last_name="Owner")
    for name in ("Standing desks", "Town hall"):
        group_services.join_group(user=ana, group=make_group(owner, Group.Kind.OPEN, name=name))
    for name in ("Sales onboarding", "Partner program"):
        group = make_group(owner, Group.Kind.PRIVATE, name=name)
        group_services.invite(group=group, inviter=owner, people=[ana])
    for first, last in (("Zoë", "Mulder"), ("Emil", "Kowalski")):
        colleague = UserFactory(
            username=f"{first[:3].lower()}.{last.lower()}", first_name=first, last_name=last
        )
        FollowFactory(follower=ana, followee=colleague)
        make_post(colleague, f"{first} here: the new coffee machine takes oat milk. #office")
    return ana


def _shot(page: Page, name: str, *, full_page: bool = False) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=SHOTS / name, full_page=full_page)


def _png(tmp_path: Path, name: str, colour: str) -> str:
    path = tmp_path / name
    Image.new("RGB", (320, 200), colour).save(path, format="PNG")
    return str(path)


def _select_text_fits(page: Page, label: str) -> bool:
    """Whether the chosen option's text fits inside the select (paddings and arrow aside)."""
    return page.get_by_label(label).evaluate(
        """(select) => {
            const style = getComputedStyle(select);
            const probe = document.createElement("span");
            probe.style.font = style.font;
            probe.style.whiteSpace = "pre";
            probe.style.position = "absolute";
            probe.textContent = select.selectedOptions[0].textContent;
            document.body.append(probe);
            const needed = probe.getBoundingClientRect().width
                + parseFloat(style.paddingLeft) + parseFloat(style.paddingRight) + 16;
            probe.remove();
            return select.getBoundingClientRect().width >= needed;
        }"""
    )


def test_the_composer_is_one_line_until_used_and_the_feed_starts_on_the_first_screen(
    page: Page, ana
):
    sign_in(page, ana)
    composer = page.locator("#composer")
    expect(composer).to_have_class(re.compile(r"\bis-compact\b"))
    expect(page.get_by_label(BOX)).to_be_visible()
    expect(composer.get_by_role("button", name="Publish")).to_be_visible()
    for hidden in ("This is a question", "Add images", "Share with"):
        expect(page.get_by_label(hidden)).to_be_hidden()
    expect(page.get_by_role("heading", name="Invitations for you")).to_be_visible()

    first = page.locator("#feed-items article").first
    box = first.bounding_box()
    assert box is not None
    # The post's head and first line are on the first screen, not just its top border.
    assert box["y"] + 90 <= DESKTOP["height"], box
    _shot(page, "home-compact-1280.png")

    page.get_by_label(BOX).click()
    expect(composer).not_to_have_class(re.compile(r"\bis-compact\b"))
    for shown in ("This is a question", "Add images", "Share with"):
        expect(page.get_by_label(shown)).to_be_visible()
    expect(page.get_by_label("Share with")).to_have_value("")
    assert _select_text_fits(page, "Share with"), "“Everyone in the company” is clipped"

    # Left empty, it folds again; with text in it, it stays open.
    page.get_by_role("heading", name="Home", level=1).click()
    expect(composer).to_have_class(re.compile(r"\bis-compact\b"))
    page.get_by_label(BOX).fill("Half a thought")
    page.get_by_role("heading", name="Home", level=1).click()
    expect(page.get_by_label("This is a question")).to_be_visible()


def test_ctrl_enter_publishes_and_leaving_with_unsent_text_asks_first(page: Page, ana):
    dialogs: list[str] = []
    answer = {"stay": True}

    def on_dialog(dialog):
        dialogs.append(dialog.type)
        dialog.dismiss() if answer["stay"] else dialog.accept()

    page.on("dialog", on_dialog)
    sign_in(page, ana)
    nav = page.get_by_role("navigation", name="Main")

    # Unsent text: leaving asks; staying keeps the text.
    box = page.get_by_label(BOX)
    box.click()
    box.press_sequentially("Lunch at the new place on Friday?")
    nav.get_by_role("link", name="Questions").click()
    page.wait_for_timeout(500)  # the dialog comes and is answered; nothing to wait on
    assert dialogs == ["beforeunload"]
    expect(page).to_have_url(re.compile(r"/$"))
    expect(box).to_have_value("Lunch at the new place on Friday?")

    # Ctrl+Enter publishes; afterwards nothing is unsent and leaving does not ask.
    box.press("Control+Enter")
    article = page.locator("#feed-items").get_by_role("article", name="Ana Jansen")
    expect(article).to_contain_text("Lunch at the new place on Friday?")
    expect(page.get_by_label(BOX)).to_have_value("")
    assert Post.objects.filter(author=ana).count() == 1

    # The same in a comment box.
    article.get_by_role("link", name="0 comments").click()
    expect(page).to_have_url(re.compile(r"/posts/\d+/"))
    comment = page.get_by_label("Add a comment")
    comment.click()
    comment.press_sequentially("Count me in")
    comment.press("Meta+Enter")
    expect(page.locator("#comments")).to_contain_text("Count me in")
    expect(page.get_by_label("Add a comment")).to_have_value("")

    page.get_by_label("Add a comment").press_sequentially("Also: vegetarian options?")
    nav.get_by_role("link", name="Home", exact=True).click()
    page.wait_for_timeout(500)
    assert dialogs == ["beforeunload", "beforeunload"]
    expect(page).to_have_url(re.compile(r"/posts/\d+/"))

    answer["stay"] = False  # the person chooses to leave
    nav.get_by_role("link", name="Home", exact=True).click()
    expect(page).to_have_url(re.compile(r"/$"))
    dialogs.clear()
    nav.get_by_role("link", name="Groups").click()
    expect(page).to_have_url(re.compile(r"/groups/$"))
    assert dialogs == []


def test_image_previews_with_descriptions_then_editing_the_images(
    page: Page, ana, tmp_path, browser_errors
):
    sign_in(page, ana)
    page.get_by_label(BOX).fill("Offsite day: the venue and the view")
    page.get_by_label("Add images").set_input_files(
        [_png(tmp_path, "venue.png", "teal"), _png(tmp_path, "view.png", "orange")]
    )
    previews = page.locator("#composer .image-preview")
    expect(previews).to_have_count(2)
    expect(previews.nth(0)).to_contain_text("venue.png")
    expect(previews.nth(0).locator("img")).to_have_attribute("src", re.compile(r"^blob:"))
    expect(page.get_by_label("Image description (alt text)")).to_have_count(2)
    page.get_by_label("Image description (alt text)").first.fill(
        "A glass pavilion by a lake, the team waving"
    )
    _shot(page, "composer-previews-1280.png", full_page=True)

    page.get_by_role("button", name="Remove view.png").click()
    expect(previews).to_have_count(1)
    page.get_by_role("button", name="Publish").click()

    article = page.locator("#feed-items").get_by_role("article", name="Ana Jansen")
    expect(article).to_contain_text("Offsite day")
    image = article.get_by_role("img", name="A glass pavilion by a lake, the team waving")
    expect(image).to_be_visible()
    expect(article.locator(".post-images img")).to_have_count(1)
    post = Post.objects.get(author=ana)
    assert [i.alt for i in post.images.all()] == ["A glass pavilion by a lake, the team waving"]

    # Editing: describe better, add a second image with its description, then remove the first.
    page.goto(post.edit_url)
    expect(page.get_by_role("heading", name="Edit post")).to_be_visible()
    page.get_by_label("Image description (alt text) of image 1").fill("The pavilion at dusk")
    page.get_by_label("Add images").set_input_files(_png(tmp_path, "cake.png", "pink"))
    new_preview = page.locator(".image-previews:not(.edit-image-list) .image-preview")
    expect(new_preview).to_have_count(1)
    new_preview.get_by_label("Image description (alt text)").fill("A cake shaped like a desk")
    _shot(page, "edit-images-1280.png", full_page=True)
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_text("Your post is updated.")).to_be_visible()
    expect(page.get_by_role("img", name="The pavilion at dusk")).to_be_visible()
    expect(page.get_by_role("img", name="A cake shaped like a desk")).to_be_visible()

    page.goto(post.edit_url)
    page.get_by_label("Remove image 1").check()
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_text("Your post is updated.")).to_be_visible()
    expect(page.get_by_role("img", name="The pavilion at dusk")).to_have_count(0)
    expect(page.get_by_role("img", name="A cake shaped like a desk")).to_be_visible()
    assert [i.alt for i in post.images.all()] == ["A cake shaped like a desk"]


def test_on_a_phone_the_composer_previews_and_editor_fit_without_sideways_scrolling(
    new_page, ana, tmp_path
):
    page = new_page(PHONE)
    sign_in(page, ana)
    expect(page.locator("#composer")).to_have_class(re.compile(r"\bis-compact\b"))
    assert scroll_width(page) <= PHONE["width"]
    _shot(page, "home-compact-390.png")

    page.get_by_label(BOX).fill("From my phone")
    page.get_by_label("Add images").set_input_files(
        [_png(tmp_path, "a-very-long-file-name-from-a-phone-camera-0001.png", "teal")]
    )
    expect(page.locator("#composer .image-preview")).to_have_count(1)
    assert _select_text_fits(page, "Share with")
    assert scroll_width(page) <= PHONE["width"]
    page.locator("#composer").scroll_into_view_if_needed()
    _shot(page, "composer-previews-390.png", full_page=True)

    post = make_post(ana, "With a picture", images=[image_upload()], image_alts=["A plant"])
    page.goto(post.edit_url)
    page.get_by_label("Add images").set_input_files(_png(tmp_path, "b.png", "orange"))
    expect(page.locator(".image-preview")).to_have_count(2)
    assert scroll_width(page) <= PHONE["width"]
    page.get_by_label("Add images").scroll_into_view_if_needed()
    _shot(page, "edit-images-390.png", full_page=True)


def test_more_images_than_the_limit_are_not_added_and_the_person_is_told(page: Page, ana, tmp_path):
    sign_in(page, ana)
    page.get_by_label(BOX).fill("Too many")
    page.get_by_label("Add images").set_input_files(
        [_png(tmp_path, f"{n}.png", "teal") for n in range(5)]
    )
    expect(page.locator("#composer .image-preview")).to_have_count(4)
    expect(page.locator("#composer .image-picker-message")).to_contain_text(
        "A post can have at most 4 images"
    )
    page.get_by_role("button", name="Publish").click()
    article = page.locator("#feed-items").get_by_role("article", name="Ana Jansen")
    expect(article.locator(".post-images img")).to_have_count(4)
