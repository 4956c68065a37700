from __future__ import annotations

import pytest
from django.urls import reverse

from tests.factories import make_post

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "target", ["//evil.example/", "https://evil.example/x", "javascript:alert(1)"]
)
def test_plain_form_posts_never_redirect_off_site(member_client, colleague, target):
    post = make_post(colleague, "like me")

    follow = member_client.post(
        reverse("people:follow", args=[colleague.username]), {"next": target}
    )
    like = member_client.post(reverse("posts:like", args=[post.pk]), {"next": target})

    assert follow.status_code == 302 and follow["Location"] == colleague.get_absolute_url()
    assert like.status_code == 302 and like["Location"] == post.get_absolute_url()


def test_plain_form_posts_go_back_to_the_page_they_came_from(member_client, colleague):
    response = member_client.post(
        reverse("people:follow", args=[colleague.username]), {"next": "/all/?x=1"}
    )

    assert response["Location"] == "/all/?x=1"
