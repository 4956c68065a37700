"""Media on an S3-compatible object store (esn/storage.py), against a real S3 server (moto in
server mode, tests/conftest.py): uploads land in the bucket, nothing on local disk; images are
served only after the access check, as redirects to briefly signed URLs, never a public one;
a private group's, a secret group's and a guest's cells hold as they do on disk."""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from botocore.exceptions import ClientError
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from esn.storage import MediaStorage
from groups.models import Group
from groups.moderation import remove_post
from posts.models import Post
from posts.services import create_post
from tests.factories import UserFactory, image_upload
from tests.groups.helpers import add_member, make_group

pytestmark = pytest.mark.django_db


def browser(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def keys(s3_media) -> list[str]:
    listing = s3_media.client.list_objects_v2(Bucket=s3_media.bucket)
    return sorted(item["Key"] for item in listing.get("Contents", []))


def follow_signed(response) -> requests.Response:
    """What the browser does with the redirect: fetch the signed URL, with no cookie."""
    assert response.status_code == 302
    return requests.get(response["Location"], timeout=5)


def test_a_published_image_is_stored_in_the_bucket_and_not_on_disk(
    s3_media, member_client, settings
):
    member_client.post(reverse("posts:create"), {"body": "look", "images": [image_upload()]})

    image = Post.objects.get().images.get()
    assert keys(s3_media) == [image.image.name]
    assert image.image.name.startswith("posts/")
    assert not (settings.MEDIA_ROOT / "posts").exists()
    assert (image.width, image.height) == (40, 30)


def test_a_colleague_is_redirected_to_a_briefly_signed_url_that_serves_the_image(
    s3_media, member, colleague, settings
):
    upload = image_upload()
    post = create_post(author=member, body="look", images=[upload])
    image = post.images.get()

    response = browser(colleague).get(image.get_absolute_url())

    location = urlsplit(response["Location"])
    query = parse_qs(location.query)
    assert f"{location.scheme}://{location.netloc}" == s3_media.endpoint
    assert location.path == f"/{s3_media.bucket}/{image.image.name}"
    assert query["X-Amz-Expires"] == [str(settings.MEDIA_SIGNED_URL_SECONDS)]
    assert query["X-Amz-Algorithm"] == ["AWS4-HMAC-SHA256"]
    assert query["X-Amz-Signature"][0]
    assert query["response-content-type"] == ["image/png"]
    # The browser may reuse the redirect, but never past the signature's life.
    assert response["Cache-Control"] == f"private, max-age={settings.MEDIA_SIGNED_URL_SECONDS - 15}"
    fetched = follow_signed(response)
    assert fetched.status_code == 200
    upload.seek(0)
    assert fetched.content == upload.read()
    assert fetched.headers["Content-Type"] == "image/png"
    assert fetched.headers["Cache-Control"] == "private, max-age=86400"


def test_the_bucket_and_its_objects_stay_private(s3_media, member):
    create_post(author=member, body="look", images=[image_upload()])
    (key,) = keys(s3_media)

    with pytest.raises(ClientError) as missing:
        s3_media.client.get_bucket_policy(Bucket=s3_media.bucket)
    assert missing.value.response["Error"]["Code"] == "NoSuchBucketPolicy"
    grants = s3_media.client.get_object_acl(Bucket=s3_media.bucket, Key=key)["Grants"]
    assert [grant["Permission"] for grant in grants] == ["FULL_CONTROL"]
    assert all(grant["Grantee"].get("URI") is None for grant in grants)


def test_signed_urls_use_the_public_address_when_browsers_reach_the_store_elsewhere(
    s3_media, member, colleague, settings
):
    """Compose and clusters: the app talks to http://minio:9000, browsers to a public name.
    The signature covers the host, so it is made for the public one."""
    settings.STORAGES["default"]["OPTIONS"]["public_endpoint_url"] = "https://media.example.org"
    settings.STORAGES = {**settings.STORAGES}
    settings.MEDIA_ORIGINS = ["https://media.example.org"]
    post = create_post(author=member, body="look", images=[image_upload()])

    client = browser(colleague)
    response = client.get(post.images.get().get_absolute_url())
    page = client.get(post.get_absolute_url())

    assert response["Location"].startswith(f"https://media.example.org/{s3_media.bucket}/posts/")
    assert (
        "img-src 'self' data: blob: https://media.example.org;" in (page["Content-Security-Policy"])
    )


def test_images_in_groups_and_for_guests_follow_the_access_rules(s3_media, member):
    """The visibility cells: a private group's image, a secret group's, a removed post's; a
    guest of one group, a member, an employee outside."""
    owner = UserFactory(username="otto.owner")
    private = make_group(owner, Group.Kind.PRIVATE, name="Private Pricing", allow_guests=True)
    secret = make_group(owner, Group.Kind.SECRET, name="Secret Merger")
    guest = UserFactory(
        username="gina.guest",
        is_guest=True,
        sponsor=owner,
        guest_expires_on=timezone.localdate() + timedelta(days=30),
    )
    add_member(private, owner, member)
    add_member(secret, owner, member)
    add_member(private, owner, guest)
    images = {
        "company": create_post(author=owner, body="all", images=[image_upload()]),
        "private": create_post(author=owner, body="p", images=[image_upload()], group=private),
        "secret": create_post(author=owner, body="s", images=[image_upload()], group=secret),
    }
    removed = create_post(author=owner, body="gone", images=[image_upload()], group=private)
    remove_post(post=removed, user=owner, reason="Off topic")
    images["removed"] = removed
    outsider = UserFactory(username="olga.outsider")
    expected = {
        member: {"company": 302, "private": 302, "secret": 302, "removed": 404},
        outsider: {"company": 302, "private": 404, "secret": 404, "removed": 404},
        guest: {"company": 404, "private": 302, "secret": 404, "removed": 404},
    }

    for person, cells in expected.items():
        client = browser(person)
        seen = {
            name: client.get(post.images.get().get_absolute_url()).status_code
            for name, post in images.items()
        }
        assert seen == cells, person.username
    anonymous = Client().get(images["company"].images.get().get_absolute_url())
    assert anonymous.status_code == 302
    assert anonymous["Location"].startswith(reverse("login"))


def test_avatars_and_covers_come_from_the_bucket_too_and_replaced_ones_are_deleted(
    s3_media, member_client, member, colleague, django_capture_on_commit_callbacks
):
    edit = reverse("people:edit_profile")
    form = member_client.get(edit).context["form"]
    data = {name: value for name, value in form.initial.items() if value is not None}
    data.pop("avatar", None)
    data["skills"] = ""
    member_client.post(edit, {**data, "avatar": image_upload("one.png")})
    member.refresh_from_db()
    first = member.avatar.name
    with django_capture_on_commit_callbacks(execute=True):
        member_client.post(edit, {**data, "avatar": image_upload("two.png")})
    member.refresh_from_db()

    assert first != member.avatar.name
    assert keys(s3_media) == [member.avatar.name]
    avatar = browser(colleague).get(reverse("people:avatar", args=[member.username]))
    assert follow_signed(avatar).content.startswith(b"\x89PNG")

    member_client.post(
        reverse("groups:create"),
        {"name": "Skunkworks", "kind": "secret", "cover": image_upload("cover.png")},
    )
    group = Group.objects.get(name="Skunkworks")
    assert group.cover.name in keys(s3_media)
    assert follow_signed(member_client.get(reverse("groups:cover", args=[group.slug]))).ok
    assert browser(colleague).get(reverse("groups:cover", args=[group.slug])).status_code == 404


def test_the_settings_build_the_object_store_from_the_environment(monkeypatch):
    """MEDIA_S3_* as an operator sets them (.env.example), read by esn/settings.py."""
    import runpy

    from django.conf import settings as live

    monkeypatch.setenv("MEDIA_S3_BUCKET", "esn-media")
    monkeypatch.setenv("MEDIA_S3_ENDPOINT_URL", "http://minio:9000")
    monkeypatch.setenv("MEDIA_S3_PUBLIC_ENDPOINT_URL", "https://media.localhost/")
    monkeypatch.setenv("MEDIA_S3_ACCESS_KEY_ID", "esn")
    monkeypatch.setenv("MEDIA_S3_SECRET_ACCESS_KEY", "secret")
    values = runpy.run_path(str(live.BASE_DIR / "esn" / "settings.py"))

    default = values["STORAGES"]["default"]
    assert default["BACKEND"] == "esn.storage.MediaStorage"
    assert default["OPTIONS"]["public_endpoint_url"] == "https://media.localhost"
    assert default["OPTIONS"]["addressing_style"] == "path"
    assert default["OPTIONS"]["file_overwrite"] is False
    assert values["MEDIA_ORIGINS"] == ["https://media.localhost"]
    storage = MediaStorage(**default["OPTIONS"])
    url = storage.signed_url("posts/a.png", expire=60, parameters={})
    assert url.startswith("https://media.localhost/esn-media/posts/a.png?")

    monkeypatch.delenv("MEDIA_S3_BUCKET")
    values = runpy.run_path(str(live.BASE_DIR / "esn" / "settings.py"))
    assert values["STORAGES"]["default"]["BACKEND"].endswith("FileSystemStorage")
    assert values["MEDIA_ORIGINS"] == []
