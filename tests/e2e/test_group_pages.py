"""Group pages in Chromium (issue 12): guidelines for someone deciding to ask to join, the
members page's tabs by keyboard and on a phone, a department invited in one audit row, and
moderation from far down a group's feed that keeps the moderator's place."""

from __future__ import annotations

import re
import tempfile
from pathlib import Path

from playwright.sync_api import expect

from groups import moderation
from groups import services as group_services
from groups.models import AuditEntry, Group
from tests.e2e.browser import DESKTOP, PHONE, scroll_width, sign_in
from tests.factories import DepartmentFactory, UserFactory, make_post
from tests.groups.helpers import add_member, pending_request

# Screenshots for people to look at (the issue asks for them at 1280 and 390 px).
SHOTS = Path(tempfile.gettempdir()) / "shots" / "groups"
GUIDELINES = (
    "1. Be kind.\n2. **No** customer names.\n3. Decisions go in the pinned post.\n\n"
    "- Ask before sharing outside the group"
)


def _shot(page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / name), full_page=True)


def test_guidelines_in_markdown_for_someone_deciding_to_ask_to_join(new_page):
    owner = UserFactory(username="dina.haddad", first_name="Dina", last_name="Haddad")
    finn = UserFactory(username="finn.hendriks", first_name="Finn", last_name="Hendriks")
    group = group_services.create_group(
        creator=owner,
        name="Hybrid work pilot",
        kind=Group.Kind.PRIVATE,
        description="Testing the new hybrid work policy with volunteers from every department.",
        guidelines=GUIDELINES,
    )

    for size, suffix in ((DESKTOP, "1280"), (PHONE, "390")):
        page = new_page(size)
        sign_in(page, finn)
        page.goto(group.get_absolute_url())
        card = page.locator(".group-about")
        guidelines = card.get_by_role("region", name="Group guidelines")
        expect(guidelines).to_be_visible()
        expect(guidelines.locator("strong")).to_have_text("No")
        expect(guidelines.locator("ol > li")).to_have_count(3)
        expect(guidelines.locator("ul > li")).to_have_text(["Ask before sharing outside the group"])
        expect(card).not_to_contain_text("**No**")
        # Read before the button that asks to join.
        ask = card.get_by_role("button", name="Ask to join")
        expect(ask).to_be_visible()
        assert guidelines.bounding_box()["y"] < ask.bounding_box()["y"]
        assert scroll_width(page) <= size["width"]
        _shot(page, f"group-page-non-member-{suffix}.png")


def test_members_tabs_by_keyboard_and_a_department_invited_in_one_audit_row(new_page):
    owner = UserFactory(username="kofi.yilmaz", first_name="Kofi", last_name="Yilmaz")
    group = group_services.create_group(
        creator=owner, name="Partner program", kind=Group.Kind.PRIVATE
    )
    for first in ("Ana", "Zoë", "Emil"):
        add_member(group, owner, UserFactory(first_name=first, last_name="Colleague"))
    pending_request(
        group, UserFactory(first_name="Vera", last_name="Asker"), "I run the partner desk."
    )
    banned = UserFactory(first_name="Finn", last_name="Hendriks")
    add_member(group, owner, banned)
    group_services.ban_member(
        group=group,
        manager=owner,
        person=banned,
        reason="Repeated off-topic posts after a warning, and selling a bike in the group.",
    )
    sales = DepartmentFactory(name="Sales")
    UserFactory.create_batch(10, department=sales)

    page = new_page()
    sign_in(page, owner)
    page.goto(f"/groups/{group.slug}/members/")
    tabs = page.get_by_role("navigation", name="Members, requests and invitations")
    members_tab = tabs.get_by_role("link", name=re.compile(r"^Members"))
    expect(members_tab).to_have_attribute("aria-current", "page")
    expect(tabs.get_by_role("link", name=re.compile(r"^Requests 1"))).to_be_visible()
    # The members come first: the list is on screen, no invite form above it.
    expect(page.get_by_role("link", name="Ana Colleague")).to_be_in_viewport()
    expect(page.get_by_role("button", name="Send invitations")).to_have_count(0)

    # Keyboard only: from the Members tab, Tab to Requests and open it with Enter.
    members_tab.focus()
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"/members/requests/$"))
    requests_tab = page.get_by_role("navigation", name="Members, requests and invitations")
    expect(requests_tab.get_by_role("link", name=re.compile(r"^Requests"))).to_have_attribute(
        "aria-current", "page"
    )
    expect(page.locator("#requests")).to_contain_text("I run the partner desk.")
    requests_tab.get_by_role("link", name=re.compile(r"^Requests")).focus()
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"/members/invitations/$"))

    # Invite the Sales department: one natural sentence, one audit row.
    page.get_by_label("Everyone in a department").select_option(label="Sales")
    page.get_by_role("button", name="Send invitations").click()
    expect(page).to_have_url(re.compile(r"/members/invitations/$"))
    flash = page.locator(".page-messages")
    expect(flash).to_contain_text(
        "10 invitations sent to Sales. Each person decides whether to join."
    )
    expect(flash).not_to_contain_text("invitation(s)")
    tabs = page.get_by_role("navigation", name="Members, requests and invitations")
    expect(tabs.get_by_role("link", name=re.compile(r"^Invitations 10"))).to_be_visible()
    expect(page.locator(".pending-invitation")).to_have_count(10)
    # One row for the department; the four "invited" rows are the setup's, one per person.
    invited = AuditEntry.objects.filter(group=group, action__startswith="invited")
    assert sorted(invited.values_list("action", flat=True)) == ["invited"] * 4 + [
        "invited_department"
    ]
    _shot(page, "members-invitations-tab-1280.png")
    page.goto(f"/groups/{group.slug}/members/")
    _shot(page, "members-tab-1280.png")

    page.goto(f"/groups/{group.slug}/audit/")
    rows = page.locator("table.audit tbody tr")
    expect(rows.filter(has_text="invited a department")).to_have_count(1)
    expect(rows.filter(has_text="invited a department")).to_contain_text("Sales (10 people)")
    _shot(page, "audit-log-1280.png")

    # On a phone: the tabs fit, and so does every column of the audit log.
    phone = new_page(PHONE)
    sign_in(phone, owner)
    phone.goto(f"/groups/{group.slug}/members/")
    tabs = phone.get_by_role("navigation", name="Members, requests and invitations")
    for name in ("Members", "Requests", "Invitations"):
        tab = tabs.get_by_role("link", name=re.compile(f"^{name}"))
        expect(tab).to_be_in_viewport(ratio=1)
        box = tab.bounding_box()
        assert box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"]
    assert scroll_width(phone) <= PHONE["width"]
    _shot(phone, "members-tab-390.png")
    tabs.get_by_role("link", name=re.compile(r"^Invitations")).click()
    assert scroll_width(phone) <= PHONE["width"]
    _shot(phone, "members-invitations-tab-390.png")
    phone.goto(f"/groups/{group.slug}/audit/")
    why = phone.locator("table.audit td[data-label='Why']").filter(has_text="selling a bike")
    box = why.bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"]
    assert scroll_width(phone) <= PHONE["width"]
    _shot(phone, "audit-log-390.png")


def _moderate(article, label: str, reason: str = "") -> None:
    article.locator("summary", has_text="Moderate").click()
    if reason:
        article.get_by_label("Reason for removing (the author sees it)").fill(reason)
    article.get_by_role("button", name=label).click()


def test_moderating_a_post_far_down_the_feed_keeps_the_place(new_page, browser_errors):
    owner = UserFactory(username="dina.haddad", first_name="Dina", last_name="Haddad")
    author = UserFactory(username="zoe.mulder", first_name="Zoë", last_name="Mulder")
    group = group_services.create_group(
        creator=owner, name="Hybrid work pilot", kind=Group.Kind.OPEN
    )
    add_member(group, owner, author)
    posts = [
        make_post(author, f"Update number {i} from the pilot.", group=group) for i in range(30)
    ]

    page = new_page()
    sign_in(page, owner)
    page.goto(group.get_absolute_url())
    target = page.locator(f"#post-{posts[12].pk}")  # 18th of the first 20: far down
    target.scroll_into_view_if_needed()
    assert page.evaluate("window.scrollY") > 1000

    _moderate(target, "Pin to the top")
    expect(target.locator(".post-moderation-note")).to_have_text("Pinned.")
    expect(target).to_be_in_viewport()
    assert page.evaluate("window.scrollY") > 1000
    page.screenshot(path=str(SHOTS / "pinned-in-place-1280.png"))
    _moderate(target, "Lock comments")
    expect(target.locator(".post-moderation-note")).to_have_text("Comments are locked.")
    expect(target).to_be_in_viewport()

    _moderate(target, "Remove post", reason="Belongs in the decision log.")
    expect(target).to_contain_text("You removed this post by Zoë Mulder.")
    expect(target).not_to_contain_text("Update number 12")
    expect(target).to_be_in_viewport()
    assert page.evaluate("window.scrollY") > 1000
    page.screenshot(path=str(SHOTS / "removed-in-place-1280.png"))
    target.get_by_role("button", name="Restore it").click()
    expect(target).to_contain_text("Update number 12")
    expect(target.locator(".post-moderation-note")).to_have_text("The post is back.")

    # A post loaded with "Load more" is moderated where it is too.
    page.get_by_role("link", name="Load more").click()
    older = page.locator(f"#post-{posts[3].pk}")
    older.scroll_into_view_if_needed()
    _moderate(older, "Pin to the top")
    expect(older.locator(".post-moderation-note")).to_have_text("Pinned.")
    expect(older).to_be_in_viewport()
    # Four pins: refused beside the post, nothing else changes.
    page.goto(group.get_absolute_url())
    fourth = page.locator(f"#post-{posts[20].pk}")
    fourth.scroll_into_view_if_needed()
    for post in posts[25:27]:
        moderation.set_pinned(post=post, user=owner, pinned=True)
    _moderate(fourth, "Pin to the top")
    expect(fourth.locator(".field-error")).to_have_text(
        "Up to 3 posts can be pinned. Unpin one first."
    )

    # On a phone the Moderate menu opens below its button, not over the post's text.
    phone = new_page(PHONE)
    sign_in(phone, owner)
    phone.goto(group.get_absolute_url())
    article = phone.locator(f"#post-{posts[28].pk}")
    article.locator("summary", has_text="Moderate").click()
    menu = article.locator(".post-menu-body")
    expect(menu).to_be_visible()
    body = article.locator(".post-body").bounding_box()
    box = menu.bounding_box()
    assert box["y"] >= body["y"] + body["height"]
    assert box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"]
    assert scroll_width(phone) <= PHONE["width"]
    menu.scroll_into_view_if_needed()
    phone.screenshot(path=str(SHOTS / "moderate-menu-390.png"))
    browser_errors[:] = [e for e in browser_errors if "status of 422" not in e]
