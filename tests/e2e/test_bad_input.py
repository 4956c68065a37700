"""What an outside probe sent, sent again from Chromium (issue 11): a NUL character in a box
or a link, a reason longer than the limit, spoofing characters in a name, a mention edited
out and back in. Each gets a clear answer where the person is looking, never a 500, and
nothing typed is lost."""

from __future__ import annotations

from playwright.sync_api import Page, expect

from digests.models import InboxItem
from posts.models import Post
from tests.e2e.browser import expected_failures, sign_in
from tests.factories import UserFactory, make_post

NUL_MESSAGE = "holds a NUL character"


def test_a_nul_character_in_a_search_or_filter_gets_a_clear_message(page: Page, browser_errors):
    ana = UserFactory(username="ana.jansen", first_name="Ana", last_name="Jansen")
    sign_in(page, ana)
    for url in ("/search/?q=desk%00s", "/groups/?q=%00", "/people/?q=a%00", "/?cursor=%00"):
        response = page.goto(url)
        assert response is not None and response.status == 400, url
        expect(page.get_by_role("main")).to_contain_text(NUL_MESSAGE)
        # In the site's own layout, with the way back.
        expect(page.get_by_role("link", name="Go to your feed")).to_be_visible()

    # Typed into the search box (pasted text can carry one): the same answer, not a 500.
    page.goto("/")
    page.locator("#nav-q").fill("desk\x00s")
    page.locator("#nav-q").press("Enter")
    expect(page.get_by_role("main")).to_contain_text(NUL_MESSAGE)
    expected_failures(browser_errors)


def test_a_report_over_the_limit_says_so_and_keeps_the_text(page: Page, browser_errors):
    author = UserFactory(username="dina.haddad", first_name="Dina", last_name="Haddad")
    reporter = UserFactory(username="ana.jansen", first_name="Ana", last_name="Jansen")
    post = make_post(author, "Buy my course now")
    sign_in(page, reporter)
    page.goto(f"/groups/moderation/posts/{post.pk}/report/")
    reason = page.get_by_label("What is wrong with it?")
    expect(reason).to_have_attribute("maxlength", "1000")
    # Another client (or a pasted text the browser did not cut) sends more than the limit.
    long_reason = "Spam. " * 200
    reason.evaluate("(el) => el.removeAttribute('maxlength')")
    reason.fill(long_reason)
    page.get_by_role("button", name="Send report").click()
    expect(page.get_by_role("alert").first).to_contain_text("at most 1000 characters")
    expect(page.get_by_label("What is wrong with it?")).to_have_value(long_reason)

    # Cut to the limit, it is sent and the reporter is told so.
    page.get_by_label("What is wrong with it?").fill("Spam: selling a course in the company feed.")
    page.get_by_role("button", name="Send report").click()
    expect(page.get_by_role("status")).to_contain_text("The moderators will look at it.")
    expected_failures(browser_errors)


def test_spoofing_characters_are_dropped_from_a_name(page: Page):
    ana = UserFactory(username="ana.jansen", first_name="Ana", last_name="Jansen")
    sign_in(page, ana)
    page.goto("/people/me/edit/")
    # A right-to-left override and a zero-width space would make the name read otherwise
    # than it is stored.
    page.get_by_label("First name").fill("A\u200bna\u202e")
    page.get_by_label("Last name").fill("\u202eJansen")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("status")).to_be_visible()
    ana.refresh_from_db()
    assert (ana.first_name, ana.last_name) == ("Ana", "Jansen")
    expect(page.get_by_role("heading", level=1)).to_have_text("Ana Jansen")


def test_a_mention_edited_out_and_back_in_tells_the_person_once(page: Page, new_page):
    zoe = UserFactory(username="zoe.mulder", first_name="Zoë", last_name="Mulder")
    ana = UserFactory(username="ana.jansen", first_name="Ana", last_name="Jansen")
    sign_in(page, ana)
    page.get_by_label("What would you like to share?").fill("Desk ideas, @zoe.mulder?")
    page.get_by_role("button", name="Publish").click()
    article = page.locator("#feed-items").get_by_role("article").first
    expect(article).to_contain_text("Desk ideas")
    post = Post.objects.get(author=ana)
    for text in ("Desk ideas, anyone?", "Desk ideas, @zoe.mulder? Or @zoe.mulder!"):
        page.goto(post.get_absolute_url() + "edit/")
        page.get_by_label("Text").fill(text)
        page.get_by_role("button", name="Save").click()
        expect(page.get_by_role("main")).to_contain_text(text.split(",")[0])

    assert InboxItem.objects.filter(recipient=zoe, kind=InboxItem.Kind.MENTION).count() == 1
    page = new_page()
    sign_in(page, zoe)
    page.goto("/inbox/")
    expect(page.locator(".inbox-row", has_text="mentioned you")).to_have_count(1)
