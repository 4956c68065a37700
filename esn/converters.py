"""URL path converters shared by the apps' urls.py.

`<segment:name>` is Django's `<str:name>` (one path segment) without the NUL character:
PostgreSQL text cannot hold it, so a slug, username or token containing one matches nothing
and its URL is a 404 at resolution, before any lookup could fail on it."""

from __future__ import annotations

from django.urls import register_converter
from django.urls.converters import StringConverter


class SegmentConverter(StringConverter):
    regex = "[^/\x00]+"


register_converter(SegmentConverter, "segment")
