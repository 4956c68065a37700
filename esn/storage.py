"""Where uploaded images live, and how a browser gets one after the access check.

Local disk (MEDIA_ROOT) on one machine; an S3-compatible object store (MEDIA_S3_BUCKET: AWS
S3, MinIO, Ceph, Garage...) when several web processes on different machines must see the same
files. Either way no image has a public address: the views that serve them (a post's image, an
avatar, a group's cover) check who is asking first, then either stream the file from disk or
answer with a redirect to a URL the store signed for a minute. The bucket stays private.
"""

from __future__ import annotations

import threading
from typing import Any

from django.conf import settings
from django.db.models.fields.files import FieldFile
from django.http import FileResponse, HttpResponseRedirect
from django.http.response import HttpResponseBase
from storages.backends.s3 import S3Storage


class MediaStorage(S3Storage):
    """django-storages' S3 backend, signing browser URLs for `public_endpoint_url`.

    Inside a compose network or a cluster the app reaches the store at one address
    (http://minio:9000) while browsers reach it at another (https://media.example.org). A
    signature covers the host, so URLs for browsers are signed with a client made for the
    public address; presigning needs no request to the store."""

    def __init__(self, *, public_endpoint_url: str = "", **options: Any) -> None:
        super().__init__(**options)
        self.public_endpoint_url = public_endpoint_url.rstrip("/")
        self._public_client: Any = None
        self._public_client_lock = threading.Lock()

    def _signing_client(self) -> Any:
        if not self.public_endpoint_url:
            return self.connection.meta.client
        # boto3 clients are thread-safe once made; making one is not cheap (~20 ms), so one
        # per process, made on first use.
        with self._public_client_lock:
            if self._public_client is None:
                session = self._create_session()
                self._public_client = session.client(
                    "s3",
                    region_name=self.region_name,
                    endpoint_url=self.public_endpoint_url,
                    config=self.client_config,
                    verify=self.verify,
                )
            return self._public_client

    def signed_url(self, name: str, *, expire: int, parameters: dict[str, str]) -> str:
        params = {**parameters, "Bucket": self.bucket_name, "Key": self._normalize_name(name)}
        return self._signing_client().generate_presigned_url(
            "get_object", Params=params, ExpiresIn=expire
        )


def serve_media(
    file: FieldFile, *, max_age: int, content_type: str | None = None
) -> HttpResponseBase:
    """The response for an image the caller has already decided this person may see.

    From the object store: a 302 to a URL signed for MEDIA_SIGNED_URL_SECONDS. The redirect
    itself may be reused by the browser for most of that time (so a page showing the same
    avatar ten times follows one redirect), never past the signature; the image behind it is
    cached privately as long as a streamed one would be."""
    storage = file.storage
    if isinstance(storage, MediaStorage):
        expire = settings.MEDIA_SIGNED_URL_SECONDS
        parameters = {"ResponseCacheControl": f"private, max-age={max_age}"}
        if content_type:
            parameters["ResponseContentType"] = content_type
        redirect = HttpResponseRedirect(
            storage.signed_url(str(file.name), expire=expire, parameters=parameters)
        )
        redirect["Cache-Control"] = f"private, max-age={max(expire - 15, 0)}"
        return redirect
    response = FileResponse(file.open("rb"), content_type=content_type)
    response["Cache-Control"] = f"private, max-age={max_age}"
    response["X-Content-Type-Options"] = "nosniff"
    return response
