from __future__ import annotations

import logging
import shutil
from pathlib import Path

import pytest
from django.core.cache import cache

from analytics.models import AnalyticsSettings
from digests import services as inbox_services
from people.models import LanguageSettings
from tests.factories import DepartmentFactory, LocationFactory, UserFactory


@pytest.fixture(autouse=True, scope="session")
def _visits_of_this_run_only():
    """Active-people counters (analytics.visits) under a prefix of this test run's own. Redis
    outlives a run: keys an earlier run left for the same days (the servers the production-path
    tests start count their visits too) must not show up in this run's figures."""
    import uuid

    from analytics import visits

    saved = visits.KEY_PREFIX
    visits.KEY_PREFIX = f"{saved}test-{uuid.uuid4().hex[:8]}:"
    yield
    visits.KEY_PREFIX = saved


@pytest.fixture(autouse=True)
def _media_and_cache(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    # Tests run over plain http with the production-safe defaults otherwise.
    settings.SECURE_SSL_REDIRECT = False
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    # Real password hashing is deliberately slow; tests create hundreds of accounts.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    cache.clear()
    # The site's language, as a running site has it cached (people.models.LanguageSettings):
    # pages and digests read it on every request, and count no query for it.
    cache.set(LanguageSettings.CACHE_KEY, LanguageSettings(pk=1), 300)
    # Likewise the smallest group size of community-health figures (hashtag pages read it).
    cache.set(AnalyticsSettings.CACHE_KEY, AnalyticsSettings(pk=1), 300)


@pytest.fixture
def test_catalogs(settings, tmp_path):
    """A few of our messages translated for tests only (tests/i18n_fixtures), compiled, as the
    site's only catalogs: tests of "this reads in Dutch" do not depend on the real catalogs
    translators change. Changing LOCALE_PATHS empties Django's translation caches
    (django.test.signals), here and again when the settings fixture puts it back."""
    from tools.compile_messages import compile_catalog

    locale = tmp_path / "locale"
    shutil.copytree(Path(__file__).resolve().parent / "i18n_fixtures" / "locale", locale)
    for po in locale.glob("*/LC_MESSAGES/django.po"):
        compile_catalog(po)
    settings.LOCALE_PATHS = [locale]
    return locale


@pytest.fixture(scope="session")
def plain_http_live_server(request):
    """The session's live server, started over plain HTTP. Ask for this instead of
    `live_server` (the browser journeys do, through tests/e2e/conftest.py).

    SecurityMiddleware reads SECURE_SSL_REDIRECT once, when the server builds its handler, so a
    function-scoped `settings` override comes too late: without this every request would be
    redirected to https. The setting is flipped on the base settings object only while the
    server starts, then put back, so nothing leaks into the rest of the suite."""
    from django.conf import settings

    base = settings._wrapped
    saved = base.SECURE_SSL_REDIRECT
    base.SECURE_SSL_REDIRECT = False
    try:
        return request.getfixturevalue("live_server")
    finally:
        base.SECURE_SSL_REDIRECT = saved


@pytest.fixture(scope="session")
def collected_static(tmp_path_factory):
    """Static files collected as the production image has them (tests/servers.py)."""
    from tests.servers import collect_static

    return collect_static(tmp_path_factory.mktemp("static"))


@pytest.fixture(scope="session")
def s3_server():
    """A real S3-compatible server over HTTP on a free port (moto in server mode, in a thread
    of this process): what object-storage tests talk to instead of a mocked client."""
    import socket

    from moto.server import ThreadedMotoServer

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    # Its request lines would fill every failing test's captured log.
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    yield f"http://127.0.0.1:{port}"
    server.stop()


@pytest.fixture
def s3_media(settings, s3_server):
    """Media on the S3 server, in a bucket of this test's own, as MEDIA_S3_* configure it
    (esn/settings.py). Returns the settings' values and a client to look into the bucket."""
    import uuid
    from types import SimpleNamespace

    import boto3

    bucket = f"esn-{uuid.uuid4().hex[:12]}"
    credentials = {"aws_access_key_id": "test-key", "aws_secret_access_key": "test-secret"}
    client = boto3.client("s3", endpoint_url=s3_server, region_name="us-east-1", **credentials)
    client.create_bucket(Bucket=bucket)
    settings.MEDIA_S3_BUCKET = bucket
    settings.MEDIA_ORIGINS = [s3_server]
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "esn.storage.MediaStorage",
            "OPTIONS": {
                "bucket_name": bucket,
                "endpoint_url": s3_server,
                "region_name": "us-east-1",
                "access_key": credentials["aws_access_key_id"],
                "secret_key": credentials["aws_secret_access_key"],
                "addressing_style": "path",
                "signature_version": "s3v4",
                "querystring_expire": settings.MEDIA_SIGNED_URL_SECONDS,
                "file_overwrite": False,
            },
        },
    }
    env = {
        "MEDIA_S3_BUCKET": bucket,
        "MEDIA_S3_ENDPOINT_URL": s3_server,
        "MEDIA_S3_REGION": "us-east-1",
        "MEDIA_S3_ACCESS_KEY_ID": credentials["aws_access_key_id"],
        "MEDIA_S3_SECRET_ACCESS_KEY": credentials["aws_secret_access_key"],
    }
    return SimpleNamespace(endpoint=s3_server, bucket=bucket, client=client, env=env)


@pytest.fixture(autouse=True)
def _inbox_events_delivered_in_process(monkeypatch):
    """A recorded inbox event is delivered right after the commit by the same function a
    worker runs (`deliver_event`), in this process instead of through Redis: tests see the
    inbox as people see it a moment later. tests/digests/test_inbox_events.py delivers them
    through a real worker, with the broker up and down."""
    monkeypatch.setattr(inbox_services, "hand_to_worker", inbox_services.deliver_event)


@pytest.fixture
def member(db):
    """An ordinary employee: the viewer in most tests."""
    return UserFactory(
        username="mia.member",
        first_name="Mia",
        last_name="Member",
        department=DepartmentFactory(name="Sales"),
        location=LocationFactory(name="Utrecht"),
    )


@pytest.fixture
def colleague(db):
    return UserFactory(
        username="carl.colleague",
        first_name="Carl",
        last_name="Colleague",
        department=DepartmentFactory(name="Engineering"),
    )


@pytest.fixture
def outsider(db):
    """An employee who follows nothing and no one."""
    return UserFactory(username="olga.outsider", first_name="Olga", last_name="Outsider")


@pytest.fixture
def admin(db):
    return UserFactory(username="ada.admin", is_staff=True, is_superuser=True)


@pytest.fixture
def member_client(client, member):
    client.force_login(member)
    return client
