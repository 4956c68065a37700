from __future__ import annotations

import pytest
from django.urls import reverse

from groups import moderation, services
from groups.models import AuditEntry, Group, Report
from posts.models import Post
from tests.factories import UserFactory, make_post
from tests.groups.helpers import add_member, make_group

pytestmark = pytest.mark.django_db


@pytest.fixture
def author(db):
    return UserFactory(username="andy.author", first_name="Andy", last_name="Author")


@pytest.fixture
def world(owner, author, member):
    group = make_group(owner, Group.Kind.PRIVATE, name="Pricing")
    add_member(group, owner, author)
    add_member(group, owner, member)
    post = make_post(author, "Our price list is attached", group=group)
    return group, post


def test_manager_removes_a_post_with_a_reason_and_the_author_sees_why(
    client, world, owner, author, member
):
    group, post = world
    client.force_login(owner)

    response = client.post(
        reverse("groups:post_action", args=[post.pk, "remove"]),
        {"reason": "Prices are confidential"},
    )

    assert response.status_code == 302
    post.refresh_from_db()
    assert post.removed_at and post.removal_reason == "Prices are confidential"
    client.force_login(author)
    page = client.get(post.get_absolute_url())
    assert page.status_code == 200
    assert "Prices are confidential" in page.text and "Our price list" in page.text
    client.force_login(member)
    assert client.get(post.get_absolute_url()).status_code == 404
    assert "Our price list" not in client.get(group.get_absolute_url()).text

    client.force_login(owner)
    client.post(reverse("groups:post_action", args=[post.pk, "restore"]))
    client.force_login(member)
    assert "Our price list" in client.get(group.get_absolute_url()).text


def test_removing_without_a_reason_is_refused_with_a_message(client, world, owner):
    _group, post = world
    client.force_login(owner)

    response = client.post(
        reverse("groups:post_action", args=[post.pk, "remove"]), {"reason": " "}, follow=True
    )

    assert "Give a reason" in response.text
    post.refresh_from_db()
    assert post.removed_at is None


def test_a_manager_of_another_group_cannot_moderate_here(client, world, member):
    group, post = world
    theirs = make_group(member, Group.Kind.OPEN, name="Theirs")
    secret = make_group(UserFactory(), Group.Kind.SECRET, name="Hidden")
    hidden_post = make_post(secret.created_by, "hidden", group=secret)
    assert theirs
    client.force_login(member)

    for action in ("pin", "lock", "remove"):
        url = reverse("groups:post_action", args=[post.pk, action])
        assert client.post(url, {"reason": "x"}).status_code == 403
        url = reverse("groups:post_action", args=[hidden_post.pk, action])
        assert client.post(url, {"reason": "x"}).status_code == 404
    assert client.get(reverse("groups:moderation", args=[group.slug])).status_code == 403
    assert client.get(reverse("groups:audit", args=[group.slug])).status_code == 403
    assert client.get(reverse("groups:moderation", args=[secret.slug])).status_code == 404
    post.refresh_from_db()
    assert post.removed_at is None and post.pinned_at is None and not post.comments_locked


def test_report_double_submit_is_one_report_and_resolving_removes(
    client, world, owner, author, member
):
    group, post = world
    client.force_login(member)
    url = reverse("groups:report_post", args=[post.pk])

    first = client.post(url, {"reason": "leaks prices"})
    second = client.post(url, {"reason": "leaks prices"})

    assert first.status_code == second.status_code == 302
    report = Report.objects.get()
    assert report.group == group
    client.force_login(owner)
    queue = client.get(reverse("groups:moderation", args=[group.slug]))
    assert "leaks prices" in queue.text
    client.post(
        reverse("groups:resolve_report", args=[report.pk]),
        {"resolution": "removed", "note": "confidential"},
    )
    report.refresh_from_db()
    post.refresh_from_db()
    assert report.status == Report.Status.RESOLVED and post.removed_at is not None
    assert post.removal_reason == "confidential"


def test_an_empty_report_keeps_the_form_with_a_message(client, world, member):
    _group, post = world
    client.force_login(member)

    response = client.post(reverse("groups:report_post", args=[post.pk]), {"reason": ""})

    assert response.status_code == 422
    assert "Say what is wrong" in response.text
    assert not Report.objects.exists()


def test_site_queue_is_for_admins(client, admin, member, author):
    post = make_post(author, "company-wide words")
    moderation.report(reporter=member, reason="spam", post=post)
    client.force_login(member)
    assert client.get(reverse("groups:site_moderation")).status_code == 403
    client.force_login(admin)
    page = client.get(reverse("groups:site_moderation"))
    assert page.status_code == 200 and "spam" in page.text


def test_comments_locked_by_a_manager(client, world, owner, member):
    _group, post = world
    client.force_login(owner)
    client.post(reverse("groups:post_action", args=[post.pk, "lock"]))
    client.force_login(member)

    page = client.get(post.get_absolute_url())
    response = client.post(reverse("posts:comment", args=[post.pk]), {"body": "hello?"})

    assert "Comments are locked by a moderator." in page.text
    assert response.status_code == 422
    assert "Comments are locked by a moderator." in response.text
    assert "hello?" in response.text  # what they typed is not lost
    assert not post.comments.exists()


def test_audit_log_lists_actions_without_edit_controls(client, world, owner, member):
    group, post = world
    moderation.set_pinned(post=post, user=owner, pinned=True)
    client.force_login(owner)

    page = client.get(reverse("groups:audit", args=[group.slug]))

    assert page.status_code == 200
    assert "pinned a post" in page.text and "created the group" in page.text
    assert "<form" not in page.text.split("<main", 1)[1].split("</main>")[0]


def test_queue_and_audit_pages_have_bounded_queries(
    client, world, owner, django_assert_max_num_queries
):
    group, _post = world
    client.force_login(owner)
    for n in (3, 30):
        for i in range(n):
            reporter = UserFactory()
            add_member(group, owner, reporter)
            post = make_post(reporter, f"post {n}-{i}", group=group)
            moderation.report(reporter=owner, reason="check", post=post)
        with django_assert_max_num_queries(12):
            queue = client.get(reverse("groups:moderation", args=[group.slug]))
        with django_assert_max_num_queries(12):
            audit = client.get(reverse("groups:audit", args=[group.slug]))
        assert queue.status_code == audit.status_code == 200
    assert AuditEntry.objects.filter(group=group).count() > 50
    assert Post.objects.filter(group=group).count() == 34


def test_a_manager_sees_moderation_controls_on_the_group_page(client, world, owner, member):
    group, _post = world
    services.set_role(group=group, manager=owner, person=member, role="manager")
    client.force_login(member)

    page = client.get(group.get_absolute_url())

    assert "Remove post" in page.text and "Pin to the top" in page.text
