"""Announcements in a real browser (issue 12): only people allowed to announce are offered the
panel, and a forged request is refused where the person is looking; an allowed colleague pins
posts, a reader dismisses one; a third announcement beyond the two at once is refused with
what was chosen kept."""

from __future__ import annotations

import re

from django.contrib.auth.models import Permission
from playwright.sync_api import Page, expect

from tests.e2e.browser import DESKTOP, PHONE, scroll_width, sign_in
from tests.factories import UserFactory, make_post
from welcome.models import Announcement

REFUSED = "Only site admins, and people they allow, can make announcements."


def _forge_announce(page: Page, post_id: int, days: int = 7) -> None:
    """What a hand-made request does: a plain form post to the announce address, with the
    page's own CSRF token, from a page that offers no such form."""
    page.evaluate(
        """([postId, days]) => {
            const token = JSON.parse(document.body.getAttribute("hx-headers"))["X-CSRFToken"];
            const form = document.createElement("form");
            form.method = "post";
            form.action = `/welcome/announcements/posts/${postId}/`;
            for (const [name, value] of [["csrfmiddlewaretoken", token], ["days", days]]) {
                const input = document.createElement("input");
                input.type = "hidden";
                input.name = name;
                input.value = String(value);
                form.append(input);
            }
            document.body.append(form);
            form.submit();
        }""",
        [post_id, days],
    )


def _announcer():
    hanna = UserFactory(username="hr.host", first_name="Hanna", last_name="Host")
    hanna.user_permissions.add(Permission.objects.get(codename="make_announcement"))
    return hanna


def test_without_the_permission_there_is_no_panel_and_a_forged_post_is_refused(new_page):
    carl = UserFactory(username="carl.colleague", first_name="Carl", last_name="Colleague")
    post = make_post(UserFactory(first_name="Hanna"), "Town hall on Friday at 16:00")
    for viewport in (DESKTOP, PHONE):
        page = new_page(viewport)
        sign_in(page, carl)
        page.goto(post.get_absolute_url())
        expect(page.get_by_text("Town hall on Friday")).to_be_visible()
        expect(page.get_by_role("region", name="Announcement")).to_have_count(0)
        expect(page.get_by_role("button", name="Pin as announcement")).to_have_count(0)

        _forge_announce(page, post.pk)
        expect(page).to_have_url(re.compile(rf"/posts/{post.pk}/\?days=7$"))
        refusal = page.locator(".page-messages").get_by_role("status")
        expect(refusal).to_have_text(REFUSED)
        expect(refusal).to_be_in_viewport()
        assert scroll_width(page) <= viewport["width"]
    assert not Announcement.objects.exists()


def test_an_allowed_colleague_announces_a_reader_dismisses_and_a_third_is_refused(new_page):
    hanna = _announcer()
    mia = UserFactory(username="mia.member", first_name="Mia", last_name="Member")
    town_hall = make_post(hanna, "Town hall on Friday at 16:00")
    parking = make_post(hanna, "The car park closes for repairs on Monday")
    canteen = make_post(hanna, "The canteen serves soup from today")

    page = new_page()
    sign_in(page, hanna)
    for post, duration in ((town_hall, "1 week"), (parking, "3 days")):
        page.goto(post.get_absolute_url())
        panel = page.get_by_role("region", name="Announcement")
        expect(panel).to_contain_text("At most two announcements at once.")
        panel.get_by_label("Pin to everyone's Home for").select_option(label=duration)
        panel.get_by_role("button", name="Pin as announcement").click()
        expect(page.locator(".page-messages")).to_contain_text("Pinned to everyone's Home until")
        expect(panel.get_by_role("button", name="Unpin now")).to_be_visible()
    assert Announcement.objects.count() == 2

    # A third: refused, saying which two are pinned, in view; the panel still offers the form
    # with the duration she chose.
    page.goto(canteen.get_absolute_url())
    panel = page.get_by_role("region", name="Announcement")
    panel.get_by_label("Pin to everyone's Home for").select_option(label="2 weeks")
    panel.get_by_role("button", name="Pin as announcement").click()
    refusal = page.locator(".page-messages").get_by_role("status")
    expect(refusal).to_contain_text("2 announcements are pinned already")
    expect(refusal).to_contain_text("“Town hall on Friday at 16:00”")
    expect(refusal).to_contain_text("“The car park closes for repairs on Monday”")
    expect(refusal).to_contain_text("end one first.")
    expect(refusal).to_be_in_viewport()
    expect(panel.get_by_role("button", name="Pin as announcement")).to_be_visible()
    expect(panel.get_by_label("Pin to everyone's Home for")).to_have_value("14")
    assert Announcement.objects.count() == 2

    # Mia, on her phone: both pinned above her feed; she dismisses one, in place.
    phone = new_page(PHONE)
    sign_in(phone, mia)
    pinned = phone.get_by_role("region", name="Announcements").locator(".announcement")
    expect(pinned).to_have_count(2)
    expect(pinned.filter(has_text="Town hall")).to_contain_text("Announcement")
    assert scroll_width(phone) <= PHONE["width"]
    pinned.filter(has_text="Town hall").get_by_role(
        "button", name="Dismiss this announcement"
    ).click()
    expect(pinned).to_have_count(1)
    expect(pinned).to_contain_text("The car park closes")
    expect(phone).to_have_url(re.compile(r"/$"))
    phone.reload()
    expect(pinned).to_have_count(1)
    expect(phone.locator("main")).not_to_contain_text("Town hall on Friday")

    # Unpinned by her, the announcement stays for everyone else.
    page.goto("/")
    expect(page.locator(".announcement")).to_have_count(2)
