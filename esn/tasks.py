from __future__ import annotations

from celery import shared_task
from django.contrib.sessions.models import Session
from django.utils import timezone


@shared_task(acks_late=True, ignore_result=True)
def clear_expired_sessions() -> int:
    """Delete expired sessions (Django leaves them in the table forever). Idempotent."""
    deleted, _rows = Session.objects.filter(expire_date__lt=timezone.now()).delete()
    return deleted
