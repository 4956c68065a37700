"""Questions: a post can ask something; the asker (or a manager of the group, or an admin)
accepts one comment as the answer, and the question then shows as answered everywhere."""

from __future__ import annotations

import re
import threading
from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.test import Client
from django.urls import reverse

from groups import moderation
from groups import services as group_services
from groups.models import Group
from posts import selectors, services
from posts.models import Post
from tests.factories import UserFactory, make_post, now
from tests.groups.helpers import add_manager, add_member, make_group

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}
POST_RE = re.compile(r'<article class="card post[^"]*" id="post-(\d+)"')


def client_for(user) -> Client:
    browser = Client()
    browser.force_login(user)
    return browser


def fresh(post: Post) -> Post:
    return Post.objects.get(pk=post.pk)


def listed_ids(html: str) -> list[int]:
    return [int(pk) for pk in POST_RE.findall(html)]


@pytest.fixture
def owner(db):
    return UserFactory(username="otto.owner", first_name="Otto", last_name="Owner")


@pytest.fixture
def question(member):
    return make_post(member, "How do I book a meeting room? #facilities", is_question=True)


@pytest.fixture
def answer(question, colleague):
    return services.add_comment(post=question, author=colleague, body="Use the room finder.")


# --- asking ----------------------------------------------------------------------------------


def test_the_composer_checkbox_makes_a_post_a_question(member_client):
    response = member_client.post(
        reverse("posts:create"), {"body": "Where is the style guide?", "is_question": "on"}
    )
    assert response.status_code == 302
    post = Post.objects.get()
    assert post.is_question and not post.is_answered

    page = member_client.get(reverse("home")).content.decode()
    assert 'class="badge badge-question">Question<' in page
    assert "Answered" not in page


def test_without_the_checkbox_a_post_is_not_a_question(member_client):
    member_client.post(reverse("posts:create"), {"body": "Just sharing"})
    assert not Post.objects.get().is_question


def test_the_composer_offers_the_checkbox_at_home_and_in_a_group(member_client, member, owner):
    group = make_group(owner, Group.Kind.OPEN)
    group_services.join_group(user=member, group=group)
    for url in (reverse("home"), group.get_absolute_url(), reverse("questions")):
        html = member_client.get(url).content.decode()
        assert '<label for="id_is_question">This is a question</label>' in html, url


def test_a_question_in_a_group_is_asked_through_the_group_composer(member_client, member, owner):
    group = make_group(owner, Group.Kind.PRIVATE)
    add_member(group, owner, member)
    response = member_client.post(
        reverse("posts:create"),
        {"body": "Who owns the pricing sheet?", "is_question": "on", "group": group.pk},
        **HTMX,
    )
    assert response.status_code == 200
    post = Post.objects.get()
    assert post.is_question and post.group == group
    assert 'class="badge badge-question">Question<' in response.content.decode()


def test_the_author_turns_question_on_and_off_when_editing(member_client, member, colleague):
    post = make_post(member, "Lunch plans")
    url = reverse("posts:edit", args=[post.pk])
    assert 'name="is_question"' in member_client.get(url).content.decode()

    member_client.post(url, {"body": "Lunch plans?", "is_question": "on"})
    assert fresh(post).is_question

    comment = services.add_comment(post=post, author=colleague, body="Pizza")
    services.accept_answer(post=fresh(post), comment=comment, by=member)
    member_client.post(url, {"body": "Lunch plans."})
    post = fresh(post)
    assert not post.is_question
    # No longer a question: no answer either, so it cannot come back "answered" by surprise.
    assert post.accepted_answer_id is None and post.answered_at is None


# --- accepting ----------------------------------------------------------------------------------


def test_the_asker_accepts_an_answer_and_the_question_is_answered(question, answer, member):
    accepted = services.accept_answer(post=question, comment=answer, by=member)
    assert accepted.is_answered and accepted.accepted_answer_id == answer.pk
    assert fresh(question).answered_at is not None


def test_accepting_another_comment_replaces_the_answer(question, answer, member, outsider):
    services.accept_answer(post=question, comment=answer, by=member)
    better = services.add_comment(post=question, author=outsider, body="Or ask reception.")
    services.accept_answer(post=fresh(question), comment=better, by=member)
    assert fresh(question).accepted_answer_id == better.pk


def test_accepting_twice_is_harmless(question, answer, member, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks() as callbacks:
        services.accept_answer(post=question, comment=answer, by=member)
        first = fresh(question).answered_at
        services.accept_answer(post=fresh(question), comment=answer, by=member)
    assert fresh(question).answered_at == first
    # The commenter is told once: one inbox event handed to a worker (the other callbacks
    # move cache generations on, esn.generations).
    told = [c for c in callbacks if c.__qualname__.startswith("record.")]
    assert len(told) == 1


def test_unaccepting_opens_the_question_again(question, answer, member):
    services.accept_answer(post=question, comment=answer, by=member)
    services.unaccept_answer(post=fresh(question), by=member)
    post = fresh(question)
    assert not post.is_answered and post.answered_at is None
    services.unaccept_answer(post=post, by=member)  # again: nothing to do, no error


def test_a_group_manager_and_an_admin_may_accept_but_not_a_plain_member(
    member, colleague, outsider, owner, admin
):
    group = make_group(owner, Group.Kind.OPEN)
    for person in (member, colleague, outsider):
        group_services.join_group(user=person, group=group)
    manager = UserFactory(username="mo.manager")
    add_manager(group, owner, manager)
    post = make_post(member, "Which printer works?", group=group, is_question=True)
    comment = services.add_comment(post=post, author=colleague, body="The one on floor 2")

    assert not services.can_accept_answer(outsider, post)
    with pytest.raises(PermissionDenied, match="Only the person who asked"):
        services.accept_answer(post=post, comment=comment, by=outsider)
    for person in (manager, owner, admin):
        assert services.can_accept_answer(person, post)
        services.accept_answer(post=fresh(post), comment=comment, by=person)
        services.unaccept_answer(post=fresh(post), by=person)


def test_on_a_company_wide_question_only_the_asker_and_admins_may_accept(
    question, answer, colleague, admin
):
    assert not services.can_accept_answer(colleague, question)  # the commenter
    with pytest.raises(PermissionDenied):
        services.accept_answer(post=question, comment=answer, by=colleague)
    services.accept_answer(post=question, comment=answer, by=admin)
    assert fresh(question).accepted_answer_id == answer.pk


def test_only_questions_take_an_answer(member, colleague):
    post = make_post(member, "A statement")
    comment = services.add_comment(post=post, author=colleague, body="Agreed")
    with pytest.raises(ValidationError, match="Only questions have an accepted answer"):
        services.accept_answer(post=post, comment=comment, by=member)
    assert not services.can_accept_answer(member, post)


def test_only_a_comment_of_that_question_can_be_its_answer(question, member, colleague):
    other = make_post(colleague, "Elsewhere", is_question=True)
    stray = services.add_comment(post=other, author=colleague, body="Not for you")
    with pytest.raises(ValidationError, match="Only a comment on this question"):
        services.accept_answer(post=question, comment=stray, by=member)
    assert not fresh(question).is_answered


def test_a_removed_comment_cannot_be_accepted(question, answer, member, admin):
    moderation.remove_comment(comment=answer, user=admin, reason="off-topic")
    with pytest.raises(ValidationError, match="A moderator removed this comment"):
        services.accept_answer(post=question, comment=answer, by=member)


def test_removing_the_accepted_comment_opens_the_question_and_restoring_does_not_accept_it(
    question, answer, member, admin
):
    services.accept_answer(post=question, comment=answer, by=member)
    moderation.remove_comment(comment=answer, user=admin, reason="wrong and rude")
    post = fresh(question)
    assert not post.is_answered and post.answered_at is None
    assert selectors.questions(member).posts == [post]

    moderation.restore_comment(comment=answer, user=admin)
    assert not fresh(question).is_answered  # the asker decides again


def test_deleting_the_accepted_comment_opens_the_question(question, answer, member, colleague):
    services.accept_answer(post=question, comment=answer, by=member)
    services.delete_comment(comment=answer, user=colleague)
    post = fresh(question)
    assert not post.is_answered and post.answered_at is None


def test_no_accepting_in_an_archived_group(member, colleague, owner):
    group = make_group(owner, Group.Kind.OPEN)
    for person in (member, colleague):
        group_services.join_group(user=person, group=group)
    post = make_post(member, "Still relevant?", group=group, is_question=True)
    comment = services.add_comment(post=post, author=colleague, body="Yes")
    group_services.archive_group(group=group, user=owner)
    with pytest.raises(ValidationError, match="archived"):
        services.accept_answer(post=fresh(post), comment=comment, by=member)


# --- the thread and the buttons ----------------------------------------------------------------


def test_the_accepted_answer_comes_first_with_its_badge(question, member, colleague, outsider):
    earlier = services.add_comment(post=question, author=outsider, body="EARLIER guess")
    answer = services.add_comment(post=question, author=colleague, body="The real answer")
    services.accept_answer(post=question, comment=answer, by=member)

    html = client_for(outsider).get(question.get_absolute_url()).content.decode()
    items = re.findall(r'<li class="comment([^"]*)" id="comment-(\d+)"', html)
    assert items == [(" is-accepted", str(answer.pk)), ("", str(earlier.pk))]
    assert html.count("Accepted answer") == 1
    assert 'class="badge badge-answered"' in html


def test_accept_buttons_show_only_to_who_may_accept(question, answer, member, colleague):
    asker = client_for(member).get(question.get_absolute_url()).content.decode()
    commenter = client_for(colleague).get(question.get_absolute_url()).content.decode()
    assert "Accept as answer" in asker
    assert "Accept as answer" not in commenter


def test_accept_with_htmx_swaps_the_thread_and_the_label(question, answer, member):
    url = reverse("posts:accept_answer", args=[answer.pk])
    response = client_for(member).post(url, **HTMX)
    html = response.content.decode()
    assert response.status_code == 200
    assert '<section id="comments"' in html
    assert "Accepted answer" in html and "Unaccept" in html
    assert f'id="post-{question.pk}-labels" hx-swap-oob="true"' in html
    assert fresh(question).accepted_answer_id == answer.pk

    response = client_for(member).post(url, {"action": "unaccept"}, **HTMX)
    assert "Accept as answer" in response.content.decode()
    assert not fresh(question).is_answered


def test_accept_with_a_plain_form_goes_back_to_the_answer(question, answer, member):
    browser = client_for(member)
    url = reverse("posts:accept_answer", args=[answer.pk])
    response = browser.post(url)
    assert response.status_code == 302
    assert response["Location"] == f"{question.get_absolute_url()}#comment-{answer.pk}"
    page = browser.get(response["Location"]).content.decode()
    assert "Accepted as the answer." in page


def test_accepting_someone_elses_question_is_forbidden_and_changes_nothing(
    question, answer, colleague
):
    response = client_for(colleague).post(reverse("posts:accept_answer", args=[answer.pk]))
    assert response.status_code == 403
    assert "Only the person who asked" in response.content.decode()
    assert not fresh(question).is_answered


def test_a_comment_the_viewer_cannot_see_is_a_404(member, owner, outsider):
    group = make_group(owner, Group.Kind.SECRET)
    add_member(group, owner, member)
    post = make_post(member, "Secret question", group=group, is_question=True)
    comment = services.add_comment(post=post, author=owner, body="Secret answer")
    response = client_for(outsider).post(reverse("posts:accept_answer", args=[comment.pk]))
    assert response.status_code == 404
    assert (
        client_for(member).get(reverse("posts:accept_answer", args=[comment.pk])).status_code == 405
    )


def test_answered_label_shows_in_every_listing(question, answer, member, colleague, owner):
    group = make_group(owner, Group.Kind.OPEN, name="Facilities")
    group_services.join_group(user=member, group=group)
    in_group = make_post(member, "Group question #facilities", group=group, is_question=True)
    reply = services.add_comment(post=in_group, author=colleague, body="Ask Bo")
    services.accept_answer(post=question, comment=answer, by=member)
    services.accept_answer(post=in_group, comment=reply, by=member)

    browser = client_for(member)
    pages = [
        reverse("home"),
        reverse("all"),
        group.get_absolute_url(),
        reverse("hashtags:detail", args=["facilities"]),
        member.get_absolute_url(),
        question.get_absolute_url(),
        reverse("questions") + "?state=answered",
    ]
    for url in pages:
        html = browser.get(url).content.decode()
        assert "Answered</a>" in html, url
        assert 'class="badge badge-question">Question<' in html, url


# --- the Questions page --------------------------------------------------------------------------


def test_questions_page_lists_open_questions_newest_first(member, colleague, outsider):
    older = make_post(
        colleague, "Older question", is_question=True, created_at=now() - timedelta(hours=2)
    )
    newer = make_post(outsider, "Newer question", is_question=True)
    make_post(colleague, "Not a question")
    answered = make_post(colleague, "Solved question", is_question=True)
    reply = services.add_comment(post=answered, author=member, body="Here")
    services.accept_answer(post=answered, comment=reply, by=colleague)

    browser = client_for(member)
    html = browser.get(reverse("questions")).content.decode()
    assert listed_ids(html) == [newer.pk, older.pk]
    assert 'aria-current="page">Unanswered<' in html

    html = browser.get(reverse("questions"), {"state": "answered"}).content.decode()
    assert listed_ids(html) == [answered.pk]
    assert 'aria-current="page">Answered<' in html


def test_questions_page_filters_by_group_and_hashtag(member, colleague, owner):
    group = make_group(owner, Group.Kind.OPEN, name="Python guild")
    group_services.join_group(user=colleague, group=group)
    in_group = make_post(colleague, "Which linter? #tooling", group=group, is_question=True)
    tagged = make_post(colleague, "Which laptop? #tooling", is_question=True)
    make_post(colleague, "Which chair? #office", is_question=True)

    browser = client_for(member)
    by_group = browser.get(reverse("questions"), {"group": group.slug}).content.decode()
    assert listed_ids(by_group) == [in_group.pk]
    by_tag = browser.get(reverse("questions"), {"tag": "#tooling"}).content.decode()
    assert listed_ids(by_tag) == [tagged.pk, in_group.pk]
    both = browser.get(reverse("questions"), {"tag": "tooling", "group": group.slug})
    assert listed_ids(both.content.decode()) == [in_group.pk]
    # The menu offers the groups I may read.
    assert f'<option value="{group.slug}"' in by_tag


def test_an_unknown_or_unreadable_filter_is_a_404(member, owner):
    secret = make_group(owner, Group.Kind.SECRET, name="Merger")
    private = make_group(owner, Group.Kind.PRIVATE, name="Pricing")
    make_post(owner, "Secret question #zzsecrettag", group=secret, is_question=True)
    browser = client_for(member)
    for params in (
        {"group": secret.slug},
        {"group": private.slug},
        {"group": "no-such-group"},
        {"tag": "zzsecrettag"},
        {"tag": "nosuchtag"},
    ):
        response = browser.get(reverse("questions"), params)
        assert response.status_code == 404, params
        assert "Merger" not in response.content.decode()


def test_questions_page_shows_only_questions_the_viewer_may_see(member, colleague, owner, admin):
    private = make_group(owner, Group.Kind.PRIVATE, name="Private pricing")
    secret = make_group(owner, Group.Kind.SECRET, name="Secret merger", allow_guests=True)
    add_member(private, owner, member)
    add_member(secret, owner, member)
    company = make_post(owner, "COMPANY-Q", is_question=True)
    in_private = make_post(owner, "PRIVATE-Q", group=private, is_question=True)
    in_secret = make_post(owner, "SECRET-Q", group=secret, is_question=True)
    removed = make_post(owner, "REMOVED-Q", is_question=True)
    moderation.remove_post(post=removed, user=admin, reason="spam")
    guest = UserFactory(username="gina.guest", is_guest=True, sponsor=owner)
    add_member(secret, owner, guest)

    seen = {
        member: [in_secret.pk, in_private.pk, company.pk],
        colleague: [company.pk],
        guest: [in_secret.pk],
        admin: [in_secret.pk, in_private.pk, company.pk],
    }
    for viewer, expected in seen.items():
        html = client_for(viewer).get(reverse("questions")).content.decode()
        assert listed_ids(html) == expected, viewer
        for marker, post in (("PRIVATE-Q", in_private), ("SECRET-Q", in_secret)):
            if post.pk not in expected:
                assert marker not in html and post.group.name not in html, viewer
        assert "REMOVED-Q" not in html
    assert Client().get(reverse("questions")).status_code == 302


def test_empty_state_invites_asking(member_client):
    html = member_client.get(reverse("questions")).content.decode()
    assert "No open questions" in html
    assert '<details class="ask-question" open>' in html
    assert "Ask a question" in html and "Ask yours above" in html
    assert 'id="id_is_question" checked' in html  # the composer here asks by default


def test_the_nav_links_to_questions(member_client):
    html = member_client.get(reverse("home")).content.decode()
    assert re.search(rf'<a href="{reverse("questions")}"\s*>Questions</a>', html)


def test_load_more_keeps_the_filters(member, colleague, owner):
    group = make_group(owner, Group.Kind.OPEN, name="Busy")
    group_services.join_group(user=colleague, group=group)
    for n in range(25):
        make_post(colleague, f"q{n}", group=group, is_question=True)
    make_post(colleague, "elsewhere", is_question=True)
    browser = client_for(member)
    first = browser.get(reverse("questions"), {"group": group.slug}).content.decode()
    assert len(listed_ids(first)) == 20
    more = re.search(r'id="load-more">\s*<a[^>]* href="([^"]+)"', first).group(1)
    more = more.replace("&amp;", "&")
    assert f"group={group.slug}" in more
    rest = browser.get(more, **HTMX).content.decode()
    assert len(listed_ids(rest)) == 5 and "elsewhere" not in rest


def _grow(author, count: int, group=None) -> None:
    for n in range(count):
        post = make_post(author, f"question {n} #tooling", is_question=True, group=group)
        services.add_comment(post=post, author=author, body="bump")


def test_questions_page_runs_a_bounded_number_of_queries(
    member, colleague, owner, django_assert_max_num_queries
):
    group = make_group(owner, Group.Kind.OPEN, name="Tools")
    group_services.join_group(user=member, group=group)
    group_services.join_group(user=colleague, group=group)
    _grow(colleague, 3, group)
    browser = client_for(member)
    url = reverse("questions")
    # 1 session, 2 signed-in user, 3 candidate ids (posts_open_questions), 4 posts with
    # authors and groups, 5 images, 6 hashtags, 7 my likes, 8 the group filter's menu,
    # 9 my groups (composer), 10 the inbox's unread badge
    with django_assert_max_num_queries(10):
        small = browser.get(url)
    assert len(listed_ids(small.content.decode())) == 3

    _grow(colleague, 20, group)
    _grow(owner, 20)
    with django_assert_max_num_queries(10):
        large = browser.get(url)
    assert len(listed_ids(large.content.decode())) == 20
    # Filtered by group and hashtag: 2 more, 11 the group, 12 the hashtag, 13 whether I may
    # see a post carrying it (and the "Answered" tab: no composer, one less).
    with django_assert_max_num_queries(13):
        filtered = browser.get(url, {"group": group.slug, "tag": "tooling"})
    assert len(listed_ids(filtered.content.decode())) == 20
    with django_assert_max_num_queries(13):
        browser.get(url, {"group": group.slug, "tag": "tooling", "state": "answered"})


def test_open_questions_use_their_partial_index(member, colleague):
    from django.db import connection

    _grow(colleague, 3)
    qs = (
        selectors.visible_posts(member)
        .filter(is_question=True, accepted_answer__isnull=True)
        .order_by("-created_at", "-id")
    )
    with connection.cursor() as cur:
        cur.execute("SET LOCAL enable_seqscan = off")
        plan = qs.values_list("id")[:21].explain()
    assert "posts_open_questions" in plan


# --- at the same moment ------------------------------------------------------------------------


def _at_once(*actions) -> list[Exception]:
    """Run the actions in threads released together; the exceptions they raised."""
    start = threading.Barrier(len(actions), timeout=10)
    errors: list[Exception] = []

    def run(action):
        try:
            start.wait()
            action()
        except Exception as exc:  # reported to the caller; a thread must not swallow failures
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(a,)) for a in actions]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    return errors


@pytest.mark.django_db(transaction=True)
def test_a_double_submitted_accept_tells_the_commenter_once(monkeypatch):
    asker, helper = UserFactory(), UserFactory()
    question = make_post(asker, "Double click?", is_question=True)
    comment = services.add_comment(post=question, author=helper, body="Yes")
    told = []
    monkeypatch.setattr(services.inbox, "answer_accepted", lambda **kw: told.append(kw))

    def accept():
        services.accept_answer(post=question, comment=comment, by=asker)

    assert _at_once(accept, accept) == []
    assert len(told) == 1  # the second submit found it accepted, under the row lock
    assert fresh(question).accepted_answer_id == comment.pk


@pytest.mark.django_db(transaction=True)
def test_accepting_while_a_moderator_removes_the_comment_never_leaves_a_removed_answer():
    asker, helper = UserFactory(), UserFactory()
    admin = UserFactory(is_staff=True, is_superuser=True)
    for _round in range(3):
        question = make_post(asker, "Race?", is_question=True)
        comment = services.add_comment(post=question, author=helper, body="Maybe")
        errors = _at_once(
            lambda q=question, c=comment: services.accept_answer(post=q, comment=c, by=asker),
            lambda c=comment: moderation.remove_comment(comment=c, user=admin, reason="spam"),
        )
        # Either the removal came second and opened the question again, or the accept came
        # second and was refused with the reason.
        assert all(isinstance(e, ValidationError) for e in errors), errors
        assert not fresh(question).is_answered
