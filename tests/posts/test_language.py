"""A post's language: detected when it is saved, corrected by its author, and the home feed
limited to the languages a person reads, if they choose so (never past what they may see)."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from groups.models import Group
from people.services import follow_person
from posts import services
from posts.language import DETECT, detect_language
from posts.markup import render
from posts.models import Post
from posts.selectors import Cursor, home_feed
from tests.factories import UserFactory, make_post
from tests.groups.helpers import add_member, make_group
from tests.posts.test_query_counts import _grow, feed_world  # noqa: F401  (a fixture)

pytestmark = pytest.mark.django_db

ENGLISH = "Who is joining the team lunch on Friday? We booked a table for twelve at noon."
DUTCH = "Wie gaat er vrijdag mee lunchen? We hebben een tafel voor twaalf om twaalf uur."
GERMAN = "Wer kommt am Freitag mit zum Mittagessen? Wir haben einen Tisch für zwölf reserviert."
DUTCH_2 = "De koffiemachine op de tweede verdieping doet het weer. Dank voor jullie geduld!"


def detect(text: str) -> str:
    return detect_language(render(text).html)


# --- detection ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "code"),
    [
        (ENGLISH, "en"),
        (DUTCH, "nl"),
        (GERMAN, "de"),
        ("Kan iemand mij helpen met de nieuwe planning?", "nl"),
        ("Kann mir jemand mit der neuen Planung helfen?", "de"),
        ("Can someone help me with the new planning?", "en"),
    ],
)
def test_clear_sentences_are_recognised(text, code):
    assert detect(text) == code


@pytest.mark.parametrize(
    "text",
    ["ok!", "#sales_onboarding 👍", "Danke!", "Top, dank je!", "Nice work team", "👍👍", "12:30"],
)
def test_short_or_ambiguous_texts_stay_unknown(text):
    assert detect(text) == ""


def test_mentions_hashtags_links_and_code_are_not_read_as_language():
    # Dutch words only around English-looking names, tags, addresses and code.
    text = (
        "@john.smith @mary.jones bedankt voor het meedenken over de nieuwe planning! "
        "#release_management_update https://example.com/release/notes/for/the/whole/team\n\n"
        "```\nfor each item in the list print the name and the status\n```"
    )
    assert detect(text) == "nl"
    # Nothing but those: no language at all.
    assert detect("@john.smith #release_management https://example.com/the/release/notes") == ""


def test_a_new_post_gets_its_language(member):
    assert make_post(member, DUTCH).language == "nl"
    assert make_post(member, "ok!").language == ""
    stored = Post.objects.get(pk=make_post(member, GERMAN).pk)
    assert (stored.language, stored.language_set_by_author) == ("de", False)


# --- editing --------------------------------------------------------------------------------


def test_editing_the_text_detects_the_language_again(member):
    post = make_post(member, ENGLISH)

    services.edit_post(post=post, editor=member, body=DUTCH)

    post.refresh_from_db()
    assert (post.language, post.language_set_by_author) == ("nl", False)


def test_the_authors_choice_is_kept_when_the_text_changes(member):
    post = make_post(member, "Kick-off at 10, room Amstel")
    services.edit_post(post=post, editor=member, body=post.body, language="nl")

    services.edit_post(post=post, editor=member, body=ENGLISH)

    post.refresh_from_db()
    assert (post.language, post.language_set_by_author) == ("nl", True)


def test_the_author_can_say_not_set_and_go_back_to_detection(member):
    post = make_post(member, GERMAN)

    services.edit_post(post=post, editor=member, body=GERMAN, language="")
    post.refresh_from_db()
    assert (post.language, post.language_set_by_author) == ("", True)

    services.edit_post(post=post, editor=member, body=GERMAN, language=DETECT)
    post.refresh_from_db()
    assert (post.language, post.language_set_by_author) == ("de", False)


def test_a_language_the_site_does_not_offer_is_refused(member):
    post = make_post(member, ENGLISH)

    with pytest.raises(Exception, match="Choose one of the languages offered"):
        services.edit_post(post=post, editor=member, body=DUTCH, language="fr")

    post.refresh_from_db()
    assert (post.body, post.language) == (ENGLISH, "en")


def test_edit_page_offers_the_detected_language_and_saves_the_authors_choice(member_client, member):
    post = make_post(member, DUTCH)
    url = reverse("posts:edit", args=[post.pk])

    page = member_client.get(url).text
    saved = member_client.post(url, {"body": ENGLISH, "language": "de"}, follow=True)
    again = member_client.get(url).text

    assert 'name="language"' in page and "Detected: Nederlands" in page
    assert '<option value="auto" selected>' in page
    assert saved.redirect_chain[-1][0] == post.get_absolute_url()
    post.refresh_from_db()
    assert (post.language, post.language_set_by_author) == ("de", True)
    assert '<option value="de" selected>' in again  # the choice is shown as chosen


def test_edit_page_with_detection_chosen_detects_the_new_text(member_client, member):
    post = make_post(member, ENGLISH)

    member_client.post(
        reverse("posts:edit", args=[post.pk]), {"body": GERMAN, "language": DETECT}, follow=True
    )

    post.refresh_from_db()
    assert (post.language, post.language_set_by_author) == ("de", False)


def test_a_made_up_language_on_the_edit_page_is_a_clear_error_and_keeps_the_text(
    member_client, member
):
    post = make_post(member, ENGLISH)

    response = member_client.post(
        reverse("posts:edit", args=[post.pk]), {"body": "new words", "language": "xx"}
    )

    assert response.status_code == 422
    assert "Select a valid choice" in response.text
    assert "new words" in response.text
    post.refresh_from_db()
    assert post.body == ENGLISH


def test_post_card_says_when_a_post_is_in_another_language(member_client, member):
    make_post(member, DUTCH)
    make_post(member, ENGLISH)

    page = member_client.get(reverse("home")).text

    assert 'lang="nl"' in page and "Written in Dutch" in page
    assert 'lang="en"' in page and "Written in English" not in page  # the reader's own


# --- the home feed, limited to the languages one reads ----------------------------------------


def _reads(user, *codes, only=True):
    user.reads_languages = list(codes)
    user.only_read_languages_in_feed = only
    user.save(update_fields=["reads_languages", "only_read_languages_in_feed"])
    return user


def _bodies(user) -> list[str]:
    return [item.post.body for item in home_feed(user, limit=50).items]


@pytest.fixture
def polyglot(member, colleague):
    """Carl, whom Mia follows, writes in English, Dutch and German, and something too short
    to tell."""
    follow_person(follower=member, followee=colleague)
    for body in (ENGLISH, DUTCH, GERMAN, "ok!"):
        make_post(colleague, body)
    return colleague


def test_feed_is_not_limited_by_default(member, polyglot):
    assert not member.only_read_languages_in_feed
    _reads(member, "nl", only=False)

    assert set(_bodies(member)) == {ENGLISH, DUTCH, GERMAN, "ok!"}


def test_feed_limited_to_the_languages_read_keeps_unknown_language(member, polyglot):
    _reads(member, "nl", "de")

    assert set(_bodies(member)) == {DUTCH, GERMAN, "ok!"}


def test_feed_limit_without_any_language_read_shows_everything(member, polyglot):
    _reads(member)

    assert set(_bodies(member)) == {ENGLISH, DUTCH, GERMAN, "ok!"}


def test_feed_limit_keeps_the_readers_own_posts(member, polyglot):
    _reads(member, "nl")
    make_post(member, GERMAN + " Ich bin dabei.")

    assert set(_bodies(member)) == {DUTCH, "ok!", GERMAN + " Ich bin dabei."}


def test_feed_limit_follows_the_authors_correction(member, polyglot):
    _reads(member, "nl")
    post = Post.objects.get(body=GERMAN)
    services.edit_post(post=post, editor=polyglot, body=GERMAN, language="nl")

    assert GERMAN in _bodies(member)


def test_feed_limit_pages_without_gaps(member, colleague):
    follow_person(follower=member, followee=colleague)
    for n in range(7):
        make_post(colleague, f"{DUTCH} ({n})")
        make_post(colleague, f"{ENGLISH} ({n})")
    _reads(member, "nl")

    seen, cursor = [], None
    while True:
        page = home_feed(member, cursor=cursor, limit=3)
        seen += [item.post.body for item in page.items]
        if not page.next_cursor:
            break
        cursor = Cursor.decode(page.next_cursor)
    assert seen == [f"{DUTCH} ({n})" for n in reversed(range(7))]


# --- access comes first: the filter never shows what the reader may not see ------------------


@pytest.mark.parametrize("kind", [Group.Kind.PRIVATE, Group.Kind.SECRET])
@pytest.mark.parametrize("only", [False, True])
def test_closed_group_posts_stay_hidden_whatever_the_language_filter(member, colleague, kind, only):
    follow_person(follower=member, followee=colleague)
    group = make_group(colleague, kind)
    services.create_post(author=colleague, body=DUTCH, group=group)
    make_post(colleague, DUTCH_2)
    _reads(member, "nl", only=only)

    assert _bodies(member) == [DUTCH_2]


@pytest.mark.parametrize("only", [False, True])
def test_a_guest_sees_only_their_groups_posts_whatever_the_language_filter(colleague, only):
    guest = UserFactory(username="gus.guest", is_guest=True)
    group = make_group(colleague, Group.Kind.PRIVATE, allow_guests=True)
    add_member(group, colleague, guest)
    follow_person(follower=guest, followee=colleague)
    make_post(colleague, DUTCH_2)  # company-wide: not for guests
    services.create_post(author=colleague, body=DUTCH, group=group)
    services.create_post(author=colleague, body=ENGLISH, group=group)
    _reads(guest, "nl", only=only)

    expected = {DUTCH} if only else {DUTCH, ENGLISH}
    assert set(_bodies(guest)) == expected


# --- the filter is part of the same query ---------------------------------------------------


def _queries(fn) -> int:
    with CaptureQueriesContext(connection) as ctx:
        fn()
    return len(ctx.captured_queries)


def test_home_feed_costs_the_same_queries_with_the_language_filter_on(
    feed_world,  # noqa: F811
    member,
    member_client,
):
    _grow(feed_world, 25)
    ids = list(Post.objects.order_by("id").values_list("id", flat=True))
    Post.objects.filter(pk__in=ids[::2]).update(language="de")
    shown = []

    def selector():
        shown[:] = home_feed(member, limit=20).items
        for item in shown:
            item.post.image_list()

    def page():
        assert member_client.get(reverse("home")).status_code == 200

    page()  # warm: the first request also records the visit
    # The selector: 1 ties, 2 candidate ids, 3 posts (with whether I liked each), 4 images,
    # 5 followed hashtags' names (test_query_counts.py names them); the page: those and its
    # own.
    off = (_queries(selector), _queries(page))
    assert "de" in {item.post.language for item in shown}
    _reads(member, "nl", "en")
    on = (_queries(selector), _queries(page))

    assert shown and "de" not in {item.post.language for item in shown}
    assert off == on
    assert off[0] == 5
