"""Bad input gets a clear message, a 4xx, and loses nothing (ARCHITECTURE.md rule 7,
RELIABILITY.md "Bad input every form and endpoint must survive")."""

from __future__ import annotations

import base64
import io
from html.parser import HTMLParser

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from django.utils.html import escape
from PIL import Image

from hashtags.models import Hashtag
from posts.models import Post, PostImage
from tests.factories import image_upload, make_post

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}
MB = 1024 * 1024


def _publish(client, body="", images=(), **extra):
    data = {"body": body}
    if images:
        data["images"] = list(images)
    return client.post(reverse("posts:create"), data, **extra)


def _media_files(settings) -> list:
    root = settings.MEDIA_ROOT
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


# --- text ----------------------------------------------------------------------------------


@pytest.mark.parametrize("body", ["", "   ", "\n\t \n"], ids=["empty", "spaces", "whitespace"])
@pytest.mark.parametrize("htmx", [False, True], ids=["plain", "htmx"])
def test_empty_or_blank_post_is_refused_with_a_message_and_nothing_saved(member_client, body, htmx):
    response = _publish(member_client, body, **(HTMX if htmx else {}))

    assert response.status_code == 422
    assert "Write something before publishing your post." in response.text
    assert not Post.objects.exists()


def test_post_exactly_at_the_length_limit_is_published(member_client, settings):
    body = "x" * settings.POST_MAX_LENGTH

    response = _publish(member_client, body)

    assert response.status_code == 302
    assert Post.objects.get().body == body


@pytest.mark.parametrize("htmx", [False, True], ids=["plain", "htmx"])
def test_post_one_past_the_limit_states_the_limit_and_keeps_the_typed_text(
    member_client, settings, htmx
):
    typed = 'Plans for <Q3> & "beyond" ' + "y" * settings.POST_MAX_LENGTH
    typed = typed[: settings.POST_MAX_LENGTH + 1]

    response = _publish(member_client, typed, **(HTMX if htmx else {}))

    assert response.status_code == 422
    assert f"the limit is {settings.POST_MAX_LENGTH}" in response.text
    assert f"{settings.POST_MAX_LENGTH + 1} characters long" in response.text
    assert escape(typed) in response.text  # back in the textarea, escaped
    assert "<Q3>" not in response.text
    assert not Post.objects.exists()


def test_hashtag_longer_than_the_limit_is_refused_stating_the_limit(member_client, settings):
    limit = settings.HASHTAG_MAX_LENGTH

    too_long = _publish(member_client, "about #" + "a" * (limit + 1))
    at_limit = _publish(member_client, "about #" + "b" * limit)

    assert too_long.status_code == 422
    assert f"Hashtags can be at most {limit} characters" in too_long.text
    assert at_limit.status_code == 302
    assert list(Hashtag.objects.values_list("slug", flat=True)) == ["b" * limit]


def test_too_many_mentions_are_refused_stating_the_limit(member_client, settings):
    body = " ".join(f"@person{i}" for i in range(settings.MENTIONS_MAX_PER_POST + 1))

    response = _publish(member_client, body)

    assert response.status_code == 422
    assert f"at most {settings.MENTIONS_MAX_PER_POST} people" in response.text
    assert not Post.objects.exists()


# --- images --------------------------------------------------------------------------------


def _refused_upload(member_client, settings, upload, body="my caption stays"):
    response = _publish(member_client, body, [upload])
    assert response.status_code == 422
    assert body in response.text
    assert "Please choose your images again." in response.text
    assert not Post.objects.exists()
    assert not PostImage.objects.exists()
    assert _media_files(settings) == []
    return response


def test_thirty_megabyte_upload_is_refused_stating_the_size_limit(member_client, settings):
    # A real PNG padded to 30 MB: only its size is wrong.
    png = image_upload().read()
    huge = SimpleUploadedFile("huge.png", png + b"\0" * (30 * MB - len(png)), "image/png")

    response = _refused_upload(member_client, settings, huge)

    assert f"images can be at most {settings.IMAGE_MAX_BYTES // MB} MB" in response.text
    assert "huge.png" in response.text


def test_file_that_is_not_an_image_but_named_png_is_refused(member_client, settings):
    fake = SimpleUploadedFile("report.png", b"%PDF-1.7 definitely not a picture" * 50, "image/png")

    response = _refused_upload(member_client, settings, fake)

    assert "is not an image we can read" in response.text
    assert "JPEG, PNG, GIF or WebP" in response.text


def test_decompression_bomb_is_refused_stating_the_pixel_limit(member_client, settings):
    buffer = io.BytesIO()
    Image.new("1", (10_000, 10_000)).save(buffer, format="PNG")  # 100 megapixels, ~12 kB
    bomb = SimpleUploadedFile("bomb.png", buffer.getvalue(), "image/png")

    response = _refused_upload(member_client, settings, bomb)

    assert "too many pixels" in response.text
    assert f"at most {settings.IMAGE_MAX_PIXELS // 1_000_000} megapixels" in response.text


def test_image_type_we_do_not_accept_is_refused_naming_the_allowed_ones(member_client, settings):
    bmp = image_upload("scan.bmp", fmt="BMP")

    response = _refused_upload(member_client, settings, bmp)

    assert "allowed are JPEG, PNG, GIF and WebP" in response.text


def test_five_images_are_refused_stating_the_maximum_of_four(member_client, settings):
    images = [image_upload(f"p{i}.png") for i in range(5)]

    response = _publish(member_client, "holiday", images)

    assert response.status_code == 422
    assert f"at most {settings.POST_MAX_IMAGES} images; you chose 5" in response.text
    assert "holiday" in response.text
    assert not Post.objects.exists()


def test_four_images_are_fine(member_client):
    response = _publish(member_client, "holiday", [image_upload(f"p{i}.png") for i in range(4)])

    assert response.status_code == 302
    assert Post.objects.get().images.count() == 4


def test_uploaded_photo_is_stored_reencoded_without_its_exif(member_client):
    exif = Image.Exif()
    exif[0x010F] = "SpyCam Inc"  # camera make
    exif[0x0112] = 6  # orientation: rotated 90°
    gps = exif.get_ifd(0x8825)
    gps[1], gps[2] = "N", (52.0, 5.0, 30.0)
    upload = image_upload("holiday.jpg", size=(40, 30), fmt="JPEG", exif=exif)
    assert b"SpyCam" in upload.read()
    upload.seek(0)

    _publish(member_client, "sunny", [upload])

    stored = PostImage.objects.get()
    data = stored.image.read()
    assert b"SpyCam" not in data
    with Image.open(io.BytesIO(data)) as image:
        assert dict(image.getexif()) == {}
        assert image.size == (30, 40)  # the orientation was applied before it was dropped
    assert (stored.width, stored.height) == (30, 40)
    assert stored.content_type == "image/jpeg"


# --- addresses -----------------------------------------------------------------------------


def test_unknown_hashtag_page_is_our_404(member_client):
    response = member_client.get(reverse("hashtags:detail", args=["never_used_anywhere"]))

    assert response.status_code == 404
    assert "We can’t find that page" in response.text


def test_unknown_profile_page_is_our_404(member_client):
    response = member_client.get(reverse("people:profile", args=["nobody.at.all"]))

    assert response.status_code == 404
    assert "We can’t find that page" in response.text


@pytest.mark.parametrize(
    "name",
    ["posts:detail", "posts:edit", "posts:delete"],
)
def test_post_that_does_not_exist_is_404(member_client, name):
    assert member_client.get(reverse(name, args=[987654])).status_code == 404


def test_liking_or_commenting_on_a_post_that_does_not_exist_is_404(member_client):
    like = member_client.post(reverse("posts:like", args=[987654]))
    comment = member_client.post(reverse("posts:comment", args=[987654]), {"body": "hi"})

    assert like.status_code == 404
    assert comment.status_code == 404


def test_form_posted_without_csrf_token_gets_our_friendly_403(member):
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(member)

    response = browser.post(reverse("posts:create"), {"body": "forged"})

    assert response.status_code == 403
    assert "This form has expired" in response.text
    assert not Post.objects.exists()


def _b64(raw: str) -> str:
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


BROKEN_CURSORS = {
    "garbage": "not-a-cursor!!",
    "bad-base64": "%%%",
    "no-date": _b64("yesterday|12"),
    "naive-date": _b64("2024-01-01T10:00:00|12"),
    "no-id": _b64("2024-01-01T10:00:00+00:00|"),
    "not-utf8": base64.urlsafe_b64encode(b"\xff\xfe\xfd").decode(),
}


@pytest.mark.parametrize("cursor", BROKEN_CURSORS.values(), ids=BROKEN_CURSORS.keys())
@pytest.mark.parametrize("page", ["home", "all", "profile", "hashtag"])
def test_broken_load_more_cursor_is_a_400_not_a_500(member_client, member, cursor, page):
    make_post(member, "tagged #cursors")
    url = {
        "home": reverse("home"),
        "all": reverse("all"),
        "profile": reverse("people:profile", args=[member.username]),
        "hashtag": reverse("hashtags:detail", args=["cursors"]),
    }[page]

    response = member_client.get(url, {"cursor": cursor})

    assert response.status_code == 400
    assert "Something in that request was wrong" in response.text
    assert "That page link is broken or out of date." in response.text


@pytest.mark.parametrize("page", ["home", "all"])
def test_cursor_with_an_absurd_id_does_not_crash(member_client, member, page):
    make_post(member, "still here")
    cursor = _b64(f"2999-01-01T00:00:00+00:00|{10**30}")

    response = member_client.get(reverse(page), {"cursor": cursor})

    assert response.status_code in (200, 400)


# --- markdown XSS --------------------------------------------------------------------------


class _ExecutableHtmlFinder(HTMLParser):
    """Collects anything in a page a browser could execute: inline or foreign scripts,
    event-handler attributes, script-capable elements and javascript:/data: URLs.
    HTMLParser decodes entities in attributes, so java&#x73;cript: is seen as javascript:."""

    URL_ATTRS = {"href", "src", "action", "formaction", "xlink:href", "srcdoc", "data", "poster"}
    DANGEROUS_TAGS = {"svg", "math", "iframe", "object", "embed", "base", "frame", "img"}

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.found: list[str] = []
        self._in_script = False

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "script":
            self._in_script = True
            if not (attrs.get("src") or "").startswith("/static/"):
                self.found.append(f"<script {attrs}>")
        if tag in self.DANGEROUS_TAGS and not (
            tag == "img" and (attrs.get("src") or "").startswith("/")
        ):
            self.found.append(f"<{tag} {attrs}>")
        for name, value in attrs.items():
            if name.startswith("on"):
                self.found.append(f"<{tag} {name}=…>")
            if name in self.URL_ATTRS and value:
                scheme = "".join(ch for ch in value if ch.isprintable() and not ch.isspace())
                if scheme.lower().startswith(("javascript:", "vbscript:", "data:")):
                    self.found.append(f"<{tag} {name}={value!r}>")

    def handle_endtag(self, tag):
        if tag == "script":
            self._in_script = False

    def handle_data(self, data):
        if self._in_script and data.strip():
            self.found.append(f"inline script {data[:40]!r}")


def executable_html(html: str) -> list[str]:
    finder = _ExecutableHtmlFinder()
    finder.feed(html)
    finder.close()
    return finder.found


def test_the_xss_finder_itself_catches_what_it_should():
    assert executable_html('<a href="java&#x73;cript:alert(1)">x</a>')
    assert executable_html("<img src=x onerror=alert(1)>")
    assert executable_html("<script>alert(1)</script>")
    assert executable_html('<a href="data:text/html,hi">x</a>')
    assert not executable_html('<p><a href="https://ok.example/">ok</a></p>')


XSS_PAYLOADS = {
    "script-tag": "<script>alert('xss-1')</script>",
    "nested-script": "<<script>script>alert('xss-2')<</script>/script>",
    "img-onerror": "<img src=x onerror=alert('xss-3')>",
    "svg-onload": "<svg onload=alert('xss-4')><circle r=1></svg>",
    "iframe": "<iframe src=\"javascript:alert('xss-5')\"></iframe>",
    "md-javascript-link": "[click me](javascript:alert('xss-6'))",
    "md-mixed-case-link": "[click me](JaVaScRiPt:alert('xss-7'))",
    "md-entity-encoded-link": "[click me](java&#x73;cript:alert('xss-8'))",
    "md-entity-colon-link": "[click me](javascript&#58;alert('xss-9'))",
    "html-javascript-link": "<a href=\"javascript:alert('xss-10')\">click me</a>",
    "md-data-link": "[click me](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
    "md-data-image": "![pic](data:image/svg+xml;base64,PHN2ZyBvbmxvYWQ9YWxlcnQoMSk+)",
    "autolink-javascript": "<javascript:alert('xss-11')>",
    "md-link-title-breakout": '[x](https://ok.example "a" onmouseover="alert(12)")',
    "mutation-xss": "<math><mtext><table><mglyph><style><img src=x onerror=alert('xss-13')>",
    "style-url": "<div style=\"background:url(javascript:alert('xss-14'))\">styled</div>",
    "hashtag-breakout": "#tag\"><script>alert('xss-15')</script>",
    "mention-breakout": '@mia.member"onmouseover="alert(16)',
}


@pytest.mark.parametrize("payload", XSS_PAYLOADS.values(), ids=XSS_PAYLOADS.keys())
def test_markdown_xss_payload_never_becomes_executable_html(member_client, member, payload):
    _publish(member_client, f"before {payload} after")

    post = Post.objects.get()
    assert executable_html(post.body_html) == []
    for url in (post.get_absolute_url(), reverse("all"), reverse("home")):
        page = member_client.get(url)
        assert page.status_code == 200
        assert f'id="post-{post.pk}"' in page.text
        assert executable_html(page.text) == [], url


def test_safe_links_survive_sanitising(member_client):
    _publish(
        member_client, "see [docs](https://docs.example/a?b=1) or mail <mailto:hr@example.com>"
    )

    html = Post.objects.get().body_html
    assert 'href="https://docs.example/a?b=1"' in html
    assert 'rel="nofollow noopener"' in html


def test_an_animated_gif_counts_the_pixels_of_all_its_frames(settings):
    """12 frames of 4 megapixels are 48 megapixels of work: over a 40 MP cap, though each
    frame alone is under it."""
    from PIL import Image as PILImage

    from posts.images import check_image

    settings.IMAGE_MAX_PIXELS = 40_000_000
    frames = [PILImage.new("P", (2000, 2000), n) for n in range(12)]
    data = io.BytesIO()
    frames[0].save(data, format="GIF", save_all=True, append_images=frames[1:], duration=100)
    upload = SimpleUploadedFile("anim.gif", data.getvalue(), content_type="image/gif")
    with pytest.raises(ValidationError, match="all its frames together"):
        check_image(upload)
    # The same frames, fewer of them, pass.
    small = io.BytesIO()
    frames[0].save(small, format="GIF", save_all=True, append_images=frames[1:3], duration=100)
    check_image(SimpleUploadedFile("ok.gif", small.getvalue(), content_type="image/gif"))


@pytest.mark.parametrize("fmt", ["JPEG", "GIF"])
def test_comment_fields_are_stripped_with_the_rest_of_the_metadata(fmt):
    from PIL import Image as PILImage

    from posts.images import check_image

    image = PILImage.new("RGB" if fmt == "JPEG" else "P", (40, 30))
    data = io.BytesIO()
    image.save(data, format=fmt, comment=b"HOME-ADDRESS 52.37N 4.89E")
    clean = check_image(SimpleUploadedFile(f"x.{fmt.lower()}", data.getvalue()))
    assert b"HOME-ADDRESS" not in clean.read()
