"""The composer and the post editor (issue 12): image descriptions (alt text) stored with
the images and used in posts, images added, removed and described when editing within the
limits that hold when publishing, only by the author, and markdown images from other sites
named instead of dropped silently."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from groups.models import Group
from posts import services
from posts.models import IMAGE_ALT_MAX_LENGTH, Post, PostImage
from tests.factories import UserFactory, image_upload, make_post
from tests.groups.helpers import make_group

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}


def _edit(client, post, **data):
    form = {"body": post.body, **data}
    return client.post(reverse("posts:edit", args=[post.pk]), form)


# --- publishing with descriptions -----------------------------------------------------------


def test_each_image_keeps_the_description_given_for_it(member):
    post = services.create_post(
        author=member,
        body="Offsite",
        images=[image_upload("a.png"), image_upload("b.png")],
        image_alts=["  The team   on the\nbeach ", ""],
    )

    assert [i.alt for i in post.images.all()] == ["The team on the beach", ""]


def test_the_composer_sends_descriptions_in_the_order_of_the_files(member_client, colleague):
    member_client.post(
        reverse("posts:create"),
        {
            "body": "Two pictures",
            "images": [image_upload("first.png"), image_upload("second.png")],
            "image_alt": ["Whiteboard after the retro", "Cake for Carl"],
        },
        **HTMX,
    )

    post = Post.objects.get()
    assert [i.alt for i in post.images.all()] == ["Whiteboard after the retro", "Cake for Carl"]


def test_a_post_shows_the_description_as_alt_and_a_numbered_default_without_one(
    member_client, member
):
    make_post(
        member,
        "Pictures",
        images=[image_upload(), image_upload()],
        image_alts=["A whiteboard full of <notes>"],
    )

    page = member_client.get(reverse("home")).text

    assert 'alt="A whiteboard full of &lt;notes&gt;"' in page
    assert 'alt="Image 2 of the post"' in page
    assert 'alt="Image 1 of the post"' not in page


def test_too_long_a_description_is_refused_stating_the_limit_and_nothing_is_saved(member_client):
    response = member_client.post(
        reverse("posts:create"),
        {
            "body": "look",
            "images": [image_upload()],
            "image_alt": ["x" * (IMAGE_ALT_MAX_LENGTH + 1)],
        },
        **HTMX,
    )

    assert response.status_code == 422
    assert f"at most {IMAGE_ALT_MAX_LENGTH} characters" in response.text
    assert not Post.objects.exists()


def test_a_refused_post_names_the_images_to_choose_again_with_their_descriptions(
    member_client, settings
):
    settings.POST_MAX_LENGTH = 10
    response = member_client.post(
        reverse("posts:create"),
        {
            "body": "far too long for the limit",
            "images": [image_upload("chart.png")],
            "image_alt": ["Sales by month"],
        },
        **HTMX,
    )

    assert response.status_code == 422
    assert "Please choose your images again." in response.text
    assert 'data-chosen-name="chart.png" data-chosen-alt="Sales by month"' in response.text
    assert "far too long for the limit" in response.text


def test_extra_descriptions_without_a_file_are_ignored(member):
    post = services.create_post(
        author=member, body="one", images=[image_upload()], image_alts=["one", "two", "three"]
    )

    assert [i.alt for i in post.images.all()] == ["one"]


# --- markdown images from other sites -------------------------------------------------------


def test_an_external_markdown_image_is_named_in_the_composer_after_publishing(member_client):
    response = member_client.post(
        reverse("posts:create"),
        {"body": "Our numbers ![chart](https://example.com/chart.png)"},
        **HTMX,
    )

    assert response.status_code == 200
    assert "Images from other sites are not shown in posts" in response.text
    assert "chart (https://example.com/chart.png)" in response.text
    assert "<img" not in Post.objects.get().body_html


def test_a_plain_post_says_nothing_about_images(member_client):
    response = member_client.post(reverse("posts:create"), {"body": "Just words"}, **HTMX)

    assert "Images from other sites" not in response.text


def test_the_edit_page_names_external_images_of_the_post(member_client, member):
    post = make_post(member, "See ![map](https://maps.example/x.png)")

    page = member_client.get(reverse("posts:edit", args=[post.pk])).text

    assert "map (https://maps.example/x.png)" in page


# --- editing images -------------------------------------------------------------------------


def test_the_author_describes_removes_and_adds_images_in_one_edit(
    member, member_client, django_capture_on_commit_callbacks
):
    post = make_post(member, "Offsite", images=[image_upload("a.png"), image_upload("b.png")])
    first, second = post.images.all()
    second_file = Path(second.image.path)

    with django_capture_on_commit_callbacks(execute=True):
        response = _edit(
            member_client,
            post,
            **{
                f"alt_{first.pk}": "The whole team",
                f"remove_{second.pk}": "on",
                "images": [image_upload("c.png", size=(12, 12))],
                "image_alt": ["The venue"],
            },
        )

    assert response.status_code == 302
    images = list(post.images.all())
    assert [(i.pk == first.pk, i.alt, i.position) for i in images] == [
        (True, "The whole team", 0),
        (False, "The venue", 1),
    ]
    assert images[1].width == 12
    assert not second_file.exists()
    post.refresh_from_db()
    assert post.edited_at is not None


def test_the_edit_page_shows_each_image_with_its_description_and_a_remove_box(
    member, member_client
):
    post = make_post(member, "Offsite", images=[image_upload()], image_alts=["The beach"])
    image = post.images.get()

    page = member_client.get(reverse("posts:edit", args=[post.pk])).text

    assert f'src="{image.get_absolute_url()}"' in page
    assert f'name="alt_{image.pk}"' in page and 'value="The beach"' in page
    assert f'name="remove_{image.pk}"' in page
    assert 'enctype="multipart/form-data"' in page
    assert "Image description (alt text)" in page


def test_adding_past_the_limit_is_refused_stating_it_and_nothing_changes(
    member, member_client, settings
):
    post = make_post(member, "Three", images=[image_upload() for _ in range(3)])

    response = _edit(member_client, post, body="Changed", images=[image_upload(), image_upload()])

    assert response.status_code == 422
    assert "A post can have at most 4 images; with your changes it would have 5." in response.text
    assert "Please choose your images again." in response.text
    assert "Changed" in response.text  # what was typed stays
    post.refresh_from_db()
    assert post.body == "Three" and post.images.count() == 3


def test_removing_one_makes_room_for_another(member, member_client):
    post = make_post(member, "Four", images=[image_upload() for _ in range(4)])
    last = post.images.last()

    response = _edit(member_client, post, **{f"remove_{last.pk}": "on", "images": [image_upload()]})

    assert response.status_code == 302
    assert post.images.count() == 4
    assert not post.images.filter(pk=last.pk).exists()


def test_a_file_that_is_not_an_image_is_refused_when_editing_too(member, member_client):
    from django.core.files.uploadedfile import SimpleUploadedFile

    post = make_post(member, "Words")
    fake = SimpleUploadedFile("holiday.png", b"not a picture", content_type="image/png")

    response = _edit(member_client, post, images=[fake])

    assert response.status_code == 422
    assert "is not an image we can read" in response.text
    assert not post.images.exists()


def test_an_image_of_another_post_cannot_be_removed_or_described_through_mine(member, colleague):
    mine = make_post(member, "Mine")
    theirs = make_post(colleague, "Theirs", images=[image_upload()], image_alts=["Their photo"])
    image = theirs.images.get()

    services.edit_post(
        post=mine,
        editor=member,
        body="Mine, edited",
        image_alts={image.pk: "hijacked"},
        remove_images=[image.pk],
    )

    image.refresh_from_db()
    assert image.alt == "Their photo"
    assert PostImage.objects.filter(pk=image.pk).exists()


def test_only_the_author_may_change_the_images(member, colleague, client):
    post = make_post(member, "Mine", images=[image_upload()])
    image = post.images.get()

    with pytest.raises(PermissionDenied):
        services.edit_post(post=post, editor=colleague, body="Mine", remove_images=[image.pk])
    client.force_login(colleague)
    response = _edit(client, post, **{f"remove_{image.pk}": "on"})

    assert response.status_code == 403
    assert post.images.count() == 1


def test_a_too_long_description_of_an_existing_image_is_refused(member, member_client):
    post = make_post(member, "Pic", images=[image_upload()])
    image = post.images.get()

    response = _edit(member_client, post, **{f"alt_{image.pk}": "x" * (IMAGE_ALT_MAX_LENGTH + 1)})

    assert response.status_code == 422
    assert f"at most {IMAGE_ALT_MAX_LENGTH} characters" in response.text
    image.refresh_from_db()
    assert image.alt == ""


def test_the_service_refuses_a_too_long_description(member):
    post = make_post(member, "Pic", images=[image_upload()])
    image = post.images.get()

    with pytest.raises(ValidationError, match="at most"):
        services.edit_post(post=post, editor=member, body="Pic", image_alts={image.pk: "y" * 600})


# --- visibility: added images are served like the others ------------------------------------


def test_an_image_added_to_a_private_group_post_is_served_only_to_members(
    member, member_client, client
):
    group = make_group(member, Group.Kind.PRIVATE, name="Partner program")
    post = make_post(member, "Inside", group=group)
    _edit(member_client, post, images=[image_upload()], image_alt=["Signed contract"])
    image = post.images.get()
    outsider = UserFactory(username="otto.outside")
    guest = UserFactory(username="gus.guest", is_guest=True)

    assert image.alt == "Signed contract"
    assert member_client.get(image.get_absolute_url()).status_code == 200
    for person in (outsider, guest):
        client.force_login(person)
        assert client.get(image.get_absolute_url()).status_code == 404


# --- without JavaScript ---------------------------------------------------------------------


def test_without_javascript_the_composer_shows_every_option(member_client, member):
    """Folding is esn.js's doing: the page as served has every field, unfolded."""
    make_group(member, Group.Kind.OPEN, name="Standing desks")

    page = member_client.get(reverse("home")).text

    assert "is-compact" not in page
    for field in ('name="body"', 'name="is_question"', 'name="images"', 'name="group"'):
        assert field in page
    assert "Everyone in the company" in page
