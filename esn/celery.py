import gc
import os

from celery import Celery
from celery.signals import worker_process_init

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
