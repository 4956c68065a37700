"""Celery entry points for digests: thin wrappers over digests.planning, with ids only.

Both are idempotent (the DigestRun ledger decides who is mailed) and acks_late: a message is
acknowledged only after the work is done, so a worker lost mid-chunk leaves it to be
delivered again, and the planner's lease sweep catches whatever is still unfinished."""

from __future__ import annotations

from celery import shared_task

from digests import planning, services, unread


@shared_task(acks_late=True, ignore_result=True)
def plan_digests() -> dict:
    result = planning.plan(enqueue=send_digest_chunk.delay)
    return {"planned": result.planned, "enqueued": result.enqueued, "chunks": result.chunks}


@shared_task(
    acks_late=True,
    ignore_result=True,
    autoretry_for=(ConnectionError, OSError),
    retry_backoff=True,
    max_retries=3,
)
def send_digest_chunk(run_ids: list[int]) -> dict:
    result = planning.send_chunk([int(pk) for pk in run_ids])
    return {"claimed": result.claimed, "sent": result.sent, "empty": result.empty}


@shared_task(
    acks_late=True,
    ignore_result=True,
    autoretry_for=(Exception,),
    retry_backoff=True,
    retry_backoff_max=300,
    max_retries=services.MAX_ATTEMPTS - 1,
)
def deliver_inbox_event(event_id: int) -> bool:
    """Turn one recorded event into inbox rows (idempotent; see services.deliver_event)."""
    return services.deliver_event(int(event_id))


@shared_task(acks_late=True, ignore_result=True)
def sweep_inbox_events() -> int:
    """Deliver events no worker was told about (the broker was down at the time)."""
    return services.deliver_pending()


@shared_task(acks_late=True, ignore_result=True)
def send_unread_emails() -> dict:
    """Email each person what is addressed to them and still unread (digests.unread)."""
    result = unread.send_unread_emails()
    return {"sent": result.sent, "rows": result.rows, "failed": result.failed}
