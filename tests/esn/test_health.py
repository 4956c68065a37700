from __future__ import annotations

import os
import socket

import pytest
from django.db import OperationalError
from django.urls import reverse

pytestmark = pytest.mark.django_db


def _closed_port() -> int:
    """A local port nothing listens on (the OS just handed it out and we let it go)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_healthz_is_ok_with_the_real_database_and_redis(client, settings):
    assert os.environ["REDIS_URL"] == settings.CELERY_BROKER_URL

    response = client.get(reverse("healthz"))

    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok", "broker": "ok"}
    assert "no-cache" in response["Cache-Control"]


def test_healthz_reports_the_broker_down_with_503(client, settings):
    settings.CELERY_BROKER_URL = f"redis://127.0.0.1:{_closed_port()}/0"

    response = client.get(reverse("healthz"))

    assert response.status_code == 503
    assert response.json() == {"status": "degraded", "database": "ok", "broker": "down"}


class _UnreachableDatabase:
    def cursor(self):
        raise OperationalError("connection refused")


def test_healthz_reports_the_database_down_with_503_not_500(client, monkeypatch):
    monkeypatch.setattr("esn.views.connection", _UnreachableDatabase())

    response = client.get(reverse("healthz"))

    assert response.status_code == 503
    assert response.json()["database"] == "down"


def test_healthz_needs_no_sign_in_and_tells_nothing_else(client):
    response = client.get(reverse("healthz"))

    assert response.status_code == 200
    assert set(response.json()) == {"status", "database", "broker"}


def test_healthz_answers_probes_by_ip_over_plain_http(client, settings):
    """Load balancers probe http://<pod-ip>/healthz: no HTTPS redirect, no 400 for the host."""
    settings.ALLOWED_HOSTS = ["esn.example.com"]
    settings.SECURE_SSL_REDIRECT = True

    response = client.get("/healthz", HTTP_HOST="10.1.2.3:8000")

    assert response.status_code == 200
    assert response.json()["database"] == "ok"
    # Everything else still gets host validation and the redirect.
    assert client.get("/", HTTP_HOST="esn.example.com").status_code == 301
    assert client.get("/", HTTP_HOST="10.1.2.3:8000").status_code == 400
