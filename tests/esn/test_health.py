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


def test_readyz_is_ok_with_the_real_database_and_redis(client, settings):
    assert os.environ["REDIS_URL"] == settings.CELERY_BROKER_URL

    response = client.get(reverse("readyz"))

    assert response.status_code == 200
    assert response.json() == {
        "status": "ok",
        "database": "ok",
        "broker": "ok",
        "migrations": "ok",
    }
    assert "no-cache" in response["Cache-Control"]


def test_healthz_says_alive_without_asking_the_database_or_the_broker(
    client, settings, monkeypatch
):
    settings.CELERY_BROKER_URL = f"redis://127.0.0.1:{_closed_port()}/0"
    monkeypatch.setattr("esn.views.connection", _UnreachableDatabase())

    response = client.get(reverse("healthz"))

    assert response.status_code == 200
    assert response.json() == {"status": "ok"}
    assert "no-cache" in response["Cache-Control"]


def test_readyz_is_not_ready_while_a_migration_waits(client, monkeypatch):
    class Executor:
        def __init__(self, connection):
            self.loader = type(
                "Loader", (), {"graph": type("G", (), {"leaf_nodes": lambda s: []})()}
            )()

        def migration_plan(self, targets):
            return [("analytics", "9999_not_yet")]

    monkeypatch.setattr("esn.views._migrations_seen_applied", False)
    monkeypatch.setattr("django.db.migrations.executor.MigrationExecutor", Executor)

    response = client.get(reverse("readyz"))

    assert response.status_code == 503
    assert response.json()["migrations"] == "pending"


def test_readyz_reports_the_broker_down_with_503(client, settings):
    settings.CELERY_BROKER_URL = f"redis://127.0.0.1:{_closed_port()}/0"

    response = client.get(reverse("readyz"))

    assert response.status_code == 503
    assert response.json() == {
        "status": "degraded",
        "database": "ok",
        "broker": "down",
        "migrations": "ok",
    }


class _UnreachableDatabase:
    def cursor(self):
        raise OperationalError("connection refused")


def test_readyz_reports_the_database_down_with_503_not_500(client, monkeypatch):
    monkeypatch.setattr("esn.views.connection", _UnreachableDatabase())

    response = client.get(reverse("readyz"))

    assert response.status_code == 503
    assert response.json()["database"] == "down"


def test_the_probes_need_no_sign_in_and_tell_nothing_else(client):
    assert set(client.get(reverse("healthz")).json()) == {"status"}
    response = client.get(reverse("readyz"))
    assert response.status_code == 200
    assert set(response.json()) == {"status", "database", "broker", "migrations"}


def test_healthz_answers_probes_by_ip_over_plain_http(client, settings):
    """Load balancers probe http://<pod-ip>/healthz: no HTTPS redirect, no 400 for the host."""
    settings.ALLOWED_HOSTS = ["esn.example.com"]
    settings.SECURE_SSL_REDIRECT = True

    assert client.get("/healthz", HTTP_HOST="10.1.2.3:8000").status_code == 200
    response = client.get("/readyz", HTTP_HOST="10.1.2.3:8000")

    assert response.status_code == 200
    assert response.json()["database"] == "ok"
    # Everything else still gets host validation and the redirect.
    assert client.get("/", HTTP_HOST="esn.example.com").status_code == 301
    assert client.get("/", HTTP_HOST="10.1.2.3:8000").status_code == 400
