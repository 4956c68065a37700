"""Home's side cards (/discover/) are kept per person between Home loads (issue 16), and what
may no longer be shown leaves them on the very next request: a deleted or removed post's tag,
a group turned secret, someone blocked, someone who left. A new post may wait for the cards'
time to run out; a language change shows at once."""

from __future__ import annotations

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from esn import generations
from groups import moderation
from groups.models import Group
from people.models import Follow
from people.services import block_person, deactivate_person, follow_person, set_languages
from posts import services as post_services
from tests.factories import UserFactory, make_post
from tests.groups.helpers import add_member, make_group

pytestmark = pytest.mark.django_db
HTMX = {"HTTP_HX_REQUEST": "true"}


def cards(client) -> str:
    """The cards' HTML, without the CSRF tokens (masked anew on every response)."""
    response = client.get(reverse("discover"), **HTMX)
    assert response.status_code == 200
    return re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", response.text)


@pytest.fixture
def writers(db):
    return [UserFactory(username=f"writer.{n}", first_name=f"Writer{n}") for n in range(3)]


def test_the_second_load_asks_nothing_for_the_cards(member_client, writers):
    for person in writers:
        make_post(person, "notes from the #retro")
    first = cards(member_client)

    with CaptureQueriesContext(connection) as second_load:
        again = cards(member_client)

    assert "#retro" in first and again == first
    # The session, the signed-in user and the viewer's ties (the cards' key); nothing else.
    assert len(second_load.captured_queries) <= 3, [
        q["sql"][:80] for q in second_load.captured_queries
    ]


def test_a_deleted_or_removed_posts_tag_leaves_trending_at_once(member_client, writers, admin):
    posts = [make_post(person, "notes from the #retro") for person in writers]
    assert "#retro" in cards(member_client)

    post_services.delete_post(post=posts[0], user=writers[0])
    moderation.remove_post(post=posts[1], user=admin, reason="Off topic")
    post_services.delete_post(post=posts[2], user=writers[2])

    assert "#retro" not in cards(member_client)


def test_a_group_turned_secret_takes_its_tags_away_from_outsiders_at_once(
    member_client, member, writers
):
    owner = writers[0]
    group = make_group(owner, Group.Kind.OPEN, name="Skunkworks")
    for person in writers[1:]:
        add_member(group, owner, person)
    for person in writers:
        post_services.create_post(author=person, body="the #prototype works", group=group)
    assert "#prototype" in cards(member_client)

    group.kind = Group.Kind.SECRET
    group.save()

    assert "#prototype" not in cards(member_client)


def test_someone_who_left_then_someone_blocked_is_no_longer_suggested(
    member_client, member, colleague, django_capture_on_commit_callbacks
):
    # Suggested: people followed by someone the member follows.
    fiona = UserFactory(username="fiona.friend", first_name="Fiona")
    gary = UserFactory(username="gary.gone", first_name="Gary")
    follow_person(follower=member, followee=colleague)
    follow_person(follower=colleague, followee=fiona)
    follow_person(follower=colleague, followee=gary)
    shown = cards(member_client)
    assert "Fiona" in shown and "Gary" in shown

    with django_capture_on_commit_callbacks(execute=True):
        deactivate_person(person=gary)
    shown = cards(member_client)
    assert "Gary" not in shown and "Fiona" in shown

    block_person(blocker=member, blocked=fiona)
    assert "Fiona" not in cards(member_client)


def test_a_new_language_shows_at_once(member_client, member, writers):
    for person in writers:
        make_post(person, "notes from the #retro")
    assert "Trending" in cards(member_client)

    set_languages(person=member, language="nl", reads=[], only_read_in_feed=False)

    assert "Trending" not in cards(member_client)


def test_someone_signing_in_does_not_empty_everyones_cards(member, colleague):
    """A sign-in saves `last_login`; only what decides whether a person may be suggested
    (active, guest, department, location) moves the cards' generation on."""
    before = generations.current(generations.VISIBLE)
    colleague.last_login = timezone.now()
    colleague.save(update_fields=["last_login"])
    assert generations.current(generations.VISIBLE) == before

    colleague.is_active = False
    colleague.save()  # Django admin's save, all fields
    assert generations.current(generations.VISIBLE) > before


def _token_of(html: str) -> str:
    return re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html).group(1)


def test_kept_cards_carry_this_requests_address_and_token(member, colleague):
    """The cards' HTML is kept, not rendered again; the address the buttons come back to and
    the CSRF token are this request's, in each of the person's sessions."""
    from django.test import Client

    follow_person(follower=member, followee=colleague)
    follow_person(follower=colleague, followee=UserFactory(username="fiona", first_name="Fiona"))

    laptop, phone = Client(enforce_csrf_checks=True), Client(enforce_csrf_checks=True)
    laptop.force_login(member)
    phone.force_login(member)

    first = laptop.get(reverse("discover"), HTTP_HX_CURRENT_URL="http://testserver/", **HTMX)
    assert 'name="next" value="/"' in first.text
    kept = phone.get(
        reverse("discover"),
        HTTP_HX_CURRENT_URL='http://testserver/all/?q=a"b<c',
        **HTMX,
    )
    assert kept.templates == []  # nothing rendered: the HTML was kept
    assert 'name="next" value="/all/?q=a&quot;b&lt;c"' in kept.text
    assert 'value="/"' not in kept.text and "\x00" not in kept.text
    assert kept.text.count('name="csrfmiddlewaretoken"') == first.text.count(
        'name="csrfmiddlewaretoken"'
    )

    # Following someone from the kept cards works in the session that received them.
    suggested = re.search(r'action="(/people/[^"]+/follow/)"', kept.text).group(1)
    refused = phone.post(suggested, {"csrfmiddlewaretoken": "x" * 64, "next": "/"})
    assert refused.status_code == 403
    followed = phone.post(suggested, {"csrfmiddlewaretoken": _token_of(kept.text), "next": "/"})
    assert followed.status_code == 302
    assert Follow.objects.filter(follower=member, followee__username="fiona").exists()


def test_the_full_discover_page_is_rendered_with_its_own_address(member_client, writers):
    for person in writers:
        make_post(person, "notes from the #retro")
    cards(member_client)  # keeps the cards' HTML
    page = member_client.get(reverse("discover"))
    assert "<html" in page.text and "#retro" in page.text
    assert 'name="next" value="/discover/"' in page.text
