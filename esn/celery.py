import gc
import os

from celery import Celery
from celery.signals import (
    task_failure,
    task_postrun,
    task_prerun,
    task_retry,
    task_success,
    worker_process_init,
)

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "esn.settings")

app = Celery("esn")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@worker_process_init.connect
def _freeze_startup_objects(**_kwargs):
    # As in esn/wsgi.py: what each worker child has loaded lives as long as it does; frozen,
    # full collections stop walking it (bench/digests.py: 6 s of GC pauses per 10,000
    # digests without, 4 s with).
    gc.freeze()


@task_prerun.connect
def _log_with_the_task_id(task_id=None, **_kwargs):
    # A task's log lines carry its id where a request's carry the request's (esn/logs.py).
    from esn.logs import current_request_id

    current_request_id.set(task_id or "")


@task_postrun.connect
def _forget_the_task_id(**_kwargs):
    from esn.logs import current_request_id

    current_request_id.set("")


# Task outcomes for /metrics, counted in Redis: workers are processes no scrape reaches
# (esn/counters.py; never raises, so counting cannot fail a task).
@task_success.connect
def _count_success(sender=None, **_kwargs):
    from esn.counters import SUCCEEDED, count_task

    count_task(getattr(sender, "name", None) or "unknown", SUCCEEDED)


@task_failure.connect
def _count_failure(sender=None, **_kwargs):
    from esn.counters import FAILED, count_task

    count_task(getattr(sender, "name", None) or "unknown", FAILED)


@task_retry.connect
def _count_retry(sender=None, **_kwargs):
    from esn.counters import RETRIED, count_task

    count_task(getattr(sender, "name", None) or "unknown", RETRIED)
