"""The optional read replica (esn/db.py): only the pages marked for it read from it, never
inside a transaction, never a write; without a replica everything reads the primary."""

from __future__ import annotations

import runpy

import pytest
from django.conf import settings as live
from django.db import connections, transaction
from django.db.backends.postgresql.base import DatabaseWrapper
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from analytics.models import AuditEntry
from esn.db import REPLICA, ReplicaRouter, replica_reads
from people.models import User
from tests.factories import UserFactory


def test_reads_use_the_replica_only_inside_a_marked_page_and_outside_transactions(
    settings, transactional_db
):
    router = ReplicaRouter()
    settings.DATABASES = {**settings.DATABASES, REPLICA: settings.DATABASES["default"]}

    assert router.db_for_read(User) == "default"
    with replica_reads():
        assert router.db_for_read(User) == REPLICA
        assert router.db_for_write(User) == "default"
        with transaction.atomic():
            # What this transaction wrote is not on the replica.
            assert router.db_for_read(User) == "default"
    assert router.db_for_read(User) == "default"
    assert router.allow_migrate(REPLICA, "people") is False


def test_without_a_replica_marked_pages_read_the_primary(settings):
    assert REPLICA not in settings.DATABASES
    with replica_reads():
        assert ReplicaRouter().db_for_read(User) == "default"


@pytest.fixture
def replica(settings, transactional_db):
    """A second connection to the test database, as a replica would be: it sees what is
    committed (hence transactional tests), through its own connection. Made by hand rather
    than declared in DATABASES, which the test runner would create a database for."""
    config = {**connections["default"].settings_dict}
    settings.DATABASES = {**settings.DATABASES, REPLICA: config}
    connections[REPLICA] = DatabaseWrapper(config, alias=REPLICA)
    try:
        yield connections[REPLICA]
    finally:
        connections[REPLICA].close()
        del connections[REPLICA]


def test_the_analytics_page_reads_the_replica_and_writes_its_audit_entry_to_the_primary(
    client, replica
):
    admin = UserFactory(username="ada.admin", is_staff=True, is_superuser=True)
    client.force_login(admin)

    with (
        CaptureQueriesContext(replica) as on_replica,
        CaptureQueriesContext(connections["default"]) as on_primary,
    ):
        response = client.get(reverse("analytics:site"), {"period": "week"})

    assert response.status_code == 200
    assert any("analytics_figure" in q["sql"] for q in on_replica.captured_queries)
    assert not any("INSERT" in q["sql"] for q in on_replica.captured_queries)
    assert any('INSERT INTO "analytics_auditentry"' in q["sql"] for q in on_primary)
    assert AuditEntry.objects.filter(viewer=admin).count() == 1


def test_pages_that_show_what_a_person_just_wrote_never_read_the_replica(client, replica):
    person = UserFactory(username="ana.jansen")
    client.force_login(person)
    client.post(reverse("posts:create"), {"body": "Just written"})

    with CaptureQueriesContext(replica) as on_replica:
        home = client.get(reverse("home"))
        mine = client.get(reverse("analytics:measurement"))

    assert "Just written" in home.text
    assert mine.status_code == 200
    assert on_replica.captured_queries == []


def test_the_settings_add_the_replica_and_pooling_from_the_environment(monkeypatch):
    monkeypatch.setenv("DATABASE_REPLICA_URL", "postgres://esn@replica.internal:5432/esn")
    monkeypatch.setenv("DATABASE_TRANSACTION_POOLING", "1")
    values = runpy.run_path(str(live.BASE_DIR / "esn" / "settings.py"))

    assert values["DATABASES"]["replica"]["HOST"] == "replica.internal"
    assert values["DATABASES"]["replica"]["TEST"] == {"MIRROR": "default"}
    assert values["DATABASES"]["default"]["DISABLE_SERVER_SIDE_CURSORS"] is True
    assert values["DATABASE_ROUTERS"] == ["esn.db.ReplicaRouter"]
