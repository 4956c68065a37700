"""A file-based email backend for the Celery worker fault tests (test_celery_worker.py).

It writes messages exactly like Django's file backend, and can be told through the
environment (it runs inside a worker process, not the test process) to hold on to one message
so the test can kill the worker at a known point:

- ESN_TEST_MAIL_DELAY: seconds to sleep before writing each message (default 0);
- ESN_TEST_MAIL_PAUSE_AT: the 1-based number of the message to hold (default: none);
- ESN_TEST_MAIL_PAUSE_WHEN: "before" holds it before it is written (the email has not left:
  the worker dies mid-send), "after" holds it once written, before the backend returns (the
  email has left, the ledger has not been told yet);
- ESN_TEST_MAIL_PAUSE_FILE: a file created when the hold starts, for the test to wait on.

The hold lasts ESN_TEST_MAIL_PAUSE_SECONDS (default 120): the test kills the worker long
before that.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

from django.core.mail.backends.filebased import EmailBackend as FileEmailBackend

_written = 0  # messages handled in this process, across connections


def _env_float(name: str, default: float) -> float:
    value = os.environ.get(name, "")
    return float(value) if value else default


class EmailBackend(FileEmailBackend):
    def write_message(self, message):
        global _written
        _written += 1
        number = _written
        delay = _env_float("ESN_TEST_MAIL_DELAY", 0.0)
        if delay:
            time.sleep(delay)
        pause_at = int(os.environ.get("ESN_TEST_MAIL_PAUSE_AT") or 0)
        when = os.environ.get("ESN_TEST_MAIL_PAUSE_WHEN", "before")
        if number == pause_at and when == "before":
            self._hold(number)
        super().write_message(message)
        if number == pause_at and when == "after":
            self.stream.flush()  # the message has left: on disk before the worker dies
            self._hold(number)

    @staticmethod
    def _hold(number: int) -> None:
        marker = os.environ.get("ESN_TEST_MAIL_PAUSE_FILE")
        if marker:  # written whole, then renamed: the test never reads half of it
            partial = Path(f"{marker}.partial")
            partial.write_text(f"{os.getpid()} holding message {number}\n")
            partial.replace(marker)
        time.sleep(_env_float("ESN_TEST_MAIL_PAUSE_SECONDS", 120.0))
