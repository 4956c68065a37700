"""Settings for the Celery worker and beat processes bench/faults.py starts: the site's own
settings, with the periodic digest tasks every ESN_FAULTS_BEAT_SECONDS (2 s) instead of
every few minutes, so a round and its recovery fit in a benchmark. Nothing else differs."""

from __future__ import annotations

import os

from esn.settings import *  # noqa: F403
from esn.settings import CELERY_BEAT_SCHEDULE as _SITE_SCHEDULE

_EVERY = float(os.environ.get("ESN_FAULTS_BEAT_SECONDS", "2"))
_FAST = ("plan-digests", "send-unread-emails", "sweep-inbox-events")

CELERY_BEAT_SCHEDULE = {
    name: {**entry, "schedule": _EVERY} for name, entry in _SITE_SCHEDULE.items() if name in _FAST
}
