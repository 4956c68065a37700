"""Bad input an outside probe found (issue 11): a NUL byte anywhere in a query or a form is a
clear 400, never a 500; every reason and note has a stated limit, enforced and shown."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from groups import moderation
from groups import services as group_services
from groups.models import Group, JoinRequest
from posts.models import Post
from tests.factories import UserFactory, make_post
from tests.groups.helpers import add_member, make_group, pending_request

pytestmark = pytest.mark.django_db

NUL_MESSAGE = "holds a NUL character"


@pytest.mark.parametrize(
    "url",
    [
        "/search/?q=plan%00ning",
        "/search/?q=plan&tab=people%00",
        "/groups/?q=desk%00",
        "/groups/?kind=open%00",
        "/people/?q=ana%00",
        "/questions/?group=x%00",
        "/questions/?tag=%00",
        "/all/?cursor=%00",
        "/hashtags/?q=%00",
    ],
)
def test_a_nul_byte_in_a_query_is_a_clear_400(member_client, url):
    response = member_client.get(url)
    assert response.status_code == 400
    assert NUL_MESSAGE in response.content.decode()


def test_a_nul_byte_in_a_moderation_reason_is_a_clear_400_and_changes_nothing(client, member):
    owner = UserFactory()
    group = make_group(owner, Group.Kind.OPEN, name="Desks")
    add_member(group, owner, member)
    post = make_post(member, "A post", group=group)
    client.force_login(owner)
    response = client.post(
        reverse("groups:post_action", args=[post.pk, "remove"]), {"reason": "spam\x00"}
    )
    assert response.status_code == 400
    assert NUL_MESSAGE in response.content.decode()
    assert Post.objects.get(pk=post.pk).removed_at is None


LONG = "x" * 100_000


def test_every_reason_has_a_stated_limit(member):
    owner = UserFactory()
    group = make_group(owner, Group.Kind.PRIVATE, name="Pricing")
    add_member(group, owner, member)
    asking = UserFactory()
    request = pending_request(group, asking)
    post = make_post(member, "A post", group=group)

    attempts = [
        lambda: group_services.ban_member(group=group, manager=owner, person=member, reason=LONG),
        lambda: group_services.remove_member(
            group=group, manager=owner, person=member, reason=LONG
        ),
        lambda: group_services.decline_request(request=request, manager=owner, reason=LONG),
        lambda: moderation.remove_post(post=post, user=owner, reason=LONG),
        lambda: group_services.request_to_join(user=UserFactory(), group=group, message="y" * 1001),
    ]
    for attempt in attempts:
        with pytest.raises(ValidationError, match="under 1,000 characters"):
            attempt()
    # Nothing of it was stored or done.
    assert group.memberships.filter(user=member).exists()
    assert JoinRequest.objects.get(pk=request.pk).status == JoinRequest.Status.PENDING
    assert Post.objects.get(pk=post.pk).removed_at is None


def test_a_report_resolution_note_has_the_limit_too(member):
    owner = UserFactory()
    group = make_group(owner, Group.Kind.OPEN, name="Desks")
    add_member(group, owner, member)
    post = make_post(member, "A post", group=group)
    report = moderation.report(reporter=UserFactory(), post=post, reason="rude")
    with pytest.raises(ValidationError, match="under 1,000 characters"):
        moderation.resolve_report(report=report, user=owner, resolution="kept", note=LONG)


def test_a_join_note_over_the_limit_comes_back_with_the_error_and_the_note(client, member):
    owner = UserFactory()
    group = make_group(owner, Group.Kind.PRIVATE, name="Pricing")
    note = "I run pricing for the Benelux region. " * 30  # 1,140 characters
    client.force_login(member)
    response = client.post(reverse("groups:join", args=[group.slug]), {"message": note})
    assert response.status_code == 422
    html = response.content.decode()
    assert "at most 1000 characters" in html
    assert note.strip()[:200] in html
    assert not JoinRequest.objects.filter(user=member).exists()


def test_a_post_or_comment_of_only_invisible_characters_is_refused(member):
    from posts import services as post_services

    invisible = "\u200b\u200d\u2060\u202e \ufeff\u200c"
    with pytest.raises(ValidationError, match="Write something"):
        post_services.create_post(author=member, body=invisible)
    post = make_post(member, "Visible")
    with pytest.raises(ValidationError, match="Write something"):
        post_services.add_comment(post=post, author=member, body=invisible)
    # A joiner inside a word is kept (scripts and emoji need it).
    kept = post_services.create_post(author=member, body="\u0645\u200c\u06cc 👩\u200d💻")
    assert "\u200c" in kept.body and "\u200d" in kept.body


def test_names_lose_spoofing_characters(member):
    person = UserFactory(first_name="\u202eAna\u200b", last_name=" Jansen\u2066 ")
    person.refresh_from_db()
    assert (person.first_name, person.last_name) == ("Ana", "Jansen")
    group = group_services.create_group(
        creator=member, name="\u202eSales\u200b desk ", kind=Group.Kind.OPEN
    )
    assert group.name == "Sales desk"
    with pytest.raises(ValidationError):
        group_services.create_group(creator=member, name="\u200b\u202e", kind=Group.Kind.OPEN)
    group_services.update_group(group=group, editor=member, name="Sales\u2067 desks")
    group.refresh_from_db()
    assert group.name == "Sales desks"
