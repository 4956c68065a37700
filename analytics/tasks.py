"""The nightly roll-up (beat: early morning, site time). It recomputes the last week, not only
yesterday: a post removed or deleted, a comment edited away, a late reaction, all land in the
figures within a week. Idempotent and single-flight (analytics.rollup takes an advisory lock)."""

from __future__ import annotations

from datetime import timedelta

from celery import shared_task
from django.utils import timezone

from analytics import rollup

RECOMPUTED_DAYS = 7


@shared_task(acks_late=True, ignore_result=True)
def roll_up_recent() -> int:
    today = timezone.localdate()
    return rollup.roll_up_range(
        today - timedelta(days=RECOMPUTED_DAYS), today - timedelta(days=1), today=today
    )
