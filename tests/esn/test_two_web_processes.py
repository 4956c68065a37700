"""Two web processes, as on two machines: each a production gunicorn (gunicorn.conf.py, DEBUG
off) on its own port, sharing only the database, Redis and the S3-compatible store. What one
stores, the other serves; what one removes, neither serves."""

from __future__ import annotations

import re

import pytest
import requests
from django.test import Client

from posts.models import Post
from tests.factories import UserFactory, image_upload
from tests.servers import free_port, gunicorn, production_env

pytestmark = pytest.mark.django_db(transaction=True)


def session_for(user) -> requests.Session:
    """A browser already signed in: the session row is in the shared database, so either
    process accepts its cookie."""
    client = Client()
    client.force_login(user)
    browser = requests.Session()
    browser.cookies.set("sessionid", client.cookies["sessionid"].value)
    return browser


def csrf(browser: requests.Session, base: str) -> str:
    page = browser.get(f"{base}/", timeout=10)
    assert page.status_code == 200
    return browser.cookies["csrftoken"]


def test_an_image_uploaded_through_one_process_is_served_by_the_other_until_removed(
    s3_media, collected_static, tmp_path
):
    author = UserFactory(username="ana.author")
    reader = UserFactory(username="ron.reader")
    moderator = UserFactory(username="ada.admin", is_staff=True, is_superuser=True)
    env = production_env(
        collected_static,
        plain_http=True,
        **s3_media.env,
    )
    with (
        gunicorn(free_port(), env, tmp_path / "one.log") as one,
        gunicorn(free_port(), env, tmp_path / "two.log") as two,
    ):
        writer = session_for(author)
        upload = image_upload("desk.png")
        published = writer.post(
            f"{one}/posts/new/",
            data={"body": "My new standing desk"},
            files={"images": ("desk.png", upload.read(), "image/png")},
            headers={"X-CSRFToken": csrf(writer, one)},
            allow_redirects=False,
            timeout=10,
        )
        assert published.status_code == 302, published.text[:500]
        post = Post.objects.get(body="My new standing desk")
        image = post.images.get()
        assert s3_media.client.head_object(Bucket=s3_media.bucket, Key=image.image.name)

        # The other process finds the post, shows it, and serves its image from the store.
        browser = session_for(reader)
        page = browser.get(f"{two}{post.get_absolute_url()}", timeout=10)
        assert image.get_absolute_url() in page.text
        served = browser.get(f"{two}{image.get_absolute_url()}", timeout=10)
        assert served.status_code == 200
        assert served.history[0].status_code == 302
        assert served.url.startswith(f"{s3_media.endpoint}/{s3_media.bucket}/posts/")
        upload.seek(0)
        assert served.content == upload.read()

        # A moderator removes it through the second process: neither serves it any more.
        admin = session_for(moderator)
        removed = admin.post(
            f"{two}/groups/moderation/posts/{post.pk}/remove/",
            data={"reason": "Not for the whole company"},
            headers={"X-CSRFToken": csrf(admin, two)},
            allow_redirects=False,
            timeout=10,
        )
        assert removed.status_code == 302
        for base in (one, two):
            refused = browser.get(f"{base}{image.get_absolute_url()}", allow_redirects=False)
            assert refused.status_code == 404
            assert "Location" not in refused.headers

        # Another post, published through the second and deleted by its author through the
        # first: its file leaves the store, so neither could serve it.
        second = writer.post(
            f"{two}/posts/new/",
            data={"body": "And the chair"},
            files={"images": ("chair.png", image_upload("chair.png").read(), "image/png")},
            headers={"X-CSRFToken": csrf(writer, two)},
            allow_redirects=False,
            timeout=10,
        )
        assert second.status_code == 302
        chair = Post.objects.get(body="And the chair")
        chair_key = chair.images.get().image.name
        deleted = writer.post(
            f"{one}/posts/{chair.pk}/delete/",
            headers={"X-CSRFToken": csrf(writer, one)},
            allow_redirects=False,
            timeout=10,
        )
        assert deleted.status_code == 302
        listing = s3_media.client.list_objects_v2(Bucket=s3_media.bucket)
        assert [item["Key"] for item in listing["Contents"]] == [image.image.name]
        assert chair_key != image.image.name
    assert not re.search(r'"level": "ERROR"', (tmp_path / "one.log").read_text())
