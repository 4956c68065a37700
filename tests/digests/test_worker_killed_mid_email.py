"""A Celery worker SIGKILLed in the middle of sending unread-mention emails (issue 16,
bench/faults.py): the email it was sending had not left, so a later run must send it.

The claim (rows marked emailed, the ledger row) used to commit before the email was built and
sent: a worker killed in between left that person's rows marked as mailed and nobody mailed
them, ever. Now the claim commits with the send. Through a real worker process and the real
broker, like test_celery_worker.py, whose rig this reuses (skipped without a broker)."""

from __future__ import annotations

import signal
from collections import Counter
from datetime import timedelta

import pytest
from django.utils import timezone

from digests import tasks
from digests.models import InboxItem, UnreadEmailSent
from posts import services as post_services
from tests.digests.test_celery_worker import (  # noqa: F401 - fixtures
    SLOW_BACKEND,
    broker_url,
    rig,
)
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db(transaction=True)

HOLD_AT = 3  # the email (1-based) the worker is killed while sending


def test_an_unread_email_cut_off_by_a_killed_worker_is_sent_by_the_next_run(rig):  # noqa: F811
    author = UserFactory(username="ann.author")
    readers = [UserFactory(username=f"reader.{n}") for n in range(5)]
    post_services.create_post(
        author=author, body="Please look, " + " ".join(f"@{r.username}" for r in readers)
    )
    InboxItem.objects.update(timestamp=timezone.now() - timedelta(hours=2))
    marker = rig.tmp_path / "holding"
    first = rig.start_worker(
        EMAIL_BACKEND=SLOW_BACKEND,
        ESN_TEST_MAIL_PAUSE_AT=str(HOLD_AT),
        ESN_TEST_MAIL_PAUSE_WHEN="before",
        ESN_TEST_MAIL_PAUSE_FILE=str(marker),
    )
    tasks.send_unread_emails.apply_async(queue=rig.queue)
    rig.wait_for(marker.exists, f"the worker to be sending unread email {HOLD_AT}")
    first.kill()
    assert first.process.returncode == -signal.SIGKILL

    assert sum(len(m) for m in rig.digests().values()) == HOLD_AT - 1
    assert UnreadEmailSent.objects.count() == HOLD_AT - 1, (
        "the email being sent when the worker died did not leave: its claim must not have "
        "been committed"
    )

    rig.start_worker()
    tasks.send_unread_emails.apply_async(queue=rig.queue)
    rig.wait_for(
        lambda: not InboxItem.objects.filter(emailed_at__isnull=True).exists(),
        "the next run to mail the rest",
    )
    mails = rig.digests()
    counts = Counter({r.email: len(mails.get(r.email, [])) for r in readers})
    assert set(counts.values()) == {1}, f"each reader should get exactly one email: {counts}"
    assert UnreadEmailSent.objects.count() == len(readers)
