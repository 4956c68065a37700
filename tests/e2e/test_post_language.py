"""A post's language in a real browser (issue 14): detected when it is written, shown to a
reader of another language as a small mark with its name for screen readers, and corrected
by its author on the edit page, where the choice then holds."""

from __future__ import annotations

from playwright.sync_api import expect

from posts.models import Post
from tests.e2e.browser import PHONE, sign_in
from tests.factories import UserFactory, make_post

DUTCH = "Wie heeft er ervaring met een sta-bureau? Ik twijfel nog over het model."


def test_the_author_corrects_the_language_and_a_reader_sees_it(new_page):
    author = UserFactory(username="jan.schrijver", first_name="Jan", last_name="Schrijver")
    reader = UserFactory(username="erin.reader", first_name="Erin", last_name="Reader")
    post = make_post(author, DUTCH)
    assert post.language == "nl"

    # A reader of English sees the post marked as Dutch, named for screen readers.
    page = new_page()
    sign_in(page, reader)
    page.goto(post.get_absolute_url())
    mark = page.locator(f"#post-{post.pk} .post-language")
    expect(mark).to_contain_text("NL")
    expect(mark.locator(".visually-hidden")).to_have_text("Written in Dutch")

    # The author, on a phone, says it is German after all (say the detector was wrong).
    phone = new_page(PHONE)
    sign_in(phone, author)
    phone.goto(f"/posts/{post.pk}/edit/")
    language = phone.get_by_label("Language")
    expect(language).to_have_value("auto")
    expect(language.locator("option:checked")).to_have_text("Detected: Nederlands")
    language.select_option("de")
    phone.get_by_role("button", name="Save").click()
    expect(phone.locator(".page-messages")).to_contain_text("Your post is updated.")
    post.refresh_from_db()
    assert (post.language, post.language_set_by_author) == ("de", True)

    # The choice holds on the edit page, and the reader now sees German.
    phone.goto(f"/posts/{post.pk}/edit/")
    expect(phone.get_by_label("Language")).to_have_value("de")
    page.reload()
    expect(mark.locator(".visually-hidden")).to_have_text("Written in German")
    assert Post.objects.filter(pk=post.pk, language="de").exists()
