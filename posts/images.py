"""Checking uploaded images: real images (verified by Pillow), of an allowed type and size,
re-encoded without their metadata (camera GPS positions do not belong on an intranet)."""

from __future__ import annotations

import io
import warnings

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile, UploadedFile
from django.utils.translation import gettext as _
from PIL import Image, ImageOps, UnidentifiedImageError

ALLOWED_FORMATS = {
    "JPEG": "image/jpeg",
    "PNG": "image/png",
    "GIF": "image/gif",
    "WEBP": "image/webp",
}
EXTENSIONS = {"JPEG": ".jpg", "PNG": ".png", "GIF": ".gif", "WEBP": ".webp"}


def limits_text() -> str:
    return _("JPEG, PNG, GIF or WebP, at most %(mb)d MB each, up to %(n)d images") % {
        "mb": settings.IMAGE_MAX_BYTES // (1024 * 1024),
        "n": settings.POST_MAX_IMAGES,
    }


def check_image(upload: UploadedFile) -> SimpleUploadedFile:
    """Return a clean re-encoded copy of the upload, or raise ValidationError saying why not."""
    name = upload.name or "image"
    max_mb = settings.IMAGE_MAX_BYTES // (1024 * 1024)
    if upload.size > settings.IMAGE_MAX_BYTES:
        raise ValidationError(
            _("“%(name)s” is %(size).1f MB; images can be at most %(max)d MB.")
            % {"name": name, "size": upload.size / (1024 * 1024), "max": max_mb}
        )
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            upload.seek(0)
            with Image.open(upload) as probe:
                probe.verify()
            upload.seek(0)
            image = Image.open(upload)
            if image.format not in ALLOWED_FORMATS:
                raise ValidationError(
                    _("“%(name)s” is a %(format)s image; allowed are JPEG, PNG, GIF and WebP.")
                    % {"name": name, "format": image.format}
                )
            # An animated image is decoded frame by frame: the cap holds for all of them
            # together (12 frames of 16 megapixels are 192 megapixels of work).
            frames = getattr(image, "n_frames", 1)
            if image.width * image.height * frames > settings.IMAGE_MAX_PIXELS:
                raise Image.DecompressionBombError
            fmt = image.format
            image.load()
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise ValidationError(
            _(
                "“%(name)s” has too many pixels (all its frames together); images can be at "
                "most %(mp)d megapixels."
            )
            % {"name": name, "mp": settings.IMAGE_MAX_PIXELS // 1_000_000}
        ) from None
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError):
        raise ValidationError(
            _("“%(name)s” is not an image we can read. Upload a JPEG, PNG, GIF or WebP file.")
            % {"name": name}
        ) from None
    return _reencode(image, fmt, name)


def _reencode(image: Image.Image, fmt: str, name: str) -> SimpleUploadedFile:
    out = io.BytesIO()
    # Pillow copies a JPEG's or GIF's comment field into the new file unless told otherwise:
    # it goes with the rest of the metadata.
    if fmt == "GIF" and getattr(image, "is_animated", False):
        image.save(out, format="GIF", save_all=True, comment=b"")
    else:
        image = ImageOps.exif_transpose(image)
        if fmt == "JPEG" and image.mode not in ("RGB", "L"):
            image = image.convert("RGB")
        options = {"JPEG": {"quality": 88, "comment": b""}, "GIF": {"comment": b""}}
        image.save(out, format=fmt, **options.get(fmt, {}))
    stem = name.rsplit(".", 1)[0][:80] or "image"
    return SimpleUploadedFile(
        f"{stem}{EXTENSIONS[fmt]}", out.getvalue(), content_type=ALLOWED_FORMATS[fmt]
    )
