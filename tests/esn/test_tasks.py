from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib.sessions.backends.db import SessionStore
from django.contrib.sessions.models import Session
from django.utils import timezone

from esn.tasks import clear_expired_sessions

pytestmark = pytest.mark.django_db


def test_clear_expired_sessions_keeps_live_sessions():
    live = SessionStore()
    live["who"] = "still here"
    live.create()
    expired = SessionStore()
    expired.create()
    Session.objects.filter(pk=expired.session_key).update(
        expire_date=timezone.now() - timedelta(days=1)
    )

    assert clear_expired_sessions() == 1
    assert clear_expired_sessions() == 0  # running twice is harmless
    assert list(Session.objects.values_list("pk", flat=True)) == [live.session_key]
