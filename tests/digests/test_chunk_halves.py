"""A large chunk is built in two halves, the second on a thread of its own while the first is
mailed (digests.planning._built_in_turn, issue 16). Rows are committed (transaction=True):
the other thread reads them over its own connection, as in a worker."""

from __future__ import annotations

import threading

import pytest
from django.core import mail
from django.db import connection, transaction
from django.utils import timezone

from digests import planning
from digests.models import DigestRun
from people.models import User
from people.services import follow_person
from posts import services as post_services
from tests.digests.test_digests import (  # noqa: F401 - the autouse fixture
    _digests_always_due,
    digest_to,
    run_digests,
    seen_long_ago,
)
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db(transaction=True)
Status = DigestRun.Status
PEOPLE = 6


@pytest.fixture
def readers(monkeypatch) -> list[tuple[User, str]]:
    """PEOPLE readers, each following an author of their own who wrote one post: whose words
    reach whom shows any mix-up between the halves."""
    monkeypatch.setattr(planning, "OVERLAP_FROM", 4)
    pairs = []
    for n in range(PEOPLE):
        reader = UserFactory(username=f"reader.{n}")
        author = UserFactory(username=f"author.{n}", email="")  # no address: no digest
        follow_person(follower=reader, followee=author)
        words = f"WORDS-OF-AUTHOR-{n}"
        post_services.create_post(author=author, body=f"{words} for my follower")
        pairs.append((reader, words))
    seen_long_ago(*[reader for reader, _ in pairs])
    return pairs


@pytest.fixture
def builds(monkeypatch) -> list[tuple[str, list[int]]]:
    """(thread name, user ids) of each build_digests call."""
    calls: list[tuple[str, list[int]]] = []
    build = planning.build_digests

    def spy(users, **kwargs):
        calls.append((threading.current_thread().name, [u.pk for u in users]))
        return build(users, **kwargs)

    monkeypatch.setattr(planning, "build_digests", spy)
    return calls


def test_each_reader_gets_their_own_digest_once_from_either_half(readers, builds):
    result = run_digests()

    assert result.chunks == 1
    assert len(mail.outbox) == PEOPLE
    for n, (reader, words) in enumerate(readers):
        body = digest_to(reader).body
        assert words in body
        assert not any(other in body for m, (_r, other) in enumerate(readers) if m != n)
    assert set(
        DigestRun.objects.filter(user__in=[r for r, _ in readers]).values_list("status", flat=True)
    ) == {Status.SENT}
    # Two builds of three people: the first here, the second on its own thread.
    by_thread = dict(builds)
    assert len(by_thread) == 2
    first = by_thread.pop(threading.current_thread().name)
    [(there, second)] = by_thread.items()
    assert there.startswith("digest-build")
    assert len(first) == len(second) == PEOPLE // 2
    assert set(first) | set(second) == {reader.pk for reader, _ in readers}


def test_a_small_chunk_is_built_in_one_go(readers, builds, monkeypatch):
    monkeypatch.setattr(planning, "OVERLAP_FROM", PEOPLE + 1)
    run_digests()

    assert [name for name, _ in builds] == [threading.current_thread().name]
    assert len(mail.outbox) == PEOPLE


def test_inside_a_transaction_the_chunk_is_built_here(readers, builds):
    # Another connection would not see what this transaction has not committed.
    with transaction.atomic():
        run_digests()

    assert [name for name, _ in builds] == [threading.current_thread().name]
    assert len(mail.outbox) == PEOPLE


def test_a_failed_second_half_leaves_its_runs_to_be_taken_over(readers, monkeypatch):
    build = planning.build_digests

    def fails_on_its_thread(users, **kwargs):
        if threading.current_thread() is not threading.main_thread():
            raise RuntimeError("database went away")
        return build(users, **kwargs)

    monkeypatch.setattr(planning, "build_digests", fails_on_its_thread)

    now = timezone.now()
    chunks: list[list[int]] = []
    planning.plan(now=now, enqueue=chunks.append)
    [chunk] = chunks
    # The error reaches the task (which retries), as a failed build of a whole chunk does.
    with pytest.raises(RuntimeError, match="database went away"):
        planning.send_chunk(chunk, now=now)

    # The first half was mailed and marked; the second stays claimed ("sending") until the
    # lease has passed and the planner hands it to another chunk, as after a killed worker.
    statuses = sorted(
        DigestRun.objects.filter(user__in=[r for r, _ in readers]).values_list("status", flat=True)
    )
    assert statuses == sorted([Status.SENT] * (PEOPLE // 2) + [Status.SENDING] * (PEOPLE // 2))
    assert len(mail.outbox) == PEOPLE // 2


def test_the_second_thread_leaves_no_connection_open(readers):
    def backends() -> int:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
            )
            return cursor.fetchone()[0]

    before = backends()
    run_digests()

    assert len(mail.outbox) == PEOPLE
    assert backends() == before
