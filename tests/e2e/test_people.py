"""People in a real browser: filtering the directory and following from a card (desktop and
phone), editing one's profile (photo uploaded, replaced and removed; bio markdown; skills
leading to their hashtag), and a deactivated author's name leading to a "former colleague"
page. Set ESN_SHOTS_DIR to keep screenshots of the pages."""

from __future__ import annotations

import io
import os
import re
from pathlib import Path

import pytest
from PIL import Image
from playwright.sync_api import Page, expect

from people.models import Follow, User
from tests.e2e.browser import DESKTOP, PHONE, scroll_width, sign_in
from tests.factories import (
    DepartmentFactory,
    LocationFactory,
    UserFactory,
    image_upload,
    make_post,
)


def _shot(page: Page, name: str) -> None:
    folder = os.environ.get("ESN_SHOTS_DIR")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(folder) / f"{name}.png"), full_page=True)


def _png(color: str) -> dict:
    buffer = io.BytesIO()
    Image.new("RGB", (120, 120), color).save(buffer, format="PNG")
    return {"name": f"{color}.png", "mimeType": "image/png", "buffer": buffer.getvalue()}


@pytest.fixture
def company():
    sales, eng = DepartmentFactory(name="Sales"), DepartmentFactory(name="Engineering")
    utrecht, lisbon = LocationFactory(name="Utrecht"), LocationFactory(name="Lisbon")
    mia = UserFactory(
        username="mia.member",
        first_name="Mia",
        last_name="Member",
        title="Account manager",
        department=sales,
        location=utrecht,
    )
    eve = UserFactory(
        username="eve.eng",
        first_name="Eve",
        last_name="Engineer-With-A-Rather-Long-Surname",
        title="Senior platform engineer for payments and reliability",
        department=eng,
        location=lisbon,
    )
    eve.skills.add("Python", "Code review")
    carl = UserFactory(
        username="carl.colleague",
        first_name="Carl",
        last_name="Colleague",
        department=eng,
        location=utrecht,
    )
    carl.skills.add("Python")
    for n in range(4):
        UserFactory(username=f"sam{n}", first_name=f"Sam{n}", department=sales, location=utrecht)
    UserFactory(
        username="ada.admin",
        first_name="Ada",
        last_name="Admin",
        is_staff=True,
        is_superuser=True,
        is_service_account=True,
    )
    make_post(carl, "Tips for a good #code_review")
    return {"mia": mia, "eve": eve, "carl": carl}


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_filter_the_directory_and_follow_from_a_card(page, company, viewport):
    page.set_viewport_size(viewport)
    sign_in(page, company["mia"])
    page.goto("/people/")
    expect(page.get_by_role("heading", name="People", level=1)).to_be_visible()
    # The site admin's own login is no colleague.
    expect(page.get_by_text("Ada Admin")).to_have_count(0)
    _shot(page, f"directory-{viewport['width']}")
    assert scroll_width(page) <= viewport["width"]

    page.get_by_label("Department", exact=True).select_option(label="Engineering")
    page.get_by_role("button", name="Find").click()
    expect(page).to_have_url(re.compile(r"department=\d+"))
    cards = page.locator(".person-card")
    expect(cards).to_have_count(2)
    expect(cards.filter(has_text="Eve Engineer")).to_be_visible()

    page.get_by_label("Skill", exact=True).fill("code review")
    page.get_by_role("button", name="Find").click()
    expect(page).to_have_url(re.compile(r"skill=code\+review"))
    expect(cards).to_have_count(1)
    card = cards.filter(has_text="Eve Engineer")
    expect(page.get_by_label("Department", exact=True)).to_have_value(
        str(company["eve"].department_id)
    )  # the filters stay in the form
    card.get_by_role("button", name=re.compile(r"^Follow Eve")).click()
    expect(card.get_by_role("button", name=re.compile(r"^Following Eve"))).to_be_visible()
    assert Follow.objects.filter(follower=company["mia"], followee=company["eve"]).exists()
    _shot(page, f"directory-filtered-{viewport['width']}")
    assert scroll_width(page) <= viewport["width"]

    page.get_by_label("Skill", exact=True).fill("knitting")
    page.get_by_role("button", name="Find").click()
    expect(page.get_by_text("Nobody matches that search.")).to_be_visible()
    page.get_by_role("link", name="Clear the filters and show everyone").click()
    expect(page).to_have_url(re.compile(r"/people/$"))
    expect(cards).to_have_count(7)


# An <img>'s natural width once the browser has loaded it (0 if it could not).
LOADED_WIDTH = """img => img.complete ? img.naturalWidth : new Promise(done => {
    img.addEventListener("load", () => done(img.naturalWidth));
    img.addEventListener("error", () => done(0));
})"""


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_edit_profile_photo_bio_and_skills(page, company, viewport):
    mia = company["mia"]
    page.set_viewport_size(viewport)
    sign_in(page, mia)
    page.goto("/people/me/edit/")
    expect(page.get_by_text("Markdown works: **bold**")).to_be_visible()
    expect(page.get_by_text("Currently:")).to_have_count(0)

    page.get_by_label("Upload a photo").set_input_files(_png("teal"))
    page.get_by_label("About me").fill(
        "**Ask me** about:\n\n- renewals\n- the #code_review checklist"
    )
    page.get_by_label("Skills").fill("Code review, Dutch")
    page.get_by_role("button", name="Save profile").click()

    expect(page.get_by_text("Your profile is saved.")).to_be_visible()
    card = page.locator(".profile-card")
    photo = card.locator("img.avatar")
    expect(photo).to_be_visible()
    first_src = photo.get_attribute("src")
    assert "/people/mia.member/avatar/?v=" in first_src
    # Visible (its box has a size) is not loaded: wait for the picture itself, or its error.
    assert photo.evaluate(LOADED_WIDTH) > 0
    expect(card.locator("strong", has_text="Ask me")).to_be_visible()
    expect(card.locator("li", has_text="renewals")).to_be_visible()
    expect(card.get_by_role("link", name="#code_review")).to_be_visible()
    chip = card.get_by_role("link", name="Code review")
    expect(chip).to_have_attribute("href", "/hashtags/code_review/")
    _shot(page, f"profile-{viewport['width']}")
    assert scroll_width(page) <= viewport["width"]

    page.goto("/people/me/edit/")
    current = page.get_by_role("img", name="Your current photo")
    expect(current).to_have_attribute("src", first_src)
    expect(page.get_by_label("Skills")).to_have_value("Code review, Dutch")
    _shot(page, f"edit-profile-{viewport['width']}")
    assert scroll_width(page) <= viewport["width"]
    page.get_by_label("Replace photo").set_input_files(_png("orange"))
    page.get_by_role("button", name="Save profile").click()
    expect(page.get_by_text("Your profile is saved.")).to_be_visible()
    second_src = page.locator(".profile-card img.avatar").get_attribute("src")
    assert second_src != first_src

    page.goto("/people/me/edit/")
    page.get_by_label("Remove my photo").check()
    page.get_by_role("button", name="Save profile").click()
    expect(page.get_by_text("Your profile is saved.")).to_be_visible()
    expect(page.locator(".profile-card img.avatar")).to_have_count(0)
    expect(page.locator(".profile-card .avatar-initials")).to_have_text("MM")
    assert not User.objects.get(pk=mia.pk).avatar

    chip = page.locator(".profile-card").get_by_role("link", name="Code review")
    chip.click()
    expect(page).to_have_url(re.compile(r"/hashtags/code_review/$"))


def test_a_deactivated_authors_name_leads_to_a_former_colleague_page(page, company):
    carl = company["carl"]
    carl.is_active = False
    carl.save(update_fields=["is_active"])
    sign_in(page, company["mia"])

    page.goto("/all/")
    # His posts say so in the feed too.
    first_post = page.locator("article.post").filter(has_text="Carl Colleague").first
    expect(first_post.locator(".badge-former")).to_have_text("Former colleague")
    page.get_by_role("link", name="Carl Colleague").first.click()

    expect(page).to_have_url(re.compile(r"/people/carl.colleague/$"))
    expect(page.get_by_role("heading", name="Carl Colleague", level=1)).to_be_visible()
    expect(page.get_by_role("region").get_by_text("Former colleague")).to_be_visible()
    expect(page.get_by_text("No longer works here")).to_be_visible()
    expect(page.get_by_text("Tips for a good #code_review")).to_be_visible()
    expect(page.get_by_role("button", name=re.compile("Follow"))).to_have_count(0)
    _shot(page, "former-colleague-1280")


def test_an_avatar_keeps_its_size_beside_a_long_name_on_a_phone(page, company):
    eve = company["eve"]
    eve.avatar = image_upload("eve.png", size=(80, 80))
    eve.save()
    make_post(eve, "A post from someone with a photo, a long name and a long title")
    page.set_viewport_size(PHONE)
    sign_in(page, company["mia"])

    page.goto("/all/")
    photo = page.locator(".post-head img.avatar").first
    expect(photo).to_be_visible()
    box = photo.bounding_box()
    assert box is not None and round(box["width"]) == round(box["height"]) == 40
    assert scroll_width(page) <= PHONE["width"]
