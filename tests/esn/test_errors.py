"""Optional error tracking (esn/errors.py): off by default; with SENTRY_DSN set, an error in a
view reaches the Sentry endpoint (a real HTTP server in this test playing Sentry's ingest)
without cookies, session, Authorization header or request body."""

from __future__ import annotations

import gzip
import json
import os
import subprocess
import sys
import threading
import zlib
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
import sentry_sdk
from django.conf import settings as django_settings
from django.test import Client, RequestFactory
from django.urls import include, path
from django.views.decorators.csrf import csrf_exempt

from esn.errors import init_error_tracking, scrub_event

SESSION_COOKIE = django_settings.SESSION_COOKIE_NAME
AUTHORIZATION = "Bearer AUTH-MARKER-5f1c"
BODY = "BODY-MARKER-93ab"
OTHER_COOKIE = "COOKIE-MARKER-77de"


class SentryProbeError(Exception):
    """Raised by the test view: a name nothing else in an event would contain."""


@csrf_exempt  # posted straight to the WSGI handler, with no form to carry a token
def boom(request):
    raise SentryProbeError("the view broke on purpose")


# The site's own URLs plus one view that fails (pytest.mark.urls below).
urlpatterns = [path("boom/", boom), path("", include("esn.urls"))]


class Ingest:
    """A tiny Sentry ingest endpoint: keeps every envelope it is sent, decompressed."""

    def __init__(self) -> None:
        self.envelopes: list[str] = []
        self.received = threading.Event()
        ingest = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - http.server's name
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                encoding = self.headers.get("Content-Encoding", "")
                if encoding == "gzip":
                    body = gzip.decompress(body)
                elif encoding == "deflate":
                    body = zlib.decompress(body)
                elif encoding == "br":
                    import brotli

                    body = brotli.decompress(body)
                ingest.envelopes.append(body.decode("utf-8", "replace"))
                ingest.received.set()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.end_headers()
                self.wfile.write(b"{}")

            def log_message(self, *args) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.dsn = f"http://public@127.0.0.1:{self.server.server_address[1]}/1"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def events(self) -> list[dict]:
        """The error events among the envelopes' items (an envelope is JSON lines: its
        header, then a header and a payload per item)."""
        found = []
        for envelope in self.envelopes:
            lines = envelope.split("\n")
            for header, payload in zip(lines[1::2], lines[2::2], strict=False):
                if json.loads(header).get("type") == "event":
                    found.append(json.loads(payload))
        return found


@pytest.fixture
def ingest() -> Iterator[Ingest]:
    server = Ingest()
    server.thread.start()
    yield server
    server.server.shutdown()
    server.server.server_close()


@pytest.fixture
def sentry_off_afterwards() -> Iterator[None]:
    """Whatever a test starts, the rest of the suite runs without a Sentry client."""
    assert not sentry_sdk.get_client().is_active()
    yield
    sentry_sdk.get_client().close(timeout=2)
    sentry_sdk.get_global_scope().set_client(None)
    assert not sentry_sdk.get_client().is_active()


def test_without_a_dsn_nothing_is_started(sentry_off_afterwards):
    assert django_settings.SENTRY_DSN == ""
    assert init_error_tracking(dsn="") is False
    assert not sentry_sdk.get_client().is_active()


def serve_through_wsgi(environ: dict) -> int:
    """The request as gunicorn hands it to the site (esn.wsgi's WSGIHandler, which Sentry's
    Django integration wraps to describe the request), in this thread and test transaction.
    As Django's test client does, the database connection is not closed around it."""
    from django.core.handlers.wsgi import WSGIHandler
    from django.core.signals import request_finished, request_started
    from django.db import close_old_connections

    statuses = []

    def start_response(status: str, headers: list, exc_info: Any = None) -> Callable:
        statuses.append(status)
        return lambda data: None

    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        body = WSGIHandler()(environ, start_response)
        b"".join(body)
        body.close()
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)
    return int(statuses[0].split()[0])


@pytest.mark.django_db
@pytest.mark.urls(__name__)
def test_an_error_in_a_view_reaches_sentry_without_cookies_credentials_or_body(
    ingest, sentry_off_afterwards, member
):
    assert init_error_tracking(
        dsn=ingest.dsn, environment="testing", release="esn@test", traces_sample_rate=0.0
    )
    signed_in = Client()
    signed_in.force_login(member)
    session_key = signed_in.cookies[SESSION_COOKIE].value
    environ = (
        RequestFactory()
        .post(
            "/boom/?page=2",
            {"note": BODY},
            HTTP_AUTHORIZATION=AUTHORIZATION,
            HTTP_COOKIE=f"{SESSION_COOKIE}={session_key}; tracking={OTHER_COOKIE}",
        )
        .environ
    )

    status = serve_through_wsgi(environ)
    sentry_sdk.flush(timeout=10)

    assert status == 500
    assert ingest.received.wait(timeout=10)
    [event] = [e for e in ingest.events() if "exception" in e]
    [exception] = event["exception"]["values"]
    assert exception["type"] == "SentryProbeError"
    assert event["environment"] == "testing"
    assert event["release"] == "esn@test"
    request = event["request"]
    assert request["url"].endswith("/boom/")
    assert request["method"] == "POST"
    assert request["query_string"] == "page=2"
    assert "cookies" not in request and "data" not in request
    headers = {name.lower() for name in request["headers"]}
    assert "user-agent" in headers or "content-type" in headers
    assert not headers & {"cookie", "authorization"}
    assert not event.get("user", {}).get("username")
    everything = "\n".join(ingest.envelopes)
    for secret in (session_key, OTHER_COOKIE, "AUTH-MARKER-5f1c", BODY, member.username):
        assert secret not in everything, secret


def test_scrub_event_drops_what_carries_secrets_and_keeps_the_rest():
    event: Any = {
        "request": {
            "url": "https://esn.example.com/boom/",
            "cookies": {"sessionid": "abc"},
            "data": {"note": "private"},
            "headers": {
                "Cookie": "sessionid=abc",
                "Authorization": "Bearer x",
                "X-CSRFToken": "t",
                "User-Agent": "Firefox",
            },
        },
        "exception": {"values": [{"type": "ValueError"}]},
    }

    scrubbed = scrub_event(event, {})

    assert scrubbed["request"] == {
        "url": "https://esn.example.com/boom/",
        "headers": {"User-Agent": "Firefox"},
    }
    assert scrubbed["exception"] == {"values": [{"type": "ValueError"}]}
    assert scrub_event({"message": "no request"}, {}) == {"message": "no request"}


def _settings_process(code: str, **env: str) -> subprocess.CompletedProcess[str]:
    """A fresh Python loading esn/settings.py with these variables, as every process does."""
    full_env = {**os.environ, "DJANGO_SETTINGS_MODULE": "esn.settings", **env}
    return subprocess.run(  # noqa: S603 - our own interpreter, fixed code
        [sys.executable, "-c", code],
        cwd=django_settings.BASE_DIR,
        env=full_env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_sentry_dsn_in_the_environment_starts_reporting_from_the_settings(ingest):
    result = _settings_process(
        "import django, sentry_sdk; django.setup(); "
        "sentry_sdk.capture_message('hello from settings'); sentry_sdk.flush(timeout=10)",
        SENTRY_DSN=ingest.dsn,
        SENTRY_ENVIRONMENT="staging",
        SENTRY_RELEASE="esn@42",
    )

    assert result.returncode == 0, result.stderr
    assert ingest.received.wait(timeout=10)
    [event] = [e for e in ingest.events() if e.get("message") == "hello from settings"]
    assert (event["environment"], event["release"]) == ("staging", "esn@42")


@pytest.mark.parametrize("rate", ["often", "1.5", "-0.1"])
def test_a_bad_traces_sample_rate_stops_the_start_with_a_clear_message(rate):
    result = _settings_process("import django; django.setup()", SENTRY_TRACES_SAMPLE_RATE=rate)

    assert result.returncode != 0
    assert "SENTRY_TRACES_SAMPLE_RATE must be a number from 0 to 1" in result.stderr
