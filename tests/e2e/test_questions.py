"""Questions in a real browser: ask, answer, accept, and find it answered."""

from __future__ import annotations

import re
from pathlib import Path

from playwright.sync_api import expect

from tests.e2e.browser import PHONE, scroll_width, sign_in
from tests.factories import UserFactory, make_post

SCREENSHOT_DIR = Path(__file__).resolve().parents[2] / "test-results" / "screenshots"


def test_ask_a_question_get_an_answer_and_accept_it(page, new_page):
    mia = UserFactory(username="mia.member", first_name="Mia", last_name="Member")
    carl = UserFactory(username="carl.colleague", first_name="Carl", last_name="Colleague")

    # Mia asks from her home composer, ticking "This is a question".
    sign_in(page, mia)
    page.get_by_label("What would you like to share?").fill("How do I book the big meeting room?")
    page.get_by_label("This is a question").check()
    page.get_by_role("button", name="Publish").click()
    asked = page.get_by_role("article", name="Mia Member")
    expect(asked.locator(".badge-question")).to_have_text("Question")
    expect(asked.locator(".badge-answered")).to_have_count(0)

    # Carl finds it under Questions and answers in a comment.
    answerer = new_page()
    sign_in(answerer, carl)
    answerer.get_by_role("navigation", name="Main").get_by_role("link", name="Questions").click()
    expect(answerer.get_by_role("link", name="Unanswered")).to_have_attribute(
        "aria-current", "page"
    )
    question = answerer.get_by_role("article", name="Mia Member")
    expect(question).to_contain_text("big meeting room")
    question.get_by_role("link", name="0 comments").click()
    answerer.get_by_label("Add a comment").fill("Use the room finder on the intranet.")
    answerer.get_by_role("button", name="Comment", exact=True).click()
    expect(answerer.get_by_text("Use the room finder on the intranet.")).to_be_visible()
    # Only the asker (or a manager) accepts.
    expect(answerer.get_by_role("button", name=re.compile("Accept as answer"))).to_have_count(0)

    # Mia opens her question and accepts Carl's comment, in place.
    page.goto("/questions/")
    page.get_by_role("article", name="Mia Member").get_by_role("link", name="1 comment").click()
    page.get_by_role("button", name="Accept as answer (comment by Carl Colleague)").click()
    answer = page.locator(".comment.is-accepted")
    expect(answer).to_contain_text("Accepted answer")
    expect(answer).to_contain_text("Use the room finder")
    expect(page.get_by_role("button", name=re.compile("^Unaccept"))).to_be_visible()
    # The post's own label changed with it (swapped out of band, no reload).
    expect(
        page.get_by_role("article", name="Mia Member").locator(".badge-answered")
    ).to_contain_text("Answered")

    # It has left the Unanswered list and is under Answered.
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Questions").click()
    expect(page.get_by_role("heading", name="No open questions")).to_be_visible()
    expect(page.locator("article.post")).to_have_count(0)
    page.get_by_role("link", name="Answered", exact=True).click()
    answered = page.get_by_role("article", name="Mia Member")
    expect(answered).to_contain_text("big meeting room")
    expect(answered.locator(".badge-answered")).to_contain_text("Answered")

    # Search finds it, labelled answered, also with "Questions only".
    box = page.get_by_role("navigation", name="Main").get_by_role("combobox", name="Search")
    box.fill("meeting room")
    box.press("Enter")
    hit = page.locator("article.search-hit")
    expect(hit).to_have_count(1)
    expect(hit.locator("mark").first).to_have_text("meeting")
    expect(hit.locator(".badge-question")).to_have_text("Question")
    expect(hit.locator(".badge-answered")).to_contain_text("Answered")
    page.get_by_text("Filter posts").click()
    page.get_by_label("Questions only").check()
    page.get_by_role("button", name="Apply filters").click()
    expect(page.locator("article.search-hit .badge-answered")).to_have_count(1)

    # Carl is told in his inbox.
    answerer.goto("/inbox/")
    expect(answerer.locator(".inbox-row")).to_contain_text("Mia Member accepted your answer")


def test_questions_page_on_a_phone(new_page):
    ana = UserFactory(username="ana.author", first_name="Ana", last_name="Author")
    mia = UserFactory(username="mia.member", first_name="Mia", last_name="Member")
    make_post(
        ana,
        "Which expense tool do we use for trips abroad? #finance_expenses_and_travel_policies",
        is_question=True,
    )
    make_post(ana, "Where is the onboarding checklist for new sellers?", is_question=True)
    phone = new_page(PHONE)
    sign_in(phone, mia)
    phone.get_by_role("navigation", name="Main").get_by_role("link", name="Questions").click()
    expect(phone.get_by_role("heading", name="Questions", level=1)).to_be_visible()
    expect(phone.locator("article.post")).to_have_count(2)
    assert scroll_width(phone) <= PHONE["width"]
    phone.get_by_text("Ask a question", exact=True).click()  # the summary opens the composer
    expect(phone.get_by_label("This is a question")).to_be_checked()
    assert scroll_width(phone) <= PHONE["width"]
    SCREENSHOT_DIR.mkdir(parents=True, exist_ok=True)
    phone.screenshot(path=SCREENSHOT_DIR / "questions-phone.png", full_page=True)
